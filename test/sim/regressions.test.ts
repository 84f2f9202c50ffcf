/**
 * Bugs the simulation found, each pinned twice: by the seed whose story exposed it (see REGRESSION_SEEDS) and by a
 * focused, story-independent test of the fix. Also: a seed replays exactly, and a crash at every durable step of
 * a busy cycle still ends converged with nothing lost.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText, type PairConfig } from '../../src/agent/config/index.js';
import { SyncIndex } from '../../src/agent/store/index-db.js';
import { syncPair, type PairContext } from '../../src/agent/engine/pair-sync.js';
import { parseFaultSpec } from '../../src/server/faults.js';
import { VosError } from '../../src/vospace/errors.js';
import { Fate, SimClient } from './crash.js';
import { SIM_TOKEN, SimEnv } from './env.js';
import { REGRESSION_SEEDS } from './regression-seeds.js';
import { runSeed, sweepCrashes } from './run.js';
import { LocalSide, RemoteSide, md5 } from './sides.js';
import { vospaceRemote } from '../../src/agent/remote/vospace/connect.js';

let env: SimEnv;
let n = 0;

beforeAll(async () => {
  env = await SimEnv.start();
});

afterAll(async () => {
  await env.close();
});

describe('seeds that once failed', () => {
  for (const r of REGRESSION_SEEDS) {
    it(`seed ${r.seed}: ${r.bug}`, async () => {
      const o = await runSeed(env, { seed: r.seed });
      if (o.violations.length > 0) console.log(o.trace.join('\n'));
      expect(o.violations).toEqual([]);
    });
  }
});

describe('replay and crashes', () => {
  it('a seed replays exactly: the same story, plans and results twice', async () => {
    const a = await runSeed(env, { seed: 4242 });
    const b = await runSeed(env, { seed: 4242 });
    expect(a.stats.cycles).toBeGreaterThan(2);
    expect(b.trace).toEqual(a.trace);
  });

  it('a crash at every durable step still converges, with nothing lost and no spurious conflict', async () => {
    // Seed 12's story: a first sync with a conflict (rename aside, upload the copy, download), then more changes.
    const sweep = await sweepCrashes(env, 12, 'busiest');
    expect(sweep.runs).toBeGreaterThan(20);
    expect(sweep.violations).toEqual([]);
  });
});

/** A pair of a local temp folder and a remote folder, synced by one fresh client + re-opened index per cycle. */
async function makePair() {
  const id = `reg-pair-${++n}`;
  const localRoot = path.join(env.tmp, id);
  fs.mkdirSync(localRoot);
  let clock = Date.UTC(2026, 0, 5);
  const now = () => (clock += 1000);
  const local = new LocalSide(localRoot, now);
  const remote = new RemoteSide(env, `alice/${id}`);
  await env.user.mkdir(remote.uri(''), { parents: true });
  const pair = parseConfigText(
    `pairs:\n  - name: ${id}\n    local: ${localRoot}\n    remote: ${remote.uri('')}\n`,
    `${id}.yaml`,
  ).pairs[0] as PairConfig;
  /** One sync cycle; `interfere` runs a change just before the first agent call with that label. */
  const cycle = async (interfere?: [string, () => Promise<void>]) => {
    const fate = new Fate(undefined, new Map(interfere ? [interfere] : []));
    const client = new SimClient(
      {
        registryUrl: env.registryUrl,
        cacheDir: path.join(env.tmp, 'cache'),
        credentials: { kind: 'token', token: SIM_TOKEN },
      },
      fate,
    );
    const index = SyncIndex.open(path.join(env.tmp, `${id}.sqlite`));
    const ctx: PairContext = {
      pair,
      remote: vospaceRemote(client, pair),
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
      await client.close();
    }
  };
  return { local, remote, cycle };
}

