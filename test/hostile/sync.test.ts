/**
 * Whole sync cycles against the hostile double: a server that turns 401 half-way, listings with poisoned names,
 * names that collide with vosync's private folder, link nodes pointing at local files, and a local folder that
 * is a symbolic link out of the pair. Nothing may be written outside the pair folder, nothing deleted on either
 * side, and every problem is reported with the path it concerns.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SyncIndex } from '../../src/agent/store/index-db.js';
import { syncPair, type PairContext } from '../../src/agent/engine/pair-sync.js';
import type { Client } from '../../src/vospace/client.js';
import { VosError } from '../../src/vospace/errors.js';
import { HostileServer, fileChild, listingWith, nodeElement, prop, vosUri } from './hostile-server.js';
import { changed, fastClient, makePair, snapshot, tempDir } from './helpers.js';
import { TEMP_PREFIX } from '../../src/util/temp-files.js';
import { md5Hex } from '../../src/util/md5.js';

let hs: HostileServer;
let root: string;
let client: Client;
let n = 0;
let local: string;
let ctx: PairContext;
let index: SyncIndex;
let outside: string;
let outsideBefore: Map<string, string>;
let pairPath: string;

beforeAll(async () => {
  hs = await HostileServer.start();
  root = tempDir('sync');
  outside = path.join(root, 'outside');
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'precious.txt'), 'not part of any pair');
});

afterAll(async () => {
  await hs.close();
  fs.rmSync(root, { recursive: true, force: true });
});

beforeEach(() => {
  n++;
  hs.reset();
  pairPath = `alice/pair${n}`;
  hs.put(pairPath, { kind: 'dir' });
  client = fastClient(hs.registryUrl, path.join(root, `cache${n}`));
  local = path.join(root, `pair${n}`);
  fs.mkdirSync(local);
  ({ ctx, index } = makePair(client, root, `p${n}`, local, `vos:${pairPath}`));
  outsideBefore = snapshot(outside);
});

afterEach(async () => {
  index.close();
  await client.close();
  expect(changed(outsideBefore, snapshot(outside))).toEqual([]);
  // Every request that changes something stayed inside the pair's remote folder.
  for (const r of hs.requests.filter((q) => q.method !== 'GET' && q.method !== 'HEAD')) {
    const p = decodeURIComponent(new URL(r.url, hs.base).pathname);
    if (p === '/vault/synctrans') {
      expect(r.body.toString()).toContain(`<vos:target>${vosUri(pairPath)}`);
      continue;
    }
    expect(p).toMatch(new RegExp(`^/(vault/nodes|data)/${pairPath}(/|$)`));
  }
});

const localFiles = () => [...snapshot(local).keys()].filter((p) => !p.startsWith('.vosync')).sort();

describe('sync against a hostile server', () => {
  it('a server that answers 401 half-way: failures are reported, nothing partial is left', async () => {
    for (let i = 0; i < 6; i++) hs.file(`${pairPath}/f${i}.txt`, `content ${i}`);
    let dataRequests = 0;
    hs.script = (req, res, { url }) => {
      if (!url.pathname.startsWith('/data/')) return false;
      if (++dataRequests <= 2) return false;
      res.writeHead(401, { 'content-type': 'text/plain' });
      res.end('NotAuthenticated: token expired');
      return true;
    };
    ctx.concurrency = 1;
    const r = await syncPair(ctx);
    expect(r.paused).toBeUndefined();
    expect(r.report?.done).toBeGreaterThanOrEqual(2);
    expect(r.report?.failed.length).toBe(4);
    for (const f of r.report!.failed) {
      expect(f).toMatchObject({ type: 'download', kind: 'auth', transient: false });
      expect(f.message).toMatch(new RegExp(`^vos:${pairPath}/f\\d\\.txt: NotAuthenticated: token expired$`));
    }
    const got = localFiles();
    expect(got.length).toBe(2);
    for (const g of got) expect(fs.readFileSync(path.join(local, g), 'utf8')).toBe(`content ${g[1]}`);
    expect(fs.readdirSync(local).filter((x) => x.startsWith(TEMP_PREFIX))).toEqual([]);
    expect(r.clean).toBe(false);
  });

  it('a server that answers 401 while listing a subfolder: the cycle stops with an auth error, nothing changes', async () => {
    hs.file(`${pairPath}/a.txt`, 'a');
    hs.file(`${pairPath}/sub/b.txt`, 'b');
    const first = await syncPair(ctx);
    expect(first.report?.failed).toEqual([]);
    const before = snapshot(local);
    hs.script = (_req, res, { url }) => {
      if (url.pathname !== `/vault/nodes/${pairPath}/sub`) return false;
      res.writeHead(401, { 'content-type': 'text/plain' });
      res.end('NotAuthenticated: token expired');
      return true;
    };
    let caught: unknown;
    try {
      await syncPair(ctx);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(VosError);
    expect((caught as VosError).kind).toBe('auth');
    expect((caught as VosError).message).toBe(`vos:${pairPath}/sub: NotAuthenticated: token expired`);
    expect(changed(before, snapshot(local))).toEqual([]);
    expect([...index.loadRemoteTree(first.pairId).keys()].sort()).toEqual(['a.txt', 'sub', 'sub/b.txt']);
  });

  it("a listing with a '..' child: the folder is reported unlisted and nothing is deleted locally", async () => {
    hs.file(`${pairPath}/a.txt`, 'a');
    const first = await syncPair(ctx);
    expect(first.report?.failed).toEqual([]);
    expect(localFiles()).toEqual(['a.txt']);
    hs.script = (_req, res, { url }) => {
      if (url.pathname !== `/vault/nodes/${pairPath}` || url.searchParams.get('limit') === '0') return false;
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(listingWith(pairPath, [fileChild(`vos://cadc.nrc.ca~vault/${pairPath}/..`, { length: '1' })]));
      return true;
    };
    const r = await syncPair(ctx);
    expect(r.remoteProblems).toEqual([
      { path: '', message: expect.stringContaining("'..' is not a valid node name") },
    ]);
    expect(r.summary?.deleteLocal ?? 0).toBe(0);
    expect(localFiles()).toEqual(['a.txt']);
  });

  it("remote names that collide with vosync's own folder and temp files are never downloaded", async () => {
    hs.file(`${pairPath}/.vosync/root-marker`, 'forged marker');
    hs.file(`${pairPath}/.vosync/trash/x.txt`, 'forged trash');
    hs.file(`${pairPath}/${TEMP_PREFIX}a.txt.x.part`, 'forged temp');
    hs.file(`${pairPath}/fine.txt`, 'fine');
    const r = await syncPair(ctx);
    expect(r.report?.failed).toEqual([]);
    expect(localFiles()).toEqual(['fine.txt']);
    expect(fs.readFileSync(path.join(local, '.vosync/root-marker'), 'utf8')).not.toContain('forged');
    expect(fs.existsSync(path.join(local, '.vosync/trash/x.txt'))).toBe(false);
  });

  it('a link node pointing at a local file is reported and never followed', async () => {
    hs.file(`${pairPath}/fine.txt`, 'fine');
    hs.script = (_req, res, { url }) => {
      if (url.pathname !== `/vault/nodes/${pairPath}` || url.searchParams.get('limit') === '0') return false;
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(
        listingWith(pairPath, [
          fileChild(vosUri(`${pairPath}/fine.txt`), { length: '4', md5: md5Hex('fine') }),
          nodeElement(
            vosUri(`${pairPath}/passwd`),
            'LinkNode',
            [prop('date', '2026-01-02T03:04:05.000')],
            '<vos:target>file:///etc/passwd</vos:target>',
          ),
        ]),
      );
      return true;
    };
    const r = await syncPair(ctx);
    expect(r.remoteProblems).toEqual([{ path: 'passwd', message: 'link node not synced' }]);
    expect(localFiles()).toEqual(['fine.txt']);
  });

  it('never downloads through a local folder that is a symbolic link out of the pair', async () => {
    hs.file(`${pairPath}/sub/evil.txt`, 'written through a link');
    hs.file(`${pairPath}/sub/precious.txt`, 'overwrites the outside file');
    hs.file(`${pairPath}/ok.txt`, 'ok');
    fs.symlinkSync(outside, path.join(local, 'sub'));
    const r = await syncPair(ctx);
    expect(r.paused).toBeUndefined();
    expect(fs.readFileSync(path.join(local, 'ok.txt'), 'utf8')).toBe('ok');
    const blocked = [...(r.report?.skipped ?? []), ...(r.report?.failed ?? [])].map((x) => x.path);
    expect(blocked).toEqual(expect.arrayContaining(['sub/evil.txt', 'sub/precious.txt']));
    expect(r.report?.failed).toContainEqual(
      expect.objectContaining({
        path: 'sub/evil.txt',
        kind: 'local',
        transient: false,
        message: expect.stringContaining('because sub is a symbolic link or not a folder'),
      }),
    );
    expect(fs.readFileSync(path.join(outside, 'precious.txt'), 'utf8')).toBe('not part of any pair');
  });
});
