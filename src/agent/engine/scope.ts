/**
 * The part of a pair a watcher-triggered cycle looks at: the changed paths, each with its whole subtree, under
 * ancestors that are settled folders (a folder locally, on the server and in the last synced state). Below such
 * an ancestor the planner only descends, so leaving its other children out of the plan cannot change what it
 * decides for the changed ones; a changed path under an unsettled ancestor widens to that ancestor. Pure.
 */
import { properAncestors } from '../reconcile/paths.js';

/** Most paths a scoped cycle takes; a bigger batch runs as a full cycle (one listing beats many lookups). */
export const MAX_SCOPE_PATHS = 2000;

export interface Scope {
  /** Changed paths to observe and plan with their subtrees, none below another, sorted. */
  roots: string[];
  /** The roots' proper ancestors (without the pair root): settled folders the planner descends through. */
  ancestors: string[];
}

/**
 * The scope of a batch of changed paths, or why the cycle must look at the whole pair instead.
 * `settledFolder(p)`: p is a folder in the local, remote and base trees alike.
 */
export function scopeOf(
  changed: readonly string[],
  settledFolder: (p: string) => boolean,
): Scope | { whole: string } {
  if (changed.length === 0) return { whole: 'no changed paths' };
  if (changed.length > MAX_SCOPE_PATHS) return { whole: `${changed.length} changed paths` };
  if (changed.includes('')) return { whole: 'the pair root changed' };
  const settled = new Map<string, boolean>();
  const isSettled = (p: string): boolean => {
    let s = settled.get(p);
    if (s === undefined) settled.set(p, (s = settledFolder(p)));
    return s;
  };
  const widened = new Set<string>();
  for (const p of changed) {
    // The top-most unsettled ancestor: everything below it is planned together.
    const unsettled = properAncestors(p)
      .reverse()
      .find((a) => !isSettled(a));
    widened.add(unsettled ?? p);
  }
  const roots = topMost([...widened]);
  const ancestors = new Set<string>();
  for (const r of roots) for (const a of properAncestors(r)) ancestors.add(a);
  return { roots, ancestors: [...ancestors].sort() };
}

/** The paths of a set that are not below another one of the set, each once, sorted. */
export function topMost(paths: Iterable<string>): string[] {
  const set = new Set(paths);
  return [...set].filter((p) => !properAncestors(p).some((a) => set.has(a))).sort();
}
