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
import type { BaseEntry, LocalEntry, RemoteEntry } from '../model.js';
import { detectMoves, rekeySubtree, type DetectedMove, type Views } from './moves.js';
import { orderActions } from './order.js';
import { comparePaths, foldCase, isAtOrBelow, isBelow, properAncestors, rebase, TreeIndex } from './paths.js';
import { Planner } from './planner.js';
import type { Plan, PlanAction, PlanActionType, ReconcileInput } from './types.js';
import { parentOf } from '../../util/rel-path.js';

export type * from './types.js';
export { decide, type Decision } from './table.js';
export { syncedBase, type SideState } from './compare.js';
export { comparePaths } from './paths.js';

/** The tree itself when every parent folder is listed (scanners list them), else a copy with the gaps filled. */
function withAncestors<T>(src: ReadonlyMap<string, T>, makeDir: (p: string) => T): ReadonlyMap<string, T> {
  let out: Map<string, T> | undefined;
  for (const p of src.keys()) {
    const parent = parentOf(p);
    if (parent === '' || src.has(parent)) continue;
    out ??= new Map(src);
    for (const a of properAncestors(p)) if (!out.has(a)) out.set(a, makeDir(a));
  }
  return out ?? src;
}

/** A private, writable copy of a view (the caller's maps are never changed). */
function writable<T>(view: ReadonlyMap<string, T>, input: ReadonlyMap<string, T>): Map<string, T> {
  return view === input ? new Map(view) : (view as Map<string, T>);
}

export function reconcile(input: ReconcileInput): Plan {
  const propagate = input.propagateLocalDeletes ?? false;
  const firstSync = input.firstSync ?? input.base.size === 0;
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
        expectRemote: r,
        expectLocal: l,
        reason: `renamed locally from "${m.from}"`,
      });
      rekeySubtree((views.remote = writable(views.remote, input.remote)), m);
      rekeySubtree((views.base = writable(views.base, input.base)), m);
    }
  }
  if (input.mode === 'two-way' || input.mode === 'mirror-down') {
    const remoteMoves = detectMoves(views, 'remote');
    const names = input.caseInsensitiveLocal && remoteMoves.length > 0 ? new CaseIndex(views) : undefined;
    for (const m of remoteMoves) {
      if (names && !names.fits(m.from, m.to)) continue;
      const l = views.local.get(m.from) as LocalEntry;
      moves.push({
        type: 'renameLocal',
        from: m.from,
        to: m.to,
        purpose: 'remote-rename',
        expectLocal: l,
        reason: `renamed remotely from "${m.from}"`,
      });
      names?.move(m);
      rekeySubtree((views.local = writable(views.local, input.local)), m);
      rekeySubtree((views.base = writable(views.base, input.base)), m);
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
      reservedTrees: [input.local, input.remote, input.base],
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

/** Case-folded spellings of the three trees, to vet local renames on a case-insensitive disk. */
class CaseIndex {
  /** folded path → spellings in any tree (with a count per spelling) */
  private readonly any = new Map<string, Map<string, number>>();
  /** folded path → spelling on the local disk */
  private readonly local = new Map<string, string>();

  constructor(private readonly views: Views) {
    for (const m of [views.local, views.remote, views.base]) for (const p of m.keys()) this.add(p, 1);
    for (const p of views.local.keys()) this.local.set(foldCase(p), p);
  }

  private add(p: string, n: number): void {
    const f = foldCase(p);
    const spellings = this.any.get(f) ?? new Map<string, number>();
    const c = (spellings.get(p) ?? 0) + n;
    if (c > 0) spellings.set(p, c);
    else spellings.delete(p);
    if (spellings.size > 0) this.any.set(f, spellings);
    else this.any.delete(f);
  }

  /**
   * Can `from` be renamed to `to` locally? Not into itself under another spelling, not onto another local item,
   * and not below a folder spelled differently in any tree (it may lose a case clash and never be created).
   */
  fits(from: string, to: string): boolean {
    const f = foldCase(from);
    const t = foldCase(to);
    if (t !== f && isBelow(t, f)) return false;
    const holder = this.local.get(t);
    if (holder !== undefined && !isAtOrBelow(holder, from)) return false;
    return properAncestors(to).every((a) => {
      const spellings = this.any.get(foldCase(a));
      return !spellings || (spellings.size === 1 && spellings.has(a));
    });
  }

  /** Follows a rename of local and base records. */
  move(m: DetectedMove): void {
    for (const p of m.subtree) {
      const np = rebase(p, m.from, m.to);
      for (const view of [this.views.local, this.views.base]) {
        if (!view.has(p)) continue;
        this.add(p, -1);
        this.add(np, 1);
      }
      if (this.views.local.has(p)) {
        if (this.local.get(foldCase(p)) === p) this.local.delete(foldCase(p));
        this.local.set(foldCase(np), np);
      }
    }
  }
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
