/**
 * Transfers and the other UWS jobs: sync negotiation (`/synctrans`, XML or parameter mode, then
 * `/transfers/{id}/results/transferDetails` → `/xfer/{id}`), async moves and copies (`/transfers`),
 * recursive delete (`/async-delete`) and recursive property updates (`/async-setprops`).
 */
import type { Caller } from './auth.js';
import type { RequestContext } from './context.js';
import { preauthUrl } from './data.js';
import { Fault, faultName, faults } from './errors.js';
import { first, formParams, isForm, readBody, redirect, sendText, sendXml } from './http.js';
import { deleteOne, mergeProps, readNodeDoc } from './nodes.js';
import { inheritPermissions, type VoService } from './service.js';
import { newNode, type NodeRecord } from './store.js';
import { writeJobListXml, writeJobXml, type Job, type JobCreator } from './uws.js';
import { InvalidUriError, encodeNodePath, isSameOrBelow, parentPath, parseVosUri } from '../vospace/uri.js';
import {
  MAX_INPUT_DOC_BYTES,
  PROP,
  XmlInputError,
  parseNodeXml,
  parseTransferXml,
  writeNodeXml,
  writeTransferXml,
  type TransferDoc,
  type TransferProtocol,
} from '../vospace/xml.js';
import { joinPath, nameOf } from '../util/rel-path.js';

/** Fault names CADC's Python client maps to errno values by exact text; others keep their detail. */
const BARE_NAMES = new Set([
  'NodeNotFound',
  'PermissionDenied',
  'NodeLocked',
  'InvalidArgument',
  'InvalidURI',
  'InternalFault',
  'ViewNotSupported',
  'RequestEntityTooLarge',
  'OperationNotSupported',
  'ProtocolNotSupported',
  'TransferFailed',
]);

/**
 * Faults whose whole "Fault: detail" text a job reports, as CADC's move job does for the checks it words
 * itself (CADC's Python client, matching exact texts, maps them to EFAULT).
 */
const verbatim = new WeakSet<Fault>();

function worded(f: Fault): Fault {
  verbatim.add(f);
  return f;
}

function jobErrorText(f: Fault): string {
  if (verbatim.has(f)) return f.body;
  const name = faultName(f.body);
  if (name === 'DuplicateNode') return 'DuplicateNode.';
  return BARE_NAMES.has(name) ? name : f.body;
}

/** A node's path as CADC's move job names it in its errors (the URI's path: `/alice/p`). */
function jobPath(p: string): string {
  return `/${p}`;
}

const ACCEPTED_VIEWS = new Set([
  'ivo://ivoa.net/vospace/core#defaultview',
  'ivo://cadc.nrc.ca/vospace/view#data',
]);

function targetPath(svc: VoService, uri: string): string {
  try {
    return parseVosUri(uri).path;
  } catch (e) {
    if (e instanceof InvalidUriError) throw faults.invalidUri(e.message);
    throw e;
  }
}

type Direction = 'push' | 'pull';

function directionOf(d: string): Direction | 'internal' {
  const l = d.toLowerCase();
  if (l === 'pushtovospace') return 'push';
  if (l === 'pullfromvospace') return 'pull';
  if (l.startsWith('vos://')) return 'internal';
  throw new Fault(400, `OperationNotSupported: direction ${d}`);
}

/**
 * Vault's push negotiation: a push into an allocation with no quota left (remaining ≤ 0) is refused; the
 * size of the file is not known there, so the push that crosses the quota goes through.
 */
function checkPushQuota(svc: VoService, path: string): void {
  const q = svc.quotaAt(parentPath(path) ?? '');
  if (q && q.quota - q.used <= 0) throw new Fault(413, 'QuotaExceeded');
}

