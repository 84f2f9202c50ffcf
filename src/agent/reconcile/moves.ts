/**
 * Rename/move detection. A path that vanished on one side ("gone": in base, absent on that side, unchanged on
 * the other) plus a path that appeared on the same side ("fresh": no base, absent on the other side) holding the
 * same thing is a rename: it is replayed on the other side (moveRemote / renameLocal) instead of delete + copy.
 *
 * Files match by size + MD5 against base, or (local side only) by base inode with equal size and mtime. A folder
 * matches when its whole subtree moved: same relative paths and kinds, every file matching, and the other side's
 * copy of the old subtree unchanged and without additions. Only unambiguous pairs are taken: the gone item has
 * exactly one fresh candidate and that candidate matches nothing else. Folders are matched before files, outer
 * folders before inner ones, so a renamed folder costs one move.
 */
import type { BaseEntry, EntryKind, LocalEntry, RemoteEntry } from '../model.js';
import { localSameAsBase, md5Equal, remoteSameAsBase } from './compare.js';
import { comparePaths, isAtOrBelow, properAncestors, rebase, TreeIndex } from './paths.js';

export interface Views {
  local: ReadonlyMap<string, LocalEntry>;
  remote: ReadonlyMap<string, RemoteEntry>;
  base: ReadonlyMap<string, BaseEntry>;
}

export interface DetectedMove {
  /** The side where the user renamed; the move is replayed on the other side. */
  movedSide: 'local' | 'remote';
  from: string;
  to: string;
  kind: EntryKind;
  /** `from` and every known path below it (any tree), for re-keying. */
  subtree: string[];
}

type Entry = LocalEntry | RemoteEntry;

function fileMatches(movedSide: 'local' | 'remote', e: Entry, b: BaseEntry): boolean {
  if (e.kind !== 'file' || b.kind !== 'file' || e.size !== b.size) return false;
  if (e.md5 !== undefined && b.md5 !== undefined && md5Equal(e.md5, b.md5)) return true;
  if (movedSide === 'local') {
    const l = e as LocalEntry;
    return l.ino === b.localIno && l.mtimeMs === b.localMtimeMs;
  }
  return false;
}

function isLocalInoMatch(movedSide: 'local' | 'remote', e: Entry, b: BaseEntry): boolean {
  if (movedSide !== 'local' || e.kind !== 'file' || e.size !== b.size) return false;
  const l = e as LocalEntry;
  return l.ino === b.localIno && l.mtimeMs === b.localMtimeMs;
}

function rel(p: string, root: string): string {
  return p.slice(root.length + 1);
}

/** Relative paths, kinds and sizes below `root`, as one comparable string. */
function signature(view: ReadonlyMap<string, Entry | BaseEntry>, tree: TreeIndex, root: string): string {
  const parts: string[] = [];
  for (const d of tree.descendants(root)) {
    const e = view.get(d);
    if (!e) continue;
    parts.push(e.kind === 'dir' ? `${rel(d, root)}\u0000d` : `${rel(d, root)}\u0000f${e.size}`);
  }
  return parts.join('\u0001');
}

/**
 * Finds renames made on `movedSide`. `allow` says whether a move is acceptable (mode gates, target checks are
 * done here).
 */
