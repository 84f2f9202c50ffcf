/**
 * Downloads interrupted and resumed with `Range` (within one call after a cut body, and across calls from the
 * `.part` file an abandoned one left), a damaged `.part` caught by the MD5 and replaced, and the byte progress
 * callbacks of uploads and downloads — all over real HTTP against the embedded server, Vault and ARC.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseFaultSpec } from '../../src/server/faults.js';
import type { RunningServer } from '../../src/server/server.js';
import type { Client } from '../../src/vospace/client.js';
import { startAliceServer, type AliceServer } from '../support/alice-server.js';
import { TEMP_PREFIX } from '../../src/util/temp-files.js';
import { md5Hex } from '../../src/util/md5.js';

let server: AliceServer;
let srv: RunningServer;
let tmp: string;
const SIZE = 6 * 1024 * 1024 + 123;
let data: Buffer;
let source: string;

function makeClient(retries: number): Client {
  return server.client({ retry: { retries, baseDelayMs: 20, maxDelayMs: 50 } });
}

/** The `.part` file a download of `node` into `dest` writes (named after the MD5 it expects). */
const partFor = (dest: string) =>
  path.join(path.dirname(dest), `${TEMP_PREFIX}${path.basename(dest)}.${md5Hex(data)}.part`);

/** Status codes of the byte GETs the server answered since the last reset. */
const byteGets = () =>
  server.requests
    .filter((l) => /^GET \/(vault|arc)\/(files|data)\//.test(l))
    .map((l) => Number(l.split(' ')[2]));

let client: Client;

beforeAll(async () => {
  server = await startAliceServer('resume');
  srv = server.srv;
  tmp = server.tmp;
  client = makeClient(3);
  data = randomBytes(SIZE);
  source = path.join(tmp, 'source.bin');
  fs.writeFileSync(source, data);
  for (const root of ['vos:alice/r', 'arc:home/alice/r']) {
    await client.mkdir(root);
    await client.upload(source, `${root}/big.bin`);
  }
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  srv.faults.disable();
  server.onRequest = undefined;
  server.requests.length = 0;
});

describe('resumed downloads', () => {
  /** Cuts the body of the next storage GET after half of it (Vault: the GET that follows the /files 303). */
  function cutNextStorageGet(thenDisable: boolean): void {
    server.onRequest = (line) => {
      if (/^GET \/vault\/files\/.* 303 /.test(line))
        srv.faults.configure(parseFaultSpec('rate=1,kinds=truncate,endpoints=data,methods=GET'));
      else if (thenDisable && /^GET \/vault\/data\//.test(line)) srv.faults.disable();
    };
  }

  it('continue with Range after the body is cut mid-way, in the same call', async () => {
    const dest = path.join(tmp, 'cut.bin');
    cutNextStorageGet(true);
    const r = await client.download('vos:alice/r/big.bin', dest);
    expect(r.md5).toBe(md5Hex(data));
    expect(fs.readFileSync(dest).equals(data)).toBe(true);
    // The redirect, the full request cut half-way, then a partial-content answer for the rest.
    expect(byteGets()).toEqual([303, 200, 206]);
    expect(fs.existsSync(partFor(dest))).toBe(false);
  });

  it('continue from the .part an abandoned call left, in a later call', async () => {
    const dest = path.join(tmp, 'later.bin');
    const once = makeClient(0);
    try {
      cutNextStorageGet(false);
      await expect(once.download('vos:alice/r/big.bin', dest)).rejects.toThrow(/cut short|closed|transient/i);
    } finally {
      await once.close();
    }
    const kept = fs.statSync(partFor(dest)).size;
    // The server cut the connection after half the body; what reached the disk is at most that.
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(Math.floor(SIZE / 2));
    expect(fs.existsSync(dest)).toBe(false);
    srv.faults.disable();
    server.onRequest = undefined;
    server.requests.length = 0;
    const progress: number[] = [];
    const r = await client.download('vos:alice/r/big.bin', dest, { onProgress: (n) => progress.push(n) });
    expect(r.md5).toBe(md5Hex(data));
    expect(fs.readFileSync(dest).equals(data)).toBe(true);
    expect(byteGets()).toEqual([303, 206]);
    // Progress starts at what was already there and ends at the whole file.
    expect(progress[0]).toBe(kept);
    expect(progress[progress.length - 1]).toBe(SIZE);
  });

  it('a .part with wrong bytes fails the MD5 check and is replaced by a clean download', async () => {
    const dest = path.join(tmp, 'damaged.bin');
    const damaged = Buffer.from(data.subarray(0, 2_000_000));
    damaged[1000] = damaged[1000]! ^ 0xff;
    fs.writeFileSync(partFor(dest), damaged);
    const r = await client.download('vos:alice/r/big.bin', dest);
    expect(r.md5).toBe(md5Hex(data));
    expect(fs.readFileSync(dest).equals(data)).toBe(true);
    // The resumed attempt was thrown away after its MD5 mismatch; the next one fetched everything.
    expect(byteGets()).toEqual([303, 206, 200]);
  });

  it('a .part never leads to a corrupt file when retries run out', async () => {
    const dest = path.join(tmp, 'nope.bin');
    fs.writeFileSync(partFor(dest), Buffer.alloc(3_000_000, 7));
    const once = makeClient(0);
    try {
      // One attempt only: the resumed bytes do not add up to the MD5, so the call fails and writes nothing.
      await expect(once.download('vos:alice/r/big.bin', dest)).rejects.toThrow(/MD5/);
    } finally {
      await once.close();
    }
    expect(fs.existsSync(dest)).toBe(false);
    expect(fs.existsSync(partFor(dest))).toBe(false);
  });

  it('start over, correctly, where the service has no ranges (ARC, like Cavern)', async () => {
    const dest = path.join(tmp, 'arc.bin');
    fs.writeFileSync(partFor(dest), data.subarray(0, 1_000_000));
    const r = await client.download('arc:home/alice/r/big.bin', dest);
    expect(r.md5).toBe(md5Hex(data));
    expect(fs.readFileSync(dest).equals(data)).toBe(true);
    // ARC ignores Range: a full answer, written from the start over the old bytes.
    expect(byteGets()).toEqual([200]);
    expect(fs.existsSync(partFor(dest))).toBe(false);
  });
});

describe('byte progress', () => {
  for (const root of ['vos:alice/r', 'arc:home/alice/r']) {
    it(`reports uploads and downloads chunk by chunk, ending at the size (${root})`, async () => {
      const up: [number, number | undefined][] = [];
      const target = `${root}/progress.bin`;
      const r = await client.upload(source, target, { onProgress: (n, total) => up.push([n, total]) });
      expect(r.skipped).toBe(false);
      expect(up.length).toBeGreaterThan(10);
      for (let i = 1; i < up.length; i++) expect(up[i]![0]).toBeGreaterThanOrEqual(up[i - 1]![0]);
      expect(up.every(([n, total]) => total === SIZE && n <= SIZE)).toBe(true);
      expect(up[up.length - 1]![0]).toBe(SIZE);

      const down: number[] = [];
      const dest = path.join(tmp, `progress-${root.slice(0, 3)}.bin`);
      await client.download(target, dest, { onProgress: (n) => down.push(n) });
      expect(down.length).toBeGreaterThan(10);
      expect(down[down.length - 1]).toBe(SIZE);
      expect(down.every((n, i) => i === 0 || n >= down[i - 1]!)).toBe(true);
    });
  }

  it('reports a small file, and an identical file not sent again, once at its size', async () => {
    const small = path.join(tmp, 'small.txt');
    fs.writeFileSync(small, 'a few bytes');
    const calls: number[] = [];
    await client.upload(small, 'vos:alice/r/small.txt', { onProgress: (n) => calls.push(n) });
    expect(calls).toEqual([11]);
    calls.length = 0;
    const again = await client.upload(small, 'vos:alice/r/small.txt', { onProgress: (n) => calls.push(n) });
    expect(again.skipped).toBe(true);
    expect(calls).toEqual([11]);
  });
});
