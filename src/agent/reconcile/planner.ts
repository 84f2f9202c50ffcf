/**
 * Walks the union of the three trees top-down and turns each path's decision (table.ts) into actions.
 *
 * Folders: a folder present on both sides is simply descended into. A folder to be deleted on one side is only
 * deleted when nothing inside it is kept there ("an edit beats a delete" one level up); otherwise it is kept and,
 * where the mode allows, re-created on the side that deleted it.
 *
 * Conflicts (file/file with different content, and any file/folder pair where both sides changed) are resolved as
 * a whole subtree: the losing item and its contents go to the trash or aside under a conflict-copy name, the
 * winner is copied over. On the first sync (empty base) every conflict keeps both versions, so nothing is deleted
 * or overwritten.
 *
 * Case-insensitive local disk: siblings whose names differ only in letter case are a "clash group". The member
 * already on the local disk keeps the name (or, if none is, the one in base, else the first in path order); the
 * others are left alone with a `case-clash` notice: never downloaded (that would overwrite the holder), never
 * deleted on either side (a case-only difference must not cause a delete). If the holder leaves the local disk in
 * this plan (deleted remotely), the next member takes its place in the same plan.
 *
 * Longer than most modules on purpose: the walk, conflict resolution and the action emitters share one plan under
 * construction (taken names, trashed subtrees, the case-clash holders) that splitting would thread through every
 * call; the decision table and comparisons it applies live in table.ts and compare.ts.
 */
import type { BaseEntry, ConflictPolicy, EntryKind, LocalEntry, RemoteEntry, SyncMode } from '../model.js';
import { conflictCopyMd5s, conflictCopyName } from './conflict-name.js';
import {
  localSameAsBase,
  localState,
  remoteSameAsBase,
  possiblyConcurrent,
  remoteState,
  sameContent,
  type SideState,
} from './compare.js';
import type { Views } from './moves.js';
import { comparePaths, foldCase, properAncestors, rebase, TreeIndex } from './paths.js';
import { decide, type Decision } from './table.js';
import type { LocalSnapshot, Notice, NoticeKind, PlanAction, RemoteSnapshot } from './types.js';
import { nameOf } from '../../util/rel-path.js';

export interface PlannerOptions {
  mode: SyncMode;
  policy: ConflictPolicy;
  now: number;
  host: string;
  caseInsensitiveLocal: boolean;
  propagateLocalDeletes: boolean;
  firstSync: boolean;
  /** Trees whose paths conflict copies must avoid too (the inputs, before renames were applied). */
  reservedTrees: readonly ReadonlyMap<string, unknown>[];
}

/** Whether a path exists on each side once the plan has run. */
interface Presence {
  local: boolean;
  remote: boolean;
}
const BOTH: Presence = { local: true, remote: true };
const NONE: Presence = { local: false, remote: false };

type Strategy = 'keep-both' | 'aside-local' | 'aside-remote' | 'local' | 'remote';

function kindWord(kind: EntryKind): string {
  return kind === 'dir' ? 'folder' : 'file';
}

export class Planner {
  readonly actions: PlanAction[] = [];
  readonly notices: Notice[] = [];
  private readonly forgotten = new Set<string>();
  /** Paths with an action that records or clears their base (transfers, mkdirs, deletes). */
  private readonly touched = new Set<string>();
  /** Every known path, case-folded when the local disk folds case: conflict names avoid them. Built lazily. */
  private takenNames: Set<string> | undefined;
  /** Path → MD5s of its remote conflict copies. Built lazily. */
  private asideMd5s: Map<string, Set<string>> | undefined;

  constructor(
    private readonly o: PlannerOptions,
    private readonly v: Views,
    private readonly tree: TreeIndex,
  ) {}

  /**
   * Whether the version this machine last synced at `p` sits in a remote conflict copy of `p`: another machine saw
   * it and set it aside for its own (a *-wins policy there), so the version now at the name came after ours, not
   * at the same time, and ours is kept already: no second copy of it.
   */
  private setAsideElsewhere(p: string, b: BaseEntry): boolean {
    this.asideMd5s ??= conflictCopyMd5s(this.v.remote);
    return b.md5 !== undefined && (this.asideMd5s.get(p)?.has(b.md5) ?? false);
  }

