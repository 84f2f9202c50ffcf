/**
 * Security review of the embedded server, over real HTTP: pre-authorised URLs bound to their path and to
 * their issuer's current permissions, copies that read-check every node, links that do not bypass the
 * checks of the path they lead to, HEAD checked as GET, backslashes in paths, and the server's own files.
 */
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/server/server.js';
import {
  ALICE,
  BOB,
  CORE,
  GMS,
  HTTPSGET,
  HTTPSPUT,
  TEST_USERS,
  download,
  md5b64,
  mkdir,
  moveJob,
  negotiate,
  nodeXml,
  nodesUrl,
  setProps,
  startTestServer,
  transferXml,
  upload,
  vosUri,
  type TestServer,
} from './helpers.js';

const GROUPREAD = `${CORE}groupread`;
const GROUPWRITE = `${CORE}groupwrite`;
const SURVEY = `${GMS}survey`;

let ts: TestServer;

beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(() => ts.close());

describe('pre-authorised URLs', () => {
  it('refuses an ARC write URL once a folder on its path was swapped for a link to another user', async () => {
    await upload(ts, 'arc', 'home/alice/secret.txt', 'alice original');
    await mkdir(ts, 'arc', 'home/bob/d', BOB);
    const n = await negotiate(ts, 'arc', 'home/bob/d/secret.txt', 'pushToVoSpace', BOB, [{ uri: HTTPSPUT }]);
    const url = n.transfer.protocols[0]!.endpoint!;
    expect(url).toContain('/preauth:');
    expect((await ts.req('DELETE', nodesUrl('arc', 'home/bob/d/secret.txt'), { token: BOB })).status).toBe(
      200,
    );
    expect((await ts.req('DELETE', nodesUrl('arc', 'home/bob/d'), { token: BOB })).status).toBe(200);
    const link = nodeXml(vosUri('arc', 'home/bob/d'), 'LinkNode', {}, vosUri('arc', 'home/alice'));
    expect((await ts.req('PUT', nodesUrl('arc', 'home/bob/d'), { token: BOB, xml: link })).status).toBe(201);

    const put = await ts.req('PUT', url, { body: 'overwritten by bob' });
    expect(put.status).toBe(403);
    expect(put.text).toBe('PermissionDenied: vos://cadc.nrc.ca~arc/home/bob/d\n');
    expect((await download(ts, 'arc', 'home/alice/secret.txt')).text).toBe('alice original');
  });

  it('refuses a Vault write URL once its issuer lost write permission on the node', async () => {
    await mkdir(ts, 'vault', 'team', ALICE, { [GROUPREAD]: SURVEY });
    await upload(ts, 'vault', 'team/x.txt', 'alice text');
    expect((await setProps(ts, 'vault', 'team/x.txt', 'DataNode', { [GROUPWRITE]: SURVEY })).status).toBe(
      200,
    );
    const n = await negotiate(ts, 'vault', 'team/x.txt', 'pushToVoSpace', BOB);
    const url = n.transfer.protocols[0]!.endpoint!;
    expect((await setProps(ts, 'vault', 'team/x.txt', 'DataNode', { [GROUPWRITE]: null })).status).toBe(200);

    const put = await ts.req('PUT', url, { body: 'bob text' });
    expect(put.status).toBe(403);
    expect(put.text).toMatch(/^PermissionDenied: /);
    expect((await download(ts, 'vault', 'team/x.txt')).text).toBe('alice text');
  });

  it('refuses a read URL once its issuer is no longer in the group that let them read', async () => {
    const own = await startTestServer();
    try {
      await mkdir(own, 'vault', 'g', ALICE, { [GROUPREAD]: SURVEY });
      await upload(own, 'vault', 'g/r.txt', 'for the survey');
      await setProps(own, 'vault', 'g/r.txt', 'DataNode', { [GROUPREAD]: SURVEY });
      const files = await own.req('GET', '/vault/files/g/r.txt', { token: BOB });
      expect(files.status).toBe(303);
      const storagePath = new URL(files.headers['location']!).pathname;
      expect((await own.req('GET', storagePath)).text).toBe('for the survey');

      await own.restart(TEST_USERS.map((u) => (u.name === 'bob' ? { ...u, groups: [] } : u)));
      const r = await own.req('GET', storagePath);
      expect(r.status).toBe(403);
      expect(r.text).toBe('PermissionDenied: vos://cadc.nrc.ca~vault/g\n');
    } finally {
      await own.close();
    }
  });
});

