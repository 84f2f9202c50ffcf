/**
 * Fault injection for reliability tests: off by default; when on, a seeded generator decides per request
 * whether to fail it and how — 500, 503 + Retry-After, a connection reset, a truncated body, a stall, or
 * added latency. Deterministic for a given seed and request order. `every=N` faults every N-th affected
 * request instead of drawing by `rate`, and `max=N` stops after N faults (e.g. "cut three segments of an
 * upload, none twice").
 *
 * Endpoint classes: `nodes`, `transfers` (synctrans, transfers, xfer, async jobs), `data` (files and
 * storage URLs) and `registry` (resource-caps, capabilities, availability, the login service). On
 * responses, reset/truncate/stall cut the body at half its length (a body-less answer before its
 * headers). On uploads (PUT with a body), reset and stall cut the request body at half before anything is
 * committed, while truncate lets the upload commit and then loses the answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export type FaultKind = 'error' | 'unavailable' | 'reset' | 'truncate' | 'stall';
export type EndpointClass = 'nodes' | 'transfers' | 'data' | 'registry';

export const FAULT_KINDS: readonly FaultKind[] = ['error', 'unavailable', 'reset', 'truncate', 'stall'];
const ENDPOINT_CLASSES: readonly EndpointClass[] = ['nodes', 'transfers', 'data', 'registry'];

export interface FaultSpec {
  /** Probability (0..1) that a request of an affected class gets a fault. */
  rate: number;
  kinds: FaultKind[];
  endpoints: EndpointClass[];
  /** Only these HTTP methods (empty = all). */
  methods: string[];
  seed: number;
  retryAfterSeconds: number;
  stallMs: number;
  /** Added to every request of an affected class, fault or not. */
  latencyMs: number;
  /** Fault every N-th affected request (rate is then not used); 0 = draw by rate. */
  every: number;
  /** Faults to inject in all; 0 = no limit. */
  max: number;
}

export const NO_FAULTS: FaultSpec = {
  rate: 0,
  kinds: [...FAULT_KINDS],
  endpoints: ['nodes', 'transfers', 'data'],
  methods: [],
  seed: 1,
  retryAfterSeconds: 1,
  stallMs: 10_000,
  latencyMs: 0,
  every: 0,
  max: 0,
};

const HTTP_METHODS: readonly string[] = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'PATCH'];

function list<T extends string>(value: string, allowed: readonly T[], what: string): T[] {
  const items = value
    .split(/[+|]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) throw new Error(`fault spec: no ${what} given`);
  for (const i of items) {
    if (!allowed.includes(i as T))
      throw new Error(`fault spec: unknown ${what} '${i}' (expected ${allowed.join(', ')})`);
  }
  return [...new Set(items)] as T[];
}

function num(
  key: string,
  value: string,
  min: number,
  max: number,
  opts: { ms?: boolean; int?: boolean } = {},
): number {
  const text = opts.ms ? value.replace(/ms$/, '') : value;
  // Number('') is 0: an empty value must not silently mean zero.
  const n = /^[0-9]*\.?[0-9]+(e[+-]?[0-9]+)?$/i.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(n) || n < min || n > max || (opts.int && !Number.isInteger(n))) {
    const what = opts.int ? 'an integer' : 'a number';
    throw new Error(`fault spec: ${key} must be ${what} in [${min}, ${max}], got '${value}'`);
  }
  return n;
}

/**
 * Parses `rate=0.2,kinds=error+unavailable+reset,endpoints=data+nodes,seed=7,retryAfter=1,stallMs=5000,
 * latencyMs=20,methods=GET+PUT,every=3,max=3`. Every key is optional; unknown keys, values out of range and empty values
 * are errors.
 */
