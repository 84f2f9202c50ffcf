/**
 * HTTP requests the sync engine sends per transferred file, counted in the embedded server's request log: an
 * upload is one read of its node (the precondition), one negotiation and one PUT, its date then comes from one
 * listing of its folder; a download is the /files redirect and one GET. The counts are held here so that they
 * cannot quietly go back up (bench/small-files.ts reports the same figure on a bigger sample).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { pairConfig } from '../support/pair-fixture.js';
import { syncPair, type CycleResult } from '../../src/agent/engine/pair-sync.js';
import { vospaceRemote } from '../../src/agent/remote/vospace/connect.js';
import { SyncIndex } from '../../src/agent/store/index-db.js';
import type { Client } from '../../src/vospace/client.js';
import { startAliceServer, type AliceServer } from '../support/alice-server.js';

let server: AliceServer;
let client: Client;

beforeAll(async () => {
  server = await startAliceServer('requests');
  client = server.client();
});

afterAll(async () => {
  await server.close();
});

const FILES = 40;
const FOLDERS = ['a', 'b'];

/** One cycle of a fresh pair; returns its result and the request lines the server logged meanwhile. */
async function cycle(
  name: string,
  local: string,
  remote: string,
): Promise<{ r: CycleResult; lines: string[] }> {
  const pair = pairConfig(name, local, remote, { mode: 'two-way' });
  const index = SyncIndex.open(path.join(server.tmp, `${name}.sqlite`));
  const from = server.requests.length;
  try {
    const r = await syncPair({
      pair,
      remote: vospaceRemote(client, pair),
      index,
      now: Date.now,
      host: 'testhost',
      concurrency: 4,
      caseInsensitiveLocal: false,
    });
    return { r, lines: server.requests.slice(from).map((l) => l.replace(/ \d+ \d+ms$/, '')) };
  } finally {
    index.close();
  }
}

/** Requests per file of a cycle, less those of the same cycle over an empty folder (root checks, listing). */
async function perFile(name: string, local: string, remote: string, emptyRemote: string) {
  const empty = fs.mkdirSync(path.join(server.tmp, `${name}-empty`), { recursive: true })!;
  const fixed = (await cycle(`${name}-empty`, empty, emptyRemote)).lines.length;
  const { r, lines } = await cycle(name, local, remote);
  expect(r.report?.failed).toEqual([]);
  return { perFile: (lines.length - fixed) / FILES, lines };
}

it('sends three requests per uploaded file and one listing per folder; two per downloaded file', async () => {
  const src = path.join(server.tmp, 'src');
  for (let i = 0; i < FILES; i++) {
    const folder = FOLDERS[i % FOLDERS.length]!;
    fs.mkdirSync(path.join(src, folder), { recursive: true });
    fs.writeFileSync(path.join(src, folder, `f${i}.txt`), `file ${i} `.repeat(50));
  }
  for (const r of ['up', 'up-empty']) await client.mkdir(`vos:alice/${r}`);

  const up = await perFile('up', src, 'vos:alice/up', 'vos:alice/up-empty');
  // Each file: its node read once (before the bytes: the precondition), one negotiation, one PUT.
  const requestsFor = (rel: string) =>
    up.lines.flatMap((line) => {
      const l = decodeURIComponent(line);
      if (l === `GET /vault/nodes${rel}?limit=0`) return ['read'];
      if (l.includes(`~vault${rel}&DIRECTION=pushToVoSpace`)) return ['negotiate'];
      if (l === `PUT /vault/data/<token>${rel}`) return ['put'];
      return l.includes(`${rel}?`) || l.endsWith(rel) ? [l] : [];
    });
  for (let i = 0; i < FILES; i++) {
    const rel = `/alice/up/${FOLDERS[i % FOLDERS.length]}/f${i}.txt`;
    expect(requestsFor(rel)).toEqual(['read', 'negotiate', 'put']);
  }
  // The uploads' dates: one listing per folder, not one read per file.
  for (const folder of FOLDERS)
    expect(
      up.lines.filter((l) => l.startsWith(`GET /vault/nodes/alice/up/${folder}?limit=2000`)),
    ).toHaveLength(1);
  // Three per file, plus each folder's listing and its making (read, create, read back), over 20 files each.
  expect(up.perFile).toBeLessThanOrEqual(3 + (FOLDERS.length * 4) / FILES);

  const down = await perFile(
    'down',
    fs.mkdirSync(path.join(server.tmp, 'down'), { recursive: true })!,
    'vos:alice/up',
    'vos:alice/up-empty',
  );
  // Two per file (the /files redirect, the bytes), plus each folder's listing by the remote scan.
  expect(down.perFile).toBeLessThanOrEqual(2 + FOLDERS.length / FILES);
});
