/**
 * VOSpace 2.1 XML documents (nodes and transfers): a writer that emits exactly CADC's layout and a
 * hardened reader (no DTDs, no entities, bounded size) used by both the client and the server.
 */
import { XMLParser } from 'fast-xml-parser';
import { VOSPACE_NS } from './uri.js';
import { XmlSyntaxError, XmlTreeReader, child, childrenNamed, type XmlElement } from './xml-tree.js';

export const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';
export const CORE = 'ivo://ivoa.net/vospace/core#';
export const CADC_CORE = 'ivo://cadc.nrc.ca/vospace/core#';

export const PROP = {
  date: `${CORE}date`,
  contentDate: `${CORE}content-date`,
  length: `${CORE}length`,
  md5: `${CORE}MD5`,
  type: `${CORE}type`,
  encoding: `${CORE}encoding`,
  creator: `${CORE}creator`,
  ispublic: `${CORE}ispublic`,
  groupread: `${CORE}groupread`,
  groupwrite: `${CORE}groupwrite`,
  quota: `${CORE}quota`,
  availableSpace: `${CORE}availableSpace`,
  islocked: `${CADC_CORE}islocked`,
  inheritPermissions: `${CADC_CORE}inheritPermissions`,
  readable: `${CADC_CORE}readable`,
  writable: `${CADC_CORE}writable`,
} as const;

export type NodeType = 'ContainerNode' | 'DataNode' | 'LinkNode';

export interface NodeProperty {
  uri: string;
  value: string;
  readOnly?: boolean;
  /** `xsi:nil="true"` on input: delete this property. */
  nil?: boolean;
}

export interface NodeDoc {
  uri: string;
  type: NodeType;
  properties: NodeProperty[];
  /** Containers: children, when listed. */
  children?: NodeDoc[];
  /** Links: the target URI. */
  target?: string;
  busy?: boolean;
}

export class XmlInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlInputError';
  }
}

export const MAX_INPUT_DOC_BYTES = 32 * 1024;

const XML_SPECIAL = /[&<>"']/;

export function escapeXml(s: string): string {
  // Most values (URIs, dates, sizes) need no escaping: skip the replace for them.
  if (!XML_SPECIAL.test(s)) return s;
  return s.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&apos;',
  );
}

/** IVOA date as CADC writes it: UTC, milliseconds, no zone suffix. */
export function formatIvoaDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 23);
}

/** Parses IVOA dates with or without milliseconds and with or without a trailing `Z`; NaN when invalid. */
export function parseIvoaDate(s: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?Z?$/.exec(s.trim());
  if (!m) return NaN;
  const ms = m[7] ? Math.floor(Number(m[7]) * 1000) : 0;
  const [y, mo, d, h, mi, sec] = [+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!];
  const t = Date.UTC(y, mo - 1, d, h, mi, sec, ms);
  // Date.UTC rolls over (month 13, Feb 30): a field out of range is an invalid date, not another date.
  const back = new Date(t);
  if (
    back.getUTCFullYear() !== y ||
    back.getUTCMonth() !== mo - 1 ||
    back.getUTCDate() !== d ||
    h > 23 ||
    mi > 59 ||
    sec > 59
  )
    return NaN;
  return Number.isFinite(t) ? t : NaN;
}

export type Detail = 'min' | 'max' | 'properties';

function writeProperties(props: NodeProperty[], indent: string): string {
  if (props.length === 0) return `${indent}<vos:properties />\n`;
  const sorted = [...props].sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0));
  let out = `${indent}<vos:properties>\n`;
  for (const p of sorted) {
    const ro = p.readOnly ? ' readOnly="true"' : '';
    if (p.nil) {
      out += `${indent}  <vos:property uri="${escapeXml(p.uri)}"${ro} xsi:nil="true" />\n`;
      continue;
    }
    out += `${indent}  <vos:property uri="${escapeXml(p.uri)}"${ro}>${escapeXml(p.value)}</vos:property>\n`;
  }
  return out + `${indent}</vos:properties>\n`;
}

