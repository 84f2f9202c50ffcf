/**
 * `vosync cp` killed with SIGKILL in the middle of a download, then run again: the second run continues the
 * `.part` file with a Range request instead of starting over, and ends with the exact bytes and no `.part`.
 * A real CLI process against a real embedded server (the server stalls the transfer half-way, so the kill
 * lands mid-body every time).
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseFaultSpec } from '../../src/server/faults.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { Client } from '../../src/vospace/client.js';
import { TEMP_PREFIX } from '../../src/vospace/transfer.js';

const CLI = path.resolve('dist/cli/main.js');
const SIZE = 8 * 1024 * 1024 + 7;
let srv: RunningServer;
let tmp: string;
let data: Buffer;
const requests: string[] = [];
let onRequest: ((line: string) => void) | undefined;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vosync-cli-resume-'));
  srv = await startServer({
    dataDir: path.join(tmp, 'server'),
    users: [{ name: 'alice', token: 'alicetoken1' }],
    admin: 'alice',
    log: (line) => {
      requests.push(line);
      onRequest?.(line);
    },
  });
  data = randomBytes(SIZE);
  const file = path.join(tmp, 'source.bin');
  fs.writeFileSync(file, data);
  const client = new Client({
    registryUrl: `${srv.baseUrl}/reg/resource-caps`,
    cacheDir: path.join(tmp, 'cache'),
    credentials: { kind: 'token', token: 'alicetoken1' },
  });
  try {
    await client.upload(file, 'vos:alice/big.bin');
  } finally {
    await client.close();
  }
});

afterAll(async () => {
  await srv.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function cp(dest: string) {
  const child = spawn(process.execPath, [CLI, 'cp', 'vos:alice/big.bin', dest], {
    env: {
      HOME: path.join(tmp, 'home'),
      PATH: process.env['PATH'],
      VOSYNC_REGISTRY: `${srv.baseUrl}/reg/resource-caps`,
      VOSYNC_TOKEN: 'alicetoken1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

it('a download killed half-way continues from its .part on the next run', async () => {
  const dest = path.join(tmp, 'got.bin');
  const md5 = createHash('md5').update(data).digest('hex');
  const part = path.join(tmp, `${TEMP_PREFIX}got.bin.${md5}.part`);
  // After the /files redirect, the storage GET sends half the body and then stalls.
  onRequest = (line) => {
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
  onRequest = undefined;
  expect(fs.statSync(part).size).toBe(Math.floor(SIZE / 2));
  expect(fs.existsSync(dest)).toBe(false);

  requests.length = 0;
  const second = cp(dest);
  expect(await second.exited).toBe(0);
  expect(fs.readFileSync(dest).equals(data)).toBe(true);
  expect(fs.existsSync(part)).toBe(false);
  // Only the second half travelled: one partial-content answer after the redirect.
  const byteGets = requests.filter((l) => /^GET \/vault\/(files|data)\//.test(l)).map((l) => l.split(' ')[2]);
  expect(byteGets).toEqual(['303', '206']);
});
