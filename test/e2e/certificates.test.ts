/**
 * Client certificates end to end, with real processes over HTTPS: `vosync serve --tls` (its own CA),
 * `vosync cert` getting alice a certificate by password, the CLI (`--cert`, `--certfile`, the default
 * ~/.ssl/cadcproxy.pem) and `vosync once` with `auth.certificate` using it, and expired or foreign
 * certificates refused with a message that says why.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserCa } from '../../src/server/user-ca.js';
import { run, writeConfig, type Proc } from './harness.js';

let tmp: string;
let dataDir: string;
let server: Proc;
let baseUrl: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vosync-e2e-certs-'));
  dataDir = path.join(tmp, 'server');
  server = run([
    'serve',
    '--tls',
    '--data',
    dataDir,
    '--port',
    '0',
    '--user',
    'alice:alicetoken1:alice-pw',
    '--user',
    'bob:bobtoken12',
    '--admin',
    'alice',
  ]);
  baseUrl = (await server.waitFor(/listening on (https:\/\/127\.0\.0\.1:\d+)/))[1]!;
  const caFile = (await server.waitFor(/trust it with NODE_EXTRA_CA_CERTS=(\S+)/))[1]!;
  expect(caFile).toBe(path.join(dataDir, 'ca.pem'));
  const home = path.join(tmp, 'home');
  fs.mkdirSync(home);
  // No token anywhere: whatever is done as alice is done by certificate.
  env = {
    HOME: home,
    NODE_EXTRA_CA_CERTS: caFile,
    VOSYNC_REGISTRY: `${baseUrl}/reg/resource-caps`,
    VOSYNC_TOKEN: '',
  };
});

afterAll(async () => {
  await server?.kill();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

async function vosync(
  args: string[],
  extra: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; out: string }> {
  const p = run(args, { ...env, ...extra });
  const code = await new Promise<number | null>((resolve) => p.child.once('exit', resolve));
  return { code, out: p.output() };
}

describe('certificates over HTTPS', () => {
  const defaultCert = () => path.join(env['HOME']!, '.ssl', 'cadcproxy.pem');

  it('vosync cert gets one by password; the CLI then works as alice with it', async () => {
    const got = await vosync(['cert', '--days-valid', '2'], {
      CADC_USERNAME: 'alice',
      CADC_PASSWORD: 'alice-pw',
    });
    expect(got).toEqual({ code: 0, out: `DONE. 2 day certificate saved in ${defaultCert()}\n` });
    const made = await vosync(['mkdir', 'vos:alice/by-cert']);
    expect(made.code, made.out).toBe(0);
    const long = await vosync(['ls', '-l', '--cert', defaultCert(), 'vos:alice/']);
    expect(long.out).toMatch(/^drw-------\s+alice\s.* by-cert$/m);
    fs.writeFileSync(path.join(tmp, 'hello.txt'), 'hello by certificate\n');
    const cp = await vosync(['cp', path.join(tmp, 'hello.txt'), 'arc:home/alice/']);
    expect(cp.code, cp.out).toBe(0);
    const alias = await vosync(['ls', '--certfile', defaultCert(), 'arc:home/alice/']);
    expect(alias).toEqual({ code: 0, out: 'hello.txt\n' });
  });

  it('vosync once syncs with auth.certificate in its config', async () => {
    const local = path.join(tmp, 'pair');
    fs.mkdirSync(local);
    fs.writeFileSync(path.join(local, 'notes.txt'), 'synced by certificate\n');
    const config = writeConfig(tmp, baseUrl, [{ name: 'p', local, remote: 'vos:alice/pair' }], {
      certificate: defaultCert(),
    });
    const r = await vosync(['once', '--config', config]);
    expect(r.code, r.out).toBe(0);
    const cat = await vosync(['cat', 'vos:alice/pair/notes.txt']);
    expect(cat).toEqual({ code: 0, out: 'synced by certificate\n' });
  });

  it('refuses an expired certificate and one from another authority, saying why', async () => {
    const now = Date.now();
    const expired = path.join(tmp, 'expired.pem');
    fs.writeFileSync(
      expired,
      await (await UserCa.open(dataDir, now)).issue('alice', 1, now - 3 * 86_400_000),
    );
    const old = await vosync(['ls', '--cert', expired, 'vos:alice/']);
    expect(old.code).toBe(13);
    expect(old.out).toContain(`warning: certificate ${expired} has expired; run: vosync cert`);
    expect(old.out).toMatch(
      new RegExp(
        `vosync ls: .*permission denied -- reason: invalid proxy certficate \\(the certificate ${expired} expired on \\S+; get a new one with vosync cert\\)`,
      ),
    );
    const otherDir = path.join(tmp, 'other-ca');
    fs.mkdirSync(otherDir);
    const foreign = path.join(tmp, 'foreign.pem');
    fs.writeFileSync(foreign, await (await UserCa.open(otherDir, now)).issue('alice', 1, now));
    const stranger = await vosync(['ls', '--cert', foreign, 'vos:alice/']);
    expect(stranger.code).toBe(13);
    expect(stranger.out).toMatch(
      /the service does not accept the certificate .*foreign\.pem \(CN=alice,OU=users,O=vosync serve, issued by CN=vosync serve certificate authority [0-9a-f]{8},O=vosync serve\); get one from this service with vosync cert\)/,
    );
  });
});
