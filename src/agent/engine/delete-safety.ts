/**
 * Safety gates applied to a plan before the executor runs it (pure functions):
 * - delete caps: too many deletions on one side in one run pause the pair and ask the user. Only deleteLocal /
 *   deleteRemote count; renames and moves do not, and neither do the losers of a conflict that an upload or
 *   download replaces (they still go to the trash). Deletions carried out in the last few minutes count too, so
 *   that a mass deletion the watcher hands over in several batches is judged as one.
 * - held deletes: the set of deletions a pause holds back, with a digest, so that a confirmation covers exactly
 *   the deletions that were shown: a plan that would delete anything else pauses again.
 * - root guard: a local root that is suddenly empty while base remembers files, or whose marker file is gone,
 *   looks like an unmounted disk, not like "the user deleted everything".
 */
import { createHash } from 'node:crypto';
import type { BaseEntry, EntryKind } from '../model.js';
import type { PlanAction } from '../reconcile/types.js';

export interface DeleteLimits {
  /** Largest share of the paths in base that one side may delete in one run (0..1). */
  maxDeleteShare: number;
  /** Largest number of deletions per side in one run. */
  maxDeleteCount: number;
}

export const DEFAULT_DELETE_LIMITS: DeleteLimits = { maxDeleteShare: 0.5, maxDeleteCount: 1000 };

export interface DeleteCounts {
  localDeletes: number;
  remoteDeletes: number;
}

export type SafetyVerdict = ({ verdict: 'ok' } | { verdict: 'pause'; reason: string }) & DeleteCounts;

export function countDeletes(actions: readonly PlanAction[]): DeleteCounts {
  let localDeletes = 0;
  let remoteDeletes = 0;
  for (const a of actions) {
    if (a.type === 'deleteLocal') localDeletes++;
    else if (a.type === 'deleteRemote') remoteDeletes++;
  }
  return { localDeletes, remoteDeletes };
}

/** How long deletions carried out still count against the caps. */
export const RECENT_DELETES_WINDOW_MS = 10 * 60_000;

/** Deletions a run carried out, and when. */
export interface DeleteRecord extends DeleteCounts {
  at: number;
}

/** The records still inside the window at `now` (a clock set back keeps nothing from the "future"). */
export function recentDeletes(records: readonly DeleteRecord[], now: number): DeleteRecord[] {
  return records.filter((r) => r.at <= now && now - r.at < RECENT_DELETES_WINDOW_MS);
}

export function sumDeletes(records: readonly DeleteCounts[]): DeleteCounts {
  let localDeletes = 0;
  let remoteDeletes = 0;
  for (const r of records) {
    localDeletes += r.localDeletes;
    remoteDeletes += r.remoteDeletes;
  }
  return { localDeletes, remoteDeletes };
}

/**
 * The deletion records to keep after a run that carried out `deleted` at `at`: the recent ones and this run's.
 * A run the user vouched for (confirmed the held deletions, or forced past the caps) starts the window afresh
 * and does not count itself. Undefined when the records stay as they are.
 */
export function deleteRecordsAfter(
  recent: readonly DeleteRecord[],
  deleted: DeleteCounts,
  at: number,
  vouched: boolean,
): DeleteRecord[] | undefined {
  if (vouched) return [];
  if (deleted.localDeletes + deleted.remoteDeletes === 0) return undefined;
  return [...recent, { at, ...deleted }];
}

/**
 * Pauses when either side would delete more than `maxDeleteCount` items, or more than `maxDeleteShare` of the
 * `baseCount` paths the pair has in sync. `recent` deletions (carried out within RECENT_DELETES_WINDOW_MS) count
 * with the plan's, against the base as it was before them; a plan that deletes nothing on a side never pauses
 * for that side.
 */
