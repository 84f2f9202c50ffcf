/**
 * `vosync service install|uninstall|status`: run the daemon as a login service of the current user — a
 * systemd user unit on Linux, a launchd agent on macOS (like `maestral autostart`). On Windows the command
 * prints the Task Scheduler command to use (packaging/windows/README.md). The unit texts come from the
 * builders below; the files in packaging/ are the same texts for a `vosync` found on PATH.
 *
 * The unit finds `vosync` (and `vosync` finds `node`) on the PATH captured at install, each time it starts,
 * so upgrading node or vosync in place needs no new unit; only a vosync that is not on PATH (a clone run as
 * `node dist/cli/main.js`) is written in with absolute paths.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { xdgConfigHome } from '../util/platform-paths.js';
import { findOnPath, pathDirs } from '../util/which.js';
import { CliError, action, type CliIo, type Ctx } from './common.js';

export const SERVICE_NAME = 'vosync.service';
export const LAUNCHD_LABEL = 'io.vosync.daemon';
export const WINDOWS_TASK = 'vosync';

/** systemd quoting: double quotes where needed, and `%`/`$` doubled so they are not specifiers/variables. */
function systemdArg(a: string): string {
  const escaped = a.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  return /[\s"'\\;]/.test(escaped) ? `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : escaped;
}

/** Where the daemon's service finds vosync and node each time it starts. */
export interface DaemonLaunch {
  /** The program (absolute) and its arguments. */
  argv: string[];
  /** The PATH the service gets, when `argv` looks vosync up on it. */
  path?: string;
}

/** Folders where node and npm's global commands usually are, for a PATH a service manager starts with. */
const USUAL_BIN_DIRS: Record<string, string[]> = {
  darwin: ['/opt/homebrew/bin', '/usr/local/bin', '/usr/bin', '/bin'],
  other: ['/usr/local/bin', '/usr/bin', '/bin'],
};

/**
 * How the service starts `vosync daemon --config FILE`: through `/usr/bin/env vosync` on the user's PATH
 * (captured now, usual folders added) when vosync is on it, through the absolute vosync.cmd on Windows, or
 * by `self` (this node and this script) when vosync is not on PATH at all.
 */
export function daemonLaunch(
  h: { platform: NodeJS.Platform; env: NodeJS.ProcessEnv },
  self: string[],
  configPath: string,
): DaemonLaunch {
  const args = ['daemon', '--config', configPath];
  const found = findOnPath('vosync', h.env, h.platform);
  if (!found) return { argv: [...self, ...args] };
  if (h.platform === 'win32') return { argv: [found, ...args] };
  const usual = USUAL_BIN_DIRS[h.platform === 'darwin' ? 'darwin' : 'other']!;
  const dirs = [...new Set([...pathDirs(h.env, h.platform), ...usual])];
  return { argv: ['/usr/bin/env', 'vosync', ...args], path: dirs.join(':') };
}

/** The PATH a unit written by daemonLaunch gives the service (undefined when it names programs itself). */
export function unitPath(text: string): string | undefined {
  const systemd = /^Environment="?PATH=(.*?)"?$/m.exec(text);
  if (systemd) return systemd[1]!.replace(/\$\$/g, '$').replace(/%%/g, '%');
  const launchd = /<key>PATH<\/key>\s*<string>([^<]*)<\/string>/.exec(text);
  return launchd ? unxml(launchd[1]!) : undefined;
}

/** The systemd user unit that runs `launch` (argv; absolute program path first). */
export function systemdUnit(launch: DaemonLaunch): string {
  return [
    '# vosync: keeps folders in sync with CANFAR Vault and ARC (VOSpace).',
    '# Written by `vosync service install`; removed by `vosync service uninstall`.',
    '# Logs: `journalctl --user -u vosync` (see the README, "Logs").',
    '# Without a login session (after logout, at boot) it runs only with: loginctl enable-linger $USER',
    '[Unit]',
    'Description=vosync sync daemon (CANFAR Vault and ARC)',
    '',
    '[Service]',
    'Type=exec',
    ...(launch.path
      ? [
          '# vosync and node are looked up on this PATH at each start: upgrading them needs no new unit.',
          `Environment=${systemdArg(`PATH=${launch.path}`)}`,
        ]
      : []),
    `ExecStart=${launch.argv.map(systemdArg).join(' ')}`,
    '# `systemctl --user reload vosync` makes the daemon read its config file again.',
    'ExecReload=/bin/kill -HUP $MAINPID',
    'Restart=on-failure',
    'RestartSec=10s',
    '# On SIGTERM the daemon lets transfers in flight finish (up to 30 s).',
    'TimeoutStopSec=45s',
    'NoNewPrivileges=yes',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

const xml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const unxml = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&gt;/g, '>')
    .replace(/&lt;/g, '<')
    .replace(/&amp;/g, '&');

/**
 * The launchd agent (~/Library/LaunchAgents) that runs `launch`. The daemon's log is its own rotated file
 * (VOSYNC_SERVICE tells it that no one reads its stderr); launchd's files in `logDir` catch only a crash.
 */
export function launchdPlist(launch: DaemonLaunch, logDir: string): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<!-- vosync: written by `vosync service install`; removed by `vosync service uninstall`. -->',
    '<plist version="1.0">',
    '<dict>',
    '  <key>Label</key>',
    `  <string>${LAUNCHD_LABEL}</string>`,
    '  <key>ProgramArguments</key>',
    '  <array>',
    ...launch.argv.map((a) => `    <string>${xml(a)}</string>`),
    '  </array>',
    '  <key>EnvironmentVariables</key>',
    '  <dict>',
    ...(launch.path ? ['    <key>PATH</key>', `    <string>${xml(launch.path)}</string>`] : []),
    '    <key>VOSYNC_SERVICE</key>',
    '    <string>launchd</string>',
    '  </dict>',
    '  <key>RunAtLoad</key>',
    '  <true/>',
    '  <key>KeepAlive</key>',
    '  <dict>',
    '    <key>SuccessfulExit</key>',
    '    <false/>',
    '  </dict>',
    '  <key>ThrottleInterval</key>',
    '  <integer>10</integer>',
    '  <key>ExitTimeOut</key>',
    '  <integer>45</integer>',
    '  <key>ProcessType</key>',
    '  <string>Background</string>',
    '  <key>StandardOutPath</key>',
    `  <string>${xml(path.posix.join(logDir, 'daemon.out.log'))}</string>`,
    '  <key>StandardErrorPath</key>',
    `  <string>${xml(path.posix.join(logDir, 'daemon.err.log'))}</string>`,
    '</dict>',
    '</plist>',
    '',
  ].join('\n');
}

