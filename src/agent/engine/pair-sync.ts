/**
 * One sync cycle of a pair: observe both sides (local scan, remote listing) into the index, reconcile the
 * three trees into a plan, check the safety rules (root guard, delete caps), execute, and record how it went.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PairConfig } from '../config/index.js';
import { collectBetweenPhases } from '../heap.js';
import {
  checkDeleteSafety,
  checkRootGuard,
  countDeletes,
  deleteRecordsAfter,
  heldDeletes,
  recentDeletes,
  sumDeletes,
  type DeleteRecord,
  type HeldDeletes,
} from './delete-safety.js';
import { executePlan, type ActionEvent, type ExecutionReport, type TransferEvent } from './executor.js';
import { PAIR_META_DIR, createIgnoreMatcher, type IgnoreMatcher } from '../local/ignore.js';
import { isAscii } from '../local/names.js';
import type { PairRecord, PathRecords, SyncIndex, Trees } from '../store/index-db.js';
import { LocalRootError, scanLocal, scanLocalPaths, type ScanProblem } from '../local/local-scan.js';
import type { LocalEntry, RemoteEntry } from '../model.js';
import {
  isPlanEmpty,
  reconcile,
  summarizePlan,
  type Notice,
  type Plan,
  type UploadAction,
} from '../reconcile/index.js';
import type { Remote } from '../remote/port.js';
import { scanRemote, type RemoteProblem } from '../remote/remote-scan.js';
import { prepare, type Journals, type Prepared } from './prepare.js';
import { scopeOf, type Scope } from './scope.js';
import { ROOT_MARKER } from './trash.js';
import {
  clearDownloadJournal,
  clearMkdirJournal,
  clearMoveJournal,
  clearUploadJournal,
  journalledDownloads,
  journalledMkdirs,
  journalledMoves,
  journalledUploads,
} from '../store/transfer-journal.js';

export interface PairContext {
  pair: PairConfig;
  /** The pair's remote folder. */
  remote: Remote;
  index: SyncIndex;
  now: () => number;
  host?: string;
  concurrency: number;
  /** Set when the local file system folds letter case; detected from the folder when absent. */
  caseInsensitiveLocal?: boolean;
  onAction?: (e: ActionEvent) => void;
  /** Transfers under way, as their bytes move (see ExecutorContext.onTransfer). */
  onTransfer?: (e: TransferEvent) => void;
  onPhase?: (phase: 'scanning-local' | 'scanning-remote' | 'planning' | 'syncing') => void;
  /** The plan the executor is about to carry out (after every safety check passed). */
  onPlan?: (plan: Plan) => void;
  /** Observe and plan only: nothing is carried out, no pause recorded (`vosync once --dry-run`). */
  dryRun?: boolean;
  signal?: AbortSignal;
  /**
   * Go past the delete caps whatever the plan deletes (simulations). People confirm a held set instead
   * (confirmHeldDeletes), which covers exactly the deletions that were shown.
   */
  overrideDeleteLimits?: boolean;
  /**
   * Reuse the remote tree of the last listing instead of listing again (a cycle triggered by local changes).
   * Safe because the executor re-reads every remote node before replacing or deleting it.
   */
  useCachedRemote?: boolean;
  /**
   * Paths the watcher saw change. With the cached listing, the cycle observes, plans and records only these and
   * what they touch (see scope.ts); the full cycle runs when it cannot be scoped.
   */
  changedPaths?: readonly string[];
  /** Why an upload is held back this cycle (refused for space, its file and quota unchanged), or undefined. */
  holdUpload?: (a: UploadAction) => string | undefined;
}

export interface CycleResult {
  pairId: number;
  /** Set when the cycle stopped before acting, with the reason the user sees. */
  paused?: string;
  /** Set when the delete limits paused it: the deletions held back, which a confirmation must name. */
  heldDeletes?: HeldDeletes;
  plan?: Plan;
  summary?: Record<string, number>;
  report?: ExecutionReport;
  notices: Notice[];
  localProblems: ScanProblem[];
  remoteProblems: RemoteProblem[];
  hashedCount: number;
  /** Remote files held back because another machine is still uploading them (an empty placeholder). */
  waiting: { path: string; reason: string }[];
  /** Uploads left out of this plan because `holdUpload` held them back. */
  held: { path: string; reason: string }[];
  /** True when nothing was left to do after this cycle's plan (no failures, no skips, plan executed). */
  clean: boolean;
  /** Set when the cycle looked only at these paths and their subtrees (the rest of the pair is as it was). */
  scope?: string[];
}

