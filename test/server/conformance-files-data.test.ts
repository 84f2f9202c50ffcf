/**
 * Conformance over real HTTP: `/files` (Vault: 303 to a pre-authorised URL; ARC: bytes served and stored
 * directly), data headers, ranges, empty data, Digest checks that keep the old content, interrupted uploads,
 * and persistence across a restart on the same data directory. PUT transactions: conformance-put-txn.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALICE,
  BOB,
  CAROL,
  CORE,
  interruptedPut,
  md5b64,
  mkdir,
  negotiate,
  nodeXml,
  nodesUrl,
  readNode,
  startTestServer,
  upload,
  vosUri,
  type Service,
  type TestServer,
} from './helpers.js';
import { md5Hex } from '../../src/util/md5.js';

let ts: TestServer;
let clock = Date.now();

beforeAll(async () => {
  ts = await startTestServer({ now: () => clock });
  // A public area owned by alice so other users can reach what is inside.
  for (const [svc, p] of [
    ['vault', 'shared'],
    ['arc', 'projects/shared'],
  ] as const) {
    await mkdir(ts, svc, p, ALICE, { [`${CORE}ispublic`]: 'true', [`${CORE}creator`]: 'alice' });
  }
});

afterAll(async () => {
  await ts.close();
});

const RFC1123 = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** The URL bytes are PUT to: a negotiated pre-authorised URL (Vault) or /files (ARC). */
async function putUrl(svc: Service, p: string): Promise<string> {
  if (svc === 'arc') return `${ts.base}/arc/files/${p}`;
  const n = await negotiate(ts, svc, p, 'pushToVoSpace');
  return n.transfer.protocols[0]!.endpoint!;
}

async function fetchBytes(
  svc: Service,
  p: string,
  token: string | undefined = ALICE,
  headers: Record<string, string> = {},
) {
  const o = { ...(token ? { token } : {}), headers };
  const r = await ts.req('GET', `/${svc}/files/${p}`, o);
  if (svc === 'vault' && r.status === 303) return ts.req('GET', r.headers['location']!, { headers });
  return r;
}

