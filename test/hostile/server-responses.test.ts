/**
 * Hostile server responses against the client library: every case must end in a clear VosError that names
 * the node or URL, write nothing outside the destination folder, leave no partial file at the destination,
 * send no credential to a host the service did not declare, and neither hang nor buffer without bound.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import type { Client } from '../../src/vospace/client.js';
import { tempFiles } from '../../src/vospace/transfer.js';
import {
  HostileServer,
  capabilitiesDocument,
  endlessPaging,
  fileChild,
  listingWith,
  nodeDocument,
  prop,
  rawResponse,
  transferDocument,
  vosUri,
} from './hostile-server.js';
import { changed, expectNoPartial, fastClient, snapshot, tempDir, vosFailure, TOKEN } from './helpers.js';
import { TEMP_PREFIX } from '../../src/util/temp-files.js';
import { md5Hex } from '../../src/util/md5.js';
import { md5b64 } from '../server/helpers.js';

let hs: HostileServer;
let foreign: HostileServer;
let root: string;
let client: Client;
let dest: string;
let rootBefore: Map<string, string>;
let victim: string;
let n = 0;

beforeAll(async () => {
  hs = await HostileServer.start();
  foreign = await HostileServer.start();
  root = tempDir('responses');
  victim = path.join(root, 'victim.txt');
  fs.writeFileSync(victim, 'a file outside the destination folder');
});

afterAll(async () => {
  await hs.close();
  await foreign.close();
  fs.rmSync(root, { recursive: true, force: true });
});

beforeEach(() => {
  n++;
  rootBefore = snapshot(root);
  hs.reset();
  foreign.reset();
  hs.put('alice/pair', { kind: 'dir' });
  client = fastClient(hs.registryUrl, path.join(root, `cache${n}`));
  dest = path.join(root, `dest${n}`);
  fs.mkdirSync(dest);
  fs.writeFileSync(path.join(dest, 'neighbour.txt'), 'untouched');
});

afterEach(async () => {
  await client.close();
  // Nothing was written outside this test's own destination folder, except the registry cache and inputs.
  const mine = new RegExp(`^(dest${n}|cache${n}b?|up${n}\\.txt)(/|$)`);
  expect(changed(rootBefore, snapshot(root)).filter((p) => !mine.test(p))).toEqual([]);
});

const PAIR = 'alice/pair';
const isListing = (url: URL, p = PAIR) =>
  url.pathname === `/vault/nodes/${p}` && url.searchParams.get('limit') !== '0';

function xml(res: ServerResponse, body: string, status = 200): true {
  res.writeHead(status, { 'content-type': 'text/xml' });
  res.end(body);
  return true;
}

/** Streams `chunk` until the client hangs up. */
function endless(
  res: ServerResponse,
  chunk: string | Buffer,
  headers: Record<string, string>,
  opening = '',
): true {
  res.writeHead(200, headers);
  if (opening) res.write(opening);
  const pump = () => {
    while (!res.destroyed && !res.writableEnded) if (!res.write(chunk)) return;
  };
  res.on('drain', pump);
  pump();
  return true;
}

/** Serves `body` as the listing of the pair folder and returns the error listing it produces. */
async function listingFailure(body: string) {
  hs.script = (_req, res, { url }) => isListing(url) && xml(res, body);
  return vosFailure(() => client.list(`vos:${PAIR}`));
}

const BOMB =
  '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
  '<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">' +
  '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>\n' +
  `<vos:node xmlns:vos="http://www.ivoa.net/xml/VOSpace/v2.0" uri="&lol3;" xsi:type="vos:ContainerNode"/>`;

