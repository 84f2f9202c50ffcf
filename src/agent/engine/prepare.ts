/**
 * Preparing the three trees for the reconciler, as a pure function of what was observed: the agent's own
 * transfers that a crash or a change cut short become bases (never conflicts), paths that cannot be synced are
 * left out with their reason, and empty remote nodes that may be another machine's upload in progress are held
 * back. It returns the trees to plan from and the index writes that make its decisions durable; pair-sync.ts
 * applies them. Each special case is an entry state in test/agent/prepare.test.ts.
 */
import type { ScanProblem } from '../local/local-scan.js';
import type { BaseEntry, RemoteEntry, SyncMode } from '../model.js';
import { conflictCopyMd5s } from '../reconcile/conflict-name.js';
import { isPlaceholder } from '../remote/port.js';
import { topMost } from './scope.js';
import type { RemoteProblem } from '../remote/remote-scan.js';
import type { Outcome, Trees } from '../store/index-db.js';
import {
  ownDownloadBase,
  ownMkdirBase,
  ownWriteBase,
  setAsideOwnWriteBase,
  type DownloadIntent,
  type MkdirIntent,
  type UploadIntent,
} from '../store/transfer-journal.js';

/** How long an empty node is taken for an upload in progress elsewhere before it counts as an empty file. */
export const PLACEHOLDER_GRACE_MS = 10 * 60_000;

/** Local file systems hold names of at most 255 bytes (ext4, APFS, NTFS in UTF-16 units: the stricter). */
const LOCAL_NAME_MAX_BYTES = 255;

/** The transfer journal's entries (store/transfer-journal.ts): the agent's own writes not yet recorded. */
export interface Journals {
  downloads: ReadonlyMap<string, DownloadIntent>;
  /** Source → destination of server-side moves replaying a local rename. */
  moves: ReadonlyMap<string, string>;
  uploads: ReadonlyMap<string, readonly UploadIntent[]>;
  mkdirs: ReadonlyMap<string, MkdirIntent>;
}

export interface PrepareInput {
  trees: Trees;
  journals: Journals;
  /** False when the remote tree is the last listing's, reused: remote writes and placeholders are judged only against a fresh one. */
  freshListing: boolean;
  /** Local paths the scanner could not read: neither present nor deleted. */
  unreadable: Iterable<string>;
  /** Why the remote cannot hold a local name (the Remote's rule). */
  nameProblem: (localName: string) => string | undefined;
  mode: SyncMode;
  /** The remote makes nodes before their bytes arrive (RemoteCapabilities.placeholders). */
  placeholders: boolean;
  /** Empty remote nodes held back so far, and since when (local clock). */
  placeholderSeen: ReadonlyMap<string, number>;
  now: number;
  isIgnored: (path: string, isDir: boolean) => boolean;
}

export interface Prepared {
  /** The trees to plan from (new maps; the input's are not changed). */
  trees: Trees;
  /** Index writes, in order: bases adopted from the journals, bases re-keyed by replayed moves. */
  outcomes: Outcome[];
  /** Journal entries settled, to forget. */
  settled: { downloads: string[]; moves: string[]; uploads: string[]; mkdirs: string[] };
  localProblems: ScanProblem[];
  remoteProblems: RemoteProblem[];
  /** Remote files held back because another machine is still uploading them. */
  waiting: { path: string; reason: string }[];
  /** The empty nodes held back after this cycle, and since when: every other mark is forgotten. */
  placeholderSeen: Map<string, number>;
}

export function prepare(input: PrepareInput): Prepared {
  // A map's entries may be deleted while it is iterated: the loops below walk the trees without copying them.
  const trees: Trees = {
    local: new Map(input.trees.local),
    remote: new Map(input.trees.remote),
    base: new Map(input.trees.base),
  };
  const out: Prepared = {
    trees,
    outcomes: [],
    settled: { downloads: [], moves: [], uploads: [], mkdirs: [] },
    localProblems: [],
    remoteProblems: [],
    waiting: [],
    placeholderSeen: new Map(),
  };
  const adopt = (p: string, base: BaseEntry | undefined) => {
    if (!base) return;
    out.outcomes.push({ path: p, base });
    trees.base.set(p, base);
  };
  adoptOwnWrites(input, trees, out, adopt);
  // Paths the scanner could not read are neither present nor deleted: leave them out of this plan.
  const leaveOut = (u: string) => {
    for (const t of [trees.local, trees.remote, trees.base] as Map<string, unknown>[]) {
      for (const p of t.keys()) if (p === u || p.startsWith(u + '/')) t.delete(p);
    }
  };
  for (const u of input.unreadable) leaveOut(u);
  // Names the service cannot store even mapped (too long), or at all with the mapping off, stay local,
  // reported, never retried.
  for (const p of unstorableNames(trees.local.keys(), input.nameProblem)) {
    leaveOut(p.path);
    out.localProblems.push({ path: p.path, kind: 'error', message: `not synced: ${p.problem}` });
  }
  // Remote names this disk cannot hold: reported, never retried.
  for (const p of topMost([...trees.remote.keys()].filter((r) => localNameTooLong(r)))) {
    leaveOut(p);
    out.remoteProblems.push({ path: p, message: 'not synced: name too long for this disk (over 255 bytes)' });
  }
  if (input.placeholders) {
    // An empty placeholder left by an interrupted upload (a push negotiation creates the node first) is not a
    // remote version worth a conflict: plan the upload over it.
    if (input.mode !== 'mirror-down') {
      for (const [p, r] of trees.remote) {
        const l = trees.local.get(p);
        if (isPlaceholder(r) && !trees.base.has(p) && l?.kind === 'file' && l.size > 0)
          trees.remote.delete(p);
      }
    }
    // A new empty remote file is most likely a node another machine is still uploading into: waited for, not
    // downloaded as an empty file, until it has stayed empty for a while. Judged only against a fresh listing;
    // until the next one the marks stay as they are.
    if (input.freshListing) holdPlaceholders(input, trees, out);
    else out.placeholderSeen = new Map(input.placeholderSeen);
  }
  // Newly ignored paths are not deletions.
  for (const [p, b] of trees.base) if (input.isIgnored(p, b.kind === 'dir')) trees.base.delete(p);
  return out;
}

