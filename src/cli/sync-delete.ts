/**
 * `vosync sync --delete`: what the destination has and the source does not, moved to a trash in the
 * destination (`.vosync-trash/STAMP/…`, on the server by a server-side move) rather than deleted, so no
 * byte is lost silently. CADC's vsync has no such option (it never deletes); this is rclone sync's and
 * rsync --delete's behaviour, made safe: excluded paths are left alone, a run in which anything failed
 * deletes nothing, and an empty source never empties the destination.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CliError, EXIT, type Ctx } from './common.js';
import type { PathFilter } from './commands/path-filter.js';
import { joinRemote, splitRemote } from './commands/targets.js';
import { VosError } from '../util/errors.js';

/** The trash folder's name, on either side (the daemon's remote trash has the same name). */
export const SYNC_TRASH = '.vosync-trash';

/** What the sync mirrored: the destination folders that stand for source folders, and every path it wrote. */
export interface MirrorScope {
  direction: 'up' | 'down';
  /** Destination folders that receive a source folder's contents (where relative paths start). */
  roots: string[];
  /** Destination folders that stand for a source folder (roots included), whose contents are compared. */
  dirs: string[];
  /** Destination paths of the source's files and folders. */
  known: Set<string>;
  /** Only the files directly in each folder were synced (--top-level): sub-folders are left alone. */
  topLevel: boolean;
}

export interface Extra {
  path: string;
  root: string;
  /** Relative to its root, '/'-separated. */
  rel: string;
  isDir: boolean;
}

function rootOf(p: string, roots: string[], up: boolean): string | undefined {
  const sep = up ? '/' : path.sep;
  return roots
    .filter((r) => p === r || p.startsWith(r.endsWith(sep) || r.endsWith(':') ? r : r + sep))
    .sort((a, b) => b.length - a.length)[0];
}

export type Children = (dir: string) => { name: string; isDir: boolean }[];

/** A local folder's entries (none when it does not exist yet, as in a dry run). */
export const localChildren: Children = (dir) =>
  (fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []).map((e) => ({
    name: e.name,
    isDir: e.isDirectory(),
  }));

/**
 * The destination's entries that the source does not have (excluded ones and the trash left out);
 * `children` reads a destination folder (for the server: the listings the sync read before copying).
 */
export function extrasOf(ctx: Ctx, scope: MirrorScope, filter: PathFilter, children: Children): Extra[] {
  const up = scope.direction === 'up';
  const extras: Extra[] = [];
  for (const dir of scope.dirs) {
    const root = rootOf(dir, scope.roots, up);
    if (!root) continue;
    for (const c of children(dir)) {
      if (c.name === SYNC_TRASH) continue;
      const full = up ? joinRemote(dir, c.name) : path.join(dir, c.name);
      if (scope.known.has(full) || (scope.topLevel && c.isDir)) continue;
      const relNative = up ? full.slice(root.replace(/\/+$/, '').length + 1) : path.relative(root, full);
      const rel = up
        ? relNative
            .split('/')
            .map((s) => ctx.names.decode(s))
            .join('/')
        : relNative.split(path.sep).join('/');
      if (filter.skips({ rel, full, isDir: c.isDir })) continue;
      extras.push({ path: full, root, rel: relNative.split(path.sep).join('/'), isDir: c.isDir });
    }
  }
  return extras;
}

const stamp = (t: number) => new Date(t).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);

/** Moves each extra into `ROOT/.vosync-trash/STAMP/REL`; returns where each one is kept. */
export async function moveToTrash(
  ctx: Ctx,
  direction: 'up' | 'down',
  extras: Extra[],
): Promise<{ path: string; keptAt: string }[]> {
  const when = stamp(ctx.io.now());
  const kept: { path: string; keptAt: string }[] = [];
  const made = new Set<string>();
  for (const x of extras) {
    if (direction === 'up') {
      let keptAt = joinRemote(joinRemote(joinRemote(x.root.replace(/\/+$/, ''), SYNC_TRASH), when), x.rel);
      const parent = splitRemote(keptAt).parent;
      if (!made.has(parent)) await ctx.client().mkdir(parent, { parents: true });
      made.add(parent);
      try {
        await ctx.client().move(x.path, keptAt);
      } catch (e) {
        // A version trashed under this name in the same second (another run): keep both.
        if (!(e instanceof VosError && e.kind === 'exists')) throw e;
        keptAt = `${keptAt}.${process.pid}-${ctx.io.now()}`;
        await ctx.client().move(x.path, keptAt);
      }
      kept.push({ path: x.path, keptAt });
    } else {
      const dest = path.join(x.root, SYNC_TRASH, when, ...x.rel.split('/'));
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      // A version trashed under this name in the same second (another run) is never written over.
      let keptAt = dest;
      for (let i = 2; fs.existsSync(keptAt); i++) keptAt = `${dest}.${i}`;
      fs.renameSync(x.path, keptAt);
      kept.push({ path: x.path, keptAt });
    }
    ctx.log.info(`${x.path}: not in the source; moved to ${kept[kept.length - 1]!.keptAt}`);
  }
  return kept;
}

/** Refuses what could empty a destination by mistake: a source with nothing in it. */
export function guardDeletes(sourceEntries: number, extras: number): void {
  if (sourceEntries === 0 && extras > 0)
    throw new CliError(
      `the source is empty: --delete would move all ${extras} entries of the destination to its trash; nothing deleted`,
      EXIT.invalid,
    );
}

export interface MirrorRun {
  direction: 'up' | 'down';
  dryRun: boolean;
  topLevel: boolean;
  /** Files that failed in this run: any failure and nothing is deleted. */
  failed: number;
  mirror: Omit<MirrorScope, 'direction' | 'topLevel'>;
  children: Children;
}

/** --delete after the copies: the extras listed (dry run) or moved to the trash, in words and for --json. */
export async function mirrorDeletes(
  ctx: Ctx,
  run: MirrorRun,
  filter: PathFilter,
): Promise<{ path: string; keptAt: string | null }[]> {
  if (run.failed > 0) {
    ctx.log.warn(`--delete: nothing deleted, because ${run.failed} file(s) failed; run again once they pass`);
    return [];
  }
  const scope = { ...run.mirror, direction: run.direction, topLevel: run.topLevel };
  const extras = extrasOf(ctx, scope, filter, run.children);
  guardDeletes(run.mirror.known.size, extras.length);
  if (run.dryRun) {
    for (const x of extras) ctx.out(`would delete ${x.path} (to ${SYNC_TRASH}/)\n`);
    return extras.map((x) => ({ path: x.path, keptAt: null }));
  }
  const kept = await moveToTrash(ctx, run.direction, extras);
  for (const k of kept) ctx.out(`deleted ${k.path} (kept as ${k.keptAt})\n`);
  return kept;
}
