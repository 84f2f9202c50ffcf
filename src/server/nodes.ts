/** The `/nodes` endpoint: getNode (with listing and paging), createNode, setNode, deleteNode. */
import { Fault, faults } from './errors.js';
import type { RequestContext } from './context.js';
import { decodePath, readBody, redirect, sendXml, streamXml } from './http.js';
import {
  CORE_KEYS,
  IMMUTABLE_PROPS,
  inheritPermissions,
  parseGroups,
  type Detail,
  type VoService,
} from './service.js';
import { newNode, type NodeRecord } from './store.js';
import type { Caller } from './auth.js';
import { InvalidUriError, encodeNodePath, parentPath, parseVosUri, splitNodePath } from '../vospace/uri.js';
import {
  MAX_INPUT_DOC_BYTES,
  PROP,
  XmlInputError,
  parseNodeXml,
  writeListingXml,
  writeNodeXml,
  type NodeDoc,
  type NodeProperty,
} from '../vospace/xml.js';
import { joinPath, nameOf } from '../util/rel-path.js';

/** Validates and normalises the node path of a request. */
export function requestNodePath(raw: string): string {
  const decoded = decodePath(raw);
  try {
    return splitNodePath(decoded).join('/');
  } catch (e) {
    if (e instanceof InvalidUriError) throw faults.invalidUri(e.message);
    throw e;
  }
}

/** Reads a node document from a request body with CADC's limits and error texts. */
export async function readNodeDoc(ctx: RequestContext): Promise<NodeDoc> {
  const body = await readBody(ctx.req, MAX_INPUT_DOC_BYTES);
  if (body.length === 0) throw faults.invalidArgument('no node document');
  try {
    return parseNodeXml(body.toString('utf8'));
  } catch (e) {
    if (e instanceof XmlInputError) {
      if (e.message.startsWith('TypeNotSupported')) throw new Fault(400, e.message);
      throw faults.invalidArgument(`invalid input: ${e.message}`);
    }
    throw e;
  }
}

/** Path of a document's `uri`, or undefined when it is not a usable vos URI. */
function docPath(doc: NodeDoc): string | undefined {
  try {
    return parseVosUri(doc.uri).path;
  } catch {
    return undefined;
  }
}

/**
 * Merges client-supplied properties into a node's settable properties, as CADC does: immutable keys are
 * ignored (admins may set creator and quota), nil deletes, empty group values mean "no change", unknown keys
 * in the core namespace are rejected. Returns the new owner when an admin set `creator`.
 */
export function mergeProps(
  svc: VoService,
  target: Record<string, string>,
  incoming: NodeProperty[],
  caller: Caller,
  creating: boolean,
): string | undefined {
  let newOwner: string | undefined;
  const admin = svc.isAdmin(caller);
  for (const p of incoming) {
    if (p.uri.startsWith('ivo://ivoa.net/vospace/core#') && !CORE_KEYS.has(p.uri)) {
      throw faults.invalidArgument(`unrecognized property URI in vospace namespace: ${p.uri}`);
    }
    if (p.uri === PROP.creator && admin && !p.nil && p.value) {
      newOwner = p.value;
      continue;
    }
    if (p.uri === PROP.quota && admin) {
      if (p.nil) delete target[p.uri];
      else if (/^\d+$/.test(p.value)) target[p.uri] = p.value;
      continue;
    }
    if (IMMUTABLE_PROPS.has(p.uri)) continue;
    if (p.uri === PROP.islocked && !svc.flavour.locks) continue;
    if (p.nil) {
      if (p.uri === PROP.inheritPermissions && !creating) continue;
      delete target[p.uri];
      continue;
    }
    if (p.uri === PROP.groupread || p.uri === PROP.groupwrite) {
      if (p.value.trim() === '') continue;
      parseGroups(p.value);
      target[p.uri] = p.value.trim().split(/\s+/).join(' ');
      continue;
    }
    if (p.uri === PROP.ispublic || p.uri === PROP.islocked || p.uri === PROP.inheritPermissions) {
      const v = p.value.trim().toLowerCase();
      if (v !== 'true' && v !== 'false') throw faults.invalidArgument(`${p.uri} must be true or false`);
      target[p.uri] = v;
      continue;
    }
    if (p.value.length > 4096) throw faults.invalidArgument(`property value too long: ${p.uri}`);
    target[p.uri] = p.value;
  }
  return newOwner;
}

function parseDetail(v: string | null): Detail {
  return v === 'min' ? 'min' : v === 'max' ? 'max' : 'properties';
}