function writeNodeBody(node: NodeDoc, detail: Detail, indent: string, isChild: boolean): string {
  let out = '';
  if (detail !== 'min') out += writeProperties(node.properties, indent);
  if (node.type === 'DataNode') {
    out += `${indent}<vos:accepts />\n${indent}<vos:provides />\n`;
  } else if (node.type === 'LinkNode') {
    out += `${indent}<vos:target>${escapeXml(node.target ?? '')}</vos:target>\n`;
  } else if (isChild || !node.children || node.children.length === 0) {
    out += `${indent}<vos:nodes />\n`;
  } else {
    out += `${indent}<vos:nodes>\n`;
    for (const child of node.children) out += writeNodeElement(child, detail, indent + '  ', true, false);
    out += `${indent}</vos:nodes>\n`;
  }
  return out;
}

function writeNodeElement(
  node: NodeDoc,
  detail: Detail,
  indent: string,
  isChild: boolean,
  root: boolean,
): string {
  const ns = root ? ` xmlns:vos="${VOSPACE_NS}" xmlns:xsi="${XSI_NS}"` : '';
  const busy = node.type === 'DataNode' && detail !== 'min' ? ` busy="${node.busy ? 'true' : 'false'}"` : '';
  return (
    `${indent}<vos:node${ns} uri="${escapeXml(node.uri)}" xsi:type="vos:${node.type}"${busy}>\n` +
    writeNodeBody(node, detail, indent + '  ', isChild) +
    `${indent}</vos:node>\n`
  );
}

/** Serialises a node (and its listed children) the way CADC's NodeWriter lays it out. */
export function writeNodeXml(node: NodeDoc, detail: Detail = 'max'): string {
  return '<?xml version="1.0" encoding="UTF-8"?>\n' + writeNodeElement(node, detail, '', false, true);
}

/**
 * The same document as `writeNodeXml` for a container and its children, in pieces of about `batch` children,
 * rendering each child only when its piece is due: a listing of 100,000 nodes never exists as one string or
 * one array of documents, so it streams with little memory and little garbage.
 */
export function* writeListingXml(
  container: NodeDoc,
  children: Iterable<NodeDoc>,
  detail: Detail = 'max',
  batch = 500,
): Generator<string> {
  const whole = writeNodeXml({ ...container, children: [] }, detail);
  // The empty listing's text, split where the children go.
  const empty = '  <vos:nodes />\n';
  const at = whole.lastIndexOf(empty);
  if (at < 0 || container.type !== 'ContainerNode') {
    yield whole;
    return;
  }
  let piece = '';
  let n = 0;
  for (const child of children) {
    if (n === 0) piece = whole.slice(0, at) + '  <vos:nodes>\n';
    piece += writeNodeElement(child, detail, '    ', true, false);
    if (++n % batch === 0) {
      yield piece;
      piece = '';
    }
  }
  yield n === 0 ? whole : piece + '  </vos:nodes>\n' + whole.slice(at + empty.length);
}

// ---------------------------------------------------------------------------------------------------------
// Reading

const ARRAY_ELEMENTS = new Set(['node', 'property', 'protocol', 'target', 'param', 'securityMethod', 'view']);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: true,
  // XML's numeric character references (`&#235;`, as CADC's Python client writes non-ASCII names) are
  // decoded only with this option; the named HTML entities it adds are harmless, DTDs are refused anyway.
  htmlEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  trimValues: true,
  isArray: (name) => ARRAY_ELEMENTS.has(name),
});

type XmlObj = Record<string, unknown>;

