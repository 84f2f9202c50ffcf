/**
 * Conformance over real HTTP: discovery (registry, VOSI capabilities/availability), the `Server` header
 * gate, login, the three ways a caller is identified, and CADC's owner/group/lock/public rules.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALICE,
  BOB,
  CADC,
  CAROL,
  CORE,
  GMS,
  childNames,
  download,
  home,
  mkdir,
  negotiate,
  nodeXml,
  nodesUrl,
  parseXml,
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

type Obj = Record<string, unknown>;

function capabilities(
  text: string,
): Map<string, { accessUrl: string; use: string; security: string[]; xsiType: string; role: string }> {
  const root = parseXml(text)['vosi:capabilities'] as Obj;
  const out = new Map<
    string,
    { accessUrl: string; use: string; security: string[]; xsiType: string; role: string }
  >();
  for (const cap of root['capability'] as Obj[]) {
    const iface = (cap['interface'] as Obj[])[0]!;
    const url = iface['accessURL'] as Obj;
    const security = ((iface['securityMethod'] as Obj[] | undefined) ?? []).map((s) =>
      typeof s === 'object' && s['@standardID'] ? String(s['@standardID']) : '',
    );
    out.set(String(cap['@standardID']), {
      accessUrl: String(url['#text']),
      use: String(url['@use']),
      security,
      xsiType: String(iface['@xsi:type']),
      role: String(iface['@role']),
    });
  }
  return out;
}

/** cadcutils' `_check_server_version`, restated from the behaviour doc. */
function serverHeaderAcceptable(header: string): boolean {
  const gate: Record<string, [number, number]> = {
    vault: [1, 1],
    cavern: [1, 0],
    'storage-inventory/minoc': [1, 0],
  };
  for (const [key, [major, minor]] of Object.entries(gate)) {
    if (!header.includes(key)) continue;
    const m = new RegExp(`${key.replace('/', '\\/')}-(\\d+)\\.(\\d+)`).exec(header);
    if (!m) return false;
    const sMajor = Number(m[1]);
    const sMinor = Number(m[2]);
    if (sMajor >= major && sMinor > minor) return false;
  }
  return true;
}

const URLISH = /^[a-z][a-z0-9+.-]*:\/\/[^/]+\/.+/;