/** The Task Scheduler command that starts `command` at logon (Windows has no user-level unit files). */
export function windowsTaskCommand(command: string[]): string {
  const quoted = command.map((a) => (/[\s"]/.test(a) ? `\\"${a}\\"` : a)).join(' ');
  return `schtasks /Create /TN ${WINDOWS_TASK} /SC ONLOGON /RL LIMITED /F /TR "${quoted}"`;
}

export interface ServiceHost {
  platform: NodeJS.Platform;
  homedir: string;
  env: NodeJS.ProcessEnv;
  /** Runs a service manager command; status 0 = success. */
  run(cmd: string, args: string[]): { status: number; output: string };
  uid: number;
}

export function realRun(cmd: string, args: string[]): { status: number; output: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  if (r.error) return { status: 127, output: r.error.message };
  return { status: r.status ?? 1, output: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

/** Where the unit file of this platform goes. */
export function unitFile(h: Pick<ServiceHost, 'platform' | 'homedir' | 'env'>): string | undefined {
  if (h.platform === 'darwin')
    return path.join(h.homedir, 'Library', 'LaunchAgents', `${LAUNCHD_LABEL}.plist`);
  if (h.platform === 'win32') return undefined;
  return path.join(xdgConfigHome(h.env, h.homedir), 'systemd', 'user', SERVICE_NAME);
}

/** The service manager commands for each step, per platform. */
export function managerCommands(
  h: Pick<ServiceHost, 'platform' | 'uid'>,
  step: 'start' | 'stop' | 'query',
  file: string,
): [string, string[]][] {
  if (h.platform === 'darwin') {
    const domain = `gui/${h.uid}`;
    if (step === 'start') return [['launchctl', ['bootstrap', domain, file]]];
    if (step === 'stop') return [['launchctl', ['bootout', `${domain}/${LAUNCHD_LABEL}`]]];
    return [['launchctl', ['print', `${domain}/${LAUNCHD_LABEL}`]]];
  }
  if (step === 'start')
    return [
      ['systemctl', ['--user', 'daemon-reload']],
      ['systemctl', ['--user', 'enable', '--now', SERVICE_NAME]],
    ];
  if (step === 'stop')
    return [
      ['systemctl', ['--user', 'disable', '--now', SERVICE_NAME]],
      ['systemctl', ['--user', 'daemon-reload']],
    ];
  return [
    ['systemctl', ['--user', 'is-enabled', SERVICE_NAME]],
    ['systemctl', ['--user', 'is-active', SERVICE_NAME]],
  ];
}

const shellWords = (argv: string[]) =>
  argv.map((a) => (/[^\w@%+=:,./-]/.test(a) ? `'${a.replace(/'/g, "'\\''")}'` : a)).join(' ');

/** Linux: whether the user's services run without a login session (`loginctl enable-linger`). */
function lingerOf(host: ServiceHost): boolean | undefined {
  const user = host.env['USER'] ?? host.env['LOGNAME'] ?? os.userInfo().username;
  const r = host.run('loginctl', ['show-user', user, '--property=Linger']);
  if (r.status !== 0) return undefined;
  return /Linger=yes/.test(r.output) ? true : /Linger=no/.test(r.output) ? false : undefined;
}

const LINGER_HINT =
  'it stops when you log out and starts at your next login; to keep it running without a login session ' +
  '(and start it at boot): loginctl enable-linger $USER';

export function registerService(
  program: Command,
  deps: { io: CliIo; self: string[]; host?: ServiceHost },
): void {
  const { io } = deps;
  const host: ServiceHost = deps.host ?? {
    platform: process.platform,
    homedir: io.env['HOME'] ?? os.homedir(),
    env: io.env,
    run: realRun,
    uid: process.getuid?.() ?? 0,
  };

  /** Runs service manager commands in order; the first failure is an error naming the command. */
  const runAll = (cmds: [string, string[]][], tolerate = false): void => {
    for (const [cmd, args] of cmds) {
      const r = host.run(cmd, args);
      if (r.status !== 0 && !tolerate)
        throw new CliError(
          `${shellWords([cmd, ...args])} failed${r.output ? `: ${r.output}` : ''}`,
          1,
          'service-manager',
        );
    }
  };

  const service = program.command('service').description('run the daemon as a login service of this user');

  service
    .command('install')
    .description('write the systemd user unit (Linux) or launchd agent (macOS) and start it')
    .option('--config <file>', 'config file the service uses (default: the platform location)')
    .option('--no-start', 'only write the unit file')
    .action(
      action(io, async (ctx: Ctx, flags: { config?: string; start: boolean }) => {
        // Loaded here, not with the command's definition: the config's code (zod, yaml) is heavy to start.
        const { hostContext, loadConfig, resolveConfigPath, ConfigError } =
          await import('../agent/config/index.js');
        const hc = hostContext({ env: host.env, homedir: host.homedir, platform: host.platform });
        const configPath = resolveConfigPath(flags.config, hc);
        const launch = daemonLaunch(host, deps.self, configPath);
        const file = unitFile(host);
        if (!file) {
          // Nothing is installed on Windows: the user runs the printed command.
          const command = windowsTaskCommand(launch.argv);
          ctx.out('Windows has no per-user unit files. To start vosync at logon, run in a command prompt:\n');
          ctx.out(`  ${command}\n`);
          ctx.out('See packaging/windows/README.md for details and for removing it again.\n');
          ctx.result({ command });
          ctx.failed('unsupported', 'no per-user unit files on Windows: run the printed schtasks command');
          return 95;
        }
        try {
          loadConfig(configPath, hc);
        } catch (e) {
          if (!(e instanceof ConfigError)) throw e;
          throw new CliError(`the service would not start: ${e.message}`, 22, 'config');
        }
        const logDir = path.join(host.homedir, 'Library', 'Logs', 'vosync');
        const text = host.platform === 'darwin' ? launchdPlist(launch, logDir) : systemdUnit(launch);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        if (host.platform === 'darwin') fs.mkdirSync(logDir, { recursive: true });
        fs.writeFileSync(file, text, { mode: 0o644 });
        ctx.out(`wrote ${file}\n`);
        if (!launch.path)
          ctx.out(
            'vosync is not on your PATH, so the unit runs this node and this vosync by their paths: ' +
              'run vosync service install again after upgrading or moving either\n',
          );
        const result: Record<string, unknown> = { file, argv: launch.argv, path: launch.path ?? null };
        ctx.result(result);
        if (!flags.start) {
          ctx.out(
            `start it with: ${managerCommands(host, 'start', file)
              .map(([c, a]) => shellWords([c, ...a]))
              .join(' && ')}\n`,
          );
          result['started'] = false;
          return 0;
        }
        if (host.platform === 'darwin') runAll(managerCommands(host, 'stop', file), true);
        runAll(managerCommands(host, 'start', file));
        result['started'] = true;
        ctx.out('vosync now runs at login and is running; check it with: vosync status\n');
        if (host.platform !== 'darwin') {
          const linger = lingerOf(host);
          result['linger'] = linger ?? null;
          if (linger !== true) ctx.out(`note: ${LINGER_HINT}\n`);
        }
        return 0;
      }),
    );

  service
    .command('uninstall')
    .description('stop the service and remove its unit file')
    .action(
      action(io, async (ctx: Ctx) => {
        const file = unitFile(host);
        if (!file) {
          ctx.out(`On Windows, remove the logon task with: schtasks /Delete /TN ${WINDOWS_TASK} /F\n`);
          ctx.failed('unsupported', 'no per-user unit files on Windows: remove the task with schtasks');
          return 95;
        }
        ctx.result({ file, removed: fs.existsSync(file) });
        if (!fs.existsSync(file)) {
          ctx.out(`not installed (no ${file})\n`);
          return 0;
        }
        runAll(managerCommands(host, 'stop', file), true);
        fs.rmSync(file, { force: true });
        if (host.platform !== 'darwin') runAll([['systemctl', ['--user', 'daemon-reload']]], true);
        ctx.out(`removed ${file}\n`);
        return 0;
      }),
    );

  service
    .command('status')
    .description('say whether the service is installed, enabled and running (exit 0 only when running)')
    .action(
      action(io, async (ctx: Ctx) => {
        const file = unitFile(host);
        if (!file) {
          ctx.out(`On Windows, ask the Task Scheduler: schtasks /Query /TN ${WINDOWS_TASK}\n`);
          ctx.failed('unsupported', 'no per-user unit files on Windows: ask schtasks /Query');
          return 95;
        }
        if (!fs.existsSync(file)) {
          ctx.out(`not installed (no ${file}); install with: vosync service install\n`);
          ctx.result({ file, installed: false, running: false });
          return 3;
        }
        ctx.out(`installed: ${file}\n`);
        let running = true;
        const manager: Record<string, string> = {};
        for (const [cmd, args] of managerCommands(host, 'query', file)) {
          const r = host.run(cmd, args);
          const answer =
            host.platform === 'darwin'
              ? r.status === 0
                ? 'loaded'
                : 'not loaded'
              : r.output || `exit ${r.status}`;
          const key = host.platform === 'darwin' ? 'launchd' : (args[1] ?? cmd);
          manager[key] = answer;
          ctx.out(`${key}: ${answer}\n`);
          if (r.status !== 0) running = false;
        }
        // What the unit will run at its next start, looked up as the service manager will.
        const unitPathValue = unitPath(fs.readFileSync(file, 'utf8'));
        let vosync: string | null = null;
        if (unitPathValue !== undefined) {
          vosync = findOnPath('vosync', { PATH: unitPathValue }, host.platform) ?? null;
          ctx.out(
            vosync
              ? `vosync on the unit's PATH: ${vosync}\n`
              : "vosync is NOT on the unit's PATH any more (moved or uninstalled?): run vosync service install again\n",
          );
        }
        let linger: boolean | undefined;
        if (host.platform !== 'darwin') {
          linger = lingerOf(host);
          if (linger !== undefined) ctx.out(`linger: ${linger ? 'yes' : `no — ${LINGER_HINT}`}\n`);
        }
        ctx.result({ file, installed: true, running, manager, vosync, linger: linger ?? null });
        return running ? 0 : 3;
      }),
    );
}
