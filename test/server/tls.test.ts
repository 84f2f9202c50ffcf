/**
 * HTTPS: a throwaway CA and server certificate made with the `openssl` command, the server started with
 * them (in-process and as `vosync serve --tls-cert/--tls-key`), and clients that verify the chain against
 * that CA — verification is never switched off.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from 'undici';
import { parseFaultSpec } from '../../src/server/faults.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import type { VosError } from '../../src/vospace/errors.js';
import { HttpSession } from '../../src/vospace/http.js';
import {
  call,
  expectStatus,
  negotiatePush,
  spawnServe,
  stopServe,
  tempDir,
  uploader,
} from './fault-helpers.js';
import { md5b64 } from './helpers.js';

const ALICE = 'alicetoken1';

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    if (err.code === 'ENOENT')
      throw new Error('the openssl command is needed for the TLS tests and was not found');
    throw new Error(`openssl ${args[0]} failed: ${err.stderr?.toString() ?? err.message}`);
  }
}

/** A CA and a server certificate for 127.0.0.1/localhost signed by it (so the client trusts only the CA). */
function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-subj',
      '/CN=vosync test CA',
    ],
    dir,
  );
  openssl(
    [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      '/CN=127.0.0.1',
    ],
    dir,
  );
  fs.writeFileSync(
    path.join(dir, 'ext.cnf'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n',
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.pem',
      '-days',
      '2',
      '-extfile',
      'ext.cnf',
    ],
    dir,
  );
  return {
    ca: fs.readFileSync(path.join(dir, 'ca.pem'), 'utf8'),
    cert: path.join(dir, 'server.pem'),
    key: path.join(dir, 'server.key'),
  };
}

