/**
 * The reconciler: a pure function from the three trees (local, remote, base) to a Plan. It never touches disk
 * or network; the executor carries the plan out, re-checking each item against the snapshot the action carries,
 * and records outcomes in the index (contract in reconcile/types.ts).
 *
 * Steps: (1) renames made on one side are recognised and replayed on the other (reconcile/moves.ts) — the views
 * are re-keyed as if the move had happened; (2) the union of the trees is walked top-down applying the decision
 * table per mode (reconcile/table.ts, reconcile/planner.ts); (3) the actions are put in a dependency-respecting,
 * deterministic order (reconcile/order.ts).
 */
import type { BaseEntry, LocalEntry, RemoteEntry } from './model.js';
import { detectMoves, rekeySubtree, type Views } from './reconcile/moves.js';
import { orderActions } from './reconcile/order.js';
import {
  comparePaths,
  foldCase,
  isAtOrBelow,
  isBelow,
  properAncestors,
  TreeIndex,
} from './reconcile/paths.js';
import { Planner } from './reconcile/planner.js';
import { localSnap, remoteSnap } from './reconcile/compare.js';
import type { Plan, PlanAction, PlanActionType, ReconcileInput } from './reconcile/types.js';

export type * from './reconcile/types.js';
export { decide, type Decision } from './reconcile/table.js';
export type { SideState } from './reconcile/compare.js';
export { comparePaths } from './reconcile/paths.js';

/** Copies a tree, adding any missing ancestor folder (defensive: scanners normally list them). */
function withAncestors<T>(src: ReadonlyMap<string, T>, makeDir: (p: string) => T): Map<string, T> {
  const out = new Map(src);
  for (const p of src.keys()) {
    for (const a of properAncestors(p)) if (!out.has(a)) out.set(a, makeDir(a));
  }
  return out;
}

export function reconcile(input: ReconcileInput): Plan {
  const propagate = input.propagateLocalDeletes ?? false;
  const firstSync = input.base.size === 0;
  const views: Views = {
    local: withAncestors<LocalEntry>(input.local, (path) => ({
      path,
      kind: 'dir',
      size: 0,
      mtimeMs: 0,
      ino: 0,
    })),
    remote: withAncestors<RemoteEntry>(input.remote, (path) => ({ path, kind: 'dir', size: 0, dateMs: 0 })),
    base: withAncestors<BaseEntry>(input.base, (path) => ({
      path,
      kind: 'dir',
      size: 0,
      localMtimeMs: 0,
      localIno: 0,
      remoteDateMs: 0,
    })),
  };
  const reserved = [...views.local.keys(), ...views.remote.keys(), ...views.base.keys()];

  const moves: PlanAction[] = [];
  if (input.mode === 'two-way' || (input.mode === 'backup' && propagate)) {
    for (const m of detectMoves(views, 'local')) {
      const r = views.remote.get(m.from) as RemoteEntry;
      const l = views.local.get(m.to) as LocalEntry;
      moves.push({
        type: 'moveRemote',
        from: m.from,
        to: m.to,
        purpose: 'local-rename',
        expectRemote: remoteSnap(r),
        expectLocal: localSnap(l),
        reason: `renamed locally from "${m.from}"`,
      });
      rekeySubtree(views.remote, m.from, m.to, m.kind);
      rekeySubtree(views.base, m.from, m.to, m.kind);
    }
  }
  if (input.mode === 'two-way' || input.mode === 'mirror-down') {
    for (const m of detectMoves(views, 'remote')) {
      if (input.caseInsensitiveLocal && !fitsCaseInsensitive(views, m.from, m.to)) continue;
      const l = views.local.get(m.from) as LocalEntry;
      moves.push({
        type: 'renameLocal',
        from: m.from,
        to: m.to,
        purpose: 'remote-rename',
        expectLocal: localSnap(l),
        reason: `renamed remotely from "${m.from}"`,
      });
      rekeySubtree(views.local, m.from, m.to, m.kind);
      rekeySubtree(views.base, m.from, m.to, m.kind);
    }
  }

  const tree = new TreeIndex([...views.local.keys(), ...views.remote.keys(), ...views.base.keys()]);
  const planner = new Planner(
    {
      mode: input.mode,
      policy: input.conflictPolicy,
      now: input.now,
      host: input.host,
      caseInsensitiveLocal: input.caseInsensitiveLocal,
      propagateLocalDeletes: propagate,
      firstSync,
      reservedPaths: reserved,
    },
    views,
    tree,
  );
  planner.run();

  const actions = orderActions(
    [...moves, ...planner.actions],
    input.caseInsensitiveLocal ? foldCase : (p) => p,
  );
  const notices = [...planner.notices].sort(
    (a, b) => comparePaths(a.path, b.path) || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0),
  );
  return { actions, notices, firstSync };
}

/**
 * Can a local rename `from` → `to` be done on a case-insensitive disk? Not into itself under another spelling,
 * not onto another local item, and not below a folder spelled differently anywhere in the three trees (such a
 * folder may lose a case clash and never be created locally).
 */
function fitsCaseInsensitive(views: Views, from: string, to: string): boolean {
  const f = foldCase(from);
  const t = foldCase(to);
  if (t !== f && isBelow(t, f)) return false;
  const ancestors = new Map<string, string>();
  for (const a of properAncestors(to)) ancestors.set(foldCase(a), a);
  for (const p of views.local.keys()) if (foldCase(p) === t && !isAtOrBelow(p, from)) return false;
  for (const m of [views.local, views.remote, views.base]) {
    for (const p of m.keys()) {
      const exact = ancestors.get(foldCase(p));
      if (exact !== undefined && p !== exact) return false;
    }
  }
  return true;
}

/** True when the plan holds no action at all (notices are not work): the "converged" test. */
export function isPlanEmpty(plan: Pick<Plan, 'actions'>): boolean {
  return plan.actions.length === 0;
}

/** Count of actions per type (for logs, dry runs and the status API). */
export function summarizePlan(plan: Pick<Plan, 'actions'>): Record<PlanActionType, number> {
  const counts: Record<PlanActionType, number> = {
    upload: 0,
    download: 0,
    mkdirRemote: 0,
    mkdirLocal: 0,
    deleteRemote: 0,
    deleteLocal: 0,
    moveRemote: 0,
    renameLocal: 0,
    recordSynced: 0,
    forgetBase: 0,
  };
  for (const a of plan.actions) counts[a.type]++;
  return counts;
}
