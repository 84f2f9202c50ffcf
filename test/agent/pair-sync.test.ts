import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isPlanEmpty } from '../../src/agent/reconcile/index.js';
import {
  MKDIR_INTENT,
  UPLOAD_INTENT,
  journalMkdir,
  journalUpload,
} from '../../src/agent/store/transfer-journal.js';
import { confirmHeldDeletes, syncPair, syncUntilStable } from '../../src/agent/engine/pair-sync.js';
import { REMOTE_TRASH } from '../../src/agent/remote/remote-scan.js';
import { parseFaultSpec } from '../../src/server/faults.js';
import type { RunningServer } from '../../src/server/server.js';
import { startAliceServer, type AliceServer } from '../support/alice-server.js';
import { openPair, type PairFixture } from '../support/pair-fixture.js';
import { vospaceRemote } from '../../src/agent/remote/vospace/connect.js';
import { Client } from '../../src/vospace/client.js';
import { md5Hex } from '../../src/util/md5.js';

let server: AliceServer;
let srv: RunningServer;
let tmp: string;
let client: Client;
let n = 0;

beforeAll(async () => {
  server = await startAliceServer('pair');
  ({ srv, tmp } = server);
  client = server.client();
});

afterAll(async () => {
  await server.close();
});

function makePair(): PairFixture {
  n++;
  return openPair({
    name: `p${n}`,
    local: path.join(tmp, `local${n}`),
    remote: `vos:alice/pair${n}`,
    settings: { mode: 'two-way', conflict: 'keep-both' },
    indexFile: path.join(tmp, `index${n}.sqlite`),
    client,
    clockStart: Date.UTC(2026, 10, 23, 12, 0, 0),
    host: 'testhost',
    concurrency: 4,
  });
}

const read = (p: PairFixture, rel: string) => fs.readFileSync(path.join(p.local, rel), 'utf8');

async function remoteText(uri: string): Promise<string> {
  const f = path.join(tmp, `r-${Math.random()}`);
  await client.download(uri, f);
  return fs.readFileSync(f, 'utf8');
}

/** Writes `rel`, uploads it and journals the upload, as a process killed before the index recorded it leaves it. */
async function uploadThenCrash(p: PairFixture, rel: string, content: string): Promise<number> {
  p.write(rel, content);
  const st = fs.statSync(path.join(p.local, rel));
  await client.upload(path.join(p.local, rel), `${p.remote}/${rel}`);
  const pairId = p.index.getPair(p.ctx.pair.name)!.id;
  journalUpload(p.index, pairId, rel, {
    md5: md5Hex(content),
    size: st.size,
    mtimeMs: st.mtimeMs,
    ino: st.ino,
  });
  return pairId;
}

async function converge(p: PairFixture): Promise<void> {
  const results = await syncUntilStable(p.ctx);
  const last = results[results.length - 1]!;
  expect(last.paused).toBeUndefined();
  // The invariant every end-to-end test checks: once both sides stop changing, one more sync plans nothing.
  const again = await syncPair(p.ctx);
  expect(again.plan && isPlanEmpty(again.plan)).toBe(true);
}

