/**
 * The credential service over real HTTP(S), as `cadc-get-cert` meets CADC's `cred`: the registry entry, the
 * capabilities, `GET /cred/generate?daysValid=N` giving a signed client certificate + key + CA to a user who
 * logs in by password (HTTP Basic) or token; and the HTTPS server taking those certificates as their users,
 * refusing expired, foreign and unknown ones with CADC's 403.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { UserCa } from '../../src/server/user-ca.js';
import { tempDir } from './fault-helpers.js';
import { nodeXml, vosUri } from './helpers.js';

const USERS = [
  { name: 'alice', token: 'alicetoken1', password: 'alice-pw' },
  { name: 'bob', token: 'bobtoken12', password: 'bob-pw' },
];
const HOUR = 3_600_000;

let dir: string;
let srv: RunningServer;
let caPem: string;

beforeAll(async () => {
  dir = tempDir('cred');
  srv = await startServer({ dataDir: path.join(dir, 'data'), users: USERS, admin: 'alice', tls: 'own' });
  caPem = fs.readFileSync(srv.caFile, 'utf8');
});

afterAll(async () => {
  await srv.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** An HTTPS request trusting only the server's CA, presenting `pem` (certificate + key) when given. */
async function call(
  pathAndQuery: string,
  o: { pem?: string; headers?: Record<string, string>; method?: 'GET' | 'PUT'; body?: string } = {},
): Promise<{ status: number; text: string; headers: Record<string, string | string[] | undefined> }> {
  const agent = new Agent({ connect: { ca: caPem, ...(o.pem ? { cert: o.pem, key: o.pem } : {}) } });
  try {
    const r = await request(`${srv.baseUrl}${pathAndQuery}`, {
      dispatcher: agent,
      method: o.method ?? 'GET',
      headers: o.headers ?? {},
      ...(o.body !== undefined ? { body: o.body } : {}),
    });
    return { status: r.statusCode, text: await r.body.text(), headers: r.headers };
  } finally {
    await agent.close();
  }
}

const basic = (user: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});

/** The three PEM blocks `cadc-get-cert` saves: certificate, private key, the signing CA. */
function blocks(pem: string): string[] {
  return pem.match(/-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----\n/g) ?? [];
}

describe('the credential service', () => {
  it('is in the registry with CADC cred capabilities', async () => {
    const reg = await call('/reg/resource-caps');
    expect(reg.text).toContain(`ivo://cadc.nrc.ca/cred = ${srv.baseUrl}/cred/capabilities\n`);
    const caps = await call('/cred/capabilities');
    expect(caps.status).toBe(200);
    const proxy = /<capability standardID="ivo:\/\/ivoa.net\/std\/CDP#proxy-1.0">[\s\S]*?<\/capability>/.exec(
      caps.text,
    )?.[0];
    expect(proxy).toContain(`<accessURL use="base">${srv.baseUrl}/cred/generate</accessURL>`);
    for (const sm of ['BasicAA', 'token', 'cookie', 'tls-with-certificate'])
      expect(proxy).toContain(`<securityMethod standardID="ivo://ivoa.net/sso#${sm}" />`);
    expect(caps.text).toContain('ivo://ivoa.net/std/VOSI#availability');
    expect((await call('/cred/availability')).text).toContain('<vosi:available>true</vosi:available>');
  });

  it('gives a password-authenticated user a certificate for daysValid days, its key and the CA', async () => {
    const r = await call('/cred/generate?daysValid=10', { headers: basic('alice', 'alice-pw') });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/x-pem-file');
    expect(r.headers['content-disposition']).toBe('inline; filename="cadcproxy.pem"');
    const [certPem, keyPem, ca, ...more] = blocks(r.text);
    expect(more).toEqual([]);
    expect(keyPem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    expect(ca).toBe(caPem);
    const cert = new X509Certificate(certPem!);
    const authority = new X509Certificate(caPem);
    expect(cert.subject).toBe('O=vosync serve\nOU=users\nCN=alice');
    expect(cert.checkIssued(authority)).toBe(true);
    expect(cert.verify(authority.publicKey)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(keyPem!))).toBe(true);
    expect(cert.ca).toBe(false);
    // Backdated five minutes, valid for the days asked (rounded to the hour), as CADC's cred makes them.
    expect(Date.parse(cert.validTo) - Date.parse(cert.validFrom)).toBe(240 * HOUR + 5 * 60_000);
  });

  it('takes a token, rounds days to the hour, and refuses bad days, no login and a wrong password', async () => {
    const r = await call('/cred/generate?daysValid=1.5', { headers: { authorization: 'Bearer bobtoken12' } });
    expect(r.status).toBe(200);
    const cert = new X509Certificate(blocks(r.text)[0]!);
    expect(cert.subject).toBe('O=vosync serve\nOU=users\nCN=bob');
    expect(Date.parse(cert.validTo) - Date.parse(cert.validFrom)).toBe(36 * HOUR + 5 * 60_000);
    const alice = basic('alice', 'alice-pw');
    expect(await call('/cred/generate?daysValid=31', { headers: alice })).toMatchObject({
      status: 400,
      text: 'daysValid larger than maximum allowed: 30.0\n',
    });
    expect(await call('/cred/generate?daysValid=ten', { headers: alice })).toMatchObject({
      status: 400,
      text: 'daysValid is not a float: ten\n',
    });
    expect(await call('/cred/generate?daysValid=1')).toMatchObject({
      status: 401,
      text: 'Authentication required (caller DN not found).\n',
    });
    expect(await call('/cred/generate', { headers: basic('alice', 'nope') })).toMatchObject({
      status: 401,
      text: 'NotAuthenticated: invalid username/password combination\n',
    });
  });

  it('lets the admin get a certificate for another user, and nobody else', async () => {
    const forBob = await call('/cred/generate/userid/bob?daysValid=1', {
      headers: basic('alice', 'alice-pw'),
    });
    expect(new X509Certificate(blocks(forBob.text)[0]!).subject).toMatch(/CN=bob$/);
    expect((await call('/cred/generate/userid/alice', { headers: basic('bob', 'bob-pw') })).status).toBe(403);
    expect((await call('/cred/generate/userid/nobody', { headers: basic('alice', 'alice-pw') })).status).toBe(
      404,
    );
  });
});

