/**
 * Receiving and committing uploaded bytes, shared by plain PUTs and PUT transactions: a body streamed into a
 * temp file while its MD5 is computed, Content-Length and Digest checked, then adopted as the node's new blob in
 * one metadata transaction (with the quota checked inside it), and the 201 that says so.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { RequestContext } from './context.js';
import { FILE_MODE } from './datadir.js';
import { Fault, faults } from './errors.js';
import { md5Base64, requestMd5 } from './http.js';
import { inheritPermissions } from './service.js';
import { newNode, type NodeRecord } from './store.js';
import { EMPTY_MD5 } from '../util/md5.js';
import { PROP } from '../vospace/xml.js';

export interface Received {
  temp: string;
  length: number;
  md5: string;
  /** The upload's Content-Type when the request that commits it is not the one that carried it. */
  contentType?: string;
  /** The bytes were fsynced as the temp file was closed. */
  synced?: boolean;
}

/** Streams a request body into a temp file, computing MD5 and length; checks Content-Length and Digest. */
export async function receiveBody(ctx: RequestContext): Promise<Received> {
  const { req } = ctx;
  const temp = ctx.service.store.tempPath();
  const hash = createHash('md5');
  let length = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      length += chunk.length;
      cb(null, chunk);
    },
  });
  try {
    // `flush`: fsynced before it is closed, on a libuv thread, so no other request waits for this disk.
    await pipeline(req, counter, fs.createWriteStream(temp, { mode: FILE_MODE, flush: true }));
  } catch (e) {
    fs.rmSync(temp, { force: true });
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOSPC') throw new Fault(413, 'QuotaExceeded: no space left on the storage device');
    throw new Fault(412, 'premature end-of-stream: upload interrupted');
  }
  const md5 = hash.digest('hex');
  const declared = Number(req.headers['content-length']);
  if (req.headers['content-length'] !== undefined && Number.isFinite(declared) && declared !== length) {
    fs.rmSync(temp, { force: true });
    throw new Fault(412, `premature end-of-stream: expected ${declared} bytes, received ${length}`);
  }
  let expected: string | undefined;
  try {
    expected = requestMd5(req);
  } catch (e) {
    fs.rmSync(temp, { force: true });
    throw e;
  }
  if (expected && expected !== md5) {
    fs.rmSync(temp, { force: true });
    throw new Fault(412, `checksum mismatch: md5:${expected} != md5:${md5}`);
  }
  return { temp, length, md5, synced: true };
}

/** Refuses an upload whose declared `Content-Length` alone would exceed the quota, before reading the body. */
export function checkDeclaredLength(
  ctx: RequestContext,
  path: string,
  existing: NodeRecord | undefined,
): void {
  const declared = Number(ctx.req.headers['content-length']);
  if (ctx.req.headers['content-length'] === undefined || !Number.isSafeInteger(declared)) return;
  ctx.service.checkQuota(path, declared, existing?.length ?? 0);
}

/** Who a DataNode an upload creates belongs to, and whose permissions it inherits. */
export interface CreateAs {
  owner: string;
  inheritFrom?: NodeRecord;
}

/**
 * Commits a received upload onto a node (creating the DataNode at `path` when `create` says so). `alsoInCommit`
 * runs inside the same metadata transaction (a PUT transaction ends there, in one step with the new data).
 */
export async function commitUpload(
  ctx: RequestContext,
  path: string,
  got: Received,
  create: CreateAs | undefined,
  alsoInCommit?: () => void,
): Promise<NodeRecord> {
  const svc = ctx.service;
  const store = svc.store;
  const empty = got.length === 0;
  const blob = empty ? null : await store.adoptBlob(got.temp, { synced: got.synced === true });
  if (empty) fs.rmSync(got.temp, { force: true });
  const now = ctx.now();
  const contentType = got.contentType ?? ctx.req.headers['content-type'];
  return store.commitSoon(() => {
    let node = svc.get(path);
    if (!node) {
      if (!create) {
        if (blob) fs.rmSync(store.blobPath(blob), { force: true });
        throw faults.nodeNotFound(svc.uriOf(path));
      }
      const props: Record<string, string> = {};
      inheritPermissions(create.inheritFrom, props);
      props[PROP.ispublic] ??= 'false';
      node = newNode(svc.name, path, 'DataNode', create.owner, props, now);
      store.insert(node);
    }
    if (node.type !== 'DataNode') {
      if (blob) fs.rmSync(store.blobPath(blob), { force: true });
      throw new Fault(400, `InvalidArgument: not a data node: ${svc.uriOf(path)}`);
    }
    try {
      // Checked in the commit's transaction, so two uploads racing into one allocation cannot both pass.
      svc.checkQuota(path, got.length, node.length);
    } catch (e) {
      if (blob) fs.rmSync(store.blobPath(blob), { force: true });
      throw e;
    }
    const props = { ...node.props };
    if (typeof contentType === 'string' && contentType !== '') props[PROP.type] = contentType;
    alsoInCommit?.();
    return store.replaceData({ ...node, props }, blob, got.length, empty ? null : got.md5, now);
  });
}

export function respondStored(ctx: RequestContext, n: NodeRecord): void {
  const h: Record<string, string | number> = {
    'Content-Length': 0,
    Digest: `md5=${md5Base64(n.md5 ?? EMPTY_MD5)}`,
    Server: ctx.service.flavour.dataServerHeader,
  };
  ctx.res.writeHead(201, h);
  ctx.res.end();
}
