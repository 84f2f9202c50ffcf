/**
 * The daemon's status API: loopback only, every request authenticated with a token kept in a 0600 file,
 * the Host header checked against loopback names (no DNS rebinding), no CORS.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Daemon } from './daemon.js';

export interface StatusApi {
  url: string;
  port: number;
  tokenFile: string;
  close(): Promise<void>;
}

export interface StatusApiOptions {
  daemon: Daemon;
  port: number;
  tokenFile: string;
}

/** Reads the token file, creating it (mode 0600) with a fresh random token when absent. */
export function ensureTokenFile(file: string): string {
  try {
    const t = fs.readFileSync(file, 'utf8').trim();
    if (t.length >= 32) {
      fs.chmodSync(file, 0o600);
      return t;
    }
  } catch {
    // create below
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const token = randomBytes(32).toString('base64url');
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, token + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
  return token;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function isLoopbackHost(hostHeader: string | undefined, port: number): boolean {
  if (!hostHeader) return false;
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostHeader.trim().toLowerCase());
  if (!m?.[1]) return false;
  if (m[2] !== undefined && Number(m[2]) !== port) return false;
  return LOOPBACK_HOSTS.has(m[1]);
}

function presentedToken(req: http.IncomingMessage, url: URL): string | undefined {
  const auth = req.headers.authorization;
  const m = auth ? /^Bearer\s+(.+)$/i.exec(auth.trim()) : null;
  if (m?.[1]) return m[1].trim();
  return url.searchParams.get('token') ?? undefined;
}

function tokenMatches(expected: string, got: string | undefined): boolean {
  if (!got) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(got);
  return a.length === b.length && timingSafeEqual(a, b);
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const buf = Buffer.from(JSON.stringify(body, null, 2) + '\n');
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': buf.length,
    'Cache-Control': 'no-store',
  });
  res.end(buf);
}

export type RouteHandler = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
) => Promise<void> | void;

export async function startStatusApi(
  opts: StatusApiOptions,
  extraRoutes: Record<string, RouteHandler> = {},
): Promise<StatusApi> {
  const token = ensureTokenFile(opts.tokenFile);
  const d = opts.daemon;
  let port = 0;
  const routes: Record<string, RouteHandler> = {
    'GET /status': (_req, res) => json(res, 200, d.status.snapshot()),
    'POST /pause': (_req, res, url) => {
      d.pause(url.searchParams.get('pair') ?? undefined);
      json(res, 200, d.status.snapshot());
    },
    'POST /resume': (_req, res, url) => {
      d.resume(url.searchParams.get('pair') ?? undefined, url.searchParams.get('confirmDeletes') === 'true');
      json(res, 200, d.status.snapshot());
    },
    'POST /rescan': (_req, res, url) => {
      d.rescan(url.searchParams.get('pair') ?? undefined);
      json(res, 200, d.status.snapshot());
    },
    ...extraRoutes,
  };
  const server = http.createServer((req, res) => {
    // A foreign Host means a browser was tricked into calling us (DNS rebinding): refuse, reveal nothing.
    if (!isLoopbackHost(req.headers.host, port)) return json(res, 403, { error: 'forbidden' });
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    } catch {
      return json(res, 400, { error: 'bad request' });
    }
    if (!tokenMatches(token, presentedToken(req, url))) return json(res, 401, { error: 'unauthorized' });
    const handler = routes[`${req.method} ${url.pathname}`];
    if (!handler) return json(res, 404, { error: 'not found' });
    Promise.resolve(handler(req, res, url)).catch((e: unknown) => {
      if (!res.headersSent) json(res, 400, { error: (e as Error).message });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    tokenFile: opts.tokenFile,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
