/**
 * Bytes: the `/files` endpoint (Vault: 303 to a pre-authorised storage URL; ARC: served directly, PUT too)
 * and the pre-authorised storage URLs themselves. Uploads stream into a temp file while the MD5 is computed
 * and replace the node's data only once complete and verified (upload.ts); requests that carry `x-put-txn-*`
 * headers are PUT transactions (put-txn.ts), on Vault's storage URLs and ARC's /files alike.
 */
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { RequestContext } from './context.js';
import { Fault, faults } from './errors.js';
import { contentDisposition, httpDate, md5Base64, redirect } from './http.js';
import { answerSoda, sodaRequest } from './fits/soda.js';
import { requestNodePath } from './nodes.js';
import { ANONYMOUS, type Caller, type Grant, type PreauthClaim } from './auth.js';
import { handleTxn, txnRequest, type TxnRequest, type WriteTarget } from './put-txn.js';
import type { VoService } from './service.js';
import type { NodeRecord } from './store.js';
import { checkDeclaredLength, commitUpload, receiveBody, respondStored } from './upload.js';
import { encodeNodePath, parentPath } from '../vospace/uri.js';
import { PROP } from '../vospace/xml.js';
import { EMPTY_MD5 } from '../util/md5.js';
import { joinPath, nameOf } from '../util/rel-path.js';

/** A pre-authorised data URL for one node, like the endpoints CADC's transfer generators hand out. */
export function preauthUrl(ctx: RequestContext, path: string, grant: Grant): string {
  const token = ctx.signer.sign(
    { service: ctx.service.name, path, grant, user: ctx.caller.user ?? '' },
    ctx.now(),
  );
  return ctx.service.flavour.filesRedirect
    ? `${ctx.serviceBase}/data/${token}/${encodeNodePath(path)}`
    : `${ctx.serviceBase}/files/preauth:${token}/${encodeNodePath(path)}`;
}

function dataHeaders(svc: VoService, n: NodeRecord): Record<string, string> {
  const h: Record<string, string> = {
    'Content-Disposition': contentDisposition(n.name),
    'Content-Type': n.props[PROP.type] ?? 'application/octet-stream',
    'Last-Modified': httpDate(n.contentDate ?? n.date),
    Server: svc.flavour.dataServerHeader,
  };
  const encoding = n.props[PROP.encoding];
  if (encoding) h['Content-Encoding'] = encoding;
  h['Digest'] = `md5=${md5Base64(n.md5 ?? EMPTY_MD5)}`;
  if (svc.flavour.ranges) h['Accept-Ranges'] = 'bytes';
  return h;
}

/** A single `bytes=` range; multi-range, other units or malformed values are ignored (full body). */
function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== '' && Number(m[2]) < start) return undefined;
  }
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

/** Sends a DataNode's bytes (GET) or just its headers (HEAD). */
async function sendData(ctx: RequestContext, n: NodeRecord): Promise<void> {
  const { req, res } = ctx;
  const svc = ctx.service;
  const headers = dataHeaders(svc, n);
  const size = n.blob ? n.length : 0;
  if (req.method === 'HEAD') {
    res.writeHead(200, { ...headers, 'Content-Length': size });
    res.end();
    return;
  }
  if (!n.blob || size === 0) {
    res.writeHead(204, headers);
    res.end();
    return;
  }
  const range = svc.flavour.ranges ? parseRange(req.headers.range, size) : undefined;
  if (range === 'unsatisfiable') {
    throw new Fault(416, 'RequestedRangeNotSatisfiable', { 'Content-Range': `bytes */${size}` });
  }
  let stream: fs.ReadStream;
  try {
    stream = fs.createReadStream(
      svc.store.blobPath(n.blob),
      range ? { start: range.start, end: range.end } : {},
    );
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    });
  } catch {
    throw faults.unavailable(`storage for ${svc.uriOf(n.path)}`, 5);
  }
  if (range) {
    res.writeHead(206, {
      ...headers,
      'Content-Length': range.end - range.start + 1,
      'Content-Range': `bytes ${range.start}-${range.end}/${size}`,
    });
  } else {
    res.writeHead(200, { ...headers, 'Content-Length': size });
  }
  await pipeline(stream, res).catch(() => {
    // The client went away or a fault cut the body; nothing to clean up on our side.
  });
}

