/**
 * The daemon's index: one SQLite file holding, per sync pair, the three trees (local, remote, base; see
 * ../model.ts) and a little key/value state.
 *
 * Writers: the scanners replace the local/remote trees; the executor records the outcome of each verified action
 * (`commitOutcome`) in one transaction; the rest is per-pair state (pair rows, meta).
 *
 * Durability: WAL with synchronous=NORMAL by default. A committed transaction survives a kill -9 of the daemon
 * (the WAL is in the OS page cache); only a power cut or OS crash can lose the last few commits, never tear one,
 * and losing them is recoverable by design: the next scan finds the files as they are, and the decision table
 * records "same MD5 on both sides" as synced with no transfer and no conflict. FULL would fsync every outcome,
 * which small-file syncs pay for heavily; it stays available as `durability: 'full'`.
 *
 * Schema versions live in `PRAGMA user_version` and are upgraded by the MIGRATIONS list, one transaction each.
 * A file written by a newer vosync is refused untouched.
 */
import fs from 'node:fs';
import type Database from 'better-sqlite3';
import { openDatabase as openSqlite } from '../../util/sqlite.js';
import type { BaseEntry, EntryKind, LocalEntry, RemoteEntry } from '../model.js';

type Db = Database.Database;

/** Schema steps; entry i upgrades user_version i to i + 1. Append only: never edit a released step. */
export const MIGRATIONS: readonly ((db: Db) => void)[] = [
  // 1: pairs and the three trees.
  (db) => {
    db.exec(`
      CREATE TABLE pairs (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        local_root TEXT NOT NULL,
        remote_uri TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        first_sync_done INTEGER NOT NULL DEFAULT 0,
        paused_reason TEXT,
        last_sync_ok_at INTEGER,
        last_remote_poll_ok_at INTEGER
      );
      CREATE TABLE local_entries (
        pair_id INTEGER NOT NULL REFERENCES pairs(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('file', 'dir')),
        size INTEGER NOT NULL,
        mtime_ms REAL NOT NULL,
        ino INTEGER NOT NULL,
        md5 TEXT,
        PRIMARY KEY (pair_id, path)
      ) WITHOUT ROWID;
      CREATE TABLE remote_entries (
        pair_id INTEGER NOT NULL REFERENCES pairs(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('file', 'dir')),
        size INTEGER NOT NULL,
        date_ms INTEGER NOT NULL,
        md5 TEXT,
        PRIMARY KEY (pair_id, path)
      ) WITHOUT ROWID;
      CREATE TABLE base_entries (
        pair_id INTEGER NOT NULL REFERENCES pairs(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('file', 'dir')),
        size INTEGER NOT NULL,
        md5 TEXT,
        local_mtime_ms REAL NOT NULL,
        local_ino INTEGER NOT NULL,
        remote_date_ms INTEGER NOT NULL,
        PRIMARY KEY (pair_id, path)
      ) WITHOUT ROWID;
    `);
  },
  // 2: per-pair key/value state, the event log, and the time of the last good local scan.
  (db) => {
    db.exec(`
      ALTER TABLE pairs ADD COLUMN last_local_scan_ok_at INTEGER;
      CREATE TABLE meta (
        pair_id INTEGER NOT NULL REFERENCES pairs(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (pair_id, key)
      ) WITHOUT ROWID;
      CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        pair_id INTEGER REFERENCES pairs(id) ON DELETE CASCADE,
        path TEXT,
        kind TEXT NOT NULL,
        detail TEXT
      );
      CREATE INDEX events_by_pair ON events (pair_id, id);
      CREATE INDEX events_by_time ON events (at);
    `);
  },
  // 3: whether a base version is this agent's own upload (for telling concurrent writes apart).
  (db) => {
    db.exec(`ALTER TABLE base_entries ADD COLUMN uploaded INTEGER NOT NULL DEFAULT 0;`);
  },
  // 4: the event log goes: nothing ever read it, and it grew by a row per action without bound.
  (db) => {
    db.exec(`DROP TABLE events;`);
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** The file's schema is newer than this build understands. */
export class IndexVersionError extends Error {
  constructor(
    readonly file: string,
    readonly fileVersion: number,
    readonly supportedVersion: number,
  ) {
    super(
      `index ${file} has schema version ${fileVersion}, but this vosync understands versions up to ` +
        `${supportedVersion}: it was written by a newer vosync. Upgrade vosync, or move the index aside to ` +
        `rebuild it (a rebuilt index re-adopts identical files by MD5 and deletes nothing).`,
    );
    this.name = 'IndexVersionError';
  }
}

/** `ensurePair` found the name bound to another folder or remote. */
export class PairMismatchError extends Error {
  constructor(
    readonly existing: PairRecord,
    readonly requested: PairInit,
  ) {
    super(
      `pair '${existing.name}' is indexed for ${existing.localRoot} <-> ${existing.remoteUri}, ` +
        `not ${requested.localRoot} <-> ${requested.remoteUri}`,
    );
    this.name = 'PairMismatchError';
  }
}

/** A rename would overwrite records that already exist at the destination. */
export interface PairInit {
  name: string;
  localRoot: string;
  remoteUri: string;
}

export interface PairRecord extends PairInit {
  id: number;
  createdAt: number;
  firstSyncDone: boolean;
  pausedReason: string | null;
  lastSyncOkAt: number | null;
  lastRemotePollOkAt: number | null;
  lastLocalScanOkAt: number | null;
}

export type PairStatusPatch = Partial<
  Pick<
    PairRecord,
    'firstSyncDone' | 'pausedReason' | 'lastSyncOkAt' | 'lastRemotePollOkAt' | 'lastLocalScanOkAt'
  >
>;

export interface Trees {
  local: Map<string, LocalEntry>;
  remote: Map<string, RemoteEntry>;
  base: Map<string, BaseEntry>;
}

export interface PathRecords {
  local?: LocalEntry;
  remote?: RemoteEntry;
  base?: BaseEntry;
}

/**
 * The result of one verified action on one path. For each tree: an entry records it, `null` forgets it,
 * `undefined` leaves it as it is. Entries must carry `path` equal to the outcome's path.
 */
export interface Outcome {
  path: string;
  base?: BaseEntry | null;
  local?: LocalEntry | null;
  remote?: RemoteEntry | null;
}

export interface ReplaceStats {
  inserted: number;
  updated: number;
  deleted: number;
  unchanged: number;
}

export interface OpenOptions {
  /** Clock for created_at (epoch ms). Default Date.now. */
  now?: () => number;
  /** 'normal' (default) or 'full'; see the file comment. */
  durability?: 'normal' | 'full';
  /** How long to wait for a lock held by another connection. Default 5000 ms. */
  busyTimeoutMs?: number;
}

/** Row layout and conversions of one tree table. */
interface TreeSpec<E extends { path: string }> {
  table: string;
  /** Data columns after (pair_id, path). */
  columns: readonly string[];
  values(e: E): unknown[];
  /** True when the stored row (`row[0]` is the path, data columns follow) already holds `e`. */
  same(row: unknown[], e: E): boolean;
  /** Builds an entry from a row laid out as `[path, ...columns]`. */
  fromRow(row: unknown[]): E;
}

const md5Of = (v: unknown): string | undefined => (v === null ? undefined : (v as string));

const LOCAL: TreeSpec<LocalEntry> = {
  table: 'local_entries',
  columns: ['kind', 'size', 'mtime_ms', 'ino', 'md5'],
  values: (e) => [e.kind, e.size, e.mtimeMs, e.ino, e.md5 ?? null],
  same: (r, e) =>
    r[1] === e.kind && r[2] === e.size && r[3] === e.mtimeMs && r[4] === e.ino && r[5] === (e.md5 ?? null),
  fromRow: (r) => {
    const e: LocalEntry = {
      path: r[0] as string,
      kind: r[1] as EntryKind,
      size: r[2] as number,
      mtimeMs: r[3] as number,
      ino: r[4] as number,
    };
    const md5 = md5Of(r[5]);
    if (md5 !== undefined) e.md5 = md5;
    return e;
  },
};

const REMOTE: TreeSpec<RemoteEntry> = {
  table: 'remote_entries',
  columns: ['kind', 'size', 'date_ms', 'md5'],
  values: (e) => [e.kind, e.size, e.dateMs, e.md5 ?? null],
  same: (r, e) => r[1] === e.kind && r[2] === e.size && r[3] === e.dateMs && r[4] === (e.md5 ?? null),
  fromRow: (r) => {
    const e: RemoteEntry = {
      path: r[0] as string,
      kind: r[1] as EntryKind,
      size: r[2] as number,
      dateMs: r[3] as number,
    };
    const md5 = md5Of(r[4]);
    if (md5 !== undefined) e.md5 = md5;
    return e;
  },
};

const BASE: TreeSpec<BaseEntry> = {
  table: 'base_entries',
  columns: ['kind', 'size', 'md5', 'local_mtime_ms', 'local_ino', 'remote_date_ms', 'uploaded'],
  values: (e) => [
    e.kind,
    e.size,
    e.md5 ?? null,
    e.localMtimeMs,
    e.localIno,
    e.remoteDateMs,
    e.uploaded ? 1 : 0,
  ],
  same: (r, e) =>
    r[1] === e.kind &&
    r[2] === e.size &&
    r[3] === (e.md5 ?? null) &&
    r[4] === e.localMtimeMs &&
    r[5] === e.localIno &&
    r[6] === e.remoteDateMs &&
    r[7] === (e.uploaded ? 1 : 0),
  fromRow: (r) => {
    const e: BaseEntry = {
      path: r[0] as string,
      kind: r[1] as EntryKind,
      size: r[2] as number,
      localMtimeMs: r[4] as number,
      localIno: r[5] as number,
      remoteDateMs: r[6] as number,
    };
    if (r[7] === 1) e.uploaded = true;
    const md5 = md5Of(r[3]);
    if (md5 !== undefined) e.md5 = md5;
    return e;
  },
};

/** Prepared statements of one tree table. */
class TreeTable<E extends { path: string }> {
  private readonly selectAll: Database.Statement;
  private readonly selectOne: Database.Statement;
  private readonly upsertStmt: Database.Statement;
  private readonly deleteStmt: Database.Statement;
  private readonly countStmt: Database.Statement;

  constructor(
    db: Db,
    readonly spec: TreeSpec<E>,
  ) {
    const { table, columns } = spec;
    const cols = columns.join(', ');
    this.selectAll = db.prepare(`SELECT path, ${cols} FROM ${table} WHERE pair_id = ?`).raw(true);
    this.selectOne = db
      .prepare(`SELECT path, ${cols} FROM ${table} WHERE pair_id = ? AND path = ?`)
      .raw(true);
    // The WHERE keeps identical rows untouched: no page writes, no WAL growth for a no-change rescan.
    this.upsertStmt = db.prepare(
      `INSERT INTO ${table} (pair_id, path, ${cols}) VALUES (?, ?, ${columns.map(() => '?').join(', ')})
       ON CONFLICT (pair_id, path) DO UPDATE SET ${columns.map((c) => `${c} = excluded.${c}`).join(', ')}
       WHERE ${columns.map((c) => `${c} IS NOT excluded.${c}`).join(' OR ')}`,
    );
    this.deleteStmt = db.prepare(`DELETE FROM ${table} WHERE pair_id = ? AND path = ?`);
    this.countStmt = db.prepare(`SELECT count(*) FROM ${table} WHERE pair_id = ?`).pluck(true);
  }

  load(pairId: number): Map<string, E> {
    const map = new Map<string, E>();
    for (const row of this.selectAll.iterate(pairId) as Iterable<unknown[]>) {
      const e = this.spec.fromRow(row);
      map.set(e.path, e);
    }
    return map;
  }

  get(pairId: number, path: string): E | undefined {
    const row = this.selectOne.get(pairId, path) as unknown[] | undefined;
    return row ? this.spec.fromRow(row) : undefined;
  }

  upsert(pairId: number, e: E): boolean {
    return this.upsertStmt.run(pairId, e.path, ...this.spec.values(e)).changes > 0;
  }

  delete(pairId: number, path: string): boolean {
    return this.deleteStmt.run(pairId, path).changes > 0;
  }

  count(pairId: number): number {
    return this.countStmt.get(pairId) as number;
  }

  /**
   * Makes the stored tree equal to `entries`, writing only the rows that differ. Caller runs it in a transaction.
   */
  replace(pairId: number, entries: ReadonlyMap<string, E>): ReplaceStats {
    const stats: ReplaceStats = { inserted: 0, updated: 0, deleted: 0, unchanged: 0 };
    const toDelete: string[] = [];
    const toWrite: E[] = [];
    const seen = new Set<string>();
    // Read everything first: better-sqlite3 cannot write while a read cursor is open on the connection.
    for (const row of this.selectAll.iterate(pairId) as Iterable<unknown[]>) {
      const path = row[0] as string;
      const e = entries.get(path);
      if (!e) {
        toDelete.push(path);
        continue;
      }
      seen.add(path);
      if (this.spec.same(row, e)) stats.unchanged++;
      else {
        toWrite.push(e);
        stats.updated++;
      }
    }
    for (const path of toDelete) this.delete(pairId, path);
    stats.deleted = toDelete.length;
    for (const e of toWrite) this.upsert(pairId, e);
    for (const [path, e] of entries) {
      if (seen.has(path)) continue;
      if (e.path !== path) throw new Error(`tree map key '${path}' does not match entry path '${e.path}'`);
      this.upsert(pairId, e);
      stats.inserted++;
    }
    return stats;
  }
}

interface PairRow {
  id: number;
  name: string;
  local_root: string;
  remote_uri: string;
  created_at: number;
  first_sync_done: number;
  paused_reason: string | null;
  last_sync_ok_at: number | null;
  last_remote_poll_ok_at: number | null;
  last_local_scan_ok_at: number | null;
}

function pairFromRow(r: PairRow): PairRecord {
  return {
    id: r.id,
    name: r.name,
    localRoot: r.local_root,
    remoteUri: r.remote_uri,
    createdAt: r.created_at,
    firstSyncDone: r.first_sync_done !== 0,
    pausedReason: r.paused_reason,
    lastSyncOkAt: r.last_sync_ok_at,
    lastRemotePollOkAt: r.last_remote_poll_ok_at,
    lastLocalScanOkAt: r.last_local_scan_ok_at,
  };
}

const PAIR_PATCH_COLUMNS: Record<keyof PairStatusPatch, string> = {
  firstSyncDone: 'first_sync_done',
  pausedReason: 'paused_reason',
  lastSyncOkAt: 'last_sync_ok_at',
  lastRemotePollOkAt: 'last_remote_poll_ok_at',
  lastLocalScanOkAt: 'last_local_scan_ok_at',
};

function toMap<E extends { path: string }>(
  entries: Iterable<E> | ReadonlyMap<string, E>,
): ReadonlyMap<string, E> {
  if (entries instanceof Map) return entries as ReadonlyMap<string, E>;
  const map = new Map<string, E>();
  for (const e of entries as Iterable<E>) map.set(e.path, e);
  return map;
}

function checkPath(path: string): void {
  if (typeof path !== 'string' || path === '' || path.startsWith('/') || path.endsWith('/')) {
    throw new Error(`invalid index path '${String(path)}'`);
  }
}

/**
 * The index holds every synced path and name: readable by its owner only. SQLite gives its -wal and -shm files
 * the database's mode; ones left by an older version are tightened too.
 */
function makePrivate(file: string): void {
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    if (fs.existsSync(f)) fs.chmodSync(f, 0o600);
  }
}

function openDatabase(file: string, options: OpenOptions): Db {
  makePrivate(file);
  const db = openSqlite(file, { timeout: options.busyTimeoutMs ?? 5000 });
  try {
    // Check before touching anything: a newer file must stay exactly as it is.
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) throw new IndexVersionError(file, version, SCHEMA_VERSION);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.durability === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma('foreign_keys = ON');
    // Keep the WAL file from staying huge after a big replace.
    db.pragma('journal_size_limit = 67108864');
    migrate(db, file);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

function migrate(db: Db, file: string): void {
  for (;;) {
    const done = db
      .transaction(() => {
        // Re-read inside the write lock: another process may have migrated meanwhile.
        const version = db.pragma('user_version', { simple: true }) as number;
        if (version > SCHEMA_VERSION) throw new IndexVersionError(file, version, SCHEMA_VERSION);
        const step = MIGRATIONS[version];
        if (!step) return true;
        step(db);
        db.pragma(`user_version = ${version + 1}`);
        return false;
      })
      .immediate();
    if (done) return;
  }
}

export class SyncIndex {
  private readonly now: () => number;
  private readonly local: TreeTable<LocalEntry>;
  private readonly remote: TreeTable<RemoteEntry>;
  private readonly base: TreeTable<BaseEntry>;
  private readonly stmts;

  private constructor(
    private readonly db: Db,
    readonly file: string,
    options: OpenOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.local = new TreeTable(db, LOCAL);
    this.remote = new TreeTable(db, REMOTE);
    this.base = new TreeTable(db, BASE);
    this.stmts = {
      pairByName: db.prepare('SELECT * FROM pairs WHERE name = ?'),
      pairById: db.prepare('SELECT * FROM pairs WHERE id = ?'),
      allPairs: db.prepare('SELECT * FROM pairs ORDER BY id'),
      insertPair: db.prepare(
        'INSERT INTO pairs (name, local_root, remote_uri, created_at) VALUES (?, ?, ?, ?) RETURNING *',
      ),
      deletePair: db.prepare('DELETE FROM pairs WHERE id = ?'),
      getMeta: db.prepare('SELECT value FROM meta WHERE pair_id = ? AND key = ?').pluck(true),
      allMeta: db.prepare('SELECT key, value FROM meta WHERE pair_id = ? ORDER BY key').raw(true),
      conflictCopies: db
        .prepare(
          "SELECT path FROM local_entries WHERE pair_id = ? AND (path LIKE '%.conflict-%' OR path LIKE '%(conflicted copy %') ORDER BY path",
        )
        .pluck(true),
      setMeta: db.prepare(
        'INSERT INTO meta (pair_id, key, value) VALUES (?, ?, ?) ON CONFLICT (pair_id, key) DO UPDATE SET value = excluded.value',
      ),
      deleteMeta: db.prepare('DELETE FROM meta WHERE pair_id = ? AND key = ?'),
    };
  }

  /** Opens (creating or upgrading) the index file. Throws IndexVersionError for a file from a newer vosync. */
  static open(file: string, options: OpenOptions = {}): SyncIndex {
    return new SyncIndex(openDatabase(file, options), file, options);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Runs `fn` in one transaction (nested calls become savepoints). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  // ---- pairs ----

  getPair(name: string): PairRecord | undefined {
    const row = this.stmts.pairByName.get(name) as PairRow | undefined;
    return row && pairFromRow(row);
  }

  getPairById(id: number): PairRecord | undefined {
    const row = this.stmts.pairById.get(id) as PairRow | undefined;
    return row && pairFromRow(row);
  }

  /**
   * The pair of that name, created if new. Throws PairMismatchError when the name is already bound to another
   * local root or remote URI: its trees describe other data, so reusing them could read as mass changes.
   */
  ensurePair(init: PairInit): PairRecord {
    return this.transaction(() => {
      const existing = this.getPair(init.name);
      if (existing) {
        if (existing.localRoot !== init.localRoot || existing.remoteUri !== init.remoteUri) {
          throw new PairMismatchError(existing, init);
        }
        return existing;
      }
      const row = this.stmts.insertPair.get(init.name, init.localRoot, init.remoteUri, this.now()) as PairRow;
      return pairFromRow(row);
    });
  }

  updatePair(id: number, patch: PairStatusPatch): PairRecord {
    const sets: string[] = [];
    const values: unknown[] = [];
    for (const [key, column] of Object.entries(PAIR_PATCH_COLUMNS) as [keyof PairStatusPatch, string][]) {
      if (!(key in patch)) continue;
      const v = patch[key];
      sets.push(`${column} = ?`);
      values.push(typeof v === 'boolean' ? (v ? 1 : 0) : (v ?? null));
    }
    if (sets.length > 0) {
      const info = this.db.prepare(`UPDATE pairs SET ${sets.join(', ')} WHERE id = ?`).run(...values, id);
      if (info.changes === 0) throw new Error(`no pair with id ${id}`);
    }
    const pair = this.getPairById(id);
    if (!pair) throw new Error(`no pair with id ${id}`);
    return pair;
  }

  /** Removes a pair and everything recorded for it. */
  removePair(id: number): void {
    this.stmts.deletePair.run(id);
  }

  // ---- trees ----

  loadTrees(pairId: number): Trees {
    return this.transaction(() => ({
      local: this.local.load(pairId),
      remote: this.remote.load(pairId),
      base: this.base.load(pairId),
    }));
  }

  /** Local paths that look like conflict copies (a cheap pre-filter; isConflictCopyName decides). */
  conflictCopyCandidates(pairId: number): string[] {
    return this.stmts.conflictCopies.all(pairId) as string[];
  }

  loadLocalTree(pairId: number): Map<string, LocalEntry> {
    return this.local.load(pairId);
  }

  loadRemoteTree(pairId: number): Map<string, RemoteEntry> {
    return this.remote.load(pairId);
  }

  loadBaseTree(pairId: number): Map<string, BaseEntry> {
    return this.base.load(pairId);
  }

  treeCounts(pairId: number): { local: number; remote: number; base: number } {
    return this.transaction(() => ({
      local: this.local.count(pairId),
      remote: this.remote.count(pairId),
      base: this.base.count(pairId),
    }));
  }

  /** All three records of one path. */
  getEntry(pairId: number, path: string): PathRecords {
    return this.transaction(() => {
      const out: PathRecords = {};
      const local = this.local.get(pairId, path);
      const remote = this.remote.get(pairId, path);
      const base = this.base.get(pairId, path);
      if (local) out.local = local;
      if (remote) out.remote = remote;
      if (base) out.base = base;
      return out;
    });
  }

  /** Replaces the whole local tree after a full scan, in one transaction, writing only rows that differ. */
  replaceLocalTree(
    pairId: number,
    entries: Iterable<LocalEntry> | ReadonlyMap<string, LocalEntry>,
  ): ReplaceStats {
    const map = toMap(entries);
    return this.transaction(() => this.local.replace(pairId, map));
  }

  /** Replaces the whole remote tree after a full listing, in one transaction, writing only rows that differ. */
  replaceRemoteTree(
    pairId: number,
    entries: Iterable<RemoteEntry> | ReadonlyMap<string, RemoteEntry>,
  ): ReplaceStats {
    const map = toMap(entries);
    return this.transaction(() => this.remote.replace(pairId, map));
  }

  /** Records the result of one verified action, all of it or nothing. */
  commitOutcome(pairId: number, outcome: Outcome): void {
    this.transaction(() => this.applyOutcome(pairId, outcome));
  }

  /** Records several outcomes in one transaction: all of them or none. */
  commitOutcomes(pairId: number, outcomes: readonly Outcome[]): void {
    this.transaction(() => {
      for (const outcome of outcomes) this.applyOutcome(pairId, outcome);
    });
  }

  private applyOutcome(pairId: number, o: Outcome): void {
    checkPath(o.path);
    this.applyRecord(this.base, pairId, o.path, o.base);
    this.applyRecord(this.local, pairId, o.path, o.local);
    this.applyRecord(this.remote, pairId, o.path, o.remote);
  }

  private applyRecord<E extends { path: string }>(
    table: TreeTable<E>,
    pairId: number,
    path: string,
    value: E | null | undefined,
  ): void {
    if (value === undefined) return;
    if (value === null) {
      table.delete(pairId, path);
      return;
    }
    if (value.path !== path) {
      throw new Error(`outcome for '${path}' carries a ${table.spec.table} record for '${value.path}'`);
    }
    table.upsert(pairId, value);
  }

  // ---- meta ----

  getMeta(pairId: number, key: string): string | undefined {
    return this.stmts.getMeta.get(pairId, key) as string | undefined;
  }

  /** Sets a value; `null` deletes the key. */
  setMeta(pairId: number, key: string, value: string | null): void {
    if (value === null) this.stmts.deleteMeta.run(pairId, key);
    else this.stmts.setMeta.run(pairId, key, value);
  }

  listMeta(pairId: number): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of this.stmts.allMeta.all(pairId) as [string, string][]) out[k] = v;
    return out;
  }
}
