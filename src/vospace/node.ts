/**
 * Nodes as the library hands them out: a typed, validated view of the server's XML. Anything a hostile or
 * broken server could use to escape a folder (odd names, children outside the listed container, absurd
 * sizes) is rejected here, before any other code sees it.
 */
import { VosError } from './errors.js';
import { GMS_PREFIX } from './gms.js';
import { nodeNameProblem, parentPath, parseVosUri } from './uri.js';
import { PROP, parseIvoaDate, propValue, type NodeDoc } from './xml.js';
import { nameOf } from '../util/rel-path.js';

export type NodeKind = 'file' | 'container' | 'link';

export interface NodeInfo {
  /** The node's URI as the server reports it. */
  uri: string;
  /** Path within the service, no leading slash. */
  path: string;
  name: string;
  kind: NodeKind;
  /** Bytes (0 when unknown or empty). */
  size: number;
  /** Last modification (`core#date`), epoch ms; undefined when missing or unparsable. */
  date: number | undefined;
  /** Hex MD5 of the content, when the server knows it. */
  md5: string | undefined;
  creator: string | undefined;
  isPublic: boolean;
  readGroups: string[];
  writeGroups: string[];
  locked: boolean;
  /** Link target (links only). */
  target: string | undefined;
  /** All properties by URI (nil ones omitted). */
  properties: Record<string, string>;
}

const MAX_SANE_LENGTH = 2 ** 53 - 1;

function groups(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(/\s+/)
    .filter((g) => g !== '' && g !== 'NONE')
    .map((g) => (g.startsWith(GMS_PREFIX) ? g.slice(GMS_PREFIX.length) : g));
}

/** A change to a node's public read and group permissions; a group list of [] removes them all. */
export interface PermissionChange {
  public?: boolean;
  readGroups?: string[];
  writeGroups?: string[];
}

/** The property values a permission change sets (null removes). Bare group names get the GMS prefix. */
export function permissionProperties(change: PermissionChange): Record<string, string | null> {
  const props: Record<string, string | null> = {};
  const value = (gs: string[]) =>
    gs.length === 0 ? null : gs.map((g) => (g.startsWith('ivo://') ? g : GMS_PREFIX + g)).join(' ');
  if (change.public !== undefined) props[PROP.ispublic] = change.public ? 'true' : 'false';
  if (change.readGroups) props[PROP.groupread] = value(change.readGroups);
  if (change.writeGroups) props[PROP.groupwrite] = value(change.writeGroups);
  return props;
}

/** Accepts both CADC's hex and Cavern's occasional `md5:<hex>` spelling. */
export function normaliseMd5(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const v = value.trim().toLowerCase().replace(/^md5:/, '');
  return /^[0-9a-f]{32}$/.test(v) ? v : undefined;
}

/** The path a node URI from the server names; a protocol error when it is unusable. */
export function nodePathOf(uri: string): string {
  try {
    return parseVosUri(uri).path;
  } catch (e) {
    throw new VosError('protocol', `server returned an unusable node URI '${uri}': ${(e as Error).message}`);
  }
}

export function toNodeInfo(doc: NodeDoc): NodeInfo {
  const path = nodePathOf(doc.uri);
  const properties: Record<string, string> = {};
  for (const p of doc.properties) if (!p.nil) properties[p.uri] = p.value;
  const rawLength = propValue(doc, PROP.length);
  let size = 0;
  if (rawLength !== undefined && rawLength.trim() !== '') {
    if (!/^\d+$/.test(rawLength.trim()) || Number(rawLength) > MAX_SANE_LENGTH) {
      throw new VosError('protocol', `server reported an invalid length '${rawLength}' for ${doc.uri}`);
    }
    size = Number(rawLength);
  }
  const rawDate = propValue(doc, PROP.date);
  const date = rawDate ? parseIvoaDate(rawDate) : NaN;
  const kind: NodeKind =
    doc.type === 'ContainerNode' ? 'container' : doc.type === 'LinkNode' ? 'link' : 'file';
  return {
    uri: doc.uri,
    path,
    name: path === '' ? '' : nameOf(path),
    kind,
    size,
    date: Number.isNaN(date) ? undefined : date,
    md5: normaliseMd5(propValue(doc, PROP.md5)),
    creator: propValue(doc, PROP.creator),
    isPublic: propValue(doc, PROP.ispublic) === 'true',
    readGroups: groups(propValue(doc, PROP.groupread)),
    writeGroups: groups(propValue(doc, PROP.groupwrite)),
    locked: propValue(doc, PROP.islocked) === 'true',
    target: doc.type === 'LinkNode' ? doc.target : undefined,
    properties,
  };
}

/** Checks one child of the container at `containerUri` (a direct child with a usable name) as it is read. */
export function childCheck(containerUri: string, containerPath: string): (child: NodeDoc) => NodeInfo {
  const authority = authorityOf(containerUri);
  return (c) => {
    const info = toNodeInfo(c);
    if (authorityOf(c.uri) !== authority) {
      throw new VosError(
        'protocol',
        `server listed '${c.uri}', on another service, as a child of '${containerUri}'`,
      );
    }
    if (parentPath(info.path) !== containerPath) {
      throw new VosError(
        'protocol',
        `server listed '${c.uri}' as a child of '${containerUri}', which it is not`,
      );
    }
    const problem = nodeNameProblem(info.name);
    if (problem)
      throw new VosError('protocol', `server listed an unusable name in ${containerUri}: ${problem}`);
    return info;
  };
}

/** The service part of a node URI (`!` and `~` spellings alike, host case folded); '' when unparsable. */
function authorityOf(uri: string): string {
  try {
    return parseVosUri(uri).authority.toLowerCase();
  } catch {
    return '';
  }
}

/** `vls -l` style permission string: d/l, owner rw, group r/w from groups, other r when public. */
export function permissionString(n: NodeInfo): string {
  const t = n.kind === 'container' ? 'd' : n.kind === 'link' ? 'l' : '-';
  return `${t}rw-${n.readGroups.length ? 'r' : '-'}${n.writeGroups.length ? 'w' : '-'}-${n.isPublic ? 'r' : '-'}--`;
}