describe('node documents and listings', () => {
  it('refuses a DTD entity-expansion bomb before parsing it', async () => {
    const e = await listingFailure(BOMB);
    expect(e.kind).toBe('protocol');
    expect(e.message).toMatch(/vos:alice\/pair: bad node document: DTDs and entity declarations/);
  });

  it('refuses an external entity (XXE) pointing at a local file', async () => {
    const doc =
      '<?xml version="1.0"?><!DOCTYPE n [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>' +
      nodeDocument(vosUri(PAIR), 'ContainerNode', [prop('description', '&xxe;')], []).replace(
        /^<\?xml[^>]*>\n/,
        '',
      );
    hs.script = (_req, res, { url }) => url.pathname === `/vault/nodes/${PAIR}` && xml(res, doc);
    const e = await vosFailure(() => client.getInfo(`vos:${PAIR}`));
    expect(e.kind).toBe('protocol');
    expect(e.message).toContain('DTDs and entity declarations are not accepted');
  });

  it('refuses a listing that declares a 500 MB body, from the header alone', async () => {
    hs.script = (_req, res, { url }) => {
      if (!isListing(url)) return false;
      res.writeHead(200, { 'content-type': 'text/xml', 'content-length': String(500 * 1024 * 1024) });
      res.write('<?xml version="1.0"?>\n<vos:node');
      return true; // and never send the rest
    };
    const e = await vosFailure(() => client.list(`vos:${PAIR}`));
    expect(e.kind).toBe('protocol');
    expect(e.message).toMatch(/too large \(524288000 bytes\)/);
    expect(e.message).toContain('/vault/nodes/alice/pair');
  });

  it('cuts an endless chunked listing off at the listing size cap', async () => {
    await client.close();
    client = fastClient(hs.registryUrl, path.join(root, `cache${n}b`), { maxListingBytes: 4 * 1024 * 1024 });
    const child = fileChild(vosUri(`${PAIR}/x`));
    // A well-formed start, then children for ever: the reader keeps reading until the cap stops it.
    const whole = listingWith(PAIR, [child]);
    const opening = whole.slice(0, whole.indexOf(child));
    hs.script = (_req, res, { url }) => {
      if (!isListing(url)) return false;
      res.on('close', () => undefined);
      return endless(res, child.repeat(64), { 'content-type': 'text/xml' }, opening);
    };
    const before = process.memoryUsage().rss;
    const e = await vosFailure(() => client.list(`vos:${PAIR}`));
    expect(e.kind).toBe('protocol');
    expect(e.message).toMatch(/exceeds 4194304 bytes/);
    // Bounded: nowhere near what an endless body would take.
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * 1024 * 1024);
  });

  it.each([
    ['entries', { entries: 5000 }, 'of 5000 entries'],
    ['pages', { pages: 3 }, 'of 3 pages'],
    ['bytes', { bytes: 2 * 1024 * 1024 }, `of ${2 * 1024 * 1024} bytes`],
  ])(
    'stops a server that pages for ever with fresh names at the limit on %s',
    async (_what, limits, text) => {
      await client.close();
      client = fastClient(hs.registryUrl, path.join(root, `cache${n}b`), { listLimits: limits });
      hs.script = endlessPaging(PAIR, { advance: true });
      const e = await vosFailure(() => client.list(`vos:${PAIR}`));
      expect(e.kind).toBe('protocol');
      expect(e.message).toBe(`vos:alice/pair: the listing passes the limit ${text}; not read further`);
      // Stopped at the limit, not long after it (each page is 2000 children).
      expect(hs.seen(`/vault/nodes/${PAIR}?`).length).toBeLessThanOrEqual(5);
    },
  );

  it('refuses a server that sends the same page again whatever the paging cursor says', async () => {
    hs.script = endlessPaging(PAIR, { advance: false });
    const e = await vosFailure(() => client.list(`vos:${PAIR}`));
    expect(e.kind).toBe('protocol');
    expect(e.message).toBe(
      `vos:alice/pair: the server sent a page that does not move the listing on (it ends again at ${vosUri(`${PAIR}/f000000001999`)})`,
    );
  });

  it('cuts an endless single-node document off at the (small) node cap', async () => {
    hs.script = (_req, res, { url }) =>
      url.pathname === `/vault/nodes/${PAIR}/big` &&
      endless(res, '<vos:property uri="x">' + 'y'.repeat(4000) + '</vos:property>', {
        'content-type': 'text/xml',
      });
    const e = await vosFailure(() => client.getInfo(`vos:${PAIR}/big`));
    expect(e.kind).toBe('protocol');
    expect(e.message).toMatch(/exceeds \d+ bytes/);
  });

  it('abandons a listing trickled just fast enough to dodge the inactivity timeout', async () => {
    client.timeout = 300;
    hs.script = (_req, res, { url }) => {
      if (!isListing(url)) return false;
      res.writeHead(200, { 'content-type': 'text/xml' });
      const timer = setInterval(() => res.write('<'), 100);
      res.on('close', () => clearInterval(timer));
      return true;
    };
    const e = await vosFailure(() => client.list(`vos:${PAIR}`));
    expect(e.kind).toBe('transient');
    expect(e.message).toMatch(
      /\/vault\/nodes\/alice\/pair\?limit=\d+ arrives too slowly \(\d+ bytes in \d+ s\)$/,
    );
  });

  it("refuses a child named '..'", async () => {
    const e = await listingFailure(listingWith(PAIR, [fileChild(`vos://${'cadc.nrc.ca~vault'}/${PAIR}/..`)]));
    expect(e.kind).toBe('protocol');
    expect(e.message).toMatch(/'\.\.' is not a valid node name/);
  });

  it('refuses a child whose name smuggles an encoded slash or dot-dot', async () => {
    for (const bad of ['a%2Fb', '%2E%2E', '..%2F..%2Fetc%2Fpasswd']) {
      const e = await listingFailure(
        listingWith(PAIR, [fileChild(`vos://cadc.nrc.ca~vault/${PAIR}/${bad}`)]),
      );
      expect(e.kind).toBe('protocol');
      expect(e.message).toMatch(/not a valid node name|as a child of/);
    }
  });

  it('refuses child names with NUL or other control characters', async () => {
    for (const bad of [
      'nul%00.txt',
      'bell%07',
      'esc%1B%5B31m',
      'del%7F',
      'ref&#1;x',
      'raw\u0001x',
      'c1%C2%85',
    ]) {
      // Character references go out raw (`&#1;`), so the parser's own decoding is exercised too.
      const child = fileChild(`vos://cadc.nrc.ca~vault/${PAIR}/${bad}`).replace(/&amp;#/g, '&#');
      const e = await listingFailure(listingWith(PAIR, [child]));
      expect(e.kind).toBe('protocol');
      expect(e.message).toMatch(/control character|malformed XML/);
    }
  });

  it('refuses a child whose URI lies in another container', async () => {
    const e = await listingFailure(listingWith(PAIR, [fileChild(vosUri('alice/other/stolen.txt'))]));
    expect(e.kind).toBe('protocol');
    expect(e.message).toContain(
      `listed '${vosUri('alice/other/stolen.txt')}' as a child of '${vosUri(PAIR)}'`,
    );
  });

  it('refuses a child whose URI names another authority', async () => {
    const e = await listingFailure(listingWith(PAIR, [fileChild(`vos://evil.example~vault/${PAIR}/x.txt`)]));
    expect(e.kind).toBe('protocol');
    expect(e.message).toContain('vos://evil.example~vault/alice/pair/x.txt');
    expect(e.message).toMatch(/another service/);
  });

  it.each([
    ['negative', '-5'],
    ['absurd', '99999999999999999999999'],
    ['exponent', '1e30'],
    ['non-numeric', 'twelve'],
    ['fractional', '12.5'],
  ])('refuses a %s length property', async (_label, length) => {
    const e = await listingFailure(listingWith(PAIR, [fileChild(vosUri(`${PAIR}/f.bin`), { length })]));
    expect(e.kind).toBe('protocol');
    expect(e.message).toContain(`invalid length '${length}'`);
    expect(e.message).toContain(vosUri(`${PAIR}/f.bin`));
  });

  it('reads bad dates as unknown (undefined) instead of failing or inventing one', async () => {
    const dates = ['yesterday', '2026-13-45T99:99:99.000', '2026-02-30T10:00:00', '', '0000-00-00T00:00:00'];
    hs.script = (_req, res, { url }) =>
      isListing(url) &&
      xml(
        res,
        listingWith(
          PAIR,
          dates.map((d, i) => fileChild(vosUri(`${PAIR}/f${i}`), { date: d })),
        ),
      );
    const kids = await client.list(`vos:${PAIR}`);
    expect(kids.map((k) => k.name)).toEqual(['f0', 'f1', 'f2', 'f3', 'f4']);
    for (const k of kids) expect(k.date).toBeUndefined();
  });

  it('wraps an HTTP-level protocol violation (invalid Content-Length) as a VosError naming the URL', async () => {
    hs.script = (_req, res, { url }) => {
      if (url.pathname !== `/vault/nodes/${PAIR}`) return false;
      rawResponse(res, 'HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: -5\r\n\r\n<x/>');
      return true;
    };
    const e = await vosFailure(() => client.getInfo(`vos:${PAIR}`));
    expect(e.kind).toBe('protocol');
    expect(e.message).toContain('/vault/nodes/alice/pair');
  });
});