describe('pair sync against a real server', () => {
  let p: PairFixture;
  beforeEach(() => {
    p = makePair();
  });

  it('uploads a new tree, then downloads a remote edit and uploads a local edit', async () => {
    p.write('a.txt', 'alpha');
    p.write('sub/b.txt', 'beta');
    p.write('sub/deeper/c.txt', '');
    await converge(p);
    expect(await remoteText(`${p.remote}/sub/b.txt`)).toBe('beta');
    expect(await client.isdir(`${p.remote}/sub/deeper`)).toBe(true);

    const edited = path.join(tmp, 'edit.txt');
    fs.writeFileSync(edited, 'beta v2 from the server side');
    await client.upload(edited, `${p.remote}/sub/b.txt`);
    p.write('a.txt', 'alpha v2 local');
    await converge(p);
    expect(read(p, 'sub/b.txt')).toBe('beta v2 from the server side');
    expect(await remoteText(`${p.remote}/a.txt`)).toBe('alpha v2 local');
  });

  it('keeps both versions of a conflict, named as specified, and loses nothing', async () => {
    p.write('doc.txt', 'v1');
    await converge(p);
    p.write('doc.txt', 'local v2');
    const f = path.join(tmp, 'remote-v2.txt');
    fs.writeFileSync(f, 'remote v2!');
    await client.upload(f, `${p.remote}/doc.txt`);
    await converge(p);
    expect(read(p, 'doc.txt')).toBe('remote v2!');
    const copies = fs.readdirSync(p.local).filter((x) => x.startsWith('doc.conflict-'));
    expect(copies).toHaveLength(1);
    expect(copies[0]).toMatch(/^doc\.conflict-\d{8}-\d{6}-testhost\.txt$/);
    expect(read(p, copies[0]!)).toBe('local v2');
    // The copy's name needs no encoding: it is on the server too, so every machine sees both versions.
    expect(await remoteText(`${p.remote}/${copies[0]!}`)).toBe('local v2');
    const r = await syncPair(p.ctx);
    expect(r.localProblems).toEqual([]);
    expect(r.plan && isPlanEmpty(r.plan)).toBe(true);
  });

  it('moves deletions to the trashes instead of destroying them', async () => {
    p.write('keep.txt', 'keep');
    p.write('gone-local.txt', 'delete me locally');
    p.write('gone-remote.txt', 'delete me remotely');
    await converge(p);
    fs.rmSync(path.join(p.local, 'gone-local.txt'));
    await client.delete(`${p.remote}/gone-remote.txt`);
    await converge(p);
    expect(await client.exists(`${p.remote}/gone-local.txt`)).toBe(false);
    expect(fs.existsSync(path.join(p.local, 'gone-remote.txt'))).toBe(false);
    // The remote copy of the locally deleted file sits in the remote trash…
    const trash = await client.list(`${p.remote}/${REMOTE_TRASH}`);
    expect(trash.length).toBeGreaterThan(0);
    // …and the local copy of the remotely deleted file in the local trash.
    const localTrash = path.join(p.local, '.vosync', 'trash');
    const found = fs.readdirSync(localTrash, { recursive: true }).map(String);
    expect(found.some((f) => f.endsWith('gone-remote.txt'))).toBe(true);
  });

  it('on a first sync with data on both sides deletes nothing and merges', async () => {
    const f = path.join(tmp, 'pre.txt');
    fs.writeFileSync(f, 'remote only');
    await client.mkdir(p.remote, { parents: true });
    await client.upload(f, `${p.remote}/remote-only.txt`);
    p.write('local-only.txt', 'local only');
    await converge(p);
    expect(read(p, 'remote-only.txt')).toBe('remote only');
    expect(await remoteText(`${p.remote}/local-only.txt`)).toBe('local only');
  });

  it('pauses instead of deleting everything when the local folder was emptied', async () => {
    for (let i = 0; i < 6; i++) p.write(`f${i}.txt`, `file ${i}`);
    await converge(p);
    for (const f of fs.readdirSync(p.local)) fs.rmSync(path.join(p.local, f), { recursive: true });
    const r = await syncPair(p.ctx);
    expect(r.paused).toMatch(/missing|unmounted|emptied/);
    expect(await client.listdir(p.remote)).toEqual(expect.arrayContaining(['f0.txt', 'f5.txt']));
  });

  it('judges a mass deletion handed over in two batches as one, for ten minutes', async () => {
    for (let i = 0; i < 20; i++) p.write(`f${i}.txt`, `file ${i}`);
    await converge(p);
    const remove = (from: number, to: number) => {
      for (let i = from; i < to; i++) fs.rmSync(path.join(p.local, `f${i}.txt`));
    };
    remove(0, 9);
    const first = await syncPair(p.ctx);
    expect(first.paused).toBeUndefined();
    expect(first.report?.done).toBe(9);
    remove(9, 15);
    const second = await syncPair(p.ctx);
    expect(second.paused).toMatch(
      /^would delete 15 of 20 synced items on the remote side, 9 of them in the last 10 minutes \(75%, limit 50%\)/,
    );
    expect((await client.listdir(p.remote)).filter((n) => n.endsWith('.txt'))).toHaveLength(11);
    // Confirmed, the held six go; the confirmed ones do not count against the next deletion.
    confirmHeldDeletes(p.index, p.index.getPair(p.ctx.pair.name)!.id);
    expect((await syncPair(p.ctx)).paused).toBeUndefined();
    remove(15, 17);
    expect((await syncPair(p.ctx)).paused).toBeUndefined();
    expect((await client.listdir(p.remote)).filter((n) => n.endsWith('.txt'))).toHaveLength(3);
  });

  it('forgets deletions older than ten minutes', async () => {
    for (let i = 0; i < 10; i++) p.write(`f${i}.txt`, `file ${i}`);
    await converge(p);
    for (let i = 0; i < 4; i++) fs.rmSync(path.join(p.local, `f${i}.txt`));
    expect((await syncPair(p.ctx)).paused).toBeUndefined();
    p.advance(10 * 60_000);
    for (let i = 4; i < 7; i++) fs.rmSync(path.join(p.local, `f${i}.txt`));
    // 3 of the 6 left: at the limit, not over it, once the first four are out of the window.
    expect((await syncPair(p.ctx)).paused).toBeUndefined();
    expect((await client.listdir(p.remote)).filter((n) => n.endsWith('.txt'))).toHaveLength(3);
  });

  it('recognises an upload a crash interrupted after the server had it, so a later local edit is no conflict', async () => {
    p.write('first.txt', 'one');
    await converge(p);
    // Our upload of new.txt reached the server, then the process died before the index recorded it.
    const pairId = await uploadThenCrash(p, 'new.txt', 'uploaded just before the crash');
    // After the restart the user edits the file.
    p.write('new.txt', 'edited after the restart');
    await converge(p);
    expect(await remoteText(`${p.remote}/new.txt`)).toBe('edited after the restart');
    expect(fs.readdirSync(p.local).filter((f) => f.includes('.conflict-'))).toEqual([]);
    expect(p.index.listMeta(pairId)[`${UPLOAD_INTENT}new.txt`]).toBeUndefined();
  });

  it('takes a version another machine put over ours, ours set aside there, as a change, not a conflict', async () => {
    p.write('first.txt', 'one');
    await converge(p);
    // Our upload of f.txt reached the server, then the process died before the index recorded it.
    await uploadThenCrash(p, 'f.txt', 'ours');
    // Another machine (local-wins) set our version aside as a conflict copy and put its own under the name.
    const copy = 'f.conflict-20261201-221815-desk.txt';
    await client.move(`${p.remote}/f.txt`, `${p.remote}/${copy}`);
    const theirs = path.join(tmp, `theirs-${n}`);
    fs.writeFileSync(theirs, 'theirs');
    await client.upload(theirs, `${p.remote}/f.txt`);
    await converge(p);
    expect(read(p, 'f.txt')).toBe('theirs');
    expect(read(p, copy)).toBe('ours');
    // No second copy of our version: it is kept once already.
    expect(
      fs
        .readdirSync(p.local)
        .filter((f) => f.includes('.conflict-'))
        .sort(),
    ).toEqual([copy]);
  });

  it('recognises a folder a crash left made on the server, so the folder turned into a file here is no conflict', async () => {
    p.write('first.txt', 'one');
    await converge(p);
    // Our mkdir of "made" reached the server, then the process died before the index recorded it.
    fs.mkdirSync(path.join(p.local, 'made'));
    const st = fs.statSync(path.join(p.local, 'made'));
    await client.mkdir(`${p.remote}/made`);
    const pairId = p.index.getPair(p.ctx.pair.name)!.id;
    journalMkdir(p.index, pairId, 'made', { mtimeMs: st.mtimeMs, ino: st.ino });
    // After the restart the user replaces the folder by a file.
    fs.rmdirSync(path.join(p.local, 'made'));
    p.write('made', 'a file now');
    await converge(p);
    expect(await remoteText(`${p.remote}/made`)).toBe('a file now');
    expect(fs.readdirSync(p.local).filter((f) => f.includes('.conflict-'))).toEqual([]);
    expect(p.index.listMeta(pairId)[`${MKDIR_INTENT}made`]).toBeUndefined();
  });

  it('re-plans a file edited while it is being uploaded and ends with the edited version', async () => {
    const slow = new Client({
      registryUrl: `${srv.baseUrl}/reg/resource-caps`,
      cacheDir: path.join(tmp, 'cache-slow'),
      credentials: { kind: 'token', token: 'alicetoken1' },
      bytesPerSecond: 2 * 1024 * 1024,
    });
    try {
      const ctx = { ...p.ctx, remote: vospaceRemote(slow, p.ctx.pair) };
      p.write('big.bin', 'a'.repeat(3 * 1024 * 1024));
      const first = syncPair(ctx);
      await new Promise((r) => setTimeout(r, 700));
      p.write('big.bin', 'edited while uploading');
      const r1 = await first;
      expect(r1.report?.failed ?? []).toEqual([]);
      const results = await syncUntilStable(ctx);
      expect(results[results.length - 1]!.paused).toBeUndefined();
      expect(await remoteText(`${p.remote}/big.bin`)).toBe('edited while uploading');
      expect(fs.readdirSync(p.local).filter((f) => f.includes('.conflict-'))).toEqual([]);
      const again = await syncPair(ctx);
      expect(again.plan && isPlanEmpty(again.plan)).toBe(true);
    } finally {
      await slow.close();
    }
  });
});

describe('answers lost on the way back', () => {
  it('a folder whose creation answer was cut counts as made in the same cycle', async () => {
    const p = makePair();
    await syncPair(p.ctx);
    fs.mkdirSync(path.join(p.local, 'made'));
    // The server creates the folder and then the connection drops before the answer (creates are not retried).
    srv.faults.configure(parseFaultSpec('rate=1,kinds=truncate,endpoints=nodes,methods=PUT'));
    let r;
    try {
      r = await syncPair(p.ctx);
    } finally {
      srv.faults.disable();
    }
    expect(r.report?.failed ?? []).toEqual([]);
    expect(r.summary?.['mkdirRemote']).toBe(1);
    expect(await client.isdir(`${p.remote}/made`)).toBe(true);
    const again = await syncPair(p.ctx);
    expect(again.plan && isPlanEmpty(again.plan)).toBe(true);
  });
});
