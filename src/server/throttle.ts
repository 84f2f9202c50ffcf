/**
 * Failure throttling for authentication: after `limit` failures within a minute for one key (a client
 * address, a user name), further attempts for that key are answered 429 before any credential is checked,
 * so tokens and passwords cannot be guessed at network speed.
 */
import { Fault } from './errors.js';

const WINDOW_MS = 60_000;
/** Keys remembered at most; the oldest go first (an attacker can invent user names without end). */
const MAX_KEYS = 10_000;

export class FailureThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly now: () => number,
  ) {}

  private recent(key: string): number[] {
    const since = this.now() - WINDOW_MS;
    const kept = (this.failures.get(key) ?? []).filter((t) => t > since);
    if (kept.length === 0) this.failures.delete(key);
    else this.failures.set(key, kept);
    return kept;
  }

  /** Throws 429 (with Retry-After) when any of the keys has used up its failures. */
  check(keys: string[]): void {
    for (const key of keys) {
      const recent = this.recent(key);
      if (recent.length < this.limit) continue;
      const retryAfter = Math.max(1, Math.ceil((recent[0]! + WINDOW_MS - this.now()) / 1000));
      throw new Fault(429, 'TooManyRequests: too many failed authentication attempts; try again later', {
        'Retry-After': String(retryAfter),
      });
    }
  }

  record(keys: string[]): void {
    for (const key of keys) {
      const recent = this.recent(key);
      this.failures.delete(key);
      this.failures.set(key, [...recent, this.now()].slice(-this.limit));
      if (this.failures.size > MAX_KEYS) this.failures.delete(this.failures.keys().next().value!);
    }
  }

  /** Runs an authentication step for the keys: refused while throttled, and a 401 counts as a failure. */
  guard<T>(keys: string[], authenticate: () => T): T {
    this.check(keys);
    try {
      return authenticate();
    } catch (e) {
      if (e instanceof Fault && e.status === 401) this.record(keys);
      throw e;
    }
  }
}