/** Prepares a push or pull: checks permissions and, for a push to a new name, creates the empty DataNode. */
function prepareData(svc: VoService, path: string, dir: Direction, caller: Caller, now: number): NodeRecord {
  if (dir === 'pull') {
    const n = svc.resolve(path, caller, true);
    if (!n) throw faults.nodeNotFound(svc.uriOf(path));
    if (n.type !== 'DataNode') throw faults.invalidArgument('target is not a data node');
    if (!svc.canRead(n, caller)) throw faults.permission(svc.uriOf(n.path));
    return n;
  }
  const existing = svc.resolve(path, caller, true);
  if (existing) {
    if (existing.type !== 'DataNode') throw faults.invalidArgument('transfer destination is not a data node');
    if (!svc.canWrite(existing, caller)) throw faults.permission(svc.uriOf(existing.path));
    checkPushQuota(svc, existing.path);
    return existing;
  }
  const pp = parentPath(path);
  const parent = pp === undefined ? undefined : svc.resolve(pp, caller, true);
  if (!parent || parent.type !== 'ContainerNode') throw faults.containerNotFound(svc.uriOf(pp ?? ''));
  if (!svc.canWrite(parent, caller)) throw faults.permission(svc.uriOf(parent.path));
  const props: Record<string, string> = {};
  inheritPermissions(parent, props);
  props[PROP.ispublic] ??= 'false';
  const node = newNode(
    svc.name,
    joinPath(parent.path, nameOf(path)),
    'DataNode',
    caller.user ?? '',
    props,
    now,
  );
  svc.store.insert(node);
  // CADC creates the node before it checks the quota: a refused push leaves the empty node behind.
  checkPushQuota(svc, node.path);
  return node;
}

interface Negotiated {
  node: NodeRecord;
  direction: Direction;
}

function negotiate(ctx: RequestContext, t: TransferDoc): Negotiated {
  if (t.targets.length > 1) throw faults.invalidArgument(`TooManyTargets (${t.targets.length})`);
  const direction = directionOf(t.direction);
  if (direction === 'internal')
    throw new Fault(400, 'OperationNotSupported: moves and copies run as async jobs');
  if (t.view && !ACCEPTED_VIEWS.has(t.view)) throw new Fault(400, `ViewNotSupported (${t.view})`);
  const path = targetPath(ctx.service, t.targets[0]!);
  return { node: prepareData(ctx.service, path, direction, ctx.caller, ctx.now()), direction };
}

