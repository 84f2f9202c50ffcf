/**
 * A hostile or failing local side, synced against the embedded server: unreadable and vanishing files, a full
 * disk, symbolic-link loops and escapes, and a pair folder replaced by a file. Each must end in a reported
 * problem or a paused pair with a clear message; nothing is written outside the pair and the remote side is
 * not damaged.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isPlanEmpty } from '../../src/agent/reconcile/index.js';
import { scanLocal } from '../../src/agent/local/local-scan.js';
import { syncPair, syncUntilStable, type PairContext } from '../../src/agent/engine/pair-sync.js';
import type { SyncIndex } from '../../src/agent/store/index-db.js';
import { REMOTE_TRASH } from '../../src/agent/remote/remote-scan.js';
import { NO_FAULTS } from '../../src/server/faults.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import type { Client } from '../../src/vospace/client.js';
import { tempFiles } from '../../src/vospace/transfer.js';
import {
  TOKEN,
  asUnprivileged,
  changed,
  fastClient,
  makePair,
  snapshot,
  tempDir,
  tryMountTmpfs,
  unmount,
} from './helpers.js';
import { TEMP_PREFIX } from '../../src/util/temp-files.js';
import { vospaceRemote } from '../../src/agent/remote/vospace/connect.js';
import { md5Hex } from '../../src/util/md5.js';

let srv: RunningServer;
let root: string;
let client: Client;
let n = 0;
let local: string;
let remote: string;
let ctx: PairContext;
let index: SyncIndex;
let outside: string;
let outsideBefore: Map<string, string>;

beforeAll(async () => {
  root = tempDir('local');
  fs.chmodSync(root, 0o755);
  srv = await startServer({ dataDir: path.join(root, 'server'), users: [{ name: 'alice', token: TOKEN }] });
  client = fastClient(`${srv.baseUrl}/reg/resource-caps`, path.join(root, 'cache'));
  outside = path.join(root, 'outside');
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'precious.txt'), 'not part of any pair');
});

afterAll(async () => {
  await client.close();
  await srv.close();
  fs.rmSync(root, { recursive: true, force: true });
});

beforeEach(() => {
  n++;
  local = path.join(root, `pair${n}`);
  fs.mkdirSync(local);
  remote = `vos:alice/pair${n}`;
  ({ ctx, index } = makePair(client, root, `p${n}`, local, remote));
  outsideBefore = snapshot(outside);
});

afterEach(() => {
  index.close();
  // Whatever happened in the pair, the folder beside it was neither read into nor written.
  expect(changed(outsideBefore, snapshot(outside))).toEqual([]);
});

const write = (rel: string, content: string | Buffer) => {
  fs.mkdirSync(path.dirname(path.join(local, rel)), { recursive: true });
  fs.writeFileSync(path.join(local, rel), content);
};

/** The remote tree below the pair (trash excluded) as `path md5` lines. */
async function remoteTree(base = remote): Promise<string[]> {
  const out: string[] = [];
  const walk = async (loc: string, rel: string) => {
    for (const c of await client.list(loc)) {
      if (rel === '' && c.name === REMOTE_TRASH) continue;
      const r = rel === '' ? c.name : `${rel}/${c.name}`;
      out.push(c.kind === 'container' ? `${r}/` : `${r} ${c.md5 ?? '-'}`);
      if (c.kind === 'container') await walk(`${loc}/${c.name}`, r);
    }
  };
  await walk(base, '');
  return out.sort();
}

/** A write stream that passes `limit` bytes to `real`, then fails like a full disk. */
function fullAfter(limit: number, real: Writable): Writable {
  let written = 0;
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      written += chunk.length;
      if (written > limit) {
        cb(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
        return;
      }
      real.write(chunk, cb);
    },
    final(cb) {
      real.end(cb);
    },
    destroy(err, cb) {
      real.destroy();
      cb(err);
    },
  });
}

async function converge(): Promise<void> {
  const results = await syncUntilStable(ctx);
  expect(results[results.length - 1]!.paused).toBeUndefined();
  const again = await syncPair(ctx);
  expect(again.plan && isPlanEmpty(again.plan)).toBe(true);
}