export function markerPath(localRoot: string): string {
  return path.join(localRoot, PAIR_META_DIR, ROOT_MARKER);
}

/** Detects whether a folder's file system folds letter case, by probing a temp name in it. */
export function detectCaseInsensitive(dir: string): boolean {
  const metaDir = path.join(dir, PAIR_META_DIR);
  const probe = path.join(metaDir, `case-probe-${process.pid}`);
  try {
    fs.mkdirSync(metaDir, { recursive: true });
    fs.writeFileSync(probe, '');
    const folded = fs.existsSync(path.join(metaDir, `CASE-PROBE-${process.pid}`));
    fs.rmSync(probe, { force: true });
    return folded;
  } catch {
    return process.platform === 'darwin' || process.platform === 'win32';
  }
}

const ignoreCache = new WeakMap<PairConfig, IgnoreMatcher>();

export function ignoreFor(pair: PairConfig): IgnoreMatcher {
  let m = ignoreCache.get(pair);
  if (!m) {
    m = createIgnoreMatcher({ root: pair.local, configPatterns: pair.ignore });
    ignoreCache.set(pair, m);
  } else m.reload();
  return m;
}

export async function syncPair(ctx: PairContext): Promise<CycleResult> {
  const { pair, index, remote: remoteFolder } = ctx;
  const rec: PairRecord = index.ensurePair({
    name: pair.name,
    localRoot: pair.local,
    remoteUri: pair.remoteUri,
  });
  const result: CycleResult = {
    pairId: rec.id,
    notices: [],
    localProblems: [],
    remoteProblems: [],
    hashedCount: 0,
    waiting: [],
    held: [],
    clean: false,
  };
  const pause = (reason: string): CycleResult => {
    if (!ctx.dryRun) index.updatePair(rec.id, { pausedReason: reason });
    result.paused = reason;
    return result;
  };
  // Only how many entries were ever synced matters here: a count, not 100,000 records loaded for nothing.
  const baseCount = index.baseCount(rec.id);
  const hasBase = baseCount > 0;

  // Root guard, local: an unmounted or replaced folder must never read as "the user deleted everything".
  const markerPresent = fs.existsSync(markerPath(pair.local));
  if (hasBase && !markerPresent) {
    return pause(
      `local folder ${pair.local} is missing or is not the folder that was synced (no ${PAIR_META_DIR}/${ROOT_MARKER}); ` +
        'remount it, or remove the pair from the index to start over',
    );
  }

  const journals: Journals = {
    downloads: journalledDownloads(index, rec.id),
    moves: journalledMoves(index, rec.id),
    uploads: journalledUploads(index, rec.id),
    mkdirs: journalledMkdirs(index, rec.id),
  };
  // The agent's own writes a crash or a cut left unrecorded are judged only against a fresh listing: while any
  // is pending, the cycle lists the remote side whatever asked for it.
  const cachedRemoteUsable =
    ctx.useCachedRemote === true &&
    rec.firstSyncDone &&
    rec.lastRemotePollOkAt !== null &&
    journalsEmpty(journals);
  const caseInsensitive = ctx.caseInsensitiveLocal ?? detectCaseInsensitive(pair.local);
  const scope =
    cachedRemoteUsable && ctx.changedPaths
      ? scopeFor(index, rec.id, ctx.changedPaths, caseInsensitive)
      : undefined;

  ctx.onPhase?.('scanning-local');
  const ignore = ignoreFor(pair);
  let local;
  let observed: Trees | undefined;
  try {
    if (scope) {
      observed = index.loadTreesUnder(rec.id, scope.roots);
      local = await scanLocalPaths({
        root: pair.local,
        paths: scope.roots,
        previous: observed.local,
        ignore,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
    } else {
      local = await scanLocal({
        root: pair.local,
        previous: index.loadLocalTree(rec.id),
        ignore,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
    }
  } catch (e) {
    if (e instanceof LocalRootError) return pause(`local folder unusable: ${e.message}`);
    throw e;
  }
  result.localProblems = local.problems;
  result.hashedCount = local.hashedCount;
  if (scope) index.replaceLocalUnder(rec.id, scope.roots, local.entries);
  else {
    index.replaceLocalTree(rec.id, local.entries);
    index.updatePair(rec.id, { lastLocalScanOkAt: ctx.now() });
  }

  // The listing just taken, kept for planning instead of reading 100,000 rows back from the index.
  let listed: Map<string, RemoteEntry> | undefined;
  if (!cachedRemoteUsable) {
    collectBetweenPhases(local.entries.size);
    ctx.onPhase?.('scanning-remote');
    const remote = await scanRemote(remoteFolder, {
      concurrency: Math.max(2, ctx.concurrency),
      isExcluded: (rel, isDir) => ignore.isIgnored(rel, isDir),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    result.remoteProblems = remote.problems;
    if (!remote.rootExists) {
      if (hasBase) {
        return pause(
          `remote folder ${pair.remote} has disappeared; recreate it or remove the pair from the index`,
        );
      }
      if (pair.mode === 'mirror-down') return pause(`remote folder ${pair.remote} does not exist`);
      await remoteFolder.mkdir('', { parents: true });
    }
    // Subtrees that could not be listed keep their previous records: unknown is not empty.
    const remoteEntries = new Map<string, RemoteEntry>(remote.entries);
    if (remote.unlisted.length > 0) {
      const previous = index.loadRemoteTree(rec.id);
      for (const u of remote.unlisted) {
        for (const [p, e] of previous)
          if (u === '' || p === u || p.startsWith(u + '/')) remoteEntries.set(p, e);
      }
    }
    index.replaceRemoteTree(rec.id, remoteEntries);
    listed = remoteEntries;
    index.updatePair(rec.id, { lastRemotePollOkAt: ctx.now() });
  }
  const cycleEntries = local.entries.size + (listed?.size ?? 0);
  collectBetweenPhases(cycleEntries);
  ctx.onPhase?.('planning');
  const meta = index.listMeta(rec.id);
  const placeholderSeen = new Map<string, number>();
  for (const [key, value] of Object.entries(meta))
    if (key.startsWith(PLACEHOLDER_SEEN))
      placeholderSeen.set(key.slice(PLACEHOLDER_SEEN.length), Number(value));
  const prepared = prepare({
    trees: scope
      ? scopedTrees(scope, observed!, local.entries)
      : {
          local: local.entries,
          remote: listed ?? index.loadRemoteTree(rec.id),
          base: index.loadBaseTree(rec.id),
        },
    journals,
    freshListing: !cachedRemoteUsable,
    unreadable: local.unreadable,
    nameProblem: (name) => remoteFolder.nameProblem(name),
    mode: pair.mode,
    placeholders: remoteFolder.capabilities.placeholders,
    placeholderSeen,
    now: ctx.now(),
    isIgnored: (p, isDir) => ignore.isIgnored(p, isDir),
  });
  recordPrepared(index, rec.id, prepared, placeholderSeen);
  const { trees } = prepared;
  result.localProblems.push(...prepared.localProblems);
  result.remoteProblems.push(...prepared.remoteProblems);
  result.waiting = prepared.waiting;
  const plannedAt = ctx.now();
  const plan = reconcile({
    local: trees.local,
    remote: trees.remote,
    base: trees.base,
    mode: pair.mode,
    conflictPolicy: pair.conflict,
    now: plannedAt,
    host: ctx.host ?? machineName(),
    caseInsensitiveLocal: caseInsensitive,
    propagateLocalDeletes: pair.propagateDeletes,
    // Part of the pair's base is no sign of a first sync.
    ...(scope ? { firstSync: !hasBase } : {}),
  });
  if (ctx.holdUpload) result.held = takeHeldUploads(plan, ctx.holdUpload);
  result.plan = plan;
  result.notices = plan.notices;
  result.summary = summarizePlan(plan);

  if (scope) result.scope = scope.roots;
  // A scope that holds part of the pair cannot look emptied; its deletions still count against the caps below.
  if (!scope || trees.base.size >= baseCount) {
    const guard = checkRootGuard({ present: trees.local, base: trees.base, rootMarkerPresent: true });
    if (guard.verdict === 'pause') return pause(guard.reason);
    const remoteGuard = checkRootGuard({ present: trees.remote, base: trees.base, side: 'remote' });
    if (remoteGuard.verdict === 'pause') return pause(remoteGuard.reason);
  }
  // A confirmation (by the daemon, `vosync resume` or `vosync once`) names the set of deletions a pause
  // showed; it lets this plan through only if the plan deletes exactly that set.
  const confirmed = index.getMeta(rec.id, CONFIRMED_DELETES);
  // Written only by this pair's own cycles, so the meta read before planning is current.
  const recentText = meta[RECENT_DELETES];
  const recent = recentDeletes(recentText ? (JSON.parse(recentText) as DeleteRecord[]) : [], plannedAt);
  if (!ctx.overrideDeleteLimits) {
    const safety = checkDeleteSafety(
      plan,
      scope ? baseCount : trees.base.size,
      { maxDeleteShare: pair.deleteLimits.maxShare, maxDeleteCount: pair.deleteLimits.maxCount },
      sumDeletes(recent),
    );
    const held = safety.verdict === 'pause' ? heldDeletes(plan.actions) : undefined;
    if (safety.verdict === 'pause' && held && held.digest !== confirmed) {
      if (!ctx.dryRun) {
        index.setMeta(rec.id, HELD_DELETES, JSON.stringify(held));
        index.setMeta(rec.id, CONFIRMED_DELETES, null);
      }
      result.heldDeletes = held;
      return pause(
        confirmed === undefined
          ? safety.reason
          : `the deletions changed since they were confirmed: ${safety.reason}`,
      );
    }
  }

  // A dry run stops here: the plan, and whether a safety rule would pause it, is what it asked for.
  if (ctx.dryRun) return result;
  if (!markerPresent) {
    fs.mkdirSync(path.dirname(markerPath(pair.local)), { recursive: true });
    fs.writeFileSync(markerPath(pair.local), `vosync pair ${pair.name} → ${pair.remoteUri}\n`);
  }
  // Whatever was held is decided: carried out now, or no longer in the plan.
  if (confirmed !== undefined) index.setMeta(rec.id, CONFIRMED_DELETES, null);
  if (index.getMeta(rec.id, HELD_DELETES) !== undefined) index.setMeta(rec.id, HELD_DELETES, null);
  ctx.onPlan?.(plan);
  collectBetweenPhases(cycleEntries);
  ctx.onPhase?.('syncing');
  const report = await executePlan(plan, {
    remote: remoteFolder,
    index,
    pairId: rec.id,
    localRoot: pair.local,
    now: ctx.now,
    concurrency: ctx.concurrency,
    ...(ctx.onAction ? { onAction: ctx.onAction } : {}),
    ...(ctx.onTransfer ? { onTransfer: ctx.onTransfer } : {}),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  result.report = report;
  // Counted as planned: a deletion that failed counts again when it is retried, which errs towards pausing.
  const vouched = confirmed !== undefined || ctx.overrideDeleteLimits === true;
  const records = deleteRecordsAfter(recent, countDeletes(plan.actions), plannedAt, vouched);
  if (records) index.setMeta(rec.id, RECENT_DELETES, JSON.stringify(records));
  const ok = report.failed.length === 0 && !report.aborted;
  result.clean = ok && report.skipped.length === 0 && result.waiting.length === 0 && result.held.length === 0;
  index.updatePair(rec.id, {
    pausedReason: null,
    firstSyncDone: true,
    ...(ok ? { lastSyncOkAt: ctx.now() } : {}),
  });
  return result;
}

/** Runs cycles until a plan comes back empty (bounded): what `vosync once` and tests use to converge. */
export async function syncUntilStable(ctx: PairContext, maxCycles = 5): Promise<CycleResult[]> {
  const results: CycleResult[] = [];
  for (let i = 0; i < maxCycles; i++) {
    const r = await syncPair(ctx);
    results.push(r);
    if (r.paused || (r.plan && isPlanEmpty(r.plan))) break;
    if (r.report && r.report.failed.some((f) => !f.transient)) break;
  }
  return results;
}

/** Index meta key: the digest of the held deletions the user confirmed; the next cycle may carry out that set. */
export const CONFIRMED_DELETES = 'confirmed-deletes';
/** Index meta key: the deletions the last delete-limit pause held back (HeldDeletes as JSON). */
export const HELD_DELETES = 'held-deletes';

/** Index meta key: the deletions of the last few minutes' runs (DeleteRecord[] as JSON). */
export const RECENT_DELETES = 'recent-deletes';

/** The deletions a delete-limit pause of the pair holds back, if any. */
export function readHeldDeletes(index: SyncIndex, pairId: number): HeldDeletes | undefined {
  const text = index.getMeta(pairId, HELD_DELETES);
  return text === undefined ? undefined : (JSON.parse(text) as HeldDeletes);
}

/**
 * Confirms the deletions the pair's pause held back, exactly that set: the next cycle carries them out if its
 * plan deletes the same, and pauses again showing the new set otherwise. Returns the set (none: nothing held).
 */
export function confirmHeldDeletes(index: SyncIndex, pairId: number): HeldDeletes | undefined {
  const held = readHeldDeletes(index, pairId);
  if (held) index.setMeta(pairId, CONFIRMED_DELETES, held.digest);
  return held;
}

/** This machine's name in conflict-copy names: $VOSYNC_HOST, else the host name. */
export function machineName(): string {
  return process.env['VOSYNC_HOST'] || os.hostname();
}

/** Index meta key prefix: when an empty remote node was first seen (local clock). */
const PLACEHOLDER_SEEN = 'placeholder-seen:';

/**
 * Makes what `prepare` decided durable, in one transaction: a replayed move's bases leave the old paths and
 * arrive at the new ones together with its journal entry cleared, or not at all.
 */
function recordPrepared(
  index: SyncIndex,
  pairId: number,
  prepared: Prepared,
  seenBefore: ReadonlyMap<string, number>,
): void {
  index.transaction(() => {
    if (prepared.outcomes.length > 0) index.commitOutcomes(pairId, prepared.outcomes);
    for (const p of prepared.settled.downloads) clearDownloadJournal(index, pairId, p);
    for (const p of prepared.settled.moves) clearMoveJournal(index, pairId, p);
    for (const p of prepared.settled.uploads) clearUploadJournal(index, pairId, p);
    for (const p of prepared.settled.mkdirs) clearMkdirJournal(index, pairId, p);
    for (const [p, since] of prepared.placeholderSeen)
      index.setMeta(pairId, PLACEHOLDER_SEEN + p, String(since));
    for (const p of seenBefore.keys())
      if (!prepared.placeholderSeen.has(p)) index.setMeta(pairId, PLACEHOLDER_SEEN + p, null);
  });
}

function journalsEmpty(j: Journals): boolean {
  return j.downloads.size + j.moves.size + j.uploads.size + j.mkdirs.size === 0;
}

/**
 * The scope of the changed paths, or undefined when the whole pair must be looked at. On a disk that folds
 * letter case, names that differ from a changed one only in case are planned with it (the clash rules need the
 * whole group); SQLite folds ASCII letters only, so other names take the full cycle.
 */
function scopeFor(
  index: SyncIndex,
  pairId: number,
  changed: readonly string[],
  caseInsensitive: boolean,
): ReadScope | undefined {
  let paths = changed;
  if (caseInsensitive) {
    if (!changed.every(isAscii)) return undefined;
    paths = [...changed, ...changed.flatMap((p) => index.caseTwins(pairId, p))];
  }
  const ancestorRecords = new Map<string, PathRecords>();
  const scope = scopeOf(paths, (p) => {
    const r = index.getEntry(pairId, p);
    ancestorRecords.set(p, r);
    return r.local?.kind === 'dir' && r.remote?.kind === 'dir' && r.base?.kind === 'dir';
  });
  return 'roots' in scope ? { ...scope, ancestorRecords } : undefined;
}

/** A scope with the records of the ancestors it judged (every ancestor of its roots is among them). */
interface ReadScope extends Scope {
  ancestorRecords: ReadonlyMap<string, PathRecords>;
}

/** The trees to plan a scoped cycle from: what is at and below the roots, under their settled ancestors. */
function scopedTrees(scope: ReadScope, observed: Trees, local: ReadonlyMap<string, LocalEntry>): Trees {
  const trees: Trees = { local: new Map(local), remote: observed.remote, base: observed.base };
  for (const a of scope.ancestors) {
    const r = scope.ancestorRecords.get(a) ?? {};
    if (r.local) trees.local.set(a, r.local);
    if (r.remote) trees.remote.set(a, r.remote);
    if (r.base) trees.base.set(a, r.base);
  }
  return trees;
}

/** Takes the uploads `hold` holds back out of the plan (uploads are leaves: nothing else waits on them). */
function takeHeldUploads(
  plan: Plan,
  hold: (a: UploadAction) => string | undefined,
): { path: string; reason: string }[] {
  const held: { path: string; reason: string }[] = [];
  plan.actions = plan.actions.filter((a) => {
    if (a.type !== 'upload') return true;
    const reason = hold(a);
    if (reason !== undefined) held.push({ path: a.path, reason });
    return reason === undefined;
  });
  return held;
}
