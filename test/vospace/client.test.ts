import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../../src/vospace/client.js';
import { VosError } from '../../src/vospace/errors.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { md5Hex } from '../../src/util/md5.js';

let srv: RunningServer;
let tmp: string;
let client: Client;
let bobClient: Client;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vosync-client-'));
  srv = await startServer({
    dataDir: path.join(tmp, 'server'),
    users: [
      { name: 'alice', token: 'alicetoken1' },
      { name: 'bob', token: 'bobtoken12', groups: ['survey'] },
    ],
    admin: 'alice',
  });
  const common = {
    registryUrl: `${srv.baseUrl}/reg/resource-caps`,
    cacheDir: path.join(tmp, 'cache'),
    pageSize: 7,
  };
  client = new Client({ ...common, credentials: { kind: 'token', token: 'alicetoken1' } });
  bobClient = new Client({
    ...common,
    cacheDir: path.join(tmp, 'cache-bob'),
    credentials: { kind: 'token', token: 'bobtoken12' },
  });
});

afterAll(async () => {
  await client.close();
  await bobClient.close();
  await srv.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

for (const area of ['vos:alice', 'arc:home/alice']) {
  describe(`client against ${area}`, () => {
    const base = `${area}/lib`;

    it('makes directories with parents and tells files from containers', async () => {
      await client.mkdir(`${base}/a/b/c`, { parents: true });
      await client.mkdir(`${base}/a/b/c`, { parents: true });
      expect(await client.isdir(`${base}/a/b`)).toBe(true);
      expect(await client.isfile(`${base}/a/b`)).toBe(false);
      expect(await client.exists(`${base}/nope`)).toBe(false);
      await expect(client.mkdir(`${base}/a`)).rejects.toMatchObject({ kind: 'exists' });
      await expect(client.mkdir(`${base}/missing/x`)).rejects.toMatchObject({ kind: 'not-found' });
    });

    it('uploads and downloads small, empty, >5 MiB and unicode-named files with verified MD5', async () => {
      const files: Record<string, Buffer> = {
        'small.txt': Buffer.from('hello vospace\n'),
        'empty.dat': Buffer.alloc(0),
        'big.bin': randomBytes(5 * 1024 * 1024 + 123),
        'étoile_λ-1.fits': randomBytes(1000),
      };
      for (const [name, data] of Object.entries(files)) {
        const local = path.join(tmp, `up-${name}`);
        fs.writeFileSync(local, data);
        const up = await client.upload(local, `${base}/${name}`);
        expect(up).toMatchObject({ md5: md5Hex(data), size: data.length, skipped: false });
        const info = await client.getInfo(`${base}/${name}`);
        expect(info.kind).toBe('file');
        expect(info.size).toBe(data.length);
        if (data.length > 0) expect(info.md5).toBe(md5Hex(data));
        const back = path.join(tmp, `down-${area.replace(/\W/g, '')}-${name}`);
        const down = await client.download(`${base}/${name}`, back);
        expect(down.skipped).toBe(false);
        expect(md5Hex(fs.readFileSync(back))).toBe(md5Hex(data));
        expect(fs.readdirSync(tmp).filter((f) => f.startsWith('.vosync-tmp-'))).toEqual([]);
      }
      const again = await client.upload(path.join(tmp, 'up-small.txt'), `${base}/small.txt`);
      expect(again.skipped).toBe(true);
      const downAgain = await client.download(
        `${base}/small.txt`,
        path.join(tmp, `down-${area.replace(/\W/g, '')}-small.txt`),
      );
      expect(downAgain.skipped).toBe(true);
    });

    it('lists containers larger than one page, in full', async () => {
      await client.mkdir(`${base}/many`, { parents: true });
      const local = path.join(tmp, 'one.txt');
      fs.writeFileSync(local, 'x');
      const names = Array.from({ length: 23 }, (_, i) => `f${String(i).padStart(2, '0')}.txt`);
      for (const n of names) await client.upload(local, `${base}/many/${n}`);
      const listed = await client.listdir(`${base}/many`);
      expect([...listed].sort()).toEqual(names);
      const infos = await client.list(`${base}/many`);
      expect(infos.every((i) => i.size === 1 && i.kind === 'file')).toBe(true);
    });

    it('moves, renames, links, sets properties, locks and deletes recursively', async () => {
      await client.mkdir(`${base}/mv/dst`, { parents: true });
      const local = path.join(tmp, 'mv.txt');
      fs.writeFileSync(local, 'move me');
      await client.upload(local, `${base}/mv/file.txt`);
      await client.move(`${base}/mv/file.txt`, `${base}/mv/renamed.txt`);
      expect(await client.exists(`${base}/mv/file.txt`)).toBe(false);
      await client.move(`${base}/mv/renamed.txt`, `${base}/mv/dst`);
      expect(await client.isfile(`${base}/mv/dst/renamed.txt`)).toBe(true);
      await expect(client.move(`${base}/mv/nothere`, `${base}/mv/x`)).rejects.toMatchObject({
        kind: 'not-found',
      });

      const link = await client.link(`${base}/mv/dst/renamed.txt`, `${base}/mv/ln`);
      expect(link.kind).toBe('link');
      expect(link.target).toMatch(/mv\/dst\/renamed\.txt$/);

      const withTag = await client.setProperties(`${base}/mv/dst/renamed.txt`, {
        'ivo://example.org/quality': 'good',
      });
      expect(withTag.properties['ivo://example.org/quality']).toBe('good');
      const untagged = await client.setProperties(`${base}/mv/dst/renamed.txt`, {
        'ivo://example.org/quality': null,
      });
      expect(untagged.properties['ivo://example.org/quality']).toBeUndefined();
      const pub = await client.chmod(`${base}/mv/dst/renamed.txt`, { public: true, readGroups: ['survey'] });
      expect(pub).toMatchObject({ isPublic: true, readGroups: ['survey'] });

      if (area.startsWith('vos:')) {
        await client.lock(`${base}/mv/dst/renamed.txt`, true);
        expect((await client.getInfo(`${base}/mv/dst/renamed.txt`)).locked).toBe(true);
        await expect(client.delete(`${base}/mv/dst/renamed.txt`)).rejects.toMatchObject({
          kind: 'permission',
        });
        await client.lock(`${base}/mv/dst/renamed.txt`, false);
      }
      await expect(client.delete(`${base}/mv`)).rejects.toMatchObject({ kind: 'invalid' });
      await client.delete(`${base}/mv`, { recursive: true });
      expect(await client.exists(`${base}/mv`)).toBe(false);
    });

    it('refuses another user without permission and reports it as a permission error', async () => {
      const local = path.join(tmp, 'private.txt');
      fs.writeFileSync(local, 'secret');
      await client.upload(local, `${base}/private.txt`);
      await expect(bobClient.upload(local, `${base}/bob-was-here.txt`)).rejects.toBeInstanceOf(VosError);
      await expect(
        bobClient.download(`${base}/private.txt`, path.join(tmp, 'stolen.txt')),
      ).rejects.toMatchObject({
        kind: 'permission',
      });
      expect(fs.existsSync(path.join(tmp, 'stolen.txt'))).toBe(false);
    });
  });
}

describe('client errors', () => {
  it('rejects bad locations before any request', () => {
    expect(() => client.location('vos:alice/../../etc')).toThrow(/above the service root/);
    expect(() => client.location('ftp:alice')).toThrow(/unknown scheme/);
    expect(() => client.location('vos:alice/a b')).toThrow(/space/);
  });

  it('reports a missing node with its path', async () => {
    await expect(client.getInfo('vos:alice/does/not/exist')).rejects.toMatchObject({
      kind: 'not-found',
      message: expect.stringContaining('vos:alice/does/not/exist'),
    });
  });
});
