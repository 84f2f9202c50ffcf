/**
 * One VOSpace service (Vault or ARC) over the shared store: its flavour (the differences clients notice),
 * path resolution through links, CADC's authorization rules, and rendering of nodes as VOSpace documents.
 */
import { Fault, faults } from './errors.js';
import type { Caller } from './auth.js';
import type { NodeRecord, NodeStore, ServiceName } from './store.js';
import { formatVosUri, normaliseAuthority, parentPath, parseVosUri } from '../vospace/uri.js';
import { PROP, formatIvoaDate, type NodeDoc, type NodeProperty } from '../vospace/xml.js';
import { joinPath } from '../util/rel-path.js';

export interface Flavour {
  name: ServiceName;
  authority: string;
  /** Containers whose children are allocations (user areas with an owner who may do anything inside). */
  allocationParents: string[];
  /** Vault lists children in name order and pages with limit+uri; ARC lists in storage order, no paging. */
  orderedPaging: boolean;
  /** Vault honours islocked; ARC ignores it. */
  locks: boolean;
  /** Vault's /files answers 303 to a pre-authorised data URL; ARC's /files serves bytes itself. */
  filesRedirect: boolean;
  /** Byte ranges on data GETs (Vault's storage yes, ARC no). */
  ranges: boolean;
  /** Vault drops core#type given when creating a DataNode; ARC keeps it. */
  dropTypeOnCreate: boolean;
  /** ARC only stores links to its own nodes or file:// targets. */
  restrictLinkTargets: boolean;
  /** Value of the `Server` header on data responses. */
  dataServerHeader: string;
  /**
   * Cavern's file system refuses a write past the quota (413 `limit: N`); Vault's storage (minoc) knows no
   * quotas, Vault refuses only the push negotiation once nothing is left.
   */
  quotaOnWrite: boolean;
}

export const VAULT: Flavour = {
  name: 'vault',
  authority: 'cadc.nrc.ca~vault',
  allocationParents: [''],
  orderedPaging: true,
  locks: true,
  filesRedirect: true,
  ranges: true,
  dropTypeOnCreate: true,
  restrictLinkTargets: false,
  dataServerHeader: 'vosync-serve storage-inventory/minoc-1.0',
  quotaOnWrite: false,
};

export const ARC: Flavour = {
  name: 'arc',
  authority: 'cadc.nrc.ca~arc',
  allocationParents: ['home', 'projects'],
  orderedPaging: false,
  locks: false,
  filesRedirect: false,
  ranges: false,
  dropTypeOnCreate: false,
  restrictLinkTargets: true,
  dataServerHeader: 'vosync-serve vos/cavern-1.0',
  quotaOnWrite: true,
};

/** Properties clients may not set (silently ignored, emitted read-only). */
export const IMMUTABLE_PROPS = new Set<string>([
  PROP.availableSpace,
  PROP.length,
  PROP.md5,
  PROP.contentDate,
  PROP.creator,
  PROP.date,
  PROP.quota,
  PROP.readable,
  PROP.writable,
]);

/** Keys CADC accepts in the `ivo://ivoa.net/vospace/core#` namespace. */
export const CORE_KEYS = new Set(
  'title creator subject description publisher contributor date type format identifier source language relation coverage rights availableSpace runid quota content-date length encoding MD5 groupread groupwrite ispublic'
    .split(' ')
    .map((k) => `ivo://ivoa.net/vospace/core#${k}`),
);

const GROUP_URI = /^ivo:\/\/[A-Za-z0-9.-]+(\/[^?\s]*)?\?([A-Za-z0-9/_\-.~]+)$/;

/** Group names in a space-separated groupread/groupwrite value; throws on a malformed group URI. */
export function parseGroups(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(/\s+/)
    .filter((s) => s !== '')
    .map((g) => {
      const m = GROUP_URI.exec(g);
      if (!m?.[2]) throw faults.invalidArgument(`invalid group URI: ${g}`);
      return m[2];
    });
}

export type Detail = 'min' | 'max' | 'properties';

/** Unset permission properties copied from a parent that asks its children to inherit them. */
export function inheritPermissions(parent: NodeRecord | undefined, props: Record<string, string>): void {
  if (parent?.props[PROP.inheritPermissions] !== 'true') return;
  for (const k of [PROP.ispublic, PROP.groupread, PROP.groupwrite]) {
    if (props[k] === undefined && parent.props[k] !== undefined) props[k] = parent.props[k]!;
  }
}

