/** Small HTTP helpers shared by the server's endpoints. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Fault, faults } from './errors.js';
import { VERSION } from '../util/version.js';

export const SERVER_HEADER = `vosync-serve/${VERSION}`;

export function sendText(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  const buf = Buffer.from(body, 'utf8');
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': buf.length,
    ...headers,
  });
  res.end(buf);
}

export function sendXml(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  const buf = Buffer.from(body, 'utf8');
  res.writeHead(status, { 'Content-Type': 'text/xml', 'Content-Length': buf.length, ...headers });
  res.end(buf);
}

/** Bytes per write of a streamed document. */
const STREAM_CHUNK = 512 * 1024;

/**
 * Sends a document made of pieces as they come (chunked), waiting for the client to keep up. Small pieces are
 * encoded straight into buffers of STREAM_CHUNK bytes: a long string made by concatenation would be flattened
 * once to measure it and again to encode it (a third of the server's time on a 100,000-node listing).
 */
export async function streamXml(
  res: ServerResponse,
  status: number,
  pieces: Iterable<string>,
): Promise<void> {
  res.writeHead(status, { 'Content-Type': 'text/xml' });
  let buf = Buffer.allocUnsafe(STREAM_CHUNK);
  let used = 0;
  for (const piece of pieces) {
    // 3 bytes per UTF-16 unit is UTF-8's worst case.
    if (3 * piece.length > buf.length - used) {
      if (used > 0) {
        // The response may hold on to a written buffer until the socket takes it: start a new one.
        if (!(await writeWhenReady(res, buf.subarray(0, used)))) return;
        buf = Buffer.allocUnsafe(STREAM_CHUNK);
        used = 0;
      }
      if (3 * piece.length > buf.length) {
        if (!(await writeWhenReady(res, piece))) return;
        continue;
      }
    }
    used += buf.write(piece, used);
  }
  if (used > 0 && !(await writeWhenReady(res, buf.subarray(0, used)))) return;
  res.end();
}

/** Writes one piece of a body and waits until the client takes more; false once the client is gone. */
export async function writeWhenReady(res: ServerResponse, piece: string | Buffer): Promise<boolean> {
  if (res.destroyed) return false;
  if (!res.write(piece)) {
    await new Promise<void>((resolve) => {
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  }
  return !res.destroyed;
}

/** `inline; filename="…"`, with an RFC 5987 `filename*` when the name is not plain ASCII. */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return ascii === name
    ? `inline; filename="${name}"`
    : `inline; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { Location: location, 'Content-Length': 0 });
  res.end();
}

export function sendFault(res: ServerResponse, f: Fault): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendText(res, f.status, f.body.endsWith('\n') ? f.body : f.body + '\n', f.headers);
}

/** Reads a request body up to `limit` bytes; larger bodies are a 413 and are not buffered. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw faults.tooLarge(limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      req.resume();
      throw faults.tooLarge(limit);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Parses an `application/x-www-form-urlencoded` body (or query) into lower-cased keys → values. */
export function formParams(body: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [k, v] of new URLSearchParams(body)) {
    const key = k.toLowerCase();
    out.set(key, [...(out.get(key) ?? []), v]);
  }
  return out;
}

export function first(params: Map<string, string[]>, key: string): string | undefined {
  return params.get(key.toLowerCase())?.[0];
}

export function isForm(req: IncomingMessage): boolean {
  return (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
}

/**
 * Checks the raw request path once, before anything reads it: URL parsing would silently resolve `.`/`..`
 * segments (also as `%2e`) against the endpoint path, and reads `\` as `/` in http URLs, so
 * `nodes/alice/../bob` and `nodes/alice\..\bob` would otherwise both address `bob`. A backslash is an
 * illegal character in a node name anyway, so it is refused wherever it appears, like a dot segment.
 */
export function checkRequestPath(req: IncomingMessage): void {
  const raw = (req.url ?? '').split('?')[0] ?? '';
  if (raw.includes('\\')) throw faults.invalidUri(`illegal character '\\' in '${raw}'`);
  for (const seg of raw.split('/')) {
    const s = seg.replace(/%2e/gi, '.');
    if (s === '.' || s === '..') throw faults.invalidUri(`'${s}' is not a valid node name in '${raw}'`);
  }
}

/** Decodes a request sub-path (`a/b%20c`) into a node path; malformed escapes are an InvalidURI fault. */
export function decodePath(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw faults.invalidUri(`malformed percent-encoding in ${raw}`);
  }
}

export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

export function md5Base64(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64');
}

/** Parses `Digest: md5=<base64>` (other algorithms ignored); a malformed md5 value is a 400. */
export function requestMd5(req: IncomingMessage): string | undefined {
  const header = req.headers['digest'];
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim().toLowerCase() !== 'md5') continue;
    const raw = Buffer.from(part.slice(eq + 1).trim(), 'base64');
    if (raw.length !== 16) throw new Fault(400, 'InvalidArgument: malformed Digest header');
    return raw.toString('hex');
  }
  return undefined;
}
