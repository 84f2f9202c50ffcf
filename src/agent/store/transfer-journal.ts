/**
 * The transfer journal. Uploads: every version this agent starts sending is written down (MD5, size and the local file's
 * identity) before its bytes leave, and stays until an upload of that path is recorded in the index. Content on
 * the server that matches a journalled version is this agent's own write, whether the upload finished, was cut,
 * was killed, or was abandoned because the file changed while it was sent: never a foreign change, never a
 * conflict. Downloads: the temp file's identity is written down just before it is renamed into place (a
 * rename keeps inode and mtime), so a file a crash left there unrecorded is known as the version that was
 * downloaded, not taken for a new local file. Moves that replay a local rename on the server: written down
 * before the move, so a crash before the index follows leaves a server-side move known as our own. Folders made
 * on the server: written down before the request, so a folder a crash left there unrecorded is known as our
 * own (a base), not weighed against whatever the local folder became meanwhile. Kept in the index's per-pair
 * meta table, one key per path.
 */
import type { SyncIndex } from './index-db.js';
import type { BaseEntry, LocalEntry, RemoteEntry } from '../model.js';

/** Index meta key prefix of a path's sent-but-unrecorded versions. */
export const UPLOAD_INTENT = 'upload-intent:';

/** Versions of one path kept at most: a file rewritten faster than it uploads leaves one per attempt. */
const MAX_VERSIONS = 8;

/** What was being uploaded: enough to make it the base if the server turns out to hold it. */
export interface UploadIntent {
  md5: string;
  size: number;
  mtimeMs: number;
  ino: number;
}

function parse(value: string | undefined): UploadIntent[] {
  if (value === undefined) return [];
  const v = JSON.parse(value) as UploadIntent | UploadIntent[];
  // One object per path was the format before several versions were kept.
  return Array.isArray(v) ? v : [v];
}

/** A pair's journal entries of one kind: path → the parsed value of each meta key under `prefix`. */
function entriesOf<T>(
  index: SyncIndex,
  pairId: number,
  prefix: string,
  read: (value: string) => T,
): Map<string, T> {
  const out = new Map<string, T>();
  for (const [key, value] of Object.entries(index.listMeta(pairId))) {
    if (key.startsWith(prefix)) out.set(key.slice(prefix.length), read(value));
  }
  return out;
}

/** One kind of journal entry: a meta key per path under `prefix`, holding a value as JSON. */
function metaJournal<T>(prefix: string, read: (value: string) => T = (v) => JSON.parse(v) as T) {
  return {
    write(index: SyncIndex, pairId: number, path: string, value: T): void {
      index.setMeta(pairId, prefix + path, JSON.stringify(value));
    },
    clear(index: SyncIndex, pairId: number, path: string): void {
      index.setMeta(pairId, prefix + path, null);
    },
    all(index: SyncIndex, pairId: number): Map<string, T> {
      return entriesOf(index, pairId, prefix, read);
    },
  };
}

const uploads = metaJournal<UploadIntent[]>(UPLOAD_INTENT, parse);

/** Writes a version down before its bytes are sent. */
export function journalUpload(index: SyncIndex, pairId: number, path: string, sent: UploadIntent): void {
  const key = UPLOAD_INTENT + path;
  const versions = parse(index.getMeta(pairId, key)).filter((v) => v.md5 !== sent.md5);
  versions.push(sent);
  index.setMeta(pairId, key, JSON.stringify(versions.slice(-MAX_VERSIONS)));
}

/** Forgets a path's sent versions: an upload of it is recorded, so the server holds a known version. */
export const clearUploadJournal = uploads.clear;

/** Every path with sent-but-unrecorded versions. */
export const journalledUploads = uploads.all;

/**
 * The base to record when the server holds one of our own sent versions of a path that the index does not
 * know as synced, or undefined when the remote holds something else (then it is a change like any other).
 */
