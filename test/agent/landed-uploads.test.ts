/** Landed uploads dated by one listing of their folder: the batch rule, the listing, and the reads it falls back on. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pairConfig } from '../support/pair-fixture.js';
import type { ActionEvent } from '../../src/agent/engine/executor.js';
import { LandedUploads, listingBatch } from '../../src/agent/engine/landed-uploads.js';
import { syncPair } from '../../src/agent/engine/pair-sync.js';
import { SyncIndex } from '../../src/agent/store/index-db.js';
import type { RemoteNode } from '../../src/agent/remote/port.js';
import { VosError } from '../../src/util/errors.js';
import { MemoryRemote, MemoryStore, type RequestGate } from '../support/memory-remote.js';

/** A remote on a fresh store whose requests are logged (`list d`, `getInfo d/f`), some of them refused. */
function world(refuse: (request: string) => boolean = () => false) {
  const store = new MemoryStore();
  store.mkdirs('root/d');
  const log: string[] = [];
  const gate: RequestGate = (request, rel, effect) =>
    Promise.resolve().then(() => {
      log.push(`${request} ${rel}`);
      if (refuse(request)) throw new VosError('transient', `${request} ${rel}: connection reset`);
      return effect();
    });
  return { store, log, remote: new MemoryRemote(store, 'root', { gate }) };
}

/** Adds landed uploads for paths; each one's node (or error) lands in `got`. */
function land(landed: LandedUploads, paths: string[]) {
  const got = new Map<string, RemoteNode | string>();
  const full = paths.map((path) =>
    landed.add({
      path,
      record: async (node) => {
        got.set(path, await node().catch((e: Error) => e.message));
      },
    }),
  );
  return { got, full };
}

describe('landed uploads', () => {
  it('waits for a quarter of the folder as last listed, within 64 and 1024', () => {
    expect([0, 100, 400, 1000, 10_000].map(listingBatch)).toEqual([64, 64, 100, 250, 1024]);
  });

  it('dates every upload of a folder from one listing', async () => {
    const w = world();
    for (const f of ['a', 'b', 'c']) w.store.write(`root/d/${f}`, Buffer.from(f));
    const landed = new LandedUploads(w.remote);
    const { got } = land(landed, ['d/a', 'd/b', 'd/c']);
    await landed.flushAll();
    // Nothing waits any more: another flush sends nothing.
    await landed.flushAll();
    expect(w.log).toEqual(['list d']);
    for (const f of ['a', 'b', 'c']) {
      const { md5, dateMs } = w.store.get(`root/d/${f}`)!;
      expect(got.get(`d/${f}`)).toMatchObject({ kind: 'file', size: 1, md5, dateMs });
    }
  });

  it('reads a lone upload’s node instead of listing its whole folder', async () => {
    const w = world();
    for (const f of ['a', 'b', 'c']) w.store.write(`root/d/${f}`, Buffer.from(f));
    const landed = new LandedUploads(w.remote);
    const { got } = land(landed, ['d/b']);
    await landed.flushAll();
    expect(w.log).toEqual(['getInfo d/b']);
    expect(got.get('d/b')).toMatchObject({ kind: 'file', size: 1, md5: w.store.get('root/d/b')!.md5 });
  });

  it('reads each node when the listing fails, and says which upload is gone', async () => {
    const w = world((request) => request === 'list');
    w.store.write('root/d/a', Buffer.from('a'));
    const landed = new LandedUploads(w.remote);
    const { got } = land(landed, ['d/a', 'd/gone']);
    await landed.flushAll();
    expect(w.log).toEqual(['list d', 'getInfo d/a', 'getInfo d/gone']);
    expect(got.get('d/a')).toMatchObject({ kind: 'file', size: 1 });
    expect(got.get('d/gone')).toMatch(/gone from the server right after it was written/);
  });

  it('asks for a listing once enough uploads of one folder wait', () => {
    const landed = new LandedUploads(world().remote);
    const paths = Array.from({ length: 64 }, (_, i) => `d/f${i}`);
    const { full } = land(landed, [...paths, 'top']);
    expect(full.slice(0, 63).every((f) => f === undefined)).toBe(true);
    expect(full[63]).toBe('d');
    expect(full[64]).toBeUndefined();
    // Asked for once: more uploads landing before the listing takes them do not ask again.
    expect(land(landed, ['d/g']).full).toEqual([undefined]);
  });

  it('records a cycle of 100 uploads into one folder: each with the date the server gave it', async () => {
    const w = world();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vosync-landed-'));
    try {
      const local = path.join(tmp, 'local');
      fs.mkdirSync(path.join(local, 'e'), { recursive: true });
      for (let i = 0; i < 100; i++) fs.writeFileSync(path.join(local, 'e', `f${i}`), `file ${i}`);
      const pair = pairConfig('p', local, 'vos:root');
      const index = SyncIndex.open(path.join(tmp, 'index.sqlite'));
      let clock = Date.UTC(2026, 0, 5);
      const ctx = {
        pair,
        remote: w.remote,
        index,
        now: () => (clock += 1000),
        host: 'h',
        concurrency: 4,
        caseInsensitiveLocal: false,
      };
      const done: ActionEvent[] = [];
      const r = await syncPair({ ...ctx, onAction: (e) => done.push(e) });
      expect(r.report?.failed).toEqual([]);
      expect(done.filter((e) => e.action.type === 'upload' && e.result === 'done')).toHaveLength(100);
      // Listed once 64 uploads waited, and once for the rest at the end; each node read once, before its bytes.
      expect(w.log.filter((l) => l === 'list e')).toHaveLength(2);
      expect(w.log.filter((l) => l.startsWith('getInfo e/'))).toHaveLength(100);
      const base = index.loadBaseTree(r.pairId);
      for (let i = 0; i < 100; i++) {
        expect(base.get(`e/f${i}`)).toMatchObject({
          remoteDateMs: w.store.get(`root/e/f${i}`)!.dateMs,
          uploaded: true,
        });
      }
      expect((await syncPair(ctx)).plan?.actions).toEqual([]);
      index.close();
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
