/**
 * Listings longer than the server's page of store reads are streamed (chunked, read page by page): the client
 * still gets every child once, in the service's order, and Vault's `limit`/`uri` paging still holds across pages.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Client } from '../../src/vospace/client.js';
import { ALICE_TOKEN, startAliceServer, type AliceServer } from '../support/alice-server.js';

let server: AliceServer;
let client: Client;
/** More than the server's store page (1,000). */
const N = 1_100;

beforeAll(async () => {
  server = await startAliceServer('biglist');
  client = server.client();
  const name = (i: number) => `d${String(i).padStart(5, '0')}`;
  await client.mkdir('arc:home/alice/big');
  // Created in reverse name order, so ARC's storage order and name order differ.
  for (let i = N - 1; i >= 0; i--) await client.mkdir(`arc:home/alice/big/${name(i)}`);
  await client.mkdir('vos:alice/big');
  for (let i = 0; i < N; i += 20) {
    await Promise.all(
      Array.from({ length: Math.min(20, N - i) }, (_, k) => client.mkdir(`vos:alice/big/${name(i + k)}`)),
    );
  }
}, 120_000);

afterAll(async () => {
  await server.close();
});

const raw = (p: string) =>
  fetch(`${server.srv.baseUrl}${p}`, { headers: { authorization: `Bearer ${ALICE_TOKEN}` } });
// Children only: the container's own element carries the namespace declarations before its uri.
const childUris = (xml: string) => [...xml.matchAll(/<vos:node uri="([^"]+)"/g)].map((m) => m[1]!);

it('ARC streams every child once, in storage order, ignoring limit', async () => {
  const res = await raw('/arc/nodes/home/alice/big?limit=10');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-length')).toBeNull();
  const uris = childUris(await res.text());
  expect(uris.length).toBe(N);
  expect(uris[0]).toMatch(/\/d01099$/);
  expect(uris[N - 1]).toMatch(/\/d00000$/);
  expect(new Set(uris).size).toBe(N);
  const listed = await client.list('arc:home/alice/big');
  expect(listed.length).toBe(N);
});

it('Vault streams a long page in name order and pages with limit and uri across store pages', async () => {
  const all = childUris(await (await raw('/vault/nodes/alice/big')).text());
  expect(all.length).toBe(N);
  expect(all).toEqual([...all].sort());
  const start = all[50]!;
  const page = childUris(
    await (await raw(`/vault/nodes/alice/big?limit=1040&uri=${encodeURIComponent(start)}`)).text(),
  );
  expect(page).toEqual(all.slice(50, 1090));
  const listed = await client.list('vos:alice/big');
  expect(listed.map((c) => c.name)).toEqual(all.map((u) => u.slice(u.lastIndexOf('/') + 1)));
});