describe('registry and VOSI', () => {
  it('maps ivo://cadc.nrc.ca/vault and /arc to their capabilities in resource-caps', async () => {
    const r = await ts.req('GET', '/reg/resource-caps');
    expect(r.status).toBe(200);
    const entries = new Map<string, string>();
    for (const line of r.text.split('\n')) {
      const t = line.trim();
      if (t === '' || t.startsWith('#')) continue;
      const eq = t.indexOf('=');
      expect(eq).toBeGreaterThan(0);
      entries.set(t.slice(0, eq).trim(), t.slice(eq + 1).trim());
    }
    expect(entries.get('ivo://cadc.nrc.ca/vault')).toBe(`${ts.base}/vault/capabilities`);
    expect(entries.get('ivo://cadc.nrc.ca/arc')).toBe(`${ts.base}/arc/capabilities`);
    for (const url of entries.values()) expect((await ts.req('GET', url)).status).toBe(200);
  });

  for (const svc of ['vault', 'arc'] as Service[]) {
    it(`${svc}: capabilities have unqualified children, a declared xsi prefix and usable security methods`, async () => {
      const r = await ts.req('GET', `/${svc}/capabilities`);
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toMatch(/xml/);
      expect(r.text).toMatch(
        /<vosi:capabilities[^>]*xmlns:vosi="http:\/\/www\.ivoa\.net\/xml\/VOSICapabilities\/v1\.0"/,
      );
      expect(r.text).toMatch(
        /<vosi:capabilities[^>]*xmlns:xsi="http:\/\/www\.w3\.org\/2001\/XMLSchema-instance"/,
      );
      expect(r.text).not.toMatch(/<vosi:capability/);
      expect(r.text).not.toMatch(/<vosi:interface/);
      const caps = capabilities(r.text);
      const all = [
        '',
        'ivo://ivoa.net/sso#cookie',
        'ivo://ivoa.net/sso#tls-with-certificate',
        'ivo://ivoa.net/sso#token',
      ];
      const expected: Record<string, string> = {
        'ivo://ivoa.net/std/VOSI#capabilities': 'capabilities',
        'ivo://ivoa.net/std/VOSI#availability': 'availability',
        'ivo://ivoa.net/std/VOSpace/v2.0#nodes': 'nodes',
        'ivo://ivoa.net/std/VOSpace#sync-2.1': 'synctrans',
        'ivo://ivoa.net/std/VOSpace/v2.0#transfers': 'transfers',
        'ivo://ivoa.net/std/VOSpace#files-proto': 'files',
        'ivo://ivoa.net/std/VOSpace#recursive-delete-proto': 'async-delete',
        'ivo://ivoa.net/std/VOSpace#recursive-nodeprops-proto': 'async-setprops',
      };
      for (const [id, p] of Object.entries(expected)) {
        const c = caps.get(id);
        expect(c, id).toBeDefined();
        expect(c!.accessUrl).toBe(`${ts.base}/${svc}/${p}`);
        expect(c!.xsiType).toBe('vs:ParamHTTP');
        expect(c!.role).toBe('std');
        expect(id).toMatch(URLISH);
        for (const s of c!.security) if (s !== '') expect(s).toMatch(URLISH);
      }
      expect(caps.get('ivo://ivoa.net/std/VOSpace/v2.0#nodes')!.use).toBe('base');
      expect(caps.get('ivo://ivoa.net/std/VOSpace#files-proto')!.use).toBe('base');
      for (const id of [
        'ivo://ivoa.net/std/VOSpace/v2.0#nodes',
        'ivo://ivoa.net/std/VOSpace#sync-2.1',
        'ivo://ivoa.net/std/VOSpace/v2.0#transfers',
        'ivo://ivoa.net/std/VOSpace#files-proto',
      ]) {
        expect(caps.get(id)!.security.sort(), id).toEqual([...all].sort());
      }
      const del = caps.get('ivo://ivoa.net/std/VOSpace#recursive-delete-proto')!.security;
      const setprops = caps.get('ivo://ivoa.net/std/VOSpace#recursive-nodeprops-proto')!.security;
      expect(del).toContain('ivo://ivoa.net/sso#token');
      expect(setprops).toContain('ivo://ivoa.net/sso#token');
      if (svc === 'arc') {
        expect(del).not.toContain('');
        expect(setprops).not.toContain('');
      } else {
        expect(del).toContain('');
      }
    });

    it(`${svc}: availability is a VOSI document; admins switch ReadOnly/Offline, others may not`, async () => {
      const r = await ts.req('GET', `/${svc}/availability`);
      expect(r.status).toBe(200);
      const av = parseXml(r.text)['vosi:availability'] as Obj;
      expect(av['@xmlns:vosi']).toBe('http://www.ivoa.net/xml/VOSIAvailability/v1.0');
      expect(av['vosi:available']).toBe('true');

      expect(
        (await ts.req('POST', `/${svc}/availability`, { token: BOB, form: { state: 'ReadOnly' } })).status,
      ).toBe(403);
      const ro = await ts.req('POST', `/${svc}/availability`, { token: ALICE, form: { state: 'ReadOnly' } });
      expect(ro.status).toBe(200);
      try {
        const p = `${home(svc, 'alice')}/ro-${svc}`;
        const w = await ts.req('PUT', nodesUrl(svc, p), { token: ALICE, xml: nodeXml(vosUri(svc, p)) });
        expect(w.status).toBe(503);
        expect(w.headers['retry-after']).toBe('180');
        expect(w.text).toContain('read-only');
        expect((await ts.req('GET', nodesUrl(svc, home(svc, 'alice')), { token: ALICE })).status).toBe(200);
        await ts.req('POST', `/${svc}/availability`, { token: ALICE, form: { state: 'Offline' } });
        const off = await ts.req('GET', nodesUrl(svc, home(svc, 'alice')), { token: ALICE });
        expect(off.status).toBe(503);
        expect(off.headers['retry-after']).toBeDefined();
        const av2 = parseXml((await ts.req('GET', `/${svc}/availability`)).text)['vosi:availability'] as Obj;
        expect(av2['vosi:available']).toBe('false');
      } finally {
        await ts.req('POST', `/${svc}/availability`, { token: ALICE, form: { state: 'ReadWrite' } });
      }
      expect((await ts.req('GET', nodesUrl(svc, home(svc, 'alice')), { token: ALICE })).status).toBe(200);
    });
  }

  it('keeps the Server header acceptable to cadcutils on nodes, files and data URLs', async () => {
    await upload(ts, 'vault', 'alice/srv.txt', 'x');
    await upload(ts, 'arc', 'home/alice/srv.txt', 'x');
    const responses = [
      await ts.req('GET', '/vault/nodes/alice', { token: ALICE }),
      await ts.req('GET', '/arc/nodes/home/alice', { token: ALICE }),
      await ts.req('GET', '/vault/files/alice/srv.txt', { token: ALICE }),
      await ts.req('HEAD', '/vault/files/alice/srv.txt', { token: ALICE }),
      await ts.req('GET', '/arc/files/home/alice/srv.txt', { token: ALICE }),
      await download(ts, 'vault', 'alice/srv.txt'),
      await ts.req('GET', '/vault/capabilities'),
    ];
    for (const r of responses) {
      expect(r.headers['server']).toBeDefined();
      expect(serverHeaderAcceptable(r.headers['server']!), r.headers['server']).toBe(true);
    }
    // The checker itself rejects what cadcutils rejects.
    expect(serverHeaderAcceptable('x vault')).toBe(false);
    expect(serverHeaderAcceptable('x vault-1.2')).toBe(false);
  });
});

