/**
 * The daemon: runs every configured pair — a watcher started before the first scan, cycles on local
 * changes, remote polls and full rescans on cron schedules, retries with back-off while offline — and keeps
 * the status store current. Stops safely: in-flight actions finish, nothing new starts.
 */
import fs from 'node:fs';
import path from 'node:path';
import cron, { type ScheduledTask } from 'node-cron';
import {
  ConfigError,
  formatConfigIssues,
  loadConfig,
  type PairConfig,
  type VosyncConfig,
} from './config/index.js';
import { diffConfigs, type ConfigChanges } from './config/diff.js';
import { ensurePrivateDir } from './config/paths.js';
import type { ActionEvent } from './engine/executor.js';
import { SyncIndex } from './store/index-db.js';
import type { Logger } from './log.js';
import { PairReporter } from './api/pair-reporter.js';
import { COMPACT_AFTER_ENTRIES, compactHeap } from './heap.js';
import { Notifications } from './status/notifications.js';
import type { NotifyFacts } from './status/notify-rule.js';
import {
  confirmHeldDeletes,
  detectCaseInsensitive,
  ignoreFor,
  syncPair,
  type CycleResult,
} from './engine/pair-sync.js';
import { QuotaHolds, quotaReason } from './engine/quota-holds.js';
import { CycleLog, humanDuration } from './status/cycle-log.js';
import { conflictCopyInfo } from './reconcile/conflict-name.js';
import type { Notice } from './reconcile/index.js';
import { heldDeletesView, StatusStore, type ConflictItem, type PairState } from './status/status.js';
import { pruneLocalTrash, pruneRemoteTrash } from './engine/trash.js';
import { startWatcher, type Watcher } from './local/watch.js';
import { acquirePidLock, type PidLock } from '../util/pid-lock.js';
import { VERSION } from '../util/version.js';
import { VosError } from '../util/errors.js';
import type { QuotaState } from '../util/quota-state.js';
import type { RemoteService } from './remote/port.js';
import { connectVospace } from './remote/vospace/connect.js';

export interface DaemonOptions {
  config: VosyncConfig;
  log: Logger;
  now?: () => number;
  /** Override the remote service (tests); otherwise connected as the config's registry and auth say. */
  remotes?: RemoteService;
  /** Watcher timings (tests and benchmarks use shorter ones). */
  watch?: { debounceMs?: number; stableMs?: number; maxWaitMs?: number };
  host?: string;
  /** Reads the config again on reload; default: `loadConfig` of the file the config came from. */
  readConfig?: (file: string) => VosyncConfig;
  /** The log level was set on the command line (`-v`): a reload does not change it. */
  fixedLogLevel?: boolean;
}

/** What a reload did, or why it did nothing. */
export interface ReloadResult {
  ok: boolean;
  file: string;
  /** Why the new file was refused (file:line:column: path: problem), when `ok` is false. */
  errors: string[];
  pairsAdded: string[];
  pairsRemoved: string[];
  pairsRestarted: string[];
  /** Settings that took effect, as config paths. */
  applied: string[];
  /** Settings that changed but wait for a restart of the daemon, as config paths. */
  restartNeeded: string[];
}

/** Messages of failures that mean the server could not be reached at all. */
const UNREACHABLE =
  /cannot reach|ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|socket hang up/i;

/** A whole cycle's failure that means the server is out of reach (offline), not that something is wrong. */
export function serverUnreachable(e: unknown): boolean {
  if (e instanceof VosError && (e.kind === 'transient' || e.kind === 'unreachable')) return true;
  return UNREACHABLE.test((e as Error)?.message ?? '');
}

interface CycleRequest {
  full: boolean;
  remote: boolean;
  local: boolean;
}

