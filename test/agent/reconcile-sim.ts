/**
 * Test support for the reconciler: a world builder for hand-written scenarios and a tiny pure simulator that
 * applies a plan to in-memory trees the way the executor contract in src/agent/reconcile/types.ts describes
 * (re-checking every snapshot, trashing every replaced or deleted item, updating base), so a test can reconcile
 * again and check convergence. Entries carry their true content (`content`) beside the MD5 field, which may be
 * missing on the remote side as on real Vault.
 */
import type { BaseEntry, ConflictPolicy, LocalEntry, RemoteEntry, SyncMode } from '../../src/agent/model.js';
import {
  reconcile,
  syncedBase,
  type Plan,
  type PlanAction,
  type ReconcileInput,
} from '../../src/agent/reconcile/index.js';
import { md5Hex } from '../../src/util/md5.js';
import { parentOf } from '../../src/util/rel-path.js';

export type SimLocal = LocalEntry & { content?: string };
export type SimRemote = RemoteEntry & { content?: string };
export type SimBase = BaseEntry & { content?: string };

export interface SimState {
  local: Map<string, SimLocal>;
  remote: Map<string, SimRemote>;
  base: Map<string, SimBase>;
  /** Contents moved to each side's trash. */
  localTrash: string[];
  remoteTrash: string[];
  clock: number;
  nextIno: number;
  caseInsensitiveLocal: boolean;
}

export function newState(caseInsensitiveLocal = false): SimState {
  return {
    local: new Map(),
    remote: new Map(),
    base: new Map(),
    localTrash: [],
    remoteTrash: [],
    clock: 1_700_000_000_000,
    nextIno: 1000,
    caseInsensitiveLocal,
  };
}

function under(p: string, root: string): boolean {
  return p.startsWith(`${root}/`);
}

function tick(s: SimState): number {
  s.clock += 1000;
  return s.clock;
}

const fold = (s: SimState, p: string): string => (s.caseInsensitiveLocal ? p.toLowerCase() : p);

/** The local item a path refers to, as the (possibly case-insensitive) disk sees it. */
function localAt(s: SimState, p: string): SimLocal | undefined {
  const exact = s.local.get(p);
  if (exact || !s.caseInsensitiveLocal) return exact;
  for (const [k, e] of s.local) if (fold(s, k) === fold(s, p)) return e;
  return undefined;
}

function fail(msg: string): never {
  throw new Error(`simulator: ${msg}`);
}

function sameSnap(e: object, snap: object): boolean {
  const a = e as Record<string, unknown>;
  // A snapshot may be the observed entry itself: its path is where it was seen, not part of what is checked
  // (the simulator's entries also carry their content, which is compared: stricter than the executor).
  for (const [k, v] of Object.entries(snap)) if (k !== 'path' && a[k] !== v) return false;
  if ((a.md5 === undefined) !== ((snap as { md5?: string }).md5 === undefined)) return false;
  return true;
}

function checkLocal(s: SimState, p: string, snap: object | null, act: PlanAction): SimLocal | undefined {
  const e = localAt(s, p);
  if (snap === null) {
    if (e) fail(`${act.type} ${p}: local path should be free but holds ${e.path}`);
    return undefined;
  }
  if (!e || e.path !== p) fail(`${act.type} ${p}: local item missing`);
  if (!sameSnap(e, snap)) fail(`${act.type} ${p}: local item differs from the planned snapshot`);
  return e;
}

function checkRemote(s: SimState, p: string, snap: object | null, act: PlanAction): SimRemote | undefined {
  const e = s.remote.get(p);
  if (snap === null) {
    if (e) fail(`${act.type} ${p}: remote path should be free`);
    return undefined;
  }
  if (!e) fail(`${act.type} ${p}: remote item missing`);
  if (!sameSnap(e, snap)) fail(`${act.type} ${p}: remote item differs from the planned snapshot`);
  return e;
}

