/**
 * A hostile third-party VOSpace double for the hostile-input tests. By default it behaves like a small,
 * correct Vault-style service (registry, capabilities, nodes, /files → 303 → /data, sync transfers, uploads),
 * serving an in-memory tree. A test installs a `script` that sees every request first and answers the ones it
 * wants to sabotage; everything it declines falls through to the correct behaviour. Every request is recorded
 * with its headers, so tests can prove which origin received a credential.
 *
 * Written independently of src/ on purpose: the documents it emits are hand-built, so a bug in the project's
 * own XML writer cannot hide a bug in its reader.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { md5Hex } from '../../src/util/md5.js';
import { md5b64 } from '../server/helpers.js';

export const VOS_NS = 'http://www.ivoa.net/xml/VOSpace/v2.0';
export const AUTHORITY = 'cadc.nrc.ca~vault';
export const RESOURCE_ID = 'ivo://cadc.nrc.ca/vault';
const CORE = 'ivo://ivoa.net/vospace/core#';

export interface FakeFile {
  kind: 'file';
  content: Buffer;
  /** Override of the MD5 property: a string is sent as is, null leaves the property out. */
  md5?: string | null;
  /** Override of the length property text (e.g. '-1', 'abc'); default: the content length. */
  length?: string;
  /** Date property text; default a fixed valid date. */
  date?: string;
}

export interface FakeDir {
  kind: 'dir';
  date?: string;
}

export type FakeNode = FakeFile | FakeDir;

