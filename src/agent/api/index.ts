/**
 * The daemon's status API: loopback only, every data request authenticated with the token kept in a 0600
 * file (or a page session, see sessions.ts), the Host header checked against loopback names (no DNS
 * rebinding), a foreign Origin refused, no CORS, nothing cached. The status page's static files at `/` are
 * the only answers given without a token: they hold no data.
 * Routes and response schemas: docs/status-api.md.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { removeEndpointFile, writeEndpointFile } from './endpoint-file.js';
import { dataRoutes, HttpError, type Reply } from './routes.js';
import { SessionStore } from './sessions.js';
import type { Daemon } from '../daemon.js';
import { PAGE_ASSETS } from '../status/page/assets.js';
import { VosError } from '../../util/errors.js';

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
  /** Clock for page sessions (default: the daemon's). */
  now?: () => number;
  /** Write the discovery file next to the token file (default true). */
  endpointFile?: boolean;
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

/** A browser sends Origin on cross-site requests; only the page's own origin may call us. */
function originAllowed(origin: string | undefined, port: number): boolean {
  if (origin === undefined) return true;
  try {
    const u = new URL(origin);
    return u.protocol === 'http:' && isLoopbackHost(u.host, port) && u.port === String(port);
  } catch {
    return false;
  }
}

/** Only the Authorization header: a token in the query string would end up in logs and history. */
function presentedToken(req: http.IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  const m = auth ? /^Bearer\s+(\S+)\s*$/i.exec(auth) : null;
  return m?.[1];
}

function tokenMatches(expected: string, got: string | undefined): boolean {
  if (!got) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(got);
  return a.length === b.length && timingSafeEqual(a, b);
}

const COMMON_HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function send(res: http.ServerResponse, status: number, type: string, body: string, extra = {}): void {
  const buf = Buffer.from(body);
  res.writeHead(status, {
    ...COMMON_HEADERS,
    'Content-Type': type,
    'Content-Length': buf.length,
    ...extra,
  });
  res.end(buf);
}

function json(res: http.ServerResponse, status: number, body: unknown, extra = {}): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body, null, 2) + '\n', extra);
}

const MAX_BODY = 4096;

async function readJsonBody(req: http.IncomingMessage): Promise<unknown> {
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? ''))
    throw new HttpError(415, 'the body must be application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpError(413, 'body too large');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'the body is not JSON');
  }
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
  const sessions = new SessionStore({ now: opts.now ?? d.now });
  const routes = dataRoutes(d);
  let port = 0;

  const authorized = (req: http.IncomingMessage): 'main' | 'session' | undefined => {
    const got = presentedToken(req);
    if (tokenMatches(token, got)) return 'main';
    return got && sessions.isSession(got) ? 'session' : undefined;
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    // A foreign Host means a browser was tricked into calling us (DNS rebinding): refuse, reveal nothing.
    if (!isLoopbackHost(req.headers.host, port) || !originAllowed(req.headers.origin, port))
      return json(res, 403, { error: 'forbidden' });
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    } catch {
      return json(res, 400, { error: 'bad request' });
    }
    const key = `${req.method} ${url.pathname}`;
    const asset = req.method === 'GET' ? PAGE_ASSETS[url.pathname] : undefined;
    if (asset)
      return send(
        res,
        200,
        asset.type,
        asset.body,
        asset.page ? { 'Content-Security-Policy': PAGE_CSP } : {},
      );
    if (key === 'POST /session/redeem') {
      const body = await readJsonBody(req);
      const code = (body as { code?: unknown } | null)?.code;
      const s = typeof code === 'string' ? sessions.redeem(code) : undefined;
      if (!s) return json(res, 401, { error: 'unauthorized' });
      return json(res, 200, s);
    }
    const who = authorized(req);
    if (!who)
      return json(res, 401, { error: 'unauthorized' }, { 'WWW-Authenticate': 'Bearer realm="vosync"' });
    if (key === 'POST /session') {
      // Only the holder of the main token may mint links; a page session may not extend itself.
      if (who !== 'main') return json(res, 403, { error: 'forbidden' });
      const { code, expiresAt } = sessions.issueCode();
      return json(res, 200, { url: `http://127.0.0.1:${port}/#code=${code}`, expiresAt });
    }
    const extra = extraRoutes[key];
    if (extra) return void (await extra(req, res, url));
    const route = routes[key];
    if (!route) return json(res, 404, { error: 'not found' });
    const reply: Reply = await route(url);
    return json(res, reply.status, reply.body);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (e instanceof HttpError) return json(res, e.status, { error: e.message });
      if (e instanceof VosError && e.kind === 'not-found') return json(res, 404, { error: e.message });
      d.log.warn(`status API: ${req.method} ${req.url?.split('?')[0]}: ${(e as Error).message}`);
      json(res, 500, { error: 'internal error' });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const writeFile = opts.endpointFile ?? true;
  if (writeFile) {
    try {
      writeEndpointFile(opts.tokenFile, { url, port, pid: process.pid, startedAt: d.now() });
    } catch (e) {
      // Only discovery suffers: `vosync status` still finds a fixed port from the config.
      d.log.warn(`status API: cannot write ${opts.tokenFile}.endpoint.json: ${(e as Error).message}`);
    }
  }
  return {
    url,
    port,
    tokenFile: opts.tokenFile,
    close: () =>
      new Promise<void>((resolve) => {
        if (writeFile) removeEndpointFile(opts.tokenFile, process.pid);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
