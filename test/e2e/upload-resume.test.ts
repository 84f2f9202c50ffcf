/**
 * The daemon killed with SIGKILL in the middle of a big (segmented) upload, then started again: its next cycle
 * uploads the same file, finds the transaction in the resume journal and sends only what the server does not
 * hold. Real daemon and server processes; the server is slowed down by injected latency so the kill lands
 * mid-upload.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDaemonProc, startWorld, waitSynced, writeConfig, type E2eWorld } from './harness.js';
import { md5Hex } from '../../src/util/md5.js';

const SEGMENT = 256 * 1024;
const SIZE = 32 * SEGMENT;
const OVERHEAD = 256 * 1024;
let world: E2eWorld;

beforeAll(async () => {
  world = await startWorld('vosync-e2e-upload-resume-');
});

afterAll(async () => {
  await world?.close();
});

async function control(what: string, body?: string): Promise<{ bytesReceived: number }> {
  const res = await fetch(`${world.server.baseUrl}/_vosync/${what}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: 'Bearer alicetoken1' },
    ...(body === undefined ? {} : { body }),
  });
  if (res.status !== 200) throw new Error(`${what}: ${res.status}`);
  return (await res.json()) as { bytesReceived: number };
}

const received = async () => (await control('stats')).bytesReceived;

it('a daemon killed mid-upload resumes the upload after its restart', async () => {
  const dir = path.join(world.tmp, 'daemon');
  const local = path.join(dir, 'folder');
  fs.mkdirSync(local, { recursive: true });
  const data = randomBytes(SIZE);
  fs.writeFileSync(path.join(local, 'cube.fits'), data);
  const cfg = writeConfig(dir, world.server.baseUrl, [{ name: 'big', local, remote: 'vos:alice/e2e-big' }]);
  const env = {
    HOME: path.join(dir, 'home'),
    XDG_CACHE_HOME: path.join(dir, 'home', '.cache'),
    VOSYNC_SEGMENT_THRESHOLD: '1M',
    VOSYNC_SEGMENT_SIZE: '256K',
  };
  await control('faults', 'rate=0,latencyMs=60,endpoints=data');
  const start = await received();
  let d = await startDaemonProc(cfg, dir, env);
  const deadline = Date.now() + 60_000;
  while ((await received()) - start < SIZE / 2) {
    if (Date.now() > deadline) throw new Error(`no upload progress:\n${d.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  expect(await d.kill('SIGKILL')).toBeNull();
  await control('faults', 'off');
  const journal = path.join(dir, 'home', '.cache', 'vosync', 'uploads');
  expect(fs.readdirSync(journal)).toHaveLength(1);
  const firstRun = (await received()) - start;
  expect(firstRun).toBeLessThan(SIZE);

  const before = await received();
  d = await startDaemonProc(cfg, dir, env);
  await waitSynced(d, 'big', 60_000);
  await d.kill('SIGTERM');
  const secondRun = (await received()) - before;
  // The second run sent the rest (plus at most the segment cut by the kill), not the whole file again.
  expect(secondRun).toBeLessThan(SIZE - firstRun + SEGMENT + OVERHEAD);
  const info = await world.client.getInfo('vos:alice/e2e-big/cube.fits');
  expect(info.md5).toBe(md5Hex(data));
  expect(fs.readdirSync(journal)).toEqual([]);
});