export class VoService {
  constructor(
    readonly flavour: Flavour,
    readonly store: NodeStore,
  ) {}

  get name(): ServiceName {
    return this.flavour.name;
  }

  uriOf(p: string): string {
    return formatVosUri({ authority: this.flavour.authority, path: p });
  }

  get(p: string): NodeRecord | undefined {
    return this.store.get(this.flavour.name, p);
  }

  root(): NodeRecord {
    const r = this.get('');
    if (!r) throw new Error(`service ${this.name} has no root node`);
    return r;
  }

  isAdmin(caller: Caller): boolean {
    return caller.user !== undefined && caller.user === this.root().owner;
  }

  /** The allocation (user area) containing `p`, if any. */
  allocationOf(p: string): NodeRecord | undefined {
    for (const parent of this.flavour.allocationParents) {
      const prefix = parent === '' ? '' : parent + '/';
      if (parent !== '' && !p.startsWith(prefix)) continue;
      const rest = p.slice(prefix.length);
      if (rest === '') continue;
      const name = rest.split('/')[0]!;
      return this.get(prefix + name);
    }
    return undefined;
  }

  isAllocationParent(p: string): boolean {
    return this.flavour.allocationParents.includes(p);
  }

  canRead(n: NodeRecord, c: Caller): boolean {
    if (n.props[PROP.ispublic] === 'true') return true;
    if (c.user === undefined) return false;
    if (n.owner === c.user || this.isAdmin(c)) return true;
    if (this.allocationOf(n.path)?.owner === c.user) return true;
    const groups = [
      ...parseGroupsLenient(n.props[PROP.groupread]),
      ...parseGroupsLenient(n.props[PROP.groupwrite]),
    ];
    return groups.some((g) => c.groups.has(g));
  }

  isLocked(n: NodeRecord): boolean {
    return this.flavour.locks && n.props[PROP.islocked] === 'true';
  }

  canWrite(n: NodeRecord, c: Caller, ignoreLock = false): boolean {
    if (!ignoreLock && this.isLocked(n)) return false;
    if (c.user === undefined) return false;
    if (n.owner === c.user || this.isAdmin(c)) return true;
    if (this.allocationOf(n.path)?.owner === c.user) return true;
    return parseGroupsLenient(n.props[PROP.groupwrite]).some((g) => c.groups.has(g));
  }

  /** Follows a link node to its target within this service. */
  private followLink(link: NodeRecord): string {
    const target = link.target ?? '';
    let parsed;
    try {
      parsed = parseVosUri(target);
    } catch {
      throw faults.invalidArgument(`cannot navigate external link: ${target}`);
    }
    if (normaliseAuthority(parsed.authority).split('~').pop() !== this.flavour.authority.split('~').pop()) {
      throw faults.invalidArgument(`cannot navigate vospace link to another service: ${target}`);
    }
    return parsed.path;
  }

  /** Descending into a container needs read on it; the root and the allocation parents are traversable. */
  private checkTraversable(container: NodeRecord, caller: Caller): void {
    if (container.path === '' || this.isAllocationParent(container.path)) return;
    if (!this.canRead(container, caller)) throw faults.permission(this.uriOf(container.path));
  }

  /**
   * Resolves a path the way CADC's PathResolver does: links in the middle are followed, every intermediate
   * node must be readable (allocation parents and the root are traversable), and the leaf is followed only
   * when asked. A link continues the walk from the root along its target, so every container on the path it
   * leads to is checked as on a direct path (a link must not reach below a folder the caller may not read).
   * Returns undefined when something on the way does not exist.
   */
  resolve(p: string, caller: Caller, followLeaf: boolean): NodeRecord | undefined {
    let hops = 0;
    let current = this.root();
    let pending = p === '' ? [] : p.split('/');
    for (;;) {
      if (current.type === 'LinkNode' && (pending.length > 0 || followLeaf)) {
        if (++hops > 20) throw new Fault(404, `UnreadableLinkTarget: ${this.uriOf(current.path)}`);
        const target = this.followLink(current);
        pending = [...(target === '' ? [] : target.split('/')), ...pending];
        current = this.root();
        continue;
      }
      const segment = pending.shift();
      if (segment === undefined) return current;
      if (current.type !== 'ContainerNode') return undefined;
      this.checkTraversable(current, caller);
      const child = this.get(joinPath(current.path, segment));
      if (!child) return undefined;
      current = child;
    }
  }

