/**
 * `vosync status` (summary, --json, --tray for xbar/Argos, --open for the status page), `vosync pause`,
 * `vosync resume`, `vosync rescan`, `vosync reload`: all talk to the running daemon's loopback status API. The API token is
 * read from its file and never printed; `--open` prints a one-time link instead.
 * `vosync service …` (run as a login service) lives in service-cmd.ts and is registered from here.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { ApiCallError, daemonAddress, DaemonUnreachable, StatusClient } from '../agent/api/client.js';
import { HEALTH, healthCode, humanSummary, trayOutput, type TrayFlavour } from '../agent/api/present.js';
import { actionWords } from '../agent/status/action-words.js';
import type {
  ActivityDoc,
  ConflictsDoc,
  ErrorsDoc,
  FileStatusDoc,
  NotSyncedDoc,
  ReloadDoc,
  SessionDoc,
  StatusDoc,
} from '../agent/api/schemas.js';
import { ConfigError, hostContext, loadConfig, resolveConfigPath } from '../agent/config/index.js';
import { statusSettingsOf } from '../agent/config/status-address.js';
import { processIo, type CliIo } from './common.js';
import { registerService } from './service-cmd.js';

export interface StatusDeps {
  io?: CliIo;
  /** How to run vosync again, for the tray menu's actions (default: this node and this script). */
  self?: string[];
  /** Opens a URL in a browser (default: xdg-open / open / start, only where a desktop is likely). */
  openBrowser?: (url: string) => void;
}

interface ConfigFlags {
  config?: string;
}

function hostOf(io: CliIo) {
  return hostContext({ env: io.env, homedir: io.env['HOME'] ?? io.env['USERPROFILE'] ?? os.homedir() });
}

function clientFor(io: CliIo, flags: ConfigFlags): { client: StatusClient; configPath: string } {
  const host = hostOf(io);
  const configPath = resolveConfigPath(flags.config, host);
  try {
    return { client: new StatusClient(daemonAddress(loadConfig(configPath, host))), configPath };
  } catch (e) {
    // A file edited into mistakes must not hide the running daemon (which reports what it runs with).
    if (!(e instanceof ConfigError) || !fs.existsSync(configPath)) throw e;
    const status = statusSettingsOf(configPath, host);
    return { client: new StatusClient(daemonAddress({ status })), configPath };
  }
}

function defaultSelf(io: CliIo): string[] {
  const bin = io.env['VOSYNC_BIN'];
  if (bin) return [bin];
  return [process.execPath, process.argv[1] ?? 'vosync'];
}

function defaultOpenBrowser(io: CliIo): (url: string) => void {
  return (url) => {
    const platform = process.platform;
    const desktop =
      platform === 'darwin' ||
      platform === 'win32' ||
      Boolean(io.env['DISPLAY'] || io.env['WAYLAND_DISPLAY']);
    if (!desktop) return;
    const [cmd, args] =
      platform === 'darwin'
        ? ['open', [url]]
        : platform === 'win32'
          ? ['cmd', ['/c', 'start', '""', url]]
          : ['xdg-open', [url]];
    try {
      const child = spawn(cmd, args as string[], { stdio: 'ignore', detached: true });
      child.on('error', () => undefined);
      child.unref();
    } catch {
      // The link is printed anyway.
    }
  };
}

/** Runs one command body, turning the known failures into a message and an exit code. */
async function guarded(io: CliIo, name: string, body: () => Promise<number>): Promise<void> {
  let code: number;
  try {
    code = await body();
  } catch (e) {
    if (e instanceof ConfigError) {
      io.stderr.write(`vosync ${name}: ${e.message}\n`);
      code = HEALTH.unknown;
    } else if (e instanceof DaemonUnreachable || e instanceof ApiCallError) {
      io.stderr.write(`vosync ${name}: ${e.message}\n`);
      code = e instanceof ApiCallError && e.status === 404 ? 2 : HEALTH.unknown;
    } else throw e;
  }
  io.setExitCode(code);
}