function needLocalParent(s: SimState, p: string, act: PlanAction): void {
  const parent = parentOf(p);
  if (parent !== '' && s.local.get(parent)?.kind !== 'dir') fail(`${act.type} ${p}: no local parent folder`);
}

function needRemoteParent(s: SimState, p: string, act: PlanAction): void {
  const parent = parentOf(p);
  if (parent !== '' && s.remote.get(parent)?.kind !== 'dir')
    fail(`${act.type} ${p}: no remote parent folder`);
}

function trashLocal(s: SimState, e: SimLocal, act: PlanAction): void {
  for (const k of s.local.keys()) if (under(k, e.path)) fail(`${act.type} ${e.path}: local folder not empty`);
  s.local.delete(e.path);
  if (e.content !== undefined) s.localTrash.push(e.content);
}

function trashRemote(s: SimState, e: SimRemote, act: PlanAction): void {
  for (const k of s.remote.keys())
    if (under(k, e.path)) fail(`${act.type} ${e.path}: remote folder not empty`);
  s.remote.delete(e.path);
  if (e.content !== undefined) s.remoteTrash.push(e.content);
}

function rekey<T extends { path: string }>(
  m: Map<string, T>,
  from: string,
  to: string,
  patch?: Partial<T>,
): void {
  const hits = [...m.entries()].filter(([k]) => k === from || under(k, from));
  for (const [k] of hits) m.delete(k);
  for (const [k, e] of hits) {
    const np = k === from ? to : to + k.slice(from.length);
    m.set(np, { ...e, ...patch, path: np });
  }
}

function recordBase(s: SimState, p: string): void {
  const l = s.local.get(p);
  const r = s.remote.get(p);
  if (!l || !r) return;
  const b: SimBase = {
    path: p,
    kind: l.kind,
    size: l.kind === 'dir' ? 0 : l.size,
    localMtimeMs: l.mtimeMs,
    localIno: l.ino,
    remoteDateMs: r.dateMs,
  };
  if (l.kind === 'file') {
    b.md5 = l.content !== undefined ? md5Hex(l.content) : l.md5;
    b.content = l.content;
  }
  s.base.set(p, b);
}

