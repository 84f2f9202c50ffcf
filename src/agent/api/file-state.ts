/**
 * One file's sync state for `GET /files?path=`, and a pair's pending counts, both judged with the
 * reconciler's own rules (compare.ts, table.ts) so the status never disagrees with what a sync would do.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PairConfig } from '../config/index.js';
import type { PathRecords, Trees } from '../store/index-db.js';
import { statEntry } from '../local/local-scan.js';
import type { LocalEntry } from '../model.js';
import { localState, remoteState, sameContent } from '../reconcile/compare.js';
import { decide, type Decision } from '../reconcile/table.js';
import type { Pending, StatusStore } from '../status/status.js';
import { PAIR_META_DIR } from '../local/ignore.js';
import type { FileStateName, FileStatusDoc } from './schemas.js';
import { TEMP_PREFIX } from '../../util/temp-files.js';

export interface FileVerdict {
  state: FileStateName;
  reason: string | null;
}

type Records = Pick<PathRecords, 'local' | 'remote' | 'base'>;

function decisionOf(rec: Records, pair: Pick<PairConfig, 'mode' | 'propagateDeletes'>): Decision {
  return decide(
    localState(rec.local, rec.base),
    remoteState(rec.remote, rec.base),
    pair.mode,
    pair.propagateDeletes,
  );
}

/** What the next sync would do with a path, in the words of the status API. */
export function verdictFor(
  rec: Records,
  pair: Pick<PairConfig, 'mode' | 'propagateDeletes' | 'conflict'>,
): FileVerdict {
  if (!rec.local && !rec.remote && !rec.base)
    return { state: 'unknown', reason: 'no such file or folder on either side' };
  switch (decisionOf(rec, pair)) {
    case 'nothing':
      if (!rec.local && !rec.remote) return { state: 'unknown', reason: 'deleted on both sides' };
      return { state: 'synced', reason: null };
    case 'upload':
      return { state: 'pending-upload', reason: rec.base ? 'changed locally' : 'new locally' };
    case 'download':
      return { state: 'pending-download', reason: rec.base ? 'changed on the server' : 'new on the server' };
    case 'deleteLocal':
      return {
        state: 'pending-delete',
        reason: 'deleted on the server; the local copy goes to the local trash',
      };
    case 'deleteRemote':
      return { state: 'pending-delete', reason: 'deleted locally; the remote copy goes to the remote trash' };
    case 'compare': {
      const same = rec.local && rec.remote ? sameContent(rec.local, rec.remote) : undefined;
      if (same === false)
        return {
          state: 'conflict',
          reason: `changed on both sides; the next sync applies the conflict policy (${pair.conflict})`,
        };
      return { state: 'pending-check', reason: 'present on both sides; the next sync compares the contents' };
    }
    case 'forget':
      return { state: 'unknown', reason: 'deleted on both sides' };
    case 'forget-local-delete':
      return { state: 'remote-only', reason: 'deleted locally; backup mode keeps the remote copy' };
    case 'ignore-remote-change':
      return { state: 'synced', reason: 'changed on the server; backup mode does not download it' };
    case 'ignore-remote-only':
      return { state: 'remote-only', reason: 'only on the server; backup mode does not download it' };
    case 'ignore-local-only':
      return { state: 'local-only', reason: 'only on this computer; mirror-down mode does not upload it' };
  }
}

/** The transfers the next sync would make, each way, with their sizes, from the index's three trees. */
export function transfersLeft(
  trees: Trees,
  pair: Pick<PairConfig, 'mode' | 'propagateDeletes'>,
): { up: Map<string, number>; down: Map<string, number> } {
  const up = new Map<string, number>();
  const down = new Map<string, number>();
  for (const [p, l] of trees.local) {
    if (l.kind !== 'file') continue;
    const rec = recordsAt(trees, p);
    if (decisionOf(rec, pair) === 'upload') up.set(p, l.size);
  }
  for (const [p, r] of trees.remote) {
    if (r.kind !== 'file') continue;
    const rec = recordsAt(trees, p);
    if (decisionOf(rec, pair) === 'download') down.set(p, r.size);
  }
  return { up, down };
}

function recordsAt(trees: Trees, p: string): Records {
  const rec: Records = {};
  const l = trees.local.get(p);
  const r = trees.remote.get(p);
  const b = trees.base.get(p);
  if (l) rec.local = l;
  if (r) rec.remote = r;
  if (b) rec.base = b;
  return rec;
}

/** Pending work of a pair from the index's three trees (as the last scans left them). */
export function countPending(trees: Trees, pair: Pick<PairConfig, 'mode' | 'propagateDeletes'>): Pending {
  const out = { uploads: 0, downloads: 0, deletes: 0, other: 0 };
  const paths = new Set([...trees.local.keys(), ...trees.remote.keys(), ...trees.base.keys()]);
  for (const p of paths) {
    const rec = recordsAt(trees, p);
    const d = decisionOf(rec, pair);
    const isFile = (rec.local ?? rec.remote ?? rec.base)?.kind === 'file';
    if (d === 'upload' && isFile) out.uploads++;
    else if (d === 'download' && isFile) out.downloads++;
    else if (d === 'deleteLocal' || d === 'deleteRemote') out.deletes++;
    else if (d !== 'nothing' && !d.startsWith('ignore-')) out.other++;
  }
  return out;
}

