/**
 * What the daemon knows about itself, for the status API, `vosync status` and the tray: per-pair state,
 * pending work, recent activity, conflicts and errors. Whether a pair is up to date, and why not, is the
 * health rule's answer (health.ts), asked with everything known at the moment of the question.
 * One store on purpose (it is a little over 600 lines): the API and the notifications read one consistent
 * picture, and every rule it applies (health, progress, cycle outcome) lives in its own pure module.
 */
import {
  pairHealth,
  worstLevel,
  FAILING_AFTER,
  type FailingAction,
  type Health,
  type HealthLevel,
} from './health.js';
import { anchorIndex, progressOf, RATE_WINDOW_MS, type Progress, type RateSample } from './progress.js';

export type PairState =
  'starting' | 'idle' | 'scanning' | 'syncing' | 'paused' | 'error' | 'offline' | 'stale';

export interface Pending {
  uploads: number;
  downloads: number;
  deletes: number;
  /** Folder creations, moves, first-sync comparisons and other bookkeeping. */
  other: number;
  /** Local changes the watcher has noticed that no cycle has looked at yet. */
  localChanges?: number;
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
  /** Size of the file, when known. */
  size: number | null;
  startedAt: number;
}

/** A transfer in flight as the API shows it: `bytesDone` is null when progress cannot be observed. */
export interface TransferView extends Transfer {
  bytesDone: number | null;
}

/** A file or folder a cycle left out, and why. */
export interface NotSyncedItem {
  path: string;
  reason: string;
}

/** The deletions a delete-limit pause holds back, as the status shows them. */
export interface HeldDeletesView {
  /** What a confirmation names: it covers this set and no other. */
  digest: string;
  /** How many on each side. */
  local: number;
  remote: number;
  /** The first HELD_PATHS_SHOWN of them, local side first, in path order. */
  paths: { side: 'local' | 'remote'; path: string }[];
  /** The user confirmed this set; the next cycle carries it out if its plan deletes the same. */
  confirmed: boolean;
}

export const HELD_PATHS_SHOWN = 100;

export function heldDeletesView(
  held: { digest: string; paths: HeldDeletesView['paths'] },
  confirmed: boolean,
): HeldDeletesView {
  return {
    digest: held.digest,
    local: held.paths.filter((p) => p.side === 'local').length,
    remote: held.paths.filter((p) => p.side === 'remote').length,
    paths: held.paths.slice(0, HELD_PATHS_SHOWN),
    confirmed,
  };
}

/** Called with the pair's name after every change of a pair's status. */
export type StatusListener = (pair: string) => void;

export interface PairStatus {
  name: string;
  local: string;
  remote: string;
  mode: string;
  state: PairState;
  /** Why the pair is paused, in words. */
  pausedReason: string | null;
  /** The deletions its delete-limit pause holds back. */
  heldDeletes?: HeldDeletesView | null;
  pending: Pending;
  conflicts: number;
  errors: number;
  /** Transfer rate over the last few seconds (filled in by view(), as progress.bytesPerSecond). */
  bytesPerSecond: number;
  lastSyncOkAt: number | null;
  lastRemotePollOkAt: number | null;
  lastError: ErrorItem | null;
  /**
   * Stored: the last cycle finished its whole plan cleanly. In views: the health rule's verdict (nothing
   * pending, polled on schedule, no conflict, nothing unsynced or failing, not paused, offline or stale).
   */
  upToDate: boolean;
  /** When the server stopped answering, while offline. */
  offlineSince?: number | null;
  /** How often the remote is polled, by the pair's schedule. */
  pollIntervalMs?: number;
  /** Backup mode: files changed on the server that the mode leaves alone. */
  diverged?: number;
  /** Files and folders left out (unreadable, symlinks, names the server cannot store). */
  notSynced: number;
  /** Transfers in flight right now (filled in by snapshot()). */
  transfers?: number;
}

/** A pair as snapshot() shows it. */
export type PairView = Omit<
  PairStatus,
  'pending' | 'transfers' | 'offlineSince' | 'pollIntervalMs' | 'diverged' | 'heldDeletes'
