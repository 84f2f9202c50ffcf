/**
 * Storage of the embedded server: node metadata in SQLite, bytes as immutable blob files in the data
 * directory. A new upload becomes a new blob that replaces the old one in a single metadata transaction,
 * so an interrupted or rejected upload never loses the previous version.
 */
import type Database from 'better-sqlite3';
import { openDatabase } from '../util/sqlite.js';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { NodeType } from '../vospace/xml.js';
import { DIR_MODE, FILE_MODE } from './datadir.js';
import { parentPath } from '../vospace/uri.js';
import { nameOf } from '../util/rel-path.js';

export type ServiceName = 'vault' | 'arc';

export interface NodeRecord {
  service: ServiceName;
  /** '' for the root, 'alice/dir/x.fits' below it. */
  path: string;
  name: string;
  type: NodeType;
  owner: string;
  /** Settable properties (ispublic, groupread, type, custom …), keyed by property URI. */
  props: Record<string, string>;
  length: number;
  md5: string | null;
  date: number;
  contentDate: number | null;
  blob: string | null;
  target: string | null;
}

interface Row {
  service: string;
  path: string;
  parent: string | null;
  name: string;
  type: string;
  owner: string;
  props: string;
  length: number;
  md5: string | null;
  date: number;
  content_date: number | null;
  blob: string | null;
  target: string | null;
}

/** A node as created: no data yet, dated `now`. */
export function newNode(
  service: ServiceName,
  path: string,
  type: NodeType,
  owner: string,
  props: Record<string, string>,
  now: number,
  target: string | null = null,
): NodeRecord {
  const name = nameOf(path);
  return {
    service,
    path,
    name,
    type,
    owner,
    props,
    length: 0,
    md5: null,
    date: now,
    contentDate: null,
    blob: null,
    target,
  };
}

function fromRow(r: Row): NodeRecord {
  return {
    service: r.service as ServiceName,
    path: r.path,
    name: r.name,
    type: r.type as NodeType,
    owner: r.owner,
    props: JSON.parse(r.props) as Record<string, string>,
    length: r.length,
    md5: r.md5,
    date: r.date,
    contentDate: r.content_date,
    blob: r.blob,
    target: r.target,
  };
}

/** Range bounds that select every path strictly below `p` ('/' + 1 is '0'). */
function subtreeBounds(p: string): [string, string] {
  return p === '' ? ['', '\uffff'] : [`${p}/`, `${p}0`];
}

/**
 * Creates the database file 0600 before SQLite opens it (SQLite gives its -wal and -shm files the mode of
 * the database), and tightens files an older version left readable by others.
 */
function privateFiles(...files: string[]): void {
  fs.closeSync(fs.openSync(files[0]!, 'a', FILE_MODE));
  for (const f of files) if (fs.existsSync(f)) fs.chmodSync(f, FILE_MODE);
}