/**
 * The agent's own transfers that a crash or a change cut short become bases, not conflicts: a file left in place
 * between a download's rename and its commit is that downloaded version, and content on the server that this
 * agent sent itself (an upload cut, killed, or abandoned because the file changed meanwhile) is its own write.
 * Remote writes are judged only against a fresh listing; entries no longer true are forgotten.
 */
function adoptOwnWrites(
  input: PrepareInput,
  trees: Trees,
  out: Prepared,
  adopt: (p: string, base: BaseEntry | undefined) => void,
): void {
  const { journals } = input;
  for (const [p, d] of journals.downloads) {
    adopt(p, ownDownloadBase(p, d, trees.local.get(p)));
    out.settled.downloads.push(p);
  }
  if (!input.freshListing) return;
  // A rename replayed on the server whose index update a crash prevented: the base follows the move.
  for (const [from, to] of journals.moves) {
    if (trees.remote.has(to) && !trees.remote.has(from) && trees.base.has(from) && !trees.base.has(to)) {
      const inside = (p: string) => p === from || p.startsWith(`${from}/`);
      const moved = [...trees.base.values()].filter((b) => inside(b.path));
      const movedTo = (b: BaseEntry): BaseEntry => ({ ...b, path: to + b.path.slice(from.length) });
      out.outcomes.push(
        ...moved.map((b) => ({ path: b.path, base: null })),
        ...moved.map((b) => ({ path: movedTo(b).path, base: movedTo(b) })),
      );
      for (const b of moved) trees.base.delete(b.path);
      for (const b of moved) trees.base.set(movedTo(b).path, movedTo(b));
    }
    out.settled.moves.push(from);
  }
  const copies = journals.uploads.size > 0 ? conflictCopyMd5s(trees.remote) : new Map<string, Set<string>>();
  for (const [p, sent] of journals.uploads) {
    const remote = trees.remote.get(p);
    const base = trees.base.get(p);
    // The server holds a version this machine sent, or another machine set it aside for its own.
    adopt(p, ownWriteBase(p, sent, remote, base));
    adopt(p, setAsideOwnWriteBase(p, sent, remote, copies.get(p) ?? new Set(), base));
    if (input.placeholders) adopt(p, ownPlaceholderBase(p, remote, trees.base.get(p)));
    out.settled.uploads.push(p);
  }
  for (const [p, made] of journals.mkdirs) {
    adopt(p, ownMkdirBase(p, made, trees.remote.get(p), trees.base.get(p)));
    out.settled.mkdirs.push(p);
  }
}

/**
 * The empty node our own push negotiation left where an upload was cut before its bytes: our write, of nothing.
 * As a base, whatever the path holds here now (the file, a folder that replaced it, nothing) is a local change
 * over it, not a conflict with it; bytes another machine puts there later are a remote change.
 */
function ownPlaceholderBase(p: string, remote: RemoteEntry | undefined, base: BaseEntry | undefined) {
  if (base || !remote || !isPlaceholder(remote)) return undefined;
  return {
    path: p,
    kind: 'file',
    size: 0,
    localMtimeMs: 0,
    localIno: 0,
    remoteDateMs: remote.dateMs,
    uploaded: true,
  } satisfies BaseEntry;
}

/** Takes empty new remote nodes out of the plan while they may still be uploads in progress elsewhere. */
function holdPlaceholders(input: PrepareInput, trees: Trees, out: Prepared): void {
  for (const [p, r] of trees.remote) {
    if (!isPlaceholder(r) || trees.base.has(p) || trees.local.has(p)) continue;
    const since = input.placeholderSeen.get(p) ?? input.now;
    if (input.now - since >= PLACEHOLDER_GRACE_MS) continue; // an empty file after all
    out.placeholderSeen.set(p, since);
    trees.remote.delete(p);
    out.waiting.push({
      path: p,
      reason: 'empty on the server: being uploaded from another machine; waiting for it',
    });
  }
}

function localNameTooLong(rel: string): boolean {
  return rel.split('/').some((seg) => Buffer.byteLength(seg) > LOCAL_NAME_MAX_BYTES);
}

/** The top-most local paths whose names the remote cannot hold, and why. */
export function unstorableNames(
  paths: Iterable<string>,
  nameProblem: (localName: string) => string | undefined,
): { path: string; problem: string }[] {
  // Each path's first unstorable segment; a folder's problem then covers what is below it.
  const found = new Map<string, string>();
  for (const p of paths) {
    const segs = p.split('/');
    for (let i = 0; i < segs.length; i++) {
      const problem = nameProblem(segs[i]!);
      if (problem === undefined) continue;
      const top = segs.slice(0, i + 1).join('/');
      if (!found.has(top)) found.set(top, problem);
      break;
    }
  }
  return topMost(found.keys()).map((path) => ({ path, problem: found.get(path)! }));
}
