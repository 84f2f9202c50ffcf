/**
 * The three tree tables of the index (local, remote, base): their row layouts, and the prepared statements that
 * load, read, upsert, delete and replace the entries of one pair.
 */
import type Database from 'better-sqlite3';
import type { BaseEntry, EntryKind, LocalEntry, RemoteEntry } from '../model.js';
import type { Db } from './schema.js';
import { parentOf } from '../../util/rel-path.js';

export interface ReplaceStats {
  inserted: number;
  updated: number;
  deleted: number;
  unchanged: number;
}

/** Row layout and conversions of one tree table. */
interface TreeSpec<E extends { path: string }> {
  table: string;
  /** Data columns after (pair_id, path). */
  columns: readonly string[];
  /** The data columns' values of an entry, as stored (so a stored row equal to them holds the entry). */
  values(e: E): unknown[];
  /** Builds an entry from a row laid out as `[path, ...columns]`. */
  fromRow(row: unknown[]): E;
}

const md5Of = (v: unknown): string | undefined => (v === null ? undefined : (v as string));

export const LOCAL: TreeSpec<LocalEntry> = {
  table: 'local_entries',
  columns: ['kind', 'size', 'mtime_ms', 'ino', 'md5'],
  values: (e) => [e.kind, e.size, e.mtimeMs, e.ino, e.md5 ?? null],
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

export const REMOTE: TreeSpec<RemoteEntry> = {
  table: 'remote_entries',
  columns: ['kind', 'size', 'date_ms', 'md5'],
  values: (e) => [e.kind, e.size, e.dateMs, e.md5 ?? null],
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

export const BASE: TreeSpec<BaseEntry> = {
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
export class TreeTable<E extends { path: string }> {
  private readonly selectAll: Database.Statement;
  private readonly selectOne: Database.Statement;
  private readonly selectUnder: Database.Statement;
  private readonly selectCaseTwins: Database.Statement;
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
    // A folder's descendants sort between `folder/` and `folder0` ('0' follows '/' in byte order).
    this.selectUnder = db
      .prepare(`SELECT path, ${cols} FROM ${table} WHERE pair_id = ? AND path >= ? AND path < ?`)
      .raw(true);
    // Siblings of a path (same parent range, no further '/') whose names differ from its own only in ASCII case.
    this.selectCaseTwins = db
      .prepare(
        `SELECT path FROM ${table} WHERE pair_id = ? AND path >= ? AND path < ? AND instr(substr(path, ?), '/') = 0
         AND lower(path) = lower(?) AND path <> ?`,
      )
      .pluck(true);
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

  /** The entries at `root` and below it (the whole tree for ''), added to `into`. */
  loadUnder(pairId: number, root: string, into: Map<string, E> = new Map()): Map<string, E> {
    const rows =
      root === '' ? (this.selectAll.iterate(pairId) as Iterable<unknown[]>) : this.rowsUnder(pairId, root);
    for (const row of rows) {
      const e = this.spec.fromRow(row);
      into.set(e.path, e);
    }
    return into;
  }

  /** The stored rows at `root` and below it (not the root ''): its own by key, its descendants by key range. */
  private rowsUnder(pairId: number, root: string): unknown[][] {
    const self = this.selectOne.get(pairId, root) as unknown[] | undefined;
    const below = this.selectUnder.all(pairId, `${root}/`, `${root}0`) as unknown[][];
    return self ? [self, ...below] : below;
  }

  /** The stored siblings of `path` whose names differ from its name only in (ASCII) letter case. */
  caseTwins(pairId: number, path: string): string[] {
    const parent = parentOf(path);
    const [from, to] = parent === '' ? ['', '\u{10FFFF}'] : [`${parent}/`, `${parent}0`];
    return this.selectCaseTwins.all(pairId, from, to, from.length + 1, path, path) as string[];
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
    return this.replaceRows(pairId, this.selectAll.iterate(pairId) as Iterable<unknown[]>, entries);
  }

  /**
   * Makes the stored entries at and below each of `roots` equal to those of `entries` (which must lie there),
   * leaving the rest of the tree alone. Caller runs it in a transaction.
   */
  replaceUnder(pairId: number, roots: readonly string[], entries: ReadonlyMap<string, E>): ReplaceStats {
    if (roots.includes('')) return this.replace(pairId, entries);
    return this.replaceRows(
      pairId,
      roots.flatMap((root) => this.rowsUnder(pairId, root)),
      entries,
    );
  }

  private replaceRows(
    pairId: number,
    storedRows: Iterable<unknown[]>,
    entries: ReadonlyMap<string, E>,
  ): ReplaceStats {
    const stats: ReplaceStats = { inserted: 0, updated: 0, deleted: 0, unchanged: 0 };
    const toDelete: string[] = [];
    const toWrite: E[] = [];
    const seen = new Set<string>();
    // Read everything first: better-sqlite3 cannot write while a read cursor is open on the connection.
    for (const row of storedRows) {
      const path = row[0] as string;
      const e = entries.get(path);
      if (!e) {
        toDelete.push(path);
        continue;
      }
      seen.add(path);
      if (this.spec.values(e).every((v, i) => row[i + 1] === v)) stats.unchanged++;
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