describe('unreadable local files', () => {
  it('reports an unreadable file, syncs the rest, and never reads its absence as a deletion', async () => {
    write('ok.txt', 'fine');
    write('secret.txt', 'v1');
    await converge();
    fs.writeFileSync(path.join(local, 'secret.txt'), 'v2, now unreadable');
    fs.chmodSync(path.join(local, 'secret.txt'), 0o000);
    write('new.txt', 'new');
    const r = await asUnprivileged([root], () => syncPair(ctx));
    expect(r.paused).toBeUndefined();
    expect(r.localProblems).toContainEqual(
      expect.objectContaining({
        path: 'secret.txt',
        kind: 'unreadable',
        message: expect.stringMatching(/EACCES/),
      }),
    );
    expect(await remoteTree()).toEqual([
      `new.txt ${md5Hex('new')}`,
      `ok.txt ${md5Hex('fine')}`,
      `secret.txt ${md5Hex('v1')}`,
    ]);
  });

  it('reports an unreadable folder and keeps its remote subtree', async () => {
    write('docs/a.txt', 'a');
    write('docs/b.txt', 'b');
    await converge();
    fs.chmodSync(path.join(local, 'docs'), 0o000);
    const r = await asUnprivileged([root], () => syncPair(ctx));
    fs.chmodSync(path.join(local, 'docs'), 0o755);
    expect(r.paused).toBeUndefined();
    expect(r.localProblems).toContainEqual(expect.objectContaining({ path: 'docs', kind: 'unreadable' }));
    expect(r.report?.failed ?? []).toEqual([]);
    expect(await remoteTree()).toEqual(['docs/', `docs/a.txt ${md5Hex('a')}`, `docs/b.txt ${md5Hex('b')}`]);
  });
});

describe('files that vanish', () => {
  it('tolerates files vanishing during the scan (between listing and stat, and while being hashed)', async () => {
    write('a.txt', 'a');
    write('b.txt', 'b');
    write('c.txt', 'c');
    write('big.bin', Buffer.alloc(600 * 1024, 7)); // hashed asynchronously, after the walk
    let struck = false;
    const r = await scanLocal({
      root: local,
      // The first name the walker asks about makes the other small files disappear before their stat.
      ignore: {
        isIgnored: (rel) => {
          if (!struck && rel !== 'big.bin') {
            struck = true;
            for (const f of ['a.txt', 'b.txt', 'c.txt']) if (f !== rel) fs.rmSync(path.join(local, f));
          }
          return false;
        },
      },
      onHashProgress: (p) => {
        if (p === 'big.bin') fs.rmSync(path.join(local, 'big.bin'), { force: true });
      },
    });
    expect([...r.entries.keys()].length).toBe(1); // only the one file asked about first survived
    expect(r.entries.has('big.bin')).toBe(false);
    expect(r.problems).toEqual([]);
    expect([...r.unreadable]).toEqual([]);
  });

  it('skips an upload whose file vanished after the scan, and uploads nothing for it', async () => {
    write('keep.txt', 'keep');
    write('gone.txt', 'going');
    ctx.onPhase = (phase) => {
      if (phase === 'planning') fs.rmSync(path.join(local, 'gone.txt'), { force: true });
    };
    const r = await syncPair(ctx);
    ctx.onPhase = undefined;
    expect(r.report?.skipped).toContainEqual(
      expect.objectContaining({
        path: 'gone.txt',
        type: 'upload',
        reason: expect.stringMatching(/changed locally/),
      }),
    );
    expect(r.report?.failed).toEqual([]);
    await converge();
    expect(await remoteTree()).toEqual([`keep.txt ${md5Hex('keep')}`]);
  });
});

describe('a full disk', () => {
  it('fails a download with ENOSPC cleanly: temp removed, nothing recorded, remote untouched', async () => {
    const big = Buffer.alloc(300 * 1024, 0x5a);
    const src = path.join(root, `src${n}`);
    fs.mkdirSync(src);
    fs.writeFileSync(path.join(src, 'big.bin'), big);
    fs.writeFileSync(path.join(src, 'small.txt'), 'small');
    await client.mkdir(remote, { parents: true });
    await client.upload(path.join(src, 'big.bin'), `${remote}/big.bin`);
    await client.upload(path.join(src, 'small.txt'), `${remote}/small.txt`);
    const remoteBefore = await remoteTree();

    // A 64 KiB file system (tmpfs) as the pair folder. Without mount rights, transfer.ts's temp-file seam fails
    // any temp file that grows past 64 KiB with ENOSPC instead.
    const mounted = tryMountTmpfs(local, '64k');
    const original = tempFiles.openForWrite;
    if (!mounted) tempFiles.openForWrite = (file, offset) => fullAfter(64 * 1024, original(file, offset));
    ctx.concurrency = 1; // one download at a time, so the small file is not starved by the big one
    try {
      const r = await syncPair(ctx);
      expect(r.paused).toBeUndefined();
      const failure = r.report?.failed.find((f) => f.path === 'big.bin');
      expect(failure).toMatchObject({ type: 'download', kind: 'local', transient: false });
      expect(failure?.message).toMatch(/^vos:alice\/pair\d+\/big\.bin: no space left on device writing /);
      expect(fs.readFileSync(path.join(local, 'small.txt'), 'utf8')).toBe('small');
      expect(fs.existsSync(path.join(local, 'big.bin'))).toBe(false);
      expect(fs.readdirSync(local).filter((x) => x.startsWith(TEMP_PREFIX))).toEqual([]);
      expect(index.loadBaseTree(r.pairId).has('big.bin')).toBe(false);
      expect(await remoteTree()).toEqual(remoteBefore);
    } finally {
      if (mounted) unmount(local);
      tempFiles.openForWrite = original;
    }
  });
});

