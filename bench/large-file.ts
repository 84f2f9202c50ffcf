/**
 * One large file (1 GiB) up and down through the vosync client library against a `vosync serve` child, in MB/s,
 * as a fraction of a plain undici PUT/GET of the same bytes to a plain Node HTTP server with the MD5 computed
 * on the client side only.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Agent, request } from 'undici';
import { USER, startRawServer, startVosyncServer } from './lib/procs.js';
import { benchClient, type BenchContext } from './lib/context.js';
import { makeLargeFile, timed } from './lib/files.js';
import { atLeast, figure, type BenchResult } from './lib/report.js';

/**
 * Writes out dirty pages before each timed transfer (untimed), so no transfer pays for the previous one's writes:
 * with gigabytes just written, writeback otherwise decides the figures more than the code does.
 */
function flushDisk(): void {
  spawnSync('sync');
}

function md5Tap(hash: ReturnType<typeof createHash>): Transform {
  return new Transform({
    transform(chunk: Buffer, _e, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
}

/** Plain PUT then GET of a file with undici; the MD5 is computed here only, while the bytes stream. */
async function plain(baseUrl: string, file: string, size: number, md5: string, down: string) {
  const agent = new Agent({ connections: 1 });
  try {
    const url = `${baseUrl}/large.bin`;
    flushDisk();
    const up = await timed(async () => {
      const hash = createHash('md5');
      const body = fs.createReadStream(file).pipe(md5Tap(hash));
      const res = await request(url, {
        method: 'PUT',
        body,
        headers: { 'content-length': String(size) },
        dispatcher: agent,
      });
      await res.body.dump();
      if (res.statusCode !== 201 || hash.digest('hex') !== md5)
        throw new Error(`plain PUT: HTTP ${res.statusCode}`);
    });
    flushDisk();
    const dl = await timed(async () => {
      const hash = createHash('md5');
      const res = await request(url, { method: 'GET', dispatcher: agent });
      if (res.statusCode !== 200) throw new Error(`plain GET: HTTP ${res.statusCode}`);
      await pipeline(res.body, md5Tap(hash), fs.createWriteStream(down));
      if (hash.digest('hex') !== md5) throw new Error('plain GET: MD5 mismatch');
    });
    return { up: up.seconds, down: dl.seconds };
  } finally {
    await agent.close();
  }
}

export async function largeFile(ctx: BenchContext): Promise<BenchResult> {
  const t0 = performance.now();
  const size = ctx.sizes.largeFileBytes;
  const file = path.join(ctx.work, 'large.bin');
  ctx.log(`large file: writing ${size} B`);
  const { md5 } = makeLargeFile(file, size);
  const server = await startVosyncServer(path.join(ctx.work, 'server'));
  const raw = await startRawServer(path.join(ctx.work, 'raw'));
  const client = benchClient(server.registryUrl, path.join(ctx.work, 'cache'));
  let base: { up: number; down: number };
  let up: number;
  let down: number;
  try {
    // Warm both servers' connections and caches with a tiny request first.
    await client.mkdir(`vos:${USER}/large`);
    ctx.log('large file: plain PUT/GET');
    const plainDown = path.join(ctx.work, 'plain-down.bin');
    base = await plain(raw.baseUrl, file, size, md5, plainDown);
    fs.rmSync(plainDown);
    fs.rmSync(path.join(ctx.work, 'raw'), { recursive: true, force: true });
    ctx.log('large file: vosync upload');
    flushDisk();
    const u = await timed(() => client.upload(file, `vos:${USER}/large/large.bin`));
    if (u.value.md5 !== md5 || u.value.skipped) throw new Error('vosync upload: wrong MD5 or skipped');
    up = u.seconds;
    ctx.log('large file: vosync download');
    const dest = path.join(ctx.work, 'vosync-down.bin');
    flushDisk();
    const d = await timed(() => client.download(`vos:${USER}/large/large.bin`, dest));
    if (d.value.md5 !== md5) throw new Error('vosync download: wrong MD5');
    down = d.seconds;
  } finally {
    await client.close();
    await server.stop();
    await raw.stop();
  }
  const mb = size / 1e6;
  const notes = [
    `${(size / 2 ** 20).toLocaleString('en-US')} MiB of random bytes; MB = 10^6 bytes. vosync: \`Client.upload\` ` +
      '(at this size a resumable PUT transaction in 64 MiB segments, each fsynced before it is acknowledged; MD5 ' +
      'while streaming, verified at the commit) and `Client.download` (MD5-verified temp file, fsync, rename). ' +
      'Baseline: undici PUT/GET with the MD5 computed on the client only, to a plain Node HTTP server that writes ' +
      'the body to a file (no fsync). Dirty pages are written out (`sync`, untimed) before each of the four transfers.',
  ];
  return {
    name: 'large-file',
    title: 'One large file',
    notes,
    seconds: (performance.now() - t0) / 1000,
    figures: [
      figure({
        key: 'upload.MBps',
        label: 'upload',
        value: mb / up,
        unit: 'MB/s',
        baseline: { label: 'plain undici PUT + MD5', value: mb / base.up, unit: 'MB/s' },
        ratioTarget: atLeast(0.8),
      }),
      figure({
        key: 'download.MBps',
        label: 'download',
        value: mb / down,
        unit: 'MB/s',
        baseline: { label: 'plain undici GET + MD5', value: mb / base.down, unit: 'MB/s' },
        ratioTarget: atLeast(0.8),
      }),
    ],
  };
}