  private get taken(): Set<string> {
    if (!this.takenNames) {
      this.takenNames = new Set<string>();
      for (const m of [this.v.local, this.v.remote, this.v.base]) {
        for (const p of m.keys()) this.takenNames.add(this.nameKey(p));
      }
      for (const m of this.o.reservedTrees) for (const p of m.keys()) this.takenNames.add(this.nameKey(p));
    }
    return this.takenNames;
  }

  run(): void {
    this.visitChildren('', false);
  }

  private nameKey(p: string): string {
    return this.o.caseInsensitiveLocal ? foldCase(p) : p;
  }

  // ---- traversal --------------------------------------------------------------------------------------------

  private visitChildren(parent: string, quiet: boolean): Presence {
    const acc = { local: false, remote: false };
    const add = (p: Presence): void => {
      acc.local ||= p.local;
      acc.remote ||= p.remote;
    };
    const kids = this.tree.children(parent);
    if (!this.o.caseInsensitiveLocal) {
      for (const c of kids) add(this.visit(c, quiet));
      return acc;
    }
    const groups = new Map<string, string[]>();
    for (const c of kids) {
      const k = foldCase(nameOf(c));
      const g = groups.get(k);
      if (g) g.push(c);
      else groups.set(k, [c]);
    }
    for (const group of groups.values()) {
      const present = group.filter((m) => this.v.local.has(m) || this.v.remote.has(m));
      if (present.length <= 1) {
        for (const m of group) add(this.visit(m, quiet));
        continue;
      }
      for (const m of group) if (!present.includes(m)) add(this.visit(m, quiet));
      add(this.visitClash(present, quiet));
    }
    return acc;
  }

  private visitClash(present: string[], quiet: boolean): Presence {
    const rank = (m: string): number => (this.v.local.has(m) ? 0 : this.v.base.has(m) ? 1 : 2);
    const order = [...present].sort((a, b) => rank(a) - rank(b) || comparePaths(a, b));
    const acc = { local: false, remote: false };
    let holder: string | undefined;
    for (const m of order) {
      if (holder === undefined) {
        const p = this.visit(m, quiet);
        acc.local ||= p.local;
        acc.remote ||= p.remote;
        if (p.local) holder = m;
        continue;
      }
      acc.local ||= this.v.local.has(m);
      acc.remote ||= this.v.remote.has(m);
      this.notice(
        'case-clash',
        m,
        `"${m}" differs from "${holder}" only in letter case and the local disk cannot hold both; "${m}" is left alone`,
        holder,
      );
    }
    return acc;
  }

  private visit(p: string, quiet: boolean): Presence {
    const l = this.v.local.get(p);
    const r = this.v.remote.get(p);
    const b = this.v.base.get(p);
    if (!l && !r) {
      if (b) this.forget(p, 'gone on both sides');
      this.visitChildren(p, true);
      return NONE;
    }
    if (l && r) {
      if (l.kind !== r.kind) return this.typeMismatch(p, l, r, b);
      if (l.kind === 'dir') {
        if (!b || b.kind !== 'dir') this.record(p, l, r, 'folder exists on both sides');
        this.visitChildren(p, quiet);
        return BOTH;
      }
      const pres = this.fileOnBoth(p, l, r, b);
      this.visitChildren(p, true); // only stale base records can sit below a file
      return pres;
    }
    return this.oneSided(p, l, r, b, quiet);
  }

  // ---- both sides hold a file -------------------------------------------------------------------------------

  private fileOnBoth(p: string, l: LocalEntry, r: RemoteEntry, b: BaseEntry | undefined): Presence {
    const ls = localState(l, b);
    const rs = remoteState(r, b);
    const d = decide(ls, rs, this.o.mode, this.o.propagateLocalDeletes);
    switch (d) {
      case 'upload':
        this.upload(p, l, r, false, reasonFor(d, ls, rs));
        return BOTH;
      case 'download':
        if (this.o.mode === 'two-way' && b && possiblyConcurrent(r, b) && !this.setAsideElsewhere(p, b))
          return this.resolveConflict(p, l, r, true);
        this.download(p, r, l, reasonFor(d, ls, rs));
        return BOTH;
      case 'compare':
        return this.compare(p, l, r, b);
      case 'ignore-remote-change':
        this.notice('remote-change-ignored', p, 'changed remotely; backup mode does not download it');
        return BOTH;
      default:
        return BOTH;
    }
  }

