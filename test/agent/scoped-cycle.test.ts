/**
 * Cycles scoped to the paths a watcher reported (pair-sync with `changedPaths`), against the real server: they
 * observe, plan and record only those paths, keep the whole pair's safety rules, and plan what a cycle over the
 * whole pair would plan for the same changes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncPair, syncUntilStable, type PairContext } from '../../src/agent/engine/pair-sync.js';
import { isPlanEmpty, type Plan } from '../../src/agent/reconcile/index.js';
import { journalUpload } from '../../src/agent/store/transfer-journal.js';
import type { Client } from '../../src/vospace/client.js';
import { startAliceServer, type AliceServer } from '../support/alice-server.js';
import { openPair, type PairFixture } from '../support/pair-fixture.js';
import { Rng } from '../sim/rng.js';

let server: AliceServer;
let client: Client;
let n = 0;

beforeAll(async () => {
  server = await startAliceServer('scoped');
  client = server.client();
});
afterAll(async () => {
  await server.close();
});

function makePair(): PairFixture {
  n++;
  return openPair({
    name: `s${n}`,
    local: path.join(server.tmp, `local${n}`),
    remote: `vos:alice/scoped${n}`,
    indexFile: path.join(server.tmp, `index${n}.sqlite`),
    client,
    clockStart: Date.UTC(2026, 11, 5, 12, 0, 0),
    host: 'testhost',
    concurrency: 4,
  });
}

async function converge(p: PairFixture): Promise<void> {
  await syncUntilStable(p.ctx);
  const again = await syncPair(p.ctx);
  expect(again.plan && isPlanEmpty(again.plan)).toBe(true);
}

/** A watcher-triggered cycle: the cached listing, and the changed paths. */
const scoped = (p: PairFixture, changed: string[], extra: Partial<PairContext> = {}) =>
  syncPair({ ...p.ctx, useCachedRemote: true, changedPaths: changed, ...extra });

const actions = (plan: Plan | undefined) =>
  (plan?.actions ?? []).map((a) => `${a.type} ${'path' in a ? a.path : `${a.from} → ${a.to}`}`).sort();

async function seeded(): Promise<PairFixture> {
  const p = makePair();
  for (const d of ['a', 'b', 'c/d']) for (let i = 0; i < 4; i++) p.write(`${d}/${i}.txt`, `${d} ${i}`);
  await converge(p);
  return p;
}

