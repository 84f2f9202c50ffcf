/**
 * The multi-agent simulation: two or three machines, each with its own local folder, SQLite index and host name,
 * all syncing one shared remote folder of the in-memory remote (several machines on one folder is the normal
 * case). Their cycles run at once, and a seeded scheduler (scheduler.ts) interleaves them at the granularity of
 * single requests; the users change the folders between cycles and at turns mid-cycle, a remote user now and
 * then; some rounds run under request faults, some cycles are killed at a random durable
 * step. Then every machine syncs, one after the other and fault-free, until a round plans nothing anywhere, and
 * the invariants are checked on the real bytes. The server's clock is simulated (each turn moves it a little),
 * so what counts as a concurrent write depends on the seed only, and a failing seed replays.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PairConfig } from '../../src/agent/config/index.js';
import { pairConfig } from '../support/pair-fixture.js';
import {
  conflictCopyInfo,
  conflictOriginal,
  isConflictCopyName,
} from '../../src/agent/reconcile/conflict-name.js';
import { SyncIndex } from '../../src/agent/store/index-db.js';
import { syncPair, type CycleResult, type PairContext } from '../../src/agent/engine/pair-sync.js';
import { isPlanEmpty } from '../../src/agent/reconcile/index.js';
import { VosError } from '../../src/util/errors.js';
import { EMPTY_MD5, md5Hex } from '../../src/util/md5.js';
import { MemoryRemote } from '../support/memory-remote.js';
import { Fate, instrumentIndex } from './crash.js';
import { Faults, simGate } from './gate.js';
import { Rng } from './rng.js';
import { checkConvergence, describePlan, spuriousConflicts, storable } from './run.js';
import { Scheduler } from './scheduler.js';
import { LocalSide, MemorySide, isAtOrBelow, type Side, type Tree } from './sides.js';
import { Ledger, User } from './user.js';
import type { SimWorld } from './world.js';
import { PLACEHOLDER_GRACE_MS } from '../../src/agent/engine/prepare.js';
import { leavesWorkBehind } from '../../src/agent/status/cycle-outcome.js';
import { changedSinceScan } from './watcher-view.js';

export interface MultiOptions {
  seed: number;
  agents: 2 | 3;
  /** Default true: faults, crashes and mid-cycle changes; off, the agents still race each other. */
  faults?: boolean;
  crashes?: boolean;
  interference?: boolean;
  log?: (line: string) => void;
}

export interface MultiStats {
  cycles: number;
  /** Turns the scheduler gave, and how many went to another agent than the one before. */
  turns: number;
  switches: number;
  crashes: number;
  faultCycles: number;
  midCycleChanges: number;
  /** Cycles that observed and planned only the paths changed since the last scan (a watcher batch's cycle). */
  scopedCycles: number;
  /** Conflicts planned, and those of them planned because a remote version may have been written concurrently. */
  conflicts: number;
  concurrent: number;
  /** Actions the executor skipped because the other side had changed since the scan (a race it caught). */
  skipped: number;
  /** Cycles that held back an empty remote node as another machine's upload in progress. */
  placeholderWaits: number;
  /** Conflict copies in the settled tree. */
  conflictCopies: number;
  /** Fault-free rounds of every agent's cycle until one planned nothing on any. */
  settleRounds: number;
}

export interface MultiOutcome {
  seed: number;
  agents: number;
  violations: string[];
  trace: string[];
  stats: MultiStats;
}

const START = Date.UTC(2026, 0, 5, 9, 0, 0);
/** Most fault-free rounds the settling may take (the last one must plan nothing anywhere). */
const SETTLE_ROUNDS = 6;
let runCounter = 0;

/**
 * Which replicas' users changed each path, for the self-conflict check. Every change of a path counts (written,
 * made, removed, renamed from or to), and a rename hands the history of what it moves on to the new paths.
 */
class Writers {
  private readonly byPath = new Map<string, Set<string>>();
  /** `path md5` → who wrote those bytes there. */
  private readonly wrote = new Map<string, Set<string>>();

  written(p: string, md5: string, who: string): void {
    const k = `${p} ${md5}`;
    this.wrote.set(k, (this.wrote.get(k) ?? new Set()).add(who));
    this.add(p, who);
  }

