/**
 * What the trashes hold, for `vosync trash list` and `vosync restore`: every version vosync moved aside, in
 * the local trash (`.vosync/trash/<stamp>/…`) or the remote one (`.vosync-trash/<stamp>/…`), named by the
 * local path it came from and the time of the cycle that moved it.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Remote } from '../remote/port.js';
import { REMOTE_TRASH, scanRemote } from '../remote/remote-scan.js';
import { localTrashDir } from './trash.js';

export interface TrashedVersion {
  side: 'local' | 'remote';
  /** The trash folder's name: `20261123-221530-123`. */
  stamp: string;
  /** Epoch ms the stamp stands for (UTC). */
  at: number;
  /** The local path (relative to the pair root) the version was at. */
  path: string;
  size: number;
}

const STAMP = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})-(\d+)$/;

function stampTime(stamp: string): number | undefined {
  const m = STAMP.exec(stamp);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s, ms] = m.slice(1).map(Number) as number[];
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!, ms!);
}

/** Versions in the local trash, newest first. */
export function localTrashVersions(root: string): TrashedVersion[] {
  const out: TrashedVersion[] = [];
  const dir = localTrashDir(root);
  let stamps: string[];
  try {
    stamps = fs.readdirSync(dir);
  } catch {
    return out;
  }
  for (const stamp of stamps) {
    const at = stampTime(stamp);
    if (at === undefined) continue;
    const walk = (abs: string, rel: string) => {
      for (const e of fs.readdirSync(abs, { withFileTypes: true })) {
        const r = rel === '' ? e.name : `${rel}/${e.name}`;
        if (e.isDirectory()) walk(path.join(abs, e.name), r);
        else if (e.isFile())
          out.push({ side: 'local', stamp, at, path: r, size: fs.statSync(path.join(abs, e.name)).size });
      }
    };
    walk(path.join(dir, stamp), '');
  }
  return newestFirst(out);
}

/** Versions in the pair's remote trash, newest first. */
export async function remoteTrashVersions(remote: Remote): Promise<TrashedVersion[]> {
  const listing = await scanRemote(remote, { under: REMOTE_TRASH });
  const out: TrashedVersion[] = [];
  for (const [rel, e] of listing.entries) {
    if (e.kind !== 'file') continue;
    const slash = rel.indexOf('/');
    const at = slash > 0 ? stampTime(rel.slice(0, slash)) : undefined;
    if (at === undefined) continue;
    out.push({ side: 'remote', stamp: rel.slice(0, slash), at, path: rel.slice(slash + 1), size: e.size });
  }
  return newestFirst(out);
}

function newestFirst(v: TrashedVersion[]): TrashedVersion[] {
  return v.sort((a, b) => b.at - a.at || a.path.localeCompare(b.path));
}

/** Where a version lies: a local file, or a path in the pair's remote folder (its remote trash). */
export function versionLocation(v: TrashedVersion, localRoot: string): { file: string } | { remote: string } {
  if (v.side === 'local') return { file: path.join(localTrashDir(localRoot), v.stamp, ...v.path.split('/')) };
  return { remote: `${REMOTE_TRASH}/${v.stamp}/${v.path}` };
}
