/** `vosync daemon` and `vosync demo` (what `npm start` runs). */
import type { Command } from 'commander';
import { action, lazy, type CliIo } from './common.js';

export function registerDaemon(program: Command, io: CliIo): void {
  program
    .command('daemon')
    .description('run the sync daemon for every pair in the config (Ctrl-C or SIGTERM stops it safely)')
    .option('--config <file>', 'config file (default: the platform location, see `vosync config path`)')
    .option('-v, --verbose', 'debug logging')
    .action(
      action(
        io,
        lazy(async () => (await import('./daemon-run.js')).runDaemonCommand),
      ),
    );

  program
    .command('demo')
    .description('start an embedded server, a demo folder and the daemon (what `npm start` runs)')
    .option('--dir <dir>', 'where the demo keeps its files', '.vosync-demo')
    .action(
      action(
        io,
        lazy(async () => (await import('./daemon-run.js')).runDemo),
      ),
    );
}