> & {
  pending: Required<Pending>;
  heldDeletes: HeldDeletesView | null;
  transfers: number;
  health: Pick<Health, 'level' | 'reasons'>;
  progress: Progress;
};

/** Which config file is in force, and how its last reload went. */
export interface ConfigState {
  file: string;
  /** When the config in force was read (start-up or the last successful reload). */
  loadedAt: number;
  /** The last reload that was refused: when, and the problems found in the file. Cleared by a good reload. */
  reloadError: { at: number; errors: string[] } | null;
  /** Changed settings that only a restart of the daemon applies. */
  restartNeeded: string[];
}

export interface StatusSnapshot {
  state: PairState;
  /** Every pair is up to date (and there is at least one). */
  upToDate: boolean;
  /** The worst pair's level; reasons prefixed with their pair's name. */
  health: { level: HealthLevel; reasons: string[] };
  version: string;
  startedAt: number;
  now: number;
  config: ConfigState;
  pairs: PairView[];
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
  readonly transfers = new Map<
    string,
    Transfer & { probe?: () => number | null; /** The most bytes a probe saw. */ seen: number }
  >();
  /** Per pair: readings of the bytes moved so far (moved + in flight), for the rate. */
  private readonly rate = new Map<string, RateSample[]>();
  /** Per pair: bytes moved by transfers that ended (as far as seen), never going down. */
  private readonly moved = new Map<string, number>();
  /** Per pair:path: the bytes an ended transfer had moved, counted in `moved` before its action was reported. */
  private readonly endedAt = new Map<string, number>();
  /** Per pair: the transfers its current plan (or, offline, its queue) still holds, with their sizes. */
  private readonly left = new Map<string, { up: Map<string, number>; down: Map<string, number> }>();
  private readonly listeners = new Set<StatusListener>();
  private readonly notSyncedItems = new Map<string, NotSyncedItem[]>();
  /** Consecutive failures per action (pair:path), cleared when the path syncs or a cycle ends clean. */
  private readonly attempts = new Map<string, FailingAction & { pair: string; transient: boolean }>();
  /** Live counts the daemon can read at any moment (e.g. the watcher's queue). */
  private readonly liveLocalChanges = new Map<string, () => number>();
  /** Per pair: is work waiting right now (changes seen but not yet synced, a cycle queued or running)? */
  private readonly busy = new Map<string, () => boolean>();

  private configState: ConfigState;

  constructor(
    private readonly now: () => number,
    readonly version: string,
    readonly startedAt = now(),
  ) {
    this.configState = { file: '', loadedAt: startedAt, reloadError: null, restartNeeded: [] };
  }

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

  setConfigFile(file: string): void {
    this.configState = { file, loadedAt: this.now(), reloadError: null, restartNeeded: [] };
  }

  /** Records a reload: refused (`errors`) or done (`errors` null, the config in force is now the new one). */
  setConfigReload(r: { at: number; errors: string[] | null; restartNeeded: string[] }): void {
    if (r.errors) {
      this.configState = { ...this.configState, reloadError: { at: r.at, errors: r.errors } };
    } else {
      this.configState = {
        ...this.configState,
        loadedAt: r.at,
        reloadError: null,
        restartNeeded: r.restartNeeded,
      };
    }
    for (const name of this.pairs.keys()) this.changed(name);
  }

  /** Forgets a pair that left the config, with everything recorded about it. */
  removePair(name: string): void {
    this.pairs.delete(name);
    this.busy.delete(name);
    this.liveLocalChanges.delete(name);
    this.notSyncedItems.delete(name);
    this.rate.delete(name);
    this.moved.delete(name);
    this.left.delete(name);
    for (const key of [...this.transfers.keys()])
      if (this.transfers.get(key)?.pair === name) this.transfers.delete(key);
    this.changed(name);
  }

  /** Registers the live check that keeps `upToDate` honest between cycles. */
  setBusyCheck(name: string, check: () => boolean): void {
    this.busy.set(name, check);
  }

