/**
 * Command-line arguments that name remote nodes: telling them from local paths, expanding wildcards in the
 * last path component (vls/vcp style: `vos:alice/*.fits`), and the JSON shape of a node.
 */
import type { Client } from '../../vospace/client.js';
import { VosError } from '../../vospace/errors.js';
import { isRemote } from '../../vospace/location.js';
import { permissionString, type NodeInfo } from '../../vospace/node.js';

export function isRemoteArg(arg: string): boolean {
  return isRemote(arg);
}

const GLOB_CHARS = /[*?[]/;

export function hasGlob(s: string): boolean {
  return GLOB_CHARS.test(s);
}

/** A shell-style pattern for one path component: `*`, `?`, `[abc]`, `[!abc]`. */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, end);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]]/g, '\\$&')}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'u');
}

/** Whether a name matches a pattern; hidden names match only patterns that start with a dot. */
export function globMatch(pattern: string, name: string): boolean {
  if (name.startsWith('.') && !pattern.startsWith('.')) return false;
  return globToRegExp(pattern).test(name);
}

/** Splits `vos:a/b/c` into `vos:a/b` and `c` (`vos:c` into `vos:` and `c`). */
export function splitRemote(arg: string): { parent: string; last: string } {
  const trimmed = arg.replace(/\/+$/, '');
  const slash = trimmed.lastIndexOf('/');
  const colon = trimmed.indexOf(':');
  const cut = Math.max(slash, colon);
  return { parent: trimmed.slice(0, slash > colon ? slash : colon + 1), last: trimmed.slice(cut + 1) };
}

export function joinRemote(parent: string, name: string): string {
  return parent.endsWith(':') || parent.endsWith('/') ? `${parent}${name}` : `${parent}/${name}`;
}

/** The last path component of a remote argument (the service root has none). */
export function remoteBaseName(arg: string): string {
  return splitRemote(arg).last;
}

/**
 * Expands a wildcard in the last component by listing the parent; arguments without wildcards come back
 * unchanged. No match is a not-found error naming the pattern.
 */
export async function expandRemote(client: Client, arg: string): Promise<string[]> {
  if (!hasGlob(arg)) return [arg];
  const { parent, last } = splitRemote(arg);
  if (hasGlob(parent.slice(parent.indexOf(':') + 1))) {
    throw new VosError('invalid', `${arg}: wildcards are only allowed in the last path component`);
  }
  const names = (await client.listdir(parent)).filter((n) => globMatch(last, n)).sort();
  if (names.length === 0) throw new VosError('not-found', `${arg}: no match`);
  const keepSlash = arg.endsWith('/');
  return names.map((n) => joinRemote(parent, n) + (keepSlash ? '/' : ''));
}

export interface NodeJson {
  location: string;
  name: string;
  kind: NodeInfo['kind'];
  size: number;
  modified: string | null;
  md5: string | null;
  creator: string | null;
  permissions: string;
  public: boolean;
  readGroups: string[];
  writeGroups: string[];
  locked: boolean;
  target?: string;
  children?: NodeJson[];
}

export function nodeJson(info: NodeInfo, location: string): NodeJson {
  const out: NodeJson = {
    location,
    name: info.name,
    kind: info.kind,
    size: info.size,
    modified: info.date === undefined ? null : new Date(info.date).toISOString(),
    md5: info.md5 ?? null,
    creator: info.creator ?? null,
    permissions: permissionString(info),
    public: info.isPublic,
    readGroups: info.readGroups,
    writeGroups: info.writeGroups,
    locked: info.locked,
  };
  if (info.kind === 'link') out.target = info.target ?? '';
  return out;
}

/**
 * Explains a failed write to a locked node, which some services report obscurely (a failed transfer
 * negotiation); other errors come back unchanged.
 */
export async function explainWriteFailure(client: Client, dst: string, e: unknown): Promise<unknown> {
  if (e instanceof VosError && e.kind === 'locked') {
    return new VosError('locked', `${dst} is locked; unlock it first: vosync lock --unlock ${dst}`);
  }
  try {
    const info = await client.tryGetInfo(dst);
    if (info?.locked) {
      return new VosError('locked', `${dst} is locked; unlock it first: vosync lock --unlock ${dst}`);
    }
  } catch {
    // keep the original error
  }
  return e;
}
