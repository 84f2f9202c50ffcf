/**
 * The remote side of a pair: a recursive listing of the pair's remote folder through the Remote port, folders
 * listed in parallel with a bound, turned into the remote tree of the index.
 */
import PQueue from 'p-queue';
import { VosError } from '../../util/errors.js';
import type { RemoteEntry } from '../model.js';
import type { Remote } from './port.js';

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
  /** The folder to list, relative to the pair's root (default: the root itself); entries are relative to it. */
  under?: string;
  /** Stops the listing (between and during its requests); the scan then rejects with the signal's reason. */
  signal?: AbortSignal;
}

export async function scanRemote(remote: Remote, opts: RemoteScanOptions = {}): Promise<RemoteScanResult> {
  const result: RemoteScanResult = {
    rootExists: true,
    entries: new Map(),
    problems: [],
    unlisted: [],
    requests: 0,
  };
  const top = opts.under ?? '';
  const rootInfo = await remote.stat(top);
  result.requests++;
  if (!rootInfo) {
    result.rootExists = false;
    return result;
  }
  if (rootInfo.kind !== 'dir') {
    throw new VosError('invalid', `remote folder ${remote.uri}${top ? `/${top}` : ''} is not a container`);
  }
  const queue = new PQueue({ concurrency: opts.concurrency ?? 8 });
  let fatal: unknown;
  const list = async (rel: string): Promise<void> => {
    try {
      result.requests++;
      const at = top === '' ? rel : rel === '' ? top : `${top}/${rel}`;
      for await (const child of remote.list(at, opts.signal ? { signal: opts.signal } : {})) {
        if (at === '' && child.name === REMOTE_TRASH) continue;
        const childRel = rel === '' ? child.name : `${rel}/${child.name}`;
        if (child.unmappable !== undefined) {
          result.problems.push({
            path: childRel,
            message: `remote name '${child.unmappable}' has no local name that maps back to it; not synced`,
          });
          continue;
        }
        if (child.kind === 'link') {
          result.problems.push({ path: childRel, message: 'link node not synced' });
          continue;
        }
        const isDir = child.kind === 'dir';
        if (opts.isExcluded?.(childRel, isDir)) continue;
        const entry: RemoteEntry = {
          path: childRel,
          kind: child.kind,
          size: isDir ? 0 : child.size,
          dateMs: child.dateMs ?? 0,
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
