/**
 * The Remote port's contract: every operation the engine and the simulation use, with the answers and error
 * kinds the engine relies on. It runs against the VOSpace adapter on the embedded server (real HTTP) and against
 * the in-memory remote, so the simulation's remote behaves as the server does wherever the engine can tell.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Remote, RemoteChild, RemoteNode } from '../../src/agent/remote/port.js';
import { VosError } from '../../src/util/errors.js';
import { EMPTY_MD5, md5Hex } from '../../src/util/md5.js';

export interface ContractWorld {
  /** Two Remotes of one fresh, empty folder (as two machines see it); each call makes a new folder. */
  folder(): Promise<{ remote: Remote; peer: Remote }>;
  /** Until the returned function is called, every request that writes bytes fails as a cut connection would. */
  cutUploads(): () => void;
  close(): Promise<void>;
}

async function kindOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof VosError) return e.kind;
    throw e;
  }
}

async function children(remote: Remote, rel: string): Promise<RemoteChild[]> {
  const out: RemoteChild[] = [];
  for await (const c of remote.list(rel)) out.push(c);
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

export function remoteContract(name: string, start: () => Promise<ContractWorld>): void {
  describe(`the Remote contract: ${name}`, () => {
    let world: ContractWorld;
    let tmp: string;
    let n = 0;
    const file = (content: string | Buffer): { file: string; md5: string } => {
      const f = path.join(tmp, `f${n++}`);
      fs.writeFileSync(f, content);
      return { file: f, md5: md5Hex(content) };
    };
    const put = (remote: Remote, rel: string, content: string, precondition = () => true) =>
      remote.upload(rel, { ...file(content), precondition });
    const fetch = async (remote: Remote, rel: string, expect: { size: number; md5?: string }) => {
      const dest = path.join(tmp, `d${n++}`, 'out.bin');
      fs.mkdirSync(path.dirname(dest));
      const guarded: string[] = [];
      const got = await remote.download(rel, { dest, ...expect, guard: (t) => void guarded.push(t) });
      return { got, bytes: fs.readFileSync(got.temp), dest, guarded };
    };

    beforeAll(async () => {
      world = await start();
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vosync-contract-'));
    });
    afterAll(async () => {
      await world.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    });

    it('stats the root as a folder, nothing where nothing is, nothing below a file', async () => {
      const { remote } = await world.folder();
      expect((await remote.stat(''))?.kind).toBe('dir');
      expect(await remote.stat('absent')).toBeUndefined();
      expect(await remote.stat('absent/below')).toBeUndefined();
      await put(remote, 'f.txt', 'x');
      expect(await remote.stat('f.txt/below')).toBeUndefined();
    });

    it('makes folders: one at a time, or with parents; an existing one is an error only without parents', async () => {
      const { remote } = await world.folder();
      await remote.mkdir('a');
      const a = await remote.stat('a');
      expect(a).toMatchObject({ kind: 'dir', size: 0, md5: undefined });
      expect(typeof a?.dateMs).toBe('number');
      expect(await kindOf(remote.mkdir('a'))).toBe('exists');
      expect(await kindOf(remote.mkdir('x/y'))).toBe('not-found');
      await remote.mkdir('b/c/d', { parents: true });
      await remote.mkdir('b/c', { parents: true });
      expect((await remote.stat('b/c/d'))?.kind).toBe('dir');
      await put(remote, 'file', 'x');
      expect(await kindOf(remote.mkdir('file'))).toBe('exists');
      expect(await kindOf(remote.mkdir('file/sub', { parents: true }))).toBe('exists');
    });

    it('uploads a new file, verified as it lands and not read back; the listing and a peer agree', async () => {
      const { remote, peer } = await world.folder();
      const seen: (RemoteNode | undefined)[] = [];
      const r = await remote.upload('new.txt', {
        ...file('hello'),
        precondition: (now) => (seen.push(now), true),
      });
      expect(seen).toEqual([undefined]);
      expect(r).toEqual({ sent: true, md5: md5Hex('hello'), size: 5 });
      const node = await peer.stat('new.txt');
      expect(node).toMatchObject({ kind: 'file', size: 5, md5: md5Hex('hello') });
      expect(typeof node?.dateMs).toBe('number');
      expect(await children(peer, '')).toEqual([{ ...node, name: 'new.txt' }]);
    });

    it('sends nothing when the file holds those bytes already', async () => {
      const { remote } = await world.folder();
      await put(remote, 'same.txt', 'same');
      const before = await remote.stat('same.txt');
      const again = await put(remote, 'same.txt', 'same');
      // The node it read before deciding is the one it reports.
      expect(again).toEqual({ sent: false, md5: md5Hex('same'), size: 4, node: before });
      expect(await remote.stat('same.txt')).toEqual(before);
    });

    it('replaces a file when the precondition allows, shown the node as it is, and dates the write later', async () => {
      const { remote } = await world.folder();
      await put(remote, 'f.txt', 'one');
      const first = await remote.stat('f.txt');
      const seen: (RemoteNode | undefined)[] = [];
      await put(remote, 'f.txt', 'two!', (now?: RemoteNode) => (seen.push(now), true));
      expect(seen).toEqual([first]);
      const second = await remote.stat('f.txt');
      expect(second).toMatchObject({ kind: 'file', size: 4, md5: md5Hex('two!') });
      expect(second!.dateMs!).toBeGreaterThanOrEqual(first!.dateMs!);
      expect((await fetch(remote, 'f.txt', { size: 4 })).bytes.toString()).toBe('two!');
    });

    it('writes nothing when the precondition says no (a conflict)', async () => {
      const { remote } = await world.folder();
      await put(remote, 'f.txt', 'one');
      const first = await remote.stat('f.txt');
      expect(await kindOf(put(remote, 'f.txt', 'two', () => false))).toBe('conflict');
      expect(await remote.stat('f.txt')).toEqual(first);
      expect(await kindOf(put(remote, 'new.txt', 'two', () => false))).toBe('conflict');
      expect(await remote.stat('new.txt')).toBeUndefined();
    });

    it('refuses to upload over a folder or into a folder that is not there', async () => {
      const { remote } = await world.folder();
      await remote.mkdir('dir');
      expect(await kindOf(put(remote, 'dir', 'x'))).toBe('exists');
      expect(await kindOf(put(remote, 'missing/f.txt', 'x'))).toBe('not-found');
      expect(await remote.stat('missing/f.txt')).toBeUndefined();
    });

    it('uploads an empty file as an empty node without a checksum, and downloads it empty', async () => {
      const { remote } = await world.folder();
      const r = await put(remote, 'empty', '');
      expect(r).toMatchObject({ sent: true, md5: EMPTY_MD5, size: 0 });
      expect(await remote.stat('empty')).toMatchObject({ kind: 'file', size: 0, md5: undefined });
      const d = await fetch(remote, 'empty', { size: 0 });
      expect(d.got).toMatchObject({ md5: EMPTY_MD5, size: 0 });
      expect(d.bytes.length).toBe(0);
      // An empty file replacing content.
      await put(remote, 'was-full', 'bytes');
      await put(remote, 'was-full', '');
      expect(await remote.stat('was-full')).toMatchObject({ kind: 'file', size: 0 });
    });

    it('refuses bytes that do not match the MD5 it was given, leaving nothing behind', async () => {
      const { remote } = await world.folder();
      const f = file('actual bytes');
      expect(
        await kindOf(
          remote.upload('f.txt', { file: f.file, md5: md5Hex('other'), precondition: () => true }),
        ),
      ).not.toBe('ok');
      expect(await remote.stat('f.txt')).toBeUndefined();
    });

    it('removes the empty node its push made when the upload is cut, and an upload over it then works', async () => {
      const { remote, peer } = await world.folder();
      const restore = world.cutUploads();
      try {
        expect(await kindOf(put(remote, 'cut.bin', 'some bytes'))).toMatch(/transient|unreachable/);
      } finally {
        restore();
      }
      expect(await peer.stat('cut.bin')).toBeUndefined();
      expect(remote.capabilities.placeholders).toBe(true);
      expect((await put(remote, 'cut.bin', 'some bytes')).sent).toBe(true);
      expect((await peer.stat('cut.bin'))?.md5).toBe(md5Hex('some bytes'));
    });

    it('downloads into a vetted temp file beside the destination, verified against what was planned', async () => {
      const { remote } = await world.folder();
      await put(remote, 'f.bin', 'downloaded bytes');
      const d = await fetch(remote, 'f.bin', { size: 16, md5: md5Hex('downloaded bytes') });
      expect(d.got).toMatchObject({ md5: md5Hex('downloaded bytes'), size: 16 });
      expect(d.bytes.toString()).toBe('downloaded bytes');
      expect(path.dirname(d.got.temp)).toBe(path.dirname(d.dest));
      expect(path.basename(d.got.temp)).toMatch(/^\.vosync-tmp-/);
      expect(d.guarded).toContain(d.got.temp);
      expect(fs.existsSync(d.dest)).toBe(false);
    });

    it('refuses to download other bytes than planned, or a file that is not there', async () => {
      const { remote } = await world.folder();
      await put(remote, 'f.bin', 'version two');
      expect(await kindOf(fetch(remote, 'f.bin', { size: 11, md5: md5Hex('version one') }))).toBe('conflict');
      expect(await kindOf(fetch(remote, 'f.bin', { size: 99 }))).toBe('conflict');
      expect(await kindOf(fetch(remote, 'gone.bin', { size: 3 }))).toBe('not-found');
    });

    it('lists a folder by local names, with kinds, sizes and checksums; a missing folder is not found', async () => {
      const { remote, peer } = await world.folder();
      await remote.mkdir('sub dir');
      await put(remote, 'sub dir/a file?.txt', 'aa');
      await put(remote, 'b.txt', 'b');
      const top = await children(peer, '');
      expect(top.map((c) => [c.name, c.kind, c.size, c.md5])).toEqual([
        ['b.txt', 'file', 1, md5Hex('b')],
        ['sub dir', 'dir', 0, undefined],
      ]);
      expect((await children(peer, 'sub dir')).map((c) => c.name)).toEqual(['a file?.txt']);
      expect(await kindOf(children(peer, 'nothing here'))).toBe('not-found');
    });

    it('says which names it cannot hold', () =>
      world.folder().then(({ remote }) => {
        expect(remote.nameProblem('ordinary name.txt')).toBeUndefined();
        expect(remote.nameProblem('x'.repeat(300))).toMatch(/too long|longer than/);
      }));

    it('moves files and folders; a file in the way is an error, a folder in the way receives the node', async () => {
      const { remote } = await world.folder();
      await put(remote, 'a.txt', 'a');
      await remote.move('a.txt', 'b.txt');
      expect(await remote.stat('a.txt')).toBeUndefined();
      expect((await remote.stat('b.txt'))?.md5).toBe(md5Hex('a'));
      await remote.mkdir('d');
      await put(remote, 'd/in.txt', 'in');
      await remote.move('d', 'e');
      expect((await remote.stat('e/in.txt'))?.md5).toBe(md5Hex('in'));
      expect(await remote.stat('d')).toBeUndefined();
      await put(remote, 'c.txt', 'c');
      expect(await kindOf(remote.move('c.txt', 'b.txt'))).toBe('exists');
      expect((await remote.stat('c.txt'))?.md5).toBe(md5Hex('c'));
      await remote.move('c.txt', 'e');
      expect((await remote.stat('e/c.txt'))?.md5).toBe(md5Hex('c'));
      expect(await kindOf(remote.move('nothing', 'somewhere'))).toBe('not-found');
    });

    it('deletes files and whole folders; deleting what is gone is no error', async () => {
      const { remote } = await world.folder();
      await put(remote, 'f.txt', 'f');
      await remote.delete('f.txt');
      expect(await remote.stat('f.txt')).toBeUndefined();
      await remote.mkdir('d/e', { parents: true });
      await put(remote, 'd/e/g.txt', 'g');
      await remote.delete('d', { recursive: true });
      expect(await remote.stat('d')).toBeUndefined();
      await remote.delete('f.txt');
      await remote.mkdir('empty');
      await remote.delete('empty');
      expect(await remote.stat('empty')).toBeUndefined();
      await remote.mkdir('full');
      await put(remote, 'full/x', 'x');
      expect(await kindOf(remote.delete('full'))).toBe('invalid');
      expect((await remote.stat('full/x'))?.md5).toBe(md5Hex('x'));
    });

    it('dates a moved node anew; what it holds keeps its dates', async () => {
      const { remote } = await world.folder();
      await remote.mkdir('d');
      await put(remote, 'd/f.txt', 'f');
      const inner = await remote.stat('d/f.txt');
      const before = await remote.stat('d');
      await remote.move('d', 'moved');
      expect((await remote.stat('moved'))!.dateMs!).toBeGreaterThanOrEqual(before!.dateMs!);
      expect(await remote.stat('moved/f.txt')).toEqual(inner);
    });
  });
}