describe('client certificates over HTTPS', () => {
  let alicePem: string;

  beforeAll(async () => {
    alicePem = (await call('/cred/generate?daysValid=1', { headers: basic('alice', 'alice-pw') })).text;
  });

  it('log in the user they name', async () => {
    const mkdir = (name: string, o: { pem?: string; headers?: Record<string, string> } = {}) =>
      call(`/vault/nodes/alice/${name}`, {
        ...o,
        method: 'PUT',
        headers: { ...o.headers, 'content-type': 'text/xml' },
        body: nodeXml(vosUri('vault', `alice/${name}`), 'ContainerNode'),
      });
    const r = await mkdir('by-cert', { pem: alicePem });
    expect(r.status).toBe(201);
    expect(r.headers['x-vo-authenticated']).toBe('alice');
    const made = await call('/vault/nodes/alice/by-cert?limit=0', { pem: alicePem });
    expect(made.text).toContain(
      '<vos:property uri="ivo://ivoa.net/vospace/core#creator" readOnly="true">alice<',
    );
    // Without one: anonymous, refused; tokens still work.
    expect((await mkdir('by-nobody')).status).toBe(403);
    expect((await mkdir('by-token', { headers: { authorization: 'Bearer alicetoken1' } })).status).toBe(201);
  });

  it('may not renew themselves', async () => {
    expect(await call('/cred/generate?daysValid=1', { pem: alicePem })).toMatchObject({
      status: 403,
      text: 'Renewing certificate using certificate authentication not permitted: CN=alice,OU=users,O=vosync serve\n',
    });
  });

  it('are refused with CADC 403 when expired, from another authority, or for an unknown user', async () => {
    const ours = await UserCa.open(path.join(dir, 'data'), Date.now());
    const expired = await ours.issue('alice', 1, Date.now() - 3 * 24 * HOUR);
    const foreignDir = path.join(dir, 'foreign');
    fs.mkdirSync(foreignDir);
    const foreign = await (await UserCa.open(foreignDir, Date.now())).issue('alice', 1, Date.now());
    const unknown = await ours.issue('mallory', 1, Date.now());
    for (const pem of [expired, foreign, unknown]) {
      expect(await call('/vault/nodes/alice?limit=0', { pem })).toMatchObject({
        status: 403,
        text: 'permission denied -- reason: invalid proxy certficate\n',
      });
    }
  });
});
