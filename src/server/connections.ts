/**
 * The server's connections: request bodies that stall, bytes received, connections per client, the TLS files
 * and the names of its own certificate, the user a client certificate logs in, and URLs with their grants
 * redacted for the log.
 */
import fs from 'node:fs';
import type http from 'node:http';
import type net from 'node:net';
import { createSecureContext, type TLSSocket } from 'node:tls';
import type { Caller, UserDirectory } from './auth.js';
import { Fault } from './errors.js';
import { UserCa } from './user-ca.js';

/**
 * Drops the connection of a client whose request body pauses longer than `ms` (a slow-body attack holds a
 * connection and an upload's temp file with a few bytes a minute). Only requests with a body are timed, so
 * a long UWS WAIT poll is not cut.
 */
export function guardBodyIdle(req: http.IncomingMessage, ms: number): void {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length']) > 0;
  if (!hasBody || ms <= 0) return;
  const socket = req.socket;
  const drop = () => socket.destroy();
  socket.setTimeout(ms);
  socket.on('timeout', drop);
  let timing = true;
  const done = () => {
    // Once only: a later call could cancel the keep-alive timer node sets after the response.
    if (!timing) return;
    timing = false;
    socket.off('timeout', drop);
    socket.setTimeout(0);
  };
  req.once('end', done);
  req.once('close', done);
}

/** Counts the bytes read from every connection, open or closed. */
export function countBytesReceived(server: net.Server): () => number {
  const open = new Set<net.Socket>();
  let closed = 0;
  server.on('connection', (socket: net.Socket) => {
    open.add(socket);
    socket.once('close', () => {
      closed += socket.bytesRead;
      open.delete(socket);
    });
  });
  return () => {
    let n = closed;
    for (const s of open) n += s.bytesRead;
    return n;
  };
}

/** Closes at once the connections of a client address beyond `max` open ones. */
export function capConnectionsPerClient(server: net.Server, max: number): void {
  const open = new Map<string, number>();
  server.on('connection', (socket: net.Socket) => {
    const addr = socket.remoteAddress ?? '';
    const n = (open.get(addr) ?? 0) + 1;
    if (n > max) {
      socket.destroy();
      return;
    }
    open.set(addr, n);
    socket.once('close', () => {
      const left = (open.get(addr) ?? 1) - 1;
      if (left > 0) open.set(addr, left);
      else open.delete(addr);
    });
  });
}

/** The names the `'own'` HTTPS certificate is for: the bound address (unless a wildcard) and loopback. */
export function ownHostNames(host: string): string[] {
  const names = ['127.0.0.1', '::1', 'localhost'];
  return host === '0.0.0.0' || host === '::' || names.includes(host) ? names : [host, ...names];
}

/**
 * The user a TLS client certificate logs in: one the server's CA signed, in date, naming a known user. Any
 * other certificate presented is refused as CADC refuses it (403, its text); none presented: undefined.
 */
export function certificateCaller(req: http.IncomingMessage, users: UserDirectory): Caller | undefined {
  const socket = req.socket as Partial<TLSSocket>;
  const peer = socket.getPeerCertificate?.();
  if (!peer || Object.keys(peer).length === 0) return undefined;
  const user = socket.authorized ? UserCa.userOf(peer.subject) : undefined;
  const caller = user ? users.byUserName(user) : undefined;
  if (!caller) throw new Fault(403, 'permission denied -- reason: invalid proxy certficate');
  return caller;
}

export function readTls(files: { cert: string; key: string }): { cert: Buffer; key: Buffer } {
  const read = (what: string, file: string): Buffer => {
    try {
      return fs.readFileSync(file);
    } catch (e) {
      throw new Error(`cannot read TLS ${what} ${file}: ${(e as Error).message}`);
    }
  };
  const pair = { cert: read('certificate', files.cert), key: read('key', files.key) };
  try {
    createSecureContext(pair);
  } catch (e) {
    throw new Error(`TLS certificate ${files.cert} / key ${files.key} unusable: ${(e as Error).message}`);
  }
  return pair;
}

/** A path separator as a request may spell it: `/`, `\`, or either percent-encoded. */
const SEP = String.raw`(?:/|\\|%2f|%5c)`;
const STORAGE_TOKEN = new RegExp(String.raw`(${SEP}data${SEP}+)[^/\\?#]+`, 'gi');
const PREAUTH_TOKEN = /preauth(?::|%3a)[^/\\?#]+/gi;
/** A signed token itself (base64url payload, a dot, an HMAC-SHA256 in base64url), wherever a path puts it. */
const SIGNED_TOKEN = /[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g;

/**
 * Pre-authorised URLs carry grants: keep them out of logs, however the request spells the path around the
 * token (the log shows the raw request, also when it is refused for its backslashes).
 */
export function redact(url: string): string {
  return url
    .replace(STORAGE_TOKEN, '$1<token>')
    .replace(PREAUTH_TOKEN, 'preauth:<token>')
    .replace(SIGNED_TOKEN, '<token>');
}
