/**
 * Conformance over real HTTP: PUT transactions on the data endpoints (Vault's storage URLs, ARC's /files), as
 * minoc answers them — start, append, state by HEAD, revert, commit, abort, the checks at the last segment and
 * at the commit, an append cut short rolled back, limits on segments, permissions, and acknowledged segments
 * surviving a restart. The sequences follow minoc's own PutTransactionTest.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALICE,
  BOB,
  CORE,
  GMS,
  download,
  interruptedPut,
  md5b64,
  mkdir,
  negotiate,
  nodesUrl,
  readNode,
  setProps,
  startTestServer,
  upload,
  type Res,
  type Service,
  type TestServer,
} from './helpers.js';
import { md5Hex } from '../../src/util/md5.js';

let ts: TestServer;

beforeAll(async () => {
  ts = await startTestServer();
  // A project area alice owns where bob's group may write: two users who can both write one node.
  for (const [svc, p] of [
    ['vault', 'team'],
    ['arc', 'projects/team'],
  ] as const) {
    await mkdir(ts, svc, p, ALICE, {
      [`${CORE}creator`]: 'alice',
      [`${CORE}groupwrite`]: `${GMS}survey`,
      [`${CORE}groupread`]: `${GMS}survey`,
    });
  }
});

afterAll(async () => {
  await ts.close();
});

const TXN = 'x-put-txn-id';
const OP = 'x-put-txn-op';

/** The URL a client PUTs a node's bytes to: Vault's negotiated storage URL, ARC's /files. */
async function dataUrl(svc: Service, p: string, token = ALICE): Promise<string> {
  if (svc === 'arc') return `${ts.base}/arc/files/${p}`;
  const n = await negotiate(ts, svc, p, 'pushToVoSpace', token);
  const ep = n.transfer.protocols[0]?.endpoint;
  if (!ep) throw new Error(`no push endpoint for ${p}`);
  return ep;
}

interface Step {
  body?: Buffer | string;
  headers?: Record<string, string>;
  token?: string;
}

function call(method: string, url: string, s: Step = {}): Promise<Res> {
  const token = s.token ?? ALICE;
  return ts.req(method, url, {
    token,
    headers: s.headers ?? {},
    ...(s.body !== undefined ? { body: s.body } : {}),
  });
}

const put = (url: string, s: Step) => call('PUT', url, s);
const head = (url: string, id: string, token?: string) =>
  call('HEAD', url, { headers: { [TXN]: id }, ...(token ? { token } : {}) });
const post = (url: string, id: string, op?: string) =>
  call('POST', url, { body: '', headers: { [TXN]: id, ...(op ? { [OP]: op } : {}) } });
const digestOf = (b: Buffer | string) => `md5=${md5b64(b)}`;

async function startTxn(url: string, total: number): Promise<string> {
  const r = await put(url, { body: '', headers: { [OP]: 'start', 'x-total-length': String(total) } });
  expect(r.status).toBe(202);
  const id = r.headers[TXN];
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  return id!;
}

async function append(url: string, id: string, bytes: Buffer | string, extra: Record<string, string> = {}) {
  return put(url, { body: bytes, headers: { [TXN]: id, ...extra } });
}

async function commit(url: string, id: string, extra: Record<string, string> = {}) {
  return put(url, { body: '', headers: { [TXN]: id, [OP]: 'commit', ...extra } });
}

async function nodeBytes(svc: Service, p: string): Promise<Res> {
  return download(ts, svc, p);
}

function home(svc: Service): string {
  return svc === 'vault' ? 'alice' : 'home/alice';
}