describe('copies', () => {
  it('refuses to copy a folder holding a node the caller may not read, and copies nothing', async () => {
    await mkdir(ts, 'vault', 'cshare', ALICE, { [GROUPREAD]: SURVEY });
    await upload(ts, 'vault', 'cshare/pub.txt', 'for the survey');
    await setProps(ts, 'vault', 'cshare/pub.txt', 'DataNode', { [GROUPREAD]: SURVEY });
    await upload(ts, 'vault', 'cshare/inner.txt', 'alice only');
    expect((await download(ts, 'vault', 'cshare/inner.txt', BOB)).status).toBe(403);

    const job = await moveJob(ts, 'vault', 'cshare', 'bob/copy', true, BOB);
    expect(job.phase).toBe('ERROR');
    expect(job.errorMessage).toBe('PermissionDenied');
    expect((await ts.req('GET', nodesUrl('vault', 'bob/copy'), { token: BOB })).status).toBe(404);
    expect((await download(ts, 'vault', 'bob/copy/inner.txt', BOB)).status).toBe(404);
  });

  it('still copies a folder whose every node the caller may read', async () => {
    await mkdir(ts, 'vault', 'cpub', ALICE, { [GROUPREAD]: SURVEY });
    await upload(ts, 'vault', 'cpub/a.txt', 'readable');
    await setProps(ts, 'vault', 'cpub/a.txt', 'DataNode', { [GROUPREAD]: SURVEY });
    const job = await moveJob(ts, 'vault', 'cpub', 'bob/cpub', true, BOB);
    expect(job.phase).toBe('COMPLETED');
    expect((await download(ts, 'vault', 'bob/cpub/a.txt', BOB)).text).toBe('readable');
  });
});

describe('links', () => {
  beforeAll(async () => {
    // lpriv is alice's and private; lpriv/pub and the file in it are public.
    await mkdir(ts, 'vault', 'lpriv');
    await mkdir(ts, 'vault', 'lpriv/pub', ALICE, { [`${CORE}ispublic`]: 'true' });
    await upload(ts, 'vault', 'lpriv/pub/f.txt', 'behind a private folder');
    await setProps(ts, 'vault', 'lpriv/pub/f.txt', 'DataNode', { [`${CORE}ispublic`]: 'true' });
    for (const [name, target] of [
      ['bob/to-pub', 'lpriv/pub'],
      ['bob/to-file', 'lpriv/pub/f.txt'],
    ] as const) {
      const xml = nodeXml(vosUri('vault', name), 'LinkNode', {}, vosUri('vault', target));
      expect((await ts.req('PUT', nodesUrl('vault', name), { token: BOB, xml })).status).toBe(201);
    }
  });

  it('checks the folders above a link target as on a direct path (middle and leaf links)', async () => {
    const denied = 'PermissionDenied: vos://cadc.nrc.ca~vault/lpriv\n';
    const direct = await ts.req('GET', '/vault/files/lpriv/pub/f.txt', { token: BOB });
    expect([direct.status, direct.text]).toEqual([403, denied]);
    for (const p of [
      '/vault/files/bob/to-pub/f.txt',
      '/vault/files/bob/to-file',
      '/vault/nodes/bob/to-pub/f.txt',
    ]) {
      const r = await ts.req('GET', p, { token: BOB });
      expect([r.status, r.text], p).toEqual([403, denied]);
    }
    // The link itself stays readable to its owner, and alice still reads through it.
    expect((await ts.req('GET', nodesUrl('vault', 'bob/to-pub'), { token: BOB })).status).toBe(200);
    expect((await ts.req('GET', '/vault/files/bob/to-file', { token: ALICE })).status).toBe(303);
  });
});