/** The endpoints offered for a negotiated transfer, one per requested protocol, in request order. */
function endpointsFor(
  ctx: RequestContext,
  t: TransferDoc,
  node: NodeRecord,
  dir: Direction,
): TransferProtocol[] {
  const svc = ctx.service;
  const grant = dir === 'push' ? 'write' : 'read';
  const out: TransferProtocol[] = [];
  const seen = new Set<string>();
  const requested = t.protocols.length > 0 ? t.protocols : [];
  for (const p of requested) {
    const key = `${p.uri}|${p.securityMethod ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const wantsGet = /#https?get$/.test(p.uri);
    const wantsPut = /#https?put$/.test(p.uri);
    if ((dir === 'pull' && !wantsGet) || (dir === 'push' && !wantsPut)) continue;
    if (svc.flavour.filesRedirect) {
      if (out.some((o) => o.uri === p.uri)) continue;
      out.push({ uri: p.uri, endpoint: preauthUrl(ctx, node.path, grant) });
    } else if (p.securityMethod) {
      out.push({
        uri: p.uri,
        endpoint: `${ctx.serviceBase}/files/${encodeNodePath(node.path)}`,
        securityMethod: p.securityMethod,
      });
    } else {
      out.push({ uri: p.uri, endpoint: preauthUrl(ctx, node.path, grant) });
    }
  }
  return out;
}

async function readTransfer(ctx: RequestContext): Promise<{ doc: TransferDoc; xml: string }> {
  const body = await readBody(ctx.req, MAX_INPUT_DOC_BYTES);
  const xml = body.toString('utf8');
  try {
    return { doc: parseTransferXml(xml), xml };
  } catch (e) {
    if (e instanceof XmlInputError)
      throw faults.invalidArgument(`could not create Transfer from request: ${e.message}`);
    throw e;
  }
}

function jobUrl(ctx: RequestContext, job: Job): string {
  const area =
    job.kind === 'delete' ? 'async-delete' : job.kind === 'setprops' ? 'async-setprops' : 'transfers';
  return `${ctx.serviceBase}/${area}/${job.id}`;
}

function runCatching(ctx: RequestContext, job: Job, body: () => void): void {
  try {
    body();
  } catch (e) {
    if (e instanceof Fault) {
      ctx.jobs.fail(job, jobErrorText(e), e.status === 503 ? 'transient' : 'fatal');
    } else {
      ctx.jobs.fail(job, `InternalFault: ${(e as Error).message}`);
    }
  }
}

/** `/synctrans`: POST with a transfer document, or the parameter mode (GET, or POST with a form). */
export async function handleSyncTrans(ctx: RequestContext): Promise<void> {
  const method = ctx.req.method;
  if (ctx.rest !== '') throw new Fault(404, `not found: ${ctx.rest}`);
  if (method === 'GET' || (method === 'POST' && isForm(ctx.req))) {
    const params =
      method === 'GET'
        ? formParams(ctx.url.search.slice(1))
        : formParams((await readBody(ctx.req, MAX_INPUT_DOC_BYTES)).toString('utf8'));
    const target = first(params, 'TARGET');
    const direction = first(params, 'DIRECTION');
    const protocol = first(params, 'PROTOCOL');
    if (!target || !direction || !protocol) {
      throw new Fault(
        400,
        `Invalid input: missing parameters: TARGET=${target ?? ''} DIRECTION=${direction ?? ''} PROTOCOL=${protocol ?? ''}`,
      );
    }
    const t: TransferDoc = {
      targets: [target],
      direction,
      protocols: [{ uri: protocol }],
      keepBytes: true,
      params: [],
    };
    const view = first(params, 'VIEW');
    if (view) t.view = view;
    const { node, direction: dir } = negotiate(ctx, t);
    const endpoints = endpointsFor(ctx, t, node, dir);
    if (!endpoints[0]?.endpoint) throw new Fault(400, `ProtocolNotSupported: ${protocol}`);
    redirect(ctx.res, endpoints[0].endpoint);
    return;
  }
  if (method !== 'POST') throw faults.methodNotAllowed(method ?? '?', 'GET, POST');
  const { doc, xml } = await readTransfer(ctx);
  const job = ctx.jobs.create(ctx.service.name, 'transfer', jobCreator(ctx));
  job.jobInfo = xml;
  // transferDetails exists even when negotiation fails: clients follow it to /xfer (no protocols there)
  // and only then read the job's phase and error.
  job.results.push({ id: 'transferDetails', href: `${ctx.serviceBase}/xfer/${job.id}` });
  runCatching(ctx, job, () => {
    const { node } = negotiate(ctx, doc);
    job.results.push({ id: 'dataNode', href: ctx.service.uriOf(node.path) });
    // CADC leaves sync jobs EXECUTING: the transfer itself happens on the data URLs.
    ctx.jobs.setPhase(job, 'EXECUTING');
  });
  redirect(ctx.res, `${ctx.serviceBase}/transfers/${job.id}/results/transferDetails`);
}

function jobCreator(ctx: RequestContext): JobCreator {
  return { user: ctx.caller.user, address: ctx.req.socket.remoteAddress ?? '' };
}

function ownedJob(ctx: RequestContext, id: string): Job {
  const job = ctx.jobs.get(id, jobCreator(ctx));
  if (job === 'forbidden') throw faults.permission(`job ${id}`);
  if (!job || job.service !== ctx.service.name) throw new Fault(404, `not found: ${id}`);
  return job;
}

/** `/xfer/{id}`: the transfer document with endpoints generated now. */
export async function handleXfer(ctx: RequestContext): Promise<void> {
  const job = ownedJob(ctx, ctx.rest);
  if (job.kind !== 'transfer' || !job.jobInfo) throw new Fault(404, `not found: ${ctx.rest}`);
  const doc = parseTransferXml(job.jobInfo);
  const dataNode = job.results.find((r) => r.id === 'dataNode');
  let protocols: TransferProtocol[] = [];
  if (dataNode && job.phase !== 'ERROR') {
    const node = ctx.service.get(targetPath(ctx.service, dataNode.href));
    const dir = directionOf(doc.direction);
    if (node && dir !== 'internal') protocols = endpointsFor(ctx, doc, node, dir);
  }
  const out: TransferDoc = {
    targets: [dataNode?.href ?? doc.targets[0]!],
    direction: doc.direction,
    protocols,
    keepBytes: true,
    params: doc.params.filter((p) => p.uri === PROP.length),
  };
  if (doc.view) out.view = doc.view;
  sendXml(ctx.res, 200, writeTransferXml(out));
}

// --- async jobs --------------------------------------------------------------------------------------------

function moveOrCopy(ctx: RequestContext, job: Job, t: TransferDoc, caller: Caller): void {
  const svc = ctx.service;
  const srcPath = targetPath(svc, t.targets[0]!);
  const destPath = targetPath(svc, t.direction);
  // The texts of CADC's move job (InternalTransferAction), in its order of checks.
  const src = svc.resolve(srcPath, caller, false);
  if (!src) throw worded(faults.nodeNotFound(jobPath(srcPath)));
  if (src.path === '') throw faults.permission(svc.uriOf(''));
  let finalPath: string;
  let destContainer: NodeRecord | undefined;
  const dest = svc.resolve(destPath, caller, true);
  if (dest) {
    if (dest.type === 'DataNode')
      throw worded(faults.duplicate(`destination is an existing DataNode: ${jobPath(destPath)}`));
    if (dest.type !== 'ContainerNode')
      throw worded(faults.duplicate(`destination (parent) is not ContainerNode: ${jobPath(destPath)}`));
    destContainer = dest;
    finalPath = joinPath(dest.path, src.name);
  } else {
    const dp = parentPath(destPath);
    destContainer = dp === undefined ? undefined : svc.resolve(dp, caller, true);
    if (!destContainer || destContainer.type !== 'ContainerNode')
      throw worded(faults.nodeNotFound(`Parent directory for destination ${jobPath(destPath)}`));
    finalPath = joinPath(destContainer.path, nameOf(destPath));
  }
  if (src.type === 'ContainerNode' && isSameOrBelow(destContainer.path, src.path)) {
    throw worded(
      faults.invalidArgument(
        'Cannot move container node into its descendants: source ' +
          `path ${jobPath(src.path)} in resolved path ${jobPath(destContainer.path)}`,
      ),
    );
  }
  if (!svc.canWrite(destContainer, caller)) throw faults.permission(svc.uriOf(destContainer.path));
  if (svc.get(finalPath))
    throw worded(faults.duplicate(`destination is an existing DataNode: ${jobPath(finalPath)}`));
  // ARC: bytes brought under a quota count as a write's would (a move within one quota brings none).
  // Vault checks quotas at push negotiation only: its moves are not held to them.
  const into = svc.quotaAt(destContainer.path);
  const from = t.keepBytes ? undefined : svc.quotaAt(parentPath(src.path) ?? '');
  if (svc.flavour.quotaOnWrite && into && into.container.path !== from?.container.path) {
    const bytes = src.type === 'ContainerNode' ? svc.store.bytesBelow(svc.name, src.path) : src.length;
    svc.checkQuota(finalPath, bytes, 0);
  }
  const now = ctx.now();
  if (t.keepBytes) {
    copyTree(svc, src, finalPath, caller, now);
  } else {
    const srcParent = svc.get(parentPath(src.path)!);
    if (!srcParent || !svc.canWrite(srcParent, caller) || svc.isLocked(src))
      throw faults.permission(svc.uriOf(src.path));
    svc.store.move(svc.name, src.path, finalPath, caller.user ?? src.owner, now);
  }
  job.results.push({ id: 'destination', href: svc.uriOf(finalPath) });
  ctx.jobs.setPhase(job, 'COMPLETED');
}

/**
 * Copies a subtree for `caller`, who owns the copy; blobs are shared through hard links (they are never
 * modified in place). Every node copied must be readable by the caller, not just the subtree's root: the
 * copy would otherwise hand them nodes they may not read. One unreadable node refuses the whole copy.
 */
function copyTree(svc: VoService, src: NodeRecord, to: string, caller: Caller, now: number): void {
  const nodes = svc.store.subtree(svc.name, src.path);
  const unreadable = nodes.find((n) => !svc.canRead(n, caller));
  if (unreadable) throw faults.permission(svc.uriOf(unreadable.path));
  const owner = caller.user ?? '';
  svc.store.transaction(() => {
    for (const n of nodes) {
      const path = to + n.path.slice(src.path.length);
      svc.store.insert({
        ...n,
        path,
        name: nameOf(path),
        owner,
        date: now,
        blob: n.blob ? svc.store.cloneBlob(n.blob) : null,
      });
    }
  });
}

const MAX_RECURSIVE_ERRORS = 100;

function finishRecursive(ctx: RequestContext, job: Job, ok: number, failed: number, lastError?: Fault): void {
  job.results.push({ id: 'successcount', href: `final:${ok}` });
  if (failed > 0) job.results.push({ id: 'errorcount', href: `final:${failed}` });
  if (failed === 0) ctx.jobs.setPhase(job, 'COMPLETED');
  else if (ok === 0) ctx.jobs.fail(job, lastError ? lastError.body : 'Failed');
  else ctx.jobs.setPhase(job, 'ABORTED');
}

function recursiveDelete(ctx: RequestContext, job: Job, target: string, caller: Caller): void {
  const svc = ctx.service;
  const root = svc.resolve(targetPath(svc, target), caller, false);
  if (!root) throw faults.nodeNotFound(target);
  const nodes = svc.store.subtree(svc.name, root.path).reverse();
  let ok = 0;
  let failed = 0;
  let lastError: Fault | undefined;
  const blocked = new Set<string>();
  for (const n of nodes) {
    if (failed >= MAX_RECURSIVE_ERRORS) break;
    if (blocked.has(n.path)) {
      failed++;
      continue;
    }
    try {
      deleteOne(svc, n, caller);
      ok++;
    } catch (e) {
      if (!(e instanceof Fault)) throw e;
      failed++;
      lastError = e;
      // A node that could not go keeps its ancestors alive; count them as failed rather than retrying.
      for (let p = parentPath(n.path); p !== undefined && p.length >= root.path.length; p = parentPath(p)) {
        blocked.add(p);
        if (p === root.path) break;
      }
    }
  }
  finishRecursive(ctx, job, ok, failed, lastError);
}

function recursiveSetProps(ctx: RequestContext, job: Job, xml: string, caller: Caller): void {
  const svc = ctx.service;
  const doc = readNodeDocText(xml);
  const root = svc.resolve(targetPath(svc, doc.uri), caller, false);
  if (!root) throw faults.nodeNotFound(doc.uri);
  let ok = 0;
  let failed = 0;
  let lastError: Fault | undefined;
  for (const n of svc.store.subtree(svc.name, root.path)) {
    if (failed >= MAX_RECURSIVE_ERRORS) break;
    try {
      if (!svc.canWrite(n, caller, true)) throw faults.permission(svc.uriOf(n.path));
      const props = { ...n.props };
      const owner = mergeProps(svc, props, doc.properties, caller, false);
      svc.store.update({ ...n, props, owner: owner ?? n.owner, date: ctx.now() });
      ok++;
    } catch (e) {
      if (!(e instanceof Fault)) throw e;
      failed++;
      lastError = e;
    }
  }
  finishRecursive(ctx, job, ok, failed, lastError);
}

function readNodeDocText(xml: string) {
  try {
    return parseNodeXml(xml, MAX_INPUT_DOC_BYTES);
  } catch (e) {
    if (e instanceof XmlInputError) throw faults.invalidArgument(`invalid input: ${e.message}`);
    throw e;
  }
}

function startJob(ctx: RequestContext, job: Job): void {
  if (job.phase !== 'PENDING' || !job.run) return;
  ctx.jobs.setPhase(job, 'QUEUED');
  const run = job.run;
  setImmediate(() => {
    ctx.jobs.setPhase(job, 'EXECUTING');
    run();
  });
}

/** POST to a job collection: creates a job (303 to it); `PHASE=RUN` in the same request starts it. */
async function createAsyncJob(
  ctx: RequestContext,
  area: 'transfers' | 'async-delete' | 'async-setprops',
): Promise<void> {
  const caller = ctx.caller;
  let job: Job;
  if (area === 'async-delete') {
    if (!isForm(ctx.req)) throw faults.invalidArgument('expected form parameter target');
    const params = formParams((await readBody(ctx.req, MAX_INPUT_DOC_BYTES)).toString('utf8'));
    const target = first(params, 'target');
    if (!target) throw faults.invalidArgument('missing parameter: target');
    targetPath(ctx.service, target);
    job = ctx.jobs.create(ctx.service.name, 'delete', jobCreator(ctx));
    job.parameters.push(['target', target]);
    job.run = () => runCatching(ctx, job, () => recursiveDelete(ctx, job, target, caller));
  } else if (area === 'async-setprops') {
    const doc = await readNodeDoc(ctx);
    const xml = writeNodeXml(doc);
    job = ctx.jobs.create(ctx.service.name, 'setprops', jobCreator(ctx));
    job.jobInfo = xml;
    job.run = () => runCatching(ctx, job, () => recursiveSetProps(ctx, job, xml, caller));
  } else {
    const { doc, xml } = await readTransfer(ctx);
    job = ctx.jobs.create(ctx.service.name, 'transfer', jobCreator(ctx));
    job.jobInfo = xml;
    job.run = () =>
      runCatching(ctx, job, () => {
        const dir = directionOf(doc.direction);
        if (dir === 'internal') return moveOrCopy(ctx, job, doc, caller);
        const { node } = negotiate(ctx, doc);
        job.results.push({ id: 'transferDetails', href: `${ctx.serviceBase}/xfer/${job.id}` });
        job.results.push({ id: 'dataNode', href: ctx.service.uriOf(node.path) });
        ctx.jobs.setPhase(job, 'COMPLETED');
      });
  }
  if (first(formParams(ctx.url.search.slice(1)), 'PHASE')?.toUpperCase() === 'RUN') startJob(ctx, job);
  redirect(ctx.res, jobUrl(ctx, job));
}

/** Everything under `/transfers`, `/async-delete` and `/async-setprops`. */
export async function handleJobs(
  ctx: RequestContext,
  area: 'transfers' | 'async-delete' | 'async-setprops',
): Promise<void> {
  const method = ctx.req.method ?? 'GET';
  const parts = ctx.rest === '' ? [] : ctx.rest.split('/');
  if (parts.length === 0) {
    if (method === 'POST') return createAsyncJob(ctx, area);
    if (method === 'GET') {
      if (!ctx.caller.user) throw faults.permission('anonymous job listing');
      const kind = area === 'async-delete' ? 'delete' : area === 'async-setprops' ? 'setprops' : 'transfer';
      const jobs = ctx.jobs.list(ctx.service.name, ctx.caller.user).filter((j) => j.kind === kind);
      sendXml(ctx.res, 200, writeJobListXml(jobs, `${ctx.serviceBase}/${area}`));
      return;
    }
    throw faults.methodNotAllowed(method, 'GET, POST');
  }
  const job = ownedJob(ctx, parts[0]!);
  const sub = parts.slice(1);
  if (sub.length === 0) {
    if (method === 'DELETE') {
      ctx.jobs.delete(job);
      redirect(ctx.res, `${ctx.serviceBase}/${area}`);
      return;
    }
    if (method === 'POST') {
      const params = formParams((await readBody(ctx.req, MAX_INPUT_DOC_BYTES)).toString('utf8'));
      if (first(params, 'ACTION')?.toUpperCase() === 'DELETE') {
        ctx.jobs.delete(job);
        redirect(ctx.res, `${ctx.serviceBase}/${area}`);
        return;
      }
      const phase = first(params, 'PHASE')?.toUpperCase();
      if (phase === 'RUN') startJob(ctx, job);
      redirect(ctx.res, jobUrl(ctx, job));
      return;
    }
    if (method !== 'GET') throw faults.methodNotAllowed(method, 'GET, POST, DELETE');
    const wait = Number(ctx.url.searchParams.get('WAIT') ?? ctx.url.searchParams.get('wait') ?? 0);
    if (Number.isFinite(wait) && wait > 0) await ctx.jobs.waitForChange(job, wait);
    sendXml(ctx.res, 200, writeJobXml(job));
    return;
  }
  const [what, resultId] = sub;
  switch (what) {
    case 'phase':
      if (method === 'POST') {
        const phase = first(
          formParams((await readBody(ctx.req, MAX_INPUT_DOC_BYTES)).toString('utf8')),
          'PHASE',
        );
        const p = phase?.toUpperCase();
        if (p === 'RUN') startJob(ctx, job);
        else if (p === 'ABORT' && ctx.jobs.isActive(job)) ctx.jobs.setPhase(job, 'ABORTED');
        else if (p !== 'RUN' && p !== 'ABORT') throw faults.invalidArgument(`invalid PHASE: ${phase ?? ''}`);
        redirect(ctx.res, jobUrl(ctx, job));
        return;
      }
      return sendText(ctx.res, 200, job.phase);
    case 'error':
      if (!job.error) throw new Fault(404, `not found: no error for job ${job.id}`);
      return sendText(ctx.res, 200, job.error.message);
    case 'results': {
      if (resultId === undefined) {
        const xml = writeJobXml(job);
        const m = /<uws:results>[\s\S]*<\/uws:results>/.exec(xml);
        return sendXml(
          ctx.res,
          200,
          `<?xml version="1.0" encoding="UTF-8"?>\n${(m?.[0] ?? '<uws:results />').replace('<uws:results>', '<uws:results xmlns:uws="http://www.ivoa.net/xml/UWS/v1.0" xmlns:xlink="http://www.w3.org/1999/xlink">')}\n`,
        );
      }
      const r = job.results.find((x) => x.id === resultId);
      if (!r) throw new Fault(404, `result not found: ${resultId}`);
      redirect(ctx.res, r.href);
      return;
    }
    case 'parameters':
      return sendText(ctx.res, 200, job.parameters.map(([k, v]) => `${k}=${v}`).join('\n'));
    case 'executionduration':
      return sendText(ctx.res, 200, '600');
    case 'destruction':
      return sendText(ctx.res, 200, new Date(job.destruction).toISOString());
    case 'quote':
      return sendText(ctx.res, 200, '');
    case 'owner':
      return sendText(ctx.res, 200, job.owner ?? '');
    default:
      throw new Fault(404, `not found: ${ctx.rest}`);
  }
}