export function parseFaultSpec(text: string): FaultSpec {
  const spec: FaultSpec = { ...NO_FAULTS, kinds: [...NO_FAULTS.kinds], endpoints: [...NO_FAULTS.endpoints] };
  for (const part of text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    const eq = part.indexOf('=');
    if (eq < 0) throw new Error(`fault spec: expected key=value, got '${part}'`);
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    switch (key) {
      case 'rate':
        spec.rate = num(key, value, 0, 1);
        break;
      case 'kinds':
        spec.kinds = list(value, FAULT_KINDS, 'fault kind');
        break;
      case 'endpoints':
        spec.endpoints = list(value, ENDPOINT_CLASSES, 'endpoint class');
        break;
      case 'methods':
        spec.methods = list(value.toUpperCase(), HTTP_METHODS, 'HTTP method');
        break;
      case 'seed':
        spec.seed = num(key, value, 0, 2 ** 32 - 1, { int: true });
        break;
      case 'retryAfter':
        spec.retryAfterSeconds = num(key, value, 0, 3600, { int: true });
        break;
      case 'stallMs':
        spec.stallMs = num(key, value, 0, 600_000, { ms: true });
        break;
      case 'latencyMs':
        spec.latencyMs = num(key, value, 0, 60_000, { ms: true });
        break;
      case 'every':
        spec.every = num(key, value, 0, 1_000_000, { int: true });
        break;
      case 'max':
        spec.max = num(key, value, 0, 1_000_000, { int: true });
        break;
      default:
        throw new Error(`fault spec: unknown key '${key}'`);
    }
  }
  return spec;
}

/** The spec in the text form `parseFaultSpec` reads (for logs and the control API). */
export function formatFaultSpec(s: FaultSpec): string {
  const parts = [
    `rate=${s.rate}`,
    `kinds=${s.kinds.join('+')}`,
    `endpoints=${s.endpoints.join('+')}`,
    `seed=${s.seed}`,
    `retryAfter=${s.retryAfterSeconds}`,
    `stallMs=${s.stallMs}`,
    `latencyMs=${s.latencyMs}`,
  ];
  if (s.methods.length > 0) parts.push(`methods=${s.methods.join('+')}`);
  if (s.every > 0) parts.push(`every=${s.every}`);
  if (s.max > 0) parts.push(`max=${s.max}`);
  return parts.join(',');
}

/** mulberry32: small, fast, seedable. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FaultStats {
  requests: number;
  injected: Record<FaultKind, number>;
}

export class FaultInjector {
  private spec: FaultSpec = NO_FAULTS;
  private random = rng(1);
  /** Affected requests seen since configure (for `every`). */
  private affected = 0;
  stats: FaultStats = FaultInjector.emptyStats();

  private static emptyStats(): FaultStats {
    return { requests: 0, injected: { error: 0, unavailable: 0, reset: 0, truncate: 0, stall: 0 } };
  }

  configure(spec: FaultSpec): void {
    this.spec = spec;
    this.random = rng(spec.seed);
    this.affected = 0;
    this.stats = FaultInjector.emptyStats();
  }

  disable(): void {
    this.configure(NO_FAULTS);
  }

  current(): FaultSpec {
    return this.spec;
  }

  latencyFor(cls: EndpointClass): number {
    return this.spec.endpoints.includes(cls) ? this.spec.latencyMs : 0;
  }

  /** Decides the fate of one request. */
  decide(cls: EndpointClass, method: string): FaultKind | undefined {
    this.stats.requests++;
    const s = this.spec;
    if ((s.rate <= 0 && s.every <= 0) || !s.endpoints.includes(cls)) return undefined;
    if (s.methods.length > 0 && !s.methods.includes(method)) return undefined;
    if (s.max > 0 && Object.values(this.stats.injected).reduce((a, b) => a + b, 0) >= s.max) return undefined;
    if (s.every > 0 ? ++this.affected % s.every !== 0 : this.random() >= s.rate) return undefined;
    const kind = s.kinds[Math.floor(this.random() * s.kinds.length)]!;
    this.stats.injected[kind]++;
    return kind;
  }

  get stallMs(): number {
    return this.spec.stallMs;
  }

  get retryAfterSeconds(): number {
    return this.spec.retryAfterSeconds;
  }
}

function asBuffer(chunk: unknown, encoding?: BufferEncoding): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk);
  return Buffer.from(String(chunk), encoding ?? 'utf8');
}

/**
 * Aborts a connection with a TCP RST. A TLS socket has no TCP handle of its own (resetAndDestroy throws
 * on it), so the reset goes to the plain socket underneath.
 */
function resetConnection(socket: Socket): void {
  const raw = (socket as Socket & { _parent?: Socket | null })._parent ?? socket;
  try {
    raw.resetAndDestroy();
  } catch {
    // Not a TCP socket (or already closed): a plain close still breaks the exchange.
  }
  socket.destroy();
}

