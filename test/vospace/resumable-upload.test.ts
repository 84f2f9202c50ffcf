/**
 * Big uploads as resumable PUT transactions, against the real embedded server with its fault injection: cut
 * segments (reset), lost answers (truncate), 5xx, a stalled segment, and a process that gave up (the journal);
 * each resume goes on from the server's state, so no byte travels more than twice, and the commit is verified.
 * Small sizes (a few MiB in 256 KiB segments) keep it fast.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseFaultSpec } from '../../src/server/faults.js';
import type { ClientOptions } from '../../src/vospace/client.js';
import { UploadJournal } from '../../src/vospace/upload-journal.js';
import { startAliceServer, type AliceServer } from '../support/alice-server.js';
import { md5Hex } from '../../src/util/md5.js';

const SEGMENT = 256 * 1024;
const SIZE = 16 * SEGMENT + 5;
const SEGMENTS = Math.ceil(SIZE / SEGMENT);
/** Request headers and small answers: generous, still far below one segment. */
const OVERHEAD = 64 * 1024;

let server: AliceServer;
let data: Buffer;
let file: string;
let journalDir: string;

function client(extra: Partial<ClientOptions> = {}) {
  return server.client({
    segmentThreshold: 1024 * 1024,
    segmentBytes: SEGMENT,
    uploadJournalDir: journalDir,
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
    ...extra,
  });
}

/** Uploads `file` to `target` and returns what the server read from the network meanwhile. */
async function measured(fn: () => Promise<unknown>): Promise<number> {
  const before = server.srv.bytesReceived();
  await fn();
  return server.srv.bytesReceived() - before;
}

/**
 * Uploads the test file to `target` under the fault spec (then switched off) and checks what was stored;
 * returns the bytes the server received and the faults it injected.
 */
async function underFaults(spec: string, target: string, c = client()) {
  server.srv.faults.configure(parseFaultSpec(spec));
  let sent: number;
  let injected: Record<string, number>;
  try {
    sent = await measured(() => c.upload(file, target));
    injected = { ...server.srv.faults.stats.injected };
  } finally {
    server.srv.faults.disable();
  }
  await expectStored(c, target, data);
  return { sent, injected };
}

const puts = (prefix: string) => server.requests.filter((l) => l.startsWith(`PUT ${prefix}`));

beforeAll(async () => {
  server = await startAliceServer('resumable');
  data = randomBytes(SIZE);
  file = path.join(server.tmp, 'cube.fits');
  fs.writeFileSync(file, data);
  journalDir = path.join(server.tmp, 'journal');
});

beforeEach(() => {
  server.srv.faults.disable();
  server.requests.length = 0;
});

afterAll(async () => {
  await server.close();
});

async function expectStored(c: ReturnType<typeof client>, target: string, bytes: Buffer) {
  const info = await c.getInfo(target);
  expect(info.size).toBe(bytes.length);
  expect(info.md5).toBe(md5Hex(bytes));
  expect(fs.readdirSync(path.join(server.tmp, 'server', 'txns'))).toEqual([]);
}

describe('segmented uploads', () => {
  it('send a big file as one transaction of segments, committed and verified by MD5', async () => {
    const c = client();
    const seen: number[] = [];
    const sent = await measured(async () => {
      const r = await c.upload(file, 'vos:alice/plain.fits', { onProgress: (d) => seen.push(d) });
      expect(r.md5).toBe(md5Hex(data));
    });
    await expectStored(c, 'vos:alice/plain.fits', data);
    // A start, one PUT per segment, a commit.
    expect(puts('/vault/data/')).toHaveLength(SEGMENTS + 2);
    expect(sent).toBeGreaterThanOrEqual(SIZE);
    expect(sent).toBeLessThan(SIZE + OVERHEAD);
    expect(seen[seen.length - 1]).toBe(SIZE);
    expect(fs.existsSync(journalDir) ? fs.readdirSync(journalDir) : []).toEqual([]);
  });

  it('below the threshold, send one plain PUT', async () => {
    const small = path.join(server.tmp, 'small.bin');
    fs.writeFileSync(small, data.subarray(0, 100_000));
    const c = client();
    await c.upload(small, 'vos:alice/small.bin');
    expect(puts('/vault/data/')).toHaveLength(1);
  });

  it('resume after three cut segments (reset) from the server state: each byte at most twice', async () => {
    const { sent, injected } = await underFaults(
      'every=3,max=3,kinds=reset,endpoints=data,methods=PUT',
      'vos:alice/cut.fits',
    );
    expect(injected['reset']).toBe(3);
    expect(sent).toBeLessThanOrEqual(2 * SIZE);
    // Each cut costs at most the segment it cut: nothing was sent again from byte 0.
    expect(sent).toBeLessThan(SIZE + 3 * SEGMENT + OVERHEAD);
    // The client asked the server where it stood after each cut.
    expect(server.requests.filter((l) => l.startsWith('HEAD /vault/data/')).length).toBeGreaterThanOrEqual(3);
  });

  it('a segment whose answer was lost (truncate) is not sent again, nor is a lost commit', async () => {
    // Every 4th PUT: four segments stored whose 202 never arrives.
    const segments = await underFaults(
      'every=4,kinds=truncate,endpoints=data,methods=PUT',
      'vos:alice/lost-answer.fits',
    );
    expect(segments.injected['truncate']).toBe(4);
    expect(segments.sent).toBeLessThan(SIZE + OVERHEAD);
    // The last of start, segments and commit: a commit that took effect, its 201 lost.
    const commit = await underFaults(
      `every=${SEGMENTS + 2},kinds=truncate,endpoints=data,methods=PUT`,
      'vos:alice/lost-commit.fits',
    );
    expect(commit.injected['truncate']).toBe(1);
    expect(commit.sent).toBeLessThan(SIZE + OVERHEAD);
  });

  it('rides out 500 and 503 answers', async () => {
    const { sent, injected } = await underFaults(
      'every=3,max=4,kinds=error+unavailable,retryAfter=0,endpoints=data,methods=PUT+HEAD',
      'vos:alice/5xx.fits',
    );
    expect((injected['error'] ?? 0) + (injected['unavailable'] ?? 0)).toBe(4);
    expect(sent).toBeLessThanOrEqual(2 * SIZE);
  });

  it('a stalled segment times out, and the server drops it when the segment comes again', async () => {
    const { injected } = await underFaults(
      'every=5,max=1,kinds=stall,stallMs=60000,endpoints=data,methods=PUT',
      'vos:alice/stalled.fits',
      client({ timeoutMs: 800 }),
    );
    expect(injected['stall']).toBe(1);
  });

  it('on ARC, resumes too, but never starts a transaction over existing bytes (Cavern has none)', async () => {
    const c = client();
    await underFaults('every=4,max=2,kinds=reset,endpoints=data,methods=PUT', 'arc:home/alice/cube.fits', c);
    expect(puts('/arc/files/').length).toBeGreaterThan(SEGMENTS);
    // Over the bytes now there, one plain PUT.
    const other = path.join(server.tmp, 'other.fits');
    const otherData = randomBytes(SIZE);
    fs.writeFileSync(other, otherData);
    server.requests.length = 0;
    await c.upload(other, 'arc:home/alice/cube.fits');
    expect(puts('/arc/files/')).toHaveLength(1);
    await expectStored(c, 'arc:home/alice/cube.fits', otherData);
  });
});

