/**
 * What a finished cycle means for the status: the pair's state, what is still pending, which failures to record,
 * whether it is up to date and whether to try again soon. Pure: the pair runner feeds it the cycle's result and
 * applies what it returns.
 */
import type { CycleResult } from '../engine/pair-sync.js';
import { quotaReason } from '../engine/quota-holds.js';
import type { PlanAction } from '../reconcile/index.js';
import { isAtOrBelow } from '../reconcile/paths.js';

/** Messages of failures that mean the server could not be reached at all. */
export const UNREACHABLE =
  /cannot reach|ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|socket hang up/i;

type PendingKind = 'uploads' | 'downloads' | 'deletes' | 'other';
export type Pending = Record<PendingKind, number>;

/** Which pending count an action is: file transfers and deletions by name, folders and bookkeeping as other. */
export function pendingKind(type: PlanAction['type']): PendingKind {
  if (type === 'upload') return 'uploads';
  if (type === 'download') return 'downloads';
  if (type === 'deleteLocal' || type === 'deleteRemote') return 'deletes';
  return 'other';
}

export interface CycleOutcome {
  /** The state after a cycle that was not paused. */
  state: 'error' | 'offline' | 'idle';
  pending: Pending;
  /** Nothing left to do and no local change waiting to be synced. */
  upToDate: boolean;
  /** Something is left that a retry soon may do: transient failures, skipped actions, uploads elsewhere. */
  retrySoon: boolean;
  /** The failed actions to record, in words (a refusal for space names the allocation). */
  failures: { path: string; message: string; transient: boolean }[];
  /** Paths not synced and why (names the other side cannot hold, unreadable files …). */
  notSynced: { path: string; reason: string }[];
}

/** The status a finished, unpaused cycle leaves; `localChangesWaiting`: the watcher holds unsynced changes. */
export function cycleOutcome(result: CycleResult, localChangesWaiting: boolean): CycleOutcome {
  const report = result.report;
  const failed = report?.failed ?? [];
  const skipped = report?.skipped ?? [];
  const problems = [...result.localProblems, ...result.remoteProblems];
  const pending: Pending = { uploads: 0, downloads: 0, deletes: 0, other: 0 };
  for (const f of [...failed, ...skipped]) pending[pendingKind(f.type)]++;
  // Files another machine is still uploading: pending downloads, looked at again soon.
  pending.downloads += result.waiting.length;
  const permanent = failed.filter((f) => !f.transient);
  // Transfers that failed because the server could not be reached mean offline, not idle.
  const unreachable = failed.some((f) => f.transient && UNREACHABLE.test(f.message));
  const failing = permanent.length > 0 || result.held.length > 0;
  return {
    state: failing ? 'error' : unreachable ? 'offline' : 'idle',
    pending,
    upToDate: result.clean && !localChangesWaiting,
    retrySoon: leavesWorkBehind(result),
    failures: failed.map((f) => ({
      path: f.path,
      message: f.kind === 'quota' ? quotaReason(f.quota) : f.message,
      transient: f.transient,
    })),
    notSynced: problems.map((p) => ({ path: p.path, reason: p.message })),
  };
}

/** Work a cycle left for a retry soon (transient failures, skipped actions, uploads elsewhere): only a full cycle picks it up. */
export function leavesWorkBehind(result: CycleResult): boolean {
  const report = result.report;
  return (
    result.waiting.length > 0 ||
    (report?.skipped.length ?? 0) > 0 ||
    (report?.failed.some((f) => f.transient) ?? false)
  );
}

/**
 * A scoped cycle's result completed with what the previous result said of the rest of the pair: problems,
 * failures, held uploads, waits and notices outside the scope still stand, and the pair is clean only when
 * neither part leaves anything to do.
 */
export function withCarriedOver(previous: CycleResult | undefined, scoped: CycleResult): CycleResult {
  const scope = scoped.scope;
  if (!scope || !previous || scoped.paused) return scoped;
  const outside = (x: { path: string }): boolean => !scope.some((r) => isAtOrBelow(x.path, r));
  const carried = {
    failed: previous.report?.failed.filter(outside) ?? [],
    skipped: previous.report?.skipped.filter(outside) ?? [],
    waiting: previous.waiting.filter(outside),
    held: previous.held.filter(outside),
  };
  const merged: CycleResult = {
    ...scoped,
    notices: [...previous.notices.filter(outside), ...scoped.notices],
    localProblems: [...previous.localProblems.filter(outside), ...scoped.localProblems],
    remoteProblems: [...previous.remoteProblems.filter(outside), ...scoped.remoteProblems],
    waiting: [...carried.waiting, ...scoped.waiting],
    held: [...carried.held, ...scoped.held],
    clean:
      scoped.clean &&
      carried.failed.length + carried.skipped.length + carried.waiting.length + carried.held.length === 0,
  };
  if (scoped.report)
    merged.report = {
      ...scoped.report,
      failed: [...carried.failed, ...scoped.report.failed],
      skipped: [...carried.skipped, ...scoped.report.skipped],
    };
  return merged;
}
