/**
 * Property test: random three trees (a synced base, then random edits, deletes, additions, type changes,
 * renames and touches on each side; sometimes a first sync with no base; random modes, policies, case
 * sensitivity and missing remote MD5s). For every generated world:
 * - the plan never both deletes and uploads one path;
 * - when only one side changed, there is no conflict;
 * - with an empty base, the plan deletes and overwrites nothing;
 * - the plan is the same whatever the order of the input maps;
 * - the simulator can carry the plan out (every snapshot matches, parents exist, nothing is clobbered);
 * - no unsynced version (content differing from base) is lost: it is in a tree or a trash afterwards;
 * - reconciling again plans nothing (convergence in one execution).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ConflictPolicy, SyncMode } from '../../src/agent/model.js';
import { reconcile } from '../../src/agent/reconcile/index.js';
import { actionPath } from '../../src/agent/reconcile/order.js';
import { applyPlan, brief, inputOf, NOW, planOf, World, type SimState } from './reconcile-sim.js';
import { parentOf } from '../../src/util/rel-path.js';

const NAMES = ['a', 'A', 'b', 'c.txt'] as const;
const pathArb = fc.array(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 3 }).map((xs) => xs.join('/'));
const itemArb = fc.record({ path: pathArb, dir: fc.boolean(), content: fc.nat({ max: 5 }) });
const opArb = fc.record({
  kind: fc.constantFrom('edit', 'touch', 'delete', 'add', 'retype', 'rename', 'noop'),
  pick: fc.nat(),
  path: pathArb,
  dir: fc.boolean(),
  content: fc.nat({ max: 5 }),
  md5: fc.boolean(),
});
type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;

const scenarioArb = fc.record({
  ci: fc.boolean(),
  mode: fc.constantFrom<SyncMode>('two-way', 'two-way', 'backup', 'mirror-down'),
  policy: fc.constantFrom<ConflictPolicy>('keep-both', 'local-wins', 'remote-wins', 'newer-wins'),
  propagate: fc.boolean(),
  firstSync: fc.nat({ max: 4 }).map((n) => n === 0),
  base: fc.array(itemArb, { maxLength: 8 }),
  remoteMd5: fc.array(fc.boolean(), { minLength: 1, maxLength: 6 }),
  localOps: fc.array(opArb, { maxLength: 5 }),
  remoteOps: fc.array(opArb, { maxLength: 5 }),
});
type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

/** Equal sizes for different contents on purpose, so "MD5 unknown, same size" happens. */
const content = (k: number): string => (k % 2 === 0 ? `c${k}` : `cc${k}`);

function ancestors(p: string): string[] {
  const out: string[] = [];
  for (let q = parentOf(p); q !== ''; q = parentOf(q)) out.unshift(q);
  return out;
}
const isUnder = (p: string, root: string): boolean => p === root || p.startsWith(`${root}/`);

type Side = 'local' | 'remote';

function sideMap(s: SimState, side: Side): Map<string, { path: string; kind: 'file' | 'dir' }> {
  return side === 'local' ? s.local : s.remote;
}

/** Would `p` collide with another name on a case-insensitive local disk? */
function foldClash(s: SimState, side: Side, p: string): boolean {
  if (side !== 'local' || !s.caseInsensitiveLocal) return false;
  const f = p.toLowerCase();
  for (const k of s.local.keys()) if (k !== p && k.toLowerCase() === f) return true;
  return false;
}

/** Creates missing parent folders of `p` on one side; false when impossible (a file is in the way). */
function makeParents(w: World, side: Side, p: string): boolean {
  const m = sideMap(w.s, side);
  for (const a of ancestors(p)) {
    const e = m.get(a);
    if (e && e.kind !== 'dir') return false;
    if (foldClash(w.s, side, a)) return false;
  }
  for (const a of ancestors(p)) if (!m.has(a)) put(w, side, a, true, 0, true);
  return true;
}

function put(w: World, side: Side, p: string, dir: boolean, k: number, md5: boolean): void {
  if (side === 'local') w.local(p, dir ? undefined : content(k));
  else w.remote(p, dir ? undefined : content(k), { md5 });
}

function applyOp(w: World, side: Side, op: Op): void {
  const m = sideMap(w.s, side);
  const keys = [...m.keys()].sort();
  const files = keys.filter((k) => m.get(k)?.kind === 'file');
  const pick = (list: string[]): string | undefined =>
    list.length ? list[op.pick % list.length] : undefined;
  switch (op.kind) {
    case 'edit': {
      const p = pick(files);
      if (!p) return;
      if (side === 'local') w.editLocal(p, content(op.content));
      else w.remote(p, content(op.content), { md5: op.md5 });
      return;
    }
    case 'touch': {
      const p = pick(files);
      if (!p) return;
      if (side === 'local') {
        const e = w.s.local.get(p);
        if (e) w.s.local.set(p, { ...e, mtimeMs: e.mtimeMs + 7 });
      } else {
        const e = w.s.remote.get(p);
        if (e) w.s.remote.set(p, { ...e, dateMs: e.dateMs + 7 });
      }
      return;
    }
    case 'delete': {
      const p = pick(keys);
      if (!p) return;
      if (side === 'local') w.dropLocal(p);
      else w.dropRemote(p);
      return;
    }
    case 'add': {
      if (m.has(op.path) || foldClash(w.s, side, op.path) || !makeParents(w, side, op.path)) return;
      put(w, side, op.path, op.dir, op.content, op.md5);
      return;
    }
    case 'retype': {
      const p = pick(keys);
      if (!p) return;
      const wasDir = m.get(p)?.kind === 'dir';
      if (side === 'local') w.dropLocal(p);
      else w.dropRemote(p);
      put(w, side, p, !wasDir, op.content, op.md5);
      if (!wasDir) put(w, side, `${p}/b`, false, op.content + 1, op.md5);
      return;
    }
    case 'rename': {
      const from = pick(keys);
      const to = op.path;
      if (!from || m.has(to) || isUnder(to, from) || foldClash(w.s, side, to)) return;
      if (!makeParents(w, side, to)) return;
      if (side === 'local') w.renameLocal(from, to);
      else w.renameRemote(from, to);
      return;
    }
    case 'noop':
      return;
  }
}

