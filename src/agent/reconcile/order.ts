/**
 * Deterministic execution order for a plan. Dependencies come from paths on each side:
 * - a folder is created (or a move/rename lands) before anything is created or read inside it, and a move or
 *   rename lands before anything inside the moved item is removed;
 * - a path is freed (removed, renamed or moved away) before something new is created there; old contents below
 *   a path are removed before something new (e.g. a file replacing a folder) is created at that path;
 * - children are removed (or moved out) before their parent is deleted.
 * Among actions that are ready, the order is: local renames, remote moves, deletes, folders, transfers, index
 * records; then by path. On a case-insensitive local disk, local paths are compared case-folded.
 */
import { comparePaths, properAncestors } from './paths.js';
import type { PlanAction, PlanActionType } from './types.js';

type Side = 'local' | 'remote';
interface Touch {
  side: Side;
  path: string;
}
interface Effects {
  creates: Touch[];
  removes: Touch[];
  reads: Touch[];
}

const RANK: Record<PlanActionType, number> = {
  renameLocal: 0,
  moveRemote: 1,
  deleteLocal: 2,
  deleteRemote: 2,
  mkdirLocal: 3,
  mkdirRemote: 3,
  upload: 4,
  download: 4,
  recordSynced: 5,
  forgetBase: 6,
};

/** The path an action is sorted by. */
export function actionPath(a: PlanAction): string {
  return a.type === 'moveRemote' || a.type === 'renameLocal' ? a.from : a.path;
}

function effectsOf(a: PlanAction): Effects {
  switch (a.type) {
    case 'upload':
      return {
        creates: [{ side: 'remote', path: a.path }],
        removes: [],
        reads: [{ side: 'local', path: a.path }],
      };
    case 'download':
      return {
        creates: [{ side: 'local', path: a.path }],
        removes: [],
        reads: [{ side: 'remote', path: a.path }],
      };
    // A folder created on one side mirrors the folder on the other side (its base records both).
    case 'mkdirRemote':
      return {
        creates: [{ side: 'remote', path: a.path }],
        removes: [],
        reads: [{ side: 'local', path: a.path }],
      };
    case 'mkdirLocal':
      return {
        creates: [{ side: 'local', path: a.path }],
        removes: [],
        reads: [{ side: 'remote', path: a.path }],
      };
    case 'deleteRemote':
      return { creates: [], removes: [{ side: 'remote', path: a.path }], reads: [] };
    case 'deleteLocal':
      return { creates: [], removes: [{ side: 'local', path: a.path }], reads: [] };
    case 'moveRemote':
      return {
        creates: [{ side: 'remote', path: a.to }],
        removes: [{ side: 'remote', path: a.from }],
        reads: [],
      };
    case 'renameLocal':
      return {
        creates: [{ side: 'local', path: a.to }],
        removes: [{ side: 'local', path: a.from }],
        reads: [],
      };
    case 'recordSynced':
    case 'forgetBase':
      return { creates: [], removes: [], reads: [] };
  }
}

/** Moves and renames carry existing content to a new place (every other create makes something new). */
function relocates(a: PlanAction): boolean {
  return a.type === 'moveRemote' || a.type === 'renameLocal';
}

class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly less: (a: T, b: T) => boolean) {}
  get size(): number {
    return this.items.length;
  }
  push(x: T): void {
    const a = this.items;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i] as T, a[p] as T)) break;
      [a[i], a[p]] = [a[p] as T, a[i] as T];
      i = p;
    }
  }
  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l] as T, a[m] as T)) m = l;
        if (r < a.length && this.less(a[r] as T, a[m] as T)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m] as T, a[i] as T];
        i = m;
      }
    }
    return top;
  }
}

export function orderActions(actions: readonly PlanAction[], foldLocal: (p: string) => string): PlanAction[] {
  const n = actions.length;
  const key = (t: Touch): string => (t.side === 'local' ? `L${foldLocal(t.path)}` : `R${t.path}`);
  const keyOf = (side: Side, p: string): string => (side === 'local' ? `L${foldLocal(p)}` : `R${p}`);
  const effects = actions.map(effectsOf);
  const createdAt = new Map<string, number[]>();
  const removedAt = new Map<string, number[]>();
  const push = (m: Map<string, number[]>, k: string, i: number): void => {
    const list = m.get(k);
    if (list) list.push(i);
    else m.set(k, [i]);
  };
  effects.forEach((e, i) => {
    for (const t of e.creates) push(createdAt, key(t), i);
    for (const t of e.removes) push(removedAt, key(t), i);
  });

  const next: number[][] = Array.from({ length: n }, () => []);
  const indegree = new Array<number>(n).fill(0);
  const edge = (from: number, to: number): void => {
    if (from === to) return;
    (next[from] as number[]).push(to);
    indegree[to] = (indegree[to] as number) + 1;
  };

  effects.forEach((e, i) => {
    for (const t of e.creates) {
      for (const q of properAncestors(t.path))
        for (const j of createdAt.get(keyOf(t.side, q)) ?? []) edge(j, i);
      for (const j of removedAt.get(key(t)) ?? []) edge(j, i);
    }
    for (const t of e.removes) {
      for (const q of properAncestors(t.path)) {
        // Children are removed (or moved out) before their folder is deleted or moved away. Exception: a
        // case-only rename of the folder, where the child's path already is the post-rename one.
        const createdHere = createdAt.get(keyOf(t.side, q)) ?? [];
        for (const j of removedAt.get(keyOf(t.side, q)) ?? []) if (!createdHere.includes(j)) edge(i, j);
        // Inside a moved folder: after the move. Inside a freshly created item: the old content goes first.
        for (const j of createdHere) {
          if (relocates(actions[j] as PlanAction)) edge(j, i);
          else edge(i, j);
        }
      }
    }
    for (const t of e.reads) {
      for (const q of [t.path, ...properAncestors(t.path)]) {
        for (const j of createdAt.get(keyOf(t.side, q)) ?? []) edge(j, i);
      }
    }
  });

  // Priority among ready actions: one sort up front, then the heap compares integers.
  const byPriority = actions.map((_, i) => i);
  byPriority.sort((x, y) => {
    const a = actions[x] as PlanAction;
    const b = actions[y] as PlanAction;
    return (
      RANK[a.type] - RANK[b.type] ||
      comparePaths(actionPath(a), actionPath(b)) ||
      (a.type < b.type ? -1 : a.type > b.type ? 1 : 0) ||
      x - y
    );
  });
  const priority = new Array<number>(n);
  byPriority.forEach((i, pos) => {
    priority[i] = pos;
  });
  const ready = new MinHeap<number>((x, y) => (priority[x] as number) < (priority[y] as number));
  indegree.forEach((d, i) => {
    if (d === 0) ready.push(i);
  });
  const out: PlanAction[] = [];
  while (ready.size > 0) {
    const i = ready.pop() as number;
    out.push(actions[i] as PlanAction);
    for (const j of next[i] as number[]) {
      indegree[j] = (indegree[j] as number) - 1;
      if (indegree[j] === 0) ready.push(j);
    }
  }
  if (out.length !== n) throw new Error('reconcile: the plan has a dependency cycle (this is a bug)');
  return out;
}
