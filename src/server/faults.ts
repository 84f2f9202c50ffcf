/**
 * Fault injection for reliability tests: off by default; when on, a seeded generator decides per request
 * whether to fail it and how — 500, 503 + Retry-After, a connection reset, a truncated body, a stall, or
 * added latency. Deterministic for a given seed and request order.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

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
};

function list<T extends string>(value: string, allowed: readonly T[], what: string): T[] {
  const items = value
    .split(/[+|]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const i of items) {
    if (!allowed.includes(i as T))
      throw new Error(`fault spec: unknown ${what} '${i}' (expected ${allowed.join(', ')})`);
  }
  return items as T[];
}

function num(key: string, value: string, min: number, max: number): number {
  const n = Number(value.replace(/ms$/, ''));
  if (!Number.isFinite(n) || n < min || n > max)
    throw new Error(`fault spec: ${key} must be a number in [${min}, ${max}]`);
  return n;
}

/**
 * Parses `rate=0.2,kinds=error+unavailable+reset,endpoints=data+nodes,seed=7,retryAfter=1,stallMs=5000,
 * latencyMs=20,methods=GET+PUT`. Every key is optional.
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
        spec.methods = value
          .split(/[+|]/)
          .map((m) => m.trim().toUpperCase())
          .filter((m) => m !== '');
        break;
      case 'seed':
        spec.seed = num(key, value, 0, 2 ** 32 - 1);
        break;
      case 'retryAfter':
        spec.retryAfterSeconds = num(key, value, 0, 3600);
        break;
      case 'stallMs':
        spec.stallMs = num(key, value, 0, 600_000);
        break;
      case 'latencyMs':
        spec.latencyMs = num(key, value, 0, 60_000);
        break;
      default:
        throw new Error(`fault spec: unknown key '${key}'`);
    }
  }
  if (spec.kinds.length === 0) throw new Error('fault spec: kinds must not be empty');
  return spec;
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
  stats: FaultStats = FaultInjector.emptyStats();

  private static emptyStats(): FaultStats {
    return { requests: 0, injected: { error: 0, unavailable: 0, reset: 0, truncate: 0, stall: 0 } };
  }

  configure(spec: FaultSpec): void {
    this.spec = spec;
    this.random = rng(spec.seed);
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
    if (s.rate <= 0 || !s.endpoints.includes(cls)) return undefined;
    if (s.methods.length > 0 && !s.methods.includes(method)) return undefined;
    if (this.random() >= s.rate) return undefined;
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

function chunkLength(chunk: unknown, encoding?: BufferEncoding): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk);
  return Buffer.from(String(chunk), encoding ?? 'utf8');
}

/**
 * Lets the handler answer normally but breaks the response body half way: `reset` destroys the connection,
 * `truncate` closes it cleanly short of Content-Length, `stall` sends nothing more for `stallMs` then drops it.
 */
export function sabotageResponse(
  res: ServerResponse,
  kind: 'reset' | 'truncate' | 'stall',
  stallMs: number,
): void {
  const write = res.write.bind(res) as (chunk: unknown, ...rest: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  let sent = 0;
  let cut = false;
  const cutoff = (): number => {
    const declared = Number(res.getHeader('content-length'));
    return Number.isFinite(declared) && declared > 1 ? Math.floor(declared / 2) : 0;
  };
  const act = (): void => {
    cut = true;
    const socket = res.socket;
    if (!socket) return;
    if (kind === 'truncate') socket.end();
    else if (kind === 'reset') socket.resetAndDestroy();
    else setTimeout(() => socket.destroy(), stallMs).unref();
  };
  res.write = ((chunk: unknown, ...rest: unknown[]): boolean => {
    if (cut) return true;
    const buf = chunkLength(chunk, typeof rest[0] === 'string' ? (rest[0] as BufferEncoding) : undefined);
    const limit = cutoff();
    if (sent + buf.length >= limit) {
      const part = buf.subarray(0, Math.max(0, limit - sent));
      if (part.length > 0) write(part);
      else if (!res.headersSent) res.flushHeaders();
      sent += part.length;
      act();
      return true;
    }
    sent += buf.length;
    return write(chunk, ...rest);
  }) as typeof res.write;
  res.end = ((...args: unknown[]): ServerResponse => {
    if (cut) return res;
    const chunk = args[0];
    if (chunk !== undefined && chunk !== null && typeof chunk !== 'function') res.write(chunk as Buffer);
    if (!cut) {
      if (!res.headersSent) res.flushHeaders();
      act();
    }
    void end;
    return res;
  }) as typeof res.end;
}

/** For uploads: swallow part of the request body, then drop the connection without answering. */
export function sabotageUpload(
  req: IncomingMessage,
  kind: 'reset' | 'truncate' | 'stall',
  stallMs: number,
): void {
  const declared = Number(req.headers['content-length'] ?? 0);
  const limit = Number.isFinite(declared) ? Math.floor(declared / 2) : 0;
  let got = 0;
  const drop = (): void => {
    req.removeAllListeners('data');
    const socket = req.socket;
    if (kind === 'stall') setTimeout(() => socket.destroy(), stallMs).unref();
    else socket.resetAndDestroy();
  };
  if (limit === 0) {
    drop();
    return;
  }
  req.on('data', (chunk: Buffer) => {
    got += chunk.length;
    if (got >= limit) drop();
  });
}
