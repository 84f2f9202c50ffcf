/**
 * `vosync cp` killed with SIGKILL in the middle of a big (segmented) upload, then run again: the second run
 * finds its transaction in the resume journal, asks the server how far it got, and sends only the rest — no
 * new transaction, not one byte of the acknowledged prefix again. A real CLI process against a real embedded
 * server, slowed down by injected latency so the kill lands mid-upload.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseFaultSpec } from '../../src/server/faults.js';
import { ALICE_TOKEN, startAliceServer, type AliceServer } from '../support/alice-server.js';
import { spawnCli } from '../support/cli-proc.js';
import { md5Hex } from '../../src/util/md5.js';

const SEGMENT = 256 * 1024;
const SEGMENTS = 32;
const SIZE = SEGMENTS * SEGMENT;
const OVERHEAD = 64 * 1024;
let server: AliceServer;
let data: Buffer;
let source: string;
let home: string;

beforeAll(async () => {
  server = await startAliceServer('cli-upload-resume');
  data = randomBytes(SIZE);
  source = path.join(server.tmp, 'cube.fits');
  fs.writeFileSync(source, data);
  home = path.join(server.tmp, 'home');
});

afterAll(async () => {
  await server.close();
});

function cp() {
  return spawnCli(['cp', source, 'vos:alice/cube.fits'], {
    HOME: home,
    PATH: process.env['PATH'],
    VOSYNC_REGISTRY: server.registryUrl,
    VOSYNC_TOKEN: ALICE_TOKEN,
    VOSYNC_SEGMENT_THRESHOLD: '1M',
    VOSYNC_SEGMENT_SIZE: '256K',
  });
}

/** Bytes the server has acknowledged in its (only) open transaction. */
function acknowledged(): number {
  const row = server.srv.store.db.prepare('SELECT length FROM put_txns').get() as
    { length: number } | undefined;
  return row?.length ?? 0;
}

it('an upload killed half-way goes on from the server state on the next run', async () => {
  // Every data request waits 60 ms: 32 segments take a couple of seconds, time enough to kill mid-way.
  server.srv.faults.configure(parseFaultSpec('rate=0,latencyMs=60,endpoints=data'));
  const first = cp();
  const deadline = Date.now() + 60_000;
  while (acknowledged() < 8 * SEGMENT) {
    if (first.child.exitCode !== null) throw new Error(`cp ended early: ${first.output()}`);
    if (Date.now() > deadline) throw new Error(`no progress: ${first.output()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  first.child.kill('SIGKILL');
  await first.exited;
  server.srv.faults.disable();
  const journal = path.join(home, '.cache', 'vosync', 'uploads');
  expect(fs.readdirSync(journal)).toHaveLength(1);
  // Settle: the segment in flight at the kill is either rolled back or completed by now.
  await new Promise((r) => setTimeout(r, 200));
  const held = acknowledged();
  expect(held).toBeGreaterThanOrEqual(8 * SEGMENT);
  expect(held).toBeLessThan(SIZE);

  server.requests.length = 0;
  const before = server.srv.bytesReceived();
  const second = cp();
  expect(await second.exited, second.output()).toBe(0);
  const sent = server.srv.bytesReceived() - before;
  // Only the rest travelled: no new transaction, one PUT per missing segment and the commit.
  expect(sent).toBeLessThan(SIZE - held + OVERHEAD);
  const puts = server.requests.filter((l) => l.startsWith('PUT /vault/data/'));
  expect(puts).toHaveLength((SIZE - held) / SEGMENT + 1);
  const info = await server.client().getInfo('vos:alice/cube.fits');
  expect(info.md5).toBe(md5Hex(data));
  expect(info.size).toBe(SIZE);
  expect(fs.readdirSync(journal)).toEqual([]);
  expect(acknowledged()).toBe(0);
});
