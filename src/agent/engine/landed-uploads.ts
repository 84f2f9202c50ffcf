/**
 * Uploads that landed and wait for their node's date. The server checked each one's bytes against its MD5 as they
 * arrived, so no node is read back one by one: one listing of a folder, after a batch of its uploads, dates them
 * all. The base keeps that date — the server's time of our own write — because servers that report no MD5 are
 * compared by date, and a version dated just after ours may not have seen it (reconcile's possiblyConcurrent).
 * Until its record is committed an upload's journal stands, so a crash in between still leaves it known as ours.
 */
import type { Outcome } from '../store/index-db.js';
import type { UploadAction } from '../reconcile/index.js';
import type { Remote, RemoteNode } from '../remote/port.js';
import { VosError } from '../../util/errors.js';
import { parentOf } from '../../util/rel-path.js';

/** An upload waiting for its node: `record` is handed a read of it (from the listing, or its own read). */
export interface Landed {
  path: string;
  record(node: () => Promise<RemoteNode>): Promise<void>;
}

/**
 * How many uploads of a folder wait before it is listed (it is listed anyway when the executor's batch of
 * transfers ends): a quarter of its size when last listed, so listings read a few entries per upload, within
 * bounds that keep each upload's record (and its 'done') from waiting long.
 */
export function listingBatch(childrenLastListed: number): number {
  return Math.min(1024, Math.max(64, Math.ceil(childrenLastListed / 4)));
}

export class LandedUploads {
  private readonly waiting = new Map<string, Landed[]>();
  private readonly listedSize = new Map<string, number>();
  /** Folders whose listing was asked for and has not taken its batch yet. */
  private readonly due = new Set<string>();

  constructor(private readonly remote: Remote) {}

  /** Adds a landed upload; returns its folder when enough of its uploads wait for it to be listed now (once). */
  add(landed: Landed): string | undefined {
    const folder = parentOf(landed.path);
    const batch = this.waiting.get(folder) ?? [];
    batch.push(landed);
    this.waiting.set(folder, batch);
    if (this.due.has(folder) || batch.length < listingBatch(this.listedSize.get(folder) ?? 0))
      return undefined;
    this.due.add(folder);
    return folder;
  }

  /** Lists every folder with uploads waiting, one after the other (in name order, so runs replay exactly). */
  async flushAll(): Promise<void> {
    for (const folder of [...this.waiting.keys()].sort()) await this.flush(folder);
  }

  /**
   * Lists one folder and records its waiting uploads; those the listing does not show, or a single one, are read
   * one by one.
   */
  async flush(folder: string): Promise<void> {
    const batch = this.waiting.get(folder);
    this.due.delete(folder);
    if (!batch) return;
    this.waiting.delete(folder);
    // One upload alone (an edit saved after a watcher batch): its own read is one request too, and does not
    // read the thousand other children of its folder.
    const listed = batch.length > 1 ? await this.list(folder) : undefined;
    for (const landed of batch) {
      await landed.record(async () => listed?.get(landed.path) ?? (await this.read(landed.path)));
    }
  }

  /** The folder's children by path, or undefined when it cannot be listed now (each upload then reads its node). */
  private async list(folder: string): Promise<Map<string, RemoteNode> | undefined> {
    const out = new Map<string, RemoteNode>();
    try {
      for await (const child of this.remote.list(folder)) {
        if (!child.unmappable) out.set(folder === '' ? child.name : `${folder}/${child.name}`, child);
      }
    } catch {
      return undefined;
    }
    this.listedSize.set(folder, out.size);
    return out;
  }

  private async read(rel: string): Promise<RemoteNode> {
    const node = await this.remote.stat(rel);
    if (!node) throw new VosError('not-found', `${rel}: gone from the server right after it was written`);
    return node;
  }
}

/** What an upload leaves in the index: the remote node as found, and the base and local records of what was sent. */
export function uploadOutcome(
  a: UploadAction,
  sent: { md5: string; size: number },
  node: RemoteNode,
): Required<Outcome> {
  return {
    path: a.path,
    // The server's date of the write is part of the base, for servers that report no MD5.
    remote: {
      path: a.path,
      kind: 'file',
      size: node.size,
      dateMs: node.dateMs ?? 0,
      md5: node.md5 ?? sent.md5,
    },
    base: {
      path: a.path,
      kind: 'file',
      size: a.expectLocal.size,
      md5: sent.md5,
      localMtimeMs: a.expectLocal.mtimeMs,
      localIno: a.expectLocal.ino,
      remoteDateMs: node.dateMs ?? 0,
      uploaded: true,
    },
    local: {
      path: a.path,
      kind: 'file',
      size: a.expectLocal.size,
      mtimeMs: a.expectLocal.mtimeMs,
      ino: a.expectLocal.ino,
      md5: sent.md5,
    },
  };
}