class PairRunner {
  private watcher: Watcher | undefined;
  private tasks: ScheduledTask[] = [];
  private pending: CycleRequest | undefined;
  private running: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelayMs = 2000;
  private paused = false;
  /** Paused through the API (not by a safety stop): survives a restart of the runner by a reload. */
  pausedByUser = false;
  private stopped = false;
  private readonly abort = new AbortController();
  private caseInsensitive = false;
  private expectedIntervalMs = 5 * 60_000;
  /** The last remote poll failed: nothing may be called up to date until one succeeds. */
  private remoteFailed = false;
  /** The running cycle's log lines (sizes, durations, the summary). */
  private cycleLog: CycleLog | undefined;
  /** Since when the server has been out of reach: "offline" and "back online" are each said once. */
  private offlineSince: number | undefined;
  /** Not-synced paths already said in the log (each is said once, not every cycle). */
  private reportedNotSynced = new Set<string>();
  /** Uploads refused for space: held back until their file or the allocation changes, or a full rescan. */
  private readonly quotaHolds = new QuotaHolds();
  private reporter!: PairReporter;

  constructor(
    private readonly d: Daemon,
    readonly pair: PairConfig,
  ) {}

  private get log(): Logger {
    return this.d.log;
  }

  private setState(state: PairState, patch: Record<string, unknown> = {}): void {
    // A pause made while a cycle was running outlives that cycle's end: only resume() lifts it.
    if (this.paused && state !== 'paused') {
      const { pausedReason: _ignored, ...rest } = patch;
      this.d.status.update(this.pair.name, { ...rest, state: 'paused', upToDate: false });
      return;
    }
    this.d.status.update(this.pair.name, { state, ...patch });
  }

  async start(): Promise<void> {
    const pair = this.pair;
    this.d.status.addPair({
      name: pair.name,
      local: pair.local,
      remote: pair.remote,
      mode: pair.mode,
      lastSyncOkAt: null,
      lastRemotePollOkAt: null,
    });
    this.reporter = new PairReporter({
      pair,
      status: this.d.status,
      index: this.d.index,
      now: this.d.now,
    });
    const rec = this.d.index.getPair(pair.name);
    if (rec) {
      this.d.status.update(pair.name, {
        lastSyncOkAt: rec.lastSyncOkAt,
        lastRemotePollOkAt: rec.lastRemotePollOkAt,
      });
      // Conflicts open before a restart are still open: they are the copies on disk.
      this.refreshConflicts([]);
    }
    this.d.notifyFrom(pair.name);
    if (!fs.existsSync(pair.local)) {
      this.setState('paused', { pausedReason: `local folder ${pair.local} does not exist` });
      this.paused = true;
      this.log.warn(`pair ${pair.name}: local folder ${pair.local} does not exist; paused`);
      return;
    }
    this.caseInsensitive = detectCaseInsensitive(pair.local);
    this.d.status.setBusyCheck(
      pair.name,
      () =>
        (this.watcher?.pendingCount() ?? 0) > 0 || this.running !== undefined || this.pending !== undefined,
    );
    // Watch before the first scan, so no change falls between them.
    this.watcher = startWatcher({
      root: pair.local,
      ignore: ignoreFor(pair),
      ...this.d.watchOptions,
      onBatch: (batch) => {
        this.log.debug(
          `${pair.name}: watcher batch: ${batch.paths.length} path(s), ${batch.subtrees.length} folder(s)${batch.fullRescan ? ', full rescan' : ''}`,
        );
        if (batch.paths.length === 0 && batch.subtrees.length === 0 && !batch.fullRescan) return;
        this.reporter.noticed(batch.paths.length + batch.subtrees.length);
        this.request({ local: true, full: batch.fullRescan || batch.ignoreRulesChanged });
      },
      onError: (e) => this.log.warn(`pair ${pair.name}: watcher: ${e.message}`),
    });
    await this.watcher.ready;
    this.d.status.setLocalChangesSource(pair.name, () => this.watcher?.pendingCount() ?? 0);
    const poll = cron.schedule(pair.schedule.remotePoll, () => this.request({ remote: true }), {
      noOverlap: true,
    });
    const rescan = cron.schedule(pair.schedule.fullRescan, () => this.request({ full: true, remote: true }), {
      noOverlap: true,
    });
    this.tasks.push(poll, rescan);
    this.expectedIntervalMs = estimateInterval(poll);
    this.d.status.update(pair.name, { pollIntervalMs: this.expectedIntervalMs });
    this.request({ full: true, remote: true });
  }

