import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelopeOf, json, startHarness, type Harness } from './helpers.js';

let h: Harness;

const DAY = 86_400_000;

beforeAll(async () => {
  h = await startHarness('auth');
});

afterAll(async () => {
  await h.close();
});

/** The certificate (first PEM block) of a saved file, and how many PEM blocks the file holds. */
function savedCertificate(file: string): { cert: X509Certificate; blocks: number } {
  const text = fs.readFileSync(file, 'utf8');
  return { cert: new X509Certificate(text), blocks: (text.match(/-----BEGIN /g) ?? []).length };
}

const noToken = { VOSYNC_TOKEN: undefined };

describe('login', () => {
  it('exchanges CADC_USERNAME/CADC_PASSWORD for a token file (0600) that later commands use', async () => {
    const bad = await h.run(['login'], {
      env: { ...noToken, CADC_USERNAME: 'alice', CADC_PASSWORD: 'nope' },
    });
    expect(bad.code).toBe(13);
    expect(bad.stderr).toContain('invalid username/password');
    const anon = await h.run(['mkdir', 'vos:alice/by-login'], { env: noToken });
    expect(anon.code).toBe(13);

    const ok = await h.run(['login', '-d'], {
      env: { ...noToken, CADC_USERNAME: 'alice', CADC_PASSWORD: 'alice-pw' },
    });
    expect(ok.code, ok.stderr).toBe(0);
    const file = path.join(h.home, '.config/vosync/token');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(file, 'utf8').trim()).toBe('alicetoken1');
    expect(ok.stdout + ok.stderr).not.toContain('alicetoken1');
    expect(ok.stdout + ok.stderr).not.toContain('alice-pw');

    const used = await h.run(['mkdir', '-d', 'vos:alice/by-login'], { env: noToken });
    expect(used.code).toBe(0);
    expect(used.stderr).toContain(`credentials: ${file}`);
    expect(used.stderr).not.toContain('alicetoken1');
    // Command-line credentials win over the saved token.
    expect((await h.run(['mkdir', '--token', 'bobtoken12', 'vos:alice/by-bob'], { env: noToken })).code).toBe(
      13,
    );
    expect((await h.run(['mkdir', '--cert', '', 'vos:alice/by-anon'], { env: noToken })).code).toBe(13);

    expect((await h.run(['logout'], { env: noToken })).code).toBe(0);
    expect(fs.existsSync(file)).toBe(false);
    expect((await h.run(['mkdir', 'vos:alice/after-logout'], { env: noToken })).code).toBe(13);
  });

  it('a refused credential is named with what to do; anonymous access says so', async () => {
    const wrong = await h.run(['ls', 'vos:alice'], { env: { VOSYNC_TOKEN: 'wrongtoken99' } });
    expect(wrong.code).toBe(13);
    expect(wrong.stderr).toContain('(used the token from $VOSYNC_TOKEN; run vosync login for a new one)');
    const anonList = await h.run(['ls', 'vos:alice'], { env: noToken });
    expect(anonList.stderr).toContain(
      'warning: no credentials found: anonymous access, public nodes only (vosync login, or VOSYNC_TOKEN)',
    );
    const anonWrite = await h.run(['mkdir', 'vos:alice/anon-made'], { env: noToken });
    expect(anonWrite.code).toBe(13);
    expect(anonWrite.stderr).toContain(
      '(no credentials were used: run vosync login, or cadc-get-cert, or set VOSYNC_TOKEN)',
    );
    // Asked for anonymous access: no warning.
    expect((await h.run(['ls', '--cert', '', 'vos:alice'], { env: noToken })).stderr).not.toContain(
      'warning',
    );
  });

  it('reads the password from stdin and refuses to prompt without a terminal', async () => {
    const viaStdin = await h.run(['login', '-u', 'alice', '--password-stdin', '--json'], {
      env: noToken,
      stdin: 'alice-pw\n',
    });
    expect(viaStdin.code, viaStdin.stderr).toBe(0);
    expect(envelopeOf(viaStdin)).toMatchObject({ ok: true, command: 'login', result: { user: 'alice' } });
    const noPw = await h.run(['login', '-u', 'alice'], { env: noToken });
    expect(noPw.code).toBe(22);
    expect(noPw.stderr).toContain('set CADC_PASSWORD');
    await h.run(['logout']);
  });
});

describe('cert', () => {
  it('gets a certificate from the cred service with username/password like cadc-get-cert, saved 0600', async () => {
    const r = await h.run(['cert', '--days-valid', '5'], {
      env: { ...noToken, CADC_USERNAME: 'alice', CADC_PASSWORD: 'alice-pw' },
    });
    expect(r.code, r.stderr).toBe(0);
    const file = path.join(h.home, '.ssl/cadcproxy.pem');
    expect(r.stdout).toBe(`DONE. 5 day certificate saved in ${file}\n`);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const { cert, blocks } = savedCertificate(file);
    // Certificate, key and the service's CA, as CADC's cred sends them; five days (and five minutes back).
    expect(blocks).toBe(3);
    expect(cert.subject).toBe('O=vosync serve\nOU=users\nCN=alice');
    expect(Date.parse(cert.validTo) - Date.parse(cert.validFrom)).toBe(5 * DAY + 5 * 60_000);
  });

  it('uses a token when there is no username, writes where --cert says, and reports refusals', async () => {
    const target = path.join(h.tmp, 'certs/mine.pem');
    const r = await h.run(['cert', '--json', '--cert', target]);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ file: target, subject: 'O=vosync serve, OU=users, CN=alice' });
    expect(savedCertificate(target).cert.validTo).toBeTruthy();
    const bad = await h.run(['cert'], {
      env: { ...noToken, CADC_USERNAME: 'alice', CADC_PASSWORD: 'wrong' },
    });
    expect(bad.code).toBe(13);
    expect(bad.stderr).toContain('invalid username/password');
    const none = await h.run(['cert'], { env: noToken });
    expect(none.code).toBe(13);
    expect(none.stderr).toContain('no credentials');
    const long = await h.run(['cert', '--days-valid', '45']);
    expect(long.code).toBe(22);
    expect(long.stderr).toContain('daysValid larger than maximum allowed: 30.0');
  });

  it('--check warns before expiry and fails once expired', async () => {
    const file = path.join(h.tmp, 'checked.pem');
    expect((await h.run(['cert', '--days-valid', '30', '--cert', file])).code).toBe(0);
    const now = Date.now();
    const valid = await h.run(['cert', '--check', '--cert', file], { now });
    expect(valid.code).toBe(0);
    expect(valid.stdout).toMatch(/is valid until .* \((29|30) days left\)/);
    const soon = await h.run(['cert', '--check', '--cert', file, '--warn-days', '2'], {
      now: now + 29 * DAY,
    });
    expect(soon.code).toBe(1);
    expect(soon.stderr).toMatch(/warning: certificate .* expires in \d+ hours/);
    const expired = await h.run(['cert', '--check', '--json', '--cert', file], { now: now + 31 * DAY });
    expect(expired.code).toBe(13);
    expect(envelopeOf(expired)).toMatchObject({
      ok: false,
      error: { code: 'expired' },
      result: { status: 'expired' },
    });
    const missing = await h.run(['cert', '--check', '--cert', path.join(h.tmp, 'none.pem')]);
    expect(missing.code).toBe(2);
    // Commands using an expired certificate say so.
    const ls = await h.run(['ls', '--cert', file, 'vos:'], { now: now + 31 * DAY });
    expect(ls.stderr).toContain(`certificate ${file} has expired; run: vosync cert`);
  });
});