async function getNode(ctx: RequestContext, path: string): Promise<void> {
  const q = ctx.url.searchParams;
  const svc = ctx.service;
  if (q.has('sort')) throw faults.notSupported('sorting options not supported');
  if (q.has('order')) throw faults.notSupported('sorting options not supported');
  if (q.get('view') === 'data') {
    redirect(ctx.res, `${ctx.serviceBase}/files/${encodeNodePath(path)}`);
    return;
  }
  let limit: number | undefined;
  const rawLimit = q.get('limit');
  if (rawLimit !== null) {
    if (!/^\d+$/.test(rawLimit)) throw faults.invalidArgument('value for limit must be a positive integer.');
    limit = Number(rawLimit);
  }
  const node = svc.resolve(path, ctx.caller, false);
  if (!node) throw faults.nodeNotFound(svc.uriOf(path));
  let startName = '';
  const resume = q.get('uri');
  if (resume !== null) {
    if (!svc.flavour.orderedPaging) {
      throw faults.notSupported('batch container node listing: limit ignored, resume not implemented');
    }
    let rp: string;
    try {
      rp = parseVosUri(resume).path;
    } catch {
      throw faults.invalidUri(
        `uri parameter (${resume}) not a child of target uri (${svc.uriOf(node.path)})`,
      );
    }
    if (parentPath(rp) !== node.path) {
      throw faults.invalidUri(
        `uri parameter (${resume}) not a child of target uri (${svc.uriOf(node.path)})`,
      );
    }
    startName = nameOf(rp);
  }
  const detail = parseDetail(q.get('detail'));
  let children: NodeRecord[] | undefined;
  if (node.type === 'ContainerNode') {
    if (!svc.canRead(node, ctx.caller) || limit === 0) children = [];
    else {
      // ARC (like Cavern) ignores `limit` beyond 0: its listings are never paged.
      const records = childRecords(svc, node.path, startName, svc.flavour.orderedPaging ? limit : undefined);
      children = [];
      let next = records.next();
      while (!next.done && children.length < LISTING_PAGE) {
        children.push(next.value);
        next = records.next();
      }
      if (!next.done) {
        // A big listing goes out in pieces, read from the store page by page as the client takes them.
        const rest = next.value;
        const all = (function* () {
          yield* children;
          yield rest;
          yield* records;
        })();
        const docs = (function* () {
          for (const c of all) yield svc.render(c, ctx.caller, detail);
        })();
        // One piece per child: streamXml encodes them into its buffers as they come.
        const container = svc.render(node, ctx.caller, detail);
        await streamXml(ctx.res, 200, writeListingXml(container, docs, detail, 1));
        return;
      }
    }
  }
  sendXml(ctx.res, 200, writeNodeXml(svc.render(node, ctx.caller, detail, children), detail));
}

/** Children read from the store per page; listings longer than one page are streamed. */
const LISTING_PAGE = 1000;

/**
 * A container's children in the service's listing order (by name on Vault, from `startName` on; storage order
 * on ARC), at most `limit`, read page by page so no query stays open while the response waits for the client.
 */
function* childRecords(
  svc: VoService,
  parent: string,
  startName: string,
  limit: number | undefined,
): Generator<NodeRecord> {
  let left = limit ?? Number.POSITIVE_INFINITY;
  if (svc.flavour.orderedPaging) {
    let from = startName;
    let skip: string | undefined;
    while (left > 0) {
      const want = Math.min(LISTING_PAGE, left);
      const page = svc.store.childrenByName(svc.name, parent, from, want + (skip === undefined ? 0 : 1));
      let got = 0;
      for (const c of page) {
        if (c.name === skip) continue;
        yield c;
        got++;
      }
      left -= got;
      if (got < want) return;
      skip = from = page[page.length - 1]!.name;
    }
    return;
  }
  let after = 0;
  while (left > 0) {
    const want = Math.min(LISTING_PAGE, left);
    const page = svc.store.childrenByInsertion(svc.name, parent, after, want);
    for (const c of page) yield c.node;
    left -= page.length;
    if (page.length < want) return;
    after = page[page.length - 1]!.position;
  }
}

