/**
 * Conformance over real HTTP: hostile or broken input. Invalid node names are 400 InvalidURI, DTDs and
 * entities are refused without expansion, malformed XML is 400, oversized documents 413, and no request
 * path — however encoded — reads or writes anything outside the server's data directory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALICE,
  HTTPSGET,
  HTTPSPUT,
  VOS_NS,
  XSI_NS,
  listFiles,
  mkdir,
  negotiate,
  nodeXml,
  readJob,
  readTransfer,
  runJob,
  startTestServer,
  transferXml,
  upload,
  vosUri,
  type TestServer,
} from './helpers.js';

let ts: TestServer;
const SECRET = 'TOPSECRET-outside-the-data-dir';
const EVIL = 'EVILBYTES-must-not-land-anywhere';

beforeAll(async () => {
  ts = await startTestServer();
  fs.writeFileSync(path.join(ts.dir, 'secret.txt'), SECRET);
  await mkdir(ts, 'vault', 'alice/ok');
  await upload(ts, 'vault', 'alice/ok/file.txt', 'fine');
  await upload(ts, 'arc', 'home/alice/file.txt', 'fine');
});

afterAll(async () => {
  await ts.close();
});

/** Encoded names CADC cannot address: dot segments, control characters, spaces and URI-illegal characters. */
const BAD_NAMES = [
  '..',
  '.',
  '%2e%2e',
  '%2E',
  'a%00b',
  'a%01b',
  'a%0Ab',
  'a%7Fb',
  'a%20b',
  'a%22b',
  'a%3Cb',
  'a%3Eb',
  'a%5Bb',
  'a%5Db',
  'a%7Bb',
  'a%7Db',
  'a%7Cb',
  'a%5Cb',
  'a%5Eb',
  'a%60b',
  'a%25b',
  'a%23b',
  'a%3Fb',
  'x'.repeat(300),
];

describe('invalid node names', () => {
  it('answers 400 InvalidURI on every /nodes method', async () => {
    for (const name of BAD_NAMES) {
      for (const method of ['GET', 'PUT', 'POST', 'DELETE']) {
        const rawPath = `/vault/nodes/alice/ok/${name}`;
        const body =
          method === 'PUT' || method === 'POST' ? { xml: nodeXml(vosUri('vault', 'alice/ok/x')) } : {};
        const r = await ts.raw(method, rawPath, { token: ALICE, ...body });
        expect(r.status, `${method} ${name}`).toBe(400);
        expect(r.text, `${method} ${name}`).toMatch(/^InvalidURI: /);
      }
    }
  });

  it('answers 400 InvalidURI for empty segments, also in the middle of a path', async () => {
    for (const p of ['/vault/nodes/alice//ok', '/arc/nodes/home//alice', '/vault/files/alice/ok//file.txt']) {
      const r = await ts.raw('GET', p, { token: ALICE });
      expect(r.status, p).toBe(400);
      expect(r.text).toMatch(/^InvalidURI: /);
    }
  });

  it('answers 400 InvalidURI on /files (both services) and on ARC uploads', async () => {
    for (const name of BAD_NAMES) {
      for (const [method, p] of [
        ['GET', `/vault/files/alice/ok/${name}`],
        ['HEAD', `/vault/files/alice/ok/${name}`],
        ['GET', `/arc/files/home/alice/${name}`],
        ['PUT', `/arc/files/home/alice/${name}`],
      ] as const) {
        const r = await ts.raw(method, p, { token: ALICE, ...(method === 'PUT' ? { body: EVIL } : {}) });
        expect(r.status, `${method} ${p}`).toBe(400);
        if (method !== 'HEAD') expect(r.text).toMatch(/^InvalidURI: /);
      }
    }
  });

  it('rejects invalid names inside documents and parameters', async () => {
    // A node document naming a bad child does not match any valid path.
    const doc = await ts.req('PUT', '/vault/nodes/alice/ok/fine', {
      token: ALICE,
      xml: nodeXml('vos://cadc.nrc.ca~vault/alice/ok/..'),
    });
    expect(doc.status).toBe(400);
    expect(doc.text).toMatch(/^InvalidURI: /);
    // Sync transfer with a bad target: the job fails with InvalidURI, no protocols.
    const n = await negotiate(ts, 'vault', 'alice/ok/a%00b', 'pullFromVoSpace');
    expect(n.transfer.protocols).toEqual([]);
    expect((await ts.req('GET', `${n.jobUrl}/error`, { token: ALICE })).text).toBe('InvalidURI');
    // Parameter mode.
    const pm = await ts.req(
      'GET',
      `/vault/synctrans?TARGET=${encodeURIComponent('vos://cadc.nrc.ca~vault/alice/../bob')}&DIRECTION=pullFromVoSpace&PROTOCOL=${encodeURIComponent(HTTPSGET)}`,
      { token: ALICE },
    );
    expect(pm.status).toBe(400);
    expect(pm.text).toMatch(/^InvalidURI: /);
    // Move to a bad destination.
    const post = await ts.req('POST', '/vault/transfers', {
      token: ALICE,
      xml: transferXml(vosUri('vault', 'alice/ok/file.txt'), 'vos://cadc.nrc.ca~vault/alice/ok/a b', {
        keepBytes: false,
      }),
    });
    const job = await runJob(ts, post.headers['location']!);
    expect(job.phase).toBe('ERROR');
    expect(job.errorMessage).toBe('InvalidURI');
    // Recursive delete of a bad target is refused at creation.
    const del = await ts.req('POST', '/vault/async-delete', {
      token: ALICE,
      form: { target: 'vos://cadc.nrc.ca~vault/alice/ok/..' },
    });
    expect(del.status).toBe(400);
    expect((await ts.req('GET', '/vault/nodes/alice/ok/file.txt', { token: ALICE })).status).toBe(200);
  });
});

