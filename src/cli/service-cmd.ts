/**
 * `vosync service install|uninstall|status`: run the daemon as a login service of the current user — a
 * systemd user unit on Linux, a launchd agent on macOS (like `maestral autostart`). On Windows the command
 * prints the Task Scheduler command to use (packaging/windows/README.md). The unit texts come from the
 * builders below; the files in packaging/ are the same texts for a `vosync` found on PATH.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { hostContext, loadConfig, resolveConfigPath, ConfigError } from '../agent/config/index.js';
import { xdgConfigHome } from '../util/platform-paths.js';
import type { CliIo } from './common.js';

export const SERVICE_NAME = 'vosync.service';
export const LAUNCHD_LABEL = 'io.vosync.daemon';
export const WINDOWS_TASK = 'vosync';

/** systemd quoting: double quotes where needed, and `%`/`$` doubled so they are not specifiers/variables. */
function systemdArg(a: string): string {
  const escaped = a.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  return /[\s"'\\;]/.test(escaped) ? `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : escaped;
}

/** The systemd user unit that runs `command` (argv; absolute program path first). */
export function systemdUnit(command: string[]): string {
  return [
    '# vosync: keeps folders in sync with CANFAR Vault and ARC (VOSpace).',
    '# Written by `vosync service install`; removed by `vosync service uninstall`.',
    '# Logs: `journalctl --user -u vosync` and the log file named in the config.',
    '[Unit]',
    'Description=vosync sync daemon (CANFAR Vault and ARC)',
    '',
    '[Service]',
    'Type=exec',
    `ExecStart=${command.map(systemdArg).join(' ')}`,
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

/** The launchd agent (~/Library/LaunchAgents) that runs `command`, logging to `logDir`. */
export function launchdPlist(command: string[], logDir: string): string {
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
    ...command.map((a) => `    <string>${xml(a)}</string>`),
    '  </array>',
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
  const out = (s: string) => io.stdout.write(s + '\n');
  const err = (s: string) => io.stderr.write(s + '\n');

  const runAll = (cmds: [string, string[]][], tolerate = false): boolean => {
    for (const [cmd, args] of cmds) {
      const r = host.run(cmd, args);
      if (r.status !== 0) {
        if (!tolerate) {
          err(`vosync service: ${shellWords([cmd, ...args])} failed${r.output ? `: ${r.output}` : ''}`);
          return false;
        }
      }
    }
    return true;
  };

  const service = program.command('service').description('run the daemon as a login service of this user');

  service
    .command('install')
    .description('write the systemd user unit (Linux) or launchd agent (macOS) and start it')
    .option('--config <file>', 'config file the service uses (default: the platform location)')
    .option('--no-start', 'only write the unit file')
    .action((flags: { config?: string; start: boolean }) => {
      const ctx = hostContext({ env: io.env, homedir: host.homedir, platform: host.platform });
      const configPath = resolveConfigPath(flags.config, ctx);
      const command = [...deps.self, 'daemon', '--config', configPath];
      const file = unitFile(host);
      if (!file) {
        // Nothing is installed on Windows: the user runs the printed command.
        out('Windows has no per-user unit files. To start vosync at logon, run in a command prompt:');
        out(`  ${windowsTaskCommand(command)}`);
        out('See packaging/windows/README.md for details and for removing it again.');
        return io.setExitCode(95);
      }
      try {
        loadConfig(configPath, ctx);
      } catch (e) {
        err(`vosync service install: the service would not start: ${(e as ConfigError).message ?? e}`);
        return io.setExitCode(22);
      }
      const text =
        host.platform === 'darwin'
          ? launchdPlist(command, path.join(host.homedir, 'Library', 'Logs', 'vosync'))
          : systemdUnit(command);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      if (host.platform === 'darwin')
        fs.mkdirSync(path.join(host.homedir, 'Library', 'Logs', 'vosync'), { recursive: true });
      fs.writeFileSync(file, text, { mode: 0o644 });
      out(`wrote ${file}`);
      if (!flags.start) {
        out(
          `start it with: ${managerCommands(host, 'start', file)
            .map(([c, a]) => shellWords([c, ...a]))
            .join(' && ')}`,
        );
        return io.setExitCode(0);
      }
      if (host.platform === 'darwin') runAll(managerCommands(host, 'stop', file), true);
      if (!runAll(managerCommands(host, 'start', file))) return io.setExitCode(1);
      out('vosync now runs at login and is running; check it with: vosync status');
      io.setExitCode(0);
    });

  service
    .command('uninstall')
    .description('stop the service and remove its unit file')
    .action(() => {
      const file = unitFile(host);
      if (!file) {
        out(`On Windows, remove the logon task with: schtasks /Delete /TN ${WINDOWS_TASK} /F`);
        return io.setExitCode(95);
      }
      if (!fs.existsSync(file)) {
        out(`not installed (no ${file})`);
        return io.setExitCode(0);
      }
      runAll(managerCommands(host, 'stop', file), true);
      fs.rmSync(file, { force: true });
      if (host.platform !== 'darwin') runAll([['systemctl', ['--user', 'daemon-reload']]], true);
      out(`removed ${file}`);
      io.setExitCode(0);
    });

  service
    .command('status')
    .description('say whether the service is installed, enabled and running (exit 0 only when running)')
    .action(() => {
      const file = unitFile(host);
      if (!file) {
        out(`On Windows, ask the Task Scheduler: schtasks /Query /TN ${WINDOWS_TASK}`);
        return io.setExitCode(95);
      }
      if (!fs.existsSync(file)) {
        out(`not installed (no ${file}); install with: vosync service install`);
        return io.setExitCode(3);
      }
      out(`installed: ${file}`);
      let running = true;
      for (const [cmd, args] of managerCommands(host, 'query', file)) {
        const r = host.run(cmd, args);
        const answer =
          host.platform === 'darwin'
            ? r.status === 0
              ? 'loaded'
              : 'not loaded'
            : r.output || `exit ${r.status}`;
        out(`${host.platform === 'darwin' ? 'launchd' : args[1]}: ${answer}`);
        if (r.status !== 0) running = false;
      }
      io.setExitCode(running ? 0 : 3);
    });
}
