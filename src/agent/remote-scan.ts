/**
 * The remote side of a pair: a recursive listing of the pair's remote root through the client library,
 * containers listed in parallel with a bound, turned into the remote tree of the index.
 */
import PQueue from 'p-queue';
import type { Client } from '../vospace/client.js';
import { VosError } from '../vospace/errors.js';
import { childLocation, type NodeLocation } from '../vospace/location.js';
import type { RemoteEntry } from './model.js';

/** The remote trash container of a pair lives in its remote root and is never synced. */
export const REMOTE_TRASH = '.vosync-trash';

export interface RemoteProblem {
  path: string;
  message: string;
}

export interface RemoteScanResult {
  /** False when the remote root does not exist (yet). */
  rootExists: boolean;
  entries: Map<string, RemoteEntry>;
  problems: RemoteProblem[];
  /** Containers that could not be listed: their subtrees are unknown, not empty. */
  unlisted: string[];
  requests: number;
}

export interface RemoteScanOptions {
  concurrency?: number;
  /** Paths (relative to the root) to leave out, e.g. ignored names; checked before descending. */
  isExcluded?: (relPath: string, isDir: boolean) => boolean;
}

export async function scanRemote(
  client: Client,
  root: NodeLocation,
  opts: RemoteScanOptions = {},
): Promise<RemoteScanResult> {
  const result: RemoteScanResult = {
    rootExists: true,
    entries: new Map(),
    problems: [],
    unlisted: [],
    requests: 0,
  };
  const rootInfo = await client.tryGetInfo(root);
  result.requests++;
  if (!rootInfo) {
    result.rootExists = false;
    return result;
  }
  if (rootInfo.kind !== 'container') {
    throw new VosError('invalid', `remote root ${root.scheme}:${root.path} is not a container`);
  }
  const queue = new PQueue({ concurrency: opts.concurrency ?? 8 });
  let fatal: unknown;
  const list = async (rel: string): Promise<void> => {
    const loc = rel === '' ? root : { ...root, path: `${root.path}/${rel}` };
    try {
      result.requests++;
      for await (const child of client.iterate(loc)) {
        const childRel = rel === '' ? child.name : `${rel}/${child.name}`;
        if (rel === '' && child.name === REMOTE_TRASH) continue;
        if (child.kind === 'link') {
          result.problems.push({ path: childRel, message: 'link node not synced' });
          continue;
        }
        const isDir = child.kind === 'container';
        if (opts.isExcluded?.(childRel, isDir)) continue;
        const entry: RemoteEntry = {
          path: childRel,
          kind: isDir ? 'dir' : 'file',
          size: isDir ? 0 : child.size,
          dateMs: child.date ?? 0,
        };
        if (!isDir && child.md5) entry.md5 = child.md5;
        result.entries.set(childRel, entry);
        if (isDir) void queue.add(() => list(childRel));
      }
    } catch (e) {
      if (
        e instanceof VosError &&
        (e.kind === 'not-found' || e.kind === 'permission' || e.kind === 'protocol')
      ) {
        // Vanished while listing, unreadable, or a listing we refuse to trust: its subtree is unknown.
        result.unlisted.push(rel);
        result.problems.push({ path: rel, message: e.message });
        return;
      }
      fatal ??= e;
      queue.clear();
    }
  };
  void queue.add(() => list(''));
  await queue.onIdle();
  if (fatal) throw fatal;
  return result;
}

export function remoteChild(root: NodeLocation, rel: string): NodeLocation {
  let loc = root;
  for (const seg of rel.split('/')) loc = childLocation(loc, seg);
  return loc;
}