/**
 * An upload that dies half-way like a killed process: its client is destroyed (every request cut) once the
 * bytes of segment `segments + 1` start to flow, so exactly `segments` segments are acknowledged.
 */
async function dies(source: string, target: string, segments: number): Promise<void> {
  const doomed = client();
  const cutAt = segments * SEGMENT + SEGMENT / 2;
  await expect(
    doomed.upload(source, target, {
      onProgress: (d) => {
        if (d >= cutAt) void doomed.destroy();
      },
    }),
  ).rejects.toThrow();
}

describe('the resume journal', () => {
  it('lets another client go on where one that gave up stopped, sending only the rest', async () => {
    const journal = new UploadJournal(journalDir);
    await dies(file, 'vos:alice/resumed.fits', 5);
    const entry = journal.read(server.registryUrl, 'vos://cadc.nrc.ca~vault/alice/resumed.fits');
    expect(entry?.acked.length).toBe(5 * SEGMENT);
    // The journal names the storage site, never a pre-authorised URL.
    const text = fs.readFileSync(path.join(journalDir, fs.readdirSync(journalDir)[0]!), 'utf8');
    expect(text).not.toMatch(/\/data\/|preauth/);
    const second = client();
    const seen: number[] = [];
    const sent = await measured(() =>
      second.upload(file, 'vos:alice/resumed.fits', { onProgress: (d) => seen.push(d) }),
    );
    await expectStored(second, 'vos:alice/resumed.fits', data);
    expect(sent).toBeLessThan(SIZE - 5 * SEGMENT + OVERHEAD);
    expect(seen[0]).toBe(5 * SEGMENT);
    expect(journal.read(server.registryUrl, 'vos://cadc.nrc.ca~vault/alice/resumed.fits')).toBeUndefined();
  });

  it('does not resume into a file that changed since: the old transaction is aborted', async () => {
    const target = 'vos:alice/changed.fits';
    const mine = path.join(server.tmp, 'changing.fits');
    fs.writeFileSync(mine, data);
    await dies(mine, target, 3);
    const txns = path.join(server.tmp, 'server', 'txns');
    expect(fs.readdirSync(txns)).toHaveLength(1);
    const edited = Buffer.from(data);
    edited[0] = edited[0]! ^ 0xff;
    fs.writeFileSync(mine, edited);
    fs.utimesSync(mine, new Date(), new Date(Date.now() + 5000));
    const second = client();
    await second.upload(mine, target);
    await expectStored(second, target, edited);
  });

  it('starts over when the server no longer has the journalled transaction', async () => {
    const target = 'vos:alice/forgotten.fits';
    await dies(file, target, 3);
    // The server loses it (an admin clean-up, an expiry): its row and file go.
    server.srv.store.db.prepare('DELETE FROM put_txns').run();
    const txns = path.join(server.tmp, 'server', 'txns');
    for (const f of fs.readdirSync(txns)) fs.rmSync(path.join(txns, f));
    const second = client();
    const sent = await measured(() => second.upload(file, target));
    await expectStored(second, target, data);
    expect(sent).toBeGreaterThanOrEqual(SIZE);
  });
});