  private compare(p: string, l: LocalEntry, r: RemoteEntry, b: BaseEntry | undefined): Presence {
    const same = sameContent(l, r);
    if (same === true) {
      this.record(p, l, r, b ? 'both sides changed to the same content' : 'same content on both sides');
      return BOTH;
    }
    if (same === undefined) {
      this.notice('content-unknown', p, 'both sides changed; waiting for an MD5 to tell whether they differ');
      return BOTH;
    }
    return this.resolveConflict(p, l, r);
  }

  // ---- one side only ----------------------------------------------------------------------------------------

  private oneSided(
    p: string,
    l: LocalEntry | undefined,
    r: RemoteEntry | undefined,
    b: BaseEntry | undefined,
    quiet: boolean,
  ): Presence {
    const ls = localState(l, b);
    const rs = remoteState(r, b);
    const d = decide(ls, rs, this.o.mode, this.o.propagateLocalDeletes);
    const reason = reasonFor(d, ls, rs);
    // Below a file only stale base records can remain (it used to be a folder): they are forgotten.
    if (d === 'upload' && l) {
      if (l.kind === 'file') this.upload(p, l, null, false, reason);
      else this.mkdirRemote(p, null, reason);
      this.visitChildren(p, quiet || l.kind === 'file');
      return BOTH;
    }
    if (d === 'download' && r) {
      if (r.kind === 'file') this.download(p, r, null, reason);
      else this.mkdirLocal(p, null, reason);
      this.visitChildren(p, quiet || r.kind === 'file');
      return BOTH;
    }
    if (d === 'deleteLocal' && l) {
      if (l.kind === 'dir') return this.deleteFolder('local', p, quiet);
      this.deleteLocal(p, l, reason);
      this.visitChildren(p, true);
      return NONE;
    }
    if (d === 'deleteRemote' && r) {
      if (r.kind === 'dir') return this.deleteFolder('remote', p, quiet);
      this.deleteRemote(p, r, reason);
      this.visitChildren(p, true);
      return NONE;
    }
    if (d === 'forget-local-delete') {
      this.forget(p, 'deleted locally; backup mode keeps the remote copy');
      if (!quiet) {
        this.notice('local-delete-not-propagated', p, 'deleted locally; backup mode keeps the remote copy');
      }
      this.visitChildren(p, true);
      return { local: false, remote: true };
    }
    if (d === 'ignore-local-only') {
      if (!quiet)
        this.notice('local-only-ignored', p, 'only on the local side; mirror-down mode does not upload it');
      this.visitChildren(p, true);
      return { local: true, remote: false };
    }
    this.visitChildren(p, true);
    return { local: l !== undefined, remote: r !== undefined };
  }

  /** A folder deleted on the other side: delete it here unless something inside is kept. */
  private deleteFolder(side: 'local' | 'remote', p: string, quiet: boolean): Presence {
    const kids = this.visitChildren(p, quiet);
    const keptHere = side === 'local' ? kids.local : kids.remote;
    if (side === 'local') {
      const l = this.v.local.get(p) as LocalEntry;
      if (!keptHere) {
        this.deleteLocal(p, l, 'deleted remotely');
        return NONE;
      }
      if (this.o.mode !== 'mirror-down') {
        this.mkdirRemote(p, null, 'deleted remotely, but kept: something inside it changed locally');
        return BOTH;
      }
    } else {
      const r = this.v.remote.get(p) as RemoteEntry;
      if (!keptHere) {
        this.deleteRemote(p, r, 'deleted locally');
        return NONE;
      }
      if (this.o.mode !== 'backup') {
        this.mkdirLocal(p, null, 'deleted locally, but kept: something inside it changed remotely');
        return BOTH;
      }
    }
    this.forget(p, 'folder kept on one side only');
    this.notice(
      'delete-cancelled',
      p,
      `deleted on the ${side === 'local' ? 'remote' : 'local'} side, but kept on the ${side} side because something inside it is kept`,
    );
    return side === 'local' ? { local: true, remote: false } : { local: false, remote: true };
  }

  // ---- file on one side, folder on the other ----------------------------------------------------------------

