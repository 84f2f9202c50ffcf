/**
 * `vosync resolve PATH --keep local|remote|both`: ends a conflict by the user's choice, with local moves only
 * (the next sync carries them to the server). PATH is the file or one of its conflict copies. `remote` keeps
 * the version under the name (the copy goes to the trash), `local` puts the copy's version under the name
 * (the other to the trash), `both` keeps both under ordinary names.
 */
import type { Command } from 'commander';
import { action, lazy, type CliIo } from './common.js';

export function registerResolve(program: Command, io: CliIo): void {
  program
    .command('resolve <path>')
    .description('end a conflict: --keep remote (the version under the name), local (the copy) or both')
    .requiredOption('--keep <which>', 'local, remote or both')
    .option('--config <file>', 'config file')
    .action(
      action(
        io,
        lazy(async () => (await import('./resolve-run.js')).runResolve),
      ),
    );
}