export function detectMoves(views: Views, movedSide: 'local' | 'remote'): DetectedMove[] {
  const moved: ReadonlyMap<string, Entry> = movedSide === 'local' ? views.local : views.remote;
  const other: ReadonlyMap<string, Entry> = movedSide === 'local' ? views.remote : views.local;
  const base = views.base;
  const otherSame = (e: Entry, b: BaseEntry): boolean =>
    movedSide === 'local' ? remoteSameAsBase(e as RemoteEntry, b) : localSameAsBase(e as LocalEntry, b);

  const gone: string[] = [];
  for (const [g, b] of base) {
    const o = other.get(g);
    if (!moved.has(g) && o && otherSame(o, b)) gone.push(g);
  }
  const fresh: string[] = [];
  for (const n of moved.keys()) if (!base.has(n) && !other.has(n)) fresh.push(n);
  if (gone.length === 0 || fresh.length === 0) return [];
  gone.sort(comparePaths);
  fresh.sort(comparePaths);
  const tree = new TreeIndex([...views.local.keys(), ...views.remote.keys(), ...base.keys()]);

  // The other side must be able to hold the target: its ancestors there are folders or absent.
  const targetOk = (n: string): boolean =>
    properAncestors(n).every((a) => {
      const o = other.get(a);
      return !o || o.kind === 'dir';
    });

  const moves: DetectedMove[] = [];
  const usedGone = new Set<string>();
  const usedFresh = new Set<string>();
  const consumed = (p: string, roots: Set<string>): boolean =>
    roots.has(p) || properAncestors(p).some((a) => roots.has(a));

  // Folders first.
  const goneDirs = gone.filter((g) => base.get(g)?.kind === 'dir');
  const freshDirs = fresh.filter((n) => moved.get(n)?.kind === 'dir');
  if (goneDirs.length > 0 && freshDirs.length > 0) {
    const freshBySig = new Map<string, string[]>();
    for (const n of freshDirs) {
      const sig = signature(moved, tree, n);
      const list = freshBySig.get(sig);
      if (list) list.push(n);
      else freshBySig.set(sig, [n]);
    }
    const otherSubtreeUnchanged = (g: string): boolean =>
      tree.descendants(g).every((d) => {
        const b = base.get(d);
        const o = other.get(d);
        if (!b) return !o; // something new under the old folder on the other side
        return o !== undefined && otherSame(o, b);
      });
    const subtreeMatches = (g: string, n: string): boolean =>
      tree.descendants(g).every((d) => {
        const b = base.get(d);
        if (!b) return true;
        const e = moved.get(rebase(d, g, n));
        if (!e || e.kind !== b.kind) return false;
        return b.kind === 'dir' || fileMatches(movedSide, e, b);
      });
    const candidates = new Map<string, string[]>();
    const reverse = new Map<string, number>();
    for (const g of goneDirs) {
      const list = (freshBySig.get(signature(base, tree, g)) ?? []).filter(
        (n) => !isAtOrBelow(n, g) && subtreeMatches(g, n),
      );
      if (list.length === 0 || !otherSubtreeUnchanged(g)) continue;
      candidates.set(g, list);
      for (const n of list) reverse.set(n, (reverse.get(n) ?? 0) + 1);
    }
    for (const g of goneDirs) {
      const list = candidates.get(g);
      const n = list?.[0];
      if (!list || list.length !== 1 || n === undefined || reverse.get(n) !== 1) continue;
      if (consumed(g, usedGone) || consumed(n, usedFresh) || !targetOk(n)) continue;
      moves.push({ movedSide, from: g, to: n, kind: 'dir', subtree: [g, ...tree.descendants(g)] });
      usedGone.add(g);
      usedFresh.add(n);
    }
  }

  // Then files not inside a moved folder.
  const goneFiles = gone.filter((g) => base.get(g)?.kind === 'file' && !consumed(g, usedGone));
  const freshFiles = fresh.filter((n) => moved.get(n)?.kind === 'file' && !consumed(n, usedFresh));
  if (goneFiles.length > 0 && freshFiles.length > 0) {
    const byContent = new Map<string, string[]>();
    const byIno = new Map<number, string[]>();
    for (const n of freshFiles) {
      const e = moved.get(n);
      if (!e) continue;
      if (e.md5 !== undefined) {
        const key = `${e.size}:${e.md5.toLowerCase()}`;
        const list = byContent.get(key);
        if (list) list.push(n);
        else byContent.set(key, [n]);
      }
      if (movedSide === 'local') {
        const ino = (e as LocalEntry).ino;
        const list = byIno.get(ino);
        if (list) list.push(n);
        else byIno.set(ino, [n]);
      }
    }
    const candidates = new Map<string, string[]>();
    const reverse = new Map<string, number>();
    for (const g of goneFiles) {
      const b = base.get(g);
      if (!b) continue;
      const inoHits = (byIno.get(b.localIno) ?? []).filter((n) => {
        const e = moved.get(n);
        return e !== undefined && isLocalInoMatch(movedSide, e, b);
      });
      let list: string[];
      if (inoHits.length === 1)
        list = inoHits; // the same file, renamed: stronger than equal content
      else {
        const byMd5 = b.md5 !== undefined ? (byContent.get(`${b.size}:${b.md5.toLowerCase()}`) ?? []) : [];
        list = [...new Set([...inoHits, ...byMd5])].filter((n) => {
          const e = moved.get(n);
          return e !== undefined && fileMatches(movedSide, e, b);
        });
      }
      if (list.length === 0) continue;
      candidates.set(g, list);
      for (const n of list) reverse.set(n, (reverse.get(n) ?? 0) + 1);
    }
    for (const g of goneFiles) {
      const list = candidates.get(g);
      const n = list?.[0];
      if (!list || list.length !== 1 || n === undefined || reverse.get(n) !== 1 || !targetOk(n)) continue;
      moves.push({ movedSide, from: g, to: n, kind: 'file', subtree: [g] });
    }
  }
  return moves;
}

/** Re-keys the records of a detected move's subtree from below `from` to below `to` (`path` fields follow). */
export function rekeySubtree<T extends { path: string }>(map: Map<string, T>, move: DetectedMove): void {
  const hits: [string, T][] = [];
  for (const p of move.subtree) {
    const e = map.get(p);
    if (e) hits.push([p, e]);
  }
  for (const [p] of hits) map.delete(p);
  for (const [p, e] of hits) {
    const np = rebase(p, move.from, move.to);
    map.set(np, { ...e, path: np });
  }
}