describe('vault /files', () => {
  it('GET answers 303 to a short-lived pre-authorised data URL that serves the bytes with CADC headers', async () => {
    const p = 'alice/report.fits';
    const body = Buffer.from('SIMPLE  =                    T / fits');
    await upload(ts, 'vault', p, body);
    const r = await ts.req('GET', `/vault/files/${p}?SUB=${encodeURIComponent('[1]')}`, { token: ALICE });
    expect(r.status).toBe(303);
    const loc = r.headers['location']!;
    expect(loc.startsWith(ts.base)).toBe(true);
    expect(loc).toContain(`SUB=${encodeURIComponent('[1]')}`);
    // With the query the storage answers a cutout (conformance-cutouts.test.ts); without it, the bytes.
    expect((await ts.req('GET', loc)).status).toBe(400);
    const d = await ts.req('GET', loc.replace(/\?.*$/, ''));
    expect(d.status).toBe(200);
    expect(d.body.equals(body)).toBe(true);
    expect(d.headers['content-length']).toBe(String(body.length));
    expect(d.headers['digest']).toBe(`md5=${md5b64(body)}`);
    expect(d.headers['content-disposition']).toBe('inline; filename="report.fits"');
    expect(d.headers['last-modified']).toMatch(RFC1123);
    expect(d.headers['accept-ranges']).toBe('bytes');
    expect(d.headers['content-type']).toBeDefined();
    expect(d.headers['etag']).toBeUndefined();

    // The grant is bound to its node and expires.
    const other = loc.replace('/alice/report.fits', '/alice/other.fits');
    expect((await ts.req('GET', other)).status).toBe(403);
    const tampered = loc.replace(/\/data\/([^/]+)\//, (_m, t: string) => `/data/${t.slice(0, -2)}xx/`);
    expect((await ts.req('GET', tampered)).status).toBe(403);
    clock += 24 * 3600_000;
    try {
      expect((await ts.req('GET', loc)).status).toBe(403);
    } finally {
      clock -= 24 * 3600_000;
    }
  });

  it('HEAD gives metadata headers; HEAD and GET need read permission', async () => {
    const p = 'shared/private.txt';
    await ts.req('PUT', nodesUrl('vault', p), { token: ALICE, xml: nodeXml(vosUri('vault', p), 'DataNode') });
    await upload(ts, 'vault', p, 'private text');
    const denied = await ts.req('HEAD', `/vault/files/${p}`, { token: CAROL });
    expect(denied.status).toBe(403);
    expect(denied.headers['digest']).toBeUndefined();
    const head = await ts.req('HEAD', `/vault/files/${p}`, { token: ALICE });
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe('12');
    expect(head.headers['digest']).toBe(`md5=${md5b64('private text')}`);
    expect(head.headers['content-disposition']).toBe('inline; filename="private.txt"');
    expect(head.headers['last-modified']).toMatch(RFC1123);
    expect(head.headers['accept-ranges']).toBe('bytes');
    const get = await ts.req('GET', `/vault/files/${p}`, { token: CAROL });
    expect(get.status).toBe(403);
    expect(get.text).toMatch(/^PermissionDenied: /);
  });

  it('serves single byte ranges with 206, ignores odd ones, and answers 416 beyond the end', async () => {
    const p = 'alice/range.bin';
    const body = Buffer.from('0123456789');
    await upload(ts, 'vault', p, body);
    const mid = await fetchBytes('vault', p, ALICE, { Range: 'bytes=2-5' });
    expect(mid.status).toBe(206);
    expect(mid.text).toBe('2345');
    expect(mid.headers['content-range']).toBe('bytes 2-5/10');
    expect(mid.headers['content-length']).toBe('4');
    const open = await fetchBytes('vault', p, ALICE, { Range: 'bytes=7-' });
    expect(open.status).toBe(206);
    expect(open.text).toBe('789');
    expect(open.headers['content-range']).toBe('bytes 7-9/10');
    const suffix = await fetchBytes('vault', p, ALICE, { Range: 'bytes=-3' });
    expect(suffix.text).toBe('789');
    const multi = await fetchBytes('vault', p, ALICE, { Range: 'bytes=0-1,4-5' });
    expect(multi.status).toBe(200);
    expect(multi.text).toBe('0123456789');
    const beyond = await fetchBytes('vault', p, ALICE, { Range: 'bytes=10-' });
    expect(beyond.status).toBe(416);
    expect(beyond.headers['content-range']).toBe('bytes */10');
  });

  it('does not accept PUT on /files', async () => {
    const r = await ts.req('PUT', '/vault/files/alice/report.fits', { token: ALICE, body: 'x' });
    expect(r.status).toBe(405);
  });
});

describe('arc /files', () => {
  it('serves bytes directly (no redirect, no ranges) and stores PUTs directly, creating the DataNode', async () => {
    const p = 'home/alice/direct.txt';
    const body = Buffer.from('direct bytes');
    const put = await ts.req('PUT', `/arc/files/${p}`, {
      token: ALICE,
      body,
      headers: { 'Content-Type': 'text/plain', Digest: `md5=${md5b64(body)}` },
    });
    expect(put.status).toBe(201);
    expect(put.headers['content-length']).toBe('0');
    expect(put.headers['digest']).toBe(`md5=${md5b64(body)}`);
    const node = readNode((await ts.req('GET', nodesUrl('arc', p), { token: ALICE })).text);
    expect(node.type).toBe('vos:DataNode');
    expect(node.props[`${CORE}type`]?.value).toBe('text/plain');
    expect(node.props[`${CORE}MD5`]?.value).toBe(md5Hex(body));
    expect(node.props[`${CORE}creator`]?.value).toBe('alice');

    const get = await ts.req('GET', `/arc/files/${p}`, { token: ALICE, headers: { Range: 'bytes=0-3' } });
    expect(get.status).toBe(200);
    expect(get.text).toBe('direct bytes');
    expect(get.headers['digest']).toBe(`md5=${md5b64(body)}`);
    expect(get.headers['content-disposition']).toBe('inline; filename="direct.txt"');
    expect(get.headers['last-modified']).toMatch(RFC1123);
    expect(get.headers['content-type']).toBe('text/plain');
    expect(get.headers['accept-ranges']).toBeUndefined();
    const head = await ts.req('HEAD', `/arc/files/${p}`, { token: ALICE });
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(body.length));
  });

  it('checks the parent and permissions on PUT', async () => {
    const missing = await ts.req('PUT', '/arc/files/home/alice/nodir/x.txt', { token: ALICE, body: 'x' });
    expect(missing.status).toBe(404);
    await mkdir(ts, 'arc', 'home/alice/adir');
    const onDir = await ts.req('PUT', '/arc/files/home/alice/adir', { token: ALICE, body: 'x' });
    expect(onDir.status).toBe(400);
    const getDir = await ts.req('GET', '/arc/files/home/alice/adir', { token: ALICE });
    expect(getDir.status).toBe(400);
    const denied = await ts.req('PUT', '/arc/files/projects/shared/x.txt', { token: BOB, body: 'x' });
    expect(denied.status).toBe(403);
    const anon = await ts.req('PUT', '/arc/files/projects/shared/x.txt', { body: 'x' });
    expect(anon.status).toBe(403);
  });
});

