/**
 * Nothing is ever simply deleted or overwritten: local victims move into `.vosync/trash` inside the pair,
 * remote victims into the `.vosync-trash` container in the pair's remote root; both pruned after N days.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PAIR_META_DIR } from '../local/ignore.js';
import type { Remote } from '../remote/port.js';
import { REMOTE_TRASH } from '../remote/remote-scan.js';
import { VosError } from '../../util/errors.js';
import { parentOf } from '../../util/rel-path.js';

export const ROOT_MARKER = 'root-marker';

/** `20261123-221530-123`: sortable, safe in file and node names, unique enough per run. */
export function trashStamp(now: number): string {
  return new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace('T', '-')
    .replace(/\.(\d+)Z$/, '-$1');
}

export function localTrashDir(root: string): string {
  return path.join(root, PAIR_META_DIR, 'trash');
}

/**
 * The first folder on the way to `relPath` (its ancestors below the pair root) that is a symbolic link or not a
 * folder at all, or undefined when the way is clear (missing folders are fine: they will be created as folders).
 * Writing through such a link would land outside the pair, so callers refuse instead.
 */
export function linkOnTheWay(root: string, relPath: string): string | undefined {
  const segs = relPath.split('/');
  let abs = root;
  for (let i = 0; i < segs.length - 1; i++) {
    abs = path.join(abs, segs[i]!);
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(abs);
    } catch {
      return undefined;
    }
    if (!st.isDirectory()) return segs.slice(0, i + 1).join('/');
  }
  return undefined;
}

/** Throws a `local` error when `relPath` can only be reached through a symbolic link (see linkOnTheWay). */
export function assertNoLinkOnTheWay(root: string, relPath: string): void {
  const link = linkOnTheWay(root, relPath);
  if (link !== undefined) {
    throw new VosError(
      'local',
      `${relPath}: not written, because ${link} is a symbolic link or not a folder (vosync never writes through links)`,
    );
  }
}

/** Moves a local file or folder into the trash (same filesystem, so a rename); returns where it went. */
export function moveToLocalTrash(root: string, relPath: string, now: number): string {
  assertNoLinkOnTheWay(root, relPath);
  assertNoLinkOnTheWay(root, `${PAIR_META_DIR}/trash/x`);
  const dest = path.join(localTrashDir(root), trashStamp(now), ...relPath.split('/'));
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  let target = dest;
  for (let i = 2; fs.existsSync(target); i++) target = `${dest}.${i}`;
  fs.renameSync(path.join(root, ...relPath.split('/')), target);
  return target;
}

/** Moves a remote node into the pair's remote trash (a server-side move); returns its trash path. */
export async function moveToRemoteTrash(remote: Remote, relPath: string, now: number): Promise<string> {
  const trashRel = `${REMOTE_TRASH}/${trashStamp(now)}/${relPath}`;
  await remote.mkdir(parentOf(trashRel), { parents: true });
  try {
    await remote.move(relPath, trashRel);
  } catch (e) {
    if (e instanceof VosError && e.kind === 'exists') {
      await remote.move(relPath, `${trashRel}.${process.pid}-${Date.now()}`);
    } else throw e;
  }
  return trashRel;
}

/** Deletes local trash entries older than `keepDays` (by their time-stamped folder name). */
export function pruneLocalTrash(root: string, keepDays: number, now: number): number {
  const dir = localTrashDir(root);
  let removed = 0;
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return 0;
  }
  const cutoff = trashStamp(now - keepDays * 86_400_000);
  for (const e of entries) {
    if (/^\d{8}-\d{6}/.test(e) && e < cutoff) {
      fs.rmSync(path.join(dir, e), { recursive: true, force: true });
      removed++;
    }
  }
  return removed;
}

/** Deletes remote trash entries older than `keepDays`. */
export async function pruneRemoteTrash(remote: Remote, keepDays: number, now: number): Promise<number> {
  if (!(await remote.stat(REMOTE_TRASH))) return 0;
  const cutoff = trashStamp(now - keepDays * 86_400_000);
  let removed = 0;
  for await (const entry of remote.list(REMOTE_TRASH)) {
    if (/^\d{8}-\d{6}/.test(entry.name) && entry.name < cutoff) {
      await remote.delete(`${REMOTE_TRASH}/${entry.name}`, { recursive: true });
      removed++;
    }
  }
  return removed;
}