/** fsync of a file by path. */
export function fsyncFile(p: string): void {
  const fd = fs.openSync(p, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** fsync of a directory, which makes a rename or link in it durable (Windows cannot open directories). */
export function fsyncDir(p: string): void {
  if (process.platform === 'win32') return;
  fsyncFile(p);
}

async function fsyncFileAsync(p: string): Promise<void> {
  const fh = await fs.promises.open(p, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function fsyncDirAsync(p: string): Promise<void> {
  if (process.platform !== 'win32') await fsyncFileAsync(p);
}

/**
 * fsyncs of one file, shared: `sync()` resolves after an fsync that started after it was called, and callers
 * that arrive while one runs share the next.
 */
class SharedSync {
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;

  constructor(private readonly file: string) {}

  sync(): Promise<void> {
    if (!this.running) return this.start();
    const after = () => {
      this.next = undefined;
      return this.start();
    };
    this.next ??= this.running.then(after, after);
    return this.next;
  }

  private start(): Promise<void> {
    const p = fsyncFileAsync(this.file).finally(() => {
      if (this.running === p) this.running = undefined;
    });
    this.running = p;
    return p;
  }
}

interface PendingCommit {
  fn: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

const SCHEMA_VERSION = 3;

export class NodeStore {
  readonly db: Database.Database;
  private readonly blobDir: string;
  private readonly tmpDir: string;
  private readonly stmts;

  constructor(readonly dataDir: string) {
    this.blobDir = path.join(dataDir, 'blobs');
    this.tmpDir = path.join(dataDir, 'tmp');
    // A new blob area's own entry is made durable too; the shards below it are synced as they appear.
    if (fs.mkdirSync(this.blobDir, { recursive: true, mode: DIR_MODE }) !== undefined) fsyncDir(dataDir);
    fs.mkdirSync(this.tmpDir, { recursive: true, mode: DIR_MODE });
    const dbFile = path.join(dataDir, 'nodes.sqlite');
    privateFiles(dbFile, `${dbFile}-wal`, `${dbFile}-shm`);
    this.db = openDatabase(dbFile);
    this.walSync = new SharedSync(`${dbFile}-wal`);
    this.db.pragma('journal_mode = WAL');
    // FULL: a metadata commit that was acknowledged to a client must survive a crash of the host too.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
    const db = this.db;
    this.stmts = {
      get: db.prepare('SELECT * FROM nodes WHERE service = ? AND path = ?'),
      childrenByName: db.prepare(
        'SELECT * FROM nodes WHERE service = ? AND parent = ? AND name >= ? ORDER BY name LIMIT ?',
      ),
      childrenByInsertion: db.prepare(
        'SELECT rowid AS rid, * FROM nodes WHERE service = ? AND parent = ? AND rowid > ? ORDER BY rowid LIMIT ?',
      ),
      hasChildren: db.prepare('SELECT 1 FROM nodes WHERE service = ? AND parent = ? LIMIT 1'),
      insert: db.prepare(
        `INSERT INTO nodes (service, path, parent, name, type, owner, props, length, md5, date, content_date, blob, target)
         VALUES (@service, @path, @parent, @name, @type, @owner, @props, @length, @md5, @date, @content_date, @blob, @target)`,
      ),
      update: db.prepare(
        `UPDATE nodes SET owner = @owner, props = @props, length = @length, md5 = @md5, date = @date,
           content_date = @content_date, blob = @blob, target = @target WHERE service = @service AND path = @path`,
      ),
      delete: db.prepare('DELETE FROM nodes WHERE service = ? AND path = ?'),
      subtree: db.prepare(
        'SELECT * FROM nodes WHERE service = ? AND (path = ? OR (path >= ? AND path < ?)) ORDER BY path',
      ),
      allBlobs: db.prepare('SELECT blob FROM nodes WHERE blob IS NOT NULL'),
      bytesBelow: db.prepare(
        'SELECT COALESCE(SUM(length), 0) AS n FROM nodes WHERE service = ? AND path >= ? AND path < ?',
      ),
    };
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new Error(
        `server data directory was written by a newer vosync (schema ${version} > ${SCHEMA_VERSION})`,
      );
    }
    if (version < 1) {
      this.db.exec(`
        CREATE TABLE nodes (
          service TEXT NOT NULL,
          path TEXT NOT NULL,
          parent TEXT,
          name TEXT NOT NULL,
          type TEXT NOT NULL,
          owner TEXT NOT NULL,
          props TEXT NOT NULL,
          length INTEGER NOT NULL DEFAULT 0,
          md5 TEXT,
          date INTEGER NOT NULL,
          content_date INTEGER,
          blob TEXT,
          target TEXT,
          PRIMARY KEY (service, path)
        );
        CREATE INDEX nodes_by_parent ON nodes (service, parent, name);
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        PRAGMA user_version = 1;
      `);
    }
    if (version < 2) {
      // Open PUT transactions (see put-txns.ts): their acknowledged length and MD5, and the step before the
      // last append, which a revert goes back to.
      this.db.exec(`
        CREATE TABLE put_txns (
          id TEXT PRIMARY KEY,
          service TEXT NOT NULL,
          path TEXT NOT NULL,
          owner TEXT NOT NULL,
          total_length INTEGER,
          length INTEGER NOT NULL,
          md5 TEXT NOT NULL,
          prev_length INTEGER,
          prev_md5 TEXT,
          content_type TEXT,
          started INTEGER NOT NULL,
          touched INTEGER NOT NULL
        );
        PRAGMA user_version = 2;
      `);
    }
    if (version < 3) {
      // ARC lists children in storage (rowid) order, a page at a time: this index holds each folder's children
      // in that order (rowid is its implicit last column), so a page is a range read instead of a sort of the
      // whole folder per page.
      this.db.exec(`
        CREATE INDEX nodes_by_parent_position ON nodes (service, parent);
        PRAGMA user_version = 3;
      `);
    }
  }

  /** The pre-auth key older versions kept in the database (now in its own file, see datadir.ts). */
  legacySecret(): Buffer | undefined {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'secret'").get() as
      { value: string } | undefined;
    return row ? Buffer.from(row.value, 'hex') : undefined;
  }

  /** Drops the legacy key once it has been moved to its file. */
  dropLegacySecret(): void {
    this.db.prepare("DELETE FROM meta WHERE key = 'secret'").run();
  }

  get(service: ServiceName, p: string): NodeRecord | undefined {
    const row = this.stmts.get.get(service, p) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** Children in name (codepoint) order starting at `from` inclusive, as Vault lists them. */
  childrenByName(service: ServiceName, p: string, from: string, limit: number): NodeRecord[] {
    return (this.stmts.childrenByName.all(service, p, from, limit) as Row[]).map(fromRow);
  }

  /**
   * Children in storage order, as a POSIX-backed service (ARC) lists them, after the storage position `after`
   * (0: from the start); each comes with its position, to ask for the next page.
   */
  childrenByInsertion(
    service: ServiceName,
    p: string,
    after: number,
    limit: number,
  ): { position: number; node: NodeRecord }[] {
    const rows = this.stmts.childrenByInsertion.all(service, p, after, limit) as (Row & { rid: number })[];
    return rows.map((r) => ({ position: r.rid, node: fromRow(r) }));
  }

  hasChildren(service: ServiceName, p: string): boolean {
    return this.stmts.hasChildren.get(service, p) !== undefined;
  }

  /** The node and everything below it, parents before children. */
  subtree(service: ServiceName, p: string): NodeRecord[] {
    const [lo, hi] = subtreeBounds(p);
    return (this.stmts.subtree.all(service, p, lo, hi) as Row[]).map(fromRow);
  }

  /**
   * Bytes stored strictly below `p` (containers and links count 0). A range scan over the primary key, the
   * same subtree index listings and moves use: no running totals that a crash or a move could leave wrong.
   */
  bytesBelow(service: ServiceName, p: string): number {
    const [lo, hi] = subtreeBounds(p);
    return (this.stmts.bytesBelow.get(service, lo, hi) as { n: number }).n;
  }

  private params(n: NodeRecord) {
    return {
      service: n.service,
      path: n.path,
      parent: parentPath(n.path) ?? null,
      name: n.name,
      type: n.type,
      owner: n.owner,
      props: JSON.stringify(n.props),
      length: n.length,
      md5: n.md5,
      date: n.date,
      content_date: n.contentDate,
      blob: n.blob,
      target: n.target,
    };
  }

  insert(n: NodeRecord): void {
    this.stmts.insert.run(this.params(n));
  }

  update(n: NodeRecord): void {
    this.stmts.update.run(this.params(n));
  }

  /** Replaces a node's data with a committed blob; the old blob is removed only after the commit. */
  replaceData(
    n: NodeRecord,
    blob: string | null,
    length: number,
    md5: string | null,
    now: number,
  ): NodeRecord {
    const old = n.blob;
    const updated: NodeRecord = { ...n, blob, length, md5, date: now, contentDate: blob ? now : null };
    this.update(updated);
    if (old && old !== blob) this.removeBlob(old);
    return updated;
  }

  /** Deletes one node (not its subtree) and its bytes. */
  delete(n: NodeRecord): void {
    this.stmts.delete.run(n.service, n.path);
    if (n.blob) this.removeBlob(n.blob);
  }

  /** Moves a node and its subtree to `to`; ownership of the moved node passes to `newOwner`. */
  move(service: ServiceName, from: string, to: string, newOwner: string, now: number): void {
    const nodes = this.subtree(service, from);
    const tx = this.db.transaction(() => {
      for (const n of nodes) this.stmts.delete.run(service, n.path);
      for (const n of nodes) {
        const moved: NodeRecord = { ...n, path: to + n.path.slice(from.length) };
        if (n.path === from) {
          moved.name = nameOf(to);
          moved.owner = newOwner;
          moved.date = now;
        }
        this.insert(moved);
      }
    });
    tx();
  }

  /**
   * Runs `fn` in one transaction. Blobs it drops are unlinked only once the COMMIT has returned: a crash
   * before that leaves the old version referenced and intact (an unreferenced new blob is collected at start).
   */
  transaction<T>(fn: () => T): T {
    const outer = this.deferredRemovals === undefined;
    if (outer) this.deferredRemovals = [];
    try {
      const result = this.db.transaction(fn)();
      if (outer) for (const b of this.deferredRemovals ?? []) fs.rmSync(this.blobPath(b), { force: true });
      return result;
    } finally {
      if (outer) this.deferredRemovals = undefined;
    }
  }

  private deferredRemovals: string[] | undefined;

  private pendingCommits: PendingCommit[] = [];
  private readonly walSync: SharedSync;

  /**
   * Runs `fn` in a transaction shared with the other commits asked for in the same turn of the event loop, and
   * resolves once that transaction is durable. Each `fn` runs in a savepoint of its own: one that throws rolls
   * back alone and rejects its promise, the others commit. The COMMIT itself does not wait for the disk
   * (`synchronous = NORMAL` for this transaction only); the WAL is fsynced after it on a libuv thread, one
   * fsync shared by every commit made before it starts, and only then are the promises resolved and dropped
   * blobs unlinked: as durable as a FULL commit, without the event loop waiting for the disk.
   */
  commitSoon<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pendingCommits.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (this.pendingCommits.length === 1) setImmediate(() => void this.flushCommits());
    });
  }

  private async flushCommits(): Promise<void> {
    const batch = this.pendingCommits;
    this.pendingCommits = [];
    const removals: string[] = [];
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      this.db.pragma('synchronous = NORMAL');
      try {
        this.db.transaction(() => {
          for (const c of batch) {
            this.deferredRemovals = [];
            try {
              outcomes.push({ ok: true, value: this.db.transaction(c.fn)() });
              removals.push(...this.deferredRemovals);
            } catch (error) {
              outcomes.push({ ok: false, error });
            }
          }
        })();
      } finally {
        this.deferredRemovals = undefined;
        this.db.pragma('synchronous = FULL');
      }
      await this.walSync.sync();
    } catch (error) {
      // The COMMIT or the WAL's fsync failed: nothing of the batch may be acknowledged.
      for (const c of batch) c.reject(error);
      return;
    }
    for (const b of removals) fs.rmSync(this.blobPath(b), { force: true });
    batch.forEach((c, i) => {
      const o = outcomes[i]!;
      if (o.ok) c.resolve(o.value);
      else c.reject(o.error);
    });
  }

  // --- blobs -------------------------------------------------------------------------------------------

  blobPath(blob: string): string {
    return path.join(this.blobDir, blob.slice(0, 2), blob);
  }

  /** A fresh temp file path inside the data directory (same filesystem as the blobs, so rename is atomic). */
  tempPath(): string {
    return path.join(this.tmpDir, randomUUID());
  }

  /**
   * Moves a fully written and verified temp file into the blob area and returns its blob name. The bytes are
   * fsynced before the rename (unless `synced` says the writer did) and the directory entry after it (and the
   * shard directory's own entry when it is new), so once the metadata commits and the upload is acknowledged, a
   * host crash cannot leave the node pointing at a missing or short blob. The fsyncs run on libuv's threads:
   * the event loop serves other requests while the disk works.
   */
  async adoptBlob(tempFile: string, opts: { synced?: boolean } = {}): Promise<string> {
    const blob = randomUUID().replace(/-/g, '');
    const made = await this.blobShardAsync(blob);
    if (!opts.synced) await fsyncFileAsync(tempFile);
    await fs.promises.rename(tempFile, this.blobPath(blob));
    await fsyncDirAsync(path.dirname(this.blobPath(blob)));
    if (made) await fsyncDirAsync(this.blobDir);
    return blob;
  }

  /** Blobs are immutable, so a copy can share the bytes through a hard link (synced like an upload). */
  cloneBlob(blob: string): string {
    const copy = randomUUID().replace(/-/g, '');
    const made = this.blobShard(copy);
    try {
      fs.linkSync(this.blobPath(blob), this.blobPath(copy));
    } catch {
      fs.copyFileSync(this.blobPath(blob), this.blobPath(copy));
      fsyncFile(this.blobPath(copy));
    }
    this.syncShard(copy, made);
    return copy;
  }

  private async blobShardAsync(blob: string): Promise<boolean> {
    const made = await fs.promises.mkdir(path.dirname(this.blobPath(blob)), {
      recursive: true,
      mode: DIR_MODE,
    });
    return made !== undefined;
  }

  /** Creates the blob's shard directory; true when it was new. */
  private blobShard(blob: string): boolean {
    return fs.mkdirSync(path.dirname(this.blobPath(blob)), { recursive: true, mode: DIR_MODE }) !== undefined;
  }

  private syncShard(blob: string, madeShard: boolean): void {
    fsyncDir(path.dirname(this.blobPath(blob)));
    if (madeShard) fsyncDir(this.blobDir);
  }

  private removeBlob(blob: string): void {
    if (this.deferredRemovals) this.deferredRemovals.push(blob);
    else fs.rmSync(this.blobPath(blob), { force: true });
  }

  /** Start-up clean-up: temp files of interrupted uploads and blobs no node refers to (crash leftovers). */
  collectGarbage(): { temps: number; orphans: number } {
    let temps = 0;
    for (const f of fs.readdirSync(this.tmpDir)) {
      fs.rmSync(path.join(this.tmpDir, f), { force: true });
      temps++;
    }
    const live = new Set((this.stmts.allBlobs.all() as { blob: string }[]).map((r) => r.blob));
    let orphans = 0;
    for (const d of fs.readdirSync(this.blobDir)) {
      const dir = path.join(this.blobDir, d);
      for (const f of fs.readdirSync(dir)) {
        if (!live.has(f)) {
          fs.rmSync(path.join(dir, f), { force: true });
          orphans++;
        }
      }
    }
    return { temps, orphans };
  }

  close(): void {
    this.db.close();
  }
}
