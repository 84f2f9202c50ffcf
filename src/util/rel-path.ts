/**
 * '/'-joined relative paths, the root being '': inside a sync pair (index keys, on-disk spellings) and below a
 * VOSpace service's root (node paths). Pure string work; no platform path rules.
 */

/** The parent of a path (`''` for a top-level name, and for the root itself). */
export function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

/** The last component of a path. */
export function nameOf(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** `parent/name`, or `name` at the root (`parent === ''`). */
export function joinPath(parent: string, name: string): string {
  return parent === '' ? name : `${parent}/${name}`;
}
