/**
 * Shared helpers for the server conformance tests: a real server in a temp dir, HTTP requests that never
 * follow redirects (fetch with `redirect: 'manual'`, or node:http when the path must go out verbatim),
 * node/transfer documents as CADC's clients write them, and small XML readers for assertions.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { XMLParser } from 'fast-xml-parser';
import type { UserSpec } from '../../src/server/auth.js';
import { startServer, type RunningServer, type ServerLimits } from '../../src/server/server.js';

export const VOS_NS = 'http://www.ivoa.net/xml/VOSpace/v2.0';
export const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';
export const CORE = 'ivo://ivoa.net/vospace/core#';
export const CADC = 'ivo://cadc.nrc.ca/vospace/core#';
export const GMS = 'ivo://cadc.nrc.ca/gms?';

/** Tokens of the test users: alice is the admin, bob is in group `survey`, carol in no group. */
export const ALICE = 'alicetoken1';
export const BOB = 'bobtoken12';
export const CAROL = 'caroltoken3';

export const TEST_USERS = [
  { name: 'alice', token: ALICE },
  { name: 'bob', token: BOB, groups: ['survey'] },
  { name: 'carol', token: CAROL, password: 'carolpassword' },
];

export type Service = 'vault' | 'arc';

export const AUTHORITY: Record<Service, string> = { vault: 'cadc.nrc.ca~vault', arc: 'cadc.nrc.ca~arc' };

/** `vos://cadc.nrc.ca~vault/alice/x` (or `!` spelling) for a node path. */
export function vosUri(svc: Service, p: string, sep: '~' | '!' = '~'): string {
  const auth = AUTHORITY[svc].replace('~', sep);
  return p === '' ? `vos://${auth}` : `vos://${auth}/${p}`;
}

/** Each user's own area in a service. */
export function home(svc: Service, user: string): string {
  return svc === 'vault' ? user : `home/${user}`;
}

export interface Res {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  text: string;
}

export interface ReqOpts {
  token?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Sent as `application/x-www-form-urlencoded`. */
  form?: Record<string, string>;
  /** Sent as `text/xml`. */
  xml?: string;
}

function requestHeaders(o: ReqOpts): Record<string, string> {
  const h: Record<string, string> = {};
  if (o.token) h['Authorization'] = `Bearer ${o.token}`;
  if (o.form) h['Content-Type'] = 'application/x-www-form-urlencoded';
  if (o.xml !== undefined) h['Content-Type'] = 'text/xml';
  return { ...h, ...(o.headers ?? {}) };
}

function requestBody(o: ReqOpts): string | Buffer | undefined {
  if (o.form) return new URLSearchParams(o.form).toString();
  if (o.xml !== undefined) return o.xml;
  return o.body;
}

