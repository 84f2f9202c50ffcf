/**
 * Conflict-copy names: `name (conflicted copy YYYY-MM-DD HHMMSS host).ext`, time in UTC from an injected clock.
 * The extension is the last `.ext` of a file's name (none for dotfiles like `.bashrc` and for folders). A name
 * that already carries a conflict marker gets a fresh marker instead of a second one, so conflicts of conflict
 * copies do not pile up markers. If the name is taken, a counter goes inside the marker: `… host 2).ext`.
 */
import { joinPath, nameOf, parentOf } from './reconcile/paths.js';

const MARKER = / \(conflicted copy \d{4}-\d{2}-\d{2} \d{6} [^()]*\)$/;

export interface ConflictNameOptions {
  /** Epoch ms. */
  now: number;
  host: string;
  /** Folders keep dots in their names (no extension split). */
  isDir?: boolean;
  /** Says whether a candidate path is already used (either side, base, or another planned name). */
  isTaken: (candidate: string) => boolean;
}

/** `YYYY-MM-DD HHMMSS` in UTC. */
export function conflictStamp(now: number): string {
  const iso = new Date(now).toISOString(); // 2024-05-01T13:45:01.000Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}

/** Host names go into file names: keep them free of separators and parentheses. */
export function safeHost(host: string): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = host.replace(/[/\\()\u0000-\u001f]/g, '-').trim();
  return cleaned === '' ? 'unknown-host' : cleaned;
}

export function splitExtension(name: string, isDir: boolean): { stem: string; ext: string } {
  const dot = name.lastIndexOf('.');
  if (isDir || dot <= 0 || dot === name.length - 1) return { stem: name, ext: '' };
  return { stem: name.slice(0, dot), ext: name.slice(dot) };
}

export function isConflictCopyName(path: string, isDir = false): boolean {
  return MARKER.test(splitExtension(nameOf(path), isDir).stem);
}

export function conflictCopyName(path: string, opts: ConflictNameOptions): string {
  const isDir = opts.isDir ?? false;
  const { stem, ext } = splitExtension(nameOf(path), isDir);
  const bare = stem.replace(MARKER, '');
  const prefix = `${bare} (conflicted copy ${conflictStamp(opts.now)} ${safeHost(opts.host)}`;
  for (let n = 1; n < 100_000; n++) {
    const candidate = joinPath(parentOf(path), `${prefix}${n === 1 ? '' : ` ${n}`})${ext}`);
    if (!opts.isTaken(candidate)) return candidate;
  }
  throw new Error(`no free conflict-copy name for ${path}`);
}
