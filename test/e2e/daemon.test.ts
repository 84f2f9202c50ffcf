import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONCURRENT_WINDOW_MS } from '../../src/agent/reconcile/compare.js';
import type { Client } from '../../src/vospace/client.js';
import {
  listFiles,
  once,
  post,
  status,
  startDaemonProc,
  waitForPair,
  waitSettled,
  waitSynced,
  writeConfig,
  clientFor,
  startServerProc,
  startWorld,
  type DaemonProc,
  type E2eWorld,
  type ServerProc,
} from './harness.js';

let world: E2eWorld;
let tmp: string;
let server: ServerProc;
let client: Client;

beforeAll(async () => {
  world = await startWorld('vosync-e2e-');
  ({ tmp, server, client } = world);
});

afterAll(async () => {
  await world?.close();
});

const put = (root: string, rel: string, content: string) => {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), content);
};
const get = (root: string, rel: string) => fs.readFileSync(path.join(root, rel), 'utf8');

async function remotePut(uri: string, content: string): Promise<void> {
  const f = path.join(tmp, `up-${Math.random()}`);
  fs.writeFileSync(f, content);
  await client.upload(f, uri);
  fs.rmSync(f);
}

async function remoteGet(uri: string): Promise<string> {
  const f = path.join(tmp, `down-${Math.random()}`);
  await client.download(uri, f);
  const s = fs.readFileSync(f, 'utf8');
  fs.rmSync(f);
  return s;
}

/** Every end-to-end scenario ends here: after both sides stop changing, one more sync has nothing to do. */
async function expectNothingLeft(d: DaemonProc, configFile: string): Promise<void> {
  await d.kill('SIGTERM');
  const r = await once(configFile);
  expect(r.out).toMatch(/: 0 action\(s\)/);
  expect(r.code).toBe(0);
}

