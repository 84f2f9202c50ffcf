/**
 * Relative POSIX paths inside a pair root, and the Unicode normalisation rule: the index and every tree
 * compare names in NFC (macOS writes NFD, Linux keeps whatever bytes it was given), while the disk may
 * hold another form. `resolveDiskPath` finds the real on-disk spelling of an NFC path when needed.
 */
import fs from 'node:fs';
import { joinPath, parentOf } from '../../util/rel-path.js';

// eslint-disable-next-line no-control-regex
const ASCII_ONLY = /^[\x00-\x7f]*$/;

export function isAscii(name: string): boolean {
  return ASCII_ONLY.test(name);
}

/** NFC form of a name; ASCII (the common case) is returned as is without calling into ICU. */
export function toNfc(name: string): string {
  return ASCII_ONLY.test(name) ? name : name.normalize('NFC');
}

/** Absolute on-disk path of a relative on-disk path. */
export function absOf(root: string, rel: string): string {
  // Forward slashes work on every platform Node runs on, Windows included.
  return rel === '' ? root : `${root}/${rel}`;
}

/** True when `rel` or one of its ancestors is a member of `set`. */
export function isInOrUnder(rel: string, set: ReadonlySet<string>): boolean {
  if (set.size === 0) return false;
  if (set.has('')) return true;
  let p = rel;
  for (;;) {
    if (set.has(p)) return true;
    const i = p.lastIndexOf('/');
    if (i < 0) return false;
    p = p.slice(0, i);
  }
}

export interface ResolvedDiskPath {
  /** Relative on-disk spelling (POSIX separators). */
  diskRel: string;
  stats: fs.Stats;
}

/**
 * Finds the on-disk spelling of an NFC relative path, walking one component at a time with lstat so that no
 * symbolic link is ever followed: a link on the way yields `undefined`, as does a missing component; the last
 * component may be a link (its lstat is returned).
 * Non-ASCII components that do not exist under their NFC spelling are looked up by listing the parent.
 */
export function resolveDiskPath(root: string, relNfc: string): ResolvedDiskPath | undefined {
  let stats = fs.statSync(root, { throwIfNoEntry: false });
  if (!stats?.isDirectory()) return undefined;
  if (relNfc === '') return { diskRel: '', stats };
  let diskRel = '';
  const parts = relNfc.split('/');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (!stats.isDirectory()) return undefined;
    let candidate = joinPath(diskRel, part);
    let next = fs.lstatSync(absOf(root, candidate), { throwIfNoEntry: false });
    if (!next && !ASCII_ONLY.test(part)) {
      const onDisk = findByNfc(absOf(root, diskRel), part);
      if (onDisk !== undefined) {
        candidate = joinPath(diskRel, onDisk);
        next = fs.lstatSync(absOf(root, candidate), { throwIfNoEntry: false });
      }
    }
    // A link on the way would lead outside the tree; a link at the end is returned for the caller to report.
    if (!next || (next.isSymbolicLink() && i < parts.length - 1)) return undefined;
    diskRel = candidate;
    stats = next;
  }
  return { diskRel, stats };
}

function findByNfc(absDir: string, nfcName: string): string | undefined {
  let names: string[];
  try {
    names = fs.readdirSync(absDir);
  } catch {
    return undefined;
  }
  return names.find((n) => toNfc(n) === nfcName);
}

/**
 * The on-disk relative spelling of an NFC path, for reading or writing it: the path as it is on disk when it
 * exists there, else its parent's disk spelling with the new name, else the NFC path itself.
 */
export function diskRelOf(root: string, relNfc: string): string {
  if (ASCII_ONLY.test(relNfc)) return relNfc;
  const found = resolveDiskPath(root, relNfc);
  if (found) return found.diskRel;
  const parent = parentOf(relNfc);
  const name = relNfc.slice(parent === '' ? 0 : parent.length + 1);
  const parentFound = parent === '' ? undefined : resolveDiskPath(root, parent);
  return parentFound ? joinPath(parentFound.diskRel, name) : relNfc;
}
