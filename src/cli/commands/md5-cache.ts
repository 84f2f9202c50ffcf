/**
 * sync's local MD5 cache: SQLite, keyed by absolute path and valid only while size, mtime (ns) and inode
 * are unchanged, so a second run over unchanged files hashes nothing. Writes are batched in transactions
 * because a sync may record ten thousand entries.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { md5OfFile } from '../../util/local-read.js';
import { openDatabase } from '../../util/sqlite.js';

export interface FileIdentity {
  size: number;
  /** Modification time in nanoseconds (decimal string, exact). */
  mtimeNs: string;
  /** Inode number (decimal string, exact). */
  ino: string;
}

export function identityOf(st: fs.BigIntStats): FileIdentity {
  return { size: Number(st.size), mtimeNs: st.mtimeNs.toString(), ino: st.ino.toString() };
}

function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ino === b.ino;
}

export class Md5Cache {
  private readonly db: Database.Database;
  private readonly get: Database.Statement<
    [string],
    { size: number; mtime_ns: string; ino: string; md5: string }
  >;
  private readonly put: Database.Statement<[string, number, string, string, string]>;
  private pending: [string, number, string, string, string][] = [];
  /** Hashes computed during this run (for tests and the -v summary). */
  hashed = 0;

  constructor(readonly file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    this.db = openDatabase(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS vosync_md5 (path TEXT PRIMARY KEY NOT NULL, size INTEGER NOT NULL, ' +
        'mtime_ns TEXT NOT NULL, ino TEXT NOT NULL, md5 TEXT NOT NULL)',
    );
    this.get = this.db.prepare('SELECT size, mtime_ns, ino, md5 FROM vosync_md5 WHERE path = ?');
    this.put = this.db.prepare(
      'INSERT OR REPLACE INTO vosync_md5 (path, size, mtime_ns, ino, md5) VALUES (?, ?, ?, ?, ?)',
    );
  }

  lookup(absPath: string, id: FileIdentity): string | undefined {
    const row = this.get.get(absPath);
    if (!row) return undefined;
    return sameIdentity({ size: row.size, mtimeNs: row.mtime_ns, ino: row.ino }, id) ? row.md5 : undefined;
  }

  store(absPath: string, id: FileIdentity, md5: string): void {
    this.pending.push([absPath, id.size, id.mtimeNs, id.ino, md5]);
    if (this.pending.length >= 500) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const rows = this.pending;
    this.pending = [];
    this.db.transaction(() => {
      for (const r of rows) this.put.run(...r);
    })();
  }

  /**
   * The MD5 of a local file: from the cache when the file is unchanged, else computed and remembered. A file
   * that changes while it is read is reported (never cached).
   */
  async md5(absPath: string, before: FileIdentity): Promise<string> {
    const cached = this.lookup(absPath, before);
    if (cached) return cached;
    const md5 = await md5OfFile(absPath, before.size);
    this.hashed++;
    if (!this.storeIfUnchanged(absPath, before, md5)) {
      throw Object.assign(new Error(`${absPath}: changed while it was being read; try again`), {
        code: 'EBUSY',
      });
    }
    return md5;
  }

  /**
   * Remembers an MD5 learnt from bytes read after `before` was seen (as an upload does), if the file still is as
   * `before` says; returns whether it was. A synchronous lstat: cheaper than a thread-pool round trip.
   */
  storeIfUnchanged(absPath: string, before: FileIdentity, md5: string): boolean {
    const now = fs.lstatSync(absPath, { bigint: true, throwIfNoEntry: false });
    if (!now || !sameIdentity(before, identityOf(now))) return false;
    this.store(absPath, before, md5);
    return true;
  }

  close(): void {
    this.flush();
    this.db.close();
  }
}
