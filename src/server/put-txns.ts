/**
 * Open PUT transactions of the embedded server, kept as minoc's file-system storage adapter keeps them: each
 * one a file that segments are appended to, with its acknowledged length, the MD5 of those bytes and the state
 * before the last append (one step of revert) in SQLite. An append is acknowledged only once its bytes are
 * fsynced and the row committed, so an acknowledged segment survives a crash or restart; an append cut short
 * is rolled back to where it started, as minoc does. The running MD5 is kept in memory and rebuilt from the
 * file after a restart (node's hashes cannot be saved).
 */
import { createHash, randomUUID, type Hash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Statement } from 'better-sqlite3';
import { DIR_MODE, FILE_MODE } from './datadir.js';
import { fsyncDir, fsyncFile, type NodeStore, type ServiceName } from './store.js';
import { EMPTY_MD5 } from '../util/md5.js';

export interface PutTxn {
  id: string;
  service: ServiceName;
  path: string;
  /** The user who started it; only they may use it. */
  owner: string;
  /** The whole upload's length when the client gave it (`x-total-length`). */
  totalLength: number | null;
  /** Bytes acknowledged so far, and their MD5 (hex). */
  length: number;
  md5: string;
  /** Where a revert goes back to (null: nothing to revert). */
  prevLength: number | null;
  prevMd5: string | null;
  contentType: string | null;
  started: number;
  touched: number;
}

interface Row {
  id: string;
  service: string;
  path: string;
  owner: string;
  total_length: number | null;
  length: number;
  md5: string;
  prev_length: number | null;
  prev_md5: string | null;
  content_type: string | null;
  started: number;
  touched: number;
}

function fromRow(r: Row): PutTxn {
  return {
    id: r.id,
    service: r.service as ServiceName,
    path: r.path,
    owner: r.owner,
    totalLength: r.total_length,
    length: r.length,
    md5: r.md5,
    prevLength: r.prev_length,
    prevMd5: r.prev_md5,
    contentType: r.content_type,
    started: r.started,
    touched: r.touched,
  };
}

/** Segment sizes a transaction accepts, as minoc announces them (`x-put-segment-minbytes`/`maxbytes`). */
export interface SegmentLimits {
  /** Smallest segment but the last. */
  minBytes: number;
  /** Largest segment; 0 = no limit. */
  maxBytes: number;
}

/** minoc's file-system adapter: any segment of at least one byte, no upper limit. */
export const DEFAULT_SEGMENT_LIMITS: SegmentLimits = { minBytes: 1, maxBytes: 0 };

/** A transaction untouched for this long is aborted (minoc: "uncommitted transactions will eventually be aborted"). */
export const TXN_IDLE_EXPIRY_MS = 7 * 24 * 3600_000;

/** The outcome of an append that did not complete: the body ended early or the connection was lost. */
export class AppendCut extends Error {
  constructor(readonly received: number) {
    super(`upload interrupted after ${received} bytes of the segment`);
    this.name = 'AppendCut';
  }
}

/** How many bytes of a segment are received between two early writebacks. */
const WRITEBACK_BYTES = 8 * 1024 * 1024;

/**
 * Starts writing a segment's pages to disk while it is still arriving, so the fsync that acknowledges the
 * segment (the client waits for it before it sends the next) finds little left to do. All off the event loop.
 */
class Writeback {
  private readonly handle: Promise<fs.promises.FileHandle>;
  private inFlight: Promise<void> | undefined;
  private pending = 0;

  constructor(file: string) {
    this.handle = fs.promises.open(file, 'r');
    this.handle.catch(() => undefined);
  }

  /** `n` more bytes are on their way to the file. */
  wrote(n: number): void {
    this.pending += n;
    if (this.pending < WRITEBACK_BYTES || this.inFlight) return;
    this.pending = 0;
    this.inFlight = this.handle
      .then((h) => h.datasync())
      .catch(() => undefined)
      .finally(() => (this.inFlight = undefined));
  }

  /** Everything written so far is on disk. */
  async sync(): Promise<void> {
    await this.inFlight;
    await (await this.handle).sync();
  }

  async close(): Promise<void> {
    await this.inFlight;
    await (await this.handle.catch(() => undefined))?.close();
  }
}

/** The transaction ended (committed, aborted) while a request on it waited its turn. */
export class TxnGone extends Error {
  constructor(readonly id: string) {
    super(`unknown transaction: ${id}`);
    this.name = 'TxnGone';
  }
}

/** What lives only in memory per transaction: the running hash, and the append in progress if any. */
interface Live {
  length: number;
  hash: Hash;
  /** The hash before the last append, for a revert without re-reading the file. */
  prev?: { length: number; hash: Hash };
  /** The append in progress: cancelling it ends its request. */
  active?: { cancel: () => void };
}