/** Breaks a connection the way a fault kind says, after whatever was already written has been flushed. */
function breakConnection(socket: Socket, kind: SabotageKind, stallMs: number): void {
  if (socket.destroyed) return;
  if (kind === 'truncate') {
    // FIN after the partial data, then close: the peer sees fewer bytes than promised and an EOF.
    socket.end(() => socket.destroy());
    return;
  }
  if (kind === 'stall') {
    const timer = setTimeout(() => socket.destroy(), stallMs);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    return;
  }
  // Let the partial data reach the peer before the RST, so the client sees a reset mid-body rather than
  // no response at all (an RST makes the peer's kernel drop data it has not delivered yet).
  socket.write(Buffer.alloc(0), () => {
    setTimeout(() => resetConnection(socket), RESET_DELAY_MS).unref();
  });
}

type SabotageKind = 'reset' | 'truncate' | 'stall';

/** How long a `reset` waits after flushing the partial body before sending the RST. */
const RESET_DELAY_MS = 20;

/**
 * Lets the handler answer normally but breaks the response: a body is cut at half its Content-Length (a
 * chunked body right after the headers); a response without a body (redirects, 201, 204, HEAD) is cut
 * before its headers, so the client never gets a complete answer. Then `reset` sends an RST, `truncate`
 * closes cleanly (FIN) and `stall` sends nothing more for `stallMs` before dropping the connection. The
 * connection is never reused: nothing after the cut is written, and the handler sees backpressure.
 */
export function sabotageResponse(res: ServerResponse, kind: SabotageKind, stallMs: number): void {
  const write = res.write.bind(res) as (chunk: unknown, ...rest: unknown[]) => boolean;
  let sent = 0;
  let cut = false;
  const cutoff = (): number => {
    const declared = Number(res.getHeader('content-length'));
    return Number.isFinite(declared) && declared > 1 ? Math.floor(declared / 2) : 0;
  };
  const act = (): void => {
    cut = true;
    const socket = res.socket;
    if (!socket) {
      res.destroy();
      return;
    }
    breakConnection(socket, kind, stallMs);
  };
  res.write = ((chunk: unknown, ...rest: unknown[]): boolean => {
    if (cut) return false;
    const buf = asBuffer(chunk, typeof rest[0] === 'string' ? (rest[0] as BufferEncoding) : undefined);
    const limit = cutoff();
    if (sent + buf.length >= limit) {
      const part = buf.subarray(0, Math.max(0, limit - sent));
      if (part.length > 0) write(part);
      else if (!res.headersSent) res.flushHeaders();
      sent += part.length;
      act();
      return false;
    }
    sent += buf.length;
    return write(chunk, ...rest);
  }) as typeof res.write;
  res.end = ((...args: unknown[]): ServerResponse => {
    if (cut) return res;
    const chunk = args[0];
    if (chunk !== undefined && chunk !== null && typeof chunk !== 'function') {
      const encoding = typeof args[1] === 'string' ? (args[1] as BufferEncoding) : undefined;
      res.write(asBuffer(chunk, encoding));
    }
    if (!cut) act();
    return res;
  }) as typeof res.end;
}

/**
 * For uploads: the handler receives the first half of the request body (by Content-Length; nothing of a
 * chunked body) and then no more — `reset` drops the connection with an RST, `stall` waits `stallMs`
 * first. The handler sees an aborted request, so a partly written upload exercises its clean-up path.
 * Returns false when the body is empty, as there is nothing to cut then.
 */
export function sabotageUpload(req: IncomingMessage, kind: 'reset' | 'stall', stallMs: number): boolean {
  const header = req.headers['content-length'];
  const declared = header === undefined ? NaN : Number(header);
  if (declared === 0) return false;
  const limit = Number.isFinite(declared) ? Math.floor(declared / 2) : 0;
  // Armed as the request arrives, so normally nothing of the body has been delivered yet.
  let got = req.readableLength;
  let cut = false;
  const drop = (): void => {
    cut = true;
    const socket = req.socket;
    // Deferred: the parser is usually mid-callback when the cut happens.
    setImmediate(() => breakConnection(socket, kind, stallMs));
  };
  const push = req.push.bind(req);
  req.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
    if (cut) return false;
    if (chunk === null || chunk === undefined) return push(chunk, encoding);
    const buf = asBuffer(chunk, encoding);
    if (got + buf.length >= limit) {
      const part = buf.subarray(0, Math.max(0, limit - got));
      got += part.length;
      if (part.length > 0) push(part);
      drop();
      return false;
    }
    got += buf.length;
    return push(chunk, encoding);
  };
  if (got >= limit) drop();
  return true;
}