  /** Asks for a cycle; requests made while one runs are merged into the next. */
  request(r: Partial<CycleRequest>): void {
    if (this.stopped) return;
    const p = this.pending ?? { full: false, remote: false, local: false };
    this.pending = {
      full: p.full || !!r.full,
      remote: p.remote || !!r.remote,
      local: p.local || !!r.local,
    };
    if (!this.running) this.running = this.loop().finally(() => (this.running = undefined));
  }

  pause(reason = 'paused by the user'): void {
    this.paused = true;
    this.pausedByUser = true;
    this.setState('paused', { pausedReason: reason, upToDate: false });
  }

  /** Resumes; `confirmDeletes` confirms the deletions the pause holds back (that set, no other). */
  resume(confirmDeletes = false): void {
    this.paused = false;
    this.pausedByUser = false;
    const rec = confirmDeletes ? this.d.index.getPair(this.pair.name) : undefined;
    const held = rec ? confirmHeldDeletes(this.d.index, rec.id) : undefined;
    // The set stays shown, confirmed, until the next cycle carries it out or pauses again with another.
    this.setState('idle', {
      pausedReason: null,
      ...(held ? { heldDeletes: heldDeletesView(held, true) } : {}),
    });
    this.request({ full: true, remote: true });
  }

  private async loop(): Promise<void> {
    while (this.pending && !this.stopped) {
      if (this.paused) {
        this.pending = undefined;
        return;
      }
      const req = this.pending;
      this.pending = undefined;
      try {
        await this.cycle(req);
      } finally {
        this.reporter.cycleEnded();
      }
    }
    this.releaseMemory();
  }

  /** After the cycles of a big pair, hand the trees' memory back now rather than minutes later. */
  private releaseMemory(): void {
    const rec = this.d.index.getPair(this.pair.name);
    if (!rec) return;
    const counts = this.d.index.treeCounts(rec.id);
    if (counts.local + counts.remote + counts.base >= COMPACT_AFTER_ENTRIES) compactHeap();
  }

  private onAction = (e: ActionEvent): void => {
    this.reporter.action(e);
    const a = e.action;
    const p = 'path' in a ? a.path : a.to;
    this.d.status.recordActivity({
      at: this.d.now(),
      pair: this.pair.name,
      path: p,
      action: a.type,
      result: e.result,
      bytes: e.bytes ?? 0,
      message: e.message ?? null,
    });
    const { level, line } = (this.cycleLog ??= new CycleLog(this.pair.name, this.d.now)).action(e);
    this.log.log(level, line);
  };

