/**
 * Conflict-copy names: `name.conflict-YYYYMMDD-HHMMSS-host.ext`, time in UTC from an injected clock. The name
 * needs no encoding on any VOSpace service (letters, digits, `.` and `-` only are added), so a conflict copy
 * syncs like any file and every machine sees both versions. The extension is the last `.ext` of a file's name
 * (none for dotfiles like `.bashrc` and for folders). A name that already carries a conflict marker (also the
 * older `name (conflicted copy YYYY-MM-DD HHMMSS host).ext`) gets a fresh marker instead of a second one, so
 * conflicts of conflict copies do not pile up markers. If the name is taken, a counter follows the host:
 * `….conflict-20261201-221815-laptop-2.ext`.
 */
import type { RemoteEntry } from '../model.js';
import { joinPath, nameOf, parentOf } from '../../util/rel-path.js';

const MARKER = /\.conflict-\d{8}-\d{6}-[A-Za-z0-9-]+$/;
const MARKER_PARTS = /\.conflict-(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})-([A-Za-z0-9-]+)(?:\.[^.]*)?$/;
const OLD_MARKER = / \(conflicted copy \d{4}-\d{2}-\d{2} \d{6} [^()]*\)$/;
const HOST_MAX = 40;

export interface ConflictNameOptions {
  /** Epoch ms. */
  now: number;
  host: string;
  /** Folders keep dots in their names (no extension split). */
  isDir?: boolean;
  /** Says whether a candidate path is already used (either side, base, or another planned name). */
  isTaken: (candidate: string) => boolean;
}

/** `YYYYMMDD-HHMMSS` in UTC. */
export function conflictStamp(now: number): string {
  const iso = new Date(now).toISOString(); // 2024-05-01T13:45:01.000Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}

/** Host names go into file names: letters, digits and dashes only, so the name needs no encoding anywhere. */
export function safeHost(host: string): string {
  const cleaned = host
    .split('.')[0]!
    .replace(/[^A-Za-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, HOST_MAX);
  return cleaned === '' ? 'host' : cleaned;
}

export function splitExtension(name: string, isDir: boolean): { stem: string; ext: string } {
  const dot = name.lastIndexOf('.');
  if (isDir || dot <= 0 || dot === name.length - 1) return { stem: name, ext: '' };
  return { stem: name.slice(0, dot), ext: name.slice(dot) };
}

/** Says whether a name is a conflict copy (made here or on another machine), with or without extension. */
export function isConflictCopyName(path: string, isDir = false): boolean {
  const name = nameOf(path);
  const { stem } = splitExtension(name, isDir);
  return MARKER.test(stem) || MARKER.test(name) || OLD_MARKER.test(stem);
}

/** The name a conflict copy was made from: `a.conflict-….txt` → `a.txt`. */
export function conflictOriginal(path: string, isDir = false): string {
  const name = nameOf(path);
  if (MARKER.test(name) && !MARKER.test(splitExtension(name, isDir).stem))
    return joinPath(parentOf(path), name.replace(MARKER, ''));
  const { stem, ext } = splitExtension(name, isDir);
  return joinPath(parentOf(path), stem.replace(MARKER, '').replace(OLD_MARKER, '') + ext);
}

export function conflictCopyName(path: string, opts: ConflictNameOptions): string {
  const isDir = opts.isDir ?? false;
  const { stem, ext } = splitExtension(nameOf(conflictOriginal(path, isDir)), isDir);
  const prefix = `${stem}.conflict-${conflictStamp(opts.now)}-${safeHost(opts.host)}`;
  for (let n = 1; n < 100_000; n++) {
    const candidate = joinPath(parentOf(path), `${prefix}${n === 1 ? '' : `-${n}`}${ext}`);
    if (!opts.isTaken(candidate)) return candidate;
  }
  throw new Error(`no free conflict-copy name for ${path}`);
}

/** What a conflict copy's name tells: the file it is a copy of, when (UTC) and on which machine it was made. */
export function conflictCopyInfo(
  path: string,
  isDir = false,
): { original: string; at: number | null; host: string | null } | undefined {
  if (!isConflictCopyName(path, isDir)) return undefined;
  const m = MARKER_PARTS.exec(nameOf(path));
  if (!m) return { original: conflictOriginal(path, isDir), at: null, host: null };
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return { original: conflictOriginal(path, isDir), at: Date.UTC(y, mo - 1, d, h, mi, sec), host: m[7]! };
}

/** Path → the MD5s of the remote files that are conflict copies of it. */
export function conflictCopyMd5s(
  remote: ReadonlyMap<string, Pick<RemoteEntry, 'kind' | 'md5'>>,
): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const [p, r] of remote) {
    if (r.kind !== 'file' || !r.md5 || !isConflictCopyName(p)) continue;
    const original = conflictOriginal(p);
    out.set(original, (out.get(original) ?? new Set()).add(r.md5));
  }
  return out;
}