export interface Recorded {
  method: string;
  /** Path and query, as received. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface ScriptContext {
  server: HostileServer;
  url: URL;
  body: Buffer;
}

/** Returns true (or a promise of true) when it answered the request itself. */
export type Script = (
  req: IncomingMessage,
  res: ServerResponse,
  ctx: ScriptContext,
) => boolean | undefined | void | Promise<boolean | undefined | void>;

const esc = (s: string): string =>
  s.replace(/[&<>"]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;'));

/** `alice/pair/a b` → `vos://cadc.nrc.ca~vault/alice/pair/a%20b`. */
export function vosUri(path: string): string {
  return `vos://${AUTHORITY}/${path.split('/').map(encodeURIComponent).join('/')}`;
}

/** One `<vos:property>` line. */
export function prop(name: string, value: string): string {
  return `<vos:property uri="${CORE}${name}" readOnly="true">${esc(value)}</vos:property>`;
}

/** A child or root node element; `uri` is written exactly as given (tests pass hostile URIs through it). */
export function nodeElement(
  uri: string,
  type: 'ContainerNode' | 'DataNode' | 'LinkNode',
  props: string[],
  inner = '',
): string {
  return (
    `<vos:node uri="${esc(uri)}" xsi:type="vos:${type}">` +
    `<vos:properties>${props.join('')}</vos:properties>${inner}</vos:node>`
  );
}

/** A complete node document with the namespaces declared on the root. */
export function nodeDocument(
  uri: string,
  type: 'ContainerNode' | 'DataNode' | 'LinkNode',
  props: string[],
  children?: string[],
): string {
  const inner = type === 'ContainerNode' ? `<vos:nodes>${(children ?? []).join('')}</vos:nodes>` : '';
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<vos:node xmlns:vos="${VOS_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ` +
    `uri="${esc(uri)}" xsi:type="vos:${type}">` +
    `<vos:properties>${props.join('')}</vos:properties>${inner}</vos:node>\n`
  );
}

/** A listing of `containerPath` whose children are given as raw elements (for hostile children). */
export function listingWith(containerPath: string, children: string[]): string {
  return nodeDocument(
    vosUri(containerPath),
    'ContainerNode',
    [prop('date', '2026-01-02T03:04:05.000')],
    children,
  );
}

/** A well-formed child element for a data node. */
export function fileChild(uri: string, opts: { length?: string; md5?: string; date?: string } = {}): string {
  const props = [prop('length', opts.length ?? '3'), prop('date', opts.date ?? '2026-01-02T03:04:05.000')];
  if (opts.md5) props.push(prop('MD5', opts.md5));
  return nodeElement(uri, 'DataNode', props);
}

/**
 * A script whose listings of `path` never end: every page is full. With `advance` each page goes on from the `uri`
 * cursor (included, as Vault does) with fresh names; without it the first page comes back whatever the cursor says.
 */
export function endlessPaging(path: string, opts: { advance: boolean }): Script {
  return (_req, res, { url }) => {
    const limit = Number(url.searchParams.get('limit') ?? '0');
    if (decodeURIComponent(url.pathname) !== `/vault/nodes/${path}` || limit <= 0) return false;
    const cursor = url.searchParams.get('uri');
    const from = opts.advance && cursor ? Number(/f(\d+)$/.exec(cursor)?.[1] ?? 0) : 0;
    const name = (i: number) => `${path}/f${String(from + i).padStart(12, '0')}`;
    const kids = Array.from({ length: limit }, (_, i) => fileChild(vosUri(name(i))));
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end(listingWith(path, kids));
    return true;
  };
}

export function transferDocument(target: string, direction: string, endpoints: string[]): string {
  const protocols = endpoints
    .map((e) => `<vos:protocol uri="${CORE}httpsget"><vos:endpoint>${esc(e)}</vos:endpoint></vos:protocol>`)
    .join('');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<vos:transfer xmlns:vos="${VOS_NS}" version="2.1"><vos:target>${esc(target)}</vos:target>` +
    `<vos:direction>${esc(direction)}</vos:direction>${protocols}</vos:transfer>\n`
  );
}

export function capabilitiesDocument(base: string, only?: string[]): string {
  const caps: [string, string][] = [
    ['ivo://ivoa.net/std/VOSpace/v2.0#nodes', `${base}/vault/nodes`],
    ['ivo://ivoa.net/std/VOSpace#sync-2.1', `${base}/vault/synctrans`],
    ['ivo://ivoa.net/std/VOSpace/v2.0#transfers', `${base}/vault/transfers`],
    ['ivo://ivoa.net/std/VOSpace#files-proto', `${base}/vault/files`],
  ];
  let out =
    '<?xml version="1.0" encoding="UTF-8"?>\n<vosi:capabilities ' +
    'xmlns:vosi="http://www.ivoa.net/xml/VOSICapabilities/v1.0" ' +
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:vs="http://www.ivoa.net/xml/VODataService/v1.1">\n';
  for (const [id, url] of caps) {
    if (only && !only.includes(id)) continue;
    out +=
      `<capability standardID="${id}"><interface xsi:type="vs:ParamHTTP" role="std">` +
      `<accessURL use="base">${esc(url)}</accessURL><securityMethod />` +
      `<securityMethod standardID="ivo://ivoa.net/sso#token" /></interface></capability>\n`;
  }
  return out + '</vosi:capabilities>\n';
}

const FIXED_DATE = '2026-01-02T03:04:05.000';

export class HostileServer {
  readonly requests: Recorded[] = [];
  readonly tree = new Map<string, FakeNode>();
  script: Script | undefined;
  private readonly sockets = new Set<Socket>();
  private jobs = 0;
  private readonly transfers = new Map<string, { path: string; direction: string }>();

  private constructor(
    private readonly server: http.Server,
    readonly base: string,
  ) {}

  static async start(): Promise<HostileServer> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const hs = new HostileServer(server, `http://127.0.0.1:${port}`);
    server.on('connection', (s) => {
      hs.sockets.add(s);
      s.on('close', () => hs.sockets.delete(s));
    });
    server.on('request', (req, res) => void hs.handle(req, res));
    return hs;
  }

  get registryUrl(): string {
    return `${this.base}/reg/resource-caps`;
  }

  /** Adds a node and every missing ancestor folder. */
  put(path: string, node: FakeNode): void {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const p = parts.slice(0, i).join('/');
      if (!this.tree.has(p)) this.tree.set(p, { kind: 'dir' });
    }
    this.tree.set(path, node);
  }

  file(path: string, content: string | Buffer, extra: Partial<FakeFile> = {}): FakeFile {
    const f: FakeFile = { kind: 'file', content: Buffer.from(content), ...extra };
    this.put(path, f);
    return f;
  }

  /** Requests whose path starts with `prefix`. */
  seen(prefix = ''): Recorded[] {
    return this.requests.filter((r) => r.url.startsWith(prefix));
  }

  /** Requests that carried any credential header. */
  credentialed(): Recorded[] {
    return this.requests.filter(
      (r) => r.headers.authorization !== undefined || r.headers.cookie !== undefined,
    );
  }