describe('login and caller identity', () => {
  it('POST /ac/login returns the token for a username and password', async () => {
    const caps = capabilities((await ts.req('GET', '/ac/capabilities')).text);
    const login = caps.get('ivo://ivoa.net/sso#tls-with-password');
    expect(login?.accessUrl).toBe(`${ts.base}/ac/login`);
    expect(login?.security).toEqual(['']);

    const ok = await ts.req('POST', '/ac/login', { form: { username: 'carol', password: 'carolpassword' } });
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toMatch(/^text\/plain/);
    expect(ok.text.trim()).toBe(CAROL);
    expect(ok.headers['x-vo-authenticated']).toBe('carol');
    expect(ok.headers['x-vo-bearer']).toBe(CAROL);

    expect((await ts.req('POST', '/ac/login', { form: { username: 'carol' } })).status).toBe(400);
    expect((await ts.req('POST', '/ac/login', { form: { password: 'x' } })).status).toBe(400);
    const bad = await ts.req('POST', '/ac/login', { form: { username: 'carol', password: 'wrong' } });
    expect(bad.status).toBe(401);
    expect((await ts.req('POST', '/ac/login', { form: { username: 'nobody', password: 'x' } })).status).toBe(
      401,
    );
  });

  it('identifies the caller by Bearer header, X-CADC-DelegationToken and the CADC_SSO cookie', async () => {
    await mkdir(ts, 'vault', 'alice/ident');
    await mkdir(ts, 'vault', 'alice/ident/child');
    const variants: Record<string, string>[] = [
      { Authorization: `Bearer ${ALICE}` },
      { 'X-CADC-DelegationToken': ALICE },
      { Cookie: `CADC_SSO=${ALICE}` },
      { Cookie: `other=1; CADC_SSO="${ALICE}"` },
    ];
    for (const headers of variants) {
      const r = await ts.req('GET', '/vault/nodes/alice/ident', { headers });
      expect(r.status, JSON.stringify(headers)).toBe(200);
      expect(r.headers['x-vo-authenticated']).toBe('alice');
      expect(childNames(readNode(r.text))).toEqual(['child']);
    }
    // The token obtained from the login service works as a cookie.
    const tok = (
      await ts.req('POST', '/ac/login', { form: { username: 'carol', password: 'carolpassword' } })
    ).text.trim();
    const viaCookie = await ts.req('GET', '/vault/nodes/carol', { headers: { Cookie: `CADC_SSO=${tok}` } });
    expect(viaCookie.headers['x-vo-authenticated']).toBe('carol');
  });

  it('answers 401 with a challenge for presented but invalid credentials, and treats none as anonymous', async () => {
    const invalid: Record<string, string>[] = [
      { Authorization: 'Bearer not-a-token' },
      { 'X-CADC-DelegationToken': 'not-a-token' },
      { Cookie: 'CADC_SSO=not-a-token' },
    ];
    for (const headers of invalid) {
      const r = await ts.req('GET', '/vault/nodes/alice', { headers });
      expect(r.status).toBe(401);
      expect(r.headers['www-authenticate']).toBeDefined();
      expect(r.headers['content-type']).toMatch(/^text\/plain/);
    }
    const anon = await ts.req('GET', '/vault/nodes/alice');
    expect(anon.status).toBe(200);
    expect(anon.headers['x-vo-authenticated']).toBeUndefined();
  });
});