  private typeMismatch(p: string, l: LocalEntry, r: RemoteEntry, b: BaseEntry | undefined): Presence {
    const ls = this.stateForType('local', p, l, b);
    const rs = this.stateForType('remote', p, r, b);
    const d = decide(ls, rs, this.o.mode, this.o.propagateLocalDeletes);
    switch (d) {
      case 'upload':
        this.applyWinner(
          'local',
          p,
          l,
          r,
          `the local ${kindWord(l.kind)} replaces the remote ${kindWord(r.kind)}`,
        );
        return BOTH;
      case 'download':
        this.applyWinner(
          'remote',
          p,
          l,
          r,
          `the remote ${kindWord(r.kind)} replaces the local ${kindWord(l.kind)} (kept in the local trash)`,
        );
        return BOTH;
      case 'compare':
        return this.resolveConflict(p, l, r);
      case 'ignore-remote-change':
        this.notice(
          'remote-change-ignored',
          p,
          `became a ${kindWord(r.kind)} remotely; backup mode does not download it`,
        );
        return BOTH;
      default:
        return BOTH;
    }
  }

  /** Side state for a file/folder pair: a folder counts as unchanged only if nothing below it changed. */
  private stateForType(
    side: 'local' | 'remote',
    p: string,
    e: LocalEntry | RemoteEntry,
    b: BaseEntry | undefined,
  ): SideState {
    if (!b) return 'new';
    if (e.kind !== b.kind) return 'changed';
    if (e.kind === 'file') {
      const same =
        side === 'local' ? localSameAsBase(e as LocalEntry, b) : remoteSameAsBase(e as RemoteEntry, b);
      return same ? 'same' : 'changed';
    }
    return this.subtreeClean(side, p) ? 'same' : 'changed';
  }

  private subtreeClean(side: 'local' | 'remote', p: string): boolean {
    for (const d of this.tree.descendants(p)) {
      const b = this.v.base.get(d);
      if (side === 'local') {
        const e = this.v.local.get(d);
        if (e && (!b || !localSameAsBase(e, b))) return false;
      } else {
        const e = this.v.remote.get(d);
        if (e && (!b || !remoteSameAsBase(e, b))) return false;
      }
    }
    return true;
  }

  // ---- conflicts --------------------------------------------------------------------------------------------

  private strategy(l: LocalEntry, r: RemoteEntry): Strategy {
    const { mode, policy, firstSync } = this.o;
    if (firstSync)
      return mode === 'two-way' ? 'keep-both' : mode === 'backup' ? 'aside-remote' : 'aside-local';
    if (mode === 'backup') return 'local';
    if (mode === 'mirror-down') return 'remote';
    // In two-way mode a policy only picks which version keeps the name: the loser may be another machine's
    // work, and a version left only in a trash while every machine says "up to date" is as good as lost.
    switch (policy) {
      case 'keep-both':
      case 'remote-wins':
        return 'keep-both';
      case 'local-wins':
        return 'aside-remote';
      case 'newer-wins':
        // The one place clocks of two machines are compared, because the user asked for it. A tie goes to remote.
        return l.mtimeMs > r.dateMs ? 'aside-remote' : 'keep-both';
    }
  }

