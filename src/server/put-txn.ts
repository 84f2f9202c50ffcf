/**
 * PUT transactions on the data endpoints, as CADC's minoc answers them (`minoc/PutTransaction.md`, its
 * PutAction/HeadAction/PostAction): `PUT` with `x-put-txn-op: start` opens one (202 + `x-put-txn-id`, segment
 * limits; a body is its first segment), `PUT` with the id appends a segment (202 + the running Digest), `HEAD`
 * with the id tells the state (length so far, Digest), `PUT` with `x-put-txn-op: commit` and no body makes the
 * bytes the node's data at once (201), `POST` with `abort` drops it (204) and with `revert` undoes the last
 * segment (202). An append cut short is rolled back. The caller has already checked that the user may write
 * the node; a transaction serves only the user and the path that started it.
 */
import type { IncomingMessage } from 'node:http';
import type { Caller } from './auth.js';
import type { RequestContext } from './context.js';
import { Fault, faults } from './errors.js';
import { httpDate, md5Base64, requestMd5 } from './http.js';
import { AppendCut, TxnGone, type PutTxn } from './put-txns.js';
import type { NodeRecord } from './store.js';
import { commitUpload, respondStored, type CreateAs } from './upload.js';

export type TxnOp = 'start' | 'commit' | 'abort' | 'revert';

/** The transaction headers of a request. */
export interface TxnRequest {
  op: TxnOp | undefined;
  id: string | undefined;
  totalLength: number | undefined;
}

/** Where a transaction's bytes go, as the data endpoint resolved and authorised it. */
export interface WriteTarget {
  path: string;
  /** The DataNode there now, if any. */
  node: NodeRecord | undefined;
  /** Who acts: the caller, or on a pre-authorised URL the user it was issued to. */
  caller: Caller;
  /** Set where the commit may create the node (ARC's `/files`). */
  create?: CreateAs;
}

const OPS: readonly string[] = ['start', 'commit', 'abort', 'revert'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined ? undefined : s.trim();
}

/** A non-negative whole number of bytes from a header; anything else is a 400 naming the header. */
function byteCount(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)))
    throw faults.invalidArgument(`illegal ${name} header: ${value}`);
  return Number(value);
}

/** The request's transaction headers, or undefined for a request that has none (a plain one). */
export function txnRequest(req: IncomingMessage): TxnRequest | undefined {
  const rawOp = headerValue(req, 'x-put-txn-op');
  const id = headerValue(req, 'x-put-txn-id');
  if (!rawOp && !id) return undefined;
  const op = rawOp?.toLowerCase();
  if (op !== undefined && !OPS.includes(op)) throw faults.invalidArgument(`invalid x-put-txn-op=${rawOp}`);
  return {
    op: op as TxnOp | undefined,
    id: id || undefined,
    totalLength: byteCount(headerValue(req, 'x-total-length'), 'x-total-length'),
  };
}

function declaredLength(req: IncomingMessage): number | undefined {
  return byteCount(headerValue(req, 'content-length'), 'Content-Length');
}

/** The transaction `id` if it is one of this user's for this path; a 400 (or 403) otherwise. */
function ownTxn(ctx: RequestContext, id: string | undefined, target: WriteTarget): PutTxn {
  const svc = ctx.service;
  if (!id) throw faults.invalidArgument('requires x-put-txn-id={transaction ID}');
  const t = UUID.test(id) ? ctx.txns.get(id) : undefined;
  if (!t) throw faults.invalidArgument(`unknown transaction: ${id}`);
  if (t.service !== svc.name || t.path !== target.path)
    throw faults.invalidArgument(`incorrect target for transaction ${id}: ${svc.uriOf(target.path)}`);
  if (t.owner !== (target.caller.user ?? '')) throw faults.permission(`transaction ${id}`);
  return t;
}

function stateHeaders(ctx: RequestContext, t: PutTxn): Record<string, string | number> {
  const limits = ctx.txns.limits;
  const h: Record<string, string | number> = {
    'x-put-txn-id': t.id,
    'x-put-segment-minbytes': limits.minBytes,
    Server: ctx.service.flavour.dataServerHeader,
  };
  if (limits.maxBytes > 0) h['x-put-segment-maxbytes'] = limits.maxBytes;
  // minoc reports no Digest for a transaction holding no bytes yet.
  if (t.length > 0) h['Digest'] = `md5=${md5Base64(t.md5)}`;
  return h;
}

function answer(ctx: RequestContext, status: number, headers: Record<string, string | number>): void {
  ctx.req.resume();
  ctx.res.writeHead(status, { 'Content-Length': 0, ...headers });
  ctx.res.end();
}

/** Answers a request that carries transaction headers. */
export async function handleTxn(ctx: RequestContext, txn: TxnRequest, target: WriteTarget): Promise<void> {
  const method = ctx.req.method ?? 'GET';
  if (method === 'HEAD') return headState(ctx, ownTxn(ctx, txn.id, target));
  if (method === 'POST') return postTxn(ctx, txn, target);
  if (method !== 'PUT') throw faults.methodNotAllowed(method, 'HEAD, PUT, POST');
  if (txn.op === 'start') return start(ctx, txn, target);
  if (txn.op === 'commit') return commit(ctx, ownTxn(ctx, txn.id, target), target);
  if (txn.op) throw faults.invalidArgument(`invalid x-put-txn-op=${txn.op}: must be done with POST`);
  return append(ctx, ownTxn(ctx, txn.id, target), target);
}