  private async cycle(req: CycleRequest): Promise<void> {
    const name = this.pair.name;
    let result: CycleResult;
    this.log.debug(
      `${name}: cycle start (${req.full ? 'full' : req.local ? 'local changes' : 'remote poll'})`,
    );
    if (req.full) this.quotaHolds.releaseAll();
    else await this.recheckQuotaHolds();
    this.cycleLog = new CycleLog(name, this.d.now);
    try {
      result = await syncPair({
        pair: this.pair,
        remote: this.d.remotes.forPair(this.pair),
        index: this.d.index,
        now: this.d.now,
        concurrency: this.d.config.transfers.concurrency,
        caseInsensitiveLocal: this.caseInsensitive,
        onAction: this.onAction,
        onTransfer: (e) => {
          this.reporter.transfer(e);
          if (e.phase === 'started') this.cycleLog?.transferStarted(e.path);
        },
        onPlan: (plan) => this.reporter.planned(plan),
        onPhase: (phase) => {
          this.reporter.phase(phase);
          // An error or an outage stands until a cycle proves it gone: a retry is not "syncing".
          const current = this.d.status.pair(name).state;
          if (current === 'error' || current === 'offline') return;
          this.setState(
            phase === 'scanning-local' || phase === 'scanning-remote' || phase === 'planning'
              ? 'scanning'
              : 'syncing',
          );
        },
        signal: this.abort.signal,
        // After a failed poll, only a fresh listing may count as knowing the remote side.
        useCachedRemote: !this.remoteFailed && req.local && !req.remote && !req.full,
        holdUpload: (a) => this.quotaHolds.reasonFor(a.path, a.expectLocal),
        ...(this.d.host ? { host: this.d.host } : {}),
      });
    } catch (e) {
      // Cut short by the shutdown (the listing aborted, requests cut off): not a failure to report.
      if (this.stopped) return;
      const offline = serverUnreachable(e);
      const message = this.d.remotes.explain(e);
      this.d.status.recordError({
        at: this.d.now(),
        pair: name,
        path: null,
        message,
        transient: offline,
      });
      if (offline) {
        this.remoteFailed = true;
        this.reporter.offline();
        this.setState('offline', { upToDate: false });
        const retry = `retrying in ${Math.round(this.retryDelayMs / 1000)} s`;
        if (this.offlineSince === undefined) {
          this.offlineSince = this.d.now();
          this.log.warn(`${name}: offline: ${message}; changes wait here until it is back (${retry})`);
        } else this.log.debug(`${name}: still offline: ${message}; ${retry}`);
        this.scheduleRetry();
      } else {
        this.setState('error', { upToDate: false });
        this.log.error(`${name}: sync failed: ${message}`);
        this.scheduleRetry();
      }
      return;
    }
    this.retryDelayMs = 2000;
    this.remoteFailed = false;
    if (this.offlineSince !== undefined) {
      this.log.info(`${name}: back online after ${humanDuration(this.d.now() - this.offlineSince)}`);
      this.offlineSince = undefined;
    }
    const conflicts = result.notices.filter((n) => n.kind === 'conflict').length;
    // A pause is said by its own line below.
    const summary = result.paused ? undefined : this.cycleLog?.summary({ conflicts });
    if (summary) this.log.log(summary.level, summary.line);
    const rec = this.d.index.getPairById(result.pairId);
    const patch: Record<string, unknown> = {
      lastSyncOkAt: rec?.lastSyncOkAt ?? null,
      lastRemotePollOkAt: rec?.lastRemotePollOkAt ?? null,
      notSynced: result.localProblems.length + result.remoteProblems.length,
    };
    for (const pr of [...result.localProblems, ...result.remoteProblems]) {
      this.d.status.setFileState(name, pr.path, 'ignored', pr.message);
    }
    for (const pr of [...result.localProblems, ...result.remoteProblems]) {
      if (!this.reportedNotSynced.has(pr.path)) this.log.info(`${name}: ${pr.path}: ${pr.message}`);
    }
    this.reportedNotSynced = new Set(
      [...result.localProblems, ...result.remoteProblems].map((pr) => pr.path),
    );
    this.d.status.setNotSynced(
      name,
      [...result.localProblems, ...result.remoteProblems].map((pr) => ({
        path: pr.path,
        reason: pr.message,
      })),
    );
    for (const n of result.notices) {
      if (n.kind === 'conflict') this.log.warn(`${name}: conflict on ${n.path}: ${n.message}`);
    }
    this.refreshConflicts(result.notices);
    this.d.status.update(name, {
      diverged: result.notices.filter((n) => n.kind === 'remote-change-ignored').length,
    });
    patch['heldDeletes'] = result.heldDeletes ? heldDeletesView(result.heldDeletes, false) : null;
    if (result.paused) {
      this.paused = true;
      this.setState('paused', { ...patch, pausedReason: result.paused, upToDate: false });
      this.log.warn(`${name}: paused: ${result.paused}`);
      return;
    }
    const report = result.report;
    const failures = report?.failed ?? [];
    for (const f of failures) {
      this.d.status.recordError({
        at: this.d.now(),
        pair: name,
        path: f.path,
        message: f.kind === 'quota' ? quotaReason(f.quota) : f.message,
        transient: f.transient,
      });
      if (f.kind === 'quota' && f.type === 'upload') this.holdForQuota(f.path, f.quota, result);
    }
    for (const h of result.held) {
      this.d.status.setFileState(name, h.path, 'error', h.reason);
      this.log.debug(`${name}: ${h.path}: upload held back: ${h.reason}`);
    }
    const pending = { uploads: 0, downloads: 0, deletes: 0, other: 0 };
    for (const f of [...failures, ...(report?.skipped ?? [])]) {
      if (f.type === 'upload' || f.type === 'mkdirRemote') pending.uploads++;
      else if (f.type === 'download' || f.type === 'mkdirLocal') pending.downloads++;
      else if (f.type === 'deleteLocal' || f.type === 'deleteRemote') pending.deletes++;
      else pending.other++;
    }
    // Files another machine is still uploading: pending downloads, looked at again soon.
    pending.downloads += result.waiting.length;
    for (const w of result.waiting) this.d.status.setFileState(name, w.path, 'pending', w.reason);
    const permanent = failures.filter((f) => !f.transient);
    if (result.clean) this.d.status.clearErrors(name);
    const upToDate = result.clean && this.watcher !== undefined && this.watcher.pendingCount() === 0;
    // Transfers that failed because the server could not be reached mean offline, not idle.
    const unreachable = failures.some((f) => f.transient && UNREACHABLE.test(f.message));
    const failing = permanent.length > 0 || result.held.length > 0;
    this.setState(failing ? 'error' : unreachable ? 'offline' : 'idle', {
      ...patch,
      pending,
      upToDate,
      pausedReason: null,
    });
    if (failures.length > 0 || (report?.skipped.length ?? 0) > 0 || result.waiting.length > 0) {
      // Something is left to do: try again soon (transient failures) rather than at the next poll.
      if (
        permanent.length < failures.length ||
        (report?.skipped.length ?? 0) > 0 ||
        result.waiting.length > 0
      )
        this.scheduleRetry();
    }
  }