const XXE = `<?xml version="1.0"?>
<!DOCTYPE vos:node [<!ENTITY xxe SYSTEM "file://${'/etc/passwd'}">]>
<vos:node xmlns:vos="${VOS_NS}" xmlns:xsi="${XSI_NS}" uri="URI" xsi:type="vos:ContainerNode">
  <vos:properties><vos:property uri="ivo://example.org/x">&xxe;</vos:property></vos:properties>
  <vos:nodes/>
</vos:node>`;

const LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<vos:node xmlns:vos="${VOS_NS}" xmlns:xsi="${XSI_NS}" uri="URI" xsi:type="vos:ContainerNode">
  <vos:properties><vos:property uri="ivo://example.org/x">&lol4;</vos:property></vos:properties>
  <vos:nodes/>
</vos:node>`;

const TRANSFER_XXE = `<?xml version="1.0"?>
<!DOCTYPE t [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<vos:transfer xmlns:vos="${VOS_NS}" version="2.1"><vos:target>&xxe;</vos:target><vos:direction>pullFromVoSpace</vos:direction></vos:transfer>`;

describe('XML documents', () => {
  const ENDPOINTS: [string, string][] = [
    ['PUT', '/vault/nodes/alice/ok/xml'],
    ['POST', '/vault/nodes/alice/ok'],
    ['PUT', '/arc/nodes/home/alice/xml'],
    ['POST', '/vault/async-setprops'],
    ['POST', '/arc/async-setprops'],
  ];

  it('refuses DTDs and entity declarations with 400, without expanding them', async () => {
    for (const [method, p] of ENDPOINTS) {
      const svc = p.startsWith('/arc') ? 'arc' : 'vault';
      const target = p.includes('nodes')
        ? p.replace(`/${svc}/nodes/`, '')
        : svc === 'vault'
          ? 'alice/ok'
          : 'home/alice';
      for (const template of [XXE, LAUGHS]) {
        const xml = template.replace('URI', vosUri(svc, target));
        const r = await ts.req(method, p, { token: ALICE, xml });
        expect(r.status, `${method} ${p}`).toBe(400);
        expect(r.text).not.toContain('root:');
        expect(r.text).not.toContain('lollol');
      }
    }
    for (const p of ['/vault/synctrans', '/vault/transfers', '/arc/synctrans']) {
      const r = await ts.req('POST', p, { token: ALICE, xml: TRANSFER_XXE });
      expect(r.status, p).toBe(400);
      expect(r.text).not.toContain('root:');
    }
    expect((await ts.req('GET', '/vault/nodes/alice/ok/xml', { token: ALICE })).status).toBe(404);
    const ok = await ts.req('GET', '/vault/nodes/alice/ok', { token: ALICE });
    expect(ok.text).not.toContain('root:');
    expect(ok.text).not.toContain('lollol');
  });

  it('answers 400 for malformed XML and for documents that are not VOSpace nodes or transfers', async () => {
    const bodies = [
      '<vos:node xmlns:vos="http://www.ivoa.net/xml/VOSpace/v2.0" uri="vos://cadc.nrc.ca~vault/alice/ok/xml"',
      '<<<>>>',
      'not xml at all',
      '<foo/>',
      `<vos:node xmlns:vos="http://example.org/other" xmlns:xsi="${XSI_NS}" uri="vos://cadc.nrc.ca~vault/alice/ok/xml" xsi:type="vos:ContainerNode"/>`,
      `<vos:node xmlns:vos="${VOS_NS}" xmlns:xsi="${XSI_NS}" xsi:type="vos:ContainerNode"/>`,
    ];
    for (const body of bodies) {
      for (const [method, p] of [
        ['PUT', '/vault/nodes/alice/ok/xml'],
        ['POST', '/vault/nodes/alice/ok'],
        ['POST', '/vault/async-setprops'],
      ]) {
        const r = await ts.req(method!, p!, { token: ALICE, xml: body });
        expect(r.status, `${method} ${p} ${body}`).toBe(400);
        expect(r.headers['content-type']).toMatch(/^text\/plain/);
      }
    }
    for (const body of [
      '<vos:transfer',
      '<foo/>',
      `<vos:transfer xmlns:vos="${VOS_NS}"><vos:direction>x</vos:direction></vos:transfer>`,
    ]) {
      for (const p of ['/vault/synctrans', '/vault/transfers']) {
        expect((await ts.req('POST', p, { token: ALICE, xml: body })).status, `${p} ${body}`).toBe(400);
      }
    }
  });

  it('answers 413 for documents over 32 KiB on every endpoint that reads one', async () => {
    const pad = 'x'.repeat(33 * 1024);
    const node = nodeXml(vosUri('vault', 'alice/ok/big'), 'ContainerNode', { 'ivo://example.org/pad': pad });
    for (const [method, p] of [
      ['PUT', '/vault/nodes/alice/ok/big'],
      ['POST', '/vault/nodes/alice/ok'],
      ['POST', '/vault/async-setprops'],
    ]) {
      expect((await ts.req(method!, p!, { token: ALICE, xml: node })).status, p).toBe(413);
    }
    const transfer = transferXml(vosUri('vault', 'alice/ok/file.txt'), 'pullFromVoSpace').replace(
      '</vos:transfer>',
      `<!-- ${pad} --></vos:transfer>`,
    );
    for (const p of ['/vault/synctrans', '/vault/transfers', '/arc/transfers']) {
      expect((await ts.req('POST', p, { token: ALICE, xml: transfer })).status, p).toBe(413);
    }
    expect(
      (await ts.req('POST', '/vault/async-delete', { token: ALICE, form: { target: pad + pad } })).status,
    ).toBe(413);
  });
});

describe('nothing outside the data directory', () => {
  const TRAVERSALS = [
    '..%2f..%2fsecret.txt',
    '..%2F..%2F..%2Fsecret.txt',
    '%2e%2e%2f%2e%2e%2fsecret.txt',
    '%2e%2e/%2e%2e/secret.txt',
    '../../secret.txt',
    '..%5c..%5csecret.txt',
    '%252e%252e%252fsecret.txt',
    '....//....//secret.txt',
    '..%00/secret.txt',
    '%2fetc%2fpasswd',
    '..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd',
  ];

  it('never reads or writes outside it, whatever the path, on every endpoint', async () => {
    const before = listFiles(ts.dir).filter((f) => !f.startsWith('data/'));
    const n = await negotiate(ts, 'vault', 'alice/ok/file.txt', 'pullFromVoSpace');
    const dataUrl = new URL(n.transfer.protocols[0]!.endpoint!);
    const token = dataUrl.pathname.split('/')[3]!;
    const arc = await negotiate(ts, 'arc', 'home/alice/file.txt', 'pullFromVoSpace', ALICE, [
      { uri: HTTPSGET },
    ]);
    const arcPre = new URL(arc.transfer.protocols[0]!.endpoint!).pathname.split('/')[3]!;
    expect(arcPre).toMatch(/^preauth:/);

    const seen: string[] = [];
    for (const t of TRAVERSALS) {
      const requests: [string, string, string | undefined][] = [];
      for (const prefix of ['', 'alice/', 'alice/ok/']) {
        for (const m of ['GET', 'PUT', 'POST', 'DELETE']) {
          requests.push([
            m,
            `/vault/nodes/${prefix}${t}`,
            m === 'PUT' || m === 'POST' ? nodeXml(`vos://cadc.nrc.ca~vault/${prefix}${t}`) : undefined,
          ]);
        }
        requests.push(['GET', `/vault/files/${prefix}${t}`, undefined]);
        requests.push(['HEAD', `/vault/files/${prefix}${t}`, undefined]);
        requests.push(['GET', `/vault/data/${token}/${prefix}${t}`, undefined]);
        requests.push(['PUT', `/vault/data/${token}/${prefix}${t}`, EVIL]);
      }
      for (const prefix of ['', 'home/', 'home/alice/']) {
        requests.push(['GET', `/arc/nodes/${prefix}${t}`, undefined]);
        requests.push(['PUT', `/arc/nodes/${prefix}${t}`, nodeXml(`vos://cadc.nrc.ca~arc/${prefix}${t}`)]);
        requests.push(['GET', `/arc/files/${prefix}${t}`, undefined]);
        requests.push(['PUT', `/arc/files/${prefix}${t}`, EVIL]);
        requests.push(['GET', `/arc/files/${arcPre}/${prefix}${t}`, undefined]);
        requests.push(['PUT', `/arc/files/${arcPre}/${prefix}${t}`, EVIL]);
      }
      requests.push(['GET', `/vault/transfers/${t}`, undefined]);
      requests.push(['GET', `/vault/xfer/${t}`, undefined]);
      requests.push(['GET', `/vault/async-delete/${t}/phase`, undefined]);
      requests.push([
        'GET',
        `/vault/synctrans?TARGET=vos://cadc.nrc.ca~vault/${t}&DIRECTION=pullFromVoSpace&PROTOCOL=${encodeURIComponent(HTTPSGET)}`,
        undefined,
      ]);
      requests.push(['GET', `/${t}`, undefined]);
      requests.push(['GET', `/reg/${t}`, undefined]);
      for (const [method, p, body] of requests) {
        const r = await ts.raw(method, p, { token: ALICE, ...(body !== undefined ? { body } : {}) });
        seen.push(`${r.status} ${method} ${p}`);
        expect(r.status, `${method} ${p}`).toBeGreaterThanOrEqual(400);
        expect(r.status, `${method} ${p}`).toBeLessThan(500);
        expect(r.text).not.toContain(SECRET);
        expect(r.text).not.toContain('root:');
      }
    }
    // Documents and job parameters naming such paths.
    for (const t of TRAVERSALS) {
      const target = `vos://cadc.nrc.ca~vault/alice/${t}`;
      const sync = await ts.req('POST', '/vault/synctrans', {
        token: ALICE,
        xml: transferXml(target, 'pushToVoSpace', { protocols: [{ uri: HTTPSPUT }] }),
      });
      const chain = [sync];
      while (chain[chain.length - 1]!.status === 303) {
        chain.push(await ts.req('GET', chain[chain.length - 1]!.headers['location']!, { token: ALICE }));
      }
      const last = chain[chain.length - 1]!;
      if (last.status === 200) expect(readTransfer(last.text).protocols).toEqual([]);
      const del = await ts.req('POST', '/vault/async-delete', { token: ALICE, form: { target } });
      if (del.status === 303) expect((await runJob(ts, del.headers['location']!)).phase).toBe('ERROR');
      const mv = await ts.req('POST', '/vault/transfers', {
        token: ALICE,
        xml: transferXml(vosUri('vault', 'alice/ok/file.txt'), target, { keepBytes: true }),
      });
      expect(readJob((await ts.req('GET', mv.headers['location']!, { token: ALICE })).text).phase).toBe(
        'PENDING',
      );
      expect((await runJob(ts, mv.headers['location']!)).phase).toBe('ERROR');
    }

    // The sentinel is untouched, nothing new appeared next to the data dir, and no payload landed anywhere.
    expect(fs.readFileSync(path.join(ts.dir, 'secret.txt'), 'utf8')).toBe(SECRET);
    expect(listFiles(ts.dir).filter((f) => !f.startsWith('data/'))).toEqual(before);
    for (const f of listFiles(ts.dataDir)) {
      expect(f).toMatch(
        /^(nodes\.sqlite(-wal|-shm)?|preauth\.key|ca(-key)?\.pem|serve\.lock|blobs\/[0-9a-f]{2}\/[0-9a-f]{32}|tmp\/.*)$/,
      );
      expect(fs.readFileSync(path.join(ts.dataDir, f)).includes(EVIL), f).toBe(false);
    }
    expect(seen.length).toBeGreaterThan(400);
    // The tree inside is unchanged too: alice/ok still holds just file.txt.
    const listing = await ts.req('GET', '/vault/nodes/alice/ok', { token: ALICE });
    expect(listing.text).toContain('alice/ok/file.txt');
    expect(listing.text.match(/<vos:node /g)?.length).toBe(2);
  });
});