export interface TestServer {
  srv: RunningServer;
  /** Temp dir holding everything of this server (removed by close). */
  dir: string;
  dataDir: string;
  base: string;
  /** fetch with redirects off; `p` may be absolute or relative to the server base. */
  req(method: string, p: string, o?: ReqOpts): Promise<Res>;
  /** node:http with the path sent exactly as given (no dot-segment normalisation). */
  raw(method: string, rawPath: string, o?: ReqOpts): Promise<Res>;
  /** Stops and starts the server on the same data dir (new port), optionally with other users. */
  restart(users?: UserSpec[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * `now` lets a test move the server's clock (e.g. to expire pre-authorised URLs); `log` receives the request
 * log; `users` replaces TEST_USERS; `limits` tightens the server's protections.
 */
export async function startTestServer(
  o: {
    now?: () => number;
    log?: (line: string) => void;
    users?: UserSpec[];
    limits?: Partial<ServerLimits>;
  } = {},
): Promise<TestServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vosync-conf-'));
  const dataDir = path.join(dir, 'data');
  const start = (users = o.users ?? TEST_USERS) =>
    startServer({
      dataDir,
      port: 0,
      users,
      admin: 'alice',
      ...(o.now ? { now: o.now } : {}),
      ...(o.log ? { log: o.log } : {}),
      ...(o.limits ? { limits: o.limits } : {}),
    });
  const ts: TestServer = {
    srv: await start(),
    dir,
    dataDir,
    base: '',
    async req(method, p, o = {}) {
      const url = p.startsWith('http') ? p : ts.base + p;
      const body = requestBody(o);
      const r = await fetch(url, {
        method,
        headers: requestHeaders(o),
        ...(body !== undefined ? { body } : {}),
        redirect: 'manual',
      });
      const buf = Buffer.from(await r.arrayBuffer());
      const headers: Record<string, string> = {};
      r.headers.forEach((v, k) => (headers[k] = v));
      return { status: r.status, headers, body: buf, text: buf.toString('utf8') };
    },
    raw(method, rawPath, o = {}) {
      return rawRequest(ts.srv.port, method, rawPath, requestHeaders(o), requestBody(o));
    },
    async restart(users) {
      await ts.srv.close();
      ts.srv = await start(users);
      ts.base = ts.srv.baseUrl;
    },
    async close() {
      await ts.srv.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  ts.base = ts.srv.baseUrl;
  return ts;
}

export function rawRequest(
  port: number,
  method: string,
  rawPath: string,
  headers: Record<string, string>,
  body?: string | Buffer,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const h: Record<string, string | number> = { ...headers };
    if (body !== undefined && !Object.keys(h).some((k) => k.toLowerCase() === 'content-length')) {
      h['Content-Length'] = Buffer.byteLength(body);
    }
    const r = http.request({ host: '127.0.0.1', port, method, path: rawPath, headers: h }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) {
          if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
        }
        const buf = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: out, body: buf, text: buf.toString('utf8') });
      });
      res.on('error', reject);
    });
    r.on('error', reject);
    r.end(body);
  });
}

/**
 * Sends a PUT that promises `declared` bytes, writes only `sent` of them and then drops the connection.
 * Resolves once the socket is closed (the server sees an aborted upload).
 */
export function interruptedPut(
  port: number,
  rawPath: string,
  headers: Record<string, string>,
  declared: number,
  sent: Buffer,
): Promise<void> {
  return new Promise((resolve) => {
    const r = http.request({
      host: '127.0.0.1',
      port,
      method: 'PUT',
      path: rawPath,
      headers: { ...headers, 'Content-Length': declared },
    });
    r.on('error', () => resolve());
    r.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    r.write(sent, () => {
      setTimeout(() => {
        r.destroy();
        resolve();
      }, 50);
    });
  });
}

// --- documents ----------------------------------------------------------------------------------------------

export type NodeKind = 'ContainerNode' | 'DataNode' | 'LinkNode';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A node document like CADC's Java client writes it; a `null` property value is an `xsi:nil` delete. */
export function nodeXml(
  uri: string,
  type: NodeKind = 'ContainerNode',
  props: Record<string, string | null> = {},
  target?: string,
): string {
  let out = `<?xml version="1.0" encoding="UTF-8"?>\n<vos:node xmlns:vos="${VOS_NS}" xmlns:xsi="${XSI_NS}" uri="${esc(uri)}" xsi:type="vos:${type}">\n  <vos:properties>\n`;
  for (const [k, v] of Object.entries(props)) {
    out +=
      v === null
        ? `    <vos:property uri="${esc(k)}" xsi:nil="true" />\n`
        : `    <vos:property uri="${esc(k)}">${esc(v)}</vos:property>\n`;
  }
  out += '  </vos:properties>\n';
  if (type === 'ContainerNode') out += '  <vos:nodes />\n';
  if (type === 'DataNode') out += '  <vos:accepts />\n  <vos:provides />\n';
  if (type === 'LinkNode') out += `  <vos:target>${esc(target ?? '')}</vos:target>\n`;
  return out + '</vos:node>\n';
}

/**
 * A node document as Python `vos` builds it (`Node.create`): default namespace plus `vos` prefix, every
 * property `readOnly="false"`, nil for deletes, views on non-link nodes, no `busy`.
 */
