/**
 * `vosync rm` / `vrm` and `vosync rmdir` / `vrmdir`. Unlike vrm, which silently ignores a directory given
 * without -R, rm refuses it with an error (exit 21), so a script notices that nothing was deleted.
 */
import type { Command } from 'commander';
import { action, lazy, type CliIo } from '../common.js';

export function configureRm(cmd: Command, io: CliIo): Command {
  return cmd
    .description('remove remote files and links; with -R whole directories (vrm)')
    .argument('<nodes...>', 'remote nodes to remove (wildcards allowed in the last part)')
    .option('-R, --recursive', 'remove directories and everything below them')
    .option('-r', 'same as -R')
    .action(
      action(
        io,
        lazy(async () => (await import('./rm-run.js')).runRm),
      ),
    );
}

export function configureRmdir(cmd: Command, io: CliIo): Command {
  return cmd
    .description('remove empty remote directories (vrmdir)')
    .argument('<nodes...>', 'remote directories to remove')
    .action(
      action(
        io,
        lazy(async () => (await import('./rm-run.js')).runRmdir),
      ),
    );
}