describe('fixes', () => {
  it('metadata reads whose body the network cuts short are retried, not thrown as socket errors', async () => {
    await env.user.mkdir('vos:alice/reg-cut/d', { parents: true });
    const client = env.client({ retry: { retries: 6, baseDelayMs: 0, maxDelayMs: 0, maxRetryAfterMs: 0 } });
    try {
      await client.getInfo('vos:alice/reg-cut'); // discovery before the faults
      env.srv.faults.configure(
        parseFaultSpec('rate=0.5,kinds=reset+truncate+stall,endpoints=nodes,methods=GET,seed=11,stallMs=20'),
      );
      for (let i = 0; i < 20; i++) {
        expect((await client.getInfo('vos:alice/reg-cut/d')).kind).toBe('container');
        expect(await client.list('vos:alice/reg-cut')).toHaveLength(1);
      }
      const s = env.srv.faults.stats.injected;
      expect(s.reset + s.truncate + s.stall).toBeGreaterThan(10);
    } finally {
      env.faultsOff();
      await client.close();
    }
  });

  it('a transfer negotiation whose answer is cut short is negotiated again', async () => {
    const client = env.client({ retry: { retries: 6, baseDelayMs: 0, maxDelayMs: 0, maxRetryAfterMs: 0 } });
    const file = path.join(env.tmp, 'reg-negotiate.txt');
    fs.writeFileSync(file, 'negotiated through broken answers');
    try {
      await client.mkdir('vos:alice/reg-negotiate', { parents: true });
      env.srv.faults.configure(
        parseFaultSpec('rate=0.5,kinds=reset+truncate,endpoints=transfers,methods=GET,seed=5'),
      );
      for (let i = 0; i < 8; i++) await client.upload(file, `vos:alice/reg-negotiate/f${i}`);
      const s = env.srv.faults.stats.injected;
      expect(s.reset + s.truncate).toBeGreaterThan(3);
    } finally {
      env.faultsOff();
      await client.close();
    }
    for (let i = 0; i < 8; i++) {
      expect((await env.user.getInfo(`vos:alice/reg-negotiate/f${i}`)).md5).toBe(
        md5('negotiated through broken answers'),
      );
    }
  });

  it('a failed negotiation or a delete whose answer is cut short fails with a typed error, not a socket error', async () => {
    // Seed 55: an upload below a remote file (the server refuses the transfer) under faults failed with a raw
    // ECONNRESET, which the engine takes for a permanent failure.
    const client = env.client({ retry: { retries: 2, baseDelayMs: 0, maxDelayMs: 0, maxRetryAfterMs: 0 } });
    const file = path.join(env.tmp, 'reg-typed.txt');
    fs.writeFileSync(file, 'x');
    const errors: unknown[] = [];
    try {
      await client.mkdir('vos:alice/reg-typed', { parents: true });
      await client.upload(file, 'vos:alice/reg-typed/blocker');
      for (let i = 0; i < 6; i++) await client.upload(file, `vos:alice/reg-typed/gone${i}`);
      env.srv.faults.configure(
        parseFaultSpec('rate=0.5,kinds=reset+truncate,endpoints=transfers+nodes,methods=GET+DELETE,seed=3'),
      );
      for (let i = 0; i < 6; i++) {
        await client.upload(file, 'vos:alice/reg-typed/blocker/child').catch((e: unknown) => errors.push(e));
        await client.delete(`vos:alice/reg-typed/gone${i}`).catch((e: unknown) => errors.push(e));
      }
      const s = env.srv.faults.stats.injected;
      expect(s.reset + s.truncate).toBeGreaterThan(5);
    } finally {
      env.faultsOff();
      await client.close();
    }
    expect(errors.length).toBeGreaterThanOrEqual(6); // every upload below a file fails
    for (const e of errors) expect(e).toBeInstanceOf(VosError);
  });

  it('client.upload refuses, and writes nothing, when the precondition rejects the node it finds', async () => {
    const file = path.join(env.tmp, 'reg-pre.txt');
    fs.writeFileSync(file, 'mine');
    const remote = new RemoteSide(env, 'alice/reg-pre');
    await remote.mkdir('');
    await remote.writeFile('x.txt', 'theirs');
    const err = await env.user
      .upload(file, remote.uri('x.txt'), { precondition: (now) => now === undefined })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VosError);
    expect((err as VosError).kind).toBe('conflict');
    expect((await remote.tree()).get('x.txt')?.md5).toBe(md5('theirs'));
  });

  it('an upload does not replace a remote file written between the check and the transfer', async () => {
    // Found by the story generator's mid-cycle changes: a remote file created after the executor checked the
    // path was free was overwritten by the upload, and its content lost.
    const p = await makePair();
    await p.local.writeFile('keep.txt', 'keep');
    await p.cycle();
    await p.local.writeFile('new.txt', 'local version');
    // The other machine creates the same path just before our transfer starts.
    const r = await p.cycle(['upload', () => p.remote.writeFile('new.txt', 'remote version')]);
    expect(r.report?.skipped.map((s) => s.path)).toContain('new.txt');
    expect((await p.remote.tree()).get('new.txt')?.md5).toBe(md5('remote version'));
    // The next cycle sees both versions: a conflict, both kept.
    await p.cycle();
    const all = [...(await p.local.tree()).values()].map((i) => i.md5);
    expect(all).toContain(md5('local version'));
    expect(all).toContain(md5('remote version'));
  });

  it('a local rename onto a name holding an empty remote placeholder is replayed, not skipped forever', async () => {
    // Seed 167: the planner ignores an empty checksum-less remote node where a local file is new, but the move
    // refused any existing destination, so every cycle planned the same move and skipped it.
    const p = await makePair();
    await p.local.writeFile('D', 'the content');
    await p.cycle();
    await p.local.move('D', 'e');
    await p.remote.writeFile('e', '');
    const placeholder = await env.user.getInfo(p.remote.uri('e'));
    expect([placeholder.size, placeholder.md5]).toEqual([0, undefined]);
    const r = await p.cycle();
    expect(r.plan?.actions.map((a) => a.type)).toEqual(['moveRemote']);
    expect(r.report?.done).toBe(1);
    expect((await p.remote.tree()).get('e')?.md5).toBe(md5('the content'));
    expect((await p.remote.tree()).has('D')).toBe(false);
    expect((await p.cycle()).plan?.actions).toEqual([]);
  });
});