export function pythonNodeXml(
  uri: string,
  type: NodeKind,
  props: Record<string, string | null> = {},
  target?: string,
): string {
  let out = `<node xmlns="${VOS_NS}" xmlns:vos="${VOS_NS}" xmlns:xsi="${XSI_NS}" xsi:type="vos:${type}" uri="${esc(uri)}"><properties>`;
  for (const [k, v] of Object.entries(props)) {
    out +=
      v === null
        ? `<property readOnly="false" uri="${esc(k)}" xsi:nil="true"></property>`
        : `<property readOnly="false" uri="${esc(k)}">${esc(v)}</property>`;
  }
  out += '</properties>';
  if (type === 'LinkNode') return out + `<target>${esc(target ?? '')}</target></node>`;
  out += `<accepts><view uri="${CORE}defaultview"/></accepts><provides><view uri="${CORE}defaultview"/><view uri="ivo://cadc.nrc.ca/vospace/view#rss"/>`;
  if (type === 'DataNode') out += '<view uri="ivo://cadc.nrc.ca/vospace/view#data"/>';
  out += '</provides>';
  if (type === 'ContainerNode') out += '<nodes/>';
  return out + '</node>';
}

export interface TransferOpts {
  protocols?: { uri: string; securityMethod?: string }[];
  keepBytes?: boolean;
  view?: string;
}

/** A `vos:transfer` document (version 2.1) as the Python client writes it. */
export function transferXml(target: string, direction: string, o: TransferOpts = {}): string {
  let out = `<vos:transfer xmlns:vos="${VOS_NS}" version="2.1">\n  <vos:target>${esc(target)}</vos:target>\n  <vos:direction>${esc(direction)}</vos:direction>\n`;
  if (o.view) out += `  <vos:view uri="${esc(o.view)}" />\n`;
  for (const p of o.protocols ?? []) {
    out += `  <vos:protocol uri="${esc(p.uri)}">`;
    if (p.securityMethod) out += `<vos:securityMethod uri="${esc(p.securityMethod)}" />`;
    out += '</vos:protocol>\n';
  }
  if (o.keepBytes !== undefined) out += `  <vos:keepBytes>${o.keepBytes}</vos:keepBytes>\n`;
  return out + '</vos:transfer>\n';
}

export const HTTPSGET = `${CORE}httpsget`;
export const HTTPSPUT = `${CORE}httpsput`;
export const SSO_TOKEN = 'ivo://ivoa.net/sso#token';

// --- reading responses ----------------------------------------------------------------------------------------

const ARRAYS = new Set([
  'vos:node',
  'vos:property',
  'vos:protocol',
  'vos:endpoint',
  'vos:securityMethod',
  'uws:result',
  'uws:parameter',
  'capability',
  'interface',
  'securityMethod',
]);

const prefixedParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  isArray: (name) => ARRAYS.has(name),
});

type Obj = Record<string, unknown>;

/** Parses XML keeping prefixes (`vos:node`, `@xsi:type`), so tests can check the exact names used. */
export function parseXml(text: string): Obj {
  return prefixedParser.parse(text) as Obj;
}

function asArray(v: unknown): Obj[] {
  return Array.isArray(v) ? (v as Obj[]) : v === undefined || v === '' ? [] : [v as Obj];
}

function textOf(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && '#text' in (v as Obj)) return String((v as Obj)['#text']);
  return '';
}

export interface Prop {
  value: string;
  readOnly: boolean;
}

export interface ParsedNode {
  uri: string;
  type: string;
  busy: string | undefined;
  /** Property URIs in document order. */
  order: string[];
  props: Record<string, Prop>;
  hasProperties: boolean;
  children: ParsedNode[];
  hasNodesElement: boolean;
  target: string | undefined;
  raw: Obj;
}

function readNodeEl(el: Obj): ParsedNode {
  const propsEl = el['vos:properties'];
  const order: string[] = [];
  const props: Record<string, Prop> = {};
  for (const p of asArray((propsEl as Obj | undefined)?.['vos:property'])) {
    const uri = String(p['@uri']);
    order.push(uri);
    props[uri] = { value: textOf(p), readOnly: p['@readOnly'] === 'true' };
  }
  const nodesEl = el['vos:nodes'];
  return {
    uri: String(el['@uri']),
    type: String(el['@xsi:type']),
    busy: el['@busy'] as string | undefined,
    order,
    props,
    hasProperties: propsEl !== undefined,
    children: asArray((nodesEl as Obj | undefined)?.['vos:node']).map(readNodeEl),
    hasNodesElement: nodesEl !== undefined,
    target: el['vos:target'] === undefined ? undefined : textOf(el['vos:target']),
    raw: el,
  };
}