describe('HEAD', () => {
  it('answers HEAD on /files exactly as GET for permissions: no size, MD5 or name of a private file', async () => {
    for (const [svc, dir] of [
      ['vault', 'hpub'],
      ['arc', 'projects/hpub'],
    ] as const) {
      // A private file in a public folder: only the check on the file itself stops the HEAD.
      await mkdir(ts, svc, dir, ALICE, { [`${CORE}ispublic`]: 'true' });
      const p = `${dir}/head-private.txt`;
      await upload(ts, svc, p, 'size and md5 are private too');
      for (const token of [BOB, undefined]) {
        const r = await ts.req('HEAD', `/${svc}/files/${p}`, token ? { token } : {});
        expect(r.status, `${svc} ${token ? 'bob' : 'anonymous'}`).toBe(403);
        expect(r.headers['digest']).toBeUndefined();
        expect(r.headers['content-disposition']).toBeUndefined();
      }
      const own = await ts.req('HEAD', `/${svc}/files/${p}`, { token: ALICE });
      expect(own.status).toBe(200);
      expect(own.headers['digest']).toBe(`md5=${md5b64('size and md5 are private too')}`);
    }
  });

  it('answers HEAD on a pre-authorised URL only while its issuer may read the node', async () => {
    await mkdir(ts, 'vault', 'hshare', ALICE, { [GROUPREAD]: SURVEY });
    await upload(ts, 'vault', 'hshare/h.txt', 'shared for a while');
    await setProps(ts, 'vault', 'hshare/h.txt', 'DataNode', { [GROUPREAD]: SURVEY });
    const files = await ts.req('GET', '/vault/files/hshare/h.txt', { token: BOB });
    const url = files.headers['location']!;
    expect((await ts.req('HEAD', url)).status).toBe(200);
    await setProps(ts, 'vault', 'hshare/h.txt', 'DataNode', { [GROUPREAD]: null });
    const r = await ts.req('HEAD', url);
    expect(r.status).toBe(403);
    expect(r.headers['digest']).toBeUndefined();
  });
});

describe('request paths', () => {
  it('refuses backslashes in paths with 400 InvalidURI before any check (they would read as slashes)', async () => {
    for (const p of [
      String.raw`/vault/nodes/bob\..\carol`,
      String.raw`/vault/nodes/bob\carol`,
      '/vault/nodes/bob%5C..%5Ccarol',
      String.raw`/vault\nodes\carol`,
      String.raw`/arc/nodes/home/bob\..\carol`,
      String.raw`/vault/files/bob\..\carol\x.txt`,
    ]) {
      const r = await ts.raw('GET', p, { token: BOB });
      expect(r.status, p).toBe(400);
      expect(r.text, p).toMatch(/^InvalidURI: /);
      expect(r.text, p).not.toContain('<vos:node');
    }
  });

  it('keeps pre-authorised tokens out of the request log, however the path around them is spelled', async () => {
    const lines: string[] = [];
    const own = await startTestServer({ log: (l) => lines.push(l) });
    try {
      await upload(own, 'vault', 'alice/logged.txt', 'x');
      const vault = (await negotiate(own, 'vault', 'alice/logged.txt', 'pullFromVoSpace')).transfer;
      const vaultToken = new URL(vault.protocols[0]!.endpoint!).pathname.split('/')[3]!;
      await upload(own, 'arc', 'home/alice/logged.txt', 'x');
      const arc = (
        await negotiate(own, 'arc', 'home/alice/logged.txt', 'pullFromVoSpace', ALICE, [{ uri: HTTPSGET }])
      ).transfer;
      const arcToken = new URL(arc.protocols[0]!.endpoint!).pathname.split('/')[3]!.slice('preauth:'.length);
      const paths = [
        `/vault/data/${vaultToken}/alice/logged.txt`,
        String.raw`/vault/data/${vaultToken}\alice\logged.txt`,
        String.raw`/vault\data\${vaultToken}\alice\logged.txt`,
        `/vault/data/${vaultToken}`,
        `/vault/data%2F${vaultToken}%2Falice`,
        String.raw`/arc/files\preauth:${arcToken}\home\alice\logged.txt`,
        `/arc/files/preauth%3A${arcToken}/home/alice/logged.txt`,
        // Spellings the server answers with 404 (found by the second attack pass).
        `/vault/%64ata/${vaultToken}/alice/logged.txt`,
        `/arc/files/%70reauth:${arcToken}/home/alice/logged.txt`,
        `/vault/data;x/${vaultToken}/alice/logged.txt`,
        `/vault/nodes/${vaultToken}`,
      ];
      const before = lines.length;
      for (const p of paths) await own.raw('GET', p);
      await expect.poll(() => lines.length - before, { timeout: 5000 }).toBeGreaterThanOrEqual(paths.length);
      const log = lines.join('\n');
      expect(log).not.toContain(vaultToken);
      expect(log).not.toContain(arcToken);
      expect(log).toContain(String.raw`GET /vault\data\<token>`);
    } finally {
      await own.close();
    }
  });
});

