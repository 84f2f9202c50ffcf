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
 * Schema versions live in `PRAGMA user_version` and are upgraded by the MIGRATIONS list (schema.ts), one
 * transaction each. A file written by a newer vosync is refused untouched. The tree tables are in tree-tables.ts.
 */
import type { BaseEntry, LocalEntry, RemoteEntry } from '../model.js';
import { openDatabase, type Db, type OpenOptions } from './schema.js';
import { BASE, LOCAL, REMOTE, TreeTable, type ReplaceStats } from './tree-tables.js';

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

  /** Hands SQLite's page cache back (it refills from the OS's cache): after a big cycle, before a long idle. */
  releaseCache(): void {
    this.db.pragma('shrink_memory');
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

  /** The three trees at and below each of `roots` (none below another; '' is the whole pair). */
  loadTreesUnder(pairId: number, roots: readonly string[]): Trees {
    return this.transaction(() => {
      const trees: Trees = { local: new Map(), remote: new Map(), base: new Map() };
      for (const root of roots) {
        this.local.loadUnder(pairId, root, trees.local);
        this.remote.loadUnder(pairId, root, trees.remote);
        this.base.loadUnder(pairId, root, trees.base);
      }
      return trees;
    });
  }

  /** Known siblings of `path`, on any side, whose names differ from its name only in ASCII letter case. */
  caseTwins(pairId: number, path: string): string[] {
    const twins = new Set<string>();
    for (const t of [this.local, this.remote, this.base])
      for (const p of t.caseTwins(pairId, path)) twins.add(p);
    return [...twins];
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

  /** How many entries were ever synced (a count, not the records). */
  baseCount(pairId: number): number {
    return this.base.count(pairId);
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

  /** Replaces the local entries at and below each of `roots` (none below another) after a scan of them alone. */
  replaceLocalUnder(
    pairId: number,
    roots: readonly string[],
    entries: ReadonlyMap<string, LocalEntry>,
  ): ReplaceStats {
    return this.transaction(() => this.local.replaceUnder(pairId, roots, entries));
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