  /** `concurrent`: written on two machines at once (see possiblyConcurrent); both are kept, whatever the policy. */
  private resolveConflict(p: string, l: LocalEntry, r: RemoteEntry, concurrent = false): Presence {
    const what = concurrent
      ? 'written on another machine at the same time as here'
      : l.kind === r.kind
        ? 'both sides changed'
        : `local ${kindWord(l.kind)} vs remote ${kindWord(r.kind)}`;
    const s = concurrent ? 'keep-both' : this.strategy(l, r);
    switch (s) {
      case 'keep-both': {
        const copy = this.conflictName(p, l.kind === 'dir');
        const reason = `conflict (${what}): local version kept as "${copy}"`;
        this.renameLocal(p, copy, l, 'conflict-copy', reason);
        this.copyUp(p, copy, null, reason);
        this.copyDown(p, null, reason);
        this.forgetBaseUnder(p);
        this.notice(
          'conflict',
          p,
          `${what}: the remote version keeps the name; the local version is "${copy}"`,
          copy,
        );
        break;
      }
      case 'aside-local': {
        const copy = this.conflictName(p, l.kind === 'dir');
        const reason = `conflict (${what}) on first sync: local version kept as "${copy}"`;
        this.renameLocal(p, copy, l, 'conflict-copy', reason);
        this.copyDown(p, null, reason);
        this.forgetBaseUnder(p);
        this.notice(
          'conflict',
          p,
          `${what}: the remote version keeps the name; the local version is "${copy}"`,
          copy,
        );
        break;
      }
      case 'aside-remote': {
        const copy = this.conflictName(p, r.kind === 'dir');
        const when = this.o.firstSync ? ' on first sync' : '';
        const reason = `conflict (${what})${when}: remote version kept as "${copy}"`;
        this.moveRemote(p, copy, r, null, 'conflict-aside', reason);
        this.copyUp(p, p, null, reason);
        this.forgetBaseUnder(p);
        this.notice(
          'conflict',
          p,
          `${what}: the local version keeps the name; the remote version is "${copy}"`,
          copy,
        );
        break;
      }
      case 'local':
      case 'remote': {
        const loser = s === 'local' ? 'remote' : 'local';
        const reason = `conflict (${what}): ${s} wins; ${loser} version goes to the ${loser} trash`;
        this.applyWinner(s, p, l, r, reason);
        this.notice(
          'conflict',
          p,
          `${what}: the ${s} version won; the ${loser} version is in the ${loser} trash`,
        );
        break;
      }
    }
    return BOTH;
  }

  /** The winner's item (with its subtree) replaces the loser's, which goes to the loser side's trash. */
  private applyWinner(
    winner: 'local' | 'remote',
    p: string,
    l: LocalEntry,
    r: RemoteEntry,
    reason: string,
  ): void {
    if (winner === 'local') {
      this.trashDescendants('remote', p, reason);
      this.copyUp(p, p, r, reason);
    } else {
      this.trashDescendants('local', p, reason);
      this.copyDown(p, l, reason);
    }
    this.forgetBaseUnder(p);
  }

  private conflictName(p: string, isDir: boolean): string {
    const name = conflictCopyName(p, {
      now: this.o.now,
      host: this.o.host,
      isDir,
      isTaken: (c) => this.taken.has(this.nameKey(c)),
    });
    this.taken.add(this.nameKey(name));
    return name;
  }

  /** Sends the local item at `src` (and its subtree) to the remote `dst`. */
  private copyUp(src: string, dst: string, replace: RemoteSnapshot | null, reason: string): void {
    const l = this.v.local.get(src) as LocalEntry;
    if (l.kind === 'file') {
      this.upload(dst, l, replace, replace !== null, reason);
      return;
    }
    this.mkdirRemote(dst, replace, reason);
    for (const d of this.tree.descendants(src)) {
      const e = this.v.local.get(d);
      if (!e) continue;
      const t = rebase(d, src, dst);
      if (e.kind === 'dir') this.mkdirRemote(t, null, reason);
      else this.upload(t, e, null, false, reason);
    }
  }

  /** Brings the remote item at `p` (and its subtree) to the local `p`. */
  private copyDown(p: string, replace: LocalSnapshot | null, reason: string): void {
    const r = this.v.remote.get(p) as RemoteEntry;
    if (r.kind === 'file') {
      this.download(p, r, replace, reason);
      return;
    }
    this.mkdirLocal(p, replace, reason);
    const seen = new Map<string, string>();
    const skipped = new Set<string>();
    for (const d of this.tree.descendants(p)) {
      const e = this.v.remote.get(d);
      if (!e) continue;
      if (properAncestors(d).some((a) => skipped.has(a))) continue;
      if (this.o.caseInsensitiveLocal) {
        const holder = seen.get(foldCase(d));
        if (holder !== undefined) {
          skipped.add(d);
          this.notice(
            'case-clash',
            d,
            `"${d}" differs from "${holder}" only in letter case and the local disk cannot hold both; "${d}" is left alone`,
            holder,
          );
          continue;
        }
        seen.set(foldCase(d), d);
      }
      if (e.kind === 'dir') this.mkdirLocal(d, null, reason);
      else this.download(d, e, null, reason);
    }
  }

