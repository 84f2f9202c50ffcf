/**
 * `vosync cp` killed with SIGKILL in the middle of a download, then run again: the second run continues the
 * `.part` file with a Range request instead of starting over, and ends with the exact bytes and no `.part`.
 * A real CLI process against a real embedded server (the server stalls the transfer half-way, so the kill
 * lands mid-body every time).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseFaultSpec } from '../../src/server/faults.js';
import type { RunningServer } from '../../src/server/server.js';
import { ALICE_TOKEN, startAliceServer, type AliceServer } from '../support/alice-server.js';
import { TEMP_PREFIX } from '../../src/util/temp-files.js';
import { spawnCli } from '../support/cli-proc.js';
import { md5Hex } from '../../src/util/md5.js';

const SIZE = 8 * 1024 * 1024 + 7;
let server: AliceServer;
let srv: RunningServer;
let tmp: string;
let data: Buffer;

beforeAll(async () => {
  server = await startAliceServer('cli-resume');
  srv = server.srv;
  tmp = server.tmp;
  data = randomBytes(SIZE);
  const file = path.join(tmp, 'source.bin');
  fs.writeFileSync(file, data);
  await server.client().upload(file, 'vos:alice/big.bin');
});

afterAll(async () => {
  await server.close();
});

function cp(dest: string) {
  return spawnCli(['cp', 'vos:alice/big.bin', dest], {
    HOME: path.join(tmp, 'home'),
    PATH: process.env['PATH'],
    VOSYNC_REGISTRY: server.registryUrl,
    VOSYNC_TOKEN: ALICE_TOKEN,
  });
}

it('a download killed half-way continues from its .part on the next run', async () => {
  const dest = path.join(tmp, 'got.bin');
  const md5 = md5Hex(data);
  const part = path.join(tmp, `${TEMP_PREFIX}got.bin.${md5}.part`);
  // After the /files redirect, the storage GET sends half the body and then stalls.
  server.onRequest = (line) => {
    if (/^GET \/vault\/files\/.* 303 /.test(line))
      srv.faults.configure(parseFaultSpec('rate=1,kinds=stall,endpoints=data,methods=GET,stallMs=60000'));
  };
  const first = cp(dest);
  const deadline = Date.now() + 30_000;
  while ((fs.existsSync(part) ? fs.statSync(part).size : 0) < Math.floor(SIZE / 2)) {
    if (first.child.exitCode !== null) throw new Error(`cp ended early: ${first.output()}`);
    if (Date.now() > deadline) throw new Error(`no half-written .part: ${first.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  first.child.kill('SIGKILL');
  await first.exited;
  srv.faults.disable();
  server.onRequest = undefined;
  expect(fs.statSync(part).size).toBe(Math.floor(SIZE / 2));
  expect(fs.existsSync(dest)).toBe(false);

  server.requests.length = 0;
  const second = cp(dest);
  expect(await second.exited).toBe(0);
  expect(fs.readFileSync(dest).equals(data)).toBe(true);
  expect(fs.existsSync(part)).toBe(false);
  // Only the second half travelled: one partial-content answer after the redirect.
  const byteGets = server.requests
    .filter((l) => /^GET \/vault\/(files|data)\//.test(l))
    .map((l) => l.split(' ')[2]);
  expect(byteGets).toEqual(['303', '206']);
});