describe('daemon end to end (real processes)', () => {
  it('merges a first sync, then carries edits, creates, deletes, renames and type changes both ways', async () => {
    const dir = path.join(tmp, 'two-way');
    const local = path.join(dir, 'folder');
    fs.mkdirSync(local, { recursive: true });
    put(local, 'a.txt', 'A');
    put(local, 'docs/b.txt', 'B');
    put(local, 'to-rename.txt', 'rename me');
    put(local, 'will-be-dir', 'a file that becomes a folder');
    await client.mkdir('vos:alice/e2e1/remote-dir', { parents: true });
    await remotePut('vos:alice/e2e1/remote-only.txt', 'R');
    await remotePut('vos:alice/e2e1/remote-dir/x.txt', 'X');
    const cfg = writeConfig(dir, server.baseUrl, [{ name: 'e1', local, remote: 'vos:alice/e2e1' }]);
    let d = await startDaemonProc(cfg, dir);
    try {
      await waitSynced(d, 'e1');
      // First sync onto non-empty sides merged and deleted nothing.
      expect(get(local, 'remote-only.txt')).toBe('R');
      expect(get(local, 'remote-dir/x.txt')).toBe('X');
      expect(await remoteGet('vos:alice/e2e1/docs/b.txt')).toBe('B');

      // Local side: edit, create, delete, rename, file → folder.
      put(local, 'a.txt', 'A2');
      put(local, 'new/deep/n.txt', 'N');
      fs.rmSync(path.join(local, 'docs/b.txt'));
      fs.renameSync(path.join(local, 'to-rename.txt'), path.join(local, 'renamed.txt'));
      fs.rmSync(path.join(local, 'will-be-dir'));
      put(local, 'will-be-dir/inside.txt', 'now a folder');
      await waitSynced(d, 'e1');
      expect(await remoteGet('vos:alice/e2e1/a.txt')).toBe('A2');
      expect(await remoteGet('vos:alice/e2e1/new/deep/n.txt')).toBe('N');
      expect(await client.exists('vos:alice/e2e1/docs/b.txt')).toBe(false);
      expect(await client.exists('vos:alice/e2e1/to-rename.txt')).toBe(false);
      expect(await remoteGet('vos:alice/e2e1/renamed.txt')).toBe('rename me');
      expect(await remoteGet('vos:alice/e2e1/will-be-dir/inside.txt')).toBe('now a folder');

      // Remote side: edit, create, delete, folder → file. A remote edit this soon after the agent's own upload
      // could not be told from a concurrent write (both versions would be kept): wait that window out.
      await new Promise((r) => setTimeout(r, CONCURRENT_WINDOW_MS + 500));
      await remotePut('vos:alice/e2e1/a.txt', 'A3 from the server');
      await remotePut('vos:alice/e2e1/from-server.txt', 'S');
      await client.delete('vos:alice/e2e1/renamed.txt');
      await client.delete('vos:alice/e2e1/remote-dir', { recursive: true });
      await remotePut('vos:alice/e2e1/remote-dir', 'now a file');
      await post(d, 'rescan');
      await waitSynced(d, 'e1');
      expect(get(local, 'a.txt')).toBe('A3 from the server');
      expect(get(local, 'from-server.txt')).toBe('S');
      expect(fs.existsSync(path.join(local, 'renamed.txt'))).toBe(false);
      expect(get(local, 'remote-dir')).toBe('now a file');
      // Nothing was destroyed: the locally removed items are in the local trash.
      const trash = fs.readdirSync(path.join(local, '.vosync/trash'), { recursive: true }).map(String);
      expect(trash.some((f) => f.endsWith('renamed.txt'))).toBe(true);
      expect(trash.some((f) => f.endsWith('x.txt'))).toBe(true);

      // Both sides at once: a conflict keeps both versions. The server's edit goes first: made second, it could
      // land after the watcher's cycle had uploaded the local one, and a write so soon after our own upload is
      // kept the other way round (the remote version as the copy), by the concurrent-write rule.
      await remotePut('vos:alice/e2e1/a.txt', 'A4 remote');
      put(local, 'a.txt', 'A4 local');
      await post(d, 'rescan');
      await waitForPair(d, 'e1', (p) => p.state === 'idle' || p.state === 'error');
      await waitSettled(d, 'e1');
      expect(get(local, 'a.txt')).toBe('A4 remote');
      const copies = listFiles(local).filter((f) => f.startsWith('a.conflict-'));
      expect(copies).toHaveLength(1);
      expect(get(local, copies[0]!)).toBe('A4 local');
      // The conflict is open until the copy is dealt with: never "up to date", and still so after a restart.
      const open = (await status(d)).pairs[0]!;
      expect(open).toMatchObject({ upToDate: false, conflicts: 1, health: { reasons: ['1 conflict'] } });
      await d.kill('SIGKILL');
      d = await startDaemonProc(cfg, dir);
      await waitSettled(d, 'e1');
      expect((await status(d)).pairs[0]).toMatchObject({
        upToDate: false,
        health: { reasons: ['1 conflict'] },
      });
      fs.rmSync(path.join(local, copies[0]!));
      await waitSynced(d, 'e1');
      await expectNothingLeft(d, cfg);
    } finally {
      await d.kill('SIGKILL');
    }
  });

  it('answers a local edit with a cycle over that path alone, keeping what it said of the rest', async () => {
    const dir = path.join(tmp, 'scoped');
    const local = path.join(dir, 'folder');
    fs.mkdirSync(local, { recursive: true });
    put(local, 'a/1.txt', 'one');
    put(local, 'b/2.txt', 'two');
    fs.symlinkSync('b/2.txt', path.join(local, 'link'));
    // No poll in the test's time: every cycle after the first is the watcher's.
    const cfg = writeConfig(dir, server.baseUrl, [{ name: 'sc', local, remote: 'vos:alice/e2e-scoped' }], {
      remotePoll: '0 0 1 1 *',
    });
    const d = await startDaemonProc(cfg, dir);
    try {
      // The link is not synced, so the pair asks for attention and is never "up to date": settled is the goal.
      await waitSettled(d, 'sc');
      expect((await waitForPair(d, 'sc', (p) => p.notSynced === 1)).notSynced).toBe(1);
      put(local, 'a/1.txt', 'one, edited');
      await waitForPair(d, 'sc', () =>
        fs.readFileSync(path.join(dir, 'vosync.log'), 'utf8').includes('scoped'),
      );
      await waitSettled(d, 'sc');
      expect(await remoteGet('vos:alice/e2e-scoped/a/1.txt')).toBe('one, edited');
      expect(fs.readFileSync(path.join(dir, 'vosync.log'), 'utf8')).toMatch(
        /sc: cycle scoped to 1 path\(s\): a\/1\.txt/,
      );
      // The link outside the scope is still reported as not synced, and only that.
      const after = (await status(d)).pairs.find((p) => p.name === 'sc')!;
      expect(after).toMatchObject({ state: 'idle', notSynced: 1, errors: 0 });
      expect(after.health.reasons).toEqual(['1 not synced']);
    } finally {
      await d.kill('SIGKILL');
    }
  });

  it('stops instead of deleting en masse, and never deletes the remote when the local folder is emptied', async () => {
    const dir = path.join(tmp, 'safety');
    const local = path.join(dir, 'folder');
    for (let i = 0; i < 20; i++) put(local, `f${i}.txt`, `file ${i}`);
    const cfg = writeConfig(dir, server.baseUrl, [{ name: 's1', local, remote: 'vos:alice/e2e2' }]);
    let d = await startDaemonProc(cfg, dir);
    await waitSynced(d, 's1');
    // Deleted while the daemon is down, so that one cycle sees them all (a watcher may hand them over in
    // batches, the first of which may rightly go through: see the pair tests for that case).
    await d.kill('SIGTERM');
    for (let i = 0; i < 15; i++) fs.rmSync(path.join(local, `f${i}.txt`));
    d = await startDaemonProc(cfg, dir);
    const paused = await waitForPair(d, 's1', (p) => p.state === 'paused');
    expect(paused.pausedReason).toMatch(/would delete 15/);
    expect((await client.listdir('vos:alice/e2e2')).filter((n) => n.endsWith('.txt'))).toHaveLength(20);
    await d.kill('SIGTERM');

    // An unmounted folder: the root and its marker are gone.
    fs.rmSync(local, { recursive: true, force: true });
    fs.mkdirSync(local);
    d = await startDaemonProc(cfg, dir);
    const p2 = await waitForPair(d, 's1', (p) => p.state === 'paused');
    expect(p2.pausedReason).toMatch(/missing|marker/);
    expect((await client.listdir('vos:alice/e2e2')).filter((n) => n.endsWith('.txt'))).toHaveLength(20);
    await d.kill('SIGTERM');
  });

  it('survives kill -9 mid-sync: after a restart it converges with no loss and no spurious conflicts', async () => {
    const dir = path.join(tmp, 'crash');
    const local = path.join(dir, 'folder');
    const files = new Map<string, string>();
    for (let i = 0; i < 300; i++) {
      const rel = `d${i % 7}/file-${i}.dat`;
      const content = `content ${i} `.repeat(50 + (i % 13));
      files.set(rel, content);
      put(local, rel, content);
    }
    const cfg = writeConfig(dir, server.baseUrl, [{ name: 'c1', local, remote: 'vos:alice/e2e3' }], {
      concurrency: 2,
    });
    let d = await startDaemonProc(cfg, dir);
    await d.waitFor(/uploaded d\d\/file-\d+\.dat/, 30_000);
    expect(await d.kill('SIGKILL')).toBeNull();
    // Edits on both sides while it is down.
    put(local, 'd0/file-0.dat', 'edited locally after the crash');
    files.set('d0/file-0.dat', 'edited locally after the crash');
    d = await startDaemonProc(cfg, dir);
    await waitSynced(d, 'c1', 60_000);
    for (const [rel, content] of files) expect(await remoteGet(`vos:alice/e2e3/${rel}`)).toBe(content);
    expect(listFiles(local).filter((f) => f.includes('.conflict-'))).toEqual([]);
    await expectNothingLeft(d, cfg);
  });

  it('retries through injected server faults and converges', async () => {
    const dir = path.join(tmp, 'faults');
    const faulty = await startServerProc(path.join(dir, 'server'), [
      '--faults',
      'rate=0.2,kinds=error+unavailable+reset+truncate,retryAfter=0,seed=11',
    ]);
    try {
      const local = path.join(dir, 'folder');
      for (let i = 0; i < 40; i++) put(local, `f${i}.txt`, `faulty ${i}`);
      const cfg = writeConfig(dir, faulty.baseUrl, [{ name: 'f1', local, remote: 'vos:alice/e2e4' }]);
      const d = await startDaemonProc(cfg, dir);
      await waitSynced(d, 'f1', 90_000);
      // Even through the faults, once converged there is nothing left to do.
      await expectNothingLeft(d, cfg);
      const c = clientFor(faulty.baseUrl, path.join(dir, 'cache'));
      try {
        for (let i = 0; i < 40; i++) {
          const f = path.join(dir, `check-${i}`);
          const r = await c.download(`vos:alice/e2e4/f${i}.txt`, f);
          const got = fs.readFileSync(f, 'utf8');
          if (got !== `faulty ${i}`) {
            const info = await c.getInfo(`vos:alice/e2e4/f${i}.txt`);
            throw new Error(
              `f${i}: got ${JSON.stringify(got)} (${JSON.stringify(r)}); node: ${JSON.stringify(info)}`,
            );
          }
          expect(got).toBe(`faulty ${i}`);
        }
      } finally {
        await c.close();
      }
    } finally {
      await faulty.kill();
    }
  });
});
