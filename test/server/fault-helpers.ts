/**
 * Helpers for the fault-injection, durability, CLI and TLS tests of the embedded server: temp dirs, an
 * undici client that reports exactly what arrived (status, headers, bytes, how the body ended), the
 * `vosync serve` binary run as a child process, and a small Vault/ARC upload client that retries until the
 * server acknowledges (201 + a Digest equal to the local MD5).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Agent, request, type Dispatcher } from 'undici';
import { HTTPSPUT, SSO_TOKEN, readTransfer, transferXml, vosUri, type Service, md5b64 } from './helpers.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `vosync-${prefix}-`));
}

// --- HTTP as the client sees it -------------------------------------------------------------------------

export interface Seen {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** Set when the body did not arrive complete: the error the client got while reading it. */
  bodyError?: Error & { code?: string };
}

export interface CallOpts {
  token?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  dispatcher?: Dispatcher;
  /** Client-side limit on silence while waiting for headers / between body chunks (ms). */
  timeoutMs?: number;
}

/**
 * One request with undici (no redirects followed). Connection errors before the headers reject; errors
 * while reading the body are returned in `bodyError` together with the bytes that did arrive.
 */
export async function call(method: string, url: string, o: CallOpts = {}): Promise<Seen> {
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (o.token) headers['authorization'] = `Bearer ${o.token}`;
  const r = await request(url, {
    method: method as Dispatcher.HttpMethod,
    headers,
    ...(o.body !== undefined ? { body: o.body } : {}),
    ...(o.dispatcher ? { dispatcher: o.dispatcher } : {}),
    headersTimeout: o.timeoutMs ?? 15_000,
    bodyTimeout: o.timeoutMs ?? 15_000,
  });
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers)) {
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  const chunks: Buffer[] = [];
  try {
    for await (const c of r.body) chunks.push(c as Buffer);
    return { status: r.statusCode, headers: out, body: Buffer.concat(chunks) };
  } catch (e) {
    return { status: r.statusCode, headers: out, body: Buffer.concat(chunks), bodyError: e as Error };
  }
}

/** Calls, then fails the test unless the exchange completed with the expected status. */
export async function expectStatus(
  status: number,
  method: string,
  url: string,
  o: CallOpts = {},
): Promise<Seen> {
  const r = await call(method, url, o);
  if (r.bodyError || r.status !== status) {
    throw new Error(
      `${method} ${url} → ${r.status} ${r.body.toString('utf8').trim()} ${r.bodyError?.message ?? ''} (expected ${status})`,
    );
  }
  return r;
}

/** Polls until `check` returns true (or the deadline passes: then returns false). */
export async function eventually(check: () => boolean, deadlineMs = 5_000): Promise<boolean> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (check()) return true;
    await sleep(20);
  }
  return check();
}

export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(path.join(e.parentPath ?? e.path, e.name));
  }
  return out;
}

// --- the `vosync serve` binary ---------------------------------------------------------------------------

const MAIN = path.join(REPO, 'dist/cli/main.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const f of filesUnder(dir)) if (f.endsWith('.ts')) newest = Math.max(newest, fs.statSync(f).mtimeMs);
  return newest;
}

/**
 * The built CLI. The child-process tests run what `npm run build` produced, so a missing or stale build
 * (older than the server and serve sources) fails loudly instead of testing old code.
 */
export function builtCli(): string {
  if (!fs.existsSync(MAIN)) {
    throw new Error(`${MAIN} is missing: run \`npx tsc -p tsconfig.build.json\` before these tests`);
  }
  const built =
    fs.statSync(path.join(REPO, 'dist/server/server.js'), { throwIfNoEntry: false })?.mtimeMs ?? 0;
  const sources = Math.max(
    newestMtime(path.join(REPO, 'src/server')),
    fs.statSync(path.join(REPO, 'src/cli/serve.ts')).mtimeMs,
  );
  if (built < sources) {
    throw new Error(
      'dist/ is older than src/server or src/cli/serve.ts: run `npx tsc -p tsconfig.build.json`',
    );
  }
  return MAIN;
}