describe('a cycle scoped to the changed paths', () => {
  it('observes, plans and uploads only the reported path', async () => {
    const p = await seeded();
    p.write('a/1.txt', 'edited');
    // Changed too, but not reported: a scoped cycle must not even look at it.
    p.write('b/2.txt', 'unreported edit');
    const r = await scoped(p, ['a/1.txt']);
    expect(r.scope).toEqual(['a/1.txt']);
    expect(actions(r.plan)).toEqual(['upload a/1.txt']);
    expect(r.report?.failed).toEqual([]);
    const pairId = r.pairId;
    expect(p.index.getEntry(pairId, 'b/2.txt').local?.size).toBe('b 2'.length);
    // The full cycle (the hourly rescan) is the safety net for what a watcher missed.
    const full = await syncPair(p.ctx);
    expect(full.scope).toBeUndefined();
    expect(actions(full.plan)).toEqual(['upload b/2.txt']);
  });

  it('replays a move across folders when both ends are reported', async () => {
    const p = await seeded();
    fs.renameSync(path.join(p.local, 'a/0.txt'), path.join(p.local, 'b/moved.txt'));
    const r = await scoped(p, ['a/0.txt', 'b/moved.txt']);
    expect(actions(r.plan)).toEqual(['moveRemote a/0.txt → b/moved.txt']);
    expect(await client.isfile(`${p.remote}/b/moved.txt`)).toBe(true);
  });

  it('widens to a new folder and creates it on the server with its contents', async () => {
    const p = await seeded();
    p.write('new/deep/f.txt', 'fresh');
    const r = await scoped(p, ['new/deep/f.txt']);
    expect(r.scope).toEqual(['new']);
    expect(actions(r.plan)).toEqual(['mkdirRemote new', 'mkdirRemote new/deep', 'upload new/deep/f.txt']);
  });

  it('counts its deletions against the whole pair, not against the scope', async () => {
    const p = await seeded();
    fs.rmSync(path.join(p.local, 'c'), { recursive: true });
    // 6 of 17 synced entries: under the 50 % cap of the pair, though all of the scope.
    const r = await scoped(p, ['c'], {
      pair: { ...p.ctx.pair, deleteLimits: { maxShare: 0.5, maxCount: 100 } },
    });
    expect(r.paused).toBeUndefined();
    expect(actions(r.plan)).toEqual([
      'deleteRemote c',
      'deleteRemote c/d',
      ...[0, 1, 2, 3].map((i) => `deleteRemote c/d/${i}.txt`),
    ]);
  });

  it('still pauses when the scope is the whole pair and it emptied', async () => {
    const p = makePair();
    for (const f of ['x.txt', 'y.txt', 'z.txt']) p.write(f, f);
    await converge(p);
    for (const f of ['x.txt', 'y.txt', 'z.txt']) fs.rmSync(path.join(p.local, f));
    const r = await scoped(p, ['x.txt', 'y.txt', 'z.txt']);
    expect(r.paused).toMatch(/emptied/);
  });

  it('looks at the whole pair while a transfer of its own is unrecorded', async () => {
    const p = await seeded();
    const pairId = p.index.getPair(p.ctx.pair.name)!.id;
    const st = fs.statSync(path.join(p.local, 'b/1.txt'));
    journalUpload(p.index, pairId, 'b/1.txt', {
      md5: 'x'.repeat(32),
      size: st.size,
      mtimeMs: st.mtimeMs,
      ino: st.ino,
    });
    p.write('a/1.txt', 'edited');
    const r = await scoped(p, ['a/1.txt']);
    expect(r.scope).toBeUndefined();
    expect(actions(r.plan)).toEqual(['upload a/1.txt']);
  });

  it('on a disk that folds case, plans a changed name with the names it clashes with', async () => {
    const p = await seeded();
    const folding = { caseInsensitiveLocal: true };
    await client.upload(path.join(p.local, 'a/2.txt'), `${p.remote}/a/READ.txt`);
    p.write('a/read.txt', 'mine');
    // A poll lists the remote name; the two spellings clash on this disk, and the one on it keeps the name.
    const polled = await syncPair({ ...p.ctx, ...folding });
    expect(polled.plan?.notices.map((x) => `${x.kind} ${x.path}`)).toEqual(['case-clash a/READ.txt']);
    p.write('a/read.txt', 'mine, edited');
    const r = await scoped(p, ['a/read.txt'], folding);
    expect(r.scope).toEqual(['a/READ.txt', 'a/read.txt']);
    expect(actions(r.plan)).toEqual(['upload a/read.txt']);
    expect(r.plan?.notices.map((x) => `${x.kind} ${x.path}`)).toEqual(['case-clash a/READ.txt']);
  });

  it('plans what a cycle over the whole pair plans, after random changes', async () => {
    const p = await seeded();
    const rng = new Rng(20261205);
    const dirs = ['a', 'b', 'c', 'c/d', 'e'];
    for (let round = 0; round < 12; round++) {
      const changed = new Set<string>();
      for (let k = rng.int(1, 4); k > 0; k--) {
        const files = listFiles(p.local);
        const op = rng.int(0, 3);
        if (op === 0 || files.length === 0) {
          const f = `${rng.pick(dirs)}/n${round}-${k}.txt`;
          p.write(f, `new ${round} ${k}`);
          changed.add(f);
        } else if (op === 1) {
          const f = rng.pick(files);
          p.write(f, `edit ${round} ${k}`);
          changed.add(f);
        } else if (op === 2) {
          const f = rng.pick(files);
          fs.rmSync(path.join(p.local, f));
          changed.add(f);
        } else {
          const f = rng.pick(files);
          const to = `${rng.pick(dirs)}/m${round}-${k}.txt`;
          fs.mkdirSync(path.dirname(path.join(p.local, to)), { recursive: true });
          fs.renameSync(path.join(p.local, f), path.join(p.local, to));
          changed.add(f).add(to);
        }
      }
      const asScoped = await scoped(p, [...changed], { dryRun: true, overrideDeleteLimits: true });
      const asWhole = await syncPair({
        ...p.ctx,
        useCachedRemote: true,
        dryRun: true,
        overrideDeleteLimits: true,
      });
      expect(asScoped.scope).toBeDefined();
      expect(actions(asScoped.plan), `round ${round}: ${[...changed].join(' ')}`).toEqual(
        actions(asWhole.plan),
      );
      const ran = await scoped(p, [...changed], { overrideDeleteLimits: true });
      expect(ran.report?.failed).toEqual([]);
    }
    await converge(p);
  });
});

function listFiles(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const d of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
    const q = rel === '' ? d.name : `${rel}/${d.name}`;
    if (d.name.startsWith('.')) continue;
    if (d.isDirectory()) out.push(...listFiles(root, q));
    else out.push(q);
  }
  return out.sort();
}