/** Which pair a query names, and the path relative to its root (POSIX separators). */
export function locateFile(
  pairs: readonly PairConfig[],
  query: { path: string; pair?: string | undefined },
): { pair: PairConfig; rel: string } | { error: string; status: number } {
  if (query.pair !== undefined) {
    const pair = pairs.find((p) => p.name === query.pair);
    if (!pair) return { error: `no pair named ${query.pair}`, status: 404 };
    const rel = query.path
      .split(/[\\/]+/)
      .filter((s) => s !== '' && s !== '.')
      .join('/');
    if (rel === '' || rel.split('/').includes('..'))
      return { error: 'path must name a file or folder inside the pair', status: 400 };
    return { pair, rel };
  }
  if (!path.isAbsolute(query.path))
    return { error: 'path must be absolute (or give pair= and a path relative to its root)', status: 400 };
  const abs = path.resolve(query.path);
  let best: { pair: PairConfig; rel: string } | undefined;
  for (const pair of pairs) {
    const r = path.relative(pair.local, abs);
    if (r === '' || r.startsWith('..') || path.isAbsolute(r)) continue;
    if (!best || pair.local.length > best.pair.local.length)
      best = { pair, rel: r.split(path.sep).join('/') };
  }
  return best ?? { error: 'the path is not inside any synced folder', status: 404 };
}

function diskEntry(rel: string, st: fs.Stats, indexed: LocalEntry | undefined): LocalEntry {
  const e = statEntry(rel, st);
  // The content hash the scanner recorded still holds while the file is untouched.
  if (indexed?.md5 && indexed.size === e.size && indexed.mtimeMs === e.mtimeMs && indexed.ino === e.ino)
    e.md5 = indexed.md5;
  return e;
}

export interface FileStateContext {
  pair: PairConfig;
  rel: string;
  status: StatusStore;
  /** The index's records of the path (empty before the pair's first scan). */
  records: PathRecords;
  isIgnored: (rel: string, isDir: boolean) => boolean;
}

/** The state of one file: ignore rules, then known errors and conflicts, then what the next sync would do. */
export function fileStatus(c: FileStateContext): FileStatusDoc {
  const { pair, rel, status } = c;
  const localPath = path.join(pair.local, ...rel.split('/'));
  let st: fs.Stats | undefined;
  try {
    st = fs.lstatSync(localPath);
  } catch {
    st = undefined;
  }
  const rec: Records = {};
  if (st && (st.isFile() || st.isDirectory())) rec.local = diskEntry(rel, st, c.records.local);
  if (c.records.remote) rec.remote = c.records.remote;
  if (c.records.base) rec.base = c.records.base;
  const transfer = status.transferList(pair.name).find((t) => t.path === rel) ?? null;
  const doc = (v: FileVerdict): FileStatusDoc => ({
    pair: pair.name,
    path: rel,
    localPath,
    remoteUri: `${pair.remoteUri.replace(/\/+$/, '')}/${rel}`,
    state: v.state,
    reason: v.reason,
    local: rec.local ? { kind: rec.local.kind, size: rec.local.size, mtimeMs: rec.local.mtimeMs } : null,
    remote: rec.remote
      ? {
          kind: rec.remote.kind,
          size: rec.remote.size,
          md5: rec.remote.md5 ?? null,
          dateMs: rec.remote.dateMs,
        }
      : null,
    transfer,
  });

  const name = rel.split('/').pop() ?? rel;
  if (rel === PAIR_META_DIR || rel.startsWith(PAIR_META_DIR + '/') || name.startsWith(TEMP_PREFIX))
    return doc({ state: 'ignored', reason: "vosync's own bookkeeping, never synced" });
  if (st?.isSymbolicLink()) return doc({ state: 'ignored', reason: 'symbolic link not synced' });
  if (st && !st.isFile() && !st.isDirectory())
    return doc({ state: 'ignored', reason: 'not a regular file or folder' });
  const isDir = (rec.local ?? rec.remote ?? rec.base)?.kind === 'dir';
  if (c.isIgnored(rel, isDir)) return doc({ state: 'ignored', reason: 'matches an ignore rule' });
  const left = status.notSyncedList(pair.name).find((i) => i.path === rel);
  if (left) return doc({ state: 'ignored', reason: left.reason });
  const error = status.errors.findLast((e) => e.pair === pair.name && e.path === rel);
  if (error) return doc({ state: 'error', reason: error.message });
  if (transfer)
    return doc({ state: 'syncing', reason: transfer.direction === 'up' ? 'uploading' : 'downloading' });
  const conflict = status.conflicts.findLast(
    (x) => x.pair === pair.name && (x.path === rel || x.copy === rel),
  );
  const verdict = verdictFor(rec, pair);
  if (conflict && verdict.state === 'synced') {
    const other = conflict.path === rel ? conflict.copy : conflict.path;
    return doc({
      state: 'conflict',
      reason: `${conflict.message}${other ? ` (other version: ${other})` : ''}`,
    });
  }
  return doc(verdict);
}