for (const svc of ['vault', 'arc'] as Service[]) {
  const h = svc === 'vault' ? 'alice' : 'home/alice';

  describe(`${svc} data uploads`, () => {
    it('computes MD5 and length itself, answers 201 + Digest, and replaces data on a second PUT', async () => {
      const p = `${h}/computed.bin`;
      const url = await putUrl(svc, p);
      const first = Buffer.from('first version');
      const r = await ts.req('PUT', url, { token: ALICE, body: first });
      expect(r.status).toBe(201);
      expect(r.headers['digest']).toBe(`md5=${md5b64(first)}`);
      const second = Buffer.from('second, longer version');
      await ts.req('PUT', url, { token: ALICE, body: second });
      const n = readNode((await ts.req('GET', nodesUrl(svc, p), { token: ALICE })).text);
      expect(n.props[`${CORE}MD5`]?.value).toBe(md5Hex(second));
      expect(n.props[`${CORE}length`]?.value).toBe(String(second.length));
      expect((await fetchBytes(svc, p)).body.equals(second)).toBe(true);
    });

    it('answers 204 for a node without data, and stores an empty PUT as empty data', async () => {
      const p = `${h}/empty.dat`;
      await ts.req('PUT', nodesUrl(svc, p), { token: ALICE, xml: nodeXml(vosUri(svc, p), 'DataNode') });
      const r = await ts.req('GET', `/${svc}/files/${p}`, { token: ALICE });
      expect(r.status).toBe(204);
      expect(r.body.length).toBe(0);
      await upload(ts, svc, p, 'something');
      const put = await ts.req('PUT', await putUrl(svc, p), { token: ALICE, body: '' });
      expect(put.status).toBe(201);
      const after = await ts.req('GET', `/${svc}/files/${p}`, { token: ALICE });
      expect(after.status).toBe(204);
      const n = readNode((await ts.req('GET', nodesUrl(svc, p), { token: ALICE })).text);
      expect(n.props[`${CORE}length`]?.value).toBe('0');
      expect(n.props[`${CORE}MD5`]).toBeUndefined();
    });

    it('rejects a Digest mismatch with 412 and keeps the previous content', async () => {
      const p = `${h}/guarded.txt`;
      await upload(ts, svc, p, 'good content');
      const url = await putUrl(svc, p);
      const r = await ts.req('PUT', url, {
        token: ALICE,
        body: 'bad content',
        headers: { Digest: `md5=${md5b64('something else')}` },
      });
      expect(r.status).toBe(412);
      expect(r.text).toMatch(/checksum mismatch/);
      expect((await fetchBytes(svc, p)).text).toBe('good content');
      const n = readNode((await ts.req('GET', nodesUrl(svc, p), { token: ALICE })).text);
      expect(n.props[`${CORE}MD5`]?.value).toBe(md5Hex('good content'));
      // A malformed Digest is a 400, also without touching the data.
      const bad = await ts.req('PUT', url, {
        token: ALICE,
        body: 'x',
        headers: { Digest: 'md5=notbase64!!' },
      });
      expect(bad.status).toBe(400);
      expect((await fetchBytes(svc, p)).text).toBe('good content');
    });

    it('keeps the previous content when an upload is interrupted', async () => {
      const p = `${h}/atomic.txt`;
      await upload(ts, svc, p, 'kept content');
      const url = new URL(await putUrl(svc, p));
      await interruptedPut(
        ts.srv.port,
        url.pathname + url.search,
        { Authorization: `Bearer ${ALICE}` },
        1000,
        Buffer.from('partial'),
      );
      // The partial temp file is cleaned up once the server notices the abort.
      const tmp = path.join(ts.dataDir, 'tmp');
      for (let i = 0; i < 100 && fs.readdirSync(tmp).length > 0; i++) await sleep(20);
      expect(fs.readdirSync(tmp)).toEqual([]);
      // The old bytes and metadata are intact.
      const n = readNode((await ts.req('GET', nodesUrl(svc, p), { token: ALICE })).text);
      expect(n.props[`${CORE}MD5`]?.value).toBe(md5Hex('kept content'));
      expect((await fetchBytes(svc, p)).text).toBe('kept content');
    });

    it('sends Content-Disposition with an ASCII fallback and filename* for non-ASCII names', async () => {
      const name = 'r\u00e9sum\u00e9.txt';
      const p = `${h}/${encodeURIComponent(name)}`;
      await upload(ts, svc, p, 'cv');
      const r = await fetchBytes(svc, p);
      expect(r.status).toBe(200);
      expect(r.headers['content-disposition']).toContain(`filename*=UTF-8''${encodeURIComponent(name)}`);
    });

    it('answers 404 for a missing node and 400 for a container on /files', async () => {
      expect((await ts.req('GET', `/${svc}/files/${h}/absent.txt`, { token: ALICE })).status).toBe(404);
      expect((await ts.req('HEAD', `/${svc}/files/${h}/absent.txt`, { token: ALICE })).status).toBe(404);
      expect((await ts.req('GET', `/${svc}/files/${h}`, { token: ALICE })).status).toBe(400);
    });
  });
}