describe('provisioned layout', () => {
  it('vault: public root owned by the admin, one private allocation per user owned by that user', async () => {
    const root = readNode((await ts.req('GET', '/vault/nodes')).text);
    expect(root.uri).toBe('vos://cadc.nrc.ca~vault');
    expect(root.props[`${CORE}creator`]?.value).toBe('alice');
    expect(root.props[`${CORE}ispublic`]?.value).toBe('true');
    const names = childNames(root);
    for (const u of ['alice', 'bob', 'carol']) {
      expect(names).toContain(u);
      const a = root.children.find((c) => c.uri === vosUri('vault', u))!;
      expect(a.props[`${CORE}creator`]?.value).toBe(u);
      expect(a.props[`${CORE}ispublic`]?.value).toBe('false');
    }
  });

  it('arc: home/{user} per user and projects/, both allocation parents private', async () => {
    const root = readNode((await ts.req('GET', '/arc/nodes')).text);
    expect(root.uri).toBe('vos://cadc.nrc.ca~arc');
    expect(childNames(root)).toEqual(expect.arrayContaining(['home', 'projects']));
    for (const p of ['home', 'projects']) {
      const n = readNode((await ts.req('GET', `/arc/nodes/${p}`, { token: BOB })).text);
      expect(n.props[`${CORE}ispublic`]?.value).toBe('false');
      expect(n.props[`${CORE}creator`]?.value).toBe('alice');
      // Not listable for a plain user, but traversable to the user's own home.
      expect(n.children).toEqual([]);
    }
    const bobHome = await ts.req('GET', '/arc/nodes/home/bob', { token: BOB });
    expect(bobHome.status).toBe(200);
    expect(readNode(bobHome.text).props[`${CORE}creator`]?.value).toBe('bob');
    const adminView = readNode((await ts.req('GET', '/arc/nodes/home', { token: ALICE })).text);
    expect(childNames(adminView)).toEqual(expect.arrayContaining(['alice', 'bob', 'carol']));
  });
});

