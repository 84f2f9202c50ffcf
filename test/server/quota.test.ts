/**
 * Quotas over real HTTP: the admin sets `core#quota` on an allocation, and uploads below it are held to it
 * (Vault: push negotiation and storage PUT; ARC: `PUT /files`), counting only the size difference on overwrite.
 * Also Vault's container sizes (`core#length` on a ContainerNode = bytes stored below it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALICE,
  BOB,
  CORE,
  download,
  md5b64,
  mkdir,
  moveJob,
  negotiate,
  nodeXml,
  nodesUrl,
  readNode,
  setProps,
  startTestServer,
  upload,
  vosUri,
  type TestServer,
} from './helpers.js';

let ts: TestServer;

beforeAll(async () => {
  ts = await startTestServer();
});

afterAll(async () => {
  await ts.close();
});

/** The admin creates an allocation owned by bob with a quota of `quota` bytes. */
async function allocate(svc: 'vault' | 'arc', p: string, quota: number): Promise<void> {
  const r = await ts.req('PUT', nodesUrl(svc, p), {
    token: ALICE,
    xml: nodeXml(vosUri(svc, p), 'ContainerNode', {
      [`${CORE}creator`]: 'bob',
      [`${CORE}quota`]: String(quota),
    }),
  });
  expect(r.status).toBe(201);
}

/** A Vault upload split in its two steps: the negotiated storage URL, then the PUT to it. */
async function vaultPut(p: string, bytes: string): Promise<{ status: number; text: string }> {
  const n = await negotiate(ts, 'vault', p, 'pushToVoSpace', BOB);
  const ep = n.transfer.protocols[0]?.endpoint;
  if (!ep) throw new Error(`no endpoint for ${p}`);
  const r = await ts.req('PUT', ep, { token: BOB, body: bytes, headers: { Digest: `md5=${md5b64(bytes)}` } });
  return { status: r.status, text: r.text };
}

