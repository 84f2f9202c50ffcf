/**
 * `vosync status` (summary, --json, --tray for xbar/Argos, --open for the status page), `vosync pause`,
 * `vosync resume`, `vosync rescan`, `vosync reload`: all talk to the running daemon's loopback status API. The API token is
 * read from its file and never printed; `--open` prints a one-time link instead.
 * `vosync service …` (run as a login service) lives in service-cmd.ts and is registered from here.
 */
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { action, lazy, processIo, type CliIo, type Ctx } from './common.js';
import { registerService } from './service-cmd.js';
import type { StatusFlags } from './status-run.js';

export interface StatusDeps {
  io?: CliIo;
  /** How to run vosync again, for the tray menu's actions (default: this node and this script). */
  self?: string[];
  /** Opens a URL in a browser (default: xdg-open / open / start, only where a desktop is likely). */
  openBrowser?: (url: string) => void;
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
    .option('--json', 'print the GET /status document (docs/schemas/status.json) in the --json envelope')
    .option('--tray [flavour]', 'print a tray plugin menu: xbar (default, macOS) or argos (GNOME)')
    .option('--open', 'print a one-time link to the status page (and open it where a desktop is running)')
    .action(
      action(io, async (ctx: Ctx, paths: string[], flags: StatusFlags) =>
        (await import('./status-run.js')).runStatus(ctx, paths, flags, { self, openBrowser }),
      ),
    );

  const control = (name: 'pause' | 'resume' | 'rescan', description: string) =>
    program
      .command(`${name} [pair]`)
      .description(description)
      .option('--config <file>', 'config file (default: the platform location, see `vosync config path`)');

  control('pause', 'pause one pair (or all): nothing is transferred until resume').action(
    action(
      io,
      lazy(async () => (await import('./status-run.js')).runPause),
    ),
  );

  control('resume', 'resume one pair (or all), e.g. after a safety pause')
    .option(
      '--confirm-deletes',
      'confirm the deletions the pause held back (those shown by vosync status, no others)',
    )
    .action(
      action(
        io,
        lazy(async () => (await import('./status-run.js')).runResume),
      ),
    );

  control('rescan', 'rescan one pair (or all) now: list the server and walk the local folder').action(
    action(
      io,
      lazy(async () => (await import('./status-run.js')).runRescan),
    ),
  );

  program
    .command('log')
    .description("the daemon's last actions in plain words (uploaded, downloaded, deleted to a trash, …)")
    .option('--config <file>', 'config file (default: the platform location, see `vosync config path`)')
    .option('-n, --limit <n>', 'how many, newest last', '50')
    .option('--pair <name>', 'only this pair')
    .action(
      action(
        io,
        lazy(async () => (await import('./status-run.js')).runLog),
      ),
    );

  program
    .command('reload')
    .description(
      'make the running daemon read its config file again (like SIGHUP); a file with mistakes changes nothing',
    )
    .option('--config <file>', 'config file (default: the platform location, see `vosync config path`)')
    .action(
      action(
        io,
        lazy(async () => (await import('./status-run.js')).runReload),
      ),
    );

  registerService(program, { io, self });
}