export interface ServeProcess {
  proc: ChildProcess;
  baseUrl: string;
  port: number;
  /** Every stdout line so far. */
  stdout: string[];
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `node dist/cli/main.js ARGS` and collects its output (no waiting for a listening line). */
export function runCli(args: string[]): {
  proc: ChildProcess;
  stdout: string[];
  stderr: () => string;
  exited: ServeProcess['exited'];
} {
  const proc = spawn(process.execPath, [builtCli(), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  let err = '';
  let partial = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
    partial += d;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    stdout.push(...lines);
  });
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // 'close', not 'exit': only then is all of the child's output read (a loaded machine shows the difference).
    proc.once('close', (code, signal) => {
      if (partial) stdout.push(partial);
      resolve({ code, signal });
    });
  });
  return { proc, stdout, stderr: () => err, exited };
}

/** Starts `vosync serve ARGS` and resolves once it printed its listening line. */
export async function spawnServe(args: string[], timeoutMs = 20_000): Promise<ServeProcess> {
  const run = runCli(['serve', ...args]);
  const deadline = Date.now() + timeoutMs;
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void run.exited.then((e) => (exit = e));
  while (run.stdout.length === 0) {
    if (exit) throw new Error(`vosync serve exited (${exit.code ?? exit.signal}): ${run.stderr()}`);
    if (Date.now() > deadline) {
      run.proc.kill('SIGKILL');
      throw new Error(`vosync serve printed nothing in ${timeoutMs} ms: ${run.stderr()}`);
    }
    await sleep(10);
  }
  const m = /(https?):\/\/127\.0\.0\.1:(\d+)/.exec(run.stdout[0]!);
  if (!m) throw new Error(`no URL in the first line: ${run.stdout[0]}`);
  return { ...run, baseUrl: `${m[1]}://127.0.0.1:${m[2]}`, port: Number(m[2]) };
}

/** Stops a child server (if still running) and waits for it to exit. */
export async function stopServe(s: ServeProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill(signal);
  await s.exited;
}

// --- uploading like a careful client ----------------------------------------------------------------------

export interface Uploader {
  base: string;
  token: string;
  dispatcher: Dispatcher;
  /** Exchanges that failed (connection errors, 5xx, …) and were retried. */
  retries: number;
}

export function uploader(base: string, token: string, connections = 16): Uploader {
  return {
    base,
    token,
    dispatcher: new Agent({ connections, keepAliveTimeout: 10_000, pipelining: 1 }),
    retries: 0,
  };
}

/** Follows the sync-transfer negotiation of a push (303 → 303 → transfer document) to its endpoint. */
export async function negotiatePush(u: Uploader, svc: Service, p: string): Promise<string> {
  const xml = transferXml(vosUri(svc, p, '!'), 'pushToVoSpace', {
    protocols: [{ uri: HTTPSPUT, securityMethod: SSO_TOKEN }],
  });
  let r = await call('POST', `${u.base}/${svc}/synctrans`, {
    token: u.token,
    dispatcher: u.dispatcher,
    body: xml,
    headers: { 'content-type': 'text/xml' },
  });
  for (let hops = 0; r.status === 303 && !r.bodyError && hops < 5; hops++) {
    r = await call('GET', r.headers['location']!, { token: u.token, dispatcher: u.dispatcher });
  }
  if (r.status !== 200 || r.bodyError) throw new Error(`negotiation ended with ${r.status}`);
  const ep = readTransfer(r.body.toString('utf8')).protocols[0]?.endpoint;
  if (!ep) throw new Error(`no endpoint offered for ${svc}:${p}`);
  return ep;
}