  private trashDescendants(side: 'local' | 'remote', p: string, reason: string): void {
    for (const d of this.tree.descendants(p)) {
      if (side === 'local') {
        const e = this.v.local.get(d);
        if (e) this.deleteLocal(d, e, reason);
      } else {
        const e = this.v.remote.get(d);
        if (e) this.deleteRemote(d, e, reason);
      }
    }
  }

  /** Base records below a replaced item that no action of this plan records or clears. */
  private forgetBaseUnder(p: string): void {
    for (const d of this.tree.descendants(p)) {
      if (this.v.base.has(d) && !this.touched.has(d)) this.forget(d, 'replaced in a conflict');
    }
  }

  // ---- emitters ---------------------------------------------------------------------------------------------

  private upload(
    path: string,
    l: LocalEntry,
    expectRemote: RemoteSnapshot | null,
    trashRemoteFirst: boolean,
    reason: string,
  ): void {
    this.touched.add(path);
    this.actions.push({
      type: 'upload',
      path,
      expectLocal: l,
      expectRemote,
      trashRemoteFirst,
      reason,
    });
  }

  private download(path: string, r: RemoteEntry, expectLocal: LocalSnapshot | null, reason: string): void {
    this.touched.add(path);
    this.actions.push({ type: 'download', path, expectRemote: r, expectLocal, reason });
  }

  private mkdirRemote(path: string, expectRemote: RemoteSnapshot | null, reason: string): void {
    this.touched.add(path);
    this.actions.push({ type: 'mkdirRemote', path, expectRemote, reason });
  }

  private mkdirLocal(path: string, expectLocal: LocalSnapshot | null, reason: string): void {
    this.touched.add(path);
    this.actions.push({ type: 'mkdirLocal', path, expectLocal, reason });
  }

  private deleteRemote(path: string, r: RemoteEntry, reason: string): void {
    this.touched.add(path);
    this.actions.push({ type: 'deleteRemote', path, expectRemote: r, reason });
  }

  private deleteLocal(path: string, l: LocalEntry, reason: string): void {
    this.touched.add(path);
    this.actions.push({ type: 'deleteLocal', path, expectLocal: l, reason });
  }

  private renameLocal(
    from: string,
    to: string,
    l: LocalEntry,
    purpose: 'conflict-copy' | 'remote-rename',
    reason: string,
  ): void {
    this.actions.push({ type: 'renameLocal', from, to, purpose, expectLocal: l, reason });
  }

  private moveRemote(
    from: string,
    to: string,
    r: RemoteEntry,
    l: LocalEntry | null,
    purpose: 'local-rename' | 'conflict-aside',
    reason: string,
  ): void {
    this.actions.push({
      type: 'moveRemote',
      from,
      to,
      purpose,
      expectRemote: r,
      expectLocal: l,
      reason,
    });
  }

  private record(p: string, l: LocalEntry, r: RemoteEntry, reason: string): void {
    this.actions.push({
      type: 'recordSynced',
      path: p,
      expectLocal: l,
      expectRemote: r,
      reason,
    });
  }

  private forget(p: string, reason: string): void {
    if (this.forgotten.has(p)) return;
    this.forgotten.add(p);
    this.actions.push({ type: 'forgetBase', path: p, reason });
  }

  private notice(kind: NoticeKind, path: string, message: string, related?: string): void {
    const n: Notice = { kind, path, message };
    if (related !== undefined) n.related = related;
    this.notices.push(n);
  }
}

function reasonFor(d: Decision, ls: SideState, rs: SideState): string {
  switch (d) {
    case 'upload':
      if (ls === 'new') return 'new locally';
      if (rs === 'deleted') {
        return ls === 'same'
          ? 'deleted remotely; backup mode uploads it again'
          : 'changed locally; an edit beats the remote delete';
      }
      return 'changed locally';
    case 'download':
      if (rs === 'new') return 'new remotely';
      if (ls === 'deleted') {
        return rs === 'same'
          ? 'deleted locally; mirror-down mode restores it'
          : 'changed remotely; an edit beats the local delete';
      }
      if (ls === 'changed')
        return 'mirror-down: the remote version replaces the local edit (kept in the local trash)';
      return 'changed remotely';
    case 'deleteLocal':
      return ls === 'changed'
        ? 'deleted remotely; mirror-down moves the local edit to the trash'
        : 'deleted remotely';
    case 'deleteRemote':
      return 'deleted locally';
    default:
      return d;
  }
}