export function checkDeleteSafety(
  plan: { actions: readonly PlanAction[] },
  baseCount: number,
  limits: Partial<DeleteLimits> = {},
  recent: DeleteCounts = { localDeletes: 0, remoteDeletes: 0 },
): SafetyVerdict {
  const { maxDeleteShare, maxDeleteCount } = { ...DEFAULT_DELETE_LIMITS, ...limits };
  const counts = countDeletes(plan.actions);
  const reasons: string[] = [];
  const minutes = Math.round(RECENT_DELETES_WINDOW_MS / 60_000);
  for (const [side, planned, before] of [
    ['local', counts.localDeletes, recent.localDeletes],
    ['remote', counts.remoteDeletes, recent.remoteDeletes],
  ] as const) {
    if (planned === 0) continue;
    const n = planned + before;
    const of = baseCount + before;
    const share = of > 0 ? n / of : 1;
    const pct = `${Math.round(share * 100)}%`;
    const already = before > 0 ? `, ${before} of them in the last ${minutes} minutes` : '';
    if (n > maxDeleteCount) {
      const per = before > 0 ? `${minutes} minutes` : 'run';
      reasons.push(
        `would delete ${n} items on the ${side} side${already} (limit ${maxDeleteCount} per ${per})`,
      );
    } else if (share > maxDeleteShare) {
      reasons.push(
        `would delete ${n} of ${of} synced items on the ${side} side${already} (${pct}, limit ${Math.round(maxDeleteShare * 100)}%)`,
      );
    }
  }
  if (reasons.length === 0) return { verdict: 'ok', ...counts };
  return {
    verdict: 'pause',
    reason: `${reasons.join('; ')} (run vosync resume --confirm-deletes)`,
    ...counts,
  };
}

/** The deletions of a plan that a delete-limit pause holds back, in side then path order. */
export interface HeldDeletes {
  /** SHA-256 of the set (side and path of each): what a confirmation names. */
  digest: string;
  paths: { side: 'local' | 'remote'; path: string }[];
}

export function heldDeletes(actions: readonly PlanAction[]): HeldDeletes {
  const paths: HeldDeletes['paths'] = [];
  for (const a of actions) {
    if (a.type === 'deleteLocal') paths.push({ side: 'local', path: a.path });
    else if (a.type === 'deleteRemote') paths.push({ side: 'remote', path: a.path });
  }
  paths.sort((a, b) =>
    a.side === b.side ? (a.path < b.path ? -1 : a.path > b.path ? 1 : 0) : a.side < b.side ? -1 : 1,
  );
  const hash = createHash('sha256');
  // NUL cannot occur in a path: no two sets share a text.
  for (const p of paths) hash.update(`${p.side}\0${p.path}\0`);
  return { digest: hash.digest('hex'), paths };
}

export type GuardVerdict = { verdict: 'ok' } | { verdict: 'pause'; reason: string };

export interface RootGuardInput {
  /** The side's current tree (local scan, or remote listing). */
  present: ReadonlyMap<string, { kind: EntryKind }>;
  base: ReadonlyMap<string, BaseEntry>;
  /** false when the caller found the root folder or its marker file missing. Default true. */
  rootMarkerPresent?: boolean;
  /** An empty side is suspicious when base remembers more files than this. Default 2. */
  emptyThreshold?: number;
  /** Which side `present` describes (wording only). Default 'local'. */
  side?: 'local' | 'remote';
}

export function checkRootGuard(input: RootGuardInput): GuardVerdict {
  const side = input.side ?? 'local';
  const what =
    side === 'local' ? 'local folder looks unmounted or emptied' : 'remote folder looks empty or unreadable';
  if (input.rootMarkerPresent === false) {
    return { verdict: 'pause', reason: `${what}: the root folder or its marker file is missing` };
  }
  const threshold = input.emptyThreshold ?? 2;
  let baseFiles = 0;
  for (const b of input.base.values()) if (b.kind === 'file') baseFiles++;
  let presentFiles = 0;
  for (const e of input.present.values()) if (e.kind === 'file') presentFiles++;
  if (presentFiles === 0 && baseFiles > threshold) {
    return { verdict: 'pause', reason: `${what}: no files now, ${baseFiles} remembered from the last sync` };
  }
  return { verdict: 'ok' };
}
