/**
 * Who is calling: users and bearer tokens configured at start, identified the ways CADC services accept
 * (Bearer header, the legacy delegation-token header, the CADC_SSO cookie), plus signed pre-authorised
 * data URLs that carry a one-resource grant instead of the caller's credentials.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { Fault, faults } from './errors.js';
import type { ServiceName } from './store.js';

export interface UserSpec {
  name: string;
  token: string;
  /** For the username/password login service; defaults to the token. */
  password?: string;
  groups?: string[];
}

export interface Caller {
  /** undefined = anonymous. */
  user: string | undefined;
  groups: ReadonlySet<string>;
}

export const ANONYMOUS: Caller = { user: undefined, groups: new Set() };

const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Parses `NAME:TOKEN[:PASSWORD]` as given to `--user`. */
export function parseUserArg(arg: string): UserSpec {
  const [name, token, password] = arg.split(':');
  if (!name || !USER_NAME.test(name))
    throw new Error(`--user ${arg}: user name must match ${USER_NAME.source}`);
  if (!token || token.length < 8) throw new Error(`--user ${name}:…: token must be at least 8 characters`);
  return password ? { name, token, password } : { name, token };
}

/** Reads a users file: JSON `{ "users": [{ "name", "token", "password"?, "groups"? }] }`. */
export function readUsersFile(file: string): UserSpec[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`users file ${file}: ${(e as Error).message}`);
  }
  const users = (parsed as { users?: unknown }).users;
  if (!Array.isArray(users)) throw new Error(`users file ${file}: expected {"users": [...]}`);
  return users.map((u, i) => {
    const o = u as Partial<UserSpec>;
    if (typeof o.name !== 'string' || typeof o.token !== 'string') {
      throw new Error(`users file ${file}: users[${i}] needs string "name" and "token"`);
    }
    const spec = parseUserArg(`${o.name}:${o.token}${o.password ? ':' + o.password : ''}`);
    if (Array.isArray(o.groups)) spec.groups = o.groups.map(String);
    return spec;
  });
}

/** The tokens a request presents: Bearer header, the legacy delegation-token header, the CADC_SSO cookie. */
export function presentedTokens(req: IncomingMessage): string[] {
  const presented: string[] = [];
  const authz = req.headers.authorization;
  if (authz) {
    const m = /^Bearer\s+(.+)$/i.exec(authz.trim());
    if (m?.[1]) presented.push(m[1].trim());
    // Basic is ignored, as CADC services do unless explicitly enabled.
  }
  const delegation = req.headers['x-cadc-delegationtoken'];
  if (typeof delegation === 'string' && delegation.trim()) presented.push(delegation.trim());
  const cookie = req.headers.cookie;
  if (cookie) {
    for (const part of cookie.split(';')) {
      const [k, ...v] = part.trim().split('=');
      if (k === 'CADC_SSO') presented.push(v.join('=').replace(/^"|"$/g, ''));
    }
  }
  return presented;
}

export class UserDirectory {
  private readonly byToken = new Map<string, UserSpec>();
  private readonly byName = new Map<string, UserSpec>();

  constructor(users: UserSpec[]) {
    for (const u of users) {
      if (this.byName.has(u.name)) throw new Error(`user ${u.name} given twice`);
      if (this.byToken.has(u.token)) throw new Error(`two users share one token`);
      this.byName.set(u.name, u);
      this.byToken.set(u.token, u);
    }
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  private callerOf(u: UserSpec): Caller {
    return { user: u.name, groups: new Set(u.groups ?? []) };
  }

  byUserName(name: string): Caller | undefined {
    const u = this.byName.get(name);
    return u ? this.callerOf(u) : undefined;
  }

  /** Identifies the caller of a request; presented-but-invalid credentials are a 401, none is anonymous. */
  identify(req: IncomingMessage): Caller {
    const presented = presentedTokens(req);
    if (presented.length === 0) return ANONYMOUS;
    for (const t of presented) {
      const u = this.byToken.get(t);
      if (u) return this.callerOf(u);
    }
    throw faults.notAuthenticated('invalid or expired token');
  }

  /** The login service: username + password → token. */
  login(username: string, password: string): string {
    const u = this.byName.get(username);
    const expected = u ? (u.password ?? u.token) : undefined;
    if (!u || !expected || !safeEqual(expected, password)) {
      throw new Fault(401, 'NotAuthenticated: invalid username/password combination');
    }
    return u.token;
  }
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

// --- pre-authorised data URLs ------------------------------------------------------------------------------

export type Grant = 'read' | 'write';

export interface PreauthClaim {
  service: ServiceName;
  path: string;
  grant: Grant;
  /** The user the grant was issued to ('' for anonymous). */
  user: string;
  expires: number;
}

/** Short-lived signed tokens for data URLs, like minoc's and cavern's pre-auth tokens. */
export class PreauthSigner {
  constructor(
    private readonly secret: Buffer,
    private readonly lifetimeMs = 15 * 60_000,
  ) {}

  sign(claim: Omit<PreauthClaim, 'expires'>, now: number): string {
    const full: PreauthClaim = { ...claim, expires: now + this.lifetimeMs };
    const payload = Buffer.from(JSON.stringify(full)).toString('base64url');
    const mac = createHmac('sha256', this.secret).update(payload).digest('base64url');
    return `${payload}.${mac}`;
  }

  /** Verifies a token for this resource and grant; any problem is a 403 that reveals nothing more. */
  verify(token: string, service: ServiceName, path: string, grant: Grant, now: number): PreauthClaim {
    const [payload, mac] = token.split('.');
    const denied = new Fault(403, 'PermissionDenied: invalid or expired pre-authorised URL');
    if (!payload || !mac) throw denied;
    const expected = createHmac('sha256', this.secret).update(payload).digest('base64url');
    if (!safeEqual(expected, mac)) throw denied;
    let claim: PreauthClaim;
    try {
      claim = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as PreauthClaim;
    } catch {
      throw denied;
    }
    if (claim.service !== service || claim.path !== path || claim.expires < now) throw denied;
    if (grant === 'write' && claim.grant !== 'write') throw denied;
    return claim;
  }
}
