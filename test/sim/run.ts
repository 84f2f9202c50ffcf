/**
 * One seeded simulation run: a random story of user changes on both sides of a pair, interleaved with sync cycles
 * of the real agent (scanner, reconciler, executor, SQLite index) against the in-memory remote, some cycles under
 * injected request faults, some killed at a random durable step (then restarted from the index alone), some with the
 * user changing things mid-cycle. Then the faults stop, the pair is synced until it settles, and the invariants
 * are checked on the real bytes. Everything random comes from the seed, so a failing seed replays.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pairConfig } from '../support/pair-fixture.js';
import { SyncIndex } from '../../src/agent/store/index-db.js';
import { isPlanEmpty, type Plan } from '../../src/agent/reconcile/index.js';
import { syncPair, type CycleResult, type PairContext } from '../../src/agent/engine/pair-sync.js';
import { REMOTE_TRASH } from '../../src/agent/remote/remote-scan.js';
import { remoteNameProblem } from '../../src/agent/remote/vospace/remote.js';
import { VosError } from '../../src/util/errors.js';
import { NAME_MAPPING } from '../../src/vospace/names.js';
import { MemoryRemote } from '../support/memory-remote.js';
import { Fate, instrumentIndex } from './crash.js';
import { Faults, simGate } from './gate.js';
import { Rng } from './rng.js';
import { LocalSide, MemorySide, type Side, type Tree } from './sides.js';
import { Ledger, User } from './user.js';
import type { SimWorld } from './world.js';
import { PLACEHOLDER_GRACE_MS } from '../../src/agent/engine/prepare.js';

export interface SimOptions {
  seed: number;
  /** Kill the process at this point of this cycle (1-based cycle number), replacing the random crashes. */
  crash?: { cycle: number; point: number };
  /** Default true: random crashes, faults and mid-cycle changes. */
  crashes?: boolean;
  faults?: boolean;
  interference?: boolean;
  /** Called with each line of the story as it happens (a failing seed's trace is also in the outcome). */
  log?: (line: string) => void;
}

export interface SimStats {
  cycles: number;
  crashes: number;
  faultCycles: number;
  interferences: number;
  conflicts: number;
  actions: number;
  /** Durable-step points reached per cycle (for choosing crash points). */
  points: number[];
  leftoverTemps: number;
  /** Fault-free cycles until one planned nothing: 1 = already at rest, 2 = one cycle of work, then nothing. */
  settleCycles: number;
}

export interface SimOutcome {
  seed: number;
  violations: string[];
  /** The story: user changes, plans, results, crashes. Deterministic for a seed. */
  trace: string[];
  stats: SimStats;
}

/** Most cycles the final, fault-free settling may take. */
const SETTLE_CYCLES = 8;
const START = Date.UTC(2026, 0, 5, 9, 0, 0);
let runCounter = 0;

/** Whether the agent can put a path on the server (names mapped, so only too long a name cannot). */
export function storable(p: string): boolean {
  return p.split('/').every((s) => remoteNameProblem(s, NAME_MAPPING) === undefined);
}

export function describePlan(plan: Plan): string {
  if (plan.actions.length === 0) return 'nothing';
  return plan.actions
    .map((a) => ('path' in a ? `${a.type} ${a.path}` : `${a.type} ${a.from} → ${a.to}`))
    .join(', ');
}

/** Conflict copies made although both sides held the same bytes (by the MD5s the plan was made from). */
export function spuriousConflicts(plan: Plan): string[] {
  const out: string[] = [];
  for (const a of plan.actions) {
    if (a.type === 'renameLocal' && a.purpose === 'conflict-copy' && a.expectLocal.kind === 'file') {
      const down = plan.actions.find((b) => b.type === 'download' && b.path === a.from);
      const rmd5 = down?.type === 'download' ? down.expectRemote.md5 : undefined;
      if (a.expectLocal.md5 && rmd5 && a.expectLocal.md5 === rmd5) out.push(a.from);
    }
    if (a.type === 'moveRemote' && a.purpose === 'conflict-aside' && a.expectRemote.kind === 'file') {
      const up = plan.actions.find((b) => b.type === 'upload' && b.path === a.from);
      const lmd5 = up?.type === 'upload' ? up.expectLocal.md5 : undefined;
      if (a.expectRemote.md5 && lmd5 && a.expectRemote.md5 === lmd5) out.push(a.from);
    }
  }
  return out;
}