  /** Holds an upload the service refused for space back, as its file was planned (see QuotaHolds). */
  private holdForQuota(p: string, quota: QuotaState | undefined, result: CycleResult): void {
    const planned = result.plan?.actions.find((a) => a.type === 'upload' && a.path === p);
    if (planned?.type === 'upload') this.quotaHolds.hold(p, planned.expectLocal, quota);
  }

  /** While uploads are held, reads each allocation that refused them: a changed quota or freed space lets go. */
  private async recheckQuotaHolds(): Promise<void> {
    for (const q of this.quotaHolds.allocations()) {
      const freed = this.quotaHolds.recheck(q.container, await this.d.remotes.allocation(q.container));
      if (freed.length > 0)
        this.log.info(`${this.pair.name}: ${q.container} changed; trying ${freed.length} upload(s) again`);
    }
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.stopped) return;
    const delay = this.retryDelayMs;
    this.retryDelayMs = Math.min(this.retryDelayMs * 2, 60_000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.request({ remote: true });
    }, delay);
    this.retryTimer.unref();
  }

  /**
   * The open conflicts are the conflict copies the index knows on the local disk (made here, or arrived from
   * another machine): one lasts until its copy is deleted, renamed or merged away.
   */
  private refreshConflicts(notices: readonly Notice[]): void {
    const rec = this.d.index.getPair(this.pair.name);
    if (!rec) return;
    const said = new Map(
      notices.filter((n) => n.kind === 'conflict' && n.related).map((n) => [n.related!, n]),
    );
    const items: ConflictItem[] = [];
    for (const copy of this.d.index.conflictCopyCandidates(rec.id)) {
      const info = conflictCopyInfo(copy);
      if (!info) continue;
      const made = info.host ? ` on ${info.host}` : '';
      items.push({
        at: info.at ?? this.d.now(),
        pair: this.pair.name,
        path: info.original,
        copy,
        message:
          said.get(copy)?.message ??
          `conflict copy of ${info.original} made${made}; delete or rename it when resolved`,
      });
    }
    this.d.status.setConflicts(this.pair.name, items);
  }

  /** What the notification rule looks at. */
  notifyFacts(): NotifyFacts {
    const name = this.pair.name;
    const st = this.d.status.pair(name);
    return {
      conflicts: this.d.status.conflicts.filter((c) => c.pair === name).map((c) => c.copy ?? c.path),
      safetyPause: st.state === 'paused' && !this.pausedByUser ? st.pausedReason : null,
      failing: this.d.status.failing(name).map((f) => ({ key: f.path ?? '', message: f.message })),
      offlineSince: st.offlineSince ?? null,
    };
  }

  /** A pair that has not synced within three expected poll intervals is stale. */
  refreshStale(): void {
    const st = this.d.status.pair(this.pair.name);
    if (st.state !== 'idle' && st.state !== 'stale') return;
    const last = st.lastSyncOkAt ?? this.d.status.startedAt;
    const stale = this.d.now() - last > 3 * this.expectedIntervalMs;
    if (stale && st.state === 'idle') this.setState('stale', { upToDate: false });
    if (!stale && st.state === 'stale') this.setState('idle');
  }

  async prune(): Promise<void> {
    const days = this.d.config.trash.keepDays;
    pruneLocalTrash(this.pair.local, days, this.d.now());
    await pruneRemoteTrash(this.d.remotes.forPair(this.pair), days, this.d.now()).catch(() => undefined);
  }

  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    for (const t of this.tasks) await t.destroy();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.watcher?.close();
    await this.settle(graceMs);
  }

  /** Waits, at most `ms`, for the cycle in progress to end. */
  async settle(ms: number): Promise<void> {
    if (this.running) await Promise.race([this.running, new Promise((r) => setTimeout(r, ms).unref())]);
  }
}

