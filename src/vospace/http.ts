/**
 * The client's HTTP layer: undici with connection reuse, credentials attached only to the service's own
 * hosts, per-request timeouts, and retries with exponential backoff and jitter that honour Retry-After.
 */
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { Agent, request, type Dispatcher } from 'undici';
import { VosError, httpError } from './errors.js';
import { VERSION } from '../util/version.js';

export type Credentials =
  { kind: 'anonymous' } | { kind: 'token'; token: string } | { kind: 'certificate'; certFile: string };

export interface RetryPolicy {
  /** Attempts after the first. */
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Longest Retry-After we are willing to wait for. */
  maxRetryAfterMs: number;
  /**
   * How long to keep trying a server that cannot be reached at all (refused, no such host, no route), from
   * the first attempt; unset: as many retries as any other failure. A command line wants an answer soon.
   */
  unreachableGiveUpMs?: number;
}

/**
 * A token bucket: `take(n)` waits until `n` units are available at `ratePerSecond` (with up to one second of
 * burst). Shared by everything a session sends, so the cap is global.
 */
export class RateLimiter {
  private tokens: number;
  private last: number;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    readonly ratePerSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = ratePerSecond;
    this.last = now();
  }

  take(n: number): Promise<void> {
    const run = async (): Promise<void> => {
      for (;;) {
        const t = this.now();
        this.tokens = Math.min(
          this.ratePerSecond,
          this.tokens + ((t - this.last) / 1000) * this.ratePerSecond,
        );
        this.last = t;
        // A chunk larger than a second's worth passes once the bucket is full, so it cannot wait forever.
        const need = Math.min(n, this.ratePerSecond);
        if (this.tokens >= need) {
          this.tokens -= n;
          return;
        }
        await delay(Math.ceil(((need - this.tokens) / this.ratePerSecond) * 1000));
      }
    };
    const p = this.chain.then(run);
    this.chain = p.catch(() => undefined);
    return p;
  }
}

/** A pass-through stream that holds bytes back to stay under a bandwidth cap. */
export function throttled(limiter: RateLimiter | undefined): Transform | undefined {
  if (!limiter) return undefined;
  return new Transform({
    transform(chunk: Buffer, _e, cb) {
      limiter.take(chunk.length).then(() => cb(null, chunk), cb);
    },
  });
}

export const DEFAULT_RETRY: RetryPolicy = {
  retries: 6,
  baseDelayMs: 250,
  maxDelayMs: 15_000,
  maxRetryAfterMs: 120_000,
};

export interface SessionOptions {
  credentials?: Credentials;
  /** Connect/headers/body inactivity timeout per request. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Extra trusted CA certificates (PEM), e.g. for a private server. Verification is never turned off. */
  ca?: string;
  userAgent?: string;
  /** Injected for deterministic tests. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  onRetry?: (info: { url: string; attempt: number; delayMs: number; reason: string }) => void;
  /** Each request once its answer's headers are in (or it failed): for `-d`. URLs with grants redacted. */
  onExchange?: (info: HttpExchange) => void;
  /** Concurrent connections per origin. */
  connections?: number;
  /** Cap on requests started per second (0/absent = none). */
  requestsPerSecond?: number;
  /** Cap on body bytes per second, both directions together (0/absent = none). */
  bytesPerSecond?: number;
}

export interface HttpExchange {
  method: string;
  url: string;
  /** The answer's status, or the failure in words. */
  status: number | string;
  ms: number;
  /** The answer's declared length, when it has one. */
  bytes?: number;
}

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  /** A string/buffer, or a factory so a retried upload can re-open its stream. */
  body?: string | Buffer | (() => Readable);
  /** Whether the request may be sent again after a transient failure. */
  retry?: boolean;
  /** Aborts the request (and any retry of it); the promise then rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
  url: string;
}

const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
const RETRY_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** Causes of not reaching a server at all, in words; TLS failures are never retried. */
const UNREACHABLE_CAUSES: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is the server running? is the port right?)',
  ENOTFOUND: 'no such host (DNS)',
  EAI_AGAIN: 'DNS lookup failed (temporary; is the network up?)',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
};
const TLS_CODE =
  /^(CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_|ERR_SSL_)/;

function codeOf(e: unknown): string {
  const err = e as { code?: unknown; cause?: { code?: unknown } };
  return String(err?.code ?? err?.cause?.code ?? '');
}

/** The words for a failure to reach the server at all, or undefined for any other failure. */
export function unreachableCause(e: unknown): string | undefined {
  const code = codeOf(e);
  const known = UNREACHABLE_CAUSES[code];
  if (known) return known;
  if (TLS_CODE.test(code)) return `TLS: ${code} (${(e as Error).message}); the certificate is not trusted`;
  return undefined;
}