export function ownWriteBase(
  path: string,
  sent: readonly UploadIntent[],
  remote: RemoteEntry | undefined,
  base: BaseEntry | undefined,
): BaseEntry | undefined {
  if (remote?.kind !== 'file' || !remote.md5) return undefined;
  if (base?.md5 === remote.md5) return undefined;
  const own = sent.find((v) => v.md5 === remote.md5 && v.size === remote.size);
  if (!own) return undefined;
  return {
    path,
    kind: 'file',
    size: own.size,
    md5: own.md5,
    localMtimeMs: own.mtimeMs,
    localIno: own.ino,
    remoteDateMs: remote.dateMs,
    uploaded: true,
  };
}

/**
 * The base to record when the server holds someone else's version at a path we sent a version to, and our
 * version sits in a conflict copy of that path: our write landed, and another machine saw it and set it aside
 * for its own (a *-wins policy there). The version at the name then is a later change than ours, not a
 * concurrent one, and our version is already kept: no second copy of it. `copies`: the MD5s of the remote
 * conflict copies of this path.
 */
export function setAsideOwnWriteBase(
  path: string,
  sent: readonly UploadIntent[],
  remote: RemoteEntry | undefined,
  copies: ReadonlySet<string>,
  base: BaseEntry | undefined,
): BaseEntry | undefined {
  if (remote?.kind !== 'file' || !remote.md5) return undefined;
  if (sent.some((v) => v.md5 === remote.md5) || (base && sent.some((v) => v.md5 === base.md5)))
    return undefined;
  const own = sent.find((v) => copies.has(v.md5));
  if (!own) return undefined;
  return {
    path,
    kind: 'file',
    size: own.size,
    md5: own.md5,
    localMtimeMs: own.mtimeMs,
    localIno: own.ino,
    remoteDateMs: remote.dateMs,
  };
}

/** Index meta key prefix of a download renamed into place but not yet recorded. */
export const DOWNLOAD_INTENT = 'download-intent:';

/** The downloaded version and the identity of the file that holds it. */
export interface DownloadIntent {
  md5: string;
  size: number;
  mtimeMs: number;
  ino: number;
  remoteDateMs: number;
}

const downloads = metaJournal<DownloadIntent>(DOWNLOAD_INTENT);
export const journalDownload = downloads.write;
export const clearDownloadJournal = downloads.clear;
export const journalledDownloads = downloads.all;

/** The base to record when the local file is still the one a journalled download put there. */
export function ownDownloadBase(
  path: string,
  d: DownloadIntent,
  local: LocalEntry | undefined,
): BaseEntry | undefined {
  if (local?.kind !== 'file' || local.ino !== d.ino || local.size !== d.size || local.mtimeMs !== d.mtimeMs)
    return undefined;
  return {
    path,
    kind: 'file',
    size: d.size,
    md5: d.md5,
    localMtimeMs: d.mtimeMs,
    localIno: d.ino,
    remoteDateMs: d.remoteDateMs,
  };
}

/** Index meta key prefix of a server-side move (replaying a local rename) not yet recorded, by source path. */
export const MOVE_INTENT = 'move-intent:';

const moves = metaJournal<string>(MOVE_INTENT, (v) => (JSON.parse(v) as { to: string }).to);

export function journalMove(index: SyncIndex, pairId: number, from: string, to: string): void {
  index.setMeta(pairId, MOVE_INTENT + from, JSON.stringify({ to }));
}

export const clearMoveJournal = moves.clear;
export const journalledMoves = moves.all;

/** Index meta key prefix of a folder being made on the server, not yet recorded. */
export const MKDIR_INTENT = 'mkdir-intent:';

/** The local folder a remote folder is made for. */
export interface MkdirIntent {
  mtimeMs: number;
  ino: number;
}

const mkdirs = metaJournal<MkdirIntent>(MKDIR_INTENT);
export const journalMkdir = mkdirs.write;
export const clearMkdirJournal = mkdirs.clear;
export const journalledMkdirs = mkdirs.all;

/** The base to record when the server holds a folder at a path this agent was making one and the index has none. */
export function ownMkdirBase(
  path: string,
  made: MkdirIntent,
  remote: RemoteEntry | undefined,
  base: BaseEntry | undefined,
): BaseEntry | undefined {
  if (remote?.kind !== 'dir' || base) return undefined;
  return {
    path,
    kind: 'dir',
    size: 0,
    localMtimeMs: made.mtimeMs,
    localIno: made.ino,
    remoteDateMs: remote.dateMs,
  };
}