/** How long cycles get to wind down once their requests were cut off at shutdown. */
const STOP_SETTLE_MS = 1000;

/** Milliseconds between a cron task's next two runs (falls back to 5 minutes). */
function estimateInterval(task: ScheduledTask): number {
  try {
    // The gap between two runs, not the time to the next one (which shrinks to nothing just before a run).
    const [a, b] = task.getNextRuns(2);
    if (a && b) return Math.max(60_000, Math.min(24 * 3600_000, b.getTime() - a.getTime()));
  } catch {
    // keep the default
  }
  return 5 * 60_000;
}

/** The lock file in the state directory naming the agent that uses it. */
export const AGENT_LOCK = 'agent.lock';

export class Daemon {
  readonly status: StatusStore;
  readonly index: SyncIndex;
  remotes!: RemoteService;
  private current: VosyncConfig;
  /** Reloads run one after another. */
  private reloads: Promise<unknown> = Promise.resolve();
  readonly now: () => number;
  readonly host: string | undefined;
  readonly watchOptions: { debounceMs?: number; stableMs?: number; maxWaitMs?: number };
  private readonly runners = new Map<string, PairRunner>();
  private housekeeping: NodeJS.Timeout | undefined;
  private readonly lock: PidLock;
  private readonly notifications: Notifications;
  private readonly unsubscribe: () => void;

