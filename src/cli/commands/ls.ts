/** `vosync ls` / `vls`: names, or vls's exact long layout, optionally recursive (-R) or as JSON. */
import type { Command } from 'commander';
import { action, lazy, type CliIo } from '../common.js';

export function configureLs(cmd: Command, io: CliIo): Command {
  return cmd
    .description('list remote nodes (vls); -l prints the vls long layout column for column')
    .helpOption('--help', 'show help')
    .argument(
      '<nodes...>',
      'remote nodes such as vos:alice/ or arc:home/alice; wildcards allowed in the last part',
    )
    .option('-l, --long', 'long listing: permissions, creator, groups, lock, size, date, name')
    .option('-g, --group', 'show group read/write columns (without the creator unless -l)')
    .option('-h, --human', 'human-readable sizes (B, K, M, G, T)')
    .option('-S, --Size', 'sort by size, largest first')
    .option('-t, --time', 'sort by date, newest first')
    .option('-r, --reverse', 'reverse the sort order')
    .option('-R, --recursive', 'list containers recursively')
    .action(
      action(
        io,
        lazy(async () => (await import('./ls-run.js')).runLs),
      ),
    );
}