/** Where bytes for a node go: Vault negotiates a pre-authorised URL, ARC takes a direct PUT. */
export async function putUrl(u: Uploader, svc: Service, p: string): Promise<string> {
  return svc === 'vault' ? negotiatePush(u, svc, p) : `${u.base}/arc/files/${p}`;
}

/** PUTs bytes with their Digest; true only for an acknowledgement: 201 with the same MD5 echoed. */
export async function putOnce(
  u: Uploader,
  url: string,
  bytes: Buffer,
  digestOf: Buffer = bytes,
): Promise<Seen> {
  return call('PUT', url, {
    token: u.token,
    dispatcher: u.dispatcher,
    body: bytes,
    headers: { digest: `md5=${md5b64(digestOf)}`, 'content-type': 'application/octet-stream' },
  });
}

export function isAck(r: Seen, bytes: Buffer): boolean {
  return r.status === 201 && !r.bodyError && r.headers['digest'] === `md5=${md5b64(bytes)}`;
}

/**
 * Uploads until acknowledged. `onAttempt` runs before each PUT (so a caller can note that this content
 * might now be stored). Retries connection errors and 5xx with a short pause (Retry-After is honoured up
 * to `maxPauseMs`), re-using a negotiated endpoint; any other answer to the PUT is a test failure.
 */
export async function uploadUntilAcked(
  u: Uploader,
  svc: Service,
  p: string,
  bytes: Buffer,
  opts: { maxAttempts?: number; maxPauseMs?: number; onAttempt?: () => void; signal?: AbortSignal } = {},
): Promise<number> {
  const max = opts.maxAttempts ?? 60;
  // A negotiated endpoint stays valid for a while: retry the PUT on it rather than negotiating again.
  let url: string | undefined;
  for (let attempt = 1; attempt <= max; attempt++) {
    opts.signal?.throwIfAborted();
    let pause = 5;
    try {
      url ??= await putUrl(u, svc, p);
      opts.onAttempt?.();
      const r = await putOnce(u, url, bytes);
      if (isAck(r, bytes)) return attempt;
      if (r.status < 500 && !r.bodyError) {
        throw new Error(`PUT ${svc}:${p} → ${r.status} ${r.body.toString('utf8').trim()}`);
      }
      const retryAfter = Number(r.headers['retry-after']);
      if (Number.isFinite(retryAfter)) pause = Math.min(retryAfter * 1000, opts.maxPauseMs ?? 20);
    } catch (e) {
      if ((e as Error).message.startsWith('PUT ')) throw e;
      // connection error or a failed negotiation step: try again
    }
    u.retries++;
    await sleep(pause);
  }
  throw new Error(`${svc}:${p} not acknowledged after ${max} attempts`);
}

/**
 * A PUT that promises all of `bytes` but sends only the first half and then aborts the connection, as a
 * client that crashes mid-upload. Resolves once the connection is gone (whatever the server answered).
 */
export function abortedPut(url: string, bytes: Buffer, headers: Record<string, string>): Promise<void> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    const r = mod.request(u, {
      method: 'PUT',
      headers: { ...headers, 'content-length': String(bytes.length) },
    });
    r.on('error', () => resolve());
    r.on('response', (res) => {
      res.resume();
      res.on('close', () => resolve());
    });
    r.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => {
      setTimeout(() => {
        r.destroy();
        resolve();
      }, 20);
    });
  });
}

/** Downloads a node's bytes through `/files` (Vault: one 303 to the storage URL). */
export async function download(u: Uploader, svc: Service, p: string): Promise<Seen> {
  const first = await call('GET', `${u.base}/${svc}/files/${p}`, {
    token: u.token,
    dispatcher: u.dispatcher,
  });
  if (first.status !== 303) return first;
  return call('GET', first.headers['location']!, { dispatcher: u.dispatcher });
}

/** Runs `fn` over items with at most `limit` in flight; rejects with the first error. */
export async function eachLimited<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async (): Promise<void> => {
    while (failed === undefined && next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== undefined) throw failed;
}