describe('authorization rules', () => {
  for (const svc of ['vault', 'arc'] as Service[]) {
    // A public area owned by alice: intermediate nodes must be readable for anyone to reach what is inside.
    const h = svc === 'vault' ? 'shared' : 'projects/shared';

    it(`${svc}: paths through a private node are closed to others (403 on the intermediate node)`, async () => {
      const alloc = await ts.req('PUT', nodesUrl(svc, h), {
        token: ALICE,
        xml: nodeXml(vosUri(svc, h), 'ContainerNode', {
          [`${CORE}ispublic`]: 'true',
          [`${CORE}creator`]: 'alice',
        }),
      });
      expect(alloc.status).toBe(201);
      await mkdir(ts, svc, `${home(svc, 'alice')}/inner`);
      for (const token of [undefined, CAROL]) {
        const r = await ts.req('GET', nodesUrl(svc, `${home(svc, 'alice')}/inner`), token ? { token } : {});
        expect(r.status).toBe(403);
        expect(r.text).toBe(`PermissionDenied: ${vosUri(svc, home(svc, 'alice'))}\n`);
      }
    });

    it(`${svc}: anonymous callers read public nodes only, and get 403 (not 401) otherwise`, async () => {
      await mkdir(ts, svc, `${h}/pub`, ALICE, { [`${CORE}ispublic`]: 'true' });
      await mkdir(ts, svc, `${h}/priv`);
      await ts.req('PUT', nodesUrl(svc, `${h}/pub/f.txt`), {
        token: ALICE,
        xml: nodeXml(vosUri(svc, `${h}/pub/f.txt`), 'DataNode', { [`${CORE}ispublic`]: 'true' }),
      });
      await upload(ts, svc, `${h}/pub/f.txt`, 'public bytes');
      await ts.req('PUT', nodesUrl(svc, `${h}/priv/g.txt`), {
        token: ALICE,
        xml: nodeXml(vosUri(svc, `${h}/priv/g.txt`), 'DataNode'),
      });
      await upload(ts, svc, `${h}/priv/g.txt`, 'private bytes');

      const pub = await ts.req('GET', nodesUrl(svc, `${h}/pub`));
      expect(pub.status).toBe(200);
      expect(childNames(readNode(pub.text))).toEqual(['f.txt']);
      const bytes = await download(ts, svc, `${h}/pub/f.txt`, null);
      expect(bytes.status).toBe(200);
      expect(bytes.text).toBe('public bytes');

      // Metadata of a non-readable node is visible, its children are not.
      const priv = await ts.req('GET', nodesUrl(svc, `${h}/priv`));
      expect(priv.status).toBe(200);
      expect(readNode(priv.text).children).toEqual([]);
      const below = await ts.req('GET', nodesUrl(svc, `${h}/priv/g.txt`));
      expect(below.status).toBe(403);
      expect(below.text).toMatch(/^PermissionDenied: /);
      const data = await ts.req('GET', `/${svc}/files/${h}/priv/g.txt`);
      expect(data.status).toBe(403);
      // Public never grants write.
      const w = await ts.req('PUT', nodesUrl(svc, `${h}/pub/new`), {
        xml: nodeXml(vosUri(svc, `${h}/pub/new`)),
      });
      expect(w.status).toBe(403);
      const w2 = await ts.req('PUT', nodesUrl(svc, `${h}/pub/new`), {
        token: CAROL,
        xml: nodeXml(vosUri(svc, `${h}/pub/new`)),
      });
      expect(w2.status).toBe(403);
      const del = await ts.req('DELETE', nodesUrl(svc, `${h}/pub/f.txt`), { token: CAROL });
      expect(del.status).toBe(403);
    });

    it(`${svc}: groupread lets members read, groupwrite lets members write; the allocation owner keeps control`, async () => {
      const g = `${h}/grp`;
      await mkdir(ts, svc, g, ALICE, { [`${CORE}groupread`]: `${GMS}survey` });
      await mkdir(ts, svc, `${g}/sub`);
      // bob (member of survey) lists; carol does not see children.
      expect(childNames(readNode((await ts.req('GET', nodesUrl(svc, g), { token: BOB })).text))).toEqual([
        'sub',
      ]);
      expect(readNode((await ts.req('GET', nodesUrl(svc, g), { token: CAROL })).text).children).toEqual([]);
      // Read does not grant write.
      const nope = await ts.req('PUT', nodesUrl(svc, `${g}/bob1`), {
        token: BOB,
        xml: nodeXml(vosUri(svc, `${g}/bob1`)),
      });
      expect(nope.status).toBe(403);

      const w = `${h}/grpw`;
      await mkdir(ts, svc, w, ALICE, { [`${CORE}groupwrite`]: `${GMS}survey` });
      await mkdir(ts, svc, `${w}/existing`);
      // groupwrite implies read.
      expect(childNames(readNode((await ts.req('GET', nodesUrl(svc, w), { token: BOB })).text))).toEqual([
        'existing',
      ]);
      const made = await ts.req('PUT', nodesUrl(svc, `${w}/bobs`), {
        token: BOB,
        xml: nodeXml(vosUri(svc, `${w}/bobs`)),
      });
      expect(made.status).toBe(201);
      expect(readNode(made.text).props[`${CORE}creator`]?.value).toBe('bob');
      const carolTry = await ts.req('PUT', nodesUrl(svc, `${w}/carols`), {
        token: CAROL,
        xml: nodeXml(vosUri(svc, `${w}/carols`)),
      });
      expect(carolTry.status).toBe(403);
      // The allocation owner may change and delete what bob created inside her allocation.
      expect(
        (await setProps(ts, svc, `${w}/bobs`, 'ContainerNode', { 'ivo://example.org/x': '1' })).status,
      ).toBe(200);
      expect((await ts.req('DELETE', nodesUrl(svc, `${w}/bobs`), { token: ALICE })).status).toBe(200);
    });

    it(`${svc}: other users cannot write into someone's allocation`, async () => {
      const p = `${home(svc, 'bob')}/fromcarol`;
      const r = await ts.req('PUT', nodesUrl(svc, p), { token: CAROL, xml: nodeXml(vosUri(svc, p)) });
      expect(r.status).toBe(403);
      expect(r.text).toMatch(/^PermissionDenied: vos:\/\//);
      const own = await ts.req('PUT', nodesUrl(svc, `${home(svc, 'bob')}/mine`), {
        token: BOB,
        xml: nodeXml(vosUri(svc, `${home(svc, 'bob')}/mine`)),
      });
      expect(own.status).toBe(201);
    });
  }

  it('vault: locked nodes refuse writes but accept property updates and unlocking', async () => {
    const d = 'alice/locked';
    await mkdir(ts, 'vault', d);
    await ts.req('PUT', nodesUrl('vault', `${d}/f.txt`), {
      token: ALICE,
      xml: nodeXml(vosUri('vault', `${d}/f.txt`), 'DataNode'),
    });
    const lock = await setProps(ts, 'vault', d, 'ContainerNode', { [`${CADC}islocked`]: 'true' });
    expect(lock.status).toBe(200);
    expect(readNode(lock.text).props[`${CADC}islocked`]?.value).toBe('true');
    const lockFile = await setProps(ts, 'vault', `${d}/f.txt`, 'DataNode', { [`${CADC}islocked`]: 'true' });
    expect(lockFile.status).toBe(200);

    // Creating inside a locked container, deleting a locked node, pushing data to it: all refused.
    const create = await ts.req('PUT', nodesUrl('vault', `${d}/new`), {
      token: ALICE,
      xml: nodeXml(vosUri('vault', `${d}/new`)),
    });
    expect(create.status).toBe(403);
    expect((await ts.req('DELETE', nodesUrl('vault', `${d}/f.txt`), { token: ALICE })).status).toBe(403);
    const push = await negotiate(ts, 'vault', `${d}/f.txt`, 'pushToVoSpace');
    expect(push.transfer.protocols).toEqual([]);
    expect((await ts.req('GET', `${push.jobUrl}/phase`, { token: ALICE })).text).toBe('ERROR');
    expect((await ts.req('GET', `${push.jobUrl}/error`, { token: ALICE })).text).toBe('PermissionDenied');

    // Property updates still work on a locked node, and nil unlocks.
    const tag = await setProps(ts, 'vault', `${d}/f.txt`, 'DataNode', { 'ivo://example.org/tag': 'v' });
    expect(tag.status).toBe(200);
    const unlock = await setProps(ts, 'vault', `${d}/f.txt`, 'DataNode', { [`${CADC}islocked`]: null });
    expect(unlock.status).toBe(200);
    expect(readNode(unlock.text).props[`${CADC}islocked`]).toBeUndefined();
    await setProps(ts, 'vault', d, 'ContainerNode', { [`${CADC}islocked`]: null });
    expect((await ts.req('DELETE', nodesUrl('vault', `${d}/f.txt`), { token: ALICE })).status).toBe(200);
  });

  it('arc: islocked is ignored', async () => {
    const d = 'home/alice/lockarc';
    await mkdir(ts, 'arc', d);
    const r = await setProps(ts, 'arc', d, 'ContainerNode', { [`${CADC}islocked`]: 'true' });
    expect(r.status).toBe(200);
    expect(readNode(r.text).props[`${CADC}islocked`]).toBeUndefined();
    expect((await ts.req('DELETE', nodesUrl('arc', d), { token: ALICE })).status).toBe(200);
  });

  it('the admin (root owner) allocates areas for others and sets quotas; nobody else may', async () => {
    const alloc = await ts.req('PUT', '/vault/nodes/dave', {
      token: ALICE,
      xml: nodeXml(vosUri('vault', 'dave'), 'ContainerNode', {
        [`${CORE}creator`]: 'bob',
        [`${CORE}quota`]: '1000',
      }),
    });
    expect(alloc.status).toBe(201);
    const n = readNode(alloc.text);
    expect(n.props[`${CORE}creator`]?.value).toBe('bob');
    expect(n.props[`${CORE}quota`]).toEqual({ value: '1000', readOnly: true });
    // bob owns the new allocation: he may write in it, carol may not.
    await mkdir(ts, 'vault', 'dave/x', BOB);
    expect(
      (await ts.req('PUT', '/vault/nodes/dave/y', { token: CAROL, xml: nodeXml(vosUri('vault', 'dave/y')) }))
        .status,
    ).toBe(403);
    // Non-admins cannot create allocations and their creator/quota values are ignored.
    expect(
      (await ts.req('PUT', '/vault/nodes/erin', { token: BOB, xml: nodeXml(vosUri('vault', 'erin')) }))
        .status,
    ).toBe(403);
    const own = await ts.req('POST', '/vault/nodes/dave', {
      token: BOB,
      xml: nodeXml(vosUri('vault', 'dave'), 'ContainerNode', {
        [`${CORE}quota`]: '5',
        [`${CORE}creator`]: 'carol',
      }),
    });
    expect(own.status).toBe(200);
    expect(readNode(own.text).props[`${CORE}quota`]?.value).toBe('1000');
    expect(readNode(own.text).props[`${CORE}creator`]?.value).toBe('bob');

    // ARC: projects/{name} allocated by the admin.
    const proj = await ts.req('PUT', '/arc/nodes/projects/survey', {
      token: ALICE,
      xml: nodeXml(vosUri('arc', 'projects/survey'), 'ContainerNode', { [`${CORE}creator`]: 'bob' }),
    });
    expect(proj.status).toBe(201);
    await mkdir(ts, 'arc', 'projects/survey/data', BOB);
    expect(
      (
        await ts.req('PUT', '/arc/nodes/projects/other', {
          token: BOB,
          xml: nodeXml(vosUri('arc', 'projects/other')),
        })
      ).status,
    ).toBe(403);
  });
});