describe('quotas', () => {
  it('vault: pushes are refused once nothing is left; the push that crosses the quota goes through', async () => {
    await allocate('vault', 'qvault', 10);
    await mkdir(ts, 'vault', 'qvault/sub', BOB);
    await upload(ts, 'vault', 'qvault/sub/a.txt', '123456', BOB);
    // 4 left: Vault does not know the file's size at negotiation and its storage knows no quotas (minoc).
    expect((await vaultPut('qvault/b.txt', '12345')).status).toBe(201);
    const alloc = readNode((await ts.req('GET', nodesUrl('vault', 'qvault'), { token: BOB })).text);
    expect(alloc.props[`${CORE}length`]?.value).toBe('11');
    // Now nothing is left: every push negotiation is refused, at any depth, also onto an existing node.
    for (const p of ['qvault/c.txt', 'qvault/sub/a.txt']) {
      const n = await negotiate(ts, 'vault', p, 'pushToVoSpace', BOB);
      expect(n.transfer.protocols).toEqual([]);
      expect((await ts.req('GET', `${n.jobUrl}/error`, { token: BOB })).text.trim()).toBe('QuotaExceeded');
    }
    expect((await download(ts, 'vault', 'qvault/sub/a.txt', BOB)).text).toBe('123456');
    // Deleting makes room again.
    expect((await ts.req('DELETE', nodesUrl('vault', 'qvault/b.txt'), { token: BOB })).status).toBe(200);
    await upload(ts, 'vault', 'qvault/sub/a.txt', 'abc', BOB);
    expect((await download(ts, 'vault', 'qvault/sub/a.txt', BOB)).text).toBe('abc');
  });

  it('vault: a refused push answers QuotaExceeded (job error; 413 in parameter mode) and leaves the empty node', async () => {
    await allocate('vault', 'qfull', 4);
    await upload(ts, 'vault', 'qfull/a.txt', '1234', BOB);
    const n = await negotiate(ts, 'vault', 'qfull/b.txt', 'pushToVoSpace', BOB);
    expect(n.chain.map((r) => r.status)).toEqual([303, 303, 200]);
    expect(n.transfer.protocols).toEqual([]);
    expect((await ts.req('GET', `${n.jobUrl}/phase`, { token: BOB })).text).toBe('ERROR');
    expect((await ts.req('GET', `${n.jobUrl}/error`, { token: BOB })).text.trim()).toBe('QuotaExceeded');
    // CADC creates the DataNode before it checks the quota (PushToVOSpaceNegotiation): it stays, empty.
    const left = readNode((await ts.req('GET', nodesUrl('vault', 'qfull/b.txt'), { token: BOB })).text);
    expect(left.props[`${CORE}length`]?.value).toBe('0');
    expect(left.props[`${CORE}MD5`]).toBeUndefined();
    // The parameter mode (what CADC's client tries first) answers with the job's error, as text/plain.
    const quick = await ts.req(
      'GET',
      `/vault/synctrans?TARGET=${encodeURIComponent(vosUri('vault', 'qfull/c.txt'))}` +
        '&DIRECTION=pushToVoSpace&PROTOCOL=ivo%3A%2F%2Fivoa.net%2Fvospace%2Fcore%23httpsput',
      { token: BOB },
    );
    expect([quick.status, quick.text]).toEqual([413, 'QuotaExceeded\n']);
    // The admin raises the quota: pushes go through again.
    expect((await setProps(ts, 'vault', 'qfull', 'ContainerNode', { [`${CORE}quota`]: '5' })).status).toBe(
      200,
    );
    await upload(ts, 'vault', 'qfull/b.txt', 'x', BOB);
  });

  it('arc: PUT /files over the quota answers 413 limit: <quota − bytes used> and keeps the old bytes', async () => {
    await allocate('arc', 'projects/qarc', 8);
    await upload(ts, 'arc', 'projects/qarc/a.txt', '12345', BOB);
    const over = await ts.req('PUT', '/arc/files/projects/qarc/b.txt', { token: BOB, body: '1234' });
    expect(over.status).toBe(413);
    expect(over.text).toBe('limit: 3\n');
    // Cavern creates the node before writing and empties it when the write fails.
    const left = readNode((await ts.req('GET', nodesUrl('arc', 'projects/qarc/b.txt'), { token: BOB })).text);
    expect(left.props[`${CORE}length`]?.value).toBe('0');
    expect((await ts.req('DELETE', nodesUrl('arc', 'projects/qarc/b.txt'), { token: BOB })).status).toBe(200);
    // Overwriting frees the old bytes first (8 may be written over a.txt's 5), but the limit Cavern reports
    // is the quota less what the allocation held before the write.
    const grow = await ts.req('PUT', '/arc/files/projects/qarc/a.txt', { token: BOB, body: '123456789' });
    expect(grow.status).toBe(413);
    expect(grow.text).toBe('limit: 3\n');
    expect((await download(ts, 'arc', 'projects/qarc/a.txt', BOB)).text).toBe('12345');
    // Without a Content-Length (chunked) the body is received, then refused at the commit.
    const chunked = await fetch(`${ts.base}/arc/files/projects/qarc/a.txt`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${BOB}` },
      body: new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode('123456789'));
          c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect([chunked.status, await chunked.text()]).toEqual([413, 'limit: 3\n']);
    expect((await download(ts, 'arc', 'projects/qarc/a.txt', BOB)).text).toBe('12345');
    expect(
      (await ts.req('PUT', '/arc/files/projects/qarc/a.txt', { token: BOB, body: '12345678' })).status,
    ).toBe(201);
    // The nearest container with a quota governs: a tighter one below the allocation wins.
    await mkdir(ts, 'arc', 'projects/qarc2', ALICE, { [`${CORE}quota`]: '100' });
    await mkdir(ts, 'arc', 'projects/qarc2/tight', ALICE, { [`${CORE}quota`]: '2' });
    const tight = await ts.req('PUT', '/arc/files/projects/qarc2/tight/x', { token: ALICE, body: '123' });
    expect([tight.status, tight.text]).toEqual([413, 'limit: 2\n']);
  });

  it('vault: a container carries core#length, the bytes stored below it; arc containers do not', async () => {
    await mkdir(ts, 'vault', 'alice/sized');
    await mkdir(ts, 'vault', 'alice/sized/empty');
    await mkdir(ts, 'vault', 'alice/sized/deep');
    await upload(ts, 'vault', 'alice/sized/top.txt', '1234');
    await upload(ts, 'vault', 'alice/sized/deep/x.txt', '12345');
    const len = async (p: string) =>
      readNode((await ts.req('GET', nodesUrl('vault', p), { token: ALICE })).text).props[`${CORE}length`];
    expect(await len('alice/sized')).toEqual({ value: '9', readOnly: true });
    expect(await len('alice/sized/deep')).toEqual({ value: '5', readOnly: true });
    expect(await len('alice/sized/empty')).toEqual({ value: '0', readOnly: true });
    // Children in a listing carry it too (what `vls -S` sorts on).
    const listing = readNode((await ts.req('GET', nodesUrl('vault', 'alice/sized'), { token: ALICE })).text);
    const byName = Object.fromEntries(
      listing.children.map((c) => [c.uri.slice(c.uri.lastIndexOf('/') + 1), c.props[`${CORE}length`]?.value]),
    );
    expect(byName).toEqual({ deep: '5', empty: '0', 'top.txt': '4' });
    // Overwrites and deletes are reflected at once.
    await upload(ts, 'vault', 'alice/sized/deep/x.txt', '12');
    expect((await ts.req('DELETE', nodesUrl('vault', 'alice/sized/top.txt'), { token: ALICE })).status).toBe(
      200,
    );
    expect(await len('alice/sized')).toEqual({ value: '2', readOnly: true });
    // Cavern reports it only with CephFS (ceph.dir.rbytes): our ARC leaves it out.
    await mkdir(ts, 'arc', 'home/alice/sized');
    await upload(ts, 'arc', 'home/alice/sized/a.txt', '123');
    const arc = readNode((await ts.req('GET', nodesUrl('arc', 'home/alice/sized'), { token: ALICE })).text);
    expect(arc.props[`${CORE}length`]).toBeUndefined();
  });

  it('arc: copies and moves into an allocation count against its quota; moves inside it do not', async () => {
    await allocate('arc', 'projects/qmove', 10);
    await upload(ts, 'arc', 'home/bob/big.txt', 'x'.repeat(100), BOB);
    const copy = await moveJob(ts, 'arc', 'home/bob/big.txt', 'projects/qmove/copied.txt', true, BOB);
    expect(copy.phase).toBe('ERROR');
    expect(copy.errorMessage).toMatch(/limit: 10/);
    const move = await moveJob(ts, 'arc', 'home/bob/big.txt', 'projects/qmove/moved.txt', false, BOB);
    expect(move.phase).toBe('ERROR');
    expect((await ts.req('GET', nodesUrl('arc', 'projects/qmove/moved.txt'), { token: BOB })).status).toBe(
      404,
    );
    expect((await ts.req('GET', nodesUrl('arc', 'home/bob/big.txt'), { token: BOB })).status).toBe(200);
    await upload(ts, 'arc', 'projects/qmove/a.txt', '12345678', BOB);
    await mkdir(ts, 'arc', 'projects/qmove/sub', BOB);
    expect(
      (await moveJob(ts, 'arc', 'projects/qmove/a.txt', 'projects/qmove/sub/a.txt', false, BOB)).phase,
    ).toBe('COMPLETED');
  });

  it('vault: moves are not held to quotas (CADC checks them at push negotiation only)', async () => {
    await allocate('vault', 'qmove', 10);
    await upload(ts, 'vault', 'bob/big.txt', 'x'.repeat(100), BOB);
    expect((await moveJob(ts, 'vault', 'bob/big.txt', 'qmove/moved.txt', false, BOB)).phase).toBe(
      'COMPLETED',
    );
    const n = await negotiate(ts, 'vault', 'qmove/next.txt', 'pushToVoSpace', BOB);
    expect((await ts.req('GET', `${n.jobUrl}/error`, { token: BOB })).text.trim()).toBe('QuotaExceeded');
  });

  it('no quota, no limit', async () => {
    await mkdir(ts, 'vault', 'alice/free');
    await upload(ts, 'vault', 'alice/free/big.bin', Buffer.alloc(100_000, 1));
  });
});