function resolveData(ctx: RequestContext, path: string, caller: Caller): NodeRecord {
  const svc = ctx.service;
  const n = svc.resolve(path, caller, true);
  if (!n) throw new Fault(404, `NodeNotFound: Target not found: ${svc.uriOf(path)}`);
  if (n.type !== 'DataNode')
    throw new Fault(400, `InvalidArgument: Resolved target is not a data node: ${svc.uriOf(path)}`);
  return n;
}

/** `/files/{path}`: Vault redirects to storage; ARC serves and accepts bytes itself. */
export async function handleFiles(ctx: RequestContext): Promise<void> {
  const svc = ctx.service;
  const method = ctx.req.method ?? 'GET';
  if (!svc.flavour.filesRedirect && ctx.rest.startsWith('preauth:')) return handlePreauthArc(ctx);
  const path = requestNodePath(ctx.rest);
  if (!svc.flavour.filesRedirect && (method === 'HEAD' || method === 'POST') && txnStep(ctx))
    return putArc(ctx, path, ctx.caller);
  if (method === 'GET' || method === 'HEAD') {
    const n = resolveData(ctx, path, ctx.caller);
    // HEAD is checked as GET (CADC checks GET only): its headers give away the size, MD5 and name.
    if (!svc.canRead(n, ctx.caller)) throw faults.permission(svc.uriOf(n.path));
    if (svc.flavour.filesRedirect) {
      if (method === 'HEAD') return sendData(ctx, n);
      if (!n.blob || n.length === 0) return sendData(ctx, n);
      const target = preauthUrl(ctx, n.path, 'read') + ctx.url.search;
      redirect(ctx.res, target);
      return;
    }
    return sendData(ctx, n);
  }
  if (method === 'PUT' && !svc.flavour.filesRedirect) return putArc(ctx, path, ctx.caller);
  throw faults.methodNotAllowed(method, svc.flavour.filesRedirect ? 'GET, HEAD' : 'GET, HEAD, PUT, POST');
}

/** A HEAD or POST that names a PUT transaction (asks for its state, aborts or reverts it); PUTs always qualify. */
function txnStep(ctx: RequestContext): TxnRequest | undefined {
  const method = ctx.req.method;
  if (method !== 'PUT' && method !== 'HEAD' && method !== 'POST') return undefined;
  const txn = txnRequest(ctx.req);
  if (!txn || (method !== 'PUT' && !txn.id)) return undefined;
  return txn;
}

/**
 * Where an ARC upload by `caller` goes, once checked: the parent container must exist, the node (if any) be a
 * DataNode, and the caller may write it or its parent. `exact` (pre-authorised URLs) resolves the path without
 * following links, so the grant writes only the node it was issued for.
 */
function arcWriteTarget(ctx: RequestContext, path: string, caller: Caller, exact: boolean): WriteTarget {
  const svc = ctx.service;
  const parentP = parentPath(path);
  if (parentP === undefined) throw new Fault(400, 'InvalidArgument: not a data node');
  const parent = exact ? svc.resolveExact(parentP, caller) : svc.resolve(parentP, caller, true);
  if (!parent) throw new Fault(404, `NodeNotFound: not found: parent container ${svc.uriOf(parentP)}`);
  if (parent.type !== 'ContainerNode')
    throw new Fault(400, `InvalidArgument: parent is not a container: ${svc.uriOf(parentP)}`);
  const target = joinPath(parent.path, nameOf(path));
  const existing = svc.get(target);
  if (existing && existing.type !== 'DataNode')
    throw new Fault(400, `InvalidArgument: not a data node: ${svc.uriOf(target)}`);
  const allowed = existing
    ? svc.canWrite(existing, caller) || svc.canWrite(parent, caller)
    : svc.canWrite(parent, caller);
  if (!allowed) throw faults.permission(svc.uriOf(target));
  return { path: target, node: existing, caller, create: { owner: caller.user ?? '', inheritFrom: parent } };
}

