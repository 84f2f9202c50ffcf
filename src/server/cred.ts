/**
 * The credential service `ivo://cadc.nrc.ca/cred`, as CADC's `cred` answers `cadc-get-cert`: VOSI
 * capabilities with the CDP proxy capability at `/cred/generate`, and `GET /cred/generate?daysValid=N` giving an
 * authenticated user (password by HTTP Basic, token, cookie) a client certificate signed by the server's CA.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Caller } from './auth.js';
import { Fault, faults } from './errors.js';
import { capabilitiesXml, sendAvailability, type Capability } from './registry.js';
import { UserCa } from './user-ca.js';
import { STANDARD } from '../vospace/registry.js';

/** The longest certificate given out (CADC's `org.opencadc.cred.proxy.maxDaysValid`). */
export const MAX_DAYS_VALID = 30;

const CAPABILITIES: Capability[] = [
  { standardID: 'ivo://ivoa.net/std/VOSI#capabilities', path: 'capabilities', use: 'full', security: [''] },
  { standardID: 'ivo://ivoa.net/std/VOSI#availability', path: 'availability', use: 'full', security: [''] },
  {
    standardID: STANDARD.proxyCert,
    path: 'generate',
    use: 'base',
    security: [
      'ivo://ivoa.net/sso#cookie',
      'ivo://ivoa.net/sso#tls-with-certificate',
      'ivo://ivoa.net/sso#token',
      'ivo://ivoa.net/sso#BasicAA',
    ],
  },
];

export interface CredContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** e.g. `http://127.0.0.1:8080/cred` */
  base: string;
  ca: UserCa;
  /** The caller by token, cookie or client certificate (anonymous when none). */
  identify: () => Caller;
  /** HTTP Basic: the user whose password this is (throttled, 401 when wrong). */
  login: (user: string, password: string) => void;
  /** Whether the server has a user of this name. */
  knows: (user: string) => boolean;
  /** The user who may get certificates for others (CADC's cred `superUser`). */
  admin: string;
  now: number;
}

/** `/cred/{endpoint}`. */
export async function handleCred(ctx: CredContext, endpoint: string, rest: string): Promise<void> {
  if (endpoint === 'capabilities') {
    ctx.res.writeHead(200, { 'Content-Type': 'text/xml' });
    ctx.res.end(capabilitiesXml(ctx.base, CAPABILITIES));
    return;
  }
  if (endpoint === 'availability')
    return sendAvailability(ctx.res, true, 'cred service is accepting requests');
  if (endpoint !== 'generate') throw new Fault(404, `not found: /cred/${endpoint}`);
  const method = ctx.req.method ?? 'GET';
  if (method !== 'GET') throw faults.methodNotAllowed(method, 'GET');
  const caller = authenticate(ctx);
  const user = rest === '' ? caller : delegated(ctx, caller, rest);
  const days = daysValid(ctx.url.searchParams.get('daysValid'));
  const pem = await ctx.ca.issue(user, days, ctx.now);
  ctx.res.writeHead(200, {
    'Content-Type': 'application/x-pem-file',
    'Content-Disposition': 'inline; filename="cadcproxy.pem"',
    'Content-Length': Buffer.byteLength(pem),
    'x-vo-authenticated': caller,
  });
  ctx.res.end(pem);
}

/** The caller's user name: HTTP Basic first (as `cadc-get-cert -u` sends it), else token, cookie or nothing. */
function authenticate(ctx: CredContext): string {
  const basic = /^Basic\s+(\S+)$/i.exec(ctx.req.headers.authorization?.trim() ?? '');
  if (basic?.[1]) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = colon > 0 ? decoded.slice(0, colon) : '';
    ctx.login(user, decoded.slice(colon + 1));
    return user;
  }
  // A certificate may not renew itself (CADC's cred refuses it, so stolen certificates cannot be kept alive).
  const socket = ctx.req.socket as Partial<TLSSocket>;
  const peer = socket.getPeerCertificate?.();
  if (peer && Object.keys(peer).length > 0 && !ctx.req.headers.authorization && !ctx.req.headers.cookie) {
    throw new Fault(
      403,
      `Renewing certificate using certificate authentication not permitted: ${UserCa.subjectOf(String(peer.subject?.CN ?? ''))}`,
    );
  }
  const caller = ctx.identify();
  if (!caller.user) {
    throw new Fault(401, 'Authentication required (caller DN not found).', {
      'WWW-Authenticate': 'Basic realm="vosync serve"',
    });
  }
  return caller.user;
}

/** `/generate/userid/{name}`: the admin (CADC's cred `superUser`) gets a certificate for another user. */
function delegated(ctx: CredContext, caller: string, rest: string): string {
  const m = /^userid\/([^/]+)$/.exec(rest);
  if (!m?.[1]) throw new Fault(400, `Only dn and userid delegations supported: ${rest}`);
  const user = decodeURIComponent(m[1]);
  if (caller !== ctx.admin) throw faults.permission(`certificate for another user (${user})`);
  if (!ctx.knows(user)) throw new Fault(404, `User not found: ${user}`);
  return user;
}

function daysValid(raw: string | null): number {
  if (raw === null) return MAX_DAYS_VALID;
  const days = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(days)) throw new Fault(400, `daysValid is not a float: ${raw}`);
  if (days > MAX_DAYS_VALID)
    throw new Fault(400, `daysValid larger than maximum allowed: ${MAX_DAYS_VALID.toFixed(1)}`);
  if (days <= 0) throw new Fault(400, `daysValid must be positive: ${raw}`);
  return days;
}
