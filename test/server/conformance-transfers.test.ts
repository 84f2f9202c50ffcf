/**
 * Conformance over real HTTP: sync transfer negotiation (`/synctrans` → transferDetails → `/xfer`), the job
 * phase/error endpoints clients poll, failures, and the parameter mode.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALICE,
  BOB,
  CORE,
  HTTPSGET,
  HTTPSPUT,
  SSO_TOKEN,
  md5b64,
  mkdir,
  negotiate,
  nodeXml,
  nodesUrl,
  readNode,
  readTransfer,
  startTestServer,
  transferXml,
  upload,
  vosUri,
  type Service,
  type TestServer,
} from './helpers.js';
import { md5Hex } from '../../src/util/md5.js';

let ts: TestServer;

beforeAll(async () => {
  ts = await startTestServer();
});

afterAll(async () => {
  await ts.close();
});

describe('POST /synctrans with a transfer document', () => {
  it('vault push: 303 → transferDetails → 303 → /xfer/{id} → 200 document with pre-authorised endpoints', async () => {
    const p = 'alice/push1.txt';
    const post = await ts.req('POST', '/vault/synctrans', {
      token: ALICE,
      xml: transferXml(vosUri('vault', p, '!'), 'pushToVoSpace', {
        protocols: [{ uri: HTTPSPUT, securityMethod: SSO_TOKEN }, { uri: HTTPSPUT }],
      }),
    });
    expect(post.status).toBe(303);
    const m = /^(.*)\/vault\/transfers\/([^/]+)\/results\/transferDetails$/.exec(
      post.headers['location'] ?? '',
    );
    expect(m?.[1]).toBe(ts.base);
    const id = m![2]!;
    const details = await ts.req('GET', post.headers['location']!, { token: ALICE });
    expect(details.status).toBe(303);
    expect(details.headers['location']).toBe(`${ts.base}/vault/xfer/${id}`);
    const xfer = await ts.req('GET', details.headers['location']!, { token: ALICE });
    expect(xfer.status).toBe(200);
    expect(xfer.headers['content-type']).toMatch(/^text\/xml/);
    expect(xfer.text).toMatch(/<vos:transfer [^>]*version="2\.1"/);
    const t = readTransfer(xfer.text);
    expect(t.target).toBe(vosUri('vault', p));
    expect(t.direction).toBe('pushToVoSpace');
    expect(t.keepBytes).toBe('true');
    // Vault: one anonymous pre-authorised URL per protocol URI, no securityMethod echoed.
    expect(t.protocols).toHaveLength(1);
    expect(t.protocols[0]!.uri).toBe(HTTPSPUT);
    expect(t.protocols[0]!.securityMethod).toBeUndefined();
    const ep = t.protocols[0]!.endpoint!;
    expect(ep.startsWith(ts.base)).toBe(true);

    // The job URL a Python client derives from the final URL answers phase and (absent) error.
    const jobUrl = `${ts.base}/vault/xfer/${id}`.replace(/xfer/g, 'transfers');
    const phase = await ts.req('GET', `${jobUrl}/phase`, { token: ALICE });
    expect(phase.status).toBe(200);
    expect(phase.headers['content-type']).toMatch(/^text\/plain/);
    expect(phase.text).toBe('EXECUTING');
    expect((await ts.req('GET', `${jobUrl}/error`, { token: ALICE })).status).toBe(404);

    // Push created the empty DataNode at negotiation time.
    const node = readNode((await ts.req('GET', nodesUrl('vault', p), { token: ALICE })).text);
    expect(node.type).toBe('vos:DataNode');
    expect(node.props[`${CORE}length`]?.value).toBe('0');

    // The endpoint needs no credentials.
    const body = Buffer.from('pushed bytes');
    const putr = await ts.req('PUT', ep, { body, headers: { Digest: `md5=${md5b64(body)}` } });
    expect(putr.status).toBe(201);
    const after = readNode((await ts.req('GET', nodesUrl('vault', p), { token: ALICE })).text);
    expect(after.props[`${CORE}MD5`]?.value).toBe(md5Hex(body));
  });

  it('vault pull: endpoint serves the bytes anonymously; application/xml is accepted too', async () => {
    const p = 'alice/pull1.txt';
    await upload(ts, 'vault', p, 'pull me');
    const post = await ts.req('POST', '/vault/synctrans', {
      token: ALICE,
      body: transferXml(vosUri('vault', p), 'pullFromVoSpace', { protocols: [{ uri: HTTPSGET }] }),
      headers: { 'Content-Type': 'application/xml' },
    });
    expect(post.status).toBe(303);
    const n = await negotiate(ts, 'vault', p, 'pullFromVoSpace');
    expect(n.chain.map((r) => r.status)).toEqual([303, 303, 200]);
    const ep = n.transfer.protocols[0]!.endpoint!;
    const r = await ts.req('GET', ep);
    expect(r.status).toBe(200);
    expect(r.text).toBe('pull me');
  });

  it('arc: endpoints keep request order, echo securityMethods, and offer pre-authorised URLs for bare protocols', async () => {
    const p = 'home/alice/arcpush.txt';
    const n = await negotiate(ts, 'arc', p, 'pushToVoSpace');
    expect(n.transfer.protocols).toHaveLength(2);
    const [withSec, bare] = n.transfer.protocols;
    expect(withSec!.securityMethod).toBe(SSO_TOKEN);
    expect(withSec!.endpoint).toBe(`${ts.base}/arc/files/${p}`);
    expect(bare!.securityMethod).toBeUndefined();
    expect(bare!.endpoint).toMatch(new RegExp(`^${ts.base}/arc/files/preauth:[^/]+/${p}$`));
    // The pre-authorised one works without credentials, the plain one with them.
    expect((await ts.req('PUT', bare!.endpoint!, { body: 'v1' })).status).toBe(201);
    expect((await ts.req('PUT', withSec!.endpoint!, { body: 'v2', token: ALICE })).status).toBe(201);
    expect((await ts.req('PUT', withSec!.endpoint!, { body: 'v3' })).status).toBe(403);
    const got = await ts.req('GET', `/arc/files/${p}`, { token: ALICE });
    expect(got.text).toBe('v2');
  });

  for (const svc of ['vault', 'arc'] as Service[]) {
    const h = svc === 'vault' ? 'alice' : 'home/alice';

    it(`${svc}: a failed negotiation leaves phase ERROR, an error text and a transfer document without protocols`, async () => {
      const cases: [string, 'pushToVoSpace' | 'pullFromVoSpace', string | null, RegExp][] = [
        [`${h}/nothere.txt`, 'pullFromVoSpace', ALICE, /^NodeNotFound$/],
        [`${h}/nodir/x.txt`, 'pushToVoSpace', ALICE, /^ContainerNotFound/],
        [`${h}`, 'pushToVoSpace', ALICE, /^InvalidArgument$/],
        [`${h}/secret.txt`, 'pullFromVoSpace', BOB, /^PermissionDenied$/],
        [`${h}/anon.txt`, 'pushToVoSpace', null, /^PermissionDenied$/],
      ];
      await upload(ts, svc, `${h}/secret.txt`, 'secret');
      for (const [p, dir, token, msg] of cases) {
        const n = await negotiate(ts, svc, p, dir, token);
        expect(
          n.chain.map((r) => r.status),
          p,
        ).toEqual([303, 303, 200]);
        expect(n.transfer.protocols, p).toEqual([]);
        const o = token ? { token } : {};
        const phase = await ts.req('GET', `${n.jobUrl}/phase`, o);
        expect(phase.text, p).toBe('ERROR');
        const err = await ts.req('GET', `${n.jobUrl}/error`, o);
        expect(err.status).toBe(200);
        expect(err.headers['content-type']).toMatch(/^text\/plain/);
        expect(err.text.trim(), p).toMatch(msg);
      }
      // Nothing was created by the failed pushes.
      expect((await ts.req('GET', nodesUrl(svc, `${h}/anon.txt`), { token: ALICE })).status).toBe(404);
    });

    it(`${svc}: pushing onto an existing DataNode reuses it`, async () => {
      const p = `${h}/again.txt`;
      await upload(ts, svc, p, 'one');
      await upload(ts, svc, p, 'two!');
      const node = readNode((await ts.req('GET', nodesUrl(svc, p), { token: ALICE })).text);
      expect(node.props[`${CORE}length`]?.value).toBe('4');
    });
  }

  it('fails unsupported views with ViewNotSupported and answers 404 for unknown jobs and results', async () => {
    const post = await ts.req('POST', '/vault/synctrans', {
      token: ALICE,
      xml: transferXml(vosUri('vault', 'alice/pull1.txt'), 'pullFromVoSpace', {
        protocols: [{ uri: HTTPSGET }],
        view: 'ivo://example.org/view#weird',
      }),
    });
    const jobUrl = post.headers['location']!.replace(/\/results\/transferDetails$/, '');
    expect((await ts.req('GET', `${jobUrl}/phase`, { token: ALICE })).text).toBe('ERROR');
    expect((await ts.req('GET', `${jobUrl}/error`, { token: ALICE })).text).toMatch(/^ViewNotSupported/);
    expect((await ts.req('GET', `${jobUrl}/results/nonesuch`, { token: ALICE })).status).toBe(404);
    const unknown = await ts.req('GET', '/vault/transfers/doesnotexist', { token: ALICE });
    expect(unknown.status).toBe(404);
    expect(unknown.text).toBe('not found: doesnotexist\n');
    expect((await ts.req('GET', '/vault/xfer/doesnotexist', { token: ALICE })).status).toBe(404);
  });

  it('rejects malformed transfer documents with 400 and oversized ones with 413', async () => {
    const bad = await ts.req('POST', '/vault/synctrans', {
      token: ALICE,
      xml: '<vos:transfer xmlns:vos="x"><oops',
    });
    expect(bad.status).toBe(400);
    const big = transferXml(vosUri('vault', 'alice/x'), 'pullFromVoSpace', {
      protocols: Array.from({ length: 600 }, () => ({ uri: HTTPSGET, securityMethod: SSO_TOKEN })),
    });
    expect(Buffer.byteLength(big)).toBeGreaterThan(32 * 1024);
    expect((await ts.req('POST', '/vault/synctrans', { token: ALICE, xml: big })).status).toBe(413);
  });
});

describe('parameter mode /synctrans?TARGET=&DIRECTION=&PROTOCOL=', () => {
  for (const svc of ['vault', 'arc'] as Service[]) {
    const h = svc === 'vault' ? 'alice' : 'home/alice';

    it(`${svc}: GET redirects (303) to the data URL for pulls and pushes`, async () => {
      const p = `${h}/param.txt`;
      await upload(ts, svc, p, 'by parameters');
      const q = (dir: string, proto: string) =>
        `/${svc}/synctrans?TARGET=${encodeURIComponent(vosUri(svc, p))}&DIRECTION=${dir}&PROTOCOL=${encodeURIComponent(proto)}`;
      const pull = await ts.req('GET', q('pullFromVoSpace', HTTPSGET), { token: ALICE });
      expect(pull.status).toBe(303);
      const bytes = await ts.req('GET', pull.headers['location']!);
      expect(bytes.status).toBe(200);
      expect(bytes.text).toBe('by parameters');

      const push = await ts.req('GET', q('pushToVoSpace', HTTPSPUT), { token: ALICE });
      expect(push.status).toBe(303);
      expect((await ts.req('PUT', push.headers['location']!, { body: 'replaced' })).status).toBe(201);
      const r = await ts.req('GET', `/${svc}/files/${p}`, { token: ALICE });
      const final = r.status === 303 ? await ts.req('GET', r.headers['location']!) : r;
      expect(final.text).toBe('replaced');

      // A form POST works the same way.
      const form = await ts.req('POST', `/${svc}/synctrans`, {
        token: ALICE,
        form: { TARGET: vosUri(svc, p), DIRECTION: 'pullFromVoSpace', PROTOCOL: HTTPSGET },
      });
      expect(form.status).toBe(303);
    });

    it(`${svc}: missing parameters are a 400, failures answer the fault status directly`, async () => {
      const target = encodeURIComponent(vosUri(svc, `${h}/param.txt`));
      for (const q of [
        `DIRECTION=pullFromVoSpace&PROTOCOL=${encodeURIComponent(HTTPSGET)}`,
        `TARGET=${target}&PROTOCOL=${encodeURIComponent(HTTPSGET)}`,
        `TARGET=${target}&DIRECTION=pullFromVoSpace`,
      ]) {
        const r = await ts.req('GET', `/${svc}/synctrans?${q}`, { token: ALICE });
        expect(r.status, q).toBe(400);
        expect(r.text).toMatch(/^Invalid input: missing parameters: /);
      }
      const missing = await ts.req(
        'GET',
        `/${svc}/synctrans?TARGET=${encodeURIComponent(vosUri(svc, `${h}/absent`))}&DIRECTION=pullFromVoSpace&PROTOCOL=${encodeURIComponent(HTTPSGET)}`,
        { token: ALICE },
      );
      expect(missing.status).toBe(404);
      expect(missing.text).toMatch(/^NodeNotFound: /);
      const denied = await ts.req(
        'GET',
        `/${svc}/synctrans?TARGET=${target}&DIRECTION=pullFromVoSpace&PROTOCOL=${encodeURIComponent(HTTPSGET)}`,
        { token: BOB },
      );
      expect(denied.status).toBe(403);
    });
  }

  it('creates the DataNode for a parameter-mode push to a new name', async () => {
    await mkdir(ts, 'vault', 'alice/pm');
    const r = await ts.req(
      'GET',
      `/vault/synctrans?TARGET=${encodeURIComponent(vosUri('vault', 'alice/pm/new.bin'))}&DIRECTION=pushToVoSpace&PROTOCOL=${encodeURIComponent(HTTPSPUT)}`,
      { token: ALICE },
    );
    expect(r.status).toBe(303);
    const n = await ts.req('GET', nodesUrl('vault', 'alice/pm/new.bin'), { token: ALICE });
    expect(n.status).toBe(200);
    expect(readNode(n.text).type).toBe('vos:DataNode');
    // Unrelated check that the container listing shows it.
    const listing = readNode((await ts.req('GET', nodesUrl('vault', 'alice/pm'), { token: ALICE })).text);
    expect(listing.children.map((c) => c.uri)).toEqual([vosUri('vault', 'alice/pm/new.bin')]);
    // And that a DataNode document for the same name now conflicts.
    const dup = await ts.req('PUT', nodesUrl('vault', 'alice/pm/new.bin'), {
      token: ALICE,
      xml: nodeXml(vosUri('vault', 'alice/pm/new.bin'), 'DataNode'),
    });
    expect(dup.status).toBe(409);
  });
});
