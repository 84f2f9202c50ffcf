/**
 * The request sequences CADC's Python `vos` tools send (client behaviour doc, Appendix A), replayed with
 * fetch exactly as observed: token auth (Bearer + legacy X-CADC-DelegationToken on service URLs, Bearer only
 * on storage URLs), redirects never followed automatically, documents without Content-Type where the tools
 * send none, and the job polling each tool does.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CADC,
  CORE,
  GMS,
  HTTPSGET,
  HTTPSPUT,
  md5b64,
  parseXml,
  pythonNodeXml,
  readJob,
  readNode,
  readTransfer,
  startTestServer,
  transferXml,
  vosUri,
  type Res,
  type TestServer,
} from './helpers.js';
import { md5Hex } from '../../src/util/md5.js';

let ts: TestServer;
const TOKEN = 'bobtoken12';
const U = 'bob';
const N = '/vault/nodes';
const LEGACY_TOKEN_METHOD = 'vos://cadc.nrc.ca~vospace/CADC/std/Auth#token-1.0';

beforeAll(async () => {
  ts = await startTestServer();
});

afterAll(async () => {
  await ts.close();
});

/** A request to a service URL, with the headers `vos --token` sends. */
function svc(
  method: string,
  url: string,
  o: { body?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<Res> {
  return ts.req(method, url, {
    headers: {
      Authorization: `Bearer ${TOKEN}`,
      'X-CADC-DelegationToken': TOKEN,
      Accept: '*/*',
      ...(o.headers ?? {}),
    },
    ...(o.body !== undefined ? { body: o.body } : {}),
  });
}

/** A request to a storage (data) URL: Bearer only. */
function storage(
  method: string,
  url: string,
  o: { body?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<Res> {
  return ts.req(method, url, {
    headers: { Authorization: `Bearer ${TOKEN}`, ...(o.headers ?? {}) },
    ...(o.body !== undefined ? { body: o.body } : {}),
  });
}

/** `fix_uri` form used in documents the client writes. */
const bang = (p: string) => `vos://cadc.nrc.ca!vault/${p}`;

/** cadcutils' Transfer.transfer: POST, GET each Location while 303, then the job-error check, then endpoints. */
async function negotiate(target: string, direction: 'pushToVoSpace' | 'pullFromVoSpace', base = '/vault') {
  const proto = direction === 'pushToVoSpace' ? HTTPSPUT : HTTPSGET;
  let r = await svc('POST', `${base}/synctrans`, {
    body: transferXml(target, direction, {
      protocols: [
        { uri: proto, securityMethod: LEGACY_TOKEN_METHOD },
        { uri: proto, securityMethod: 'ivo://ivoa.net/sso#token' },
        { uri: proto },
      ],
    }),
    headers: { 'Content-Type': 'text/xml' },
  });
  const requests = [`POST ${base}/synctrans`];
  let finalUrl = '';
  while (r.status === 303) {
    finalUrl = r.headers['location']!;
    requests.push(`GET ${new URL(finalUrl).pathname}`);
    r = await svc('GET', finalUrl);
  }
  expect(r.status).toBe(200);
  const jobUrl = finalUrl.replace(/xfer/g, 'transfers').replace(/\/results\/transferDetails$/, '');
  const phase = await svc('GET', `${jobUrl}/phase`);
  expect(phase.status).toBe(200);
  let error: string | undefined;
  if (phase.text === 'ERROR') error = (await svc('GET', `${jobUrl}/error`)).text;
  const endpoints = readTransfer(r.text).protocols.flatMap((p) => (p.endpoint ? [p.endpoint] : []));
  return { requests, finalUrl, jobUrl, phase: phase.text, error, endpoints };
}

/** `ws.py` upload_file with a known MD5: HEAD (skip if equal), then one PUT with Content-Length and digest. */
async function uploadKnownMd5(url: string, body: Buffer): Promise<{ head: Res; put?: Res }> {
  const head = await storage('HEAD', url);
  const remote = /md5=([^,\s]+)/.exec(head.headers['digest'] ?? '')?.[1];
  if (remote === md5b64(body)) return { head };
  const put = await storage('PUT', url, {
    body,
    headers: { 'Content-Length': String(body.length), digest: `md5=${md5b64(body)}` },
  });
  return { head, put };
}

function addProps(fetched: string, props: Record<string, string | null>): string {
  let extra = '';
  for (const [k, v] of Object.entries(props)) {
    extra +=
      v === null
        ? `<vos:property uri="${k}" readOnly="false" xsi:nil="true"></vos:property>`
        : `<vos:property uri="${k}" readOnly="false">${v}</vos:property>`;
  }
  return fetched.replace('</vos:properties>', `${extra}</vos:properties>`);
}

async function mkdirPy(p: string): Promise<Res> {
  return svc('PUT', `${N}/${p}`, {
    body: pythonNodeXml(bang(p), 'ContainerNode'),
    headers: { 'Content-Type': 'text/xml' },
  });
}

async function uploadPy(p: string, body: Buffer): Promise<void> {
  const n = await negotiate(bang(p), 'pushToVoSpace');
  expect(n.phase).not.toBe('ERROR');
  const { put } = await uploadKnownMd5(n.endpoints[0]!, body);
  expect(put?.status).toBe(201);
}

describe('Appendix A sequences against the Vault look-alike', () => {
  it('vls vos:u — registry, capabilities, GET ?limit=0, GET listing', async () => {
    const caps = await ts.req('GET', '/reg/resource-caps');
    expect(caps.status).toBe(200);
    const capsUrl = /^ivo:\/\/cadc\.nrc\.ca\/vault\s*=\s*(\S+)$/m.exec(caps.text)![1]!;
    const doc = await ts.req('GET', capsUrl);
    expect(doc.status).toBe(200);
    const nodesBase =
      /standardID="ivo:\/\/ivoa\.net\/std\/VOSpace\/v2\.0#nodes">\s*<interface[^>]*>\s*<accessURL use="base">([^<]+)</.exec(
        doc.text,
      )![1]!;
    expect(nodesBase).toBe(`${ts.base}${N}`);
    await mkdirPy(`${U}/vls`);
    const meta = await svc('GET', `${nodesBase}/${U}?limit=0`);
    expect(meta.status).toBe(200);
    expect(meta.headers['x-vo-authenticated']).toBe(U);
    expect(readNode(meta.text).children).toEqual([]);
    const list = await svc('GET', `${nodesBase}/${U}`);
    expect(readNode(list.text).children.map((c) => c.uri)).toContain(vosUri('vault', `${U}/vls`));
    // get_info needs a date on every child.
    for (const c of readNode(list.text).children) expect(c.props[`${CORE}date`]?.value).toMatch(/^\d{4}-/);
  });

  it('vls -t vos:u — sort parameters are refused with 400 naming sorting', async () => {
    const r = await svc('GET', `${N}/${U}?sort=${encodeURIComponent(`${CORE}date`)}&order=desc`);
    expect(r.status).toBe(400);
    expect(r.text).toContain('sorting options not supported');
  });

  it('vcp small.txt vos:u/ (new node) — negotiate, HEAD, PUT with digest; again (identical) — POST the fetched node', async () => {
    const p = `${U}/small.txt`;
    const body = Buffer.from('small file contents\n');
    expect((await svc('GET', `${N}/${p}?limit=0`)).status).toBe(404);
    const n = await negotiate(bang(p), 'pushToVoSpace');
    expect(n.requests).toEqual([
      'POST /vault/synctrans',
      expect.stringMatching(/^GET \/vault\/transfers\/[^/]+\/results\/transferDetails$/),
      expect.stringMatching(/^GET \/vault\/xfer\/[^/]+$/),
    ]);
    expect(n.phase).toBe('EXECUTING');
    expect(n.endpoints.length).toBeGreaterThan(0);
    const { head, put } = await uploadKnownMd5(n.endpoints[0]!, body);
    expect(head.status).toBe(200);
    expect(put!.status).toBe(201);
    expect(put!.headers['digest']).toBe(`md5=${md5b64(body)}`);

    // Second run: MD5 and length match, so the node is POSTed back exactly as fetched (no Content-Type).
    const first = await svc('GET', `${N}/${p}?limit=0`);
    const again = await svc('GET', `${N}/${p}?limit=0`);
    const node = readNode(again.text);
    expect(node.props[`${CORE}MD5`]?.value).toBe(md5Hex(body));
    expect(node.props[`${CORE}length`]?.value).toBe(String(body.length));
    const post = await svc('POST', `${N}/${p}`, { body: first.text });
    expect(post.status).toBe(200);
    const after = readNode(post.text);
    expect(after.props[`${CORE}MD5`]?.value).toBe(md5Hex(body));
    expect(after.props[`${CORE}date`]!.value >= node.props[`${CORE}date`]!.value).toBe(true);
    // A HEAD with the matching digest lets the client skip the PUT.
    const n2 = await negotiate(bang(p), 'pushToVoSpace');
    expect((await uploadKnownMd5(n2.endpoints[0]!, body)).put).toBeUndefined();
  });

  it('vcp vos:u/a.txt /tmp/x — GET ?limit=0, GET /files → 303, GET the Location; resume with Range', async () => {
    const p = `${U}/a.txt`;
    const body = randomBytes(3000);
    await uploadPy(p, body);
    expect((await svc('GET', `${N}/${p}?limit=0`)).status).toBe(200);
    const files = await svc('GET', `/vault/files/${p}`);
    expect(files.status).toBe(303);
    const loc = files.headers['location']!;
    const d = await storage('GET', loc);
    expect(d.status).toBe(200);
    expect(d.body.equals(body)).toBe(true);
    expect(d.headers['content-length']).toBe(String(body.length));
    const digest = /md5=(\S+)/.exec(d.headers['digest']!)![1]!;
    expect(Buffer.from(digest, 'base64').toString('hex')).toBe(md5Hex(d.body));
    expect(d.headers['content-disposition']).toMatch(/filename="a\.txt"/);
    expect(d.headers['accept-ranges']).toBe('bytes');
    // A .part of 1000 bytes exists locally: resume from there.
    const rest = await storage('GET', loc, { headers: { Range: 'bytes=1000-' } });
    expect(rest.status).toBe(206);
    expect(rest.headers['content-range']).toBe(`bytes 1000-${body.length - 1}/${body.length}`);
    expect(Buffer.concat([body.subarray(0, 1000), rest.body]).equals(body)).toBe(true);
    // SODA parameters reach the storage URL.
    const cut = await svc('GET', `/vault/files/${p}?SUB=${encodeURIComponent('[1][1:10,1:20]')}`);
    expect(cut.headers['location']).toContain(`SUB=${encodeURIComponent('[1][1:10,1:20]')}`);
  });

  it('vcp of a 6 MB file (no MD5 up front) — PUT with x-put-txn-op: start and the body, then the commit', async () => {
    const p = `${U}/big.bin`;
    const body = randomBytes(6 * 1024 * 1024);
    const n = await negotiate(bang(p), 'pushToVoSpace');
    const url = n.endpoints[0]!;
    const start = await storage('PUT', url, {
      body,
      headers: { 'Content-Length': String(body.length), 'x-put-txn-op': 'start' },
    });
    expect(start.status).toBe(202);
    // The client compares this Digest with the MD5 it computed while sending, then commits.
    expect(start.headers['digest']).toBe(`md5=${md5b64(body)}`);
    const id = start.headers['x-put-txn-id']!;
    expect(id).toBeTruthy();
    const commit = await storage('PUT', url, {
      body: '',
      headers: { 'Content-Length': '0', 'x-put-txn-op': 'commit', 'x-put-txn-id': id },
    });
    expect(commit.status).toBe(201);
    expect(commit.headers['digest']).toBe(`md5=${md5b64(body)}`);
    const node = readNode((await svc('GET', `${N}/${p}?limit=0`)).text);
    expect(node.props[`${CORE}MD5`]?.value).toBe(md5Hex(body));
    expect(node.props[`${CORE}length`]?.value).toBe(String(body.length));
  });

  it('vcp of a ≥ 5 GiB file (here small) — bodiless start with x-total-length, segments, commit', async () => {
    const p = `${U}/huge.bin`;
    const body = randomBytes(4096);
    const n = await negotiate(bang(p), 'pushToVoSpace');
    const url = n.endpoints[0]!;
    const start = await storage('PUT', url, {
      body: '',
      headers: { 'Content-Length': '0', 'x-total-length': String(body.length), 'x-put-txn-op': 'start' },
    });
    expect(start.status).toBe(202);
    const id = start.headers['x-put-txn-id']!;
    // cadcutils: segment = min(size, 2 GiB), raised to minbytes, capped by maxbytes (none here).
    expect(start.headers['x-put-segment-minbytes']).toBe('1');
    expect(start.headers['x-put-segment-maxbytes']).toBeUndefined();
    const half = body.length / 2;
    for (const [from, to] of [
      [0, half],
      [half, body.length],
    ] as const) {
      const seg = await storage('PUT', url, {
        body: body.subarray(from, to),
        headers: { 'Content-Length': String(to - from), 'x-put-txn-id': id },
      });
      expect(seg.status).toBe(202);
      // Each segment's answer carries the MD5 of everything sent so far, which the client checks.
      expect(seg.headers['digest']).toBe(`md5=${md5b64(body.subarray(0, to))}`);
    }
    const commit = await storage('PUT', url, {
      body: '',
      headers: { 'Content-Length': '0', 'x-put-txn-op': 'commit', 'x-put-txn-id': id },
    });
    expect(commit.status).toBe(201);
    expect(readNode((await svc('GET', `${N}/${p}?limit=0`)).text).props[`${CORE}MD5`]?.value).toBe(
      md5Hex(body),
    );
  });

  it('vcp of an empty file onto an existing node — DELETE then PUT a DataNode document with a size header', async () => {
    const p = `${U}/empty.txt`;
    await uploadPy(p, Buffer.from('was not empty'));
    expect((await svc('GET', `${N}/${p}?limit=0`)).status).toBe(200);
    expect((await svc('GET', `${N}/${p}?limit=0`)).status).toBe(200);
    expect((await svc('DELETE', `${N}/${p}`)).status).toBe(200);
    const doc = pythonNodeXml(bang(p), 'DataNode', { [`${CORE}type`]: 'text/plain' });
    const put = await svc('PUT', `${N}/${p}`, {
      body: doc,
      headers: { 'Content-Type': 'text/xml', size: String(Buffer.byteLength(doc)) },
    });
    expect(put.status).toBe(201);
    const node = readNode(put.text);
    expect(node.props[`${CORE}length`]?.value).toBe('0');
    expect(node.props[`${CORE}MD5`]).toBeUndefined();
    expect((await svc('GET', `/vault/files/${p}`)).status).toBe(204);
  });

  it('vmkdir -p vos:u/p1/p2/p3 — GETs up the tree until one exists, then PUTs down', async () => {
    const chain = [`${U}/p1/p2/p3`, `${U}/p1/p2`, `${U}/p1`];
    for (const p of chain) expect((await svc('GET', `${N}/${p}?limit=0`)).status).toBe(404);
    expect((await svc('GET', `${N}/${U}?limit=0`)).status).toBe(200);
    for (const p of [...chain].reverse()) {
      const r = await mkdirPy(p);
      expect(r.status, p).toBe(201);
      expect(readNode(r.text).type).toBe('vos:ContainerNode');
    }
  });

  it('vrm vos:u/f — GET ?limit=0, DELETE', async () => {
    const p = `${U}/tobedeleted.txt`;
    await uploadPy(p, Buffer.from('x'));
    expect((await svc('GET', `${N}/${p}?limit=0`)).status).toBe(200);
    const del = await svc('DELETE', `${N}/${p}`);
    expect(del.status).toBe(200);
    expect((await svc('GET', `${N}/${p}?limit=0`)).status).toBe(404);
  });

  it('vrm -R vos:u/d — async-delete (303), phase=RUN (303), GET ?WAIT=6 until final, successcount', async () => {
    const d = `${U}/tree`;
    await mkdirPy(d);
    await mkdirPy(`${d}/sub`);
    await uploadPy(`${d}/sub/f1`, Buffer.from('1'));
    await uploadPy(`${d}/f2`, Buffer.from('2'));
    expect((await svc('GET', `${N}/${d}?limit=0`)).status).toBe(200);
    const create = await svc('POST', '/vault/async-delete', {
      body: new URLSearchParams({ target: bang(d) }).toString(),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(create.status).toBe(303);
    const job = create.headers['location']!;
    expect(new URL(job).pathname).toMatch(/^\/vault\/async-delete\/[^/]+$/);
    const run = await svc('POST', `${job}/phase`, {
      body: 'phase=RUN',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(run.status).toBe(303);
    let phase = '';
    let results: Record<string, string> = {};
    for (let i = 0; i < 100; i++) {
      const r = await svc('GET', `${job}?WAIT=6`);
      const parsed = readJob(r.text);
      phase = parsed.phase;
      results = parsed.results;
      // Python treats PENDING (or anything unknown) after RUN as an error.
      expect(['QUEUED', 'EXECUTING', 'SUSPENDED', 'COMPLETED', 'ABORTED', 'ERROR']).toContain(phase);
      if (!['QUEUED', 'EXECUTING', 'SUSPENDED'].includes(phase)) break;
    }
    expect(phase).toBe('COMPLETED');
    expect(results['successcount']).toBe('final:4');
    expect((await svc('GET', `${N}/${d}?limit=0`)).status).toBe(404);
  });

  it('vmv vos:u/a vos:u/sub — POST transfers, GET the job, PHASE=RUN, poll phase until final, once more', async () => {
    await uploadPy(`${U}/mv-src.txt`, Buffer.from('move me'));
    await mkdirPy(`${U}/mv-sub`);
    let r = await svc('POST', '/vault/transfers', {
      body: transferXml(bang(`${U}/mv-src.txt`), bang(`${U}/mv-sub`), { keepBytes: false }),
      headers: { 'Content-Type': 'text/xml' },
    });
    let jobUrl = '';
    while (r.status === 303) {
      jobUrl = r.headers['location']!;
      r = await svc('GET', jobUrl);
    }
    expect(r.status).toBe(200);
    expect(new URL(jobUrl).pathname).toMatch(/^\/vault\/transfers\/[^/]+$/);
    const run = await svc('POST', `${jobUrl}/phase`, {
      body: 'PHASE=RUN',
      headers: { 'Content-type': 'application/x-www-form-urlencoded' },
    });
    expect(run.status).toBe(303);
    let phase = '';
    for (let i = 0; i < 50; i++) {
      phase = (await svc('GET', `${jobUrl}/phase`)).text;
      if (!['PENDING', 'QUEUED', 'EXECUTING', 'UNKNOWN'].includes(phase)) break;
      await new Promise((res) => setTimeout(res, 10));
    }
    expect(phase).toBe('COMPLETED');
    expect((await svc('GET', `${jobUrl}/phase`)).text).toBe('COMPLETED');
    expect((await svc('GET', `${N}/${U}/mv-sub/mv-src.txt?limit=0`)).status).toBe(200);
    expect((await svc('GET', `${N}/${U}/mv-src.txt?limit=0`)).status).toBe(404);

    // A failed move: CADC's own words, which Python maps to EFAULT (vmv exits 14, as against CADC).
    await uploadPy(`${U}/mv-src2.txt`, Buffer.from('x'));
    await uploadPy(`${U}/mv-sub/mv-src2.txt`, Buffer.from('y'));
    const dup = await svc('POST', '/vault/transfers', {
      body: transferXml(bang(`${U}/mv-src2.txt`), bang(`${U}/mv-sub`), { keepBytes: false }),
      headers: { 'Content-Type': 'text/xml' },
    });
    const dupJob = dup.headers['location']!;
    await svc('POST', `${dupJob}/phase`, {
      body: 'PHASE=RUN',
      headers: { 'Content-type': 'application/x-www-form-urlencoded' },
    });
    let dphase = '';
    for (let i = 0; i < 50 && !['COMPLETED', 'ERROR', 'ABORTED'].includes(dphase); i++) {
      dphase = (await svc('GET', `${dupJob}/phase`)).text;
    }
    expect(dphase).toBe('ERROR');
    expect((await svc('GET', `${dupJob}/error`)).text).toBe(
      `DuplicateNode: destination is an existing DataNode: /${U}/mv-sub/mv-src2.txt`,
    );
  });

  it('vlock --lock / --unlock — GET ?limit=0, POST the whole fetched node plus islocked', async () => {
    const p = `${U}/lockme.txt`;
    await uploadPy(p, Buffer.from('lock'));
    const fetched = (await svc('GET', `${N}/${p}?limit=0`)).text;
    const lock = await svc('POST', `${N}/${p}`, { body: addProps(fetched, { [`${CADC}islocked`]: 'true' }) });
    expect(lock.status).toBe(200);
    expect(readNode(lock.text).props[`${CADC}islocked`]?.value).toBe('true');
    expect((await svc('DELETE', `${N}/${p}`)).status).toBe(403);
    const fetched2 = (await svc('GET', `${N}/${p}?limit=0`)).text;
    const unlock = await svc('POST', `${N}/${p}`, {
      body: addProps(fetched2.replace(/<vos:property uri="[^"]*islocked"[^>]*>[^<]*<\/vos:property>/, ''), {
        [`${CADC}islocked`]: null,
      }),
    });
    expect(unlock.status).toBe(200);
    expect(readNode(unlock.text).props[`${CADC}islocked`]).toBeUndefined();
  });

  it('vtag vos:u/f quality=good — two GETs, POST a fresh document with only the changed props and a size header', async () => {
    const p = `${U}/tagme.txt`;
    await uploadPy(p, Buffer.from('tag'));
    await svc('GET', `${N}/${p}?limit=0`);
    await svc('GET', `${N}/${p}?limit=0`);
    const doc = pythonNodeXml(bang(p), 'DataNode', {
      quality: 'good',
      'ivo://example.org/vtag#rating': '5',
      [`${CORE}type`]: 'text/plain',
    });
    const r = await svc('POST', `${N}/${p}`, {
      body: doc,
      headers: { size: String(Buffer.byteLength(doc)) },
    });
    expect(r.status).toBe(200);
    const n = readNode((await svc('GET', `${N}/${p}?limit=0`)).text);
    expect(n.props['quality']?.value).toBe('good');
    expect(n.props['ivo://example.org/vtag#rating']?.value).toBe('5');
    expect(n.props[`${CORE}MD5`]?.value).toBe(md5Hex('tag'));
    // vtag --remove key: nil.
    const rm = pythonNodeXml(bang(p), 'DataNode', { quality: null });
    expect(
      (await svc('POST', `${N}/${p}`, { body: rm, headers: { size: String(Buffer.byteLength(rm)) } })).status,
    ).toBe(200);
    expect(readNode((await svc('GET', `${N}/${p}?limit=0`)).text).props['quality']).toBeUndefined();
  });

  it('vchmod o+r / g+r and vchmod -R — POST changed props; async-setprops with text/xml', async () => {
    const d = `${U}/perm`;
    await mkdirPy(d);
    await mkdirPy(`${d}/inner`);
    expect((await svc('GET', `${N}/${d}`)).status).toBe(200);
    const pub = pythonNodeXml(bang(d), 'ContainerNode', {
      [`${CORE}ispublic`]: 'true',
      [`${CORE}groupread`]: `${GMS}G1 ${GMS}G2`,
    });
    const r = await svc('POST', `${N}/${d}`, { body: pub });
    expect(r.status).toBe(200);
    expect(readNode(r.text).props[`${CORE}groupread`]?.value).toBe(`${GMS}G1 ${GMS}G2`);
    const rec = await svc('POST', '/vault/async-setprops', {
      body: pythonNodeXml(bang(d), 'ContainerNode', { [`${CORE}groupread`]: null }),
      headers: { 'Content-type': 'text/xml' },
    });
    expect(rec.status).toBe(303);
    const job = rec.headers['location']!;
    expect(
      (
        await svc('POST', `${job}/phase`, {
          body: 'phase=RUN',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        })
      ).status,
    ).toBe(303);
    let parsed = readJob((await svc('GET', `${job}?WAIT=6`)).text);
    for (let i = 0; i < 20 && ['QUEUED', 'EXECUTING'].includes(parsed.phase); i++) {
      parsed = readJob((await svc('GET', `${job}?WAIT=6`)).text);
    }
    expect(parsed.phase).toBe('COMPLETED');
    expect(parsed.results['successcount']).toBe('final:2');
    expect(
      readNode((await svc('GET', `${N}/${d}/inner?limit=0`)).text).props[`${CORE}groupread`],
    ).toBeUndefined();
  });

  it('vsync second run — GET ?limit=0, PUT existing containers get 409', async () => {
    await mkdirPy(`${U}/t`);
    await mkdirPy(`${U}/t/dir`);
    await mkdirPy(`${U}/t/dir/sub`);
    expect((await svc('GET', `${N}/${U}/t?limit=0`)).status).toBe(200);
    for (const p of [`${U}/t/dir`, `${U}/t/dir/sub`]) {
      const r = await mkdirPy(p);
      expect(r.status).toBe(409);
      expect(r.text).toMatch(/^DuplicateNode: /);
    }
  });

  it('a failed download negotiation: 303s to a 200 document, phase ERROR, error text NodeNotFound', async () => {
    const n = await negotiate(bang(`${U}/nothere`), 'pullFromVoSpace');
    expect(n.phase).toBe('ERROR');
    expect(n.error).toBe('NodeNotFound');
    expect(n.endpoints).toEqual([]);
  });
});

describe('Appendix A sequences against the ARC look-alike', () => {
  it('vcp up and down through /arc/files: endpoints used in order, HEAD, PUT with digest, direct GET', async () => {
    const p = `home/${U}/arcfile.txt`;
    const body = Buffer.from('arc content');
    const n = await negotiate(`vos://cadc.nrc.ca!arc/${p}`, 'pushToVoSpace', '/arc');
    expect(n.endpoints[0]).toBe(`${ts.base}/arc/files/${p}`);
    const { put } = await uploadKnownMd5(n.endpoints[0]!, body);
    expect(put!.status).toBe(201);
    const get = await storage('GET', `/arc/files/${p}`);
    expect(get.status).toBe(200);
    expect(get.body.equals(body)).toBe(true);
    expect(get.headers['digest']).toBe(`md5=${md5b64(body)}`);
    // vls on ARC: the unpaged request.
    const list = await svc('GET', `/arc/nodes/home/${U}`);
    expect(readNode(list.text).children.map((c) => c.uri)).toContain(`vos://cadc.nrc.ca~arc/${p}`);
    const root = parseXml((await svc('GET', `/arc/nodes/home/${U}?limit=0`)).text);
    expect(root['vos:node']).toBeDefined();
  });
});