function headState(ctx: RequestContext, t: PutTxn): void {
  const h = stateHeaders(ctx, t);
  if (t.length > 0) h['Last-Modified'] = httpDate(t.touched);
  ctx.res.writeHead(200, { ...h, 'Content-Length': t.length });
  ctx.res.end();
}

async function postTxn(ctx: RequestContext, txn: TxnRequest, target: WriteTarget): Promise<void> {
  if (txn.op === 'start' || txn.op === 'commit')
    throw faults.invalidArgument(`invalid x-put-txn-op=${txn.op}: must be done with PUT`);
  const t = ownTxn(ctx, txn.id, target);
  if (txn.op === 'abort') {
    await ctx.txns.abort(t);
    answer(ctx, 204, {});
    return;
  }
  if (txn.op === 'revert') {
    const back = await notGone(ctx.txns.revert(t, ctx.now()));
    if (!back) throw faults.invalidArgument(`transaction not revertable: ${t.id}`);
    answer(ctx, 202, stateHeaders(ctx, back));
    return;
  }
  answer(ctx, 204, stateHeaders(ctx, t));
}

async function start(ctx: RequestContext, txn: TxnRequest, target: WriteTarget): Promise<void> {
  if (txn.id) throw faults.invalidArgument(`x-put-txn-op=start cannot include x-put-txn-id=${txn.id}`);
  const declared = declaredLength(ctx.req);
  // As minoc: without x-total-length, a start that carries a body is the whole upload.
  const total = txn.totalLength ?? (declared !== undefined && declared > 0 ? declared : undefined);
  if (total !== undefined) ctx.service.checkQuota(target.path, total, target.node?.length ?? 0);
  const type = headerValue(ctx.req, 'content-type');
  const t = ctx.txns.start(
    ctx.service.name,
    target.path,
    target.caller.user ?? '',
    total ?? null,
    type || null,
    ctx.now(),
  );
  if (declared === 0) {
    answer(ctx, 202, stateHeaders(ctx, t));
    return;
  }
  return append(ctx, t, target);
}

async function append(ctx: RequestContext, t: PutTxn, target: WriteTarget): Promise<void> {
  const declared = declaredLength(ctx.req);
  const { minBytes, maxBytes } = ctx.txns.limits;
  if (declared !== undefined && declared > 0) {
    const last = t.totalLength !== null && t.length + declared === t.totalLength;
    if ((maxBytes > 0 && declared > maxBytes) || (declared < minBytes && !last)) {
      const range = `[${minBytes},${maxBytes > 0 ? maxBytes : ''}]`;
      throw faults.invalidArgument(`invalid segment: content-length ${declared} not in ${range}`);
    }
    ctx.service.checkQuota(target.path, t.length + declared, target.node?.length ?? 0);
  }
  const expected = requestMd5(ctx.req);
  let next: PutTxn;
  try {
    next = await ctx.txns.append(t, ctx.req, {
      ...(declared !== undefined ? { declared } : {}),
      now: ctx.now(),
      accept: (n) => {
        if (n.totalLength === null || n.length < n.totalLength) return undefined;
        if (n.length > n.totalLength)
          return new Fault(412, `length mismatch: ${n.totalLength} != ${n.length}`);
        if (expected && expected !== n.md5)
          return new Fault(412, `checksum mismatch: md5:${expected} != md5:${n.md5}`);
        return undefined;
      },
    });
  } catch (e) {
    if (e instanceof AppendCut)
      throw new Fault(412, `premature end-of-stream: expected content-length ${declared ?? '?'}`);
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT')
      throw new Fault(413, 'QuotaExceeded: no space left on the storage device');
    throw unknownIfGone(e);
  }
  answer(ctx, 202, stateHeaders(ctx, next));
}

/**
 * Makes the transaction's bytes the node's data, in the same metadata transaction that ends it. The length
 * must be the announced total; a `Digest` on the commit must match (minoc checks it on the last segment).
 */
async function commit(ctx: RequestContext, t: PutTxn, target: WriteTarget): Promise<void> {
  const declared = declaredLength(ctx.req);
  if (declared !== undefined && declared > 0)
    throw faults.invalidArgument('x-put-txn-op=commit: requires content-length=0');
  const expected = requestMd5(ctx.req);
  const stored = await notGone(
    ctx.txns.serialised(t.id, async () => {
      const now = ctx.txns.get(t.id);
      if (!now) throw new TxnGone(t.id);
      if (now.totalLength !== null && now.length !== now.totalLength)
        throw new Fault(412, `length mismatch: ${now.totalLength} != ${now.length}`);
      if (expected && expected !== now.md5)
        throw new Fault(412, `checksum mismatch: md5:${expected} != md5:${now.md5}`);
      const temp = ctx.service.store.tempPath();
      ctx.txns.linkForCommit(now, temp);
      const node = await commitUpload(
        ctx,
        target.path,
        {
          temp,
          length: now.length,
          md5: now.md5,
          // Each acknowledged segment was fsynced before its answer: the bytes are on disk already.
          synced: true,
          ...(now.contentType ? { contentType: now.contentType } : {}),
        },
        target.create,
        () => ctx.txns.forget(now.id),
      );
      ctx.txns.discard(now.id);
      return node;
    }),
  );
  ctx.req.resume();
  respondStored(ctx, stored);
}

/** A transaction that ended while the request waited its turn is unknown by now, as minoc would say. */
function unknownIfGone(e: unknown): unknown {
  return e instanceof TxnGone ? faults.invalidArgument(`unknown transaction: ${e.id}`) : e;
}

async function notGone<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw unknownIfGone(e);
  }
}