function buildWorld(sc: Scenario): { w: World; oneSided: boolean } {
  const w = new World(sc.ci);
  // A consistent synced tree (case-consistent on a case-insensitive disk).
  const tree = new Map<string, { dir: boolean; content: number }>();
  const clash = (p: string): boolean =>
    sc.ci && [...tree.keys()].some((k) => k !== p && k.toLowerCase() === p.toLowerCase());
  for (const item of sc.base) {
    const anc = ancestors(item.path);
    if (tree.has(item.path) || clash(item.path) || anc.some((a) => clash(a) || tree.get(a)?.dir === false))
      continue;
    for (const a of anc) if (!tree.has(a)) tree.set(a, { dir: true, content: 0 });
    tree.set(item.path, { dir: item.dir, content: item.content });
  }
  let i = 0;
  for (const p of [...tree.keys()].sort()) {
    const t = tree.get(p);
    if (!t) continue;
    w.synced(p, t.dir ? undefined : content(t.content), {
      remoteMd5: sc.remoteMd5[i++ % sc.remoteMd5.length],
    });
  }
  const syncedLocal = JSON.stringify([...w.s.local]);
  const syncedRemote = JSON.stringify([...w.s.remote]);
  for (const op of sc.localOps) applyOp(w, 'local', op);
  for (const op of sc.remoteOps) applyOp(w, 'remote', op);
  if (sc.firstSync) w.s.base.clear();
  const oneSided =
    JSON.stringify([...w.s.local]) === syncedLocal || JSON.stringify([...w.s.remote]) === syncedRemote;
  return { w, oneSided: oneSided && !sc.firstSync };
}

function allContents(s: SimState): Set<string | undefined> {
  return new Set([
    ...[...s.local.values()].map((e) => e.content),
    ...[...s.remote.values()].map((e) => e.content),
    ...s.localTrash,
    ...s.remoteTrash,
  ]);
}

function check(sc: Scenario): void {
  const { w, oneSided } = buildWorld(sc);
  const opts = { mode: sc.mode, conflictPolicy: sc.policy, propagateLocalDeletes: sc.propagate };
  const input = inputOf(w.s, opts);
  const plan = reconcile(input);

  // Same plan whatever the order of the input maps.
  const reversed = reconcile({
    ...input,
    local: new Map([...input.local].reverse()),
    remote: new Map([...input.remote].reverse()),
    base: new Map([...input.base].reverse()),
  });
  expect(reversed).toEqual(plan);

  // Never a delete and an upload of the same path.
  const deleted = new Set(
    plan.actions.filter((a) => a.type === 'deleteLocal' || a.type === 'deleteRemote').map((a) => a.path),
  );
  for (const a of plan.actions) if (a.type === 'upload') expect(deleted.has(a.path)).toBe(false);

  // First sync: nothing deleted, nothing overwritten.
  if (w.s.base.size === 0) {
    for (const a of plan.actions) {
      expect(['deleteLocal', 'deleteRemote']).not.toContain(a.type);
      if (a.type === 'upload' || a.type === 'mkdirRemote') expect(a.expectRemote).toBeNull();
      if (a.type === 'download' || a.type === 'mkdirLocal') expect(a.expectLocal).toBeNull();
    }
  }

  // No spurious conflicts when only one side changed.
  if (oneSided)
    expect(plan.notices.filter((n) => n.kind === 'conflict' || n.kind === 'content-unknown')).toEqual([]);

  // Versions nobody has synced yet must survive somewhere.
  const precious: string[] = [];
  for (const m of [w.s.local, w.s.remote]) {
    for (const [p, e] of m) {
      if (e.kind === 'file' && e.content !== undefined && w.s.base.get(p)?.content !== e.content) {
        precious.push(e.content);
      }
    }
  }

  applyPlan(w.s, plan);
  const after = allContents(w.s);
  for (const c of precious) expect(after.has(c)).toBe(true);

  // A remote version set aside by a server-side move (two-way, the local version won the name) is fetched once
  // a listing shows it under its new name: a second round that only does that, then nothing.
  const asideTo = plan.actions.flatMap((a) =>
    a.type === 'moveRemote' && a.purpose === 'conflict-aside' ? [a.to] : [],
  );
  const second = planOf(w.s, { ...opts, now: NOW + 60_000 });
  for (const a of second.actions) {
    expect(['download', 'mkdirLocal']).toContain(a.type);
    const target = actionPath(a);
    expect(asideTo.some((t) => target === t || target.startsWith(`${t}/`))).toBe(true);
  }
  applyPlan(w.s, second);
  expect(brief(planOf(w.s, { ...opts, now: NOW + 120_000 }))).toEqual([]);
}

describe('reconciler properties (seeded)', () => {
  it('safety, determinism and one-round convergence over random trees', () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        check(sc);
      }),
      {
        seed: Number(process.env.RECONCILE_SEED ?? 20240501),
        numRuns: Number(process.env.RECONCILE_RUNS ?? 1000),
      },
    );
  });
});