export async function runSeed(world: SimWorld, opts: SimOptions): Promise<SimOutcome> {
  const { seed } = opts;
  const rng = Rng.derive(seed, 'story');
  const trace: string[] = [];
  const log = (line: string): void => {
    trace.push(line);
    opts.log?.(line);
  };
  const stats: SimStats = {
    cycles: 0,
    crashes: 0,
    faultCycles: 0,
    interferences: 0,
    conflicts: 0,
    actions: 0,
    points: [],
    leftoverTemps: 0,
    settleCycles: 0,
  };
  const violations: string[] = [];
  const randomCrashes = opts.crashes ?? opts.crash === undefined;
  const randomFaults = opts.faults ?? true;
  const randomInterference = opts.interference ?? true;

  const id = `s${seed}-${++runCounter}-${process.pid}`;
  const dir = path.join(world.tmp, id);
  const localRoot = path.join(dir, 'local');
  fs.mkdirSync(localRoot, { recursive: true });
  const indexFile = path.join(dir, 'index.sqlite');
  const remoteRoot = `alice/sim/${id}`;
  const policy = rng.weighted([
    [0.6, 'keep-both'],
    [0.2, 'local-wins'],
    [0.2, 'remote-wins'],
  ] as const);
  const pair = pairConfig('sim', localRoot, `vos:${remoteRoot}`, { mode: 'two-way', conflict: policy });
  log(`seed ${seed}: policy ${policy}`);

  let clock = START;
  const now = (): number => (clock += 1000);
  const local = new LocalSide(localRoot, now);
  const remote = new MemorySide(world.store, remoteRoot);
  const ledger = new Ledger();
  const user = new User(rng, ledger, `s${seed}`, log, remote);
  /** Once the pair has synced, a side emptied of files would (rightly) trip the root guard: keep one. */
  let keepers = false;
  const userChange = async (fn: () => Promise<void>): Promise<void> => {
    await fn();
    if (keepers) {
      await user.keepOneFile(local);
      await user.keepOneFile(remote);
    }
  };
  const randomChange = async (): Promise<void> => {
    const side: Side = rng.chance(0.55) ? local : remote;
    await userChange(() => user.act(side, side === local ? remote : local));
  };

  let override = true;
  /** One process life: a fresh remote and a re-opened index, optionally faulted, crashed, interfered with. */
  const cycle = async (c: {
    faults?: { rate: number; seed: number };
    crashAt?: number;
    interfere?: number[];
    /** A change aimed at the node of the nth point that names one. */
    aimAt?: number;
    settling?: boolean;
  }): Promise<CycleResult | undefined> => {
    stats.cycles++;
    keepers = true;
    if (opts.crash?.cycle === stats.cycles && !c.settling) c.crashAt = opts.crash.point;
    const interfere = new Map<number, () => Promise<void>>();
    for (const k of c.interfere ?? []) {
      interfere.set(k, async () => {
        stats.interferences++;
        log(`  (mid-cycle, point ${k})`);
        await randomChange();
      });
    }
    const fate = new Fate(c.crashAt, interfere);
    if (c.aimAt !== undefined) {
      fate.aimed = {
        nth: c.aimAt,
        change: async (label, rel) => {
          // Not above the pair's folder (a `/path`), nor in its trash.
          if (rel.startsWith('/') || rel.startsWith(REMOTE_TRASH)) return;
          stats.interferences++;
          log(`  (mid-cycle, before ${label} ${rel || '/'})`);
          const side: Side = rng.chance(0.5) ? local : remote;
          await userChange(() => user.actOn(side, side === local ? remote : local, rel));
        },
      };
    }
    const faults = c.faults ? new Faults(c.faults.rate, c.faults.seed) : undefined;
    const index = instrumentIndex(SyncIndex.open(indexFile), fate);
    const ctx: PairContext = {
      pair,
      remote: new MemoryRemote(world.store, remoteRoot, { gate: simGate({ fate, faults: () => faults }) }),
      index,
      now,
      host: 'simhost',
      concurrency: 1,
      caseInsensitiveLocal: false,
      signal: fate.signal,
      onAction: (e) => fate.boundary(e),
      overrideDeleteLimits: override,
    };
    const head =
      `cycle ${stats.cycles}` +
      (c.faults ? ` faults=${c.faults.rate}` : '') +
      (c.crashAt !== undefined ? ` crash@${c.crashAt}` : '') +
      (c.interfere?.length ? ` changes@${c.interfere.join('+')}` : '') +
      (c.aimAt !== undefined ? ` aimed-change@${c.aimAt}` : '') +
      (override ? '' : ' (delete caps on)');
    log(head);
    if (faults) stats.faultCycles++;
    let result: CycleResult | undefined;
    try {
      result = await syncPair(ctx);
    } catch (e) {
      const err = e as Error;
      log(
        `  cycle threw ${err.name}: ${fate.dead ? '(dead)' : err.message.replace(/\/\/[^/]+\//g, '//server/')}`,
      );
      // A remote's failure reaches the engine as a typed (transient) VosError; anything else is a bug.
      if (!fate.dead && !(e instanceof VosError)) {
        violations.push(
          `cycle ${stats.cycles} threw ${err.name}: ${err.message} (${fate.labels.slice(-3).join(', ')})`,
        );
      }
    } finally {
      index.close();
    }
    stats.points.push(fate.count);
    ledger.noteSynced(await local.tree(), await remote.tree());
    if (fate.crashedAt) {
      stats.crashes++;
      log(`  crashed at point ${fate.crashedAt.point} (${fate.crashedAt.label}) of ${fate.count}`);
    }
    if (result) {
      if (result.paused) {
        log(`  paused: ${result.paused}`);
        override = true; // the user confirms
      }
      if (result.plan) {
        log(`  plan: ${describePlan(result.plan)}`);
        stats.actions += result.plan.actions.length;
        stats.conflicts += result.plan.notices.filter((n) => n.kind === 'conflict').length;
        if (result.plan.firstSync) {
          for (const a of result.plan.actions) {
            if (a.type === 'deleteLocal' || a.type === 'deleteRemote') {
              violations.push(`cycle ${stats.cycles}: the first sync plans ${a.type} ${a.path}`);
            }
          }
        }
        for (const p of spuriousConflicts(result.plan)) {
          violations.push(
            `cycle ${stats.cycles}: conflict copy of ${p} although both sides held the same MD5`,
          );
        }
      }
      if (result.report) {
        const r = result.report;
        log(
          `  done ${r.done}, skipped ${r.skipped.map((s) => s.path).join(' ') || '-'}, failed ${
            r.failed.map((f) => `${f.path}(${f.kind})`).join(' ') || '-'
          }${r.aborted ? ', aborted' : ''}`,
        );
        if (c.settling && !fate.dead) {
          for (const f of r.failed) {
            if (storable(f.path))
              violations.push(`settling cycle ${stats.cycles}: ${f.type} ${f.path}: ${f.message}`);
          }
        }
      }
    }
    return result;
  };

  try {
    world.store.mkdirs(remoteRoot);
    // The starting state: files on one side or both (a first sync with data on both sides).
    for (let i = rng.int(1, 4); i > 0; i--) await userChange(() => user.act(local, remote));
    for (let i = rng.int(0, 3); i > 0; i--) await userChange(() => user.act(remote, local));

    const rounds = rng.int(2, 5);
    for (let round = 0; round < rounds; round++) {
      if (round > 0) for (let i = rng.int(0, 4); i > 0; i--) await randomChange();
      // Every draw is made whatever the options, so switching a feature off does not change the rest of the story.
      const faulty = rng.chance(0.35) && randomFaults;
      const faults = { rate: [0.03, 0.06, 0.1][rng.int(0, 2)]!, seed: rng.seed() };
      const crashing = rng.chance(0.4) && randomCrashes;
      const crashAt = rng.int(0, 32);
      const meddling = rng.chance(0.2) && randomInterference;
      const meddleAt = rng.int(0, 30);
      const aiming = rng.chance(0.3) && randomInterference;
      const aimAt = rng.int(0, 12);
      override = rng.chance(0.85);
      await cycle({
        ...(faulty ? { faults } : {}),
        ...(crashing ? { crashAt } : {}),
        ...(meddling ? { interfere: [meddleAt] } : {}),
        ...(aiming ? { aimAt } : {}),
      });
      if (rng.chance(0.3)) await cycle({});
    }

    // Settle: no more faults, crashes or changes. One cycle must bring the pair to rest: the next plans nothing.
    // Time passes first: an empty node nobody filled is an empty file by now, not an upload in progress.
    clock += PLACEHOLDER_GRACE_MS;
    override = true;
    // A remote version set aside by a server-side move (local-wins) is fetched by the cycle after: one more.
    // So is an empty node first seen while settling (a crash kept the agent from seeing it earlier): it is
    // waited for, from then, for the grace time, which passes before the next cycle.
    let settled = 0;
    let extra = 0;
    for (let i = 1; i <= SETTLE_CYCLES && !settled; i++) {
      const r = await cycle({ settling: true });
      const waiting = (r?.waiting.length ?? 0) > 0;
      if (r && !r.paused && r.plan && isPlanEmpty(r.plan) && !waiting) settled = i;
      if (r?.plan?.actions.some((a) => a.type === 'moveRemote' && a.purpose === 'conflict-aside')) extra++;
      if (waiting) {
        extra++;
        clock += PLACEHOLDER_GRACE_MS;
      }
    }
    stats.settleCycles = settled;
    if (!settled) violations.push(`did not settle within ${SETTLE_CYCLES} fault-free cycles`);
    else if (settled > 2 + extra) {
      violations.push(
        `took ${settled - 1} fault-free cycles to converge (one, then a second that plans nothing)`,
      );
    }

    violations.push(...(await checkConvergence(local, remote)));
    violations.push(...(await checkNothingLost(ledger, local, remote)));
    stats.leftoverTemps = local.tempFiles().length;
  } catch (e) {
    violations.push(`harness error: ${(e as Error).stack ?? String(e)}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    world.store.delete(remoteRoot, true);
  }
  for (const v of violations) log(`VIOLATION: ${v}`);
  return { seed, violations, trace, stats };
}

/** Both sides hold the same storable tree: same paths, kinds and bytes. */
export async function checkConvergence(local: Side, remote: Side): Promise<string[]> {
  const l = new Map([...(await local.tree())].filter(([p]) => storable(p)));
  const r = await remote.tree();
  const out: string[] = [];
  const same = (a: Tree, p: string, b: Tree): boolean => {
    const x = a.get(p);
    const y = b.get(p);
    return !!x && !!y && x.kind === y.kind && x.md5 === y.md5;
  };
  for (const p of new Set([...l.keys(), ...r.keys()])) {
    if (!same(l, p, r)) {
      const d = (t: Tree) => {
        const i = t.get(p);
        return i ? (i.kind === 'dir' ? 'folder' : `file ${i.md5!.slice(0, 8)}`) : 'absent';
      };
      out.push(`not converged at ${p}: local ${d(l)}, remote ${d(r)}`);
    }
  }
  return out;
}

/** Every content version the user did not destroy is somewhere: in place, in a conflict copy, or in a trash. */
export async function checkNothingLost(ledger: Ledger, local: Side, remote: Side): Promise<string[]> {
  const found = new Set<string>();
  for (const s of [local, remote]) {
    for (const i of (await s.tree()).values()) if (i.md5) found.add(i.md5);
    for (const m of await s.trashMd5s()) found.add(m);
  }
  return ledger
    .entries()
    .filter(([m]) => !found.has(m))
    .map(([m, where]) => `content lost: ${where} (md5 ${m.slice(0, 8)})`);
}

/**
 * Crashes at every durable step: the seed's story without random crashes is run once to count the points of its
 * cycles, then once per point of the chosen cycles (default: every cycle before settling), killed there.
 */
export async function sweepCrashes(
  world: SimWorld,
  seed: number,
  which: 'busiest' | 'all' = 'all',
): Promise<{ runs: number; violations: string[] }> {
  const base = await runSeed(world, { seed, crashes: false });
  const violations = base.violations.map((v) => `no crash: ${v}`);
  const rounds = base.stats.points.slice(0, base.stats.cycles - base.stats.settleCycles);
  const cycles =
    which === 'all'
      ? rounds.map((_, i) => i)
      : rounds.length > 0
        ? [rounds.indexOf(Math.max(...rounds))]
        : [];
  let runs = 1;
  for (const c of cycles) {
    for (let k = 0; k < rounds[c]!; k++) {
      const o = await runSeed(world, { seed, crashes: false, crash: { cycle: c + 1, point: k } });
      runs++;
      if (o.stats.crashes !== 1) violations.push(`cycle ${c + 1} point ${k}: the crash did not happen`);
      violations.push(...o.violations.map((v) => `crash in cycle ${c + 1} at point ${k}: ${v}`));
    }
  }
  return { runs, violations };
}