describe('storage', () => {
  it('removes the stored bytes when a DataNode is deleted', async () => {
    const blobs = () =>
      fs
        .readdirSync(path.join(ts.dataDir, 'blobs'), { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile()).length;
    await upload(ts, 'vault', 'alice/doomed.bin', 'bytes to delete');
    const before = blobs();
    expect((await ts.req('DELETE', nodesUrl('vault', 'alice/doomed.bin'), { token: ALICE })).status).toBe(
      200,
    );
    expect(blobs()).toBe(before - 1);
  });

  it('keeps every node and byte across a restart on the same data directory', async () => {
    const files: [Service, string, Buffer][] = [
      ['vault', 'alice/keep/a.bin', Buffer.from('vault bytes')],
      ['arc', 'home/alice/keep/b.bin', Buffer.from('arc bytes')],
    ];
    for (const [svc, p, body] of files) {
      await mkdir(ts, svc, p.slice(0, p.lastIndexOf('/')), ALICE, { 'ivo://example.org/tag': 'kept' });
      await upload(ts, svc, p, body);
    }
    const vaultLoc = (await ts.req('GET', '/vault/files/alice/keep/a.bin', { token: ALICE })).headers[
      'location'
    ]!;
    const blobsBefore = fs.readdirSync(path.join(ts.dataDir, 'blobs'), { recursive: true }).length;
    await ts.restart();
    for (const [svc, p, body] of files) {
      const n = readNode((await ts.req('GET', nodesUrl(svc, p), { token: ALICE })).text);
      expect(n.props[`${CORE}MD5`]?.value).toBe(md5Hex(body));
      expect(n.props[`${CORE}length`]?.value).toBe(String(body.length));
      const dir = readNode(
        (await ts.req('GET', nodesUrl(svc, p.slice(0, p.lastIndexOf('/'))), { token: ALICE })).text,
      );
      expect(dir.props['ivo://example.org/tag']?.value).toBe('kept');
      expect((await fetchBytes(svc, p)).body.equals(body)).toBe(true);
    }
    expect(fs.readdirSync(path.join(ts.dataDir, 'blobs'), { recursive: true }).length).toBe(blobsBefore);
    // A pre-authorised URL handed out before the restart still works (path relative to the new port).
    const u = new URL(vaultLoc);
    const again = await ts.req('GET', `${ts.base}${u.pathname}`);
    expect(again.text).toBe('vault bytes');
  });
});