describe('symbolic links', () => {
  it('never follows a symlink loop, a link to the pair itself, or a link out of the pair', async () => {
    write('real.txt', 'real');
    fs.symlinkSync('loopB', path.join(local, 'loopA'));
    fs.symlinkSync('loopA', path.join(local, 'loopB'));
    fs.symlinkSync('.', path.join(local, 'self'));
    fs.symlinkSync('..', path.join(local, 'up'));
    fs.symlinkSync(outside, path.join(local, 'escape'));
    fs.mkdirSync(path.join(local, 'deep/er'), { recursive: true });
    fs.symlinkSync('../..', path.join(local, 'deep/er/back'));
    const r = await syncPair(ctx);
    expect(r.paused).toBeUndefined();
    const links = r.localProblems.filter((p) => p.kind === 'symlink').map((p) => p.path);
    expect(links.sort()).toEqual(['deep/er/back', 'escape', 'loopA', 'loopB', 'self', 'up']);
    await converge();
    expect(await remoteTree()).toEqual(['deep/', 'deep/er/', `real.txt ${md5Hex('real')}`]);
  });
});

describe('a folder swapped for a link during a download', () => {
  it('writes nothing outside the pair when the destination folder becomes a link mid-transfer', async () => {
    await client.mkdir(`${remote}/sub`, { parents: true });
    const src = path.join(root, `src${n}`);
    fs.mkdirSync(src);
    fs.writeFileSync(path.join(src, 'f.bin'), 'bytes that must stay in the pair');
    await client.upload(path.join(src, 'f.bin'), `${remote}/sub/f.bin`);
    fs.mkdirSync(path.join(local, 'sub'));
    // Every byte request (the /files redirect, then the data) waits 1 s; nothing else does. The swap comes 300 ms
    // after the plan starts to run: after the download's own checks, long before its first byte.
    srv.faults.configure({ ...NO_FAULTS, endpoints: ['data'], latencyMs: 1000 });
    let running: (() => void) | undefined;
    const started = new Promise<void>((resolve) => (running = resolve));
    ctx.onPhase = (phase) => {
      if (phase === 'syncing') running?.();
    };
    try {
      const sync = syncPair(ctx);
      await started;
      await new Promise((r) => setTimeout(r, 300));
      fs.rmSync(path.join(local, 'sub'), { recursive: true });
      fs.symlinkSync(outside, path.join(local, 'sub'));
      const r = await sync;
      expect(r.report?.failed).toContainEqual(
        expect.objectContaining({
          path: 'sub/f.bin',
          type: 'download',
          kind: 'local',
          message:
            'sub/f.bin: not written, because sub is a symbolic link or not a folder (vosync never writes through links)',
        }),
      );
    } finally {
      ctx.onPhase = undefined;
      srv.faults.disable();
    }
    expect(fs.readdirSync(outside)).toEqual(['precious.txt']);
  });
});

/**
 * Runs a cycle that downloads a 256 KiB `sub/f.bin` at 64 KiB/s, and calls `strike` with the temp file's path once
 * bytes are arriving in it.
 */