describe('TLS', () => {
  let dir: string;
  let certs: { ca: string; cert: string; key: string };
  let srv: RunningServer;
  let trusted: Agent;

  beforeAll(async () => {
    dir = tempDir('tls');
    certs = makeCertificates(dir);
    srv = await startServer({
      dataDir: path.join(dir, 'data'),
      port: 0,
      users: [{ name: 'alice', token: ALICE }],
      admin: 'alice',
      tls: { cert: certs.cert, key: certs.key },
    });
    trusted = new Agent({ connect: { ca: certs.ca } });
  });
  afterAll(async () => {
    await trusted.close();
    await srv.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves HTTPS with an https base URL that a client trusting the CA verifies', async () => {
    expect(srv.baseUrl).toBe(`https://127.0.0.1:${srv.port}`);
    const caps = await expectStatus(200, 'GET', `${srv.baseUrl}/reg/resource-caps`, { dispatcher: trusted });
    expect(caps.body.toString()).toContain(`${srv.baseUrl}/vault/capabilities`);
    const vaultCaps = await expectStatus(200, 'GET', `${srv.baseUrl}/vault/capabilities`, {
      dispatcher: trusted,
    });
    expect(vaultCaps.body.toString()).toContain(`${srv.baseUrl}/vault/nodes`);
  });

  it('is refused by a client that does not trust the CA (verification really happens)', async () => {
    const untrusting = new Agent();
    try {
      await expect(
        call('GET', `${srv.baseUrl}/reg/resource-caps`, { dispatcher: untrusting }),
      ).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
    } finally {
      await untrusting.close();
    }
  });

  it("vosync's client names an untrusted certificate as a server it cannot reach, without retrying", async () => {
    let retried = 0;
    const session = new HttpSession({ retry: { retries: 3, baseDelayMs: 1 }, onRetry: () => retried++ });
    const e = await session.send({ method: 'GET', url: `${srv.baseUrl}/reg/resource-caps` }).then(
      () => undefined,
      (err: unknown) => err as VosError,
    );
    expect(e?.kind).toBe('unreachable');
    expect(e?.message).toMatch(/^cannot reach 127\.0\.0\.1:\d+: TLS: \S+ .*the certificate is not trusted$/);
    expect(retried).toBe(0);
  });

  it('uploads and downloads through Vault and ARC over HTTPS, with https endpoints', async () => {
    const bytes = Buffer.from('over tls '.repeat(1000));
    const arc = `${srv.baseUrl}/arc/files/home/alice/t.bin`;
    await expectStatus(201, 'PUT', arc, {
      token: ALICE,
      body: bytes,
      dispatcher: trusted,
      headers: { digest: `md5=${md5b64(bytes)}` },
    });
    expect(
      (await expectStatus(200, 'GET', arc, { token: ALICE, dispatcher: trusted })).body.equals(bytes),
    ).toBe(true);

    const u = { ...uploader(srv.baseUrl, ALICE, 1), dispatcher: trusted };
    const ep = await negotiatePush(u, 'vault', 'alice/t.bin');
    expect(ep.startsWith(`${srv.baseUrl}/vault/data/`)).toBe(true);
    await expectStatus(201, 'PUT', ep, { body: bytes, dispatcher: trusted });
    const first = await expectStatus(303, 'GET', `${srv.baseUrl}/vault/files/alice/t.bin`, {
      token: ALICE,
      dispatcher: trusted,
    });
    expect(first.headers['location']!.startsWith('https://')).toBe(true);
    expect(
      (await expectStatus(200, 'GET', first.headers['location']!, { dispatcher: trusted })).body.equals(
        bytes,
      ),
    ).toBe(true);
  });

  it('injects reset, truncate and stall faults over TLS as well', async () => {
    const bytes = Buffer.alloc(100_000, 3);
    const arc = `${srv.baseUrl}/arc/files/home/alice/f.bin`;
    await expectStatus(201, 'PUT', arc, { token: ALICE, body: bytes, dispatcher: trusted });
    try {
      for (const kind of ['reset', 'truncate', 'stall']) {
        srv.faults.configure(parseFaultSpec(`rate=1,kinds=${kind},endpoints=data,methods=GET,stallMs=100`));
        const r = await call('GET', arc, { token: ALICE, dispatcher: trusted });
        expect(r.status, kind).toBe(200);
        expect(r.body.length, kind).toBeLessThan(bytes.length);
        expect(r.bodyError, kind).toBeDefined();
      }
      srv.faults.configure(parseFaultSpec('rate=1,kinds=reset,endpoints=data,methods=PUT'));
      const put = await call('PUT', arc, {
        token: ALICE,
        body: Buffer.alloc(100_000, 9),
        dispatcher: trusted,
      }).catch((e: Error) => e);
      expect(put instanceof Error || put.status !== 201).toBe(true);
    } finally {
      srv.faults.disable();
    }
    expect(
      (await expectStatus(200, 'GET', arc, { token: ALICE, dispatcher: trusted })).body.equals(bytes),
    ).toBe(true);
    // The server is still healthy after the cut TLS connections.
    await expectStatus(200, 'GET', `${srv.baseUrl}/vault/nodes/alice`, { token: ALICE, dispatcher: trusted });
  });

  it('vosync serve --tls-cert/--tls-key prints an https URL and serves verified HTTPS', async () => {
    const child = await spawnServe([
      '--data',
      path.join(dir, 'cli-data'),
      '--port',
      '0',
      '--user',
      `alice:${ALICE}`,
      '--tls-cert',
      certs.cert,
      '--tls-key',
      certs.key,
    ]);
    try {
      expect(child.stdout[0]).toContain(`https://127.0.0.1:${child.port}`);
      expect(child.baseUrl).toBe(`https://127.0.0.1:${child.port}`);
      const r = await expectStatus(200, 'GET', `${child.baseUrl}/arc/nodes/home/alice`, {
        token: ALICE,
        dispatcher: trusted,
      });
      expect(r.body.toString()).toContain('vos://cadc.nrc.ca~arc/home/alice');
    } finally {
      await stopServe(child);
    }
    expect((await child.exited).code).toBe(0);
  });

  it('rejects a key that does not belong to a certificate file, before touching the data directory', async () => {
    const data = path.join(dir, 'never');
    await expect(
      startServer({ dataDir: data, port: 0, tls: { cert: certs.key, key: certs.cert } }),
    ).rejects.toThrow(/TLS certificate .* unusable/);
    expect(fs.existsSync(data)).toBe(false);
  });
});