/** An ARC upload (or transaction step) by `caller`; `exact` as for arcWriteTarget. */
async function putArc(ctx: RequestContext, path: string, caller: Caller, exact = false): Promise<void> {
  const target = arcWriteTarget(ctx, path, caller, exact);
  const txn = txnStep(ctx);
  if (txn) return handleTxn(ctx, txn, target);
  try {
    checkDeclaredLength(ctx, target.path, target.node);
    const got = await receiveBody(ctx);
    respondStored(ctx, await commitUpload(ctx, target.path, got, target.create));
  } catch (e) {
    // Cavern creates the node before writing and empties it when the write fails: a new file refused for
    // the quota stays behind empty. (An existing file keeps its old bytes here, where Cavern truncates it.)
    if (!target.node && e instanceof Fault && e.status === 413 && !ctx.service.get(target.path)) {
      const empty = { temp: ctx.service.store.tempPath(), length: 0, md5: EMPTY_MD5 };
      await commitUpload(ctx, target.path, empty, target.create);
    }
    throw e;
  }
}

/** ARC's `/files/preauth:{token}/{path}`. */
async function handlePreauthArc(ctx: RequestContext): Promise<void> {
  const slash = ctx.rest.indexOf('/');
  const token = ctx.rest.slice('preauth:'.length, slash < 0 ? undefined : slash);
  const path = requestNodePath(slash < 0 ? '' : ctx.rest.slice(slash + 1));
  return servePreauth(ctx, token, path);
}

/** Vault's storage URLs `/data/{token}/{path}` (the minoc look-alike). */
export async function handleStorage(ctx: RequestContext): Promise<void> {
  const slash = ctx.rest.indexOf('/');
  if (slash < 0) throw new Fault(404, 'NotFound: no such storage URL');
  const token = ctx.rest.slice(0, slash);
  const path = requestNodePath(ctx.rest.slice(slash + 1));
  return servePreauth(ctx, token, path);
}

/**
 * The user a pre-authorised URL was issued to. The URL acts for them only while they still may do what it
 * grants (checked on every use), so a revoked permission or group membership also revokes the URL.
 */
function issuerOf(ctx: RequestContext, claim: PreauthClaim): Caller {
  if (claim.user === '') return ANONYMOUS;
  const issuer = ctx.users.byUserName(claim.user);
  if (!issuer) throw faults.permission(ctx.service.uriOf(claim.path));
  return issuer;
}

/** The DataNode at exactly `path` (never through a link) that `issuer` may read or write. */
function exactDataNode(ctx: RequestContext, path: string, issuer: Caller, grant: Grant): NodeRecord {
  const svc = ctx.service;
  const n = svc.resolveExact(path, issuer);
  if (!n || n.type !== 'DataNode') throw new Fault(404, `NodeNotFound: ${svc.uriOf(path)}`);
  const allowed = grant === 'write' ? svc.canWrite(n, issuer) : svc.canRead(n, issuer);
  if (!allowed) throw faults.permission(svc.uriOf(path));
  return n;
}

async function servePreauth(ctx: RequestContext, token: string, path: string): Promise<void> {
  const svc = ctx.service;
  const method = ctx.req.method ?? 'GET';
  // A transaction's state, abort and revert are writes too: they need the grant the upload had.
  const txn = txnStep(ctx);
  const grant: Grant = method === 'PUT' || txn ? 'write' : 'read';
  const claim = ctx.signer.verify(token, svc.name, path, grant, ctx.now());
  const issuer = issuerOf(ctx, claim);
  if (!svc.flavour.filesRedirect && (method === 'PUT' || txn)) return putArc(ctx, path, issuer, true);
  if (txn)
    return handleTxn(ctx, txn, { path, node: exactDataNode(ctx, path, issuer, 'write'), caller: issuer });
  if (method === 'GET' || method === 'HEAD') {
    const n = exactDataNode(ctx, path, issuer, 'read');
    // Cutouts and headers are minoc's (Vault's storage); ARC serves whole files whatever the query says.
    const soda = method === 'GET' && svc.flavour.filesRedirect ? sodaRequest(ctx.url) : undefined;
    return soda ? answerSoda(ctx, n, soda) : sendData(ctx, n);
  }
  if (method === 'PUT') {
    // The node must exist and the grant still allow writing it; Vault's storage (minoc) knows no quotas, which
    // are checked at the push negotiation.
    exactDataNode(ctx, path, issuer, 'write');
    const got = await receiveBody(ctx);
    respondStored(ctx, await commitUpload(ctx, path, got, undefined));
    return;
  }
  throw faults.methodNotAllowed(method, 'GET, HEAD, PUT, POST');
}