/** Reads a node document as CADC writes it (fails the test when the root is not `vos:node`). */
export function readNode(text: string): ParsedNode {
  const doc = parseXml(text);
  const root = asArray(doc['vos:node'])[0];
  if (!root) throw new Error(`not a vos:node document: ${text.slice(0, 200)}`);
  return readNodeEl(root);
}

export function childNames(n: ParsedNode): string[] {
  return n.children.map((c) => c.uri.slice(c.uri.lastIndexOf('/') + 1));
}

export interface ParsedTransfer {
  target: string;
  direction: string;
  protocols: { uri: string; endpoint: string | undefined; securityMethod: string | undefined }[];
  keepBytes: string;
}

export function readTransfer(text: string): ParsedTransfer {
  const t = parseXml(text)['vos:transfer'] as Obj | undefined;
  if (!t) throw new Error(`not a vos:transfer document: ${text.slice(0, 200)}`);
  return {
    target: textOf(t['vos:target']),
    direction: textOf(t['vos:direction']),
    protocols: asArray(t['vos:protocol']).map((p) => ({
      uri: String(p['@uri']),
      endpoint: textOf(asArray(p['vos:endpoint'])[0]) || undefined,
      securityMethod: asArray(p['vos:securityMethod'])[0]?.['@uri'] as string | undefined,
    })),
    keepBytes: textOf(t['vos:keepBytes']),
  };
}

export interface ParsedJob {
  jobId: string;
  phase: string;
  results: Record<string, string>;
  errorMessage: string | undefined;
}

export function readJob(text: string): ParsedJob {
  const j = parseXml(text)['uws:job'] as Obj | undefined;
  if (!j) throw new Error(`not a uws:job document: ${text.slice(0, 200)}`);
  const results: Record<string, string> = {};
  for (const r of asArray((j['uws:results'] as Obj | undefined)?.['uws:result'])) {
    results[String(r['@id'])] = String(r['@xlink:href']);
  }
  const err = j['uws:errorSummary'] as Obj | undefined;
  return {
    jobId: textOf(j['uws:jobId']),
    phase: textOf(j['uws:phase']),
    results,
    errorMessage: err ? textOf(err['uws:message']) : undefined,
  };
}

// --- operations used as setup by many tests ---------------------------------------------------------------------

export const md5b64 = (b: Buffer | string) => createHash('md5').update(b).digest('base64');

/** `/vault/nodes/alice/x` for a service and node path (path segments already URL-safe). */
export function nodesUrl(svc: Service, p: string): string {
  return `/${svc}/nodes/${p}`;
}

export async function mkdir(
  ts: TestServer,
  svc: Service,
  p: string,
  token = ALICE,
  props: Record<string, string | null> = {},
): Promise<Res> {
  const r = await ts.req('PUT', nodesUrl(svc, p), {
    token,
    xml: nodeXml(vosUri(svc, p), 'ContainerNode', props),
  });
  if (r.status !== 201) throw new Error(`mkdir ${svc}:${p} → ${r.status} ${r.text}`);
  return r;
}

export async function setProps(
  ts: TestServer,
  svc: Service,
  p: string,
  type: NodeKind,
  props: Record<string, string | null>,
  token = ALICE,
): Promise<Res> {
  return ts.req('POST', nodesUrl(svc, p), { token, xml: nodeXml(vosUri(svc, p), type, props) });
}

/** Follows 303s with GETs (as the Python client does) until a non-303; returns every response. */
export async function follow(ts: TestServer, first: Res, token?: string): Promise<Res[]> {
  const chain = [first];
  let cur = first;
  for (let i = 0; i < 10 && cur.status === 303; i++) {
    const loc = cur.headers['location'];
    if (!loc) throw new Error('303 without Location');
    cur = await ts.req('GET', loc, token ? { token } : {});
    chain.push(cur);
  }
  return chain;
}

