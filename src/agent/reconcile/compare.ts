/**
 * "Changed vs base" for each side. Change is judged against what the side itself reported at the last sync,
 * never by comparing clocks across machines.
 */
import type { BaseEntry, LocalEntry, RemoteEntry } from '../model.js';
import type { RecordSyncedAction } from './types.js';

/** One side of one path, relative to base. */
export type SideState = 'absent' | 'new' | 'same' | 'changed' | 'deleted';

export function md5Equal(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

export function localSameAsBase(l: LocalEntry, b: BaseEntry): boolean {
  if (l.kind !== b.kind) return false;
  if (l.kind === 'dir') return true;
  if (l.md5 !== undefined && b.md5 !== undefined) return md5Equal(l.md5, b.md5);
  return l.size === b.size && l.mtimeMs === b.localMtimeMs && l.ino === b.localIno;
}

export function remoteSameAsBase(r: RemoteEntry, b: BaseEntry): boolean {
  if (r.kind !== b.kind) return false;
  if (r.kind === 'dir') return true;
  if (r.md5 !== undefined && b.md5 !== undefined) return md5Equal(r.md5, b.md5);
  return r.size === b.size && r.dateMs === b.remoteDateMs;
}

export function localState(l: LocalEntry | undefined, b: BaseEntry | undefined): SideState {
  if (!b) return l ? 'new' : 'absent';
  if (!l) return 'deleted';
  return localSameAsBase(l, b) ? 'same' : 'changed';
}

export function remoteState(r: RemoteEntry | undefined, b: BaseEntry | undefined): SideState {
  if (!b) return r ? 'new' : 'absent';
  if (!r) return 'deleted';
  return remoteSameAsBase(r, b) ? 'same' : 'changed';
}

/**
 * Do a local and a remote item hold the same thing? Folders: always. Files: by MD5 when both are known,
 * different sizes mean different content, otherwise undecidable (`undefined`).
 */
export function sameContent(l: LocalEntry, r: RemoteEntry): boolean | undefined {
  if (l.kind !== r.kind) return false;
  if (l.kind === 'dir') return true;
  if (l.md5 !== undefined && r.md5 !== undefined) return md5Equal(l.md5, r.md5);
  if (l.size !== r.size) return false;
  return undefined;
}

/** What a recordSynced action records as the path's base: both sides now hold the same thing. */
export function syncedBase(a: RecordSyncedAction): BaseEntry {
  const { expectLocal: l, expectRemote: r } = a;
  const b: BaseEntry = {
    path: a.path,
    kind: l.kind,
    size: l.kind === 'dir' ? 0 : l.size,
    localMtimeMs: l.mtimeMs,
    localIno: l.ino,
    remoteDateMs: r.dateMs,
  };
  const md5 = l.md5 ?? r.md5;
  if (l.kind === 'file' && md5 !== undefined) b.md5 = md5;
  return b;
}

/** Shortest time after our own upload within which a new remote version may not have seen ours. */
export const CONCURRENT_WINDOW_MS = 10_000;
/** Allowance for the other writer's transfer time, at a slow 1 MiB/s, up to half an hour. */
const CONCURRENT_MS_PER_BYTE = 1000 / 1_048_576;
const CONCURRENT_WINDOW_MAX_MS = 30 * 60_000;

/**
 * VOSpace has no conditional PUT: another machine that checked the node before our upload landed may
 * replace it a moment later without ever having seen our version. The server's dates are one clock, so a
 * remote version dated shortly after our own upload (within the time its own transfer could have taken)
 * is treated as possibly concurrent: both versions are kept rather than ours being replaced.
 */
export function possiblyConcurrent(r: RemoteEntry, b: BaseEntry): boolean {
  if (!b.uploaded || r.kind !== 'file' || b.kind !== 'file') return false;
  return writtenSoonAfter(b.remoteDateMs, r);
}

/**
 * The same rule on server dates alone: a write of `size` bytes dated `dateMs` may not have seen our upload dated
 * `ourDateMs`.
 */
export function writtenSoonAfter(ourDateMs: number, written: { size: number; dateMs: number }): boolean {
  const gap = written.dateMs - ourDateMs;
  const window = Math.min(
    CONCURRENT_WINDOW_MAX_MS,
    CONCURRENT_WINDOW_MS + written.size * CONCURRENT_MS_PER_BYTE,
  );
  return gap >= 0 && gap <= window;
}