export function isTransientNetworkError(e: unknown): boolean {
  const err = e as { code?: string; cause?: { code?: string } };
  return RETRY_CODES.has(err?.code ?? '') || RETRY_CODES.has(err?.cause?.code ?? '');
}

/** A response body cut short by the network (reset, early close, fewer bytes than Content-Length). */
function isBrokenBody(e: unknown): boolean {
  return (
    isTransientNetworkError(e) || (e as { code?: string })?.code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH'
  );
}

/** The error `HttpSession.text` throws for a body the network cut short: sending the request again may work. */
export function isBodyCutShort(e: unknown): boolean {
  return e instanceof VosError && e.kind === 'transient' && isBrokenBody(e.details.cause);
}

/** Slowest average rate at which a text answer may arrive once it has taken 4 inactivity timeouts. */
const MIN_TEXT_BYTES_PER_SECOND = 1024;

export function header(res: { headers: HttpResponse['headers'] }, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Seconds or HTTP-date → milliseconds from now. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

export class HttpSession {
  private readonly trustedAgent: Agent;
  private readonly plainAgent: Agent;
  private readonly trusted = new Set<string>();
  readonly policy: RetryPolicy;
  timeoutMs: number;
  private readonly requestLimiter: RateLimiter | undefined;
  /** Shared bandwidth cap for transfer bodies; transfers wrap their streams with `throttled(bandwidth)`. */
  readonly bandwidth: RateLimiter | undefined;

  constructor(private readonly opts: SessionOptions = {}) {
    this.policy = { ...DEFAULT_RETRY, ...opts.retry };
    if (opts.requestsPerSecond && opts.requestsPerSecond > 0)
      this.requestLimiter = new RateLimiter(opts.requestsPerSecond);
    if (opts.bytesPerSecond && opts.bytesPerSecond > 0) this.bandwidth = new RateLimiter(opts.bytesPerSecond);
    this.timeoutMs = opts.timeoutMs ?? 120_000;
    const tls: Record<string, unknown> = {};
    if (opts.ca) tls['ca'] = opts.ca;
    const creds = opts.credentials;
    const clientTls = { ...tls };
    if (creds?.kind === 'certificate') {
      const pem = readCertificate(creds.certFile);
      clientTls['cert'] = pem;
      clientTls['key'] = pem;
    }
    const common = { keepAliveTimeout: 20_000, connections: opts.connections ?? 16 };
    this.trustedAgent = new Agent({ ...common, connect: clientTls });
    this.plainAgent = new Agent({ ...common, connect: tls });
  }

  get credentials(): Credentials {
    return this.opts.credentials ?? { kind: 'anonymous' };
  }

  /** Credentials go only to origins registered here (the registry's and the services' own hosts). */
  trustOrigin(url: string): void {
    this.trusted.add(new URL(url).origin);
  }

  isTrusted(url: string): boolean {
    return this.trusted.has(new URL(url).origin);
  }

  private authHeaders(trusted: boolean): Record<string, string> {
    const c = this.opts.credentials;
    if (c?.kind === 'token' && trusted) return { authorization: `Bearer ${c.token}` };
    return {};
  }

  private async sleep(ms: number): Promise<void> {
    await (this.opts.sleep ?? ((n: number) => delay(n)))(ms);
  }

  private backoff(attempt: number): number {
    const exp = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** attempt);
    const r = (this.opts.random ?? Math.random)();
    return Math.round(exp / 2 + r * (exp / 2));
  }

  /** Sends a request, retrying transient failures when the request allows it. */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const retries = req.retry === false ? 0 : this.policy.retries;
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      req.signal?.throwIfAborted();
      let res: HttpResponse | undefined;
      let failure: unknown;
      try {
        res = await this.once(req);
      } catch (e) {
        failure = e;
      }
      req.signal?.throwIfAborted();
      if (res && !RETRY_STATUSES.has(res.status)) return res;
      const cause = failure === undefined ? undefined : unreachableCause(failure);
      if (cause !== undefined) {
        const giveUp = this.policy.unreachableGiveUpMs;
        const tls = TLS_CODE.test(codeOf(failure));
        if (tls || attempt >= retries || (giveUp !== undefined && Date.now() - started >= giveUp)) {
          throw new VosError('unreachable', `cannot reach ${hostOf(req.url)}: ${cause}`, { cause: failure });
        }
      } else if (failure && !isTransientNetworkError(failure)) throw asProtocolError(failure, req);
      if (attempt >= retries) {
        if (res) return res;
        throw new VosError(
          'transient',
          `${req.method} ${redactUrl(req.url)}: ${(failure as Error).message}`,
          {
            cause: failure,
          },
        );
      }
      let wait = this.backoff(attempt);
      // Never wait past the give-up time for a server that cannot be reached.
      if (cause !== undefined && this.policy.unreachableGiveUpMs !== undefined)
        wait = Math.max(0, Math.min(wait, started + this.policy.unreachableGiveUpMs - Date.now()));
      let reason = failure
        ? String((failure as { code?: string }).code ?? (failure as Error).message)
        : `HTTP ${res!.status}`;
      if (res) {
        const ra = retryAfterMs(header(res, 'retry-after'));
        if (ra !== undefined) {
          if (ra > this.policy.maxRetryAfterMs) return res;
          wait = ra;
          reason += ` (Retry-After ${Math.round(ra / 1000)}s)`;
        }
        await res.body.dump().catch(() => undefined);
      }
      this.opts.onRetry?.({ url: redactUrl(req.url), attempt: attempt + 1, delayMs: wait, reason });
      await this.pause(wait, req.signal);
    }
  }

  /** Waits before a retry; an abort ends the wait at once. */
  private async pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
    if (!signal) return this.sleep(ms);
    let onAbort = (): void => undefined;
    const aborted = new Promise<void>((resolve) => {
      onAbort = resolve;
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([this.sleep(ms), aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    signal.throwIfAborted();
  }

  private async once(req: HttpRequest): Promise<HttpResponse> {
    await this.requestLimiter?.take(1);
    // Parsed once: the origin decides the credentials, and undici takes the parsed URL as it is.
    const url = new URL(req.url);
    const trusted = this.trusted.has(url.origin);
    const headers: Record<string, string> = {
      'user-agent': this.opts.userAgent ?? `vosync/${VERSION}`,
      ...this.authHeaders(trusted),
      ...req.headers,
    };
    const body = typeof req.body === 'function' ? req.body() : req.body;
    const started = Date.now();
    const seen = this.opts.onExchange;
    const exchange = (status: number | string, bytes?: number) =>
      seen?.({
        method: req.method,
        url: redactUrl(req.url),
        status,
        ms: Date.now() - started,
        ...(bytes !== undefined && Number.isFinite(bytes) ? { bytes } : {}),
      });
    let r: Dispatcher.ResponseData;
    try {
      r = await request(url, {
        method: req.method as Dispatcher.HttpMethod,
        headers,
        body: body ?? null,
        dispatcher: trusted ? this.trustedAgent : this.plainAgent,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        ...(req.signal ? { signal: req.signal } : {}),
      });
    } catch (e) {
      exchange(String((e as { code?: unknown }).code ?? (e as Error).message));
      throw e;
    }
    const length = r.headers['content-length'];
    exchange(r.statusCode, typeof length === 'string' ? Number(length) : undefined);
    return { status: r.statusCode, headers: r.headers, body: r.body, url: req.url };
  }

  /** Sends and expects one of `ok`; otherwise throws a typed error with the server's text. */
  async expect(req: HttpRequest, ok: number[], what: string): Promise<HttpResponse> {
    const res = await this.send(req);
    if (ok.includes(res.status)) return res;
    const text = await res.body.text().catch(() => '');
    throw httpError(res.status, text, what);
  }

  /**
   * Reads a small text body with a size cap, so a hostile server cannot make us buffer gigabytes. A body the
   * network cut short is a transient error (not a raw socket error), so callers and the sync engine retry it.
   */
  async text(res: HttpResponse, maxBytes = 64 * 1024 * 1024): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of this.bodyChunks(res, maxBytes)) chunks.push(chunk);
    return Buffer.concat(chunks).toString('utf8');
  }

  /** A body's bytes as they arrive, with text()'s size cap, slow-trickle cut-off and cut-short error. */
  async *bodyChunks(res: HttpResponse, maxBytes = 64 * 1024 * 1024): AsyncGenerator<Buffer> {
    const declared = Number(header(res, 'content-length'));
    if (Number.isFinite(declared) && declared > maxBytes) {
      res.body.destroy();
      throw new VosError('protocol', `response from ${redactUrl(res.url)} too large (${declared} bytes)`);
    }
    let size = 0;
    const started = performance.now();
    let done = false;
    try {
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > maxBytes) {
          res.body.destroy();
          throw new VosError('protocol', `response from ${redactUrl(res.url)} exceeds ${maxBytes} bytes`);
        }
        // A body trickled just fast enough to beat the inactivity timeout would otherwise never end.
        const seconds = (performance.now() - started) / 1000;
        if (seconds > (4 * this.timeoutMs) / 1000 && size / seconds < MIN_TEXT_BYTES_PER_SECOND) {
          res.body.destroy();
          throw new VosError(
            'transient',
            `response from ${redactUrl(res.url)} arrives too slowly (${size} bytes in ${Math.round(seconds)} s)`,
          );
        }
        yield chunk as Buffer;
      }
      done = true;
    } catch (e) {
      if (!isBrokenBody(e)) throw e;
      throw new VosError(
        'transient',
        `response from ${redactUrl(res.url)} cut short: ${(e as Error).message}`,
        {
          cause: e,
        },
      );
    } finally {
      // A reader that stopped early (its own error) lets the connection go.
      if (!done) res.body.destroy();
    }
  }

  /**
   * An idempotent request whose small text answer is needed whole: a body cut short by the network is retried
   * like a failed request (send() only retries failures that happen before the answer's headers).
   */
  async fetchText(
    req: HttpRequest,
    ok: number[],
    what: string,
    maxBytes?: number,
  ): Promise<{ res: HttpResponse; text: string }> {
    return this.fetchRead(req, ok, what, async (res) => ({ res, text: await this.text(res, maxBytes) }));
  }

  /**
   * Like fetchText, for an answer read as it arrives (`bodyChunks`): `read` starts afresh on each attempt, so
   * it must keep nothing from an attempt whose body was cut short.
   */
  async fetchRead<T>(
    req: HttpRequest,
    ok: number[],
    what: string,
    read: (res: HttpResponse) => Promise<T>,
  ): Promise<T> {
    const retries = req.retry === false ? 0 : this.policy.retries;
    for (let attempt = 0; ; attempt++) {
      const res = await this.expect(req, ok, what);
      try {
        return await read(res);
      } catch (e) {
        req.signal?.throwIfAborted();
        if (!isBodyCutShort(e) || attempt >= retries) throw e;
        const wait = this.backoff(attempt);
        this.opts.onRetry?.({
          url: redactUrl(req.url),
          attempt: attempt + 1,
          delayMs: wait,
          reason: (e as Error).message,
        });
        await this.pause(wait, req.signal);
      }
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.trustedAgent.close(), this.plainAgent.close()]);
  }

  /** Closes at once: requests in flight fail instead of being waited for. */
  async destroy(): Promise<void> {
    await Promise.all([this.trustedAgent.destroy(), this.plainAgent.destroy()]);
  }
}