describe.each(['vault', 'arc'] as const)('%s: PUT transactions', (svc) => {
  const h = home(svc);

  it('start with the whole body, state by HEAD, commit (minoc testPutCommit)', async () => {
    const p = `${h}/commit.txt`;
    const url = await dataUrl(svc, p);
    const data = 'abcdefghijklmnopqrstuvwxyz';
    const start = await put(url, { body: data, headers: { [OP]: 'start' } });
    expect(start.status).toBe(202);
    expect(start.headers['digest']).toBe(digestOf(data));
    expect(start.headers['content-length']).toBe('0');
    expect(start.headers['x-put-segment-minbytes']).toBe('1');
    const id = start.headers[TXN]!;
    // Nothing is visible before the commit.
    const before = await nodeBytes(svc, p);
    expect(before.text).not.toBe(data);
    const state = await head(url, id);
    expect(state.status).toBe(200);
    expect(state.headers[TXN]).toBe(id);
    expect(state.headers['digest']).toBe(digestOf(data));
    expect(state.headers['content-length']).toBe(String(data.length));
    const done = await commit(url, id);
    expect(done.status).toBe(201);
    expect(done.headers['digest']).toBe(digestOf(data));
    expect(done.headers[TXN]).toBeUndefined();
    // The transaction is gone once committed (minoc answers 400).
    expect((await head(url, id)).status).toBe(400);
    expect((await nodeBytes(svc, p)).text).toBe(data);
    const node = readNode((await ts.req('GET', nodesUrl(svc, p), { token: ALICE })).text);
    expect(node.props[`${CORE}MD5`]?.value).toBe(md5Hex(data));
    expect(node.props[`${CORE}length`]?.value).toBe(String(data.length));
  });

  it('appends segments, reverts the last one, and commits the whole (minoc testPutMultiPartCommit)', async () => {
    const p = `${h}/multi.txt`;
    const url = await dataUrl(svc, p);
    const one = 'abcdefghijklmnopqrstuvwxyz\n';
    const two = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ\n';
    const start = await put(url, {
      body: one,
      headers: { [OP]: 'start', 'x-total-length': String(one.length + two.length) },
    });
    expect(start.status).toBe(202);
    expect(start.headers['digest']).toBe(digestOf(one));
    const id = start.headers[TXN]!;
    const toZero = await post(url, id, 'revert');
    expect(toZero.status).toBe(202);
    expect(toZero.headers[TXN]).toBe(id);
    expect(toZero.headers['digest']).toBeUndefined();
    expect((await head(url, id)).headers['content-length']).toBe('0');
    // Only one step back is kept.
    expect((await post(url, id, 'revert')).status).toBe(400);
    expect((await append(url, id, one)).status).toBe(202);
    const both = await append(url, id, two);
    expect(both.status).toBe(202);
    expect(both.headers['digest']).toBe(digestOf(one + two));
    const back = await post(url, id, 'revert');
    expect(back.status).toBe(202);
    expect(back.headers['digest']).toBe(digestOf(one));
    const state = await head(url, id);
    expect(state.headers['content-length']).toBe(String(one.length));
    expect(state.headers['digest']).toBe(digestOf(one));
    expect((await append(url, id, two)).headers['digest']).toBe(digestOf(one + two));
    expect((await commit(url, id)).status).toBe(201);
    expect((await nodeBytes(svc, p)).text).toBe(one + two);
  });

  it('explicit start, then abort: the node keeps its bytes (minoc testExplicitStartTransaction)', async () => {
    const p = `${h}/abort.txt`;
    await upload(ts, svc, p, 'kept');
    const url = await dataUrl(svc, p);
    const id = await startTxn(url, 10);
    const empty = await head(url, id);
    expect(empty.status).toBe(200);
    expect(empty.headers['content-length']).toBe('0');
    expect(empty.headers['digest']).toBeUndefined();
    expect((await append(url, id, 'replaced')).status).toBe(202);
    const none = await post(url, id);
    expect(none.status).toBe(204);
    expect(none.headers['digest']).toBe(digestOf('replaced'));
    expect((await post(url, id, 'abort')).status).toBe(204);
    expect((await head(url, id)).status).toBe(400);
    expect((await append(url, id, 'more')).status).toBe(400);
    expect((await nodeBytes(svc, p)).text).toBe('kept');
  });

  it('keeps the old bytes visible until the commit replaces them in one step', async () => {
    const p = `${h}/atomic.txt`;
    await upload(ts, svc, p, 'old version');
    const url = await dataUrl(svc, p);
    const id = await startTxn(url, 11);
    await append(url, id, 'new ');
    await append(url, id, 'version');
    expect((await nodeBytes(svc, p)).text).toBe('old version');
    expect((await commit(url, id)).status).toBe(201);
    expect((await nodeBytes(svc, p)).text).toBe('new version');
  });

  it('rolls back an append cut short: the state is the last acknowledged segment, and the upload goes on', async () => {
    const p = `${h}/cut.bin`;
    const url = await dataUrl(svc, p);
    const one = Buffer.alloc(1000, 1);
    const two = Buffer.alloc(1000, 2);
    const id = await startTxn(url, 2000);
    await append(url, id, one);
    const u = new URL(url);
    await interruptedPut(
      ts.srv.port,
      u.pathname + u.search,
      { Authorization: `Bearer ${ALICE}`, [TXN]: id },
      1000,
      two.subarray(0, 300),
    );
    // The server notices the cut and truncates; the state never shows the partial segment.
    let state = await head(url, id);
    for (let i = 0; i < 50 && state.headers['content-length'] !== '1000'; i++) state = await head(url, id);
    expect(state.headers['content-length']).toBe('1000');
    expect(state.headers['digest']).toBe(digestOf(one));
    // The partial bytes are gone from the transaction's file too, not merely hidden (the cut is noticed
    // as the socket closes, so give it a moment).
    const txnFile = path.join(ts.dataDir, 'txns', id);
    for (let i = 0; i < 40 && fs.statSync(txnFile).size !== 1000; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(fs.statSync(txnFile).size).toBe(1000);
    expect((await append(url, id, two)).headers['digest']).toBe(digestOf(Buffer.concat([one, two])));
    expect((await commit(url, id)).status).toBe(201);
    expect((await nodeBytes(svc, p)).body.equals(Buffer.concat([one, two]))).toBe(true);
  });

  it('checks length and MD5: at the last segment, and again at the commit', async () => {
    const p = `${h}/checked.txt`;
    const url = await dataUrl(svc, p);
    const id = await startTxn(url, 8);
    expect((await append(url, id, '1234')).status).toBe(202);
    // Too early: 4 of 8 bytes.
    const early = await commit(url, id);
    expect(early.status).toBe(412);
    expect(early.text).toContain('length mismatch');
    // Past the announced total: refused and not kept.
    expect((await append(url, id, '567890')).status).toBe(412);
    // The last segment with a Digest that is not the whole upload's MD5: refused and not kept.
    const wrong = await append(url, id, '5678', { Digest: digestOf('something else') });
    expect(wrong.status).toBe(412);
    expect(wrong.text).toContain('checksum mismatch');
    expect((await head(url, id)).headers['content-length']).toBe('4');
    const right = await append(url, id, '5678', { Digest: digestOf('12345678') });
    expect(right.status).toBe(202);
    expect((await commit(url, id, { Digest: digestOf('other') })).status).toBe(412);
    expect((await commit(url, id, { Digest: digestOf('12345678') })).status).toBe(201);
    expect((await nodeBytes(svc, p)).text).toBe('12345678');
  });

  it('refuses malformed transaction requests with 400', async () => {
    const p = `${h}/bad.txt`;
    const url = await dataUrl(svc, p);
    const id = await startTxn(url, 3);
    const cases: [string, Step][] = [
      ['start with an id', { body: '', headers: { [OP]: 'start', [TXN]: id } }],
      ['commit without an id', { body: '', headers: { [OP]: 'commit' } }],
      ['commit with a body', { body: 'abc', headers: { [OP]: 'commit', [TXN]: id } }],
      ['unknown id', { body: 'abc', headers: { [TXN]: '00000000-0000-4000-8000-000000000000' } }],
      ['malformed id', { body: 'abc', headers: { [TXN]: '../../etc' } }],
      ['unknown op', { body: 'abc', headers: { [OP]: 'append', [TXN]: id } }],
      ['abort by PUT', { body: '', headers: { [OP]: 'abort', [TXN]: id } }],
      ['bad total', { body: '', headers: { [OP]: 'start', 'x-total-length': '-1' } }],
    ];
    for (const [what, step] of cases) {
      const r = await put(url, step);
      expect(r.status, what).toBe(400);
    }
    const startByPost = await call('POST', url, { body: '', headers: { [OP]: 'start', [TXN]: id } });
    expect(startByPost.status).toBe(400);
    // None of that touched the transaction.
    expect((await head(url, id)).headers['content-length']).toBe('0');
  });

  it('serves a transaction only to the user and the node that started it', async () => {
    const team = svc === 'vault' ? 'team' : 'projects/team';
    const p = `${team}/shared.bin`;
    const url = await dataUrl(svc, p);
    const id = await startTxn(url, 6);
    await append(url, id, 'abc');
    if (svc === 'arc') {
      // Bob may write the node, but not through alice's transaction.
      expect((await call('HEAD', url, { token: BOB, headers: { [TXN]: id } })).status).toBe(403);
      expect((await put(url, { token: BOB, body: 'def', headers: { [TXN]: id } })).status).toBe(403);
      expect((await put(url, { token: BOB, body: '', headers: { [TXN]: id, [OP]: 'commit' } })).status).toBe(
        403,
      );
      expect((await call('HEAD', url, { token: '', headers: { [TXN]: id } })).status).toBe(403);
    } else {
      // Vault's new nodes inherit nothing: alice lets bob's group write this one.
      const write = { [`${CORE}groupwrite`]: `${GMS}survey` };
      expect((await setProps(ts, svc, p, 'DataNode', write)).status).toBe(200);
      // Bob's own storage URL for the same node does not reach alice's transaction.
      const bobs = await dataUrl(svc, p, BOB);
      expect((await call('HEAD', bobs, { token: BOB, headers: { [TXN]: id } })).status).toBe(403);
      expect((await put(bobs, { token: BOB, body: 'def', headers: { [TXN]: id } })).status).toBe(403);
      // A read grant (a pull negotiation) may not see or touch it either.
      const n = await negotiate(ts, svc, p, 'pullFromVoSpace', ALICE);
      const readUrl = n.transfer.protocols[0]!.endpoint!;
      expect((await call('HEAD', readUrl, { headers: { [TXN]: id } })).status).toBe(403);
      expect((await post(readUrl, id, 'abort')).status).toBe(403);
    }
    // Another node's URL does not reach it.
    const other = await dataUrl(svc, `${h}/other.bin`);
    expect((await head(other, id)).status).toBe(400);
    expect((await append(other, id, 'def')).status).toBe(400);
    // Alice's transaction is intact.
    expect((await head(url, id)).headers['content-length']).toBe('3');
    expect((await append(url, id, 'def')).status).toBe(202);
    expect((await commit(url, id)).status).toBe(201);
    expect((await nodeBytes(svc, p)).text).toBe('abcdef');
  });
});

describe('PUT transactions across a restart', () => {
  it('keep acknowledged segments, drop unacknowledged bytes, and go on with the right MD5', async () => {
    const p = 'alice/durable.bin';
    const url = await dataUrl('vault', p);
    const one = Buffer.alloc(4096, 7);
    const two = Buffer.alloc(2048, 9);
    const id = await startTxn(url, one.length + two.length);
    expect((await append(url, id, one)).status).toBe(202);
    // Bytes of an append that was never acknowledged (a crash mid-segment) are left in the file.
    fs.appendFileSync(path.join(ts.dataDir, 'txns', id), Buffer.alloc(100, 0xee));
    // An orphan file no transaction owns is collected.
    fs.writeFileSync(path.join(ts.dataDir, 'txns', 'stray'), 'x');
    await ts.restart();
    const moved = url.replace(/^http:\/\/[^/]+/, ts.base);
    const state = await head(moved, id);
    expect(state.status).toBe(200);
    expect(state.headers['content-length']).toBe(String(one.length));
    expect(state.headers['digest']).toBe(digestOf(one));
    expect(fs.existsSync(path.join(ts.dataDir, 'txns', 'stray'))).toBe(false);
    // The unacknowledged bytes were cut off the file at the restart.
    expect(fs.statSync(path.join(ts.dataDir, 'txns', id)).size).toBe(one.length);
    const whole = Buffer.concat([one, two]);
    expect((await append(moved, id, two)).headers['digest']).toBe(digestOf(whole));
    expect((await commit(moved, id)).status).toBe(201);
    expect((await nodeBytes('vault', p)).body.equals(whole)).toBe(true);
    expect(fs.existsSync(path.join(ts.dataDir, 'txns', id))).toBe(false);
  });
});

describe('quotas', () => {
  it('refuse a transaction whose announced total or whose segments would pass the quota', async () => {
    await mkdir(ts, 'arc', 'projects/small', ALICE, { [`${CORE}quota`]: '10' });
    const url = `${ts.base}/arc/files/projects/small/q.bin`;
    const tooBig = await put(url, { body: '', headers: { [OP]: 'start', 'x-total-length': '11' } });
    expect(tooBig.status).toBe(413);
    // Without a total, each segment is held to what is left.
    const start = await put(url, { body: '12345678', headers: { [OP]: 'start' } });
    const id = start.headers[TXN]!;
    expect(start.status).toBe(202);
    expect((await commit(url, id)).status).toBe(201);
    const again = await put(url, { body: '', headers: { [OP]: 'start' } });
    expect(again.status).toBe(202);
    expect((await append(url, again.headers[TXN]!, '12345678901')).status).toBe(413);
  });
});

describe('segment limits', () => {
  it('are announced and enforced; the last segment may be smaller', async () => {
    const limited = await startTestServer({ limits: { putSegmentMinBytes: 4, putSegmentMaxBytes: 8 } });
    try {
      const url = `${limited.base}/arc/files/home/alice/limits.bin`;
      const req = (headers: Record<string, string>, body: string) =>
        limited.req('PUT', url, { token: ALICE, headers, body });
      const start = await req({ [OP]: 'start', 'x-total-length': '14' }, '');
      expect(start.headers['x-put-segment-minbytes']).toBe('4');
      expect(start.headers['x-put-segment-maxbytes']).toBe('8');
      const id = start.headers[TXN]!;
      expect((await req({ [TXN]: id }, '123456789')).status).toBe(400);
      expect((await req({ [TXN]: id }, '12')).status).toBe(400);
      expect((await req({ [TXN]: id }, '12345678')).status).toBe(202);
      expect((await req({ [TXN]: id }, '9abc')).status).toBe(202);
      expect((await req({ [TXN]: id }, 'de')).status).toBe(202);
      expect((await req({ [TXN]: id, [OP]: 'commit' }, '')).status).toBe(201);
    } finally {
      await limited.close();
    }
  });
});