  /** Whether more than one user wrote these bytes at this path. */
  twin(md5: string, p: string): boolean {
    return (this.wrote.get(`${p} ${md5}`)?.size ?? 0) > 1;
  }

  /** Whether a user wrote these bytes at this path. */
  wroteAt(md5: string, p: string): boolean {
    return (this.wrote.get(`${p} ${md5}`)?.size ?? 0) > 0;
  }

  add(p: string, who: string): void {
    const s = this.byPath.get(p) ?? new Set<string>();
    s.add(who);
    this.byPath.set(p, s);
  }

  /** `from → to` of every rename a user made. */
  private readonly renames = new Set<string>();

  /** Whether a user renamed `from` to `to` at some point. */
  renamed(from: string, to: string): boolean {
    return this.renames.has(`${from}\0${to}`);
  }

  /** Whether a user renamed something to `to` at some point (its name is the user's, not the agent's). */
  renamedTo(to: string): boolean {
    for (const r of this.renames) if (r.endsWith(`\0${to}`)) return true;
    return false;
  }

  moved(from: string, to: string, who: string): void {
    this.renames.add(`${from}\0${to}`);
    for (const [p, s] of [...this.byPath]) {
      if (isAtOrBelow(p, from)) for (const w of s) this.add(to + p.slice(from.length), w);
    }
    // The bytes written at a path are written at the path they were moved to as well.
    for (const [k, s] of [...this.wrote]) {
      const at = k.lastIndexOf(' ');
      const p = k.slice(0, at);
      if (!isAtOrBelow(p, from)) continue;
      const moved = `${to + p.slice(from.length)} ${k.slice(at + 1)}`;
      this.wrote.set(moved, new Set([...(this.wrote.get(moved) ?? []), ...s]));
    }
    this.add(from, who);
    this.add(to, who);
  }

  /** Everyone who changed the path, a folder above it or anything below it. */
  around(p: string): Set<string> {
    const out = new Set<string>();
    for (const [q, s] of this.byPath) {
      if (isAtOrBelow(q, p) || isAtOrBelow(p, q)) for (const w of s) out.add(w);
    }
    return out;
  }
}

/** A side whose changes are recorded as `who`'s. */
class Tracked implements Side {
  readonly name: Side['name'];
  readonly label: string;

  constructor(
    private readonly inner: Side,
    private readonly who: string,
    private readonly writers: Writers,
  ) {
    this.name = inner.name;
    this.label = who;
  }

  tree(): Promise<Tree> {
    return this.inner.tree();
  }

  trashMd5s(): Promise<string[]> {
    return this.inner.trashMd5s();
  }

  writeFile(rel: string, content: string): Promise<void> {
    this.writers.written(rel, md5Hex(content), this.who);
    return this.inner.writeFile(rel, content);
  }

  mkdir(rel: string): Promise<void> {
    this.writers.add(rel, this.who);
    return this.inner.mkdir(rel);
  }

  remove(rel: string): Promise<void> {
    this.writers.add(rel, this.who);
    return this.inner.remove(rel);
  }

  move(from: string, to: string): Promise<void> {
    this.writers.moved(from, to, this.who);
    return this.inner.move(from, to);
  }
}

/**
 * Whether an agent is inside an upload past its read of the node. From there to the write, VOSpace gives no way to
 * notice a foreign change (it has no conditional writes): another machine's write there is the window the
 * concurrent-write rule covers, but a plain remote user's write there is lost whatever the agent does, so the
 * remote user makes none then (run.ts likewise makes changes only at the agent's own calls). Known from the
 * request the agent asks to send next, so it holds while that request waits for its turn.
 */
class WriteWindow {
  open = false;

  asking(_request: string, of: { op: string; step: number }): void {
    this.open = of.op === 'upload' && of.step > 0;
  }
}

interface Agent {
  id: string;
  local: LocalSide;
  /** The local folder as its user changes it. */
  hands: Tracked;
  user: User;
  ledger: Ledger;
  pair: PairConfig;
  indexFile: string;
  /** The machine's own clock (mtimes of its user's writes, conflict-copy names, placeholder ages). */
  clock: { t: number };
  cycles: number;
  /** The last cycle's result (none after a crash): a scoped cycle follows only one that left nothing behind. */
  lastResult?: CycleResult;
}

