/**
 * VOSpace identifiers: `vos://cadc.nrc.ca~vault/alice/x.fits`, the `!` spelling, and the short forms
 * `vos:alice/x.fits` / `arc:home/alice` used by CADC's tools. Shared by the client and the server.
 */
import { parentOf } from '../util/rel-path.js';

export const VOSPACE_NS = 'http://www.ivoa.net/xml/VOSpace/v2.0';

export class InvalidUriError extends Error {
  constructor(
    message: string,
    readonly input: string,
  ) {
    super(message);
    this.name = 'InvalidUriError';
  }
}

/** A parsed node identifier. `path` has no leading or trailing slash; the root is `''`. */
export interface VosUri {
  /** Authority with CADC's `~` separator, e.g. `cadc.nrc.ca~vault`. */
  readonly authority: string;
  readonly path: string;
}

/** Characters CADC cannot address in a node name (it re-parses names as URI paths), plus our separators. */
const FORBIDDEN_NAME_CHARS = /[\s"<>[\]{}|\\^`%#?/]/u;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/u;
const MAX_NAME_BYTES = 255;

/** Why a single node name is unusable, or undefined when it is fine. */
export function nodeNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'empty path segment';
  if (name === '.' || name === '..') return `'${name}' is not a valid node name`;
  if (CONTROL_CHARS.test(name)) return 'node name contains a control character';
  const bad = FORBIDDEN_NAME_CHARS.exec(name);
  if (bad) return `node name contains an illegal character '${bad[0] === ' ' ? 'space' : bad[0]}'`;
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES)
    return `node name longer than ${MAX_NAME_BYTES} bytes`;
  if (name.normalize('NFC') !== name) return 'node name is not in Unicode NFC form';
  return undefined;
}

/** Splits and validates a node path (`a/b/c`, leading/trailing slashes tolerated). Throws InvalidUriError. */
export function splitNodePath(path: string, input = path): string[] {
  const trimmed = path.replace(/^\/+/, '').replace(/\/+$/, '');
  if (trimmed === '') return [];
  const parts = trimmed.split('/');
  for (const part of parts) {
    const problem = nodeNameProblem(part);
    if (problem) throw new InvalidUriError(`${problem} in '${input}'`, input);
  }
  return parts;
}

/** Normalises an authority: `cadc.nrc.ca!vault` and `cadc.nrc.ca~vault` are the same service. */
export function normaliseAuthority(authority: string): string {
  return authority.replace(/!/g, '~');
}

/** `ivo://cadc.nrc.ca/vault` → `cadc.nrc.ca~vault`. */
export function authorityFromResourceId(resourceId: string): string {
  const m = /^ivo:\/\/(.+)$/.exec(resourceId);
  if (!m || !m[1]) throw new InvalidUriError(`not an ivo:// resource identifier: ${resourceId}`, resourceId);
  return m[1].replace(/\/+$/, '').replace(/\//g, '~');
}

/** `cadc.nrc.ca~vault` → `ivo://cadc.nrc.ca/vault`. */
export function resourceIdFromAuthority(authority: string): string {
  return 'ivo://' + normaliseAuthority(authority).replace(/~/g, '/');
}

/** Parses a full `vos://authority/path` identifier. Percent-escapes in the path are decoded once. */
export function parseVosUri(input: string): VosUri {
  const m = /^vos:\/\/([^/?#]+)(\/[^?#]*)?$/.exec(input.trim());
  if (!m || !m[1]) throw new InvalidUriError(`not a vos:// URI: '${input}'`, input);
  let decoded: string;
  try {
    decoded = decodeURIComponent(m[2] ?? '');
  } catch {
    throw new InvalidUriError(`bad percent-encoding in '${input}'`, input);
  }
  const parts = splitNodePath(decoded, input);
  return { authority: normaliseAuthority(m[1]), path: parts.join('/') };
}

/** Encodes a node path for a URI or URL: ASCII stays, everything else is UTF-8 percent-encoded. */
export function encodeNodePath(path: string): string {
  return path
    .split('/')
    .map((seg) => seg.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@]/gu, (c) => encodeURIComponent(c)))
    .join('/');
}

/** Formats `vos://authority/path` exactly as CADC emits it (`~` separator, no trailing slash, ASCII only). */
export function formatVosUri(uri: VosUri): string {
  const base = `vos://${normaliseAuthority(uri.authority)}`;
  return uri.path === '' ? base : `${base}/${encodeNodePath(uri.path)}`;
}

/** The parent of a node path; the service root has none. */
export function parentPath(path: string): string | undefined {
  return path === '' ? undefined : parentOf(path);
}

/** True when `path` equals `ancestor` or lies below it. */
export function isSameOrBelow(path: string, ancestor: string): boolean {
  return ancestor === '' || path === ancestor || path.startsWith(ancestor + '/');
}
