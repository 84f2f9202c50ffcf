/** `vosync cert` when it runs (its options are in cert.ts). */
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import { VosError, httpError } from '../../vospace/errors.js';
import { certificateDaysLeft } from '../../vospace/http.js';
import { CRED_RESOURCE_ID, STANDARD } from '../../vospace/registry.js';
import { CliError, EXIT, defaultCertPath, readTokenFile, writePrivateFile, type Ctx } from '../common.js';
import { usernameAndPassword, type PasswordOptions } from './login-run.js';

/** HTTP Basic as CADC's cred lists it now, and as older registries spelled it. */
const BASIC_AA = ['ivo://ivoa.net/sso#BasicAA', 'http://www.w3.org/Protocols/HTTP/1.0/spec.html#BasicAA'];
const TOKEN_SECURITY = 'ivo://ivoa.net/sso#token';

interface CertOptions extends PasswordOptions {
  daysValid: string;
  certFilename?: string;
  check?: boolean;
  warnDays: string;
  quiet?: boolean;
}

function positive(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new CliError(`${name} ${value}: expected a positive number`, EXIT.invalid);
  return n;
}

function describeDays(days: number): string {
  return days >= 2 ? `${Math.floor(days)} days` : `${Math.max(0, Math.round(days * 24))} hours`;
}

interface CertStatus {
  file: string;
  subject: string;
  validUntil: string;
  daysLeft: number;
}

function certStatus(file: string, now: number): CertStatus {
  let pem: string;
  try {
    pem = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CliError(`${file}: no certificate; get one with: vosync cert`, EXIT.notFound);
    }
    throw e;
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    throw new CliError(`${file}: not a PEM certificate`, EXIT.invalid);
  }
  return {
    file,
    subject: cert.subject.replace(/\n/g, ', '),
    validUntil: new Date(cert.validTo).toISOString(),
    daysLeft: certificateDaysLeft(pem, now),
  };
}

async function check(ctx: Ctx, file: string, warnDays: number): Promise<number> {
  const s = certStatus(file, ctx.io.now());
  const status = s.daysLeft < 0 ? 'expired' : s.daysLeft < warnDays ? 'expiring' : 'valid';
  ctx.result({ status, ...s });
  if (status === 'expired') {
    const message = `certificate ${file} expired on ${s.validUntil}; renew with: vosync cert`;
    ctx.io.stderr.write(`${ctx.name}: ${message}\n`);
    ctx.failed('expired', message);
    return EXIT.permission;
  }
  if (status === 'expiring') {
    ctx.log.warn(
      `certificate ${file} expires in ${describeDays(s.daysLeft)} (${s.validUntil}); renew with: vosync cert`,
    );
    return EXIT.failure;
  }
  ctx.out(`certificate ${file} is valid until ${s.validUntil} (${describeDays(s.daysLeft)} left)\n`);
  return EXIT.ok;
}

type Auth = { kind: 'basic'; user: string; password: string } | { kind: 'bearer'; token: string };

async function chooseAuth(ctx: Ctx, opts: CertOptions): Promise<Auth> {
  const env = ctx.io.env;
  const token = ctx.flags.token || env['VOSYNC_TOKEN']?.trim() || readTokenFile(env);
  if (opts.user || opts.passwordStdin || (!token && (env['CADC_USERNAME'] || ctx.io.stdin.isTTY))) {
    const { user, password } = await usernameAndPassword(ctx, opts);
    return { kind: 'basic', user, password };
  }
  if (token) return { kind: 'bearer', token };
  throw new CliError(
    'no credentials: run vosync login, pass -u NAME, or set CADC_USERNAME and CADC_PASSWORD',
    EXIT.permission,
  );
}

async function fetchCertificate(ctx: Ctx, opts: CertOptions, file: string): Promise<number> {
  const days = positive(opts.daysValid, '--days-valid');
  const auth = await chooseAuth(ctx, opts);
  const client = ctx.client({ credentials: { kind: 'anonymous' } });
  const caps = await client.registry.capabilities(CRED_RESOURCE_ID);
  const ifaces = caps.get(STANDARD.proxyCert) ?? [];
  const wanted = auth.kind === 'basic' ? BASIC_AA : [TOKEN_SECURITY];
  const iface = ifaces.find((i) => wanted.some((w) => i.security.includes(w))) ?? ifaces[0];
  if (!iface) throw new VosError('unsupported', `${CRED_RESOURCE_ID} offers no proxy certificate service`);
  const headers: Record<string, string> = {
    authorization:
      auth.kind === 'basic'
        ? `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`
        : `Bearer ${auth.token}`,
  };
  const url = new URL(iface.url);
  url.searchParams.set('daysValid', String(days));
  const res = await client.session.send({ method: 'GET', url: url.toString(), headers });
  const text = await client.session.text(res, 1024 * 1024);
  const who = auth.kind === 'basic' ? auth.user : 'token';
  if (res.status === 401 || res.status === 403) {
    throw new VosError(
      'auth',
      `could not get a certificate for ${who}: invalid username/password combination or token`,
    );
  }
  if (res.status !== 200) throw httpError(res.status, text, `getting a ${days} day certificate`);
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new VosError(
      'protocol',
      `getting a ${days} day certificate: the service did not return a PEM certificate`,
    );
  }
  writePrivateFile(file, text);
  const s = certStatus(file, ctx.io.now());
  ctx.result(s);
  if (!opts.quiet) ctx.out(`DONE. ${days} day certificate saved in ${file}\n`);
  return EXIT.ok;
}

export async function runCert(ctx: Ctx, opts: CertOptions) {
  const file = ctx.local(
    opts.certFilename || ctx.flags.cert || ctx.flags.certfile || defaultCertPath(ctx.io.env),
  );
  if (opts.check) return check(ctx, file, positive(opts.warnDays, '--warn-days'));
  return fetchCertificate(ctx, opts, file);
}