  constructor(
    config: VosyncConfig,
    readonly log: Logger,
    private readonly opts: DaemonOptions,
  ) {
    this.current = config;
    this.now = opts.now ?? Date.now;
    this.host = opts.host;
    this.watchOptions = opts.watch ?? {};
    this.status = new StatusStore(this.now, VERSION);
    this.status.setConfigFile(config.source);
    this.notifications = new Notifications({
      settings: () => this.current.notifications,
      facts: (pair) => this.runners.get(pair)?.notifyFacts(),
      now: this.now,
      log,
    });
    this.unsubscribe = this.status.subscribe((pair) => this.notifications.check(pair));
    ensurePrivateDir(config.state.dir);
    // One agent per state: a second daemon, or `vosync once` beside a daemon, would sync the same pairs
    // against the same index at the same time.
    this.lock = acquirePidLock(
      path.join(config.state.dir, AGENT_LOCK),
      (pid) => `vosync is already running (pid ${pid}) with the state in ${config.state.dir}`,
    );
    try {
      this.index = SyncIndex.open(path.join(config.state.dir, 'index.sqlite'));
    } catch (e) {
      this.lock.release();
      throw e;
    }
  }

  /** The configuration in force (replaced by a successful reload). */
  get config(): VosyncConfig {
    return this.current;
  }

  static async create(opts: DaemonOptions): Promise<Daemon> {
    const d = new Daemon(opts.config, opts.log, opts);
    d.remotes = opts.remotes ?? (await connectVospace(opts.config));
    return d;
  }

  async start(): Promise<void> {
    for (const w of this.config.warnings) this.log.warn(`config: ${w.path}: ${w.message}`);
    for (const pair of this.config.pairs) await this.startRunner(pair);
    this.housekeeping = setInterval(() => {
      for (const r of this.runners.values()) r.refreshStale();
      // The offline threshold passes without any change of status.
      for (const name of this.runners.keys()) this.notifications.check(name);
    }, 30_000);
    this.housekeeping.unref();
    for (const r of this.runners.values()) void r.prune();
    this.log.info(`vosync ${VERSION}: watching ${this.config.pairs.length} pair(s)`);
  }

  private select(pair?: string): PairRunner[] {
    if (!pair) return [...this.runners.values()];
    const r = this.runners.get(pair);
    if (!r) throw new VosError('not-found', `no pair named ${pair}`);
    return [r];
  }

  pause(pair?: string): void {
    for (const r of this.select(pair)) r.pause();
  }

  /** Notifications about a pair start from what it holds now. */
  notifyFrom(pair: string): void {
    this.notifications.begin(pair);
  }

  resume(pair?: string, confirmDeletes = false): void {
    for (const r of this.select(pair)) r.resume(confirmDeletes);
  }

  rescan(pair?: string): void {
    for (const r of this.select(pair)) r.request({ full: true, remote: true });
  }

  refreshStale(): void {
    for (const r of this.runners.values()) r.refreshStale();
  }

  private async startRunner(pair: PairConfig, pausedByUser = false): Promise<void> {
    const runner = new PairRunner(this, pair);
    this.runners.set(pair.name, runner);
    await runner.start();
    if (pausedByUser) runner.pause();
  }

  /**
   * Reads the config file again (SIGHUP, `vosync reload`). A file with mistakes changes nothing: the daemon
   * keeps running as it was and says why. Otherwise the differences take effect: new pairs start, removed
   * pairs stop (nothing is deleted on either side), changed pairs restart after their running cycle, and
   * settings read only at start-up are reported as waiting for a restart.
   */
  reload(): Promise<ReloadResult> {
    const run = this.reloads.then(() => this.reloadNow());
    this.reloads = run.catch(() => undefined);
    return run;
  }

