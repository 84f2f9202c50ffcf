/**
 * `vosync sync` / `vsync`: one-shot copy-if-changed of directory trees, local → remote (like vsync) or
 * remote → local. Remote state comes from one listing per directory; local MD5s from a SQLite cache keyed
 * by path, size, mtime and inode, so an unchanged second run neither hashes nor sends anything. Files move
 * in parallel streams (-j/--nstreams). Nothing is deleted on either side unless --delete (sync-delete.ts),
 * and then to a trash. Every failure names the file; the run ends with a summary and exits 1 when any file
 * failed.
 */
import type { Command } from 'commander';
import { action, collect, type CliIo, type Ctx } from './common.js';

export const MAX_STREAMS = 30;

export interface SyncOptions {
  recursive?: boolean;
  topLevel?: boolean;
  nstreams?: string;
  jobs?: string;
  exclude?: string[];
  include?: string[];
  includeRegex?: string[];
  overwrite?: boolean;
  ignoreChecksum?: boolean;
  cache_nodes?: boolean;
  cache_filename?: string;
  dryRun?: boolean;
  delete?: boolean;
}

export function configureSync(cmd: Command, io: CliIo, dialect: 'vosync' | 'vostools' = 'vosync'): Command {
  const c = cmd
    .description(
      'copy new and changed files between a local tree and VOSpace (vsync); recursive, parallel, never deletes',
    )
    .argument('<paths...>', 'SOURCE… DEST: local sources → remote DEST, or remote sources → local DEST')
    .option('-j, --jobs <n>', `parallel streams (default 5, at most ${MAX_STREAMS})`)
    .option('-n, --nstreams <n>', 'same as -j (vsync spelling)')
    .option(
      '--exclude <patterns>',
      'skip paths matching these comma-separated patterns (globs or substrings)',
      collect,
    )
    .option('--dry-run', 'show what would be copied; copy nothing')
    .option(
      '--delete',
      'move what DEST has and the source has not to DEST/.vosync-trash/STAMP/ (not in vsync; like rclone sync)',
    )
    .option('--overwrite', 'copy every file even when the destination looks identical')
    .option('--ignore-checksum', 'decide by size and date only (no MD5s)')
    .option('-r, --recursive', 'accepted for vsync compatibility: sync always descends into directories')
    .option('--top-level', 'only the files directly inside each source directory')
    .option(
      '--cache_filename <file>',
      'the local MD5 cache (SQLite; default ~/.cache/vosync/md5-cache.sqlite)',
    )
    .option('--cache_nodes', 'accepted for vsync compatibility; remote state is always read from listings');
  if (dialect === 'vostools') {
    c.option('--include <regex>', 'only paths matching this regular expression (vsync semantics)', collect);
  } else {
    c.option('--include <patterns>', 'only paths matching these patterns (wins over --exclude)', collect);
    c.option('--include-regex <regex>', 'only paths matching this regular expression', collect);
  }
  return c.action(
    action(io, async (ctx: Ctx, paths: string[], opts: SyncOptions) => {
      const { runSync } = await import('./sync-run.js');
      return runSync(
        ctx,
        paths,
        dialect === 'vostools' ? { ...opts, includeRegex: opts.include, include: [] } : opts,
      );
    }),
  );
}
