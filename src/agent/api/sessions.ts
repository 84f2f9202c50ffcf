/**
 * Sessions of the status page. `vosync status --open` asks (with the main token) for a one-time code and
 * prints a link carrying it in the URL fragment; the page trades the code, once, for a session token it
 * keeps in sessionStorage. The main token itself never reaches a browser, a link or a log.
 */
import { createHash, randomBytes } from 'node:crypto';

export interface SessionOptions {
  now: () => number;
  /** How long a printed link stays usable. */
  codeTtlMs?: number;
  /** How long a page session lasts. */
  sessionTtlMs?: number;
  random?: (bytes: number) => Buffer;
}

const digest = (s: string) => createHash('sha256').update(s).digest('base64url');

export class SessionStore {
  // Keyed by a hash, so a lookup's timing tells nothing about stored secrets.
  private readonly codes = new Map<string, number>();
  private readonly sessions = new Map<string, number>();
  private readonly now: () => number;
  private readonly codeTtlMs: number;
  private readonly sessionTtlMs: number;
  private readonly random: (bytes: number) => Buffer;

  constructor(opts: SessionOptions) {
    this.now = opts.now;
    this.codeTtlMs = opts.codeTtlMs ?? 2 * 60_000;
    this.sessionTtlMs = opts.sessionTtlMs ?? 12 * 3600_000;
    this.random = opts.random ?? randomBytes;
  }

  private prune(): void {
    const t = this.now();
    for (const [k, exp] of this.codes) if (exp <= t) this.codes.delete(k);
    for (const [k, exp] of this.sessions) if (exp <= t) this.sessions.delete(k);
  }

  issueCode(): { code: string; expiresAt: number } {
    this.prune();
    const code = this.random(24).toString('base64url');
    const expiresAt = this.now() + this.codeTtlMs;
    this.codes.set(digest(code), expiresAt);
    return { code, expiresAt };
  }

  /** Trades a valid, unused code for a session token; undefined otherwise. A code works once. */
  redeem(code: string): { token: string; expiresAt: number } | undefined {
    this.prune();
    const key = digest(code);
    if (!this.codes.has(key)) return undefined;
    this.codes.delete(key);
    const token = this.random(32).toString('base64url');
    const expiresAt = this.now() + this.sessionTtlMs;
    this.sessions.set(digest(token), expiresAt);
    return { token, expiresAt };
  }

  isSession(token: string): boolean {
    const exp = this.sessions.get(digest(token));
    return exp !== undefined && exp > this.now();
  }
}
