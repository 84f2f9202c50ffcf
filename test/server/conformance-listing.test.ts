/**
 * Conformance over real HTTP: container listings. Vault lists in name order and pages with `limit` and an
 * inclusive `uri` resume point; ARC lists everything unordered and refuses `uri`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALICE,
  CORE,
  childNames,
  mkdir,
  nodeXml,
  nodesUrl,
  readNode,
  startTestServer,
  vosUri,
  type TestServer,
} from './helpers.js';

let ts: TestServer;
const NAMES = ['b', 'a', 'C', 'd', 'aa', '_x', 'Z', 'a-b', 'a.b'];
const ORDERED = [...NAMES].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));

beforeAll(async () => {
  ts = await startTestServer();
  for (const [svc, dir] of [
    ['vault', 'alice/list'],
    ['arc', 'home/alice/list'],
  ] as const) {
    await mkdir(ts, svc, dir);
    for (const [i, name] of NAMES.entries()) {
      const p = `${dir}/${name}`;
      const type = i % 2 === 0 ? 'DataNode' : 'ContainerNode';
      const r = await ts.req('PUT', nodesUrl(svc, p), { token: ALICE, xml: nodeXml(vosUri(svc, p), type) });
      if (r.status !== 201) throw new Error(`setup ${p}: ${r.status}`);
    }
    await mkdir(ts, svc, `${dir}/a/grandchild`);
  }
});

afterAll(async () => {
  await ts.close();
});

const list = (svc: 'vault' | 'arc', dir: string, query = '') =>
  ts.req('GET', `${nodesUrl(svc, dir)}${query}`, { token: ALICE });

describe('vault listings', () => {
  const dir = 'alice/list';

  it('lists children in name (codepoint) order, at the parent detail, child containers with an empty nodes element', async () => {
    const r = await list('vault', dir);
    expect(r.status).toBe(200);
    const n = readNode(r.text);
    expect(childNames(n)).toEqual(ORDERED);
    const a = n.children.find((c) => c.uri.endsWith('/list/a'))!;
    expect(a.type).toBe('vos:ContainerNode');
    expect(a.hasNodesElement).toBe(true);
    expect(a.children).toEqual([]);
    expect(a.props[`${CORE}creator`]?.value).toBe('alice');
    const b = n.children.find((c) => c.uri.endsWith('/list/b'))!;
    expect(b.type).toBe('vos:DataNode');
    expect(b.busy).toBe('false');
    expect(b.props[`${CORE}length`]?.value).toBe('0');
  });

  it('honours limit, and limit=0 returns only the container metadata', async () => {
    expect(childNames(readNode((await list('vault', dir, '?limit=3')).text))).toEqual(ORDERED.slice(0, 3));
    const zero = readNode((await list('vault', dir, '?limit=0')).text);
    expect(zero.children).toEqual([]);
    expect(zero.props[`${CORE}creator`]?.value).toBe('alice');
    expect(zero.hasNodesElement).toBe(true);
  });

  it('resumes inclusively at the uri child (either separator)', async () => {
    const start = ORDERED[4]!;
    for (const sep of ['~', '!'] as const) {
      const uri = encodeURIComponent(vosUri('vault', `${dir}/${start}`, sep));
      const r = await list('vault', dir, `?limit=2&uri=${uri}`);
      expect(r.status).toBe(200);
      expect(childNames(readNode(r.text))).toEqual(ORDERED.slice(4, 6));
    }
    const noLimit = await list(
      'vault',
      dir,
      `?uri=${encodeURIComponent(vosUri('vault', `${dir}/${start}`))}`,
    );
    expect(childNames(readNode(noLimit.text))).toEqual(ORDERED.slice(4));
  });

  it('supports the Python paging loop: repeat with uri=<last child>, drop the repeated first entry', async () => {
    const seen: string[] = [];
    let query = '?limit=3';
    let last = '';
    for (let i = 0; i < 20; i++) {
      const page = readNode((await list('vault', dir, query)).text).children.map((c) => c.uri);
      const fresh = seen.length === 0 ? page : page.slice(1);
      if (page[page.length - 1] === last) break;
      seen.push(...fresh);
      last = page[page.length - 1]!;
      query = `?limit=3&uri=${encodeURIComponent(last)}`;
    }
    expect(seen.map((u) => u.slice(u.lastIndexOf('/') + 1))).toEqual(ORDERED);
  });

  it('rejects a uri that is not a direct child of the target with 400 InvalidURI', async () => {
    for (const bad of [
      vosUri('vault', 'alice/elsewhere'),
      vosUri('vault', `${dir}/a/grandchild`),
      vosUri('vault', dir),
      'not-a-uri',
    ]) {
      const r = await list('vault', dir, `?uri=${encodeURIComponent(bad)}`);
      expect(r.status, bad).toBe(400);
      expect(r.text).toMatch(/^InvalidURI: /);
    }
  });

  it('rejects negative or non-integer limits with 400 InvalidArgument', async () => {
    for (const bad of ['-1', 'abc', '1.5', '']) {
      const r = await list('vault', dir, `?limit=${bad}`);
      expect(r.status, bad).toBe(400);
      expect(r.text).toBe('InvalidArgument: value for limit must be a positive integer.\n');
    }
  });
});

describe('arc listings', () => {
  const dir = 'home/alice/list';

  it('lists every child (order not promised) and ignores limit > 0', async () => {
    const all = childNames(readNode((await list('arc', dir)).text));
    expect([...all].sort()).toEqual([...NAMES].sort());
    const limited = childNames(readNode((await list('arc', dir, '?limit=2')).text));
    expect([...limited].sort()).toEqual([...NAMES].sort());
  });

  it('honours limit=0', async () => {
    const zero = readNode((await list('arc', dir, '?limit=0')).text);
    expect(zero.children).toEqual([]);
    expect(zero.props[`${CORE}creator`]?.value).toBe('alice');
  });

  it('refuses resume with 400 OptionNotSupported', async () => {
    const r = await list('arc', dir, `?limit=2&uri=${encodeURIComponent(vosUri('arc', `${dir}/a`))}`);
    expect(r.status).toBe(400);
    expect(r.text).toBe(
      'OptionNotSupported: batch container node listing: limit ignored, resume not implemented\n',
    );
  });

  it('rejects negative limits like vault', async () => {
    expect((await list('arc', dir, '?limit=-3')).status).toBe(400);
  });
});