describe("the server's own files", () => {
  const mode = (f: string) => fs.statSync(f).mode & 0o777;
  const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'vosync-sec-'));
  const start = (dataDir: string) => startServer({ dataDir, port: 0, users: TEST_USERS, admin: 'alice' });

  it('keeps the data directory 0700 and its files 0600, the pre-auth key in its own file', async () => {
    const own = await startTestServer();
    try {
      await upload(own, 'arc', 'home/alice/mode.txt', 'private bytes');
      await upload(own, 'vault', 'alice/mode.txt', 'private bytes');
      const d = own.dataDir;
      const dirs = [d, path.join(d, 'blobs'), path.join(d, 'tmp')];
      const files = ['nodes.sqlite', 'nodes.sqlite-wal', 'nodes.sqlite-shm', 'preauth.key', 'serve.lock'];
      const blobs = fs.readdirSync(path.join(d, 'blobs')).map((b) => path.join(d, 'blobs', b));
      expect(blobs.length).toBeGreaterThan(0);
      for (const dir of [...dirs, ...blobs]) expect([dir, mode(dir)]).toEqual([dir, 0o700]);
      const blobFiles = blobs.flatMap((b) => fs.readdirSync(b).map((f) => path.join(b, f)));
      for (const f of [...files.map((f) => path.join(d, f)), ...blobFiles])
        expect([f, mode(f)]).toEqual([f, 0o600]);
      expect(fs.readFileSync(path.join(d, 'preauth.key'), 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
      const db = new Database(path.join(d, 'nodes.sqlite'), { readonly: true });
      try {
        expect(db.prepare('SELECT key FROM meta').all()).toEqual([]);
      } finally {
        db.close();
      }
    } finally {
      await own.close();
    }
  });

  it('moves a pre-auth key kept in the database by an older version into its file (URLs stay valid)', async () => {
    const own = await startTestServer();
    try {
      await upload(own, 'vault', 'alice/kept.txt', 'signed before');
      const url = (await own.req('GET', '/vault/files/alice/kept.txt', { token: ALICE })).headers[
        'location'
      ]!;
      const storagePath = new URL(url).pathname;
      await own.srv.close();
      // What an older version left: the key in the meta table, no key file, world-readable files.
      const keyFile = path.join(own.dataDir, 'preauth.key');
      const key = fs.readFileSync(keyFile, 'utf8').trim();
      fs.rmSync(keyFile);
      const db = new Database(path.join(own.dataDir, 'nodes.sqlite'));
      db.prepare("INSERT INTO meta (key, value) VALUES ('secret', ?)").run(key);
      db.close();
      fs.chmodSync(own.dataDir, 0o755);
      fs.chmodSync(path.join(own.dataDir, 'nodes.sqlite'), 0o644);

      own.srv = await start(own.dataDir);
      own.base = own.srv.baseUrl;
      expect((await own.req('GET', storagePath)).text).toBe('signed before');
      expect(fs.readFileSync(keyFile, 'utf8').trim()).toBe(key);
      expect(mode(keyFile)).toBe(0o600);
      expect(mode(own.dataDir)).toBe(0o700);
      expect(mode(path.join(own.dataDir, 'nodes.sqlite'))).toBe(0o600);
      const check = new Database(path.join(own.dataDir, 'nodes.sqlite'), { readonly: true });
      try {
        expect(check.prepare('SELECT key FROM meta').all()).toEqual([]);
      } finally {
        check.close();
      }
    } finally {
      await own.close();
    }
  });

  it('refuses a second server on the same data directory, naming the pid; takes over a stale lock', async () => {
    const dir = tempDir();
    const dataDir = path.join(dir, 'data');
    try {
      const first = await start(dataDir);
      await expect(start(dataDir)).rejects.toThrow(
        `data directory ${dataDir} is in use by another vosync serve (pid ${process.pid})`,
      );
      // The refused start changed nothing: the first server still serves.
      expect(
        (await fetch(`${first.baseUrl}/vault/nodes/alice`, { headers: { Authorization: `Bearer ${ALICE}` } }))
          .status,
      ).toBe(200);
      await first.close();
      expect(fs.existsSync(path.join(dataDir, 'serve.lock'))).toBe(false);

      // Locks of processes that are gone: a dead pid, and our own pid left by an earlier life of it.
      const dead = spawnSync(process.execPath, ['-e', '']).pid!;
      for (const pid of [dead, process.pid]) {
        fs.writeFileSync(path.join(dataDir, 'serve.lock'), `${pid}\n`);
        const srv = await start(dataDir);
        expect(fs.readFileSync(path.join(dataDir, 'serve.lock'), 'utf8')).toBe(`${process.pid}\n`);
        await srv.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** One request from a given local address (127.0.0.x), so a test can play several clients. */
function fromAddress(
  localAddress: string,
  port: number,
  method: string,
  p: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const h =
      body === undefined ? headers : { ...headers, 'Content-Length': String(Buffer.byteLength(body)) };
    const r = http.request({
      host: '127.0.0.1',
      port,
      localAddress,
      method,
      path: p,
      headers: h,
      agent: false,
    });
    r.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    r.on('error', reject);
    r.end(body);
  });
}

/** A raw TCP client: what it received, and when the server closed the connection. */
function rawClient(
  port: number,
): Promise<{ socket: net.Socket; received: () => string; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let data = '';
    socket.setEncoding('utf8').on('data', (d: string) => (data += d));
    const opened = Date.now();
    const closed = new Promise<number>((done) => socket.once('close', () => done(Date.now() - opened)));
    socket.once('connect', () => resolve({ socket, received: () => data, closed }));
    socket.once('error', reject);
  });
}

const within = <T>(p: Promise<T>, ms: number): Promise<T | 'still open'> =>
  Promise.race([p, new Promise<'still open'>((r) => setTimeout(() => r('still open'), ms))]);

describe('throttling and timeouts', () => {
  it('answers 429 with Retry-After after 10 bad bearer tokens from one client in a minute', async () => {
    let clock = Date.now();
    const own = await startTestServer({ now: () => clock });
    try {
      const port = own.srv.port;
      const bad = { Authorization: 'Bearer not-a-real-token' };
      for (let i = 0; i < 10; i++) {
        expect((await fromAddress('127.0.0.1', port, 'GET', '/vault/nodes/alice', bad)).status).toBe(401);
      }
      const throttled = await fromAddress('127.0.0.1', port, 'GET', '/vault/nodes/alice', bad);
      expect(throttled.status).toBe(429);
      expect(throttled.text).toMatch(/^TooManyRequests: /);
      expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(throttled.headers['retry-after'])).toBeLessThanOrEqual(60);
      // Checked before the token: a right guess would not be recognised either.
      const good = { Authorization: `Bearer ${ALICE}` };
      expect((await fromAddress('127.0.0.1', port, 'GET', '/vault/nodes/alice', good)).status).toBe(429);
      // Anonymous requests and other clients are not affected.
      expect((await fromAddress('127.0.0.1', port, 'GET', '/vault/nodes/')).status).toBe(200);
      expect((await fromAddress('127.0.0.2', port, 'GET', '/vault/nodes/alice', good)).status).toBe(200);
      clock += 61_000;
      expect((await fromAddress('127.0.0.1', port, 'GET', '/vault/nodes/alice', good)).status).toBe(200);
    } finally {
      await own.close();
    }
  });

  it('throttles /ac/login per client and per user name after 10 failures', async () => {
    const own = await startTestServer();
    try {
      const port = own.srv.port;
      const login = (from: string, username: string, password: string) =>
        fromAddress(
          from,
          port,
          'POST',
          '/ac/login',
          { 'Content-Type': 'application/x-www-form-urlencoded' },
          new URLSearchParams({ username, password }).toString(),
        );
      for (let i = 0; i < 10; i++) expect((await login('127.0.0.1', 'carol', `guess${i}`)).status).toBe(401);
      const r = await login('127.0.0.1', 'carol', 'carolpassword');
      expect(r.status).toBe(429);
      expect(r.headers['retry-after']).toBeDefined();
      // The user name is throttled from any client; other users from another client are not.
      expect((await login('127.0.0.2', 'carol', 'carolpassword')).status).toBe(429);
      const alice = await login('127.0.0.3', 'alice', ALICE);
      expect([alice.status, alice.text]).toEqual([200, ALICE]);
    } finally {
      await own.close();
    }
  });

  it('drops a client that sends 2 of 100 body bytes, or stalls in its headers', async () => {
    const own = await startTestServer({ limits: { bodyIdleTimeoutMs: 300, headersTimeoutMs: 400 } });
    try {
      const slowBody = await rawClient(own.srv.port);
      slowBody.socket.write(
        `PUT /arc/files/home/alice/slow.txt HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ALICE}\r\n` +
          'Content-Length: 100\r\n\r\nab',
      );
      const slowHeaders = await rawClient(own.srv.port);
      slowHeaders.socket.write('GET /vault/nodes/alice HTTP/1.1\r\nHost: x\r\n');
      const bodyClosed = await within(slowBody.closed, 5000);
      expect(bodyClosed).not.toBe('still open');
      expect(bodyClosed).toBeGreaterThanOrEqual(250);
      expect(await within(slowHeaders.closed, 5000)).not.toBe('still open');
      // Nothing was stored for the cut upload.
      expect((await own.req('GET', nodesUrl('arc', 'home/alice/slow.txt'), { token: ALICE })).status).toBe(
        404,
      );
      // A request that keeps sending is not cut.
      expect((await upload(own, 'arc', 'home/alice/fast.txt', 'x'.repeat(100))).status).toBe(201);
    } finally {
      await own.close();
    }
  });

  it('closes at once connections of one client address beyond the cap', async () => {
    const own = await startTestServer({ limits: { connectionsPerClient: 3 } });
    const clients: Awaited<ReturnType<typeof rawClient>>[] = [];
    const get = 'GET /vault/nodes/ HTTP/1.1\r\nHost: x\r\n\r\n';
    const answered = async (c: Awaited<ReturnType<typeof rawClient>>) => {
      c.socket.write(get);
      await expect.poll(() => c.received(), { timeout: 5000 }).toMatch(/^HTTP\/1\.1 200 /);
    };
    try {
      for (let i = 0; i < 3; i++) {
        clients.push(await rawClient(own.srv.port));
        await answered(clients[i]!);
      }
      const fourth = await rawClient(own.srv.port);
      fourth.socket.write(get);
      expect(await within(fourth.closed, 5000)).not.toBe('still open');
      expect(fourth.received()).toBe('');
      // Another client address still gets in; and once one closes, this one may open another.
      expect((await fromAddress('127.0.0.2', own.srv.port, 'GET', '/vault/nodes/')).status).toBe(200);
      clients[0]!.socket.destroy();
      await clients[0]!.closed;
      await expect
        .poll(async () => (await fromAddress('127.0.0.1', own.srv.port, 'GET', '/vault/nodes/')).status, {
          timeout: 5000,
        })
        .toBe(200);
    } finally {
      for (const c of clients) c.socket.destroy();
      await own.close();
    }
  });
});

describe('UWS jobs', () => {
  it('keeps anonymous jobs a few minutes and only for the client address that created them', async () => {
    let clock = Date.now();
    const own = await startTestServer({ now: () => clock });
    try {
      const port = own.srv.port;
      await mkdir(own, 'vault', 'apub', ALICE, { [`${CORE}ispublic`]: 'true' });
      await upload(own, 'vault', 'apub/a.txt', 'public');
      await setProps(own, 'vault', 'apub/a.txt', 'DataNode', { [`${CORE}ispublic`]: 'true' });
      const xml = transferXml(vosUri('vault', 'apub/a.txt', '!'), 'pullFromVoSpace', {
        protocols: [{ uri: HTTPSGET }],
      });
      const post = await fromAddress(
        '127.0.0.1',
        port,
        'POST',
        '/vault/synctrans',
        { 'Content-Type': 'text/xml' },
        xml,
      );
      expect(post.status).toBe(303);
      const job = new URL(post.headers['location']!).pathname.replace(/\/results\/transferDetails$/, '');

      const mine = await fromAddress('127.0.0.1', port, 'GET', job);
      expect(mine.status).toBe(200);
      const destruction = Date.parse(/<uws:destruction>([^<]+)</.exec(mine.text)![1]!);
      expect(destruction - clock).toBeLessThanOrEqual(5 * 60_000);
      for (const headers of [{}, { Authorization: `Bearer ${BOB}` }] as Record<string, string>[]) {
        const other = await fromAddress('127.0.0.2', port, 'GET', job, headers);
        expect([other.status, other.text]).toEqual([403, `PermissionDenied: job ${job.split('/').pop()}\n`]);
      }
      clock += 6 * 60_000;
      expect((await fromAddress('127.0.0.1', port, 'GET', job)).status).toBe(404);
    } finally {
      await own.close();
    }
  });

  it('keeps at most jobsPerCaller jobs per caller: a new one replaces their oldest', async () => {
    const own = await startTestServer({ limits: { jobsPerCaller: 3 } });
    try {
      const jobs: string[] = [];
      for (let i = 0; i < 4; i++) {
        const r = await own.req('POST', '/vault/async-delete', {
          token: BOB,
          form: { target: vosUri('vault', `bob/none${i}`) },
        });
        expect(r.status).toBe(303);
        jobs.push(r.headers['location']!);
      }
      const statuses = await Promise.all(
        jobs.map(async (j) => (await own.req('GET', j, { token: BOB })).status),
      );
      expect(statuses).toEqual([404, 200, 200, 200]);
      // Another user's jobs are not counted against bob.
      const alice = await own.req('POST', '/vault/async-delete', {
        token: ALICE,
        form: { target: vosUri('vault', 'alice/none') },
      });
      expect((await own.req('GET', alice.headers['location']!, { token: ALICE })).status).toBe(200);
      expect((await own.req('GET', jobs[1]!, { token: BOB })).status).toBe(200);
    } finally {
      await own.close();
    }
  });
});
