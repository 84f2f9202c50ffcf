/**
 * The remote side of a pair: a recursive listing of the pair's remote root through the client library,
 * containers listed in parallel with a bound, turned into the remote tree of the index.
 */
import PQueue from 'p-queue';
import type { Client } from '../../vospace/client.js';
import { childLocation, type NodeLocation } from '../../vospace/location.js';
import { NAME_MAPPING, type NameCodec } from '../../vospace/names.js';
import type { RemoteEntry } from '../model.js';
import { VosError } from '../../util/errors.js';

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
  /** How node names become local names (default: the reversible mapping); entries are keyed by local name. */
  names?: NameCodec;
  /** Stops the listing (between and during its requests); the scan then rejects with the signal's reason. */
  signal?: AbortSignal;
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
  const names = opts.names ?? NAME_MAPPING;
  let fatal: unknown;
  const list = async (rel: string, loc: NodeLocation): Promise<void> => {
    try {
      result.requests++;
      for await (const child of client.iterate(loc, opts.signal ? { signal: opts.signal } : {})) {
        if (rel === '' && child.name === REMOTE_TRASH) continue;
        const localName = names.decode(child.name);
        const childRel = rel === '' ? localName : `${rel}/${localName}`;
        // A name that does not come back from its local name (not NFC, or characters CADC cannot store made by
        // another tool) could not be addressed again: reported, left alone.
        if (names.encode(localName) !== child.name) {
          result.problems.push({
            path: childRel,
            message: `remote name '${child.name}' has no local name that maps back to it; not synced`,
          });
          continue;
        }
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
        if (isDir) void queue.add(() => list(childRel, childLocation(loc, child.name)));
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
  void queue.add(() => list('', root));
  await queue.onIdle();
  if (fatal) throw fatal;
  return result;
}

/** The node of a local relative path below the pair's remote root, each name mapped by `names`. */
export function remoteChild(root: NodeLocation, rel: string, names: NameCodec = NAME_MAPPING): NodeLocation {
  let loc = root;
  for (const seg of rel.split('/')) loc = childLocation(loc, names.encode(seg));
  return loc;
}
