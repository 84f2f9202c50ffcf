/**
 * `vosync cp` / `vcp`: files and directories, local → remote and remote → local (and server-side copies
 * within one service). The whole copy is planned first (so the progress bar knows the total), then run in
 * order; every failure names the file. vcp's destination rules apply: an existing directory (or a name
 * ending in '/') receives the source inside it.
 */
import type { Command } from 'commander';
import { action, collect, lazy, type CliIo } from '../common.js';

export function configureCp(cmd: Command, io: CliIo): Command {
  return cmd
    .description('copy files and directories to or from VOSpace (vcp); directories are copied recursively')
    .argument(
      '<paths...>',
      'SOURCE… DEST: local paths and/or vos:/arc: nodes (wildcards in remote names; a remote FITS file may end ' +
        'in a cutout: f.fits[1][1:100,1:100], f.fits(RA,DEC,RADIUS))',
    )
    .option('--exclude <patterns>', 'skip files matching these comma-separated patterns', collect)
    .option('--include <patterns>', 'copy only files matching these patterns (wins over --exclude)', collect)
    .option('-i, --interrogate', 'ask before overwriting an existing file')
    .option('--overwrite', 'obsolete vcp option, accepted and ignored (files are always replaced)')
    .option('--quick', 'obsolete vcp option, accepted and ignored')
    .option(
      '-L, --follow-links',
      'follow symbolic links (local) and link nodes (remote) instead of skipping them',
    )
    .option('--ignore', 'keep going after a failed file; exit 1 at the end if any failed')
    .option('--head', 'copy only the FITS headers of remote files')
    .action(
      action(
        io,
        lazy(async () => (await import('./cp-run.js')).runCp),
      ),
    );
}