/** Parses untrusted XML: refuses DTDs and entity declarations before any parsing happens. */
export function parseUntrustedXml(text: string, maxBytes = Number.POSITIVE_INFINITY): XmlObj {
  if (Buffer.byteLength(text, 'utf8') > maxBytes)
    throw new XmlInputError(`document larger than ${maxBytes} bytes`);
  if (/<!DOCTYPE|<!ENTITY/i.test(text))
    throw new XmlInputError('DTDs and entity declarations are not accepted');
  let obj: unknown;
  try {
    obj = parser.parse(text, true);
  } catch (e) {
    throw new XmlInputError(`malformed XML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!obj || typeof obj !== 'object') throw new XmlInputError('empty document');
  return obj as XmlObj;
}

function textOf(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'object' && '#text' in (v as XmlObj)) return String((v as XmlObj)['#text']);
  return '';
}

function asObj(v: unknown): XmlObj {
  return v && typeof v === 'object' ? (v as XmlObj) : {};
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : v === undefined ? [] : [v];
}

function readNodeType(raw: string): NodeType {
  const local = raw.includes(':') ? raw.slice(raw.indexOf(':') + 1) : raw;
  switch (local) {
    case 'ContainerNode':
      return 'ContainerNode';
    case 'DataNode':
    case 'StructuredDataNode':
    case 'UnstructuredDataNode':
      return 'DataNode';
    case 'LinkNode':
      return 'LinkNode';
    default:
      throw new XmlInputError(`TypeNotSupported: ${raw || '(missing xsi:type)'}`);
  }
}

function readNode(el: XmlElement): NodeDoc {
  const uri = el.attrs['uri'] ?? '';
  if (!uri) throw new XmlInputError('node element without uri attribute');
  const type = readNodeType(el.attrs['type'] ?? '');
  const properties: NodeProperty[] = [];
  for (const p of childrenNamed(child(el, 'properties'), 'property')) {
    const puri = p.attrs['uri'];
    if (!puri) throw new XmlInputError('property without uri attribute');
    const prop: NodeProperty = { uri: puri, value: p.text.trim() };
    if (p.attrs['readOnly'] === 'true') prop.readOnly = true;
    if (p.attrs['nil'] === 'true') prop.nil = true;
    properties.push(prop);
  }
  const node: NodeDoc = { uri, type, properties };
  if (type === 'DataNode') node.busy = el.attrs['busy'] === 'true';
  if (type === 'LinkNode') node.target = child(el, 'target')?.text.trim() ?? '';
  if (type === 'ContainerNode') node.children = childrenNamed(child(el, 'nodes'), 'node').map(readNode);
  return node;
}

const FORBIDDEN_DECLARATION = /<!DOCTYPE|<!ENTITY/i;

/**
 * Reads a node document in pieces as they arrive (`write`, then `end`), handing each listed child to `onChild`
 * as soon as its element ends, so a listing of 100,000 children is read while it downloads and never exists as
 * one tree. Uses the lean reader of xml-tree.ts: such a listing is ~80 MB of XML, too slow for the
 * general-purpose parser. The same refusals as `parseNodeXml` (DTDs, another root, another namespace).
 */
export class NodeDocReader {
  private readonly reader: XmlTreeReader;
  /** The root's `nodes` element whose children are the listing (the first one, as `child()` finds it). */
  private listed: XmlElement | undefined;
  /** The end of the previous piece, so a declaration or the namespace cut in two is still seen. */
  private tail = '';
  private inNamespace = false;

  /** `onChild` also gets the container's URI (from its start tag: its element is not finished yet). */
  constructor(onChild: (child: NodeDoc, containerUri: string) => void) {
    this.reader = new XmlTreeReader(256, (el, ancestors) => {
      if (ancestors.length === 1 && el.name === 'nodes') this.listed ??= el;
      if (ancestors.length !== 2 || el.name !== 'node' || !isListingRoot(ancestors[0]!)) return false;
      const parent = ancestors[1]!;
      if (parent.name !== 'nodes' || (this.listed ??= parent) !== parent) return false;
      onChild(readNode(el), ancestors[0]!.attrs['uri'] ?? '');
      return true;
    });
  }

  write(piece: string): void {
    this.screen(piece);
    syntax(() => this.reader.write(piece));
  }

  /** The node itself; for a container, `children` is empty (each went to `onChild`). */
  end(): NodeDoc {
    const root = syntax(() => this.reader.end());
    if (root.name !== 'node') throw new XmlInputError('document root is not a VOSpace node');
    if (!this.inNamespace) throw new XmlInputError('document is not in the VOSpace namespace');
    return readNode(root);
  }

  private screen(piece: string): void {
    const seen = this.tail + piece;
    if (FORBIDDEN_DECLARATION.test(seen))
      throw new XmlInputError('DTDs and entity declarations are not accepted');
    this.inNamespace ||= seen.includes(VOSPACE_NS);
    this.tail = seen.slice(-VOSPACE_NS.length);
  }
}

/** A root whose listed children are read: a container's (a data node's `nodes`, if any, is not looked at). */
function isListingRoot(root: XmlElement): boolean {
  try {
    return root.name === 'node' && readNodeType(root.attrs['type'] ?? '') === 'ContainerNode';
  } catch {
    return false;
  }
}

function syntax<T>(read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof XmlSyntaxError) throw new XmlInputError(`malformed XML: ${e.message}`);
    throw e;
  }
}

/** Reads a whole node document (as sent by clients or returned by servers), its listed children included. */
export function parseNodeXml(text: string, maxBytes = Number.POSITIVE_INFINITY): NodeDoc {
  if (text.length > maxBytes || Buffer.byteLength(text, 'utf8') > maxBytes)
    throw new XmlInputError(`document larger than ${maxBytes} bytes`);
  const children: NodeDoc[] = [];
  const reader = new NodeDocReader((c) => children.push(c));
  reader.write(text);
  const node = reader.end();
  if (node.type === 'ContainerNode') node.children = children;
  return node;
}

export function propValue(node: NodeDoc, uri: string): string | undefined {
  return node.properties.find((p) => p.uri === uri && !p.nil)?.value;
}

// ---------------------------------------------------------------------------------------------------------
// Transfers

export const PROTOCOL = {
  httpget: `${CORE}httpget`,
  httpput: `${CORE}httpput`,
  httpsget: `${CORE}httpsget`,
  httpsput: `${CORE}httpsput`,
} as const;

export const SECURITY = {
  anon: 'ivo://ivoa.net/sso#anon',
  cert: 'ivo://ivoa.net/sso#tls-with-certificate',
  cookie: 'ivo://ivoa.net/sso#cookie',
  token: 'ivo://ivoa.net/sso#token',
  basic: 'ivo://ivoa.net/sso#BasicAA',
  legacyToken: 'vos://cadc.nrc.ca~vospace/CADC/std/Auth#token-1.0',
} as const;

export interface TransferProtocol {
  uri: string;
  endpoint?: string;
  securityMethod?: string;
}

export interface TransferDoc {
  targets: string[];
  direction: string;
  view?: string;
  protocols: TransferProtocol[];
  keepBytes: boolean;
  params: { uri: string; value: string }[];
}

export function writeTransferXml(t: TransferDoc): string {
  let out = `<?xml version="1.0" encoding="UTF-8"?>\n<vos:transfer xmlns:vos="${VOSPACE_NS}" version="2.1">\n`;
  for (const target of t.targets) out += `  <vos:target>${escapeXml(target)}</vos:target>\n`;
  out += `  <vos:direction>${escapeXml(t.direction)}</vos:direction>\n`;
  if (t.view) out += `  <vos:view uri="${escapeXml(t.view)}" />\n`;
  for (const p of t.protocols) {
    if (!p.endpoint && !p.securityMethod) {
      out += `  <vos:protocol uri="${escapeXml(p.uri)}" />\n`;
      continue;
    }
    out += `  <vos:protocol uri="${escapeXml(p.uri)}">\n`;
    if (p.endpoint) out += `    <vos:endpoint>${escapeXml(p.endpoint)}</vos:endpoint>\n`;
    if (p.securityMethod) out += `    <vos:securityMethod uri="${escapeXml(p.securityMethod)}" />\n`;
    out += `  </vos:protocol>\n`;
  }
  out += `  <vos:keepBytes>${t.keepBytes ? 'true' : 'false'}</vos:keepBytes>\n`;
  for (const p of t.params)
    out += `  <vos:param uri="${escapeXml(p.uri)}">${escapeXml(p.value)}</vos:param>\n`;
  return out + '</vos:transfer>\n';
}

export function parseTransferXml(text: string, maxBytes?: number): TransferDoc {
  const doc = parseUntrustedXml(text, maxBytes);
  const root = asObj(doc['transfer']);
  if (!doc['transfer']) throw new XmlInputError('document root is not a VOSpace transfer');
  const targets = asArray(root['target'])
    .map(textOf)
    .filter((s) => s !== '');
  const direction = textOf(root['direction']);
  if (targets.length === 0) throw new XmlInputError('transfer without target');
  if (!direction) throw new XmlInputError('transfer without direction');
  const protocols: TransferProtocol[] = asArray(root['protocol']).map((p) => {
    const po = asObj(p);
    const proto: TransferProtocol = { uri: textOf(po['@_uri']) };
    const endpoint = textOf(po['endpoint']);
    if (endpoint) proto.endpoint = endpoint;
    const sm = asArray(po['securityMethod'])[0];
    if (sm) proto.securityMethod = textOf(asObj(sm)['@_uri']);
    return proto;
  });
  const keep = textOf(root['keepBytes']).toLowerCase();
  const view = asArray(root['view'])[0];
  const t: TransferDoc = {
    targets,
    direction,
    protocols,
    keepBytes: keep === '' ? true : keep === 'true',
    params: asArray(root['param']).map((p) => ({ uri: textOf(asObj(p)['@_uri']), value: textOf(p) })),
  };
  if (view) t.view = textOf(asObj(view)['@_uri']);
  return t;
}
