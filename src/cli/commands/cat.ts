/**
 * `vosync cat` / `vcat`: write remote files to stdout, byte for byte (a cutout suffix: that cutout; --head:
 * the FITS headers only).
 */
import type { Command } from 'commander';
import { action, lazy, type CliIo } from '../common.js';

export function configureCat(cmd: Command, io: CliIo): Command {
  return cmd
    .description('print remote files to standard output (vcat)')
    .argument('<nodes...>', 'remote files, each may end in a cutout as for cp: f.fits[1][1:100,1:100]')
    .option('--head', 'print only the FITS headers')
    .option('-q, --quiet', 'do not print error messages (the exit code still tells)')
    .action(
      action(
        io,
        lazy(async () => (await import('./cat-run.js')).runCat),
      ),
    );
}