async function createNode(ctx: RequestContext, path: string): Promise<void> {
  const svc = ctx.service;
  const doc = await readNodeDoc(ctx);
  const dp = docPath(doc);
  if (dp !== path) {
    throw faults.invalidUri(`invalid input: vos URI mismatch: doc=${doc.uri} and path=${svc.uriOf(path)}`);
  }
  if (path === '') throw faults.duplicate(svc.uriOf(path));
  const parent = svc.resolve(parentPath(path)!, ctx.caller, true);
  if (!parent || parent.type !== 'ContainerNode') throw faults.containerNotFound(doc.uri);
  const childPath = joinPath(parent.path, nameOf(path));
  if (svc.get(childPath)) throw faults.duplicate(svc.uriOf(childPath));
  if (!svc.canWrite(parent, ctx.caller)) throw faults.permission(svc.uriOf(parent.path));

  const props: Record<string, string> = {};
  const newOwner = mergeProps(svc, props, doc.properties, ctx.caller, true);
  inheritPermissions(parent, props);
  if (parent.props[PROP.inheritPermissions] === 'true' && doc.type === 'ContainerNode') {
    props[PROP.inheritPermissions] ??= 'true';
  }
  if (props[PROP.ispublic] === undefined) props[PROP.ispublic] = 'false';
  if (doc.type === 'DataNode' && svc.flavour.dropTypeOnCreate) delete props[PROP.type];
  let target: string | null = null;
  if (doc.type === 'LinkNode') {
    target = (doc.target ?? '').trim();
    if (!target) throw faults.invalidArgument('link node without target');
    if (svc.flavour.restrictLinkTargets && !isLocalLinkTarget(svc, target)) {
      throw faults.invalidArgument(`unsupported link target: ${target}`);
    }
    if (svc.flavour.restrictLinkTargets) for (const k of Object.keys(props)) delete props[k];
  }
  const now = ctx.now();
  const rec = newNode(svc.name, childPath, doc.type, newOwner ?? ctx.caller.user ?? '', props, now, target);
  svc.store.insert(rec);
  sendXml(ctx.res, 201, writeNodeXml(svc.render(rec, ctx.caller, 'max'), 'max'));
}

function isLocalLinkTarget(svc: VoService, target: string): boolean {
  if (target.startsWith('file://')) return true;
  try {
    const t = parseVosUri(target);
    return t.authority.split('~').pop() === svc.flavour.authority.split('~').pop();
  } catch {
    return false;
  }
}

async function setNode(ctx: RequestContext, path: string): Promise<void> {
  const svc = ctx.service;
  const doc = await readNodeDoc(ctx);
  const dp = docPath(doc);
  if (dp !== path) {
    throw faults.invalidArgument(
      `invalid input: vos URI mismatch: doc=${doc.uri} and path=${svc.uriOf(path)}`,
    );
  }
  const node = svc.resolve(path, ctx.caller, false);
  if (!node) throw new Fault(404, `NodeNotFound: Target ${svc.uriOf(path)}`);
  if (doc.type !== node.type)
    throw faults.invalidArgument(`cannot change type of node ${svc.uriOf(node.path)}`);
  if (!svc.canWrite(node, ctx.caller, true)) throw faults.permission(svc.uriOf(node.path));
  const updated: NodeRecord = { ...node, props: { ...node.props } };
  const newOwner = mergeProps(svc, updated.props, doc.properties, ctx.caller, false);
  if (newOwner) updated.owner = newOwner;
  updated.date = ctx.now();
  svc.store.update(updated);
  sendXml(ctx.res, 200, writeNodeXml(svc.render(updated, ctx.caller, 'max'), 'max'));
}

/** Deletes one node with CADC's checks; shared by DELETE and the recursive-delete job. */
export function deleteOne(svc: VoService, node: NodeRecord, caller: Caller): void {
  if (node.path === '') throw faults.permission(svc.uriOf(''));
  const parent = svc.get(parentPath(node.path)!);
  if (!parent || !svc.canWrite(parent, caller) || svc.isLocked(node))
    throw faults.permission(svc.uriOf(node.path));
  if (node.type === 'ContainerNode' && svc.store.hasChildren(svc.name, node.path)) {
    throw new Fault(400, `container node '${node.name}' is not empty`);
  }
  svc.store.delete(node);
}

async function deleteNode(ctx: RequestContext, path: string): Promise<void> {
  const svc = ctx.service;
  const node = svc.resolve(path, ctx.caller, false);
  if (!node) throw new Fault(404, `NodeNotFound: Target ${svc.uriOf(path)}`);
  deleteOne(svc, node, ctx.caller);
  ctx.res.writeHead(200, { 'Content-Length': 0 });
  ctx.res.end();
}

export async function handleNodes(ctx: RequestContext): Promise<void> {
  const path = requestNodePath(ctx.rest);
  switch (ctx.req.method) {
    case 'GET':
      return getNode(ctx, path);
    case 'PUT':
      return createNode(ctx, path);
    case 'POST':
      return setNode(ctx, path);
    case 'DELETE':
      return deleteNode(ctx, path);
    default:
      throw faults.methodNotAllowed(ctx.req.method ?? '?', 'GET, PUT, POST, DELETE');
  }
}
