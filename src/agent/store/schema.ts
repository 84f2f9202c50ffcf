/**
 * The index file's schema: the migrations that build and upgrade it (versions in `PRAGMA user_version`, one
 * transaction each; a file written by a newer vosync is refused untouched), and opening it private to its owner
 * with the durability settings index-db.ts explains.
 */
import fs from 'node:fs';
import type Database from 'better-sqlite3';
import { openDatabase as openSqlite } from '../../util/sqlite.js';

export type Db = Database.Database;

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

export interface OpenOptions {
  /** Clock for created_at (epoch ms). Default Date.now. */
  now?: () => number;
  /** 'normal' (default) or 'full'; see the file comment. */
  durability?: 'normal' | 'full';
  /** How long to wait for a lock held by another connection. Default 5000 ms. */
  busyTimeoutMs?: number;
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

export function openDatabase(file: string, options: OpenOptions): Db {
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
