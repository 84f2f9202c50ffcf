/** Relative POSIX path helpers for the reconciler (root = ''). */
import { parentOf } from '../../util/rel-path.js';

/** True when `p` lies strictly below `ancestor` (the root '' is above everything). */
export function isBelow(p: string, ancestor: string): boolean {
  if (ancestor === '') return p !== '';
  return p.length > ancestor.length && p.startsWith(ancestor) && p.charCodeAt(ancestor.length) === 47;
}

export function isAtOrBelow(p: string, ancestor: string): boolean {
  return p === ancestor || isBelow(p, ancestor);
}

/** Proper ancestors of `p`, nearest first, excluding the root ''. */
export function properAncestors(p: string): string[] {
  const out: string[] = [];
  for (let q = parentOf(p); q !== ''; q = parentOf(q)) out.push(q);
  return out;
}

/** `p` with its prefix `from` replaced by `to` (p must be at or below `from`). */
export function rebase(p: string, from: string, to: string): string {
  return p === from ? to : to + p.slice(from.length);
}

/**
 * Segment-wise order: a folder sorts before its contents and a subtree stays contiguous
 * ('a' < 'a/b' < 'a-c'), independent of locale.
 */
export function comparePaths(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let ca = a.charCodeAt(i);
    let cb = b.charCodeAt(i);
    if (ca === cb) continue;
    if (ca === 47) ca = -1;
    if (cb === 47) cb = -1;
    return ca - cb;
  }
  return a.length - b.length;
}

/** The key under which a case-insensitive file system sees a path. */
export function foldCase(p: string): string {
  return p.toLowerCase();
}

/** Sorted children of every node of a set of paths (ancestors included implicitly). */
export class TreeIndex {
  private readonly kids = new Map<string, string[]>();

  constructor(paths: Iterable<string>) {
    const all = new Set<string>();
    for (const p of paths) {
      for (let q = p; q !== '' && !all.has(q); q = parentOf(q)) all.add(q);
    }
    for (const p of all) {
      const parent = parentOf(p);
      const list = this.kids.get(parent);
      if (list) list.push(p);
      else this.kids.set(parent, [p]);
    }
    for (const list of this.kids.values()) list.sort(comparePaths);
  }

  children(p: string): readonly string[] {
    return this.kids.get(p) ?? [];
  }

  /** Every path strictly below `p`, parents before children, in path order. */
  descendants(p: string): string[] {
    const out: string[] = [];
    const walk = (q: string): void => {
      for (const c of this.children(q)) {
        out.push(c);
        walk(c);
      }
    };
    walk(p);
    return out;
  }
}