  /**
   * Resolves a path exactly as written, for grants bound to one path (pre-authorised URLs): a link anywhere
   * on it, the leaf included, is refused rather than followed, so swapping a folder for a link cannot
   * redirect the grant; every container on the way needs read permission as on a direct path.
   */
  resolveExact(p: string, caller: Caller): NodeRecord | undefined {
    let current = this.root();
    for (const segment of p === '' ? [] : p.split('/')) {
      if (current.type === 'LinkNode') throw faults.permission(this.uriOf(current.path));
      if (current.type !== 'ContainerNode') return undefined;
      this.checkTraversable(current, caller);
      const child = this.get(joinPath(current.path, segment));
      if (!child) return undefined;
      current = child;
    }
    if (current.type === 'LinkNode') throw faults.permission(this.uriOf(current.path));
    return current;
  }

  /**
   * The quota that governs bytes stored at `p`: the nearest container at or above `p` with a
   * `core#quota`, with the bytes used below it now. Undefined when no container on the way up has one.
   */
  quotaAt(p: string): { container: NodeRecord; quota: number; used: number } | undefined {
    for (let cur: string | undefined = p; cur !== undefined; cur = parentPath(cur)) {
      const n = this.get(cur);
      const raw = n?.type === 'ContainerNode' ? n.props[PROP.quota] : undefined;
      if (n === undefined || raw === undefined) continue;
      const quota = Number(raw);
      if (!Number.isFinite(quota) || quota < 0) continue;
      return { container: n, quota, used: this.store.bytesBelow(this.name, n.path) };
    }
    return undefined;
  }

  /**
   * Refuses a write of `length` bytes that replaces `previous` bytes at `p` when it would take the governing
   * container over its quota (the old bytes are freed first, as the file system does). Cavern answers 413
   * `limit: <quota − bytes used before the write>`, unclamped; Vault's storage does not check.
   */
  checkQuota(p: string, length: number, previous: number): void {
    if (!this.flavour.quotaOnWrite) return;
    const q = this.quotaAt(parentPath(p) ?? '');
    if (!q) return;
    if (length > q.quota - (q.used - previous)) throw new Fault(413, `limit: ${q.quota - q.used}`);
  }

  /** Builds the node document as CADC writes it. */
  render(n: NodeRecord, caller: Caller, detail: Detail, children?: NodeRecord[]): NodeDoc {
    const doc: NodeDoc = {
      uri: this.uriOf(n.path),
      type: n.type,
      properties: this.properties(n, caller, detail),
    };
    if (n.type === 'LinkNode') doc.target = n.target ?? '';
    if (n.type === 'DataNode') doc.busy = false;
    if (n.type === 'ContainerNode' && children) {
      doc.children = children.map((c) => this.render(c, caller, detail));
    }
    return doc;
  }

  private properties(n: NodeRecord, caller: Caller, detail: Detail): NodeProperty[] {
    if (detail === 'min') return [];
    const ro = (uri: string, value: string): NodeProperty => ({ uri, value, readOnly: true });
    const props: NodeProperty[] = [ro(PROP.date, formatIvoaDate(n.date)), ro(PROP.creator, n.owner)];
    if (n.type === 'ContainerNode' && this.flavour.name === 'vault') {
      // Vault keeps a container's recursive size (vault-quota); CADC's `vls -S` needs it on every container.
      props.push(ro(PROP.length, String(this.store.bytesBelow(this.name, n.path))));
    }
    if (n.type === 'DataNode') {
      props.push(ro(PROP.length, String(n.length)));
      if (n.md5) props.push(ro(PROP.md5, n.md5));
      if (n.contentDate !== null && this.flavour.name === 'vault') {
        props.push(ro(PROP.contentDate, formatIvoaDate(n.contentDate)));
      }
    }
    const stored = { ...n.props };
    if (stored[PROP.ispublic] === undefined) stored[PROP.ispublic] = 'false';
    if (n.type === 'ContainerNode' && stored[PROP.inheritPermissions] === undefined) {
      stored[PROP.inheritPermissions] = 'false';
    }
    for (const [uri, value] of Object.entries(stored)) {
      props.push(uri === PROP.quota ? ro(uri, value) : { uri, value });
    }
    if (detail === 'max') {
      if (this.canRead(n, caller)) props.push(ro(PROP.readable, 'true'));
      if (this.canWrite(n, caller)) props.push(ro(PROP.writable, 'true'));
    }
    return props;
  }
}

function parseGroupsLenient(value: string | undefined): string[] {
  try {
    return parseGroups(value);
  } catch {
    return [];
  }
}
