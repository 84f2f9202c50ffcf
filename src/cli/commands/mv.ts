/** `vosync mv` / `vmv`: server-side move or rename within one service; into a directory when DEST is one. */
import type { Command } from 'commander';
import { action, lazy, type CliIo } from '../common.js';

export function configureMv(cmd: Command, io: CliIo): Command {
  return cmd
    .description('move or rename remote nodes within one service (vmv)')
    .argument('<paths...>', 'SOURCE… DEST (remote); an existing directory DEST receives the sources')
    .action(
      action(
        io,
        lazy(async () => (await import('./mv-run.js')).runMv),
      ),
    );
}
