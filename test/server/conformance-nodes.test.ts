/**
 * Conformance over real HTTP: `/nodes` GET/PUT/POST/DELETE, node XML exactly as CADC emits it, property
 * rules (nil deletes, immutables ignored, core-namespace validation), status codes and fault bodies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALICE,
  BOB,
  CADC,
  CORE,
  GMS,
  VOS_NS,
  XSI_NS,
  childNames,
  mkdir,
  nodeXml,
  nodesUrl,
  pythonNodeXml,
  readNode,
  setProps,
  startTestServer,
  upload,
  vosUri,
  type Service,
  type TestServer,
} from './helpers.js';

let ts: TestServer;

beforeAll(async () => {
  ts = await startTestServer();
});

afterAll(async () => {
  await ts.close();
});

const IVOA_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}$/;
const sorted = (a: string[]) => [...a].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));

for (const svc of ['vault', 'arc'] as Service[]) {
  const h = svc === 'vault' ? 'alice' : 'home/alice';
  const put = (p: string, xml: string, token = ALICE) => ts.req('PUT', nodesUrl(svc, p), { token, xml });
  const get = (p: string, token = ALICE) => ts.req('GET', nodesUrl(svc, p), { token });

  describe(`${svc} /nodes`, () => {
    it('creates a ContainerNode: 201 and the node document exactly as CADC lays it out', async () => {
      const p = `${h}/c1`;
      const r = await put(p, nodeXml(vosUri(svc, p), 'ContainerNode', { 'ivo://example.org/custom': 'v 1' }));
      expect(r.status).toBe(201);
      expect(r.headers['content-type']).toMatch(/^text\/xml/);
      expect(r.text.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<vos:node ')).toBe(true);
      expect(r.text).toContain(`xmlns:vos="${VOS_NS}"`);
      expect(r.text).toContain(`xmlns:xsi="${XSI_NS}"`);
      // Attribute order uri, xsi:type; no busy on containers.
      expect(r.text).toMatch(
        new RegExp(
          `<vos:node [^>]*uri="vos://${svc === 'vault' ? 'cadc\\.nrc\\.ca~vault/alice' : 'cadc\\.nrc\\.ca~arc/home/alice'}/c1" xsi:type="vos:ContainerNode">`,
        ),
      );
      const n = readNode(r.text);
      expect(n.uri).toBe(vosUri(svc, p));
      expect(n.type).toBe('vos:ContainerNode');
      expect(n.busy).toBeUndefined();
      expect(n.hasNodesElement).toBe(true);
      expect(n.props[`${CORE}creator`]).toEqual({ value: 'alice', readOnly: true });
      expect(n.props[`${CORE}date`]?.readOnly).toBe(true);
      expect(n.props[`${CORE}date`]?.value).toMatch(IVOA_DATE);
      expect(n.props[`${CORE}ispublic`]?.value).toBe('false');
      expect(n.props[`${CADC}inheritPermissions`]?.value).toBe('false');
      expect(n.props['ivo://example.org/custom']).toEqual({ value: 'v 1', readOnly: false });
      expect(n.order).toEqual(sorted(n.order));
      // readOnly is only written when true.
      expect(r.text).not.toContain('readOnly="false"');

      const g = await get(p);
      expect(g.status).toBe(200);
      expect(g.headers['content-type']).toMatch(/^text\/xml/);
      expect(readNode(g.text).props['ivo://example.org/custom']?.value).toBe('v 1');
    });

    it('creates a DataNode: busy="false", empty accepts/provides, length 0, no MD5', async () => {
      const p = `${h}/d1.fits`;
      const r = await put(p, nodeXml(vosUri(svc, p), 'DataNode', { [`${CORE}type`]: 'image/fits' }));
      expect(r.status).toBe(201);
      expect(r.text).toMatch(/<vos:node [^>]*uri="[^"]+" xsi:type="vos:DataNode" busy="false">/);
      expect(r.text).toContain('<vos:accepts />');
      expect(r.text).toContain('<vos:provides />');
      const n = readNode(r.text);
      expect(n.props[`${CORE}length`]).toEqual({ value: '0', readOnly: true });
      expect(n.props[`${CORE}MD5`]).toBeUndefined();
      // Vault stores core#type only once data exists; ARC keeps it.
      if (svc === 'vault') expect(n.props[`${CORE}type`]).toBeUndefined();
      else expect(n.props[`${CORE}type`]?.value).toBe('image/fits');
    });

    it('reports MD5 (hex) and length computed by the server once bytes are stored', async () => {
      const p = `${h}/sum.txt`;
      await put(p, nodeXml(vosUri(svc, p), 'DataNode'));
      await upload(ts, svc, p, 'hello world\n');
      const n = readNode((await get(p)).text);
      expect(n.props[`${CORE}MD5`]).toEqual({ value: '6f5902ac237024bdd0c176cb93063dc4', readOnly: true });
      expect(n.props[`${CORE}length`]?.value).toBe('12');
      expect(n.order).toEqual(sorted(n.order));
    });

    it('accepts documents from the Python client: default namespace, readOnly="false", no busy, no Content-Type', async () => {
      const p = `${h}/py.txt`;
      const r = await ts.req('PUT', nodesUrl(svc, p), {
        token: ALICE,
        body: pythonNodeXml(vosUri(svc, p, '!'), 'DataNode', { [`${CORE}type`]: 'text/plain' }),
        headers: { size: '600' },
      });
      expect(r.status).toBe(201);
      const n = readNode(r.text);
      expect(n.uri).toBe(vosUri(svc, p));
      expect(n.type).toBe('vos:DataNode');
      expect(n.busy).toBe('false');
    });

    it('accepts the ! authority separator on input and always emits ~', async () => {
      const p = `${h}/bang`;
      const r = await put(p, nodeXml(vosUri(svc, p, '!')));
      expect(r.status).toBe(201);
      expect(readNode(r.text).uri).toBe(vosUri(svc, p));
      const post = await ts.req('POST', nodesUrl(svc, p), {
        token: ALICE,
        xml: nodeXml(vosUri(svc, p, '!'), 'ContainerNode', { 'ivo://example.org/k': 'v' }),
      });
      expect(post.status).toBe(200);
      expect(readNode(post.text).uri).toBe(vosUri(svc, p));
    });

    it('percent-encodes non-ASCII names in emitted URIs', async () => {
      const name = 'caf\u00e9';
      const encoded = encodeURIComponent(name);
      const r = await put(`${h}/${encoded}`, nodeXml(vosUri(svc, `${h}/${encoded}`)));
      expect(r.status).toBe(201);
      expect(readNode(r.text).uri).toBe(vosUri(svc, `${h}/${encoded}`));
      expect([...r.text].every((c) => c.charCodeAt(0) < 128)).toBe(true);
      expect(childNames(readNode((await get(h)).text))).toContain(encoded);
    });

    it('answers 409 DuplicateNode for an existing node and 404 ContainerNotFound for a missing parent', async () => {
      const p = `${h}/dup`;
      await mkdir(ts, svc, p);
      const again = await put(p, nodeXml(vosUri(svc, p), 'DataNode'));
      expect(again.status).toBe(409);
      expect(again.headers['content-type']).toMatch(/^text\/plain/);
      expect(again.text).toBe(`DuplicateNode: ${vosUri(svc, p)}\n`);
      const orphan = `${h}/nothere/child`;
      const r = await put(orphan, nodeXml(vosUri(svc, orphan)));
      expect(r.status).toBe(404);
      expect(r.text).toBe(`ContainerNotFound: ${vosUri(svc, orphan)}\n`);
      // A DataNode is not a container either.
      await put(`${h}/plain.txt`, nodeXml(vosUri(svc, `${h}/plain.txt`), 'DataNode'));
      const under = await put(`${h}/plain.txt/x`, nodeXml(vosUri(svc, `${h}/plain.txt/x`)));
      expect(under.status).toBe(404);
      expect(under.text).toMatch(/^ContainerNotFound: /);
    });

    it('answers 404 NodeNotFound for GET, POST and DELETE of missing nodes (also with missing ancestors)', async () => {
      const g = await get(`${h}/missing`);
      expect(g.status).toBe(404);
      expect(g.text).toBe(`NodeNotFound: ${vosUri(svc, `${h}/missing`)}\n`);
      expect((await get(`${h}/missing/deeper/still`)).status).toBe(404);
      const post = await setProps(ts, svc, `${h}/missing`, 'ContainerNode', {});
      expect(post.status).toBe(404);
      expect(post.text).toMatch(/^NodeNotFound: /);
      const del = await ts.req('DELETE', nodesUrl(svc, `${h}/missing`), { token: ALICE });
      expect(del.status).toBe(404);
      expect(del.text).toMatch(/^NodeNotFound: /);
    });

    it('rejects a document whose uri differs from the path: InvalidURI on PUT, InvalidArgument on POST', async () => {
      const p = `${h}/mm`;
      const r = await put(p, nodeXml(vosUri(svc, `${h}/other`)));
      expect(r.status).toBe(400);
      expect(r.text).toMatch(/^InvalidURI: /);
      expect(r.text).toContain('mismatch');
      expect((await get(p)).status).toBe(404);
      await mkdir(ts, svc, p);
      const post = await ts.req('POST', nodesUrl(svc, p), {
        token: ALICE,
        xml: nodeXml(vosUri(svc, `${h}/other`)),
      });
      expect(post.status).toBe(400);
      expect(post.text).toMatch(/^InvalidArgument: /);
      expect(post.text).toContain('mismatch');
    });

    it('merges properties on POST: new values replace, nil deletes, absent keys stay; answers 200 with the node', async () => {
      const p = `${h}/props`;
      await mkdir(ts, svc, p, ALICE, {
        'ivo://example.org/a': '1',
        'ivo://example.org/b': '2',
        [`${CORE}title`]: 'T',
      });
      const r = await setProps(ts, svc, p, 'ContainerNode', {
        'ivo://example.org/a': '10',
        'ivo://example.org/b': null,
        'ivo://example.org/c': '3',
        [`${CORE}ispublic`]: 'true',
      });
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toMatch(/^text\/xml/);
      const n = readNode(r.text);
      expect(n.props['ivo://example.org/a']?.value).toBe('10');
      expect(n.props['ivo://example.org/b']).toBeUndefined();
      expect(n.props['ivo://example.org/c']?.value).toBe('3');
      expect(n.props[`${CORE}title`]?.value).toBe('T');
      expect(n.props[`${CORE}ispublic`]?.value).toBe('true');
      expect(n.order).toEqual(sorted(n.order));
      const again = readNode((await get(p)).text);
      expect(again.props['ivo://example.org/a']?.value).toBe('10');
      expect(again.props['ivo://example.org/b']).toBeUndefined();
    });

    it('silently ignores immutable properties from (non-admin) clients', async () => {
      const p = `${svc === 'vault' ? 'bob' : 'home/bob'}/immutable.txt`;
      const created = await put(
        p,
        nodeXml(vosUri(svc, p), 'DataNode', {
          [`${CORE}length`]: '999',
          [`${CORE}MD5`]: '00000000000000000000000000000000',
          [`${CORE}date`]: '2001-01-01T00:00:00.000',
          [`${CORE}creator`]: 'mallory',
          [`${CORE}quota`]: '5',
        }),
        BOB,
      );
      expect(created.status).toBe(201);
      const c = readNode(created.text);
      expect(c.props[`${CORE}creator`]?.value).toBe('bob');
      expect(c.props[`${CORE}length`]?.value).toBe('0');
      expect(c.props[`${CORE}MD5`]).toBeUndefined();
      expect(c.props[`${CORE}quota`]).toBeUndefined();
      expect(c.props[`${CORE}date`]?.value).not.toBe('2001-01-01T00:00:00.000');
      await upload(ts, svc, p, 'abc', BOB);
      const r = await setProps(
        ts,
        svc,
        p,
        'DataNode',
        {
          [`${CORE}length`]: '5',
          [`${CORE}MD5`]: 'ffffffffffffffffffffffffffffffff',
          [`${CORE}content-date`]: '2001-01-01T00:00:00.000',
          [`${CORE}date`]: '2001-01-01T00:00:00.000',
          [`${CORE}creator`]: 'mallory',
        },
        BOB,
      );
      expect(r.status).toBe(200);
      const n = readNode(r.text);
      expect(n.props[`${CORE}length`]?.value).toBe('3');
      expect(n.props[`${CORE}MD5`]?.value).toBe('900150983cd24fb0d6963f7d28e17f72');
      expect(n.props[`${CORE}date`]?.value).not.toBe('2001-01-01T00:00:00.000');
      expect(n.props[`${CORE}creator`]?.value).toBe('bob');
      if (svc === 'vault') expect(n.props[`${CORE}content-date`]?.value).toMatch(IVOA_DATE);
    });

    it('rejects unknown keys in the core namespace with 400 InvalidArgument', async () => {
      const p = `${h}/badkey`;
      for (const k of ['mtime', 'ctime', 'btime', 'publicread', 'nonsense']) {
        const r = await put(p, nodeXml(vosUri(svc, p), 'ContainerNode', { [`${CORE}${k}`]: 'x' }));
        expect(r.status, k).toBe(400);
        expect(r.text).toMatch(/^InvalidArgument: /);
      }
      expect((await get(p)).status).toBe(404);
      await mkdir(ts, svc, p);
      const post = await setProps(ts, svc, p, 'ContainerNode', { [`${CORE}mtime`]: 'x' });
      expect(post.status).toBe(400);
    });

    it('stores groups space-separated; empty text means no change and nil clears', async () => {
      const p = `${h}/groups`;
      await mkdir(ts, svc, p, ALICE, { [`${CORE}groupread`]: `${GMS}survey  ${GMS}other` });
      const n = readNode((await get(p)).text);
      expect(n.props[`${CORE}groupread`]?.value).toBe(`${GMS}survey ${GMS}other`);
      const same = await setProps(ts, svc, p, 'ContainerNode', { [`${CORE}groupread`]: '' });
      expect(readNode(same.text).props[`${CORE}groupread`]?.value).toBe(`${GMS}survey ${GMS}other`);
      const cleared = await setProps(ts, svc, p, 'ContainerNode', { [`${CORE}groupread`]: null });
      expect(readNode(cleared.text).props[`${CORE}groupread`]).toBeUndefined();
      const bad = await setProps(ts, svc, p, 'ContainerNode', {
        [`${CORE}groupwrite`]: 'ivo://cadc.nrc.ca/gms?bad name!',
      });
      expect(bad.status).toBe(400);
    });

    it('refuses to change the type of a node on POST', async () => {
      const p = `${h}/typed`;
      await mkdir(ts, svc, p);
      const r = await setProps(ts, svc, p, 'DataNode', {});
      expect(r.status).toBe(400);
      expect(r.text).toContain('cannot change type');
    });

    it('rejects unsupported xsi:type values with 400 TypeNotSupported', async () => {
      const p = `${h}/weird`;
      const xml = nodeXml(vosUri(svc, p)).replace('vos:ContainerNode', 'vos:Node');
      const r = await put(p, xml);
      expect(r.status).toBe(400);
      expect(r.text).toMatch(/^TypeNotSupported: /);
    });

    it('answers 400 InvalidArgument for a missing body and 413 above 32 KiB', async () => {
      const p = `${h}/sized`;
      const empty = await ts.req('PUT', nodesUrl(svc, p), { token: ALICE, body: '' });
      expect(empty.status).toBe(400);
      expect(empty.text).toMatch(/^InvalidArgument: /);
      const big = nodeXml(vosUri(svc, p), 'ContainerNode', {
        'ivo://example.org/big': 'x'.repeat(33 * 1024),
      });
      expect((await put(p, big)).status).toBe(413);
      await mkdir(ts, svc, p);
      const bigPost = await ts.req('POST', nodesUrl(svc, p), { token: ALICE, xml: big });
      expect(bigPost.status).toBe(413);
      // Just under the limit is fine.
      const ok = nodeXml(vosUri(svc, p), 'ContainerNode', { 'ivo://example.org/big': 'x'.repeat(4000) });
      expect((await ts.req('POST', nodesUrl(svc, p), { token: ALICE, xml: ok })).status).toBe(200);
    });

    it('deletes with 200 and an empty body; non-empty containers are a 400; the root cannot go', async () => {
      const p = `${h}/del`;
      await mkdir(ts, svc, p);
      await mkdir(ts, svc, `${p}/inner`);
      const full = await ts.req('DELETE', nodesUrl(svc, p), { token: ALICE });
      expect(full.status).toBe(400);
      expect(full.text).toBe("container node 'del' is not empty\n");
      const inner = await ts.req('DELETE', nodesUrl(svc, `${p}/inner`), { token: ALICE });
      expect(inner.status).toBe(200);
      expect(inner.body.length).toBe(0);
      expect((await ts.req('DELETE', nodesUrl(svc, p), { token: ALICE })).status).toBe(200);
      expect((await get(p)).status).toBe(404);
      const root = await ts.req('DELETE', `/${svc}/nodes`, { token: ALICE });
      expect(root.status).toBe(403);
      expect((await get('')).status).toBe(200);
    });

    it('answers HEAD on /nodes with 405 and an Allow header', async () => {
      const r = await ts.req('HEAD', nodesUrl(svc, h), { token: ALICE });
      expect(r.status).toBe(405);
      expect(r.headers['allow']).toContain('GET');
    });

    it('renders detail=min without properties or busy, and detail=max with readable/writable', async () => {
      const p = `${h}/detail`;
      await mkdir(ts, svc, p);
      await put(`${p}/f`, nodeXml(vosUri(svc, `${p}/f`), 'DataNode'));
      const min = await ts.req('GET', `${nodesUrl(svc, p)}?detail=min`, { token: ALICE });
      expect(min.status).toBe(200);
      expect(min.text).not.toContain('vos:properties');
      expect(min.text).not.toContain('busy=');
      const mn = readNode(min.text);
      expect(mn.children[0]?.raw['vos:accepts']).toBeDefined();
      const max = readNode((await ts.req('GET', `${nodesUrl(svc, p)}?detail=max`, { token: ALICE })).text);
      expect(max.props[`${CADC}readable`]).toEqual({ value: 'true', readOnly: true });
      expect(max.props[`${CADC}writable`]).toEqual({ value: 'true', readOnly: true });
      expect(max.children[0]?.props[`${CADC}writable`]?.value).toBe('true');
      const plain = readNode((await get(p)).text);
      expect(plain.props[`${CADC}readable`]).toBeUndefined();
      expect(plain.children[0]?.props[`${CORE}length`]?.value).toBe('0');
    });

    it('redirects view=data to /files and rejects sort/order with 400', async () => {
      const p = `${h}/view.txt`;
      await put(p, nodeXml(vosUri(svc, p), 'DataNode'));
      const v = await ts.req('GET', `${nodesUrl(svc, p)}?view=data&x=1`, { token: ALICE });
      expect(v.status).toBe(303);
      expect(v.headers['location']).toBe(`${ts.base}/${svc}/files/${p}`);
      const s = await ts.req(
        'GET',
        `${nodesUrl(svc, h)}?sort=${encodeURIComponent(`${CORE}date`)}&order=desc`,
        { token: ALICE },
      );
      expect(s.status).toBe(400);
    });

    it('copies ispublic/groupread/groupwrite from a parent with inheritPermissions', async () => {
      const p = `${h}/inherit`;
      await mkdir(ts, svc, p, ALICE, {
        [`${CADC}inheritPermissions`]: 'true',
        [`${CORE}groupread`]: `${GMS}survey`,
        [`${CORE}ispublic`]: 'true',
      });
      const c = readNode((await mkdir(ts, svc, `${p}/child`)).text);
      expect(c.props[`${CORE}groupread`]?.value).toBe(`${GMS}survey`);
      expect(c.props[`${CORE}ispublic`]?.value).toBe('true');
      expect(c.props[`${CADC}inheritPermissions`]?.value).toBe('true');
      const own = readNode((await mkdir(ts, svc, `${p}/own`, ALICE, { [`${CORE}ispublic`]: 'false' })).text);
      expect(own.props[`${CORE}ispublic`]?.value).toBe('false');
    });

    it('returns a LinkNode as itself and follows links in the middle of a path', async () => {
      const dir = `${h}/ltarget`;
      await mkdir(ts, svc, dir);
      await mkdir(ts, svc, `${dir}/inside`);
      const l = `${h}/lnk`;
      const r = await put(l, nodeXml(vosUri(svc, l), 'LinkNode', {}, vosUri(svc, dir)));
      expect(r.status).toBe(201);
      const ln = readNode((await get(l)).text);
      expect(ln.type).toBe('vos:LinkNode');
      expect(ln.target).toBe(vosUri(svc, dir));
      expect(ln.hasProperties).toBe(true);
      // Through the link: the returned uri is the resolved location.
      const via = await get(`${l}/inside`);
      expect(via.status).toBe(200);
      expect(readNode(via.text).uri).toBe(vosUri(svc, `${dir}/inside`));
      // Creating through a link creates in the target.
      expect((await put(`${l}/made`, nodeXml(vosUri(svc, `${l}/made`)))).status).toBe(201);
      expect((await get(`${dir}/made`)).status).toBe(200);
      // Deleting the link deletes the link only.
      expect((await ts.req('DELETE', nodesUrl(svc, l), { token: ALICE })).status).toBe(200);
      expect((await get(dir)).status).toBe(200);
    });
  });
}

describe('link targets per service', () => {
  it('answers 404 UnreadableLinkTarget for link cycles', async () => {
    for (const [from, to] of [
      ['alice/cyc1', 'alice/cyc2'],
      ['alice/cyc2', 'alice/cyc1'],
    ] as const) {
      const r = await ts.req('PUT', nodesUrl('vault', from), {
        token: ALICE,
        xml: nodeXml(vosUri('vault', from), 'LinkNode', {}, vosUri('vault', to)),
      });
      expect(r.status).toBe(201);
    }
    const r = await ts.req('GET', '/vault/nodes/alice/cyc1/x', { token: ALICE });
    expect(r.status).toBe(404);
    expect(r.text).toMatch(/^UnreadableLinkTarget: /);
  });

  it('vault stores any target URI', async () => {
    for (const [name, target] of [
      ['ext', 'https://example.org/data.fits'],
      ['other', 'vos://cadc.nrc.ca~arc/home/alice'],
      ['file', 'file:///tmp/x'],
    ] as const) {
      const p = `alice/l-${name}`;
      const r = await ts.req('PUT', nodesUrl('vault', p), {
        token: ALICE,
        xml: nodeXml(vosUri('vault', p), 'LinkNode', { 'ivo://example.org/k': 'v' }, target),
      });
      expect(r.status, name).toBe(201);
      expect(readNode(r.text).target).toBe(target);
    }
    const ext = await ts.req('GET', '/vault/nodes/alice/l-ext/x', { token: ALICE });
    expect(ext.status).toBe(400);
  });

  it('arc stores only links to its own nodes or file:// targets, without properties', async () => {
    const ok = await ts.req('PUT', '/arc/nodes/home/alice/l-own', {
      token: ALICE,
      xml: nodeXml(
        vosUri('arc', 'home/alice/l-own'),
        'LinkNode',
        { 'ivo://example.org/k': 'v' },
        vosUri('arc', 'home/alice', '!'),
      ),
    });
    expect(ok.status).toBe(201);
    expect(readNode(ok.text).props['ivo://example.org/k']).toBeUndefined();
    const file = await ts.req('PUT', '/arc/nodes/home/alice/l-file', {
      token: ALICE,
      xml: nodeXml(vosUri('arc', 'home/alice/l-file'), 'LinkNode', {}, 'file:///tmp/x'),
    });
    expect(file.status).toBe(201);
    for (const target of ['https://example.org/x', 'vos://cadc.nrc.ca~vault/alice']) {
      const r = await ts.req('PUT', '/arc/nodes/home/alice/l-bad', {
        token: ALICE,
        xml: nodeXml(vosUri('arc', 'home/alice/l-bad'), 'LinkNode', {}, target),
      });
      expect(r.status, target).toBe(400);
    }
    expect((await ts.req('GET', '/arc/nodes/home/alice/l-bad', { token: ALICE })).status).toBe(404);
  });
});