export function applyAction(s: SimState, a: PlanAction): void {
  switch (a.type) {
    case 'upload': {
      const l = checkLocal(s, a.path, a.expectLocal, a) as SimLocal;
      if (l.kind !== 'file') fail(`upload ${a.path}: not a file`);
      needRemoteParent(s, a.path, a);
      const old = checkRemote(s, a.path, a.expectRemote, a);
      if (old && a.trashRemoteFirst) trashRemote(s, old, a);
      else if (old && old.kind !== 'file') fail(`upload ${a.path}: would overwrite a folder`);
      s.remote.set(a.path, {
        path: a.path,
        kind: 'file',
        size: l.size,
        dateMs: tick(s),
        md5: md5Hex(l.content ?? ''),
        content: l.content,
      });
      recordBase(s, a.path);
      return;
    }
    case 'download': {
      const r = checkRemote(s, a.path, a.expectRemote, a) as SimRemote;
      if (r.kind !== 'file') fail(`download ${a.path}: not a file`);
      needLocalParent(s, a.path, a);
      const old = checkLocal(s, a.path, a.expectLocal, a);
      if (old) trashLocal(s, old, a);
      s.local.set(a.path, {
        path: a.path,
        kind: 'file',
        size: r.size,
        mtimeMs: tick(s),
        ino: s.nextIno++,
        md5: md5Hex(r.content ?? ''),
        content: r.content,
      });
      recordBase(s, a.path);
      return;
    }
    case 'mkdirRemote': {
      needRemoteParent(s, a.path, a);
      const old = checkRemote(s, a.path, a.expectRemote, a);
      if (old) trashRemote(s, old, a);
      s.remote.set(a.path, { path: a.path, kind: 'dir', size: 0, dateMs: tick(s) });
      recordBase(s, a.path);
      return;
    }
    case 'mkdirLocal': {
      needLocalParent(s, a.path, a);
      const old = checkLocal(s, a.path, a.expectLocal, a);
      if (old) trashLocal(s, old, a);
      s.local.set(a.path, { path: a.path, kind: 'dir', size: 0, mtimeMs: tick(s), ino: s.nextIno++ });
      recordBase(s, a.path);
      return;
    }
    case 'deleteRemote': {
      const r = checkRemote(s, a.path, a.expectRemote, a) as SimRemote;
      trashRemote(s, r, a);
      if (!s.local.has(a.path)) s.base.delete(a.path);
      return;
    }
    case 'deleteLocal': {
      const l = checkLocal(s, a.path, a.expectLocal, a) as SimLocal;
      trashLocal(s, l, a);
      if (!s.remote.has(a.path)) s.base.delete(a.path);
      return;
    }
    case 'moveRemote': {
      checkRemote(s, a.from, a.expectRemote, a);
      if (s.remote.has(a.to)) fail(`moveRemote ${a.to}: target taken`);
      needRemoteParent(s, a.to, a);
      if (a.expectLocal) checkLocal(s, a.to, a.expectLocal, a);
      // A server-side move may give the node a new date; the executor re-reads it and refreshes base.
      const date = tick(s);
      rekey(s.remote, a.from, a.to, { dateMs: date });
      if (a.purpose === 'local-rename') rekey(s.base, a.from, a.to, { remoteDateMs: date });
      return;
    }
    case 'renameLocal': {
      checkLocal(s, a.from, a.expectLocal, a);
      const clash = localAt(s, a.to);
      if (clash && clash.path !== a.from) fail(`renameLocal ${a.to}: target taken by ${clash.path}`);
      needLocalParent(s, a.to, a);
      rekey(s.local, a.from, a.to);
      if (a.purpose === 'remote-rename') rekey(s.base, a.from, a.to);
      return;
    }
    case 'recordSynced': {
      const l = checkLocal(s, a.path, a.expectLocal, a) as SimLocal;
      checkRemote(s, a.path, a.expectRemote, a);
      s.base.set(a.path, { ...syncedBase(a), content: l.content });
      return;
    }
    case 'forgetBase': {
      if (!s.base.has(a.path)) fail(`forgetBase ${a.path}: nothing to forget`);
      s.base.delete(a.path);
      return;
    }
  }
}

export function applyPlan(s: SimState, plan: Plan): void {
  for (const a of plan.actions) applyAction(s, a);
  for (const [name, m] of [
    ['local', s.local],
    ['remote', s.remote],
  ] as const) {
    for (const k of m.keys()) {
      const parent = parentOf(k);
      if (parent !== '' && m.get(parent)?.kind !== 'dir')
        fail(`${name} ${k} has no parent folder after the plan`);
    }
  }
}

export interface PlanOptions {
  mode?: SyncMode;
  conflictPolicy?: ConflictPolicy;
  propagateLocalDeletes?: boolean;
  now?: number;
  host?: string;
}

export const NOW = Date.UTC(2024, 4, 1, 13, 45, 1); // 2024-05-01 134501
export const HOST = 'testhost';

export function inputOf(s: SimState, o: PlanOptions = {}): ReconcileInput {
  return {
    local: s.local,
    remote: s.remote,
    base: s.base,
    mode: o.mode ?? 'two-way',
    conflictPolicy: o.conflictPolicy ?? 'keep-both',
    now: o.now ?? NOW,
    host: o.host ?? HOST,
    caseInsensitiveLocal: s.caseInsensitiveLocal,
    propagateLocalDeletes: o.propagateLocalDeletes ?? false,
  };
}

export function planOf(s: SimState, o: PlanOptions = {}): Plan {
  return reconcile(inputOf(s, o));
}

