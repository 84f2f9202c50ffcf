/**
 * `vosync trash list` and `vosync restore`: the versions vosync moved aside (replaced or deleted, on either
 * side), and bringing one back to its place in the local folder, from where it syncs like any change.
 * Nothing is overwritten: a file in the way goes to the local trash first.
 */
import type { Command } from 'commander';
import { action, lazy, type CliIo } from './common.js';

export function registerTrash(program: Command, io: CliIo): void {
  const trash = program.command('trash').description('the versions vosync moved to a trash, on either side');
  trash
    .command('list [pair]')
    .description('list every kept version, newest first: when, which side, size and path')
    .option('--config <file>', 'config file')
    .action(
      action(
        io,
        lazy(async () => (await import('./trash-run.js')).runTrashList),
      ),
    );

  program
    .command('restore <path>')
    .description('put a trashed version back in place (the newest unless --version); it then syncs')
    .option('--version <stamp>', 'the trash folder of the version to restore (see vosync trash list)')
    .option('--config <file>', 'config file')
    .action(
      action(
        io,
        lazy(async () => (await import('./trash-run.js')).runRestore),
      ),
    );
}