/**
 * Confirms, in the index of the config's state, the deletions each pair's pause held back (one pair or all);
 * returns what was confirmed per pair (0: nothing was held), or undefined when no pair has that name.
 */
async function recordDeleteConfirmation(
  io: CliIo,
  flags: ConfigFlags,
  pair: string | undefined,
): Promise<{ name: string; count: number }[] | undefined> {
  const host = hostOf(io);
  const config = loadConfig(resolveConfigPath(flags.config, host), host);
  const pairs = config.pairs.filter((p) => pair === undefined || p.name === pair);
  if (pairs.length === 0) return undefined;
  const [{ SyncIndex }, { confirmHeldDeletes }] = await Promise.all([
    import('../agent/store/index-db.js'),
    import('../agent/engine/pair-sync.js'),
  ]);
  const index = SyncIndex.open(path.join(config.state.dir, 'index.sqlite'));
  try {
    return pairs.map((p) => {
      const rec = index.getPair(p.name);
      const held = rec ? confirmHeldDeletes(index, rec.id) : undefined;
      return { name: p.name, count: held?.paths.length ?? 0 };
    });
  } finally {
    index.close();
  }
}

/** File states a person needs to act on (the exit code says so, as the overall status does). */
const NEEDS_A_LOOK = new Set(['conflict', 'ignored']);

/** `vosync status PATH…`: each path's state in words (or the GET /files documents with --json). */
async function filesStatus(io: CliIo, client: StatusClient, paths: string[], json: boolean): Promise<number> {
  const docs: FileStatusDoc[] = [];
  for (const p of paths) {
    const abs = path.resolve(io.cwd, p);
    docs.push(await client.call<FileStatusDoc>('GET', `/files?path=${encodeURIComponent(abs)}`));
  }
  if (json) io.stdout.write(JSON.stringify({ files: docs }, null, 2) + '\n');
  else {
    for (const d of docs) {
      const moving =
        d.transfer?.size && d.transfer.bytesDone !== null
          ? ` ${Math.floor((100 * d.transfer.bytesDone) / d.transfer.size)} %`
          : '';
      const state = d.transfer
        ? `${d.transfer.direction === 'up' ? 'uploading' : 'downloading'}${moving}`
        : d.state;
      io.stdout.write(`${d.localPath}: ${state}${d.reason ? ` (${d.reason})` : ''}\n`);
    }
  }
  if (docs.some((d) => d.state === 'error')) return HEALTH.critical;
  return docs.some((d) => NEEDS_A_LOOK.has(d.state)) ? HEALTH.warning : HEALTH.ok;
}

function pairQuery(pair: string | undefined): string {
  return pair ? `?pair=${encodeURIComponent(pair)}` : '';
}