/** Negotiates a sync transfer and returns the final transfer document plus the job URL. */
export async function negotiate(
  ts: TestServer,
  svc: Service,
  p: string,
  direction: 'pushToVoSpace' | 'pullFromVoSpace',
  /** null = anonymous. */
  token: string | null = ALICE,
  protocols?: TransferOpts['protocols'],
): Promise<{ chain: Res[]; transfer: ParsedTransfer; jobUrl: string }> {
  const proto = direction === 'pushToVoSpace' ? HTTPSPUT : HTTPSGET;
  const post = await ts.req('POST', `/${svc}/synctrans`, {
    ...(token !== null ? { token } : {}),
    xml: transferXml(vosUri(svc, p, '!'), direction, {
      protocols: protocols ?? [{ uri: proto, securityMethod: SSO_TOKEN }, { uri: proto }],
    }),
  });
  const chain = await follow(ts, post, token ?? undefined);
  const last = chain[chain.length - 1]!;
  const loc = chain[chain.length - 2]?.headers['location'] ?? '';
  return {
    chain,
    transfer:
      last.status === 200 ? readTransfer(last.text) : { target: '', direction, protocols: [], keepBytes: '' },
    jobUrl: loc.replace(/xfer/g, 'transfers').replace(/\/results\/transferDetails$/, ''),
  };
}

/** Stores bytes in a DataNode the way each service expects (Vault: negotiated URL; ARC: /files). */
export async function upload(
  ts: TestServer,
  svc: Service,
  p: string,
  bytes: Buffer | string,
  token = ALICE,
): Promise<Res> {
  let url: string;
  if (svc === 'arc') url = `/arc/files/${p}`;
  else {
    const n = await negotiate(ts, svc, p, 'pushToVoSpace', token);
    const ep = n.transfer.protocols[0]?.endpoint;
    if (!ep) throw new Error(`no endpoint for ${svc}:${p}: ${n.chain.map((r) => r.status).join(' ')}`);
    url = ep;
  }
  const r = await ts.req('PUT', url, { token, body: bytes, headers: { Digest: `md5=${md5b64(bytes)}` } });
  if (r.status !== 201) throw new Error(`upload ${svc}:${p} → ${r.status} ${r.text}`);
  return r;
}

/** Downloads a DataNode's bytes through `/files` (following Vault's 303 once). */
export async function download(
  ts: TestServer,
  svc: Service,
  p: string,
  token: string | null = ALICE,
): Promise<Res> {
  const o = token ? { token } : {};
  const first = await ts.req('GET', `/${svc}/files/${p}`, o);
  if (first.status !== 303) return first;
  return ts.req('GET', first.headers['location']!, {});
}

const FINAL = new Set(['COMPLETED', 'ERROR', 'ABORTED']);

/** Starts a UWS job (`PHASE=RUN`) and polls with `WAIT` until it reaches a final phase. */
export async function runJob(
  ts: TestServer,
  jobUrl: string,
  token: string | null = ALICE,
  key = 'PHASE',
): Promise<ParsedJob> {
  const o = token ? { token } : {};
  const run = await ts.req('POST', `${jobUrl}/phase`, { ...o, form: { [key]: 'RUN' } });
  if (run.status !== 303) throw new Error(`run ${jobUrl} → ${run.status} ${run.text}`);
  for (let i = 0; i < 50; i++) {
    const r = await ts.req('GET', `${jobUrl}?WAIT=2`, o);
    const job = readJob(r.text);
    if (FINAL.has(job.phase)) return job;
    await sleep(5);
  }
  throw new Error(`job ${jobUrl} did not finish`);
}

/** Creates an async move/copy job and runs it to a final phase. */
export async function moveJob(
  ts: TestServer,
  svc: Service,
  from: string,
  to: string,
  keepBytes = false,
  token = ALICE,
): Promise<ParsedJob> {
  const post = await ts.req('POST', `/${svc}/transfers`, {
    token,
    xml: transferXml(vosUri(svc, from, '!'), vosUri(svc, to, '!'), { keepBytes }),
  });
  if (post.status !== 303) throw new Error(`POST transfers → ${post.status} ${post.text}`);
  return runJob(ts, post.headers['location']!, token);
}

/** Every file (relative path) under a directory, for checking that nothing escaped the data dir. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else out.push(path.relative(dir, full));
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out.sort();
}