export class PutTxns {
  private readonly dir: string;
  private readonly live = new Map<string, Live>();
  private readonly queues = new Map<string, Promise<void>>();
  private readonly stmts: Record<'get' | 'insert' | 'update' | 'delete' | 'all' | 'idle', Statement>;

  constructor(
    store: NodeStore,
    readonly limits: SegmentLimits = DEFAULT_SEGMENT_LIMITS,
  ) {
    this.dir = path.join(store.dataDir, 'txns');
    if (fs.mkdirSync(this.dir, { recursive: true, mode: DIR_MODE }) !== undefined) fsyncDir(store.dataDir);
    const db = store.db;
    this.stmts = {
      get: db.prepare('SELECT * FROM put_txns WHERE id = ?'),
      insert: db.prepare(
        `INSERT INTO put_txns (id, service, path, owner, total_length, length, md5, prev_length, prev_md5,
           content_type, started, touched)
         VALUES (@id, @service, @path, @owner, @total_length, @length, @md5, @prev_length, @prev_md5,
           @content_type, @started, @touched)`,
      ),
      update: db.prepare(
        `UPDATE put_txns SET length = @length, md5 = @md5, prev_length = @prev_length, prev_md5 = @prev_md5,
           touched = @touched WHERE id = @id`,
      ),
      delete: db.prepare('DELETE FROM put_txns WHERE id = ?'),
      all: db.prepare('SELECT * FROM put_txns'),
      idle: db.prepare('SELECT id FROM put_txns WHERE touched < ?'),
    };
  }

  private file(id: string): string {
    return path.join(this.dir, id);
  }

  private params(t: PutTxn) {
    return {
      id: t.id,
      service: t.service,
      path: t.path,
      owner: t.owner,
      total_length: t.totalLength,
      length: t.length,
      md5: t.md5,
      prev_length: t.prevLength,
      prev_md5: t.prevMd5,
      content_type: t.contentType,
      started: t.started,
      touched: t.touched,
    };
  }