  pair(name: string): PairStatus {
    const p = this.pairs.get(name);
    if (!p) throw new Error(`unknown pair ${name}`);
    return p;
  }

  update(name: string, patch: Partial<PairStatus>): void {
    const p = this.pair(name);
    Object.assign(p, patch);
    if (p.state === 'offline') p.offlineSince ??= this.now();
    else p.offlineSince = null;
    this.changed(name);
  }

  /** Listens to every change of a pair's status; returns the function that stops listening. */
  subscribe(listener: StatusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(pair: string): void {
    for (const l of this.listeners) {
      try {
        l(pair);
      } catch {
        // A listener's failure must not break the daemon.
      }
    }
  }

  /** Registers a live count of local changes noticed but not yet synced (the watcher's queue). */
  setLocalChangesSource(pair: string, count: () => number): void {
    this.liveLocalChanges.set(pair, count);
  }

  /** Adds to one of a pair's pending counts (negative to take away), never below zero. */
  adjustPending(pair: string, key: keyof Pending, delta: number): void {
    const p = this.pair(pair);
    p.pending = { ...p.pending, [key]: Math.max(0, (p.pending[key] ?? 0) + delta) };
    if (delta > 0) p.upToDate = false;
    this.changed(pair);
  }

  /** A transfer starts; `probe` may report the bytes moved so far. Replaces a transfer of the same path. */
  beginTransfer(t: Transfer, probe?: () => number | null): void {
    this.endTransfer(t.pair, t.path);
    this.transfers.set(`${t.pair}:${t.path}`, probe ? { ...t, probe, seen: 0 } : { ...t, seen: 0 });
    this.sampleRate(t.pair);
    this.changed(t.pair);
  }

  endTransfer(pair: string, path: string): void {
    const key = `${pair}:${path}`;
    const t = this.transfers.get(key);
    if (!t) return;
    this.transfers.delete(key);
    // What it moved stays moved; its action's report adds the rest.
    this.moved.set(pair, (this.moved.get(pair) ?? 0) + t.seen);
    this.endedAt.set(key, t.seen);
    this.changed(pair);
  }

  /**
   * The transfers a plan is about to carry out (or, offline, the ones queued), replacing what was left: each
   * path with its size. They count down as their actions are done.
   */
  setTransfersLeft(pair: string, up: Map<string, number>, down: Map<string, number>): void {
    this.left.set(pair, { up, down });
    this.changed(pair);
  }

  /** Forgets a pair's transfers (a cycle ended: nothing of it can still be in flight). */
  endTransfers(pair: string): void {
    for (const t of [...this.transfers.values()]) if (t.pair === pair) this.endTransfer(pair, t.path);
    for (const k of [...this.endedAt.keys()]) if (k.startsWith(`${pair}:`)) this.endedAt.delete(k);
  }

  /** Transfers in flight, oldest first, with the progress that can be observed. */
  transferList(pair?: string): TransferView[] {
    const out: TransferView[] = [];
    for (const t of this.transfers.values()) {
      if (pair !== undefined && t.pair !== pair) continue;
      let bytesDone: number | null = null;
      try {
        bytesDone = t.probe?.() ?? null;
      } catch {
        bytesDone = null;
      }
      if (bytesDone !== null && t.size !== null) bytesDone = Math.min(bytesDone, t.size);
      if (bytesDone !== null) t.seen = Math.max(t.seen, bytesDone);
      out.push({
        pair: t.pair,
        path: t.path,
        direction: t.direction,
        size: t.size,
        startedAt: t.startedAt,
        bytesDone,
      });
    }
    return out.sort((a, b) => a.startedAt - b.startedAt);
  }

  recordActivity(item: ActivityItem): void {
    push(this.activity, item);
    const key = `${item.pair}:${item.path}`;
    if (item.bytes > 0 && item.result === 'done') {
      // The part its transfer was seen moving is counted already.
      const counted = this.endedAt.get(key) ?? 0;
      this.endedAt.delete(key);
      this.moved.set(item.pair, (this.moved.get(item.pair) ?? 0) + Math.max(0, item.bytes - counted));
      this.sampleRate(item.pair);
    }
    if (item.result === 'done') this.attempts.delete(key);
    if (this.pairs.has(item.pair)) this.changed(item.pair);
  }

  recordError(e: ErrorItem): void {
    push(this.errors, e);
    const key = `${e.pair}:${e.path ?? ''}`;
    const attempts = (this.attempts.get(key)?.attempts ?? 0) + 1;
    this.attempts.set(key, {
      pair: e.pair,
      path: e.path,
      message: e.message,
      attempts,
      transient: e.transient,
    });
    const p = this.pairs.get(e.pair);
    if (p) {
      p.lastError = e;
      p.errors = this.errors.filter((x) => x.pair === e.pair && !x.transient).length;
    }
    if (p) this.changed(e.pair);
  }

  /** Drops the error list of a pair (a clean cycle proved they are gone). */
  clearErrors(pair: string): void {
    for (let i = this.errors.length - 1; i >= 0; i--)
      if (this.errors[i]!.pair === pair) this.errors.splice(i, 1);
    for (const [k, a] of this.attempts) if (a.pair === pair) this.attempts.delete(k);
    const p = this.pairs.get(pair);
    if (p) {
      p.errors = 0;
      this.changed(pair);
    }
  }

  /** Replaces a pair's open conflicts (one per conflict copy on disk: a conflict is state, not an event). */
  setConflicts(pair: string, items: ConflictItem[]): void {
    for (let i = this.conflicts.length - 1; i >= 0; i--)
      if (this.conflicts[i]!.pair === pair) this.conflicts.splice(i, 1);
    this.conflicts.push(...items);
    const p = this.pairs.get(pair);
    if (p) {
      p.conflicts = items.length;
      this.changed(pair);
    }
  }

  /** Actions failing for good, or transiently FAILING_AFTER times in a row. */
  failing(pair: string): FailingAction[] {
    const out: FailingAction[] = [];
    for (const a of this.attempts.values()) {
      if (a.pair !== pair || (a.transient && a.attempts < FAILING_AFTER)) continue;
      out.push({ path: a.path, message: a.message, attempts: a.attempts });
    }
    return out;
  }

  /** Replaces the list of a pair's items left out by its latest cycle (unreadable, symlinks, bad names). */
  setNotSynced(pair: string, items: NotSyncedItem[]): void {
    this.notSyncedItems.set(pair, items);
    const p = this.pairs.get(pair);
    if (p) {
      p.notSynced = items.length;
      this.changed(pair);
    }
  }

  /** Items left out, optionally one pair's, in path order. */
  notSyncedList(pair?: string): (NotSyncedItem & { pair: string })[] {
    const out: (NotSyncedItem & { pair: string })[] = [];
    for (const [name, items] of this.notSyncedItems) {
      if (pair !== undefined && name !== pair) continue;
      for (const i of items) out.push({ pair: name, ...i });
    }
    return out.sort((a, b) => a.pair.localeCompare(b.pair) || a.path.localeCompare(b.path));
  }

  /** A transfer of the current plan (or queue) is done: it is no longer left. */
  transferDone(pair: string, path: string): void {
    const l = this.left.get(pair);
    if (l && (l.up.delete(path) || l.down.delete(path))) this.changed(pair);
  }

  /** Takes a reading of the bytes a pair has moved (ended transfers, and those in flight as last seen). */
  private sampleRate(pair: string): void {
    let bytes = this.moved.get(pair) ?? 0;
    for (const t of this.transfers.values()) if (t.pair === pair) bytes += t.seen;
    const now = this.now();
    const samples = (this.rate.get(pair) ?? []).filter((s) => s.at < now);
    samples.push({ at: now, bytes });
    // Readings older than the window are needed only as its anchor: the newest of them.
    this.rate.set(pair, samples.slice(anchorIndex(samples, now - RATE_WINDOW_MS)));
  }

  /** A pair's transfers left, with what is in flight, and the rate and time to go. */
  private progress(name: string, inFlight: readonly TransferView[]): Progress {
    this.sampleRate(name);
    const l = this.left.get(name);
    const moving = { up: 0, down: 0 };
    const flying = new Map(inFlight.map((t) => [t.path, t.bytesDone ?? 0]));
    for (const direction of ['up', 'down'] as const) {
      // A transfer that ended is not done until its action is (the upload is checked after its bytes left).
      for (const p of l?.[direction].keys() ?? [])
        moving[direction] += flying.get(p) ?? this.endedAt.get(`${name}:${p}`) ?? 0;
    }
    return progressOf({
      left: { up: [...(l?.up.values() ?? [])], down: [...(l?.down.values() ?? [])] },
      inFlight: moving,
      samples: this.rate.get(name) ?? [],
    });
  }

  /** One pair as the API shows it: live counts filled in, "up to date" re-checked against every condition. */
  view(name: string): PairView {
    const p = this.pair(name);
    let live = 0;
    try {
      live = this.liveLocalChanges.get(name)?.() ?? 0;
    } catch {
      live = 0;
    }
    const pending: Required<Pending> = {
      uploads: p.pending.uploads,
      downloads: p.pending.downloads,
      deletes: p.pending.deletes,
      other: p.pending.other,
      localChanges: Math.max(p.pending.localChanges ?? 0, live),
    };
    const inFlight = this.transferList(name);
    const transfers = inFlight.length;
    let busy = false;
    try {
      busy = this.busy.get(name)?.() ?? false;
    } catch {
      busy = true;
    }
    // "Up to date" is a claim: every condition must hold at the moment it is made.
    const health = pairHealth({
      now: this.now(),
      state: p.state,
      pausedReason: p.pausedReason,
      pending,
      transfers,
      busy,
      lastCycleClean: p.upToDate,
      lastRemotePollOkAt: p.lastRemotePollOkAt,
      pollIntervalMs: p.pollIntervalMs ?? 5 * 60_000,
      offlineSince: p.offlineSince ?? null,
      conflicts: p.conflicts,
      notSynced: p.notSynced,
      failing: this.failing(name),
      diverged: p.diverged ?? 0,
    });
    const progress = this.progress(name, inFlight);
    // Listed field by field, so nothing stored on the side leaks into the documented shape.
    return {
      name: p.name,
      local: p.local,
      remote: p.remote,
      mode: p.mode,
      state: p.state,
      pausedReason: p.pausedReason,
      heldDeletes: p.heldDeletes ? { ...p.heldDeletes, paths: [...p.heldDeletes.paths] } : null,
      pending,
      conflicts: p.conflicts,
      errors: p.errors,
      bytesPerSecond: progress.bytesPerSecond,
      lastSyncOkAt: p.lastSyncOkAt,
      lastRemotePollOkAt: p.lastRemotePollOkAt,
      lastError: p.lastError ? { ...p.lastError } : null,
      upToDate: health.upToDate,
      notSynced: p.notSynced,
      transfers,
      health: { level: health.level, reasons: health.reasons },
      progress,
    };
  }

  snapshot(): StatusSnapshot {
    const pairs = [...this.pairs.keys()].map((name) => this.view(name));
    const reasons = pairs.flatMap((p) => p.health.reasons.map((r) => `${p.name}: ${r}`));
    if (this.configState.reloadError) reasons.push('config reload refused (see vosync status)');
    return {
      state: overallState(pairs.map((p) => p.state)),
      upToDate: pairs.length > 0 && pairs.every((p) => p.upToDate),
      health: {
        level: worstLevel([
          ...pairs.map((p) => p.health.level),
          ...(this.configState.reloadError ? (['attention'] as const) : []),
        ]),
        reasons,
      },
      version: this.version,
      startedAt: this.startedAt,
      now: this.now(),
      config: this.configState,
      pairs,
    };
  }
}
