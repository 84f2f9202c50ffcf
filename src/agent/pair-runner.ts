/**
 * One pair's runner inside the daemon: a watcher started before the first scan, cycles on local changes, remote
 * polls and full rescans on cron schedules, retries with back-off while offline, and each cycle's result carried
 * into the status store and the log.
 */
import fs from 'node:fs';
import cron, { type ScheduledTask } from 'node-cron';
import type { PairConfig, VosyncConfig } from './config/index.js';
import type { ActionEvent } from './engine/executor.js';
import type { SyncIndex } from './store/index-db.js';
import type { Logger } from './log.js';
import { PairReporter } from './api/pair-reporter.js';
import { compactAfterCycle } from './heap.js';
import type { NotifyFacts } from './status/notify-rule.js';
import {
  confirmHeldDeletes,
  detectCaseInsensitive,
  ignoreFor,
  syncPair,
  type CycleResult,
} from './engine/pair-sync.js';
import { QuotaHolds } from './engine/quota-holds.js';
import { CycleLog, humanDuration } from './status/cycle-log.js';
import { UNREACHABLE, cycleOutcome, leavesWorkBehind, withCarriedOver } from './status/cycle-outcome.js';
import { conflictCopyInfo } from './reconcile/conflict-name.js';
import type { Notice } from './reconcile/index.js';
import { heldDeletesView, type ConflictItem, type PairState, type StatusStore } from './status/status.js';
import { pruneLocalTrash, pruneRemoteTrash } from './engine/trash.js';
import { startWatcher, type Watcher } from './local/watch.js';
import { VosError } from '../util/errors.js';
import type { QuotaState } from '../util/quota-state.js';
import type { RemoteService } from './remote/port.js';

/** What a pair runner uses of the daemon that runs it. */
export interface RunnerHost {
  readonly config: VosyncConfig;
  readonly host: string | undefined;
  readonly index: SyncIndex;
  readonly log: Logger;
  readonly now: () => number;
  readonly remotes: RemoteService;
  readonly status: StatusStore;
  readonly watchOptions: { debounceMs?: number; stableMs?: number; maxWaitMs?: number };
  /** The pair's status changed in a way notifications should look at. */
  notifyFrom(pair: string): void;
}

/** A whole cycle's failure that means the server is out of reach (offline), not that something is wrong. */
export function serverUnreachable(e: unknown): boolean {
  if (e instanceof VosError && (e.kind === 'transient' || e.kind === 'unreachable')) return true;
  return UNREACHABLE.test((e as Error)?.message ?? '');
}

export interface CycleRequest {
  full: boolean;
  remote: boolean;
  local: boolean;
  /** The local paths the watcher reported for this cycle; undefined: look at the whole pair. */
  changed?: Set<string>;
}

export class PairRunner {
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
  /** The last cycle's result, scoped cycles' merged into it: what the status says of the whole pair. */
  private lastResult: CycleResult | undefined;
  /** Uploads refused for space: held back until their file or the allocation changes, or a full rescan. */
  private readonly quotaHolds = new QuotaHolds();
  private reporter!: PairReporter;

  constructor(
    private readonly d: RunnerHost,
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
        this.request({
          local: true,
          full: batch.fullRescan || batch.ignoreRulesChanged,
          changed: batch.paths,
        });
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
  request(r: Partial<Omit<CycleRequest, 'changed'>> & { changed?: readonly string[] }): void {
    if (this.stopped) return;
    const p = this.pending ?? { full: false, remote: false, local: false };
    let changed = p.changed;
    // Changed paths add up; a local request that names none stands for the whole pair.
    if (r.local)
      changed =
        r.changed && (!p.local || p.changed) ? new Set([...(p.changed ?? []), ...r.changed]) : undefined;
    this.pending = {
      full: p.full || !!r.full,
      remote: p.remote || !!r.remote,
      local: p.local || !!r.local,
      ...(changed ? { changed } : {}),
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
    // Only a cycle over the whole pair builds whole trees; a scoped one leaves little to give back.
    let builtTrees = false;
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
      builtTrees ||= this.lastResult?.scope === undefined;
    }
    if (builtTrees) this.releaseMemory();
  }

  /** After the cycles of a big pair, hand the trees' memory back now rather than minutes later. */
  private releaseMemory(): void {
    const rec = this.d.index.getPair(this.pair.name);
    if (!rec) return;
    const counts = this.d.index.treeCounts(rec.id);
    compactAfterCycle(counts.local + counts.remote + counts.base, {
      releaseCaches: () => this.d.index.releaseCache(),
    });
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
    // After a failed poll, only a fresh listing may count as knowing the remote side.
    const useCachedRemote = !this.remoteFailed && req.local && !req.remote && !req.full;
    // Work left for a retry is picked up by a cycle over the whole pair, not one over the changed paths.
    const scoped = useCachedRemote && req.changed && this.lastResult && !leavesWorkBehind(this.lastResult);
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
        useCachedRemote,
        ...(scoped && req.changed ? { changedPaths: [...req.changed] } : {}),
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
    if (result.scope)
      this.log.debug(`${name}: cycle scoped to ${result.scope.length} path(s): ${result.scope.join(', ')}`);
    result = withCarriedOver(this.lastResult, result);
    // Kept for the next merge without its plan: a first sync's plan holds an action per file.
    const { plan: _plan, ...kept } = result;
    this.lastResult = result.paused ? undefined : kept;
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
    const localChangesWaiting = this.watcher === undefined || this.watcher.pendingCount() > 0;
    const outcome = cycleOutcome(result, localChangesWaiting);
    const patch: Record<string, unknown> = {
      lastSyncOkAt: rec?.lastSyncOkAt ?? null,
      lastRemotePollOkAt: rec?.lastRemotePollOkAt ?? null,
      notSynced: outcome.notSynced.length,
      heldDeletes: result.heldDeletes ? heldDeletesView(result.heldDeletes, false) : null,
    };
    for (const ns of outcome.notSynced)
      if (!this.reportedNotSynced.has(ns.path)) this.log.info(`${name}: ${ns.path}: ${ns.reason}`);
    this.reportedNotSynced = new Set(outcome.notSynced.map((ns) => ns.path));
    this.d.status.setNotSynced(name, outcome.notSynced);
    for (const n of result.notices) {
      if (n.kind === 'conflict') this.log.warn(`${name}: conflict on ${n.path}: ${n.message}`);
    }
    this.refreshConflicts(result.notices);
    this.d.status.update(name, {
      diverged: result.notices.filter((n) => n.kind === 'remote-change-ignored').length,
    });
    if (result.paused) {
      this.paused = true;
      this.setState('paused', { ...patch, pausedReason: result.paused, upToDate: false });
      this.log.warn(`${name}: paused: ${result.paused}`);
      return;
    }
    for (const f of outcome.failures) this.d.status.recordError({ at: this.d.now(), pair: name, ...f });
    for (const f of result.report?.failed ?? [])
      if (f.kind === 'quota' && f.type === 'upload') this.holdForQuota(f.path, f.quota, result);
    for (const h of result.held) this.log.debug(`${name}: ${h.path}: upload held back: ${h.reason}`);
    if (result.clean) this.d.status.clearErrors(name);
    this.setState(outcome.state, {
      ...patch,
      pending: outcome.pending,
      upToDate: outcome.upToDate,
      pausedReason: null,
    });
    // Something is left to do: try again soon rather than at the next poll.
    if (outcome.retrySoon) this.scheduleRetry();
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