  reset(): void {
    this.requests.length = 0;
    this.tree.clear();
    this.script = undefined;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    try {
      for await (const c of req) chunks.push(c as Buffer);
    } catch {
      return;
    }
    const body = Buffer.concat(chunks);
    this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    const url = new URL(req.url ?? '/', this.base);
    res.on('error', () => undefined);
    try {
      if (this.script && (await this.script(req, res, { server: this, url, body }))) return;
      this.standard(req, res, url, body);
    } catch (e) {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`hostile double failed: ${(e as Error).message}`);
      } else res.destroy();
    }
  }

  nodeXml(path: string, withChildren: boolean): string {
    const node = this.tree.get(path);
    if (!node) throw new Error(`no node ${path}`);
    const props = (n: FakeNode): string[] => {
      const out = [prop('date', n.date ?? FIXED_DATE)];
      if (n.kind === 'file') {
        out.push(prop('length', n.length ?? String(n.content.length)));
        const md5 = n.md5 === undefined ? (n.content.length > 0 ? md5Hex(n.content) : null) : n.md5;
        if (md5 !== null) out.push(prop('MD5', md5));
      } else out.push(prop('length', '0'));
      return out;
    };
    const type = (n: FakeNode) => (n.kind === 'dir' ? 'ContainerNode' : 'DataNode');
    if (node.kind === 'file' || !withChildren) return nodeDocument(vosUri(path), type(node), props(node));
    const kids = [...this.tree.entries()]
      .filter(([p]) => p.startsWith(path + '/') && !p.slice(path.length + 1).includes('/'))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([p, n]) => nodeElement(vosUri(p), type(n), props(n)));
    return nodeDocument(vosUri(path), 'ContainerNode', props(node), kids);
  }

  private standard(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): void {
    const m = req.method ?? 'GET';
    const p = decodeURIComponent(url.pathname);
    const xml = (status: number, text: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'text/xml', ...headers });
      res.end(text);
    };
    const text = (status: number, t: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'text/plain', ...headers });
      res.end(t);
    };
    if (p === '/reg/resource-caps') return text(200, `${RESOURCE_ID} = ${this.base}/vault/capabilities\n`);
    if (p === '/vault/capabilities') return xml(200, capabilitiesDocument(this.base));
    if (p.startsWith('/vault/nodes/')) {
      const np = p.slice('/vault/nodes/'.length);
      if (m === 'GET') {
        if (!this.tree.has(np)) return text(404, `NodeNotFound: ${vosUri(np)}`);
        return xml(200, this.nodeXml(np, url.searchParams.get('limit') !== '0'));
      }
      if (m === 'PUT') {
        if (this.tree.has(np)) return text(409, `DuplicateNode: ${vosUri(np)}`);
        const container = body.toString('utf8').includes('ContainerNode');
        this.put(np, container ? { kind: 'dir' } : { kind: 'file', content: Buffer.alloc(0) });
        return xml(201, this.nodeXml(np, false));
      }
      if (m === 'DELETE') {
        if (!this.tree.delete(np)) return text(404, `NodeNotFound: ${vosUri(np)}`);
        return text(200, '');
      }
    }
    if (p.startsWith('/vault/files/') && m === 'GET') {
      const np = p.slice('/vault/files/'.length);
      if (this.tree.get(np)?.kind !== 'file') return text(404, `NodeNotFound: ${vosUri(np)}`);
      return text(303, '', { location: `${this.base}/data/${encodeURI(np)}` });
    }
    if (p.startsWith('/data/')) {
      const np = p.slice('/data/'.length);
      if (m === 'GET') {
        const f = this.tree.get(np);
        if (f?.kind !== 'file') return text(404, 'not found');
        res.writeHead(200, {
          'content-type': 'application/octet-stream',
          'content-length': String(f.content.length),
          digest: `md5=${md5b64(f.content)}`,
        });
        res.end(f.content);
        return;
      }
      if (m === 'PUT') {
        this.put(np, { kind: 'file', content: body });
        return text(201, '', { digest: `md5=${md5b64(body)}` });
      }
    }
    if (p === '/vault/synctrans' && m === 'POST') {
      const doc = body.toString('utf8');
      const target = /<vos:target>([^<]*)<\/vos:target>/.exec(doc)?.[1] ?? '';
      const direction = /<vos:direction>([^<]*)<\/vos:direction>/.exec(doc)?.[1] ?? '';
      const np = decodeURIComponent(target.replace(/^vos:\/\/[^/]+\//, ''));
      const id = `job${++this.jobs}`;
      this.transfers.set(id, { path: np, direction });
      if (direction === 'pushToVoSpace' && !this.tree.has(np))
        this.put(np, { kind: 'file', content: Buffer.alloc(0) });
      return text(303, '', { location: `${this.base}/vault/xfer/${id}` });
    }
    if (p.startsWith('/vault/xfer/') && m === 'GET') {
      const t = this.transfers.get(p.slice('/vault/xfer/'.length));
      if (!t) return text(404, 'no such job');
      return xml(
        200,
        transferDocument(vosUri(t.path), t.direction, [`${this.base}/data/${encodeURI(t.path)}`]),
      );
    }
    text(404, `hostile double: nothing at ${m} ${p}`);
  }
}

/** Writes raw bytes on the connection, bypassing Node's HTTP serialisation (invalid headers, lies). */
export function rawResponse(res: ServerResponse, raw: string | Buffer, keepOpen = false): void {
  const socket = res.socket;
  if (!socket) return;
  socket.write(raw);
  if (!keepOpen) socket.end();
}
