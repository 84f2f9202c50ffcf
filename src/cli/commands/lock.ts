/** `vosync lock` / `vlock`: lock or unlock a node; without --lock/--unlock report the state (exit 0 = locked). */
import type { Command } from 'commander';
import { action, lazy, type CliIo } from '../common.js';

export function configureLock(cmd: Command, io: CliIo): Command {
  return cmd
    .description(
      'lock or unlock a node against changes; with neither option, tell whether it is locked (vlock)',
    )
    .argument('<node>', 'remote node')
    .option('--lock', 'lock the node')
    .option('--unlock', 'unlock the node')
    .action(
      action(
        io,
        lazy(async () => (await import('./lock-run.js')).runLock),
      ),
    );
}