function md5s(t: Tree): string[] {
  return [...t.values()].filter((i) => i.md5).map((i) => i.md5!);
}

/** Every count at zero: one seed's start, or the soak's totals. */
export function newMultiStats(): MultiStats {
  return {
    cycles: 0,
    turns: 0,
    switches: 0,
    crashes: 0,
    faultCycles: 0,
    midCycleChanges: 0,
    scopedCycles: 0,
    conflicts: 0,
    concurrent: 0,
    skipped: 0,
    placeholderWaits: 0,
    conflictCopies: 0,
    settleRounds: 0,
  };
}

export async function runMultiSeed(world: SimWorld, opts: MultiOptions): Promise<MultiOutcome> {
  const { seed } = opts;
  const rng = Rng.derive(seed, `multi-${opts.agents}`);
  const turnRng = Rng.derive(seed, `turns-${opts.agents}`);
  const trace: string[] = [];
  const log = (line: string): void => {
    trace.push(line);
    opts.log?.(line);
  };
  const stats = newMultiStats();
  const violations: string[] = [];
  const withFaults = opts.faults ?? true;
  const withCrashes = opts.crashes ?? true;
  const withInterference = opts.interference ?? true;

  const id = `m${seed}-${opts.agents}-${++runCounter}-${process.pid}`;
  const dir = path.join(world.tmp, id);
  const remoteRoot = `alice/sim/${id}`;
  const remote = new MemorySide(world.store, remoteRoot);
  const writers = new Writers();
  const owed = new Ledger();
  log(`seed ${seed}: ${opts.agents} agents`);

  const locals: LocalSide[] = [];
  /** MD5s on the remote and on every replica but the one changed: where a destroyed version may live on. */
  const elsewhere = (changed: Side) => async (): Promise<Set<string | undefined>> => {
    const out = new Set<string | undefined>();
    for (const s of [remote, ...locals]) if (s !== changed) for (const m of md5s(await s.tree())) out.add(m);
    return out;
  };
  const agents: Agent[] = [];
  for (let i = 1; i <= opts.agents; i++) {
    const name = `m${i}`;
    const localRoot = path.join(dir, name);
    fs.mkdirSync(localRoot, { recursive: true });
    const policy = rng.weighted([
      [0.6, 'keep-both'],
      [0.2, 'local-wins'],
      [0.2, 'remote-wins'],
    ] as const);
    const pair = pairConfig('sim', localRoot, `vos:${remoteRoot}`, { mode: 'two-way', conflict: policy });
    const clock = { t: START };
    const local = new LocalSide(localRoot, () => (clock.t += 1000));
    locals.push(local);
    const ledger = (i === 1 ? owed : owed.replica()).named(name);
    agents.push({
      id: name,
      local,
      hands: new Tracked(local, name, writers),
      user: new User(rng, ledger, `s${seed}${name}`, log, remote, elsewhere(local)),
      ledger,
      pair,
      indexFile: path.join(dir, `${name}.sqlite`),
      clock,
      cycles: 0,
    });
    log(`${name}: policy ${policy}`);
  }
  const remoteHands = new Tracked(remote, 'remote', writers);
  const remoteUser = new User(rng, owed.replica(), `s${seed}r`, log, remote, elsewhere(remote));

  /** The write windows of the cycles running now. */
  const windows = new Set<WriteWindow>();
  /** Whether a remote user's write now could land in an upload's blind window (see WriteWindow). */
  const remoteBlind = (): boolean => [...windows].some((w) => w.open);
  let faults: Faults | undefined;
  let keepers = false;
  /** The remote was left without a file while writing there was blind: the keeper is written when it is not. */
  let remoteKeeperOwed = false;
  const keepRemoteFile = async (): Promise<void> => {
    remoteKeeperOwed = remoteBlind();
    if (!remoteKeeperOwed) await remoteUser.keepOneFile(remoteHands);
  };
  /** A user change (its own writes go straight to the store, past the agents' faults). */
  const change = async (fn: () => Promise<void>): Promise<void> => {
    await fn();
    // Once synced, a side emptied of files would (rightly) trip the root guard: keep one on each.
    if (keepers) {
      for (const a of agents) await a.user.keepOneFile(a.hands);
      await keepRemoteFile();
    }
  };
  const others = (a: Agent) => agents.filter((b) => b !== a);
  const randomChange = (midCycle = false): Promise<void> => {
    const onRemote = rng.chance(0.15);
    if (onRemote && !(midCycle && remoteBlind()))
      return change(() => remoteUser.act(remoteHands, rng.pick(agents).hands));
    const a = rng.pick(agents);
    return change(() => a.user.act(a.hands, rng.pick(others(a)).hands));
  };

  const conflictNotices: { where: string; path: string }[] = [];
  let meddle = 0;
  const scopeRng = Rng.derive(seed, 'scoped-cycles');
  const sched = new Scheduler(Rng.derive(seed, `schedule-${opts.agents}`), async (agent, what) => {
    // A request takes a while: the server's clock moves on between turns (0.1–1.5 s).
    world.clock.advance(turnRng.int(1, 15) * 100);
    if (what !== 'start') log(`    ${agent}> ${what}`);
    if (remoteKeeperOwed) await change(keepRemoteFile);
    if (meddle > 0 && turnRng.chance(meddle)) {
      stats.midCycleChanges++;
      log('  (mid-cycle)');
      await randomChange(true);
    }
  });

  /** One process life of an agent: a fresh remote and a re-opened index, maybe killed at a durable step. */
  const cycle = (a: Agent, c: { crashAt?: number; settling?: boolean }): Promise<CycleResult | undefined> =>
    sched.run(a.id, async () => {
      stats.cycles++;
      a.cycles++;
      keepers = true;
      log(`[${a.id}] cycle ${a.cycles}${c.crashAt !== undefined ? ` crash@${c.crashAt}` : ''}`);
      const fate = new Fate(c.crashAt);
      const window = new WriteWindow();
      const gate = simGate({
        fate,
        faults: () => faults,
        turn: (what) => sched.turn(a.id, what),
        asking: (request, of) => window.asking(request, of),
      });
      windows.add(window);
      // As the daemon does after a watcher batch: the cached listing, and only the paths that changed.
      const last = a.lastResult;
      a.lastResult = undefined;
      const changed =
        !c.settling && last && !last.paused && !leavesWorkBehind(last) && scopeRng.chance(0.5)
          ? await changedSinceScan(a.pair, a.indexFile)
          : undefined;
      if (changed) log(`  [${a.id}] scoped to ${changed.join(' ') || '(nothing)'}`);
      const index = instrumentIndex(SyncIndex.open(a.indexFile), fate);
      const ctx: PairContext = {
        ...(changed ? { useCachedRemote: true, changedPaths: changed } : {}),
        pair: a.pair,
        remote: new MemoryRemote(world.store, remoteRoot, { gate }),
        index,
        now: () => (a.clock.t += 1000),
        host: a.id,
        concurrency: 1,
        caseInsensitiveLocal: false,
        signal: fate.signal,
        onAction: (e) => fate.boundary(e),
        overrideDeleteLimits: true,
      };
      let result: CycleResult | undefined;
      try {
        result = await syncPair(ctx);
      } catch (e) {
        const err = e as Error;
        log(
          `  [${a.id}] cycle threw ${err.name}: ${fate.dead ? '(dead)' : err.message.replace(/\/\/[^/]+\//g, '//server/')}`,
        );
        if (!fate.dead && !(e instanceof VosError))
          violations.push(`${a.id} cycle ${a.cycles} threw ${err.name}: ${err.message}`);
      } finally {
        windows.delete(window);
        index.close();
      }
      a.ledger.noteSynced(await a.local.tree(), await remote.tree(), syncedBases(a.indexFile, a.pair.name));
      if (fate.crashedAt) {
        stats.crashes++;
        log(`  [${a.id}] crashed at point ${fate.crashedAt.point} (${fate.crashedAt.label})`);
      }
      if (!result) return result;
      if (!fate.crashedAt) a.lastResult = result;
      if (result.scope) stats.scopedCycles++;
      else if (changed) log(`  [${a.id}] (not scoped: the whole pair)`);
      const where = `${a.id} cycle ${a.cycles}`;
      if (result.paused) log(`  [${a.id}] paused: ${result.paused}`);
      if (result.waiting.length > 0) stats.placeholderWaits++;
      if (result.plan) {
        log(`  [${a.id}] plan: ${describePlan(result.plan)}`);
        for (const n of result.plan.notices) {
          if (n.kind !== 'conflict') continue;
          stats.conflicts++;
          if (n.message.includes('at the same time')) stats.concurrent++;
          log(`  [${a.id}] conflict at ${n.path}: ${n.message}`);
          // This machine uploads the copy it makes: a write of that path, as far as the others can tell.
          if (n.related) writers.add(n.related, a.id);
          conflictNotices.push({ where, path: n.path });
        }
        for (const p of spuriousConflicts(result.plan))
          violations.push(`${where}: conflict copy of ${p} although both sides held the same MD5`);
      }
      if (result.report) {
        const r = result.report;
        stats.skipped += r.skipped.length;
        log(
          `  [${a.id}] done ${r.done}, skipped ${r.skipped.map((s) => s.path).join(' ') || '-'}, failed ${
            r.failed.map((f) => `${f.path}(${f.kind})`).join(' ') || '-'
          }${r.aborted ? ', aborted' : ''}`,
        );
        for (const f of r.failed) {
          if (c.settling && storable(f.path))
            violations.push(`${where} (settling): ${f.type} ${f.path}: ${f.message}`);
        }
      }
      return result;
    });

  try {
    world.clock.simulate();
    world.store.mkdirs(remoteRoot);
    // The starting state: some files on some machines, maybe some already on the server.
    for (const a of agents)
      for (let i = rng.int(0, 3); i > 0; i--)
        await change(() => a.user.act(a.hands, rng.pick(others(a)).hands));
    for (let i = rng.int(0, 2); i > 0; i--)
      await change(() => remoteUser.act(remoteHands, rng.pick(agents).hands));

    const rounds = rng.int(3, 6);
    for (let round = 1; round <= rounds; round++) {
      if (round > 1) for (let i = rng.int(0, 3); i > 0; i--) await randomChange();
      // Time between rounds: sometimes within the window a write counts as concurrent in, sometimes well past it.
      world.clock.advance(rng.int(0, 40) * 1000);
      // Every draw is made whatever the options, so switching a feature off does not change the rest of the story.
      const faulty = rng.chance(0.3) && withFaults;
      const rate = [0.03, 0.06][rng.int(0, 1)]!;
      const faultSeed = rng.seed();
      const meddling = rng.chance(0.5) && withInterference;
      const perTurn = [0.03, 0.08][rng.int(0, 1)]!;
      const who = agents.filter(() => rng.chance(0.8));
      if (who.length === 0) who.push(rng.pick(agents));
      const crashes = who.map(() => ({ crashing: rng.chance(0.15) && withCrashes, at: rng.int(0, 30) }));
      log(
        `round ${round}: ${who.map((a) => a.id).join(' ')}${faulty ? ` faults=${rate}` : ''}${meddling ? ` changes/turn=${perTurn}` : ''}`,
      );
      meddle = meddling ? perTurn : 0;
      faults = faulty ? new Faults(rate, faultSeed) : undefined;
      if (faults) stats.faultCycles += who.length;
      try {
        await Promise.all(
          who.map((a, i) => cycle(a, crashes[i]!.crashing ? { crashAt: crashes[i]!.at } : {})),
        );
      } finally {
        faults = undefined;
        meddle = 0;
      }
    }

    if (remoteKeeperOwed) await change(keepRemoteFile);
    // Settle: no faults, crashes or changes; each machine in turn until a round where none plans anything or
    // waits for anything. Time passes before each round: an empty node nobody filled is an empty file by then,
    // not an upload in progress (one machine's empty file is such a node to the others when they first see it,
    // and that may be in a settling round).
    for (let round = 1; round <= SETTLE_ROUNDS && !stats.settleRounds; round++) {
      for (const a of agents) a.clock.t += PLACEHOLDER_GRACE_MS;
      world.clock.advance(PLACEHOLDER_GRACE_MS);
      log(`settle ${round}`);
      let quiet = true;
      for (const a of agents) {
        const r = await cycle(a, { settling: true });
        if (!r || r.paused || !r.plan || !isPlanEmpty(r.plan) || r.waiting.length > 0) quiet = false;
      }
      if (quiet) stats.settleRounds = round;
    }
    if (!stats.settleRounds) violations.push(`did not settle within ${SETTLE_ROUNDS} fault-free rounds`);

    for (const a of agents)
      violations.push(...(await checkConvergence(a.local, remote)).map((v) => `${a.id}: ${v}`));
    violations.push(...(await checkNothingLost(owed, [remote, ...agents.map((a) => a.local)])));
    const settled = await remote.tree();
    for (const [p, item] of settled) {
      if (!isConflictCopyName(p, item.kind === 'dir')) continue;
      stats.conflictCopies++;
      const original = settled.get(conflictOriginal(p, item.kind === 'dir'));
      // A plan is judged by the MD5s it was made from (spuriousConflicts). Here, the settled tree: a copy may
      // equal its original only when two machines wrote those bytes there (the twin change): one kept them aside
      // against another version, and the other machine's write of the same bytes replaced that version later
      // (or between the scan and the download that follows the rename), which no plan can foresee.
      // Nor is a copy a user edited into the original's bytes (a copy is a file like any other), nor an empty
      // copy of an empty file: empty files written anywhere are the same bytes (the ledger does not track them).
      if (
        item.md5 &&
        item.md5 !== EMPTY_MD5 &&
        original?.md5 === item.md5 &&
        !writers.twin(original.md5, conflictOriginal(p)) &&
        !writers.wroteAt(item.md5, p) &&
        // A user renamed the copy back onto its original (another machine had the copy already, and syncs it),
        // or gave the copy its name (a case-rename of a copy made for another spelling).
        !writers.renamed(p, conflictOriginal(p)) &&
        !writers.renamedTo(p)
      )
        violations.push(
          `conflict copy ${p} holds the very content of ${conflictOriginal(p)} (md5 ${item.md5.slice(0, 8)})`,
        );
    }
    for (const n of conflictNotices) {
      const w = writers.around(n.path);
      // The machine named in a conflict copy at or above the path wrote it, even if it was killed before its
      // cycle could report the conflict (so the notice above never credited it).
      for (let q = n.path; q !== ''; q = q.includes('/') ? q.slice(0, q.lastIndexOf('/')) : '') {
        const info = conflictCopyInfo(q)?.host ? conflictCopyInfo(q) : conflictCopyInfo(q, true);
        if (!info?.host) continue;
        w.add(info.host);
        // A copy set aside holds what was written at its original and below it: those writers changed it too.
        for (const o of writers.around(info.original + n.path.slice(q.length))) w.add(o);
      }
      if (w.size < 2)
        violations.push(
          `${n.where}: conflict at ${n.path}, which only ${[...w].join(' ') || 'nobody'} ever changed`,
        );
    }
  } catch (e) {
    violations.push(`harness error: ${(e as Error).stack ?? String(e)}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    world.store.delete(remoteRoot, true);
  }
  if (sched.error) violations.push(`scheduler: ${(sched.error as Error).message}`);
  stats.turns = sched.turns;
  stats.switches = sched.switches;
  for (const v of violations) log(`VIOLATION: ${v}`);
  return { seed, agents: opts.agents, violations, trace, stats };
}

/**
 * The file versions an agent's index records as in sync (its bases), path → MD5: a version downloaded and
 * recorded, then deleted locally in the same cycle, is still the synced one that a new local write replaces.
 */
function syncedBases(indexFile: string, pairName: string): Map<string, string> {
  const index = SyncIndex.open(indexFile);
  try {
    const rec = index.getPair(pairName);
    const out = new Map<string, string>();
    if (!rec) return out;
    for (const [p, b] of index.loadTrees(rec.id).base) if (b.kind === 'file' && b.md5) out.set(p, b.md5);
    return out;
  } finally {
    index.close();
  }
}

/** Every content version no user destroyed is somewhere: in place or in a conflict copy on a side, or in a trash. */
async function checkNothingLost(ledger: Ledger, sides: Side[]): Promise<string[]> {
  const found = new Set<string>();
  for (const s of sides) {
    for (const m of md5s(await s.tree())) found.add(m);
    for (const m of await s.trashMd5s()) found.add(m);
  }
  return ledger
    .entries()
    .filter(([m]) => !found.has(m))
    .map(([m, where]) => `content lost: ${where} (md5 ${m.slice(0, 8)})`);
}