describe('downloads', () => {
  const target = `vos:${PAIR}/f.bin`;
  const good = Buffer.from('the right bytes, exactly forty-two long..');

  it('without an MD5, still catches a short body by the node length', async () => {
    hs.file(`${PAIR}/f.bin`, good, { md5: null });
    hs.script = (req, res, { url }) => {
      if (url.pathname !== `/data/${PAIR}/f.bin`) return false;
      res.writeHead(200, { 'content-type': 'application/octet-stream' }); // chunked, no length, no Digest
      res.end(good.subarray(0, 20));
      return true;
    };
    const before = snapshot(dest);
    const e = await vosFailure(() => client.download(target, path.join(dest, 'f.bin')));
    expect(e.kind).toBe('integrity');
    expect(e.message).toMatch(new RegExp(`got 20 bytes, expected ${good.length}`));
    expectNoPartial(path.join(dest, 'f.bin'), before);
  });

  it('rejects a body that does not match the node MD5 and removes the temp file', async () => {
    hs.file(`${PAIR}/f.bin`, good);
    const evil = Buffer.from('the WRONG bytes, exactly forty-two long..');
    hs.script = (_req, res, { url }) => {
      if (url.pathname !== `/data/${PAIR}/f.bin`) return false;
      res.writeHead(200, { 'content-length': String(evil.length) });
      res.end(evil);
      return true;
    };
    const before = snapshot(dest);
    const e = await vosFailure(() => client.download(target, path.join(dest, 'f.bin')));
    expect(e.kind).toBe('integrity');
    expect(e.message).toContain(`does not match ${md5Hex(good)}`);
    expectNoPartial(path.join(dest, 'f.bin'), before);
  });

  it('refuses a body whose Digest contradicts the node MD5 before writing anything', async () => {
    hs.file(`${PAIR}/f.bin`, good);
    hs.script = (_req, res, { url }) => {
      if (url.pathname !== `/data/${PAIR}/f.bin`) return false;
      res.writeHead(200, {
        'content-length': String(good.length),
        digest: `md5=${md5b64('something else')}`,
      });
      res.end(good);
      return true;
    };
    const before = snapshot(dest);
    const e = await vosFailure(() => client.download(target, path.join(dest, 'f.bin')));
    expect(e.message).toContain(`MD5 ${md5Hex('something else')}, expected ${md5Hex(good)}`);
    expectNoPartial(path.join(dest, 'f.bin'), before);
  });

  it('does not accept a truncated body (connection closed before Content-Length)', async () => {
    hs.file(`${PAIR}/f.bin`, good);
    hs.script = (_req, res, { url }) => {
      if (url.pathname !== `/data/${PAIR}/f.bin`) return false;
      res.writeHead(200, { 'content-length': String(good.length) });
      res.write(good.subarray(0, 10));
      setTimeout(() => res.destroy(), 20);
      return true;
    };
    const before = snapshot(dest);
    const e = await vosFailure(() => client.download(target, path.join(dest, 'f.bin')));
    expect(e.kind).toBe('transient');
    expect(e.message).toContain('vos:alice/pair/f.bin');
    // A resumable .part (our prefix, same folder) may stay for the next attempt; the destination may not.
    expectNoPartial(path.join(dest, 'f.bin'), before, { tempAllowed: true });
  });

  it('ignores a malformed Digest header and still verifies against the node MD5', async () => {
    hs.file(`${PAIR}/f.bin`, good);
    for (const digest of ['md5=!!!not-base64!!!', 'md5=', 'sha-256=abc', 'md5=AAAA,md5=', 'md5']) {
      hs.script = (_req, res, { url }) => {
        if (url.pathname !== `/data/${PAIR}/f.bin`) return false;
        res.writeHead(200, { 'content-length': String(good.length), digest });
        res.end(good);
        return true;
      };
      const out = path.join(dest, `ok-${digest.length}-${digest.charCodeAt(4)}.bin`);
      const r = await client.download(target, out);
      expect(r.md5).toBe(md5Hex(good));
      expect(fs.readFileSync(out)).toEqual(good);
    }
  });

  it('cuts an endless data body off as soon as it passes the expected length', async () => {
    hs.file(`${PAIR}/f.bin`, good);
    hs.script = (_req, res, { url }) =>
      url.pathname === `/data/${PAIR}/f.bin` &&
      endless(res, Buffer.alloc(64 * 1024, 0x41), { 'content-type': 'application/octet-stream' });
    const before = snapshot(dest);
    const e = await vosFailure(() => client.download(target, path.join(dest, 'f.bin')));
    expect(e.kind).toBe('integrity');
    expect(e.message).toMatch(new RegExp(`more than the expected ${good.length} bytes`));
    expectNoPartial(path.join(dest, 'f.bin'), before);
  });

  it('stops at a redirect loop on /files with a clear error', async () => {
    hs.file(`${PAIR}/f.bin`, good);
    hs.script = (_req, res, { url }) => {
      if (!url.pathname.startsWith('/vault/files/')) return false;
      res.writeHead(303, { location: url.pathname });
      res.end();
      return true;
    };
    const before = snapshot(dest);
    const e = await vosFailure(() => client.download(target, path.join(dest, 'f.bin')));
    expect(e.kind).toBe('protocol');
    expect(e.message).toMatch(/vos:alice\/pair\/f\.bin.*HTTP 303/);
    expect(hs.seen('/vault/files/').length).toBeLessThan(5);
    expectNoPartial(path.join(dest, 'f.bin'), before);
  });

  it('sends no token to a foreign host that /files redirects to', async () => {
    hs.file(`${PAIR}/f.bin`, good);
    foreign.file(`${PAIR}/f.bin`, good);
    hs.script = (_req, res, { url }) => {
      if (!url.pathname.startsWith('/vault/files/')) return false;
      res.writeHead(303, { location: `${foreign.base}/data/${PAIR}/f.bin` });
      res.end();
      return true;
    };
    await client.download(target, path.join(dest, 'f.bin'));
    expect(fs.readFileSync(path.join(dest, 'f.bin'))).toEqual(good);
    expect(foreign.seen('/data/').length).toBe(1);
    expect(foreign.credentialed()).toEqual([]);
    expect(hs.credentialed().length).toBeGreaterThan(0);
    expect(hs.credentialed()[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('removes a symbolic link planted at the temp name instead of writing through it', async () => {
    hs.file(`${PAIR}/f.bin`, good);
    const temp = path.join(dest, `${TEMP_PREFIX}f.bin.${md5Hex(good)}.part`);
    fs.symlinkSync(victim, temp);
    await client.download(target, path.join(dest, 'f.bin'));
    expect(fs.readFileSync(path.join(dest, 'f.bin'))).toEqual(good);
    expect(fs.readFileSync(victim, 'utf8')).toBe('a file outside the destination folder');
    expect(fs.existsSync(temp)).toBe(false);
    // No resume was attempted from the victim's bytes.
    expect(hs.seen('/data/').map((r) => r.headers.range)).toEqual([undefined]);
  });

  it('does not write into a file hard-linked at the temp name', async () => {
    hs.file(`${PAIR}/f.bin`, good);
    fs.linkSync(victim, path.join(dest, `${TEMP_PREFIX}f.bin.${md5Hex(good)}.part`));
    await client.download(target, path.join(dest, 'f.bin'));
    expect(fs.readFileSync(path.join(dest, 'f.bin'))).toEqual(good);
    expect(fs.readFileSync(victim, 'utf8')).toBe('a file outside the destination folder');
  });

  it("refuses an empty answer ('204 No Content') for a node that has bytes", async () => {
    hs.file(`${PAIR}/f.bin`, good, { md5: null });
    hs.script = (_req, res, { url }) =>
      url.pathname.startsWith('/vault/files/') && (res.writeHead(204), res.end(), true);
    const before = snapshot(dest);
    const e = await vosFailure(() => client.download(target, path.join(dest, 'f.bin')));
    expect(e.kind).toBe('integrity');
    expect(e.message).toMatch(new RegExp(`: the server sent no bytes for ${good.length}$`));
    expectNoPartial(path.join(dest, 'f.bin'), before);
  });

  it('writes an empty file without following a link planted at its temp name', async () => {
    hs.file(`${PAIR}/empty.txt`, '');
    hs.script = (_req, res, { url }) =>
      url.pathname.startsWith('/vault/files/') && (res.writeHead(204), res.end(), true);
    fs.symlinkSync(victim, path.join(dest, `${TEMP_PREFIX}empty.txt.empty`));
    await client.download(`vos:${PAIR}/empty.txt`, path.join(dest, 'empty.txt'));
    expect(fs.readFileSync(path.join(dest, 'empty.txt'), 'utf8')).toBe('');
    expect(fs.lstatSync(path.join(dest, 'empty.txt')).isFile()).toBe(true);
    expect(fs.readFileSync(victim, 'utf8')).toBe('a file outside the destination folder');
  });

  it('reports a full disk (ENOSPC while writing the temp file) and removes the temp file', async () => {
    // Injected through transfer.ts's one seam; local-side.test.ts fills a real (tmpfs) file system instead.
    hs.file(`${PAIR}/f.bin`, good);
    const original = tempFiles.openForWrite;
    tempFiles.openForWrite = (file, offset) => {
      const real = original(file, offset);
      return new Writable({
        write(chunk: Buffer, _enc, cb) {
          real.write(chunk.subarray(0, 8), () =>
            cb(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })),
          );
        },
        destroy(err, cb) {
          real.destroy();
          cb(err);
        },
      });
    };
    const before = snapshot(dest);
    try {
      const e = await vosFailure(() => client.download(target, path.join(dest, 'f.bin')));
      expect(e.kind).toBe('local');
      expect(e.message).toMatch(/^vos:alice\/pair\/f\.bin → .*: no space left on device writing .*\.part$/);
    } finally {
      tempFiles.openForWrite = original;
    }
    expectNoPartial(path.join(dest, 'f.bin'), before);
  });

  it('gives up on a data endpoint that never answers instead of hanging', async () => {
    hs.file(`${PAIR}/f.bin`, good);
    client.timeout = 600;
    hs.script = (_req, _res, { url }) => url.pathname === `/data/${PAIR}/f.bin`; // swallow the request
    const before = snapshot(dest);
    const e = await vosFailure(() => client.download(target, path.join(dest, 'f.bin')));
    expect(e.kind).toBe('transient');
    expect(e.message).toContain('vos:alice/pair/f.bin');
    expectNoPartial(path.join(dest, 'f.bin'), before);
  });
});

describe('transfer negotiation and jobs', () => {
  const noFiles = [
    'ivo://ivoa.net/std/VOSpace/v2.0#nodes',
    'ivo://ivoa.net/std/VOSpace#sync-2.1',
    'ivo://ivoa.net/std/VOSpace/v2.0#transfers',
  ];

  it('reports the job error text when the transfer document has no endpoints', async () => {
    const local = path.join(root, `up${n}.txt`);
    fs.writeFileSync(local, 'upload me');
    hs.script = (req, res, { url }) => {
      if (url.pathname === '/vault/synctrans' && req.method === 'POST') {
        res.writeHead(303, { location: `${hs.base}/vault/xfer/j1` });
        res.end();
        return true;
      }
      if (url.pathname === '/vault/xfer/j1')
        return xml(res, transferDocument(vosUri(`${PAIR}/u.txt`), 'pushToVoSpace', []));
      if (url.pathname === '/vault/transfers/j1/phase') return (res.end('ERROR'), true);
      if (url.pathname === '/vault/transfers/j1/error')
        return (
          res.end('PermissionDenied: alice may not write vos://cadc.nrc.ca~vault/alice/pair/u.txt\n'),
          true
        );
      return false;
    };
    const e = await vosFailure(() => client.upload(local, `vos:${PAIR}/u.txt`));
    expect(e.kind).toBe('permission');
    expect(e.message).toBe(
      'vos:alice/pair/u.txt: PermissionDenied: alice may not write vos://cadc.nrc.ca~vault/alice/pair/u.txt',
    );
    expect(hs.seen('/data/')).toEqual([]);
  });

  it('never uses file: or javascript: transfer endpoints', async () => {
    hs.file(`${PAIR}/f.bin`, 'secret');
    hs.script = (_req, res, { url }) => {
      if (url.pathname === '/vault/capabilities') return xml(res, capabilitiesDocument(hs.base, noFiles));
      if (url.pathname.startsWith('/vault/xfer/'))
        return xml(
          res,
          transferDocument(vosUri(`${PAIR}/f.bin`), 'pullFromVoSpace', [
            'file:///etc/passwd',
            'javascript:alert(1)',
            'ftp://127.0.0.1/x',
          ]),
        );
      return false;
    };
    const before = snapshot(dest);
    const e = await vosFailure(() => client.download(`vos:${PAIR}/f.bin`, path.join(dest, 'f.bin')));
    expect(e.kind).toBe('protocol');
    expect(e.message).toBe('vos:alice/pair/f.bin: the server offered no pullFromVoSpace endpoint');
    expect(hs.seen('/data/')).toEqual([]);
    expectNoPartial(path.join(dest, 'f.bin'), before);
  });

  it('stops following a negotiation redirect loop', async () => {
    hs.file(`${PAIR}/f.bin`, 'x');
    hs.script = (req, res, { url }) => {
      if (url.pathname === '/vault/capabilities') return xml(res, capabilitiesDocument(hs.base, noFiles));
      const negotiation = url.pathname === '/vault/synctrans' && req.method === 'POST';
      if (url.pathname === '/vault/xfer/loop' || negotiation) {
        res.writeHead(303, { location: '/vault/xfer/loop' });
        res.end();
        return true;
      }
      return false;
    };
    const e = await vosFailure(() => client.download(`vos:${PAIR}/f.bin`, path.join(dest, 'f.bin')));
    expect(e.kind).toBe('protocol');
    expect(e.message).toBe('vos:alice/pair/f.bin: too many redirects');
    expect(hs.seen('/vault/xfer/loop').length).toBe(10);
  });

  it('uploads to a foreign endpoint without sending it the token', async () => {
    const local = path.join(root, `up${n}.txt`);
    fs.writeFileSync(local, 'to a storage host');
    hs.script = (_req, res, { url }) => {
      if (!url.pathname.startsWith('/vault/xfer/')) return false;
      return xml(
        res,
        transferDocument(vosUri(`${PAIR}/u.txt`), 'pushToVoSpace', [`${foreign.base}/data/${PAIR}/u.txt`]),
      );
    };
    const r = await client.upload(local, `vos:${PAIR}/u.txt`);
    expect(r.md5).toBe(md5Hex('to a storage host'));
    const puts = foreign.requests.filter((q) => q.method === 'PUT');
    expect(puts.length).toBe(1);
    expect(puts[0]!.body.toString()).toBe('to a storage host');
    expect(foreign.credentialed()).toEqual([]);
  });

  it('quick negotiation: a redirect to a foreign host gets the bytes but no token; a javascript: one is ignored', async () => {
    const local = path.join(root, `up${n}.txt`);
    fs.writeFileSync(local, 'quick bytes');
    let location = `${foreign.base}/data/${PAIR}/q.txt`;
    hs.script = (req, res, { url }) => {
      if (!(url.pathname === '/vault/synctrans' && req.method === 'GET')) return false;
      res.writeHead(303, { location });
      res.end();
      return true;
    };
    await client.upload(local, `vos:${PAIR}/q.txt`);
    expect(foreign.requests.filter((q) => q.method === 'PUT').map((q) => q.body.toString())).toEqual([
      'quick bytes',
    ]);
    expect(foreign.credentialed()).toEqual([]);
    // An unusable quick answer falls back to the full negotiation with the service's own endpoint.
    location = 'javascript:alert(1)';
    fs.writeFileSync(local, 'full bytes');
    await client.upload(local, `vos:${PAIR}/j.txt`);
    expect((hs.tree.get(`${PAIR}/j.txt`) as { content: Buffer }).content.toString()).toBe('full bytes');
  });

  it('refuses an upload the server acknowledges with another MD5', async () => {
    const local = path.join(root, `up${n}.txt`);
    fs.writeFileSync(local, 'my bytes');
    hs.script = (req, res, { url }) => {
      if (!(url.pathname.startsWith('/data/') && req.method === 'PUT')) return false;
      res.writeHead(201, { digest: `md5=${md5b64('not my bytes')}` });
      res.end();
      return true;
    };
    const e = await vosFailure(() => client.upload(local, `vos:${PAIR}/u.txt`));
    expect(e.kind).toBe('integrity');
    expect(e.message).toContain(
      `server stored MD5 ${md5Hex('not my bytes')} but we sent ${md5Hex('my bytes')}`,
    );
    // The placeholder the negotiation created is removed again.
    expect(hs.tree.has(`${PAIR}/u.txt`)).toBe(false);
  });

  it.each([
    ['garbage', '<uws:job><<<not xml'],
    ['a DTD', '<!DOCTYPE job [<!ENTITY a "b">]><job><phase>&a;</phase></job>'],
    ['another document', '<html><body>Service Unavailable</body></html>'],
  ])('fails a move cleanly when the UWS job document is %s', async (_label, body) => {
    hs.file(`${PAIR}/a.txt`, 'a');
    hs.script = (req, res, { url }) => {
      if (url.pathname === '/vault/transfers' && req.method === 'POST') {
        res.writeHead(303, { location: `${hs.base}/vault/transfers/j9` });
        res.end();
        return true;
      }
      if (url.pathname === '/vault/transfers/j9/phase') {
        res.writeHead(303, { location: `${hs.base}/vault/transfers/j9` });
        res.end();
        return true;
      }
      if (url.pathname === '/vault/transfers/j9') return xml(res, body);
      return false;
    };
    const e = await vosFailure(() => client.move(`vos:${PAIR}/a.txt`, `vos:${PAIR}/b.txt`));
    expect(e.kind).toBe('protocol');
    expect(e.message).toMatch(
      /^vos:alice\/pair\/a\.txt → vos:alice\/pair\/b\.txt: bad job document from .*\/vault\/transfers\/j9/,
    );
  });
});

describe('service discovery', () => {
  it('explains a capabilities document without a nodes capability', async () => {
    hs.script = (_req, res, { url }) =>
      url.pathname === '/vault/capabilities' &&
      xml(res, capabilitiesDocument(hs.base, ['ivo://ivoa.net/std/VOSpace#sync-2.1']));
    const e = await vosFailure(() => client.getInfo(`vos:${PAIR}`));
    expect(e.kind).toBe('unsupported');
    expect(e.message).toBe('service ivo://cadc.nrc.ca/vault offers no nodes/sync endpoint for token access');
  });

  it('explains a registry that does not list the resource', async () => {
    hs.script = (_req, res, { url }) =>
      url.pathname === '/reg/resource-caps' &&
      (res.end('ivo://cadc.nrc.ca/arc = http://127.0.0.1:1/arc/capabilities\n'), true);
    const e = await vosFailure(() => client.getInfo(`vos:${PAIR}`));
    expect(e.kind).toBe('not-found');
    expect(e.message).toBe(`resource ivo://cadc.nrc.ca/vault is not in the registry ${hs.registryUrl}`);
  });

  it('explains a registry that answers with an HTML page', async () => {
    hs.script = (_req, res, { url }) => {
      if (url.pathname !== '/reg/resource-caps') return false;
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Maintenance</title></head>\n<body>Back soon</body></html>\n',
      );
      return true;
    };
    const e = await vosFailure(() => client.getInfo(`vos:${PAIR}`));
    expect(e.kind).toBe('protocol');
    expect(e.message).toBe(
      `the registry ${hs.registryUrl} answered with an HTML page, not a resource-caps list`,
    );
  });

  it('refuses a capabilities document carrying a DTD', async () => {
    hs.script = (_req, res, { url }) =>
      url.pathname === '/vault/capabilities' &&
      xml(res, '<!DOCTYPE c [<!ENTITY e SYSTEM "file:///etc/passwd">]><capabilities>&e;</capabilities>');
    const e = await vosFailure(() => client.getInfo(`vos:${PAIR}`));
    expect(e.kind).toBe('protocol');
    expect(e.message).toBe(
      `bad capabilities document from ${hs.base}/vault/capabilities: DTDs and entity declarations are not accepted`,
    );
  });

  it('refuses a registry entry whose capabilities URL is not http(s)', async () => {
    hs.script = (_req, res, { url }) =>
      url.pathname === '/reg/resource-caps' &&
      (res.end('ivo://cadc.nrc.ca/vault = javascript:alert(1)\n'), true);
    const e = await vosFailure(() => client.getInfo(`vos:${PAIR}`));
    expect(e.kind).toBe('protocol');
    expect(e.message).toBe(
      `the registry ${hs.registryUrl} gives a capabilities URL that is not http(s): javascript:alert(1)`,
    );
  });
});
