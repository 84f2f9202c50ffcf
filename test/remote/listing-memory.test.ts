/**
 * A pair's remote tree is kept for a whole cycle (and the listing cache between cycles): what the adapter yields
 * must not hold the listing's text alive. Real HTTP to the embedded server, measured on the heap after a full GC.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vospaceRemote } from '../../src/agent/remote/vospace/connect.js';
import type { RemoteChild } from '../../src/agent/remote/port.js';
import { startAliceServer, type AliceServer } from '../support/alice-server.js';

const CHILDREN = 20_000;

describe('a remote listing kept in memory', () => {
  let s: AliceServer;
  beforeAll(async () => {
    s = await startAliceServer('listing-memory');
    await s.client().mkdir('vos:alice/big', { parents: true });
    const store = s.srv.store;
    const now = Date.now();
    store.transaction(() => {
      for (let i = 0; i < CHILDREN; i++)
        store.insert({
          service: 'vault',
          path: `alice/big/observation-${i}.fits`,
          name: `observation-${i}.fits`,
          type: 'DataNode',
          owner: 'alice',
          props: {},
          length: 4096,
          md5: i.toString(16).padStart(32, '0'),
          date: now,
          contentDate: null,
          blob: null,
          target: null,
        });
    });
  });
  afterAll(() => s.close());

  it('costs its entries, not the pages of XML they were read from', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const remote = vospaceRemote(s.client(), { remote: 'vos:alice/big', nameEncoding: true });
    const pages = s.requests.length;
    gc();
    const before = process.memoryUsage().heapUsed;
    const kept: RemoteChild[] = [];
    for await (const c of remote.list('')) kept.push(c);
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(kept).toHaveLength(CHILDREN);
    expect(kept[1]).toMatchObject({ name: 'observation-1.fits', md5: '0'.repeat(31) + '1' });
    expect(s.requests.length - pages).toBeGreaterThan(5);
    // ~470 B a child here; the pages' text held by the kept names and MD5s would add ~780 B more.
    expect(grown / CHILDREN).toBeLessThan(700);
  });
});
