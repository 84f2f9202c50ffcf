/**
 * What the daemon knows about itself, for the status API, `vosync status` and the tray: per-pair state,
 * pending work, recent activity, conflicts and errors. "Up to date" is claimed only when it is true.
 */

export type PairState =
  'starting' | 'idle' | 'scanning' | 'syncing' | 'paused' | 'error' | 'offline' | 'stale';

export interface Pending {
  uploads: number;
  downloads: number;
  deletes: number;
  other: number;
}

export interface ErrorItem {
  at: number;
  pair: string;
  path: string | null;
  message: string;
  /** Transient errors are retried automatically; permanent ones need the user. */
  transient: boolean;
}

export interface ConflictItem {
  at: number;
  pair: string;
  path: string;
  copy: string | null;
  message: string;
}

export interface ActivityItem {
  at: number;
  pair: string;
  path: string;
  action: string;
  result: 'done' | 'skipped' | 'failed';
  bytes: number;
  message: string | null;
}

export interface Transfer {
  pair: string;
  path: string;
  direction: 'up' | 'down';
  bytes: number;
  startedAt: number;
}

export interface PairStatus {
  name: string;
  local: string;
  remote: string;
  mode: string;
  state: PairState;
  /** Why the pair is paused, in words. */
  pausedReason: string | null;
  pending: Pending;
  conflicts: number;
  errors: number;
  /** Transfer rate over the last few seconds. */
  bytesPerSecond: number;
  lastSyncOkAt: number | null;
  lastRemotePollOkAt: number | null;
  lastError: ErrorItem | null;
  /** True only when nothing is pending, the last cycle finished cleanly and the last remote poll succeeded. */
  upToDate: boolean;
  /** Files and folders left out (unreadable, symlinks, names the server cannot store). */
  notSynced: number;
}

export interface StatusSnapshot {
  state: PairState;
  version: string;
  startedAt: number;
  now: number;
  pairs: PairStatus[];
}

const MAX_ITEMS = 500;

function push<T>(list: T[], item: T): void {
  list.push(item);
  if (list.length > MAX_ITEMS) list.splice(0, list.length - MAX_ITEMS);
}

/** Overall state: the most urgent of the pairs' states. */
export function overallState(states: PairState[]): PairState {
  const order: PairState[] = [
    'error',
    'offline',
    'paused',
    'stale',
    'syncing',
    'scanning',
    'starting',
    'idle',
  ];
  for (const s of order) if (states.includes(s)) return s;
  return 'idle';
}

export class StatusStore {
  readonly pairs = new Map<string, PairStatus>();
  readonly activity: ActivityItem[] = [];
  readonly errors: ErrorItem[] = [];
  readonly conflicts: ConflictItem[] = [];
  readonly transfers = new Map<string, Transfer>();
  /** Per-file state details, for `GET /files?path=`. */
  readonly fileStates = new Map<string, { state: string; reason: string | null }>();
  private readonly rate = new Map<string, { at: number; bytes: number }[]>();

  constructor(
    private readonly now: () => number,
    readonly version: string,
    readonly startedAt = now(),
  ) {}

  addPair(
    p: Omit<
      PairStatus,
      | 'state'
      | 'pending'
      | 'conflicts'
      | 'errors'
      | 'bytesPerSecond'
      | 'upToDate'
      | 'lastError'
      | 'notSynced'
      | 'pausedReason'
    > &
      Partial<PairStatus>,
  ): PairStatus {
    const status: PairStatus = {
      state: 'starting',
      pausedReason: null,
      pending: { uploads: 0, downloads: 0, deletes: 0, other: 0 },
      conflicts: 0,
      errors: 0,
      bytesPerSecond: 0,
      lastError: null,
      upToDate: false,
      notSynced: 0,
      ...p,
    };
    this.pairs.set(p.name, status);
    return status;
  }

  pair(name: string): PairStatus {
    const p = this.pairs.get(name);
    if (!p) throw new Error(`unknown pair ${name}`);
    return p;
  }

  update(name: string, patch: Partial<PairStatus>): void {
    Object.assign(this.pair(name), patch);
  }

  recordActivity(item: ActivityItem): void {
    push(this.activity, item);
    if (item.bytes > 0) {
      const samples = this.rate.get(item.pair) ?? [];
      samples.push({ at: item.at, bytes: item.bytes });
      this.rate.set(item.pair, samples);
    }
    const key = `${item.pair}:${item.path}`;
    this.fileStates.set(key, {
      state: item.result === 'done' ? 'synced' : item.result === 'failed' ? 'error' : 'pending',
      reason: item.message,
    });
  }

  recordError(e: ErrorItem): void {
    push(this.errors, e);
    const p = this.pairs.get(e.pair);
    if (p) {
      p.lastError = e;
      p.errors = this.errors.filter((x) => x.pair === e.pair && !x.transient).length;
    }
    if (e.path) this.fileStates.set(`${e.pair}:${e.path}`, { state: 'error', reason: e.message });
  }

  /** Drops the error list of a pair (a clean cycle proved they are gone). */
  clearErrors(pair: string): void {
    for (let i = this.errors.length - 1; i >= 0; i--)
      if (this.errors[i]!.pair === pair) this.errors.splice(i, 1);
    const p = this.pairs.get(pair);
    if (p) p.errors = 0;
  }

  recordConflict(c: ConflictItem): void {
    push(this.conflicts, c);
    const p = this.pairs.get(c.pair);
    if (p) p.conflicts = this.conflicts.filter((x) => x.pair === c.pair).length;
    this.fileStates.set(`${c.pair}:${c.path}`, { state: 'conflict', reason: c.message });
  }

  setFileState(pair: string, path: string, state: string, reason: string | null): void {
    this.fileStates.set(`${pair}:${path}`, { state, reason });
  }

  fileState(pair: string, path: string): { state: string; reason: string | null } | undefined {
    return this.fileStates.get(`${pair}:${path}`);
  }

  /** Bytes per second over the last 5 s. */
  bytesPerSecond(pair: string): number {
    const now = this.now();
    const samples = (this.rate.get(pair) ?? []).filter((s) => now - s.at <= 5000);
    this.rate.set(pair, samples);
    return Math.round(samples.reduce((a, s) => a + s.bytes, 0) / 5);
  }

  snapshot(): StatusSnapshot {
    const pairs = [...this.pairs.values()].map((p) => ({
      ...p,
      bytesPerSecond: this.bytesPerSecond(p.name),
    }));
    return {
      state: overallState(pairs.map((p) => p.state)),
      version: this.version,
      startedAt: this.startedAt,
      now: this.now(),
      pairs,
    };
  }
}
