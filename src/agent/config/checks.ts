/**
 * Checks that span several pairs or sections: unique names, local folders that nest, remote folders two
 * uploading pairs would share, and vosync's own state or log sitting inside a synced folder (it would sync
 * its own index, forever). They run on whatever parsed cleanly, so they are reported together with the
 * field-level mistakes elsewhere in the file.
 */
import ignore from 'ignore';
import { PAIR_META_DIR } from '../local/ignore.js';
import { isSameOrBelow } from '../remote/vospace/location.js';
import { makeIssue, type ConfigIssue } from './issues.js';
import { isSameOrInside, samePath, type HostContext } from './paths.js';
import { pathApi } from '../../util/platform-paths.js';
import type { SyncMode } from '../model.js';
import type { ParsedRemote } from './schema.js';

/** What the cross checks need of a pair; each part present only when that field parsed. */
export interface PairCore {
  index: number;
  /** Given or derived from the folder; absent when neither is usable. */
  name?: string;
  nameGiven: boolean;
  local?: string;
  remote?: ParsedRemote;
  /** The declared mode, or two-way (the strictest for these checks) when it did not parse. */
  mode: SyncMode;
  ignore: string[];
}

type WithLocal = PairCore & { local: string };

function label(p: PairCore): string {
  return p.name === undefined ? `pairs[${p.index}]` : `pairs[${p.index}] ('${p.name}')`;
}

export function duplicateNameIssues(pairs: readonly PairCore[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seen = new Map<string, PairCore>();
  for (const p of pairs) {
    if (p.name === undefined) continue;
    // Case-insensitive: names end up in file names and URLs on case-insensitive systems.
    const key = p.name.toLowerCase();
    const first = seen.get(key);
    if (!first) {
      seen.set(key, p);
      continue;
    }
    const derived = p.nameGiven ? '' : ' (derived from the folder name; give this pair its own name:)';
    issues.push(
      makeIssue(
        ['pairs', p.index, p.nameGiven ? 'name' : 'local'],
        `pair name '${p.name}' is already used by pairs[${first.index}]${derived}`,
        { expected: 'a name no other pair uses' },
      ),
    );
  }
  return issues;
}

export function overlappingLocalIssues(all: readonly PairCore[], platform: NodeJS.Platform): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const pairs = all.filter((p): p is WithLocal => p.local !== undefined);
  for (let j = 0; j < pairs.length; j++) {
    for (let i = 0; i < j; i++) {
      const a = pairs[i] as WithLocal;
      const b = pairs[j] as WithLocal;
      let inner: WithLocal;
      let message: string;
      if (samePath(a.local, b.local, platform)) {
        inner = b;
        message = `local folder ${b.local} is also the folder of ${label(a)}`;
      } else if (isSameOrInside(b.local, a.local, platform)) {
        inner = b;
        message = `local folder ${b.local} is inside the folder of ${label(a)}, ${a.local}`;
      } else if (isSameOrInside(a.local, b.local, platform)) {
        inner = a;
        message = `local folder ${a.local} is inside the folder of ${label(b)}, ${b.local}`;
      } else continue;
      issues.push(
        makeIssue(['pairs', inner.index, 'local'], `${message}; pairs must not overlap`, {
          expected: "a folder outside every other pair's folder",
        }),
      );
    }
  }
  return issues;
}

function sameService(a: ParsedRemote, b: ParsedRemote): boolean {
  const id = (r: ParsedRemote) => r.location.resourceId.replace(/\/+$/, '').toLowerCase();
  return id(a) === id(b);
}

/** Two pairs that write to the remote must not share a remote folder; mirror-down pairs only read it. */
export function overlappingRemoteIssues(pairs: readonly PairCore[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const writers = pairs.filter(
    (p): p is PairCore & { remote: ParsedRemote } => p.remote !== undefined && p.mode !== 'mirror-down',
  );
  for (let j = 0; j < writers.length; j++) {
    for (let i = 0; i < j; i++) {
      const a = writers[i] as PairCore & { remote: ParsedRemote };
      const b = writers[j] as PairCore & { remote: ParsedRemote };
      if (!sameService(a.remote, b.remote)) continue;
      const pa = a.remote.location.path;
      const pb = b.remote.location.path;
      if (!isSameOrBelow(pa, pb) && !isSameOrBelow(pb, pa)) continue;
      const how = pa === pb ? 'is the same remote folder as' : 'overlaps the remote folder of';
      issues.push(
        makeIssue(
          ['pairs', b.index, 'remote'],
          `${b.remote.remote} ${how} ${label(a)}, ${a.remote.remote}; two pairs that upload must not share remote folders`,
          { expected: "a remote folder outside every other uploading pair's remote folder" },
        ),
      );
    }
  }
  return issues;
}

/** True when a path below a pair's root is left alone by the pair (its own folder or its ignore patterns). */
function ignoredByPair(pair: PairCore, relPosix: string, isDir: boolean): boolean {
  if (relPosix.split('/')[0] === PAIR_META_DIR) return true;
  const ig = ignore().add(pair.ignore);
  const parts = relPosix.split('/');
  // As in git, a file is ignored when any of its parent folders is.
  for (let n = 1; n <= parts.length; n++) {
    const prefix = parts.slice(0, n).join('/');
    if (ig.ignores(n < parts.length || isDir ? `${prefix}/` : prefix)) return true;
  }
  return false;
}

export interface OwnFiles {
  stateDir: { path: string; segments: (string | number)[] | undefined };
  logFile: { path: string; segments: (string | number)[] | undefined };
}

/**
 * vosync's state folder and log file must not be synced: each write would be a change to upload. Reported at
 * the setting when the file sets it, else at the pair's `local`.
 */
export function ownFilesInsidePairIssues(
  all: readonly PairCore[],
  own: OwnFiles,
  host: HostContext,
): ConfigIssue[] {
  const p = pathApi(host.platform);
  const issues: ConfigIssue[] = [];
  const pairs = all.filter((x): x is WithLocal => x.local !== undefined);
  const items = [
    { what: 'the state folder', setting: 'state.dir', isDir: true, ...own.stateDir },
    { what: 'the log file', setting: 'log.file', isDir: false, ...own.logFile },
  ];
  for (const item of items) {
    for (const ip of pairs) {
      if (!isSameOrInside(item.path, ip.local, host.platform)) continue;
      const rel = p.relative(ip.local, item.path).split(p.sep).join('/');
      if (rel !== '' && ignoredByPair(ip, rel, item.isDir)) continue;
      const fix =
        rel === ''
          ? `set ${item.setting} elsewhere`
          : `set ${item.setting} elsewhere or add '${rel}${item.isDir ? '/' : ''}' to the pair's ignore list`;
      issues.push(
        makeIssue(
          item.segments ?? ['pairs', ip.index, 'local'],
          `${item.what} ${item.path} is inside the folder of ${label(ip)}, so vosync would sync its own files; ${fix}`,
          { expected: `${item.setting} outside every pair's folder, or ignored by the pair` },
        ),
      );
    }
  }
  return issues;
}
