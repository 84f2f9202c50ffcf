/**
 * Bugs the simulation found, each pinned twice: by the seed whose story exposed it (see REGRESSION_SEEDS) and by a
 * focused, story-independent test of the fix. Also: a seed replays exactly, and a crash at every durable step of
 * a busy cycle still ends converged with nothing lost.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pairConfig } from '../support/pair-fixture.js';
import { SyncIndex } from '../../src/agent/store/index-db.js';
import { syncPair, type PairContext } from '../../src/agent/engine/pair-sync.js';
import { MemoryRemote } from '../support/memory-remote.js';
import { Fate } from './crash.js';
import { simGate } from './gate.js';
import { REGRESSION_SEEDS } from './regression-seeds.js';
import { runSeed, sweepCrashes } from './run.js';
import { LocalSide, MemorySide } from './sides.js';
import { SimWorld } from './world.js';
import { md5Hex } from '../../src/util/md5.js';

let world: SimWorld;
let n = 0;

beforeAll(() => {
  world = SimWorld.start();
});

afterAll(() => {
  world.close();
});

describe('seeds that once failed', () => {
  for (const r of REGRESSION_SEEDS) {
    it(`seed ${r.seed}: ${r.bug}`, async () => {
      const o = await runSeed(world, { seed: r.seed });
      if (o.violations.length > 0) console.log(o.trace.join('\n'));
      expect(o.violations).toEqual([]);
    });
  }
});

describe('replay and crashes', () => {
  it('a seed replays exactly: the same story, plans and results twice', async () => {
    const a = await runSeed(world, { seed: 4242 });
    const b = await runSeed(world, { seed: 4242 });
    expect(a.stats.cycles).toBeGreaterThan(2);
    expect(b.trace).toEqual(a.trace);
  });

  it('a crash at every durable step still converges, with nothing lost and no spurious conflict', async () => {
    // Seed 12's story: a first sync with a conflict (rename aside, upload the copy, download), then more changes.
    const sweep = await sweepCrashes(world, 12, 'busiest');
    expect(sweep.runs).toBeGreaterThan(20);
    expect(sweep.violations).toEqual([]);
  });
});

/** A pair of a local temp folder and a remote folder, synced by one fresh remote + re-opened index per cycle. */
function makePair() {
  const id = `reg-pair-${++n}`;
  const localRoot = path.join(world.tmp, id);
  fs.mkdirSync(localRoot);
  let clock = Date.UTC(2026, 0, 5);
  const now = () => (clock += 1000);
  const local = new LocalSide(localRoot, now);
  const remoteRoot = `alice/${id}`;
  const remote = new MemorySide(world.store, remoteRoot);
  world.store.mkdirs(remoteRoot);
  const pair = pairConfig(id, localRoot, `vos:${remoteRoot}`);
  /** One sync cycle; `interfere` runs a change just before the first agent call with that label. */
  const cycle = async (interfere?: [string, () => Promise<void>]) => {
    const fate = new Fate(undefined, new Map(interfere ? [interfere] : []));
    const index = SyncIndex.open(path.join(world.tmp, `${id}.sqlite`));
    const ctx: PairContext = {
      pair,
      remote: new MemoryRemote(world.store, remoteRoot, { gate: simGate({ fate }) }),
      index,
      now,
      host: 'h',
      concurrency: 1,
      caseInsensitiveLocal: false,
    };
    try {
      return await syncPair(ctx);
    } finally {
      index.close();
    }
  };
  return { local, remote, remoteRoot, cycle };
}

describe('fixes', () => {
  it('an upload does not replace a remote file written between the check and the transfer', async () => {
    // Found by the story generator's mid-cycle changes: a remote file created after the executor checked the
    // path was free was overwritten by the upload, and its content lost.
    const p = makePair();
    await p.local.writeFile('keep.txt', 'keep');
    await p.cycle();
    await p.local.writeFile('new.txt', 'local version');
    // The other machine creates the same path just before our transfer starts.
    const r = await p.cycle(['upload', () => p.remote.writeFile('new.txt', 'remote version')]);
    expect(r.report?.skipped.map((s) => s.path)).toContain('new.txt');
    expect((await p.remote.tree()).get('new.txt')?.md5).toBe(md5Hex('remote version'));
    // The next cycle sees both versions: a conflict, both kept.
    await p.cycle();
    const all = [...(await p.local.tree()).values()].map((i) => i.md5);
    expect(all).toContain(md5Hex('local version'));
    expect(all).toContain(md5Hex('remote version'));
  });

  it('a local rename onto a name holding an empty remote placeholder is replayed, not skipped forever', async () => {
    // Seed 167: the planner ignores an empty checksum-less remote node where a local file is new, but the move
    // refused any existing destination, so every cycle planned the same move and skipped it.
    const p = makePair();
    await p.local.writeFile('D', 'the content');
    await p.cycle();
    await p.local.move('D', 'e');
    await p.remote.writeFile('e', '');
    const placeholder = world.store.get(`${p.remoteRoot}/e`);
    expect([placeholder?.bytes, placeholder?.md5]).toEqual([undefined, undefined]);
    const r = await p.cycle();
    expect(r.plan?.actions.map((a) => a.type)).toEqual(['moveRemote']);
    expect(r.report?.done).toBe(1);
    expect((await p.remote.tree()).get('e')?.md5).toBe(md5Hex('the content'));
    expect((await p.remote.tree()).has('D')).toBe(false);
    expect((await p.cycle()).plan?.actions).toEqual([]);
  });
});