  get(id: string): PutTxn | undefined {
    const row = this.stmts.get.get(id) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  start(
    service: ServiceName,
    p: string,
    owner: string,
    totalLength: number | null,
    contentType: string | null,
    now: number,
  ): PutTxn {
    this.expireIdle(now);
    const t: PutTxn = {
      id: randomUUID(),
      service,
      path: p,
      owner,
      totalLength,
      length: 0,
      md5: EMPTY_MD5,
      prevLength: null,
      prevMd5: null,
      contentType,
      started: now,
      touched: now,
    };
    fs.closeSync(fs.openSync(this.file(t.id), 'wx', FILE_MODE));
    fsyncDir(this.dir);
    this.stmts.insert.run(this.params(t));
    this.live.set(t.id, { length: 0, hash: createHash('md5') });
    return t;
  }

  /** The running hash at the acknowledged length; after a restart, rebuilt from the file's bytes. */
  private async liveOf(t: PutTxn): Promise<Live> {
    const known = this.live.get(t.id);
    if (known && known.length === t.length) return known;
    const hash = createHash('md5');
    if (t.length > 0) {
      await pipeline(fs.createReadStream(this.file(t.id), { start: 0, end: t.length - 1 }), hash, {
        end: false,
      });
    }
    const rebuilt: Live = { length: t.length, hash };
    this.live.set(t.id, rebuilt);
    return rebuilt;
  }

  /**
   * Runs `fn` after whatever is under way on transaction `id`, one operation at a time. An append still in
   * progress is ended first: a client sends its next request on a transaction only once it has given up on the
   * previous one (a cut it noticed, a timeout), so that append's bytes are not coming and it rolls back.
   */
  serialised<T>(id: string, fn: () => Promise<T>): Promise<T> {
    this.live.get(id)?.active?.cancel();
    const before = this.queues.get(id) ?? Promise.resolve();
    const run = before.then(fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(id, tail);
    void tail.then(() => {
      if (this.queues.get(id) === tail) this.queues.delete(id);
    });
    return run;
  }

  /**
   * Appends `body` to the transaction. Resolves with the new state once the bytes are durable and acknowledged;
   * a body that fails or ends short of `declared` bytes is rolled back (AppendCut), and so is one that `accept`
   * refuses (its error is thrown), leaving the state as it was.
   */
  append(
    t: PutTxn,
    body: Readable,
    opts: { declared?: number; now: number; accept?: (next: PutTxn) => Error | undefined },
  ): Promise<PutTxn> {
    return this.serialised(t.id, () => this.appendNow(t.id, body, opts));
  }

  private async appendNow(
    id: string,
    body: Readable,
    opts: { declared?: number; now: number; accept?: (next: PutTxn) => Error | undefined },
  ): Promise<PutTxn> {
    const current = this.get(id);
    if (!current) throw new TxnGone(id);
    const live = await this.liveOf(current);
    const hash = live.hash.copy();
    let received = 0;
    live.active = { cancel: () => body.destroy() };
    const file = this.file(id);
    const writeback = new Writeback(file);
    try {
      const counter = new Transform({
        transform(chunk: Buffer, _e, cb) {
          hash.update(chunk);
          received += chunk.length;
          writeback.wrote(chunk.length);
          cb(null, chunk);
        },
      });
      try {
        await pipeline(body, counter, fs.createWriteStream(file, { flags: 'r+', start: current.length }));
        if (opts.declared !== undefined && received !== opts.declared) throw new AppendCut(received);
      } catch (e) {
        fs.truncateSync(file, current.length);
        if (e instanceof AppendCut) throw e;
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOSPC' || code === 'EDQUOT') throw e;
        throw new AppendCut(received);
      }
      const next: PutTxn = {
        ...current,
        prevLength: current.length,
        prevMd5: current.md5,
        length: current.length + received,
        md5: hash.copy().digest('hex'),
        touched: opts.now,
      };
      const refused = opts.accept?.(next);
      if (refused) {
        fs.truncateSync(file, current.length);
        throw refused;
      }
      await writeback.sync();
      this.stmts.update.run(this.params(next));
      live.prev = { length: current.length, hash: live.hash };
      live.hash = hash;
      live.length = next.length;
      return next;
    } finally {
      live.active = undefined;
      await writeback.close();
    }
  }

  /** Goes back to the state before the last append (once: minoc keeps one previous state). */
  revert(t: PutTxn, now: number): Promise<PutTxn | undefined> {
    return this.serialised(t.id, async () => {
      const current = this.get(t.id);
      if (!current) throw new TxnGone(t.id);
      if (current.prevLength === null || current.prevMd5 === null) return undefined;
      return this.revertNow(current, current.prevLength, current.prevMd5, now);
    });
  }

  private revertNow(current: PutTxn, prevLength: number, prevMd5: string, now: number): PutTxn {
    const live = this.live.get(current.id);
    fs.truncateSync(this.file(current.id), prevLength);
    fsyncFile(this.file(current.id));
    const back: PutTxn = {
      ...current,
      length: prevLength,
      md5: prevMd5,
      prevLength: null,
      prevMd5: null,
      touched: now,
    };
    this.stmts.update.run(this.params(back));
    if (live?.prev && live.prev.length === back.length) this.live.set(current.id, { ...live.prev });
    else this.live.delete(current.id);
    return back;
  }

  /**
   * A new name for the transaction's bytes (a hard link in the server's temp area), for the commit to adopt as
   * the node's blob; the transaction's own file stays until `end` removes it, so a crash before the metadata
   * commit leaves the transaction as it was.
   */
  linkForCommit(t: PutTxn, tempPath: string): void {
    fs.linkSync(this.file(t.id), tempPath);
  }

  /** Forgets the row; to be run inside the metadata transaction that commits the bytes (or alone, to abort). */
  forget(id: string): void {
    this.stmts.delete.run(id);
  }

  /** Removes what is left of a transaction once its row is gone. */
  discard(id: string): void {
    this.live.get(id)?.active?.cancel();
    this.live.delete(id);
    fs.rmSync(this.file(id), { force: true });
  }

  abort(t: PutTxn): Promise<void> {
    return this.serialised(t.id, async () => {
      this.forget(t.id);
      this.discard(t.id);
    });
  }

  private expireIdle(now: number): void {
    for (const { id } of this.stmts.idle.all(now - TXN_IDLE_EXPIRY_MS) as { id: string }[]) {
      this.forget(id);
      this.discard(id);
    }
  }

  /**
   * Start-up: bytes of appends that were never acknowledged are cut off, files without a row and rows without a
   * file are dropped, and transactions idle too long are aborted.
   */
  recover(now: number): { kept: number; dropped: number } {
    let kept = 0;
    let dropped = 0;
    const rows = (this.stmts.all.all() as Row[]).map(fromRow);
    const known = new Set<string>();
    for (const t of rows) {
      let size: number | undefined;
      try {
        size = fs.statSync(this.file(t.id)).size;
      } catch {
        size = undefined;
      }
      if (size === undefined || size < t.length || t.touched < now - TXN_IDLE_EXPIRY_MS) {
        this.forget(t.id);
        fs.rmSync(this.file(t.id), { force: true });
        dropped++;
        continue;
      }
      if (size > t.length) fs.truncateSync(this.file(t.id), t.length);
      known.add(t.id);
      kept++;
    }
    for (const f of fs.readdirSync(this.dir)) {
      if (!known.has(f)) {
        fs.rmSync(path.join(this.dir, f), { force: true });
        dropped++;
      }
    }
    return { kept, dropped };
  }
}
