import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseFaultSpec } from '../../src/server/faults.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { Client } from '../../src/vospace/client.js';
import { putFile } from '../../src/vospace/transfer.js';
import { md5Hex } from '../../src/util/md5.js';

/** The per-file request paths of bulk transfers: quick negotiation, and no re-read of what the caller knows. */

let srv: RunningServer;
let tmp: string;
let client: Client;
const requests: string[] = [];

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vosync-fast-'));
  srv = await startServer({
    dataDir: path.join(tmp, 'server'),
    users: [{ name: 'alice', token: 'alicetoken1' }],
    admin: 'alice',
    log: (line) => requests.push(line),
  });
  client = new Client({
    registryUrl: `${srv.baseUrl}/reg/resource-caps`,
    cacheDir: path.join(tmp, 'cache'),
    credentials: { kind: 'token', token: 'alicetoken1' },
    retry: { retries: 0 },
  });
  await client.mkdir('vos:alice/fast');
  await client.mkdir('arc:home/alice/fast');
});

afterAll(async () => {
  await client.close();
  await srv.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

beforeEach(() => {
  srv.faults.disable();
  requests.length = 0;
});

/** "METHOD /path" of each logged request, tokens of pre-authorised URLs cut. */
const seen = () => requests.map((l) => l.split(' ').slice(0, 2).join(' ').replace(/\?.*$/, '?…'));

function localFile(name: string, bytes: number): { file: string; data: Buffer } {
  const data = randomBytes(bytes);
  const file = path.join(tmp, name);
  fs.writeFileSync(file, data);
  return { file, data };
}

async function remoteBytes(target: string): Promise<Buffer> {
  const out = path.join(tmp, `check-${Math.random()}`);
  await client.download(target, out);
  return fs.readFileSync(out);
}

describe('uploads', () => {
  it('negotiate in one round trip on Vault: read, quick negotiation, PUT', async () => {
    const { file, data } = localFile('a.bin', 4096);
    const r = await client.upload(file, 'vos:alice/fast/a.bin');
    expect(r).toMatchObject({ md5: md5Hex(data), size: 4096, skipped: false });
    expect(seen()).toEqual([
      'GET /vault/nodes/alice/fast/a.bin?…',
      'GET /vault/synctrans?…',
      expect.stringMatching(/^PUT \/vault\/data\//),
    ]);
    expect(await remoteBytes('vos:alice/fast/a.bin')).toEqual(data);
  });

  it('skip the read when the caller says what the node is', async () => {
    const { file, data } = localFile('b.bin', 1000);
    await client.upload(file, 'vos:alice/fast/b.bin', { current: null });
    expect(seen()).toEqual(['GET /vault/synctrans?…', expect.stringMatching(/^PUT \/vault\/data\//)]);
    expect(await remoteBytes('vos:alice/fast/b.bin')).toEqual(data);
  });

  it('judge the precondition on the state the caller gave', async () => {
    const { file } = localFile('c.bin', 10);
    await client.upload(file, 'vos:alice/fast/c.bin');
    const current = await client.getInfo('vos:alice/fast/c.bin');
    requests.length = 0;
    await expect(
      client.upload(file, 'vos:alice/fast/c.bin', { current, precondition: (n) => n === undefined }),
    ).rejects.toMatchObject({ kind: 'conflict' });
    expect(seen()).toEqual([]);
  });

  it('send files above the buffering size as a stream, verified the same way', async () => {
    const { file, data } = localFile('big.bin', 1024 * 1024 + 17);
    const r = await client.upload(file, 'arc:home/alice/fast/big.bin');
    expect(r.md5).toBe(md5Hex(data));
    // Compared by digest: a deep equality over a megabyte of bytes takes seconds.
    expect(md5Hex(await remoteBytes('arc:home/alice/fast/big.bin'))).toBe(md5Hex(data));
  });

  it('stream a large file unhashed when its MD5 is given, the server checking it', async () => {
    const { file, data } = localFile('known.bin', 1024 * 1024 + 5);
    const r = await client.upload(file, 'vos:alice/fast/known.bin', { md5: md5Hex(data), current: null });
    expect(r.md5).toBe(md5Hex(data));
    expect(md5Hex(await remoteBytes('vos:alice/fast/known.bin'))).toBe(md5Hex(data));
    // A stale MD5 (the file changed after it was hashed) is refused by the server, not stored.
    await expect(
      client.upload(file, 'vos:alice/fast/known2.bin', { md5: 'f'.repeat(32), current: null }),
    ).rejects.toThrow(/412|checksum/i);
    expect(await client.exists('vos:alice/fast/known2.bin')).toBe(false);
  });

  it('work on ARC too', async () => {
    const { file, data } = localFile('d.bin', 300);
    await client.upload(file, 'arc:home/alice/fast/d.bin', { current: null });
    expect(seen()[0]).toBe('GET /arc/synctrans?…');
    expect(seen()).toHaveLength(2);
    expect(await remoteBytes('arc:home/alice/fast/d.bin')).toEqual(data);
  });

  it('send a small file with the MD5 of the very bytes sent, for the server to check them', async () => {
    const { file, data } = localFile('digest.bin', 4096);
    // A recording storage host: what the PUT carried, answered with the MD5 of what arrived.
    const got: { digest: string | undefined; body: Buffer }[] = [];
    const storage = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        got.push({ digest: req.headers['digest'] as string | undefined, body });
        res.writeHead(201, { digest: `md5=${createHash('md5').update(body).digest('base64')}` });
        res.end();
      });
    });
    await new Promise<void>((resolve) => storage.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = storage.address() as AddressInfo;
      const r = await putFile(client.session, [`http://127.0.0.1:${port}/data/x`], file, 'x', {
        size: data.length,
      });
      expect(r).toEqual({ md5: md5Hex(data), size: 4096 });
      expect(got).toHaveLength(1);
      expect(got[0]!.body).toEqual(data);
      expect(got[0]!.digest).toBe(`md5=${createHash('md5').update(data).digest('base64')}`);
    } finally {
      await new Promise((resolve) => storage.close(resolve));
    }
  });

  it('fall back to the full negotiation when the quick one is refused, keeping its precise error', async () => {
    const { file } = localFile('e.bin', 10);
    await expect(client.upload(file, 'vos:alice/fast/nowhere/e.bin')).rejects.toMatchObject({
      kind: 'not-found',
    });
    const s = seen();
    expect(s.indexOf('GET /vault/synctrans?…')).toBeLessThan(s.indexOf('POST /vault/synctrans'));
  });

  it('try the full negotiation when the quick URL fails, and report the failure', async () => {
    const { file } = localFile('f.bin', 10);
    srv.faults.configure(parseFaultSpec('rate=1,kinds=error,endpoints=data,methods=PUT'));
    await expect(client.upload(file, 'vos:alice/fast/f.bin', { current: null })).rejects.toThrow();
    const puts = seen().filter((l) => l.startsWith('PUT '));
    expect(puts.length).toBeGreaterThanOrEqual(2);
    expect(seen()).toContain('POST /vault/synctrans');
    srv.faults.disable();
    // Nothing was stored, and the placeholder of the failed push is not left behind either.
    expect(await client.exists('vos:alice/fast/f.bin')).toBe(false);
  });
});

describe('downloads', () => {
  it('skip the node read when the caller passes the listing entry', async () => {
    const { file, data } = localFile('g.bin', 2048);
    await client.upload(file, 'vos:alice/fast/g.bin');
    const info = (await client.list('vos:alice/fast')).find((n) => n.name === 'g.bin')!;
    requests.length = 0;
    const out = path.join(tmp, 'g.out');
    const r = await client.download('vos:alice/fast/g.bin', out, { info });
    expect(r).toMatchObject({ md5: md5Hex(data), size: 2048, skipped: false });
    expect(fs.readFileSync(out)).toEqual(data);
    expect(seen()).toEqual([
      'GET /vault/files/alice/fast/g.bin',
      expect.stringMatching(/^GET \/vault\/data\//),
    ]);
  });
});

describe('paged listings', () => {
  it('fetch the next page while parsing one, without extra requests and in order', async () => {
    await client.mkdir('vos:alice/paged');
    for (let i = 0; i < 10; i++) await client.mkdir(`vos:alice/paged/n${i}`);
    const paging = new Client({
      registryUrl: `${srv.baseUrl}/reg/resource-caps`,
      cacheDir: path.join(tmp, 'cache'),
      credentials: { kind: 'token', token: 'alicetoken1' },
      pageSize: 4,
    });
    try {
      requests.length = 0;
      const names = (await paging.list('vos:alice/paged')).map((n) => n.name);
      expect(names).toEqual(Array.from({ length: 10 }, (_, i) => `n${i}`));
      // Pages n0–n3, n3–n6, n6–n9, then n9 alone: the same four requests as without read-ahead.
      expect(seen().filter((l) => l.startsWith('GET /vault/nodes/alice/paged'))).toHaveLength(4);
    } finally {
      await paging.close();
    }
  });
});