/** Applies the plan, then returns the plan of the next run (which should be empty once converged). */
export function runTwice(s: SimState, o: PlanOptions = {}): { first: Plan; second: Plan } {
  const first = planOf(s, o);
  applyPlan(s, first);
  const second = planOf(s, { ...o, now: (o.now ?? NOW) + 60_000 });
  return { first, second };
}

/** `type:path` (or `type:from>to`) per action, in plan order. */
export function brief(plan: Plan): string[] {
  return plan.actions.map((a) =>
    a.type === 'moveRemote' || a.type === 'renameLocal'
      ? `${a.type}:${a.from}>${a.to}`
      : `${a.type}:${a.path}`,
  );
}

/** Builds worlds by hand: synced items and then changes on either side. */
export class World {
  readonly s: SimState;

  constructor(caseInsensitiveLocal = false) {
    this.s = newState(caseInsensitiveLocal);
  }

  private file(content: string): { size: number; md5: string; content: string } {
    return { size: content.length, md5: md5Hex(content), content };
  }

  /** A file (content given) or folder (content omitted) in sync on both sides. */
  synced(path: string, content?: string, opts: { remoteMd5?: boolean } = {}): this {
    const mtimeMs = tick(this.s);
    const ino = this.s.nextIno++;
    const dateMs = tick(this.s);
    if (content === undefined) {
      this.s.local.set(path, { path, kind: 'dir', size: 0, mtimeMs, ino });
      this.s.remote.set(path, { path, kind: 'dir', size: 0, dateMs });
      this.s.base.set(path, {
        path,
        kind: 'dir',
        size: 0,
        localMtimeMs: mtimeMs,
        localIno: ino,
        remoteDateMs: dateMs,
      });
      return this;
    }
    const f = this.file(content);
    this.s.local.set(path, { path, kind: 'file', mtimeMs, ino, ...f });
    const r: SimRemote = { path, kind: 'file', dateMs, ...f };
    if (opts.remoteMd5 === false) delete r.md5;
    this.s.remote.set(path, r);
    this.s.base.set(path, {
      path,
      kind: 'file',
      localMtimeMs: mtimeMs,
      localIno: ino,
      remoteDateMs: dateMs,
      ...f,
    });
    return this;
  }

  /** Creates or replaces a local file/folder (new inode, new mtime). */
  local(path: string, content?: string, opts: { ino?: number; mtimeMs?: number } = {}): this {
    const mtimeMs = opts.mtimeMs ?? tick(this.s);
    const ino = opts.ino ?? this.s.nextIno++;
    this.s.local.set(
      path,
      content === undefined
        ? { path, kind: 'dir', size: 0, mtimeMs, ino }
        : { path, kind: 'file', mtimeMs, ino, ...this.file(content) },
    );
    return this;
  }

  /** Edits a local file in place (same inode, new mtime). */
  editLocal(path: string, content: string): this {
    const old = this.s.local.get(path);
    return this.local(path, content, { ino: old?.ino });
  }

  remote(path: string, content?: string, opts: { md5?: boolean; dateMs?: number } = {}): this {
    const dateMs = opts.dateMs ?? tick(this.s);
    const r: SimRemote =
      content === undefined
        ? { path, kind: 'dir', size: 0, dateMs }
        : { path, kind: 'file', dateMs, ...this.file(content) };
    if (opts.md5 === false) delete r.md5;
    this.s.remote.set(path, r);
    return this;
  }

  /** Removes a local item and everything below it. */
  dropLocal(path: string): this {
    for (const k of [...this.s.local.keys()]) if (k === path || under(k, path)) this.s.local.delete(k);
    return this;
  }

  dropRemote(path: string): this {
    for (const k of [...this.s.remote.keys()]) if (k === path || under(k, path)) this.s.remote.delete(k);
    return this;
  }

  /** Renames a local item (subtree), keeping inodes and mtimes as rename(2) does. */
  renameLocal(from: string, to: string): this {
    rekey(this.s.local, from, to);
    return this;
  }

  renameRemote(from: string, to: string): this {
    rekey(this.s.remote, from, to);
    return this;
  }
}