export function registerStatus(program: Command, deps: StatusDeps = {}): void {
  const io = deps.io ?? processIo();
  const self = deps.self ?? defaultSelf(io);
  const openBrowser = deps.openBrowser ?? defaultOpenBrowser(io);

  program
    .command('status [paths...]')
    .description(
      "show the daemon's state (exit 0 healthy, 1 needs a look, 2 failing/offline, 3 daemon not reachable); " +
        'with PATHs, the state of each file or folder',
    )
    .option('--config <file>', 'config file (default: the platform location, see `vosync config path`)')
    .option('--json', 'print the GET /status document (docs/schemas/status.json)')
    .option('--tray [flavour]', 'print a tray plugin menu: xbar (default, macOS) or argos (GNOME)')
    .option('--open', 'print a one-time link to the status page (and open it where a desktop is running)')
    .action(
      async (
        paths: string[],
        flags: ConfigFlags & { json?: boolean; tray?: string | boolean; open?: boolean },
        cmd: Command,
      ) => {
        const json = Boolean(flags.json ?? cmd.optsWithGlobals<{ json?: boolean }>().json);
        const flavour: TrayFlavour | undefined =
          flags.tray === undefined || flags.tray === false
            ? undefined
            : flags.tray === 'argos'
              ? 'argos'
              : 'xbar';
        if (typeof flags.tray === 'string' && flags.tray !== 'xbar' && flags.tray !== 'argos') {
          io.stderr.write(`vosync status: --tray takes xbar or argos, not ${flags.tray}\n`);
          return io.setExitCode(22);
        }
        if (flavour) {
          // A tray plugin always exits 0: the state is in what it prints.
          let configPath = flags.config;
          try {
            const c = clientFor(io, flags);
            configPath = c.configPath;
            const s = await c.client.call<StatusDoc>('GET', '/status');
            io.stdout.write(trayOutput(s, { flavour, self, common: ['--config', configPath] }));
          } catch (e) {
            const why = e instanceof ConfigError ? 'the config file has errors' : (e as Error).message;
            const common = configPath ? ['--config', configPath] : [];
            io.stdout.write(trayOutput({ unreachable: why }, { flavour, self, common }));
          }
          return io.setExitCode(0);
        }
        await guarded(io, 'status', async () => {
          const { client } = clientFor(io, flags);
          if (flags.open) {
            const s = await client.call<SessionDoc>('POST', '/session');
            io.stdout.write(
              `Status page (this link works once, within ${Math.round((s.expiresAt - Date.now()) / 60_000)} min):\n${s.url}\n`,
            );
            openBrowser(s.url);
            return 0;
          }
          if (paths.length > 0) return filesStatus(io, client, paths, json);
          const s = await client.call<StatusDoc>('GET', '/status');
          if (json) {
            io.stdout.write(JSON.stringify(s, null, 2) + '\n');
          } else {
            const [errors, conflicts, notSynced] = await Promise.all([
              client.call<ErrorsDoc>('GET', '/errors?limit=100'),
              client.call<ConflictsDoc>('GET', '/conflicts?limit=100'),
              client.call<NotSyncedDoc>('GET', '/not-synced?limit=20'),
            ]);
            io.stdout.write(
              humanSummary(s, {
                errors: errors.errors,
                conflicts: conflicts.conflicts,
                notSynced: notSynced.items,
              }),
            );
          }
          return healthCode(s);
        });
      },
    );

  const control = (name: 'pause' | 'resume' | 'rescan', description: string) =>
    program
      .command(`${name} [pair]`)
      .description(description)
      .option('--config <file>', 'config file (default: the platform location, see `vosync config path`)');

  control('pause', 'pause one pair (or all): nothing is transferred until resume').action(
    async (pair: string | undefined, flags: ConfigFlags) =>
      guarded(io, 'pause', async () => {
        const s = await clientFor(io, flags).client.call<StatusDoc>('POST', `/pause${pairQuery(pair)}`);
        io.stdout.write(`paused ${pair ?? `all ${s.pairs.length} pair(s)`}\n`);
        return 0;
      }),
  );

  control('resume', 'resume one pair (or all), e.g. after a safety pause')
    .option(
      '--confirm-deletes',
      'confirm the deletions the pause held back (those shown by vosync status, no others)',
    )
    .action(async (pair: string | undefined, flags: ConfigFlags & { confirmDeletes?: boolean }) =>
      guarded(io, 'resume', async () => {
        const q = new URLSearchParams();
        if (pair) q.set('pair', pair);
        if (flags.confirmDeletes) q.set('confirmDeletes', 'true');
        const qs = q.toString();
        let s: StatusDoc;
        try {
          s = await clientFor(io, flags).client.call<StatusDoc>('POST', `/resume${qs ? `?${qs}` : ''}`);
        } catch (e) {
          if (!(e instanceof DaemonUnreachable && flags.confirmDeletes)) throw e;
          // Unattended use (cron): no daemon to tell, so the confirmation is kept for the next run.
          const confirmed = await recordDeleteConfirmation(io, flags, pair);
          if (!confirmed) {
            io.stderr.write(`vosync resume: no pair named ${pair}\n`);
            return 2;
          }
          const held = confirmed.filter((c) => c.count > 0);
          const words = held.map((c) => `${c.name} (${c.count} deletion(s))`).join(', ');
          io.stdout.write(
            held.length > 0
              ? `vosync is not running: confirmation recorded for ${words}; the next \`vosync once\` or ` +
                  '`vosync daemon` carries out exactly these deletions (a different set pauses again)\n'
              : 'vosync is not running, and no pair holds deletions back: nothing to confirm\n',
          );
          return 0;
        }
        io.stdout.write(`resumed ${pair ?? `all ${s.pairs.length} pair(s)`}\n`);
        for (const p of s.pairs)
          if (flags.confirmDeletes && p.heldDeletes?.confirmed)
            io.stdout.write(
              `  ${p.name}: confirmed ${p.heldDeletes.local + p.heldDeletes.remote} deletion(s), as vosync status showed them\n`,
            );
        return 0;
      }),
    );

  control('rescan', 'rescan one pair (or all) now: list the server and walk the local folder').action(
    async (pair: string | undefined, flags: ConfigFlags) =>
      guarded(io, 'rescan', async () => {
        await clientFor(io, flags).client.call<StatusDoc>('POST', `/rescan${pairQuery(pair)}`);
        io.stdout.write(`rescan of ${pair ?? 'all pairs'} started\n`);
        return 0;
      }),
  );

  program
    .command('log')
    .description("the daemon's last actions in plain words (uploaded, downloaded, deleted to a trash, …)")
    .option('--config <file>', 'config file (default: the platform location, see `vosync config path`)')
    .option('-n, --limit <n>', 'how many, newest last', '50')
    .option('--pair <name>', 'only this pair')
    .action(async (flags: ConfigFlags & { limit: string; pair?: string }) =>
      guarded(io, 'log', async () => {
        const q = new URLSearchParams({ limit: flags.limit });
        if (flags.pair) q.set('pair', flags.pair);
        const a = await clientFor(io, flags).client.call<ActivityDoc>('GET', `/activity?${q.toString()}`);
        for (const x of [...a.activity].reverse()) {
          const at = new Date(x.at).toISOString().replace('T', ' ').slice(0, 19);
          const words = actionWords(x.action, x.path, x.result, { bytes: x.bytes, message: x.message });
          io.stdout.write(`${at}  ${x.pair}  ${words}\n`);
        }
        return 0;
      }),
    );

  program
    .command('reload')
    .description(
      'make the running daemon read its config file again (like SIGHUP); a file with mistakes changes nothing',
    )
    .option('--config <file>', 'config file (default: the platform location, see `vosync config path`)')
    .action(async (flags: ConfigFlags) =>
      guarded(io, 'reload', async () => {
        const r = await clientFor(io, flags).client.call<ReloadDoc>('POST', '/reload');
        if (!r.ok) {
          io.stderr.write(
            `vosync reload: ${r.file} has ${r.errors.length} problem(s); the daemon keeps its previous config:\n` +
              r.errors.map((e) => `  ${e}\n`).join(''),
          );
          return 1;
        }
        const lines = [`reloaded ${r.file}`];
        if (r.applied.length === 0) lines.push('  nothing changed');
        if (r.pairsAdded.length) lines.push(`  started: ${r.pairsAdded.join(', ')}`);
        if (r.pairsRemoved.length)
          lines.push(`  stopped: ${r.pairsRemoved.join(', ')} (their folders are left as they are)`);
        if (r.pairsRestarted.length) lines.push(`  restarted: ${r.pairsRestarted.join(', ')}`);
        const settings = r.applied.filter((a) => !a.startsWith('pairs.'));
        if (settings.length) lines.push(`  applied: ${settings.join(', ')}`);
        if (r.restartNeeded.length)
          lines.push(`  restart the daemon to apply: ${r.restartNeeded.join(', ')}`);
        io.stdout.write(lines.join('\n') + '\n');
        return 0;
      }),
    );

  registerService(program, { io, self });
}
