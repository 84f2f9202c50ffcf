/**
 * What users type (`vos:alice/x.fits`, `arc:home/alice`, `vos://cadc.nrc.ca~vault/alice`) → which
 * service (IVOA resource ID) and which node path.
 */
import {
  InvalidUriError,
  authorityFromResourceId,
  formatVosUri,
  parseVosUri,
  resourceIdFromAuthority,
  splitNodePath,
} from './uri.js';

/** CADC's registry ids of its two VOSpace services. */
export const VAULT_RESOURCE_ID = 'ivo://cadc.nrc.ca/vault';
export const ARC_RESOURCE_ID = 'ivo://cadc.nrc.ca/arc';

export const BUILTIN_SCHEMES: Readonly<Record<string, string>> = {
  vos: VAULT_RESOURCE_ID,
  vault: VAULT_RESOURCE_ID,
  arc: ARC_RESOURCE_ID,
};

export interface NodeLocation {
  /** e.g. `ivo://cadc.nrc.ca/vault`, or an http(s) service base for services outside any registry. */
  resourceId: string;
  /** Node path without leading slash; '' is the service root. */
  path: string;
  /** The scheme the user wrote (`vos`, `arc`, …), for messages. */
  scheme: string;
}

/** True when a string names a remote node rather than a local file. */
export function isRemote(s: string, schemes: Record<string, string> = {}): boolean {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(s);
  if (!m?.[1]) return false;
  const scheme = m[1].toLowerCase();
  // A Windows drive letter is not a scheme.
  if (scheme.length === 1) return false;
  return scheme === 'vos' || scheme in BUILTIN_SCHEMES || scheme in schemes;
}

/** Parses a remote location; relative segments are normalised, `..` above the root is an error. */
export function parseLocation(input: string, schemes: Record<string, string> = {}): NodeLocation {
  const s = input.trim();
  if (s.startsWith('vos://')) {
    const u = parseVosUri(s);
    return { resourceId: resourceIdFromAuthority(u.authority), path: u.path, scheme: 'vos' };
  }
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/s.exec(s);
  if (!m?.[1])
    throw new InvalidUriError(
      `not a remote location: '${input}' (expected vos:path, arc:path or vos://…)`,
      input,
    );
  const scheme = m[1].toLowerCase();
  const resourceId = schemes[scheme] ?? BUILTIN_SCHEMES[scheme];
  if (!resourceId) {
    throw new InvalidUriError(
      `unknown scheme '${scheme}:' in '${input}' (known: ${[...Object.keys(BUILTIN_SCHEMES), ...Object.keys(schemes)].join(', ')})`,
      input,
    );
  }
  const raw = m[2] ?? '';
  if (raw.includes('#') || raw.includes('?'))
    throw new InvalidUriError(`'#' and '?' cannot be used in node names: '${input}'`, input);
  const stack: string[] = [];
  for (const seg of raw.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (stack.length === 0)
        throw new InvalidUriError(`path climbs above the service root: '${input}'`, input);
      stack.pop();
    } else stack.push(seg);
  }
  return { resourceId, path: splitNodePath(stack.join('/'), input).join('/'), scheme };
}

/** The canonical `vos://` URI of a location (CADC's `~` spelling). */
export function locationUri(loc: NodeLocation): string {
  if (/^https?:/.test(loc.resourceId)) {
    return formatVosUri({ authority: new URL(loc.resourceId).host.replace(/:/g, '~'), path: loc.path });
  }
  return formatVosUri({ authority: authorityFromResourceId(loc.resourceId), path: loc.path });
}

/** `scheme:path` as users write it, for messages. */
export function displayLocation(loc: NodeLocation): string {
  return `${loc.scheme}:${loc.path}`;
}

export function childLocation(loc: NodeLocation, name: string): NodeLocation {
  return { ...loc, path: loc.path === '' ? name : `${loc.path}/${name}` };
}