  private async reloadNow(): Promise<ReloadResult> {
    const file = this.current.source;
    const empty = { pairsAdded: [], pairsRemoved: [], pairsRestarted: [], applied: [], restartNeeded: [] };
    let next: VosyncConfig;
    try {
      next = (this.opts.readConfig ?? loadConfig)(file);
    } catch (e) {
      const errors =
        e instanceof ConfigError
          ? formatConfigIssues(e.issues, e.source).split('\n')
          : [`${file}: ${(e as Error).message}`];
      this.status.setConfigReload({ at: this.now(), errors, restartNeeded: [] });
      this.log.error(`config reload refused, still running with the previous config:\n${errors.join('\n')}`);
      return { ok: false, file, errors, ...empty };
    }
    const changes = diffConfigs(this.current, next);
    const old = this.current;
    // Settings bound at start-up keep their running values until a restart, so the daemon's view stays true.
    this.current = {
      ...next,
      status: old.status,
      state: old.state,
      log: { ...next.log, file: old.log.file, maxSizeMB: old.log.maxSizeMB, maxFiles: old.log.maxFiles },
    };
    for (const w of next.warnings) this.log.warn(`config: ${w.path}: ${w.message}`);
    await this.applyChanges(changes, old);
    this.status.setConfigReload({ at: this.now(), errors: null, restartNeeded: changes.restartNeeded });
    this.log.info(
      `config reloaded from ${file}: ` +
        (changes.applied.length ? `applied ${changes.applied.join(', ')}` : 'no changes') +
        (changes.restartNeeded.length ? `; restart needed for ${changes.restartNeeded.join(', ')}` : ''),
    );
    return {
      ok: true,
      file,
      errors: [],
      pairsAdded: changes.pairsAdded,
      pairsRemoved: changes.pairsRemoved,
      pairsRestarted: changes.pairsRestarted,
      applied: changes.applied,
      restartNeeded: changes.restartNeeded,
    };
  }

  private async applyChanges(changes: ConfigChanges, old: VosyncConfig): Promise<void> {
    if (changes.applied.includes('log.level') && !this.opts.fixedLogLevel)
      this.log.level = this.config.log.level;
    const stopping = [...changes.pairsRemoved, ...changes.pairsRestarted];
    const pausedByUser = new Set<string>();
    await Promise.all(
      stopping.map(async (name) => {
        const runner = this.runners.get(name);
        if (!runner) return;
        if (runner.pausedByUser) pausedByUser.add(name);
        await runner.stop(30_000);
        this.runners.delete(name);
      }),
    );
    for (const name of changes.pairsRemoved) {
      this.status.removePair(name);
      this.log.info(`pair ${name}: removed from the config; stopped (its folders are left as they are)`);
    }
    if (changes.clientChanged && !this.opts.remotes) {
      const previous = this.remotes;
      try {
        this.remotes = await connectVospace(this.config);
        await previous.close();
      } catch (e) {
        this.log.error(`config reload: cannot set up the new connection settings: ${(e as Error).message}`);
        this.remotes = previous;
        this.current = {
          ...this.current,
          registry: old.registry,
          services: old.services,
          auth: old.auth,
          transfers: old.transfers,
        };
      }
    }
    const pairs = new Map(this.config.pairs.map((p) => [p.name, p]));
    for (const name of [...changes.pairsRestarted, ...changes.pairsAdded]) {
      const pair = pairs.get(name);
      if (!pair) continue;
      await this.startRunner(pair, pausedByUser.has(name));
      this.log.info(
        `pair ${name}: ${changes.pairsAdded.includes(name) ? 'started' : 'restarted'} (config reload)`,
      );
    }
  }

  /** Stops taking new work, lets in-flight transfers finish (up to `graceMs`), closes everything. */
  async stop(graceMs = 30_000): Promise<void> {
    if (this.housekeeping) clearInterval(this.housekeeping);
    this.unsubscribe();
    await Promise.all([...this.runners.values()].map((r) => r.stop(graceMs)));
    // What outlived the grace (a stalled transfer, an endless listing) is cut off, not waited for.
    if (!this.opts.remotes) await this.remotes.destroy();
    await Promise.all([...this.runners.values()].map((r) => r.settle(STOP_SETTLE_MS)));
    this.index.close();
    this.lock.release();
    this.log.info('vosync stopped');
  }
}