async function downloadStruck(strike: (temp: string) => void) {
  const src = path.join(root, `src${n}`);
  fs.mkdirSync(src);
  fs.writeFileSync(path.join(src, 'f.bin'), Buffer.alloc(256 * 1024, 0x61));
  await client.mkdir(`${remote}/sub`, { parents: true });
  await client.upload(path.join(src, 'f.bin'), `${remote}/sub/f.bin`);
  fs.mkdirSync(path.join(local, 'sub'));
  const slow = fastClient(`${srv.baseUrl}/reg/resource-caps`, path.join(root, 'cache'), {
    bytesPerSecond: 64 * 1024,
  });
  const fast = ctx.remote;
  ctx.remote = vospaceRemote(slow, ctx.pair);
  try {
    const sync = syncPair(ctx);
    const arriving = () =>
      fs
        .readdirSync(path.join(local, 'sub'))
        .map((f) => path.join(local, 'sub', f))
        .find((f) => path.basename(f).startsWith(TEMP_PREFIX) && fs.statSync(f).size > 0);
    let temp: string | undefined;
    while (!(temp = arriving())) await new Promise((r) => setTimeout(r, 5));
    strike(temp);
    return await sync;
  } finally {
    ctx.remote = fast;
    await slow.close();
  }
}

describe('a folder swapped for a link while the bytes arrive', () => {
  it('never resumes into, appends to or renames a file of the temp name that the link leads to', async () => {
    // Outside the pair: a folder holding a file of the temp file's name (the .part suffix carries the MD5).
    const elsewhere = path.join(root, `elsewhere${n}`);
    fs.mkdirSync(elsewhere);
    const planted = `${TEMP_PREFIX}f.bin.${md5Hex(Buffer.alloc(256 * 1024, 0x61))}.part`;
    fs.writeFileSync(path.join(elsewhere, planted), 'planted');
    const before = snapshot(elsewhere);
    const r = await downloadStruck((temp) => {
      expect(path.basename(temp)).toBe(planted);
      fs.renameSync(path.join(local, 'sub'), path.join(local, 'sub-moved'));
      fs.symlinkSync(elsewhere, path.join(local, 'sub'));
    });
    expect(r.report?.failed).toContainEqual(
      expect.objectContaining({
        path: 'sub/f.bin',
        kind: 'local',
        message:
          'sub/f.bin: not written, because sub is a symbolic link or not a folder (vosync never writes through links)',
      }),
    );
    expect(changed(before, snapshot(elsewhere))).toEqual([]);
  });
});

describe('the pair folder changes type', () => {
  it('pauses when the pair folder was replaced by a file, and leaves the remote untouched', async () => {
    write('a.txt', 'a');
    write('sub/b.txt', 'b');
    await converge();
    const remoteBefore = await remoteTree();
    fs.rmSync(local, { recursive: true });
    fs.writeFileSync(local, 'I am a file now');
    const r = await syncPair(ctx);
    expect(r.paused).toMatch(
      new RegExp(`local folder ${local} is missing or is not the folder that was synced`),
    );
    expect(index.getPairById(r.pairId)?.pausedReason).toBe(r.paused);
    expect(await remoteTree()).toEqual(remoteBefore);
    expect(fs.readFileSync(local, 'utf8')).toBe('I am a file now');
    fs.rmSync(local);
    fs.mkdirSync(local);
  });

  it('pauses on a first sync whose pair folder is a file', async () => {
    fs.rmdirSync(local);
    fs.writeFileSync(local, 'not a folder');
    const r = await syncPair(ctx);
    expect(r.paused).toBe(`local folder unusable: pair root ${local} is not a folder`);
    expect(await client.exists(remote)).toBe(false);
    fs.rmSync(local);
    fs.mkdirSync(local);
  });

  it('loses nothing when a synced subfolder is replaced by a file of the same name', async () => {
    write('docs/a.txt', 'remote keeps me');
    write('other.txt', 'o');
    await converge();
    fs.rmSync(path.join(local, 'docs'), { recursive: true });
    fs.writeFileSync(path.join(local, 'docs'), 'docs is a file now');
    const results = await syncUntilStable(ctx);
    for (const r of results) expect(r.report?.failed ?? []).toEqual([]);
    // Both versions survive somewhere: the folder's file and the new file's bytes.
    const everywhere = [
      ...(await remoteTree()),
      ...(await remoteTree(`${remote}/${REMOTE_TRASH}`).catch(() => [])),
    ];
    const localAll = [...snapshot(local).keys()].map((p) => {
      const abs = path.join(local, p);
      return fs.statSync(abs).isFile() ? md5Hex(fs.readFileSync(abs)) : '';
    });
    const seen = (md5: string) => everywhere.some((l) => l.endsWith(md5)) || localAll.includes(md5);
    expect(seen(md5Hex('remote keeps me'))).toBe(true);
    expect(seen(md5Hex('docs is a file now'))).toBe(true);
  });
});