/**
 * An HTTP-level failure that is not the network's fault (an answer that breaks HTTP, a URL we cannot use) becomes
 * a VosError naming the request; anything else (a local file error from an upload body) passes unchanged.
 */
function asProtocolError(e: unknown, req: HttpRequest): unknown {
  const code = String((e as { code?: unknown })?.code ?? '');
  const broken =
    code.startsWith('UND_ERR') || code.startsWith('HPE_') || (e as Error)?.name === 'HTTPParserError';
  if (e instanceof VosError || !broken) return e;
  return new VosError('protocol', `${req.method} ${redactUrl(req.url)}: ${(e as Error).message}`, {
    cause: e,
  });
}

/** The host (and port) a URL names, for messages. */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** Pre-authorised URLs carry grants in their path: never print them whole. */
export function redactUrl(url: string): string {
  return url.replace(/\/data\/[^/]+\//, '/data/…/').replace(/preauth:[^/]+/, 'preauth:…');
}

export function readCertificate(file: string): string {
  let pem: string;
  try {
    pem = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new VosError('auth', `cannot read certificate ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new VosError('auth', `${file} holds no PEM certificate`);
  return pem;
}

/**
 * Why a service would refuse the client certificate in `file`, in words with what to do: expired (or not yet
 * valid), or not one this service issued. Undefined when the file cannot be read as a certificate.
 */
export function certificateProblem(file: string, now = Date.now()): string | undefined {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  const oneLine = (dn: string) => dn.split('\n').reverse().join(',');
  if (Date.parse(cert.validTo) < now)
    return `the certificate ${file} expired on ${new Date(cert.validTo).toISOString()}; get a new one with vosync cert`;
  if (Date.parse(cert.validFrom) > now)
    return `the certificate ${file} is not valid before ${new Date(cert.validFrom).toISOString()}; check this computer's clock`;
  return (
    `the service does not accept the certificate ${file} (${oneLine(cert.subject)}, issued by ` +
    `${oneLine(cert.issuer)}); get one from this service with vosync cert`
  );
}

/** Days until the first certificate in a PEM file expires (negative when expired). */
export function certificateDaysLeft(pem: string, now = Date.now()): number {
  const cert = new X509Certificate(pem);
  return (Date.parse(cert.validTo) - now) / 86_400_000;
}
