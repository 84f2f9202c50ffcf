/**
 * The executor: carries a plan out against the disk and the server, re-checking every item against the
 * snapshot its action was planned with just before acting, moving every victim to a trash, and recording
 * each verified outcome in the index in one transaction (the contract is in reconcile/types.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import PQueue from 'p-queue';
import { DownloadConfinement, assertInsideRoot } from './confine.js';
import { LandedUploads, uploadOutcome } from './landed-uploads.js';
import { hashFile } from '../local/hash.js';
import { statEntry } from '../local/local-scan.js';
import { diskRelOf } from '../local/names.js';
import type { Outcome, SyncIndex } from '../store/index-db.js';
import type { BaseEntry, RemoteEntry } from '../model.js';
import {
  syncedBase,
  type DeleteLocalAction,
  type DeleteRemoteAction,
  type DownloadAction,
  type LocalSnapshot,
  type MkdirLocalAction,
  type MkdirRemoteAction,
  type MoveRemoteAction,
  type Plan,
  type PlanAction,
  type RecordSyncedAction,
  type RemoteSnapshot,
  type RenameLocalAction,
  type UploadAction,
} from '../reconcile/index.js';
import { isPlaceholder, type Remote, type RemoteNode, type TransferProgress } from '../remote/port.js';
import { assertNoLinkOnTheWay, moveToLocalTrash, moveToRemoteTrash } from './trash.js';
import {
  clearDownloadJournal,
  clearMkdirJournal,
  clearMoveJournal,
  clearUploadJournal,
  journalDownload,
  journalMkdir,
  journalMove,
  journalUpload,
} from '../store/transfer-journal.js';
import { VosError } from '../../util/errors.js';
import type { QuotaState } from '../../util/quota-state.js';

export interface ExecutorContext {
  remote: Remote;
  index: SyncIndex;
  pairId: number;
  localRoot: string;
  now: () => number;
  /** Parallel transfers. */
  concurrency: number;
  /** Called after each action, for progress and status. */
  onAction?: (event: ActionEvent) => void;
  /** Called as a transfer's bytes start to move and as they go; it ends with its action's onAction. */
  onTransfer?: (event: TransferEvent) => void;
  /** Stop taking new actions (in-flight ones finish). */
  signal?: AbortSignal;
}

/**
 * A transfer under way: `bytes` moved so far of `size` (null when unknown). `landed`: the server verified all of
 * an upload's bytes; its 'done' follows once the upload is dated and recorded (LandedUploads).
 */
export interface TransferEvent {
  path: string;
  direction: 'up' | 'down';
  phase: 'started' | 'progress' | 'landed';
  bytes: number;
  size: number | null;
}

export interface ActionEvent {
  action: PlanAction;
  result: 'done' | 'skipped' | 'failed';
  message?: string;
  bytes?: number;
}

export interface ActionFailure {
  path: string;
  type: PlanAction['type'];
  kind: string;
  message: string;
  /** Transient failures are retried on the next cycle; permanent ones need the user. */
  transient: boolean;
  /** For a failure of kind 'quota': the allocation that refused it, when the client found it. */
  quota?: QuotaState;
}

export interface ExecutionReport {
  done: number;
  /** Actions not applied because the world moved since the scan: the next cycle re-plans them. */
  skipped: { path: string; type: PlanAction['type']; reason: string }[];
  failed: ActionFailure[];
  bytesUp: number;
  bytesDown: number;
  aborted: boolean;
  /** Versions moved to a trash (replaced or deleted), and where they are kept. */
  trashed: { path: string; side: 'local' | 'remote'; keptAt: string }[];
}

/** The world no longer matches the plan: not an error, a reason to re-plan. */
class Stale extends Error {}

/** An upload whose bytes landed: it is reported once its folder's listing has dated it (LandedUploads). */
const AWAITING_DATE = Symbol('awaiting its date');

function abs(root: string, diskRel: string): string {
  return path.join(root, ...diskRel.split('/'));
}

function lstatOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR')
      return undefined;
    throw e;
  }
}

function localMatches(st: fs.Stats | undefined, expect: LocalSnapshot | null): boolean {
  if (expect === null) return st === undefined;
  if (!st) return false;
  if (expect.kind === 'dir') return st.isDirectory();
  return st.isFile() && st.size === expect.size && st.mtimeMs === expect.mtimeMs && st.ino === expect.ino;
}

function remoteMatches(node: RemoteNode | undefined, expect: RemoteSnapshot | null): boolean {
  // Overwriting an empty placeholder loses no bytes, so it counts as free.
  if (expect === null) return node === undefined || isPlaceholder(node);
  if (!node) return false;
  if (expect.kind === 'dir') return node.kind === 'dir';
  if (node.kind !== 'file') return false;
  if (node.md5 && expect.md5) return node.md5 === expect.md5 && node.size === expect.size;
  return node.size === expect.size && node.dateMs === expect.dateMs;
}

export class Executor {
  private readonly report: ExecutionReport = {
    done: 0,
    skipped: [],
    failed: [],
    bytesUp: 0,
    bytesDown: 0,
    aborted: false,
    trashed: [],
  };

  /** One trash folder per cycle (its start time names it), not one per file. */
  private readonly trashTime: number;
  private readonly queue: PQueue;
  private readonly landed: LandedUploads;

  constructor(private readonly ctx: ExecutorContext) {
    this.trashTime = ctx.now();
    this.queue = new PQueue({ concurrency: Math.max(1, ctx.concurrency) });
    this.landed = new LandedUploads(ctx.remote);
  }

  /** The on-disk spelling of an index (NFC) path: macOS and other tools may have written the name in NFD. */
  private onDisk(rel: string): string {
    return diskRelOf(this.ctx.localRoot, rel);
  }

  private async trashRemote(rel: string): Promise<string> {
    const keptAt = await moveToRemoteTrash(this.ctx.remote, rel, this.trashTime);
    this.report.trashed.push({ path: rel, side: 'remote', keptAt });
    return keptAt;
  }

  private trashLocal(rel: string): string {
    const kept = moveToLocalTrash(this.ctx.localRoot, this.onDisk(rel), this.trashTime);
    this.report.trashed.push({ path: rel, side: 'local', keptAt: path.relative(this.ctx.localRoot, kept) });
    return kept;
  }

  private commit(o: Outcome): void {
    this.ctx.index.commitOutcome(this.ctx.pairId, o);
  }

  /** Waits for the transfers in flight, and for the uploads among them to be dated and recorded. */
  private async settleAll(): Promise<void> {
    await this.queue.onIdle();
    await this.landed.flushAll();
  }

  /** Runs the plan in order; consecutive independent transfers run in parallel. */
  async run(plan: Plan): Promise<ExecutionReport> {
    const parallel = new Set<PlanAction['type']>(['upload', 'download', 'recordSynced', 'forgetBase']);
    let batchDirs = new Set<string>();
    for (const action of plan.actions) {
      if (this.ctx.signal?.aborted) {
        this.report.aborted = true;
        break;
      }
      if (parallel.has(action.type)) {
        const p = 'path' in action ? action.path : '';
        // Keep one transfer per path in flight (a conflict copy and its original never race).
        if (batchDirs.has(p)) {
          await this.settleAll();
          batchDirs = new Set();
        }
        batchDirs.add(p);
        void this.queue.add(() => this.runOne(action));
        if (this.queue.size > this.ctx.concurrency * 4)
          await this.queue.onSizeLessThan(this.ctx.concurrency * 2);
      } else {
        await this.settleAll();
        batchDirs = new Set();
        await this.runOne(action);
      }
    }
    await this.settleAll();
    return this.report;
  }

  private runOne(action: PlanAction): Promise<void> {
    return this.settle(action, () => this.apply(action));
  }

  /** Runs (a step of) an action and reports how it ended, unless it is an upload still waiting for its date. */
  private async settle(
    action: PlanAction,
    step: () => Promise<number | void | typeof AWAITING_DATE>,
  ): Promise<void> {
    const where = 'path' in action ? action.path : `${action.from} → ${action.to}`;
    try {
      const bytes = await step();
      if (bytes === AWAITING_DATE) return;
      this.report.done++;
      this.ctx.onAction?.({ action, result: 'done', ...(bytes ? { bytes } : {}) });
    } catch (e) {
      if (e instanceof Stale) {
        this.report.skipped.push({ path: where, type: action.type, reason: e.message });
        this.ctx.onAction?.({ action, result: 'skipped', message: e.message });
        return;
      }
      const err = e as Error;
      const kind = e instanceof VosError ? e.kind : ((e as NodeJS.ErrnoException).code ?? 'error');
      const transient =
        e instanceof VosError ? e.retryable : ['EBUSY', 'EAGAIN', 'EMFILE', 'ENFILE'].includes(kind);
      if (e instanceof VosError && e.kind === 'conflict') {
        this.report.skipped.push({ path: where, type: action.type, reason: err.message });
        this.ctx.onAction?.({ action, result: 'skipped', message: err.message });
        return;
      }
      const quota = e instanceof VosError ? e.details.quota : undefined;
      this.report.failed.push({
        path: where,
        type: action.type,
        kind,
        message: err.message,
        transient,
        ...(quota ? { quota } : {}),
      });
      this.ctx.onAction?.({ action, result: 'failed', message: err.message });
    }
  }

  private async apply(a: PlanAction): Promise<number | void | typeof AWAITING_DATE> {
    switch (a.type) {
      case 'upload':
        return this.upload(a);
      case 'download':
        return this.download(a);
      case 'mkdirRemote':
        return this.mkdirRemote(a);
      case 'mkdirLocal':
        return this.mkdirLocal(a);
      case 'deleteRemote':
        return this.deleteRemote(a);
      case 'deleteLocal':
        return this.deleteLocal(a);
      case 'moveRemote':
        return this.moveRemote(a);
      case 'renameLocal':
        return this.renameLocal(a);
      case 'recordSynced':
        return this.recordSynced(a);
      case 'forgetBase':
        this.commit({ path: a.path, base: null });
        return;
    }
  }

  private async checkRemote(
    rel: string,
    expect: RemoteSnapshot | null,
    what: string,
  ): Promise<RemoteNode | undefined> {
    const node = await this.ctx.remote.stat(rel);
    if (!remoteMatches(node, expect)) throw new Stale(`${what}: ${rel} changed on the server since the scan`);
    return node;
  }

  /** The node the executor has just written, read back (its date belongs in the base). */
  private async written(rel: string): Promise<RemoteNode> {
    const node = await this.ctx.remote.stat(rel);
    if (!node) throw new VosError('not-found', `${rel}: gone from the server right after it was written`);
    return node;
  }

  private checkLocal(rel: string, expect: LocalSnapshot | null, what: string): fs.Stats | undefined {
    const st = lstatOrUndefined(abs(this.ctx.localRoot, this.onDisk(rel)));
    if (!localMatches(st, expect)) throw new Stale(`${what}: ${rel} changed locally since the scan`);
    return st;
  }

  private async upload(a: UploadAction): Promise<number | typeof AWAITING_DATE> {
    const file = abs(this.ctx.localRoot, this.onDisk(a.path));
    this.checkLocal(a.path, a.expectLocal, 'upload');
    let md5 = a.expectLocal.md5;
    if (!md5) {
      const h = await hashFile(file);
      if (h.size !== a.expectLocal.size || h.mtimeMs !== a.expectLocal.mtimeMs) {
        throw new Stale(`upload: ${a.path} is still being written`);
      }
      md5 = h.md5;
    }
    // The remote's own read just before the bytes go checks the node (below); a version to be set aside first is
    // checked here, so that only the version the plan saw goes to the trash.
    let replaces = a.expectRemote;
    if (a.trashRemoteFirst && (await this.checkRemote(a.path, a.expectRemote, 'upload'))) {
      await this.trashRemote(a.path);
      replaces = null;
    }
    const sent = { md5, size: a.expectLocal.size, mtimeMs: a.expectLocal.mtimeMs, ino: a.expectLocal.ino };
    let result: Awaited<ReturnType<Remote['upload']>>;
    const moving = this.transferEvents(a.path, 'up', a.expectLocal.size);
    try {
      result = await this.ctx.remote.upload(a.path, {
        file,
        md5,
        // Judged on the remote's last read, just before anything is written: a node written since the scan is not
        // replaced (a conflict error; the action is skipped and re-planned). Only once it holds is the version
        // journalled, before any write: whatever then happens to this upload (cut, killed, abandoned because the
        // file changed), what it leaves on the server (an empty node a push negotiation made, or the bytes) is
        // recognised as our own, never as a foreign change or a conflict.
        precondition: (now) => {
          if (!remoteMatches(now, replaces)) return false;
          journalUpload(this.ctx.index, this.ctx.pairId, a.path, sent);
          return true;
        },
        onProgress: moving,
      });
    } catch (e) {
      // Edited while being sent (the server refused bytes that no longer match the MD5): re-plan, not an error.
      if (!localMatches(lstatOrUndefined(file), a.expectLocal)) {
        throw new Stale(`upload: ${a.path} changed while it was being uploaded`);
      }
      throw e;
    }
    const landed = { md5, size: result.size, sent: result.sent };
    if (result.node) return this.recordUpload(a, landed, result.node);
    this.ctx.onTransfer?.({
      path: a.path,
      direction: 'up',
      phase: 'landed',
      bytes: result.size,
      size: result.size,
    });
    const full = this.landed.add({
      path: a.path,
      record: (node) => this.settle(a, async () => this.recordUpload(a, landed, await node())),
    });
    if (full !== undefined) void this.queue.add(() => this.landed.flush(full));
    return AWAITING_DATE;
  }

  /** Records an upload with its node as the server holds it, and clears its journal, in one transaction. */
  private recordUpload(
    a: UploadAction,
    sent: { md5: string; size: number; sent: boolean },
    node: RemoteNode,
  ): number {
    this.ctx.index.transaction(() => {
      this.commit(uploadOutcome(a, sent, node));
      clearUploadJournal(this.ctx.index, this.ctx.pairId, a.path);
    });
    this.report.bytesUp += sent.sent ? sent.size : 0;
    return sent.size;
  }

  private async download(a: DownloadAction): Promise<number> {
    const dest = abs(this.ctx.localRoot, this.onDisk(a.path));
    this.checkLocal(a.path, a.expectLocal, 'download');
    const confine = new DownloadConfinement(this.ctx.localRoot, this.onDisk(a.path));
    assertInsideRoot(this.ctx.localRoot, this.onDisk(a.path));
    if (!a.expectRemote.md5) await this.checkRemote(a.path, a.expectRemote, 'download');
    const fetched = await this.ctx.remote.download(a.path, {
      dest,
      size: a.expectRemote.size,
      ...(a.expectRemote.md5 ? { md5: a.expectRemote.md5 } : {}),
      guard: confine.guard,
      onProgress: this.transferEvents(a.path, 'down', a.expectRemote.size),
    });
    const got = { file: fetched.temp, md5: fetched.md5, size: fetched.size };
    try {
      confine.beforeRename(got.file);
    } catch (e) {
      confine.discard(got.file);
      throw e;
    }
    try {
      // The user may have touched the destination while we were downloading.
      const st = lstatOrUndefined(dest);
      if (!localMatches(st, a.expectLocal))
        throw new Stale(`download: ${a.path} changed locally during the download`);
      if (st) this.trashLocal(a.path);
      // Journalled first: a crash between the rename and the commit leaves a file known as this version.
      const temp = fs.lstatSync(got.file);
      journalDownload(this.ctx.index, this.ctx.pairId, a.path, {
        md5: got.md5,
        size: got.size,
        mtimeMs: temp.mtimeMs,
        ino: temp.ino,
        remoteDateMs: a.expectRemote.dateMs,
      });
      fs.renameSync(got.file, dest);
    } catch (e) {
      fs.rmSync(got.file, { force: true });
      clearDownloadJournal(this.ctx.index, this.ctx.pairId, a.path);
      throw e;
    }
    const st = fs.lstatSync(dest);
    const local = statEntry(a.path, st, got.md5);
    const remote: RemoteEntry = {
      path: a.path,
      kind: 'file',
      size: got.size,
      dateMs: a.expectRemote.dateMs,
      md5: got.md5,
    };
    const base: BaseEntry = {
      path: a.path,
      kind: 'file',
      size: got.size,
      md5: got.md5,
      localMtimeMs: st.mtimeMs,
      localIno: st.ino,
      remoteDateMs: a.expectRemote.dateMs,
    };
    this.ctx.index.transaction(() => {
      this.commit({ path: a.path, base, local, remote });
      clearDownloadJournal(this.ctx.index, this.ctx.pairId, a.path);
    });
    this.report.bytesDown += got.size;
    return got.size;
  }

  /** Says a transfer of `path` started, and returns the progress callback that reports its bytes. */
  private transferEvents(path: string, direction: 'up' | 'down', size: number): TransferProgress {
    const emit = this.ctx.onTransfer;
    emit?.({ path, direction, phase: 'started', bytes: 0, size });
    return (bytes, total) => emit?.({ path, direction, phase: 'progress', bytes, size: total ?? size });
  }

  private dirBase(rel: string, st: fs.Stats | undefined, remoteDateMs: number): BaseEntry {
    return {
      path: rel,
      kind: 'dir',
      size: 0,
      localMtimeMs: st?.mtimeMs ?? 0,
      localIno: st?.ino ?? 0,
      remoteDateMs,
    };
  }

  private async mkdirRemote(a: MkdirRemoteAction): Promise<void> {
    // The local folder may have been renamed away (or replaced by a file) since the scan.
    if (!lstatOrUndefined(abs(this.ctx.localRoot, this.onDisk(a.path)))?.isDirectory())
      throw new Stale(`mkdir: ${a.path} is no longer a folder here`);
    const current = await this.checkRemote(a.path, a.expectRemote, 'mkdir');
    if (current) await this.trashRemote(a.path);
    const before = lstatOrUndefined(abs(this.ctx.localRoot, this.onDisk(a.path)));
    journalMkdir(this.ctx.index, this.ctx.pairId, a.path, {
      mtimeMs: before?.mtimeMs ?? 0,
      ino: before?.ino ?? 0,
    });
    let madeHere = false;
    try {
      await this.ctx.remote.mkdir(a.path);
      madeHere = true;
    } catch (e) {
      // 'exists': made meanwhile; 'transient': the answer was lost (creating is not retried), maybe after it was
      // made. Either way a container there now is what this action wanted.
      const maybeMade = e instanceof VosError && (e.kind === 'exists' || e.kind === 'transient');
      if (!(maybeMade && (await this.ctx.remote.stat(a.path))?.kind === 'dir')) throw e;
    }
    const st = lstatOrUndefined(abs(this.ctx.localRoot, this.onDisk(a.path)));
    if (!st?.isDirectory()) {
      // The folder went away here while it was being made there: the empty remote folder is our own stale
      // write, not a remote change to weigh against the user's (it is removed; not if something arrived in it).
      if (madeHere) await this.ctx.remote.delete(a.path).catch(() => undefined);
      throw new Stale(`mkdir: ${a.path} stopped being a folder here while it was made on the server`);
    }
    const made = await this.written(a.path);
    const remote: RemoteEntry = { path: a.path, kind: 'dir', size: 0, dateMs: made.dateMs ?? 0 };
    const o: Outcome = {
      path: a.path,
      remote,
      base: this.dirBase(a.path, st, remote.dateMs),
      local: statEntry(a.path, st),
    };
    this.ctx.index.transaction(() => {
      this.commit(o);
      clearMkdirJournal(this.ctx.index, this.ctx.pairId, a.path);
    });
  }

  private async mkdirLocal(a: MkdirLocalAction): Promise<void> {
    const p = abs(this.ctx.localRoot, this.onDisk(a.path));
    const st0 = this.checkLocal(a.path, a.expectLocal, 'mkdir');
    assertNoLinkOnTheWay(this.ctx.localRoot, this.onDisk(a.path));
    if (st0) this.trashLocal(a.path);
    fs.mkdirSync(p, { recursive: true });
    const st = fs.lstatSync(p);
    const remote = this.ctx.index.getEntry(this.ctx.pairId, a.path).remote;
    const o: Outcome = { path: a.path, local: statEntry(a.path, st) };
    if (remote?.kind === 'dir') o.base = this.dirBase(a.path, st, remote.dateMs);
    this.commit(o);
  }

  private async deleteRemote(a: DeleteRemoteAction): Promise<void> {
    await this.checkRemote(a.path, a.expectRemote, 'delete');
    await this.trashRemote(a.path);
    const hasLocal = this.ctx.index.getEntry(this.ctx.pairId, a.path).local !== undefined;
    this.commit({
      path: a.path,
      remote: null,
      ...(hasLocal ? {} : { base: null }),
    });
  }

  private async deleteLocal(a: DeleteLocalAction): Promise<void> {
    this.checkLocal(a.path, a.expectLocal, 'delete');
    this.trashLocal(a.path);
    const hasRemote = this.ctx.index.getEntry(this.ctx.pairId, a.path).remote !== undefined;
    this.commit({
      path: a.path,
      local: null,
      ...(hasRemote ? {} : { base: null }),
    });
  }

  /** Re-keys the records of a subtree in the chosen trees, in one transaction. */
  private rekey(
    from: string,
    to: string,
    trees: { local?: boolean; remote?: boolean; base?: boolean },
    remoteDate?: number,
  ): void {
    const idx = this.ctx.index;
    const inside = (p: string) => p === from || p.startsWith(from + '/');
    const moved = (p: string) => to + p.slice(from.length);
    const outcomes: Outcome[] = [];
    if (trees.local) {
      for (const e of idx.loadLocalTree(this.ctx.pairId).values()) {
        if (!inside(e.path)) continue;
        outcomes.push(
          { path: e.path, local: null },
          { path: moved(e.path), local: { ...e, path: moved(e.path) } },
        );
      }
    }
    if (trees.remote) {
      for (const e of idx.loadRemoteTree(this.ctx.pairId).values()) {
        if (!inside(e.path)) continue;
        const dateMs = e.path === from && remoteDate !== undefined ? remoteDate : e.dateMs;
        outcomes.push(
          { path: e.path, remote: null },
          { path: moved(e.path), remote: { ...e, path: moved(e.path), dateMs } },
        );
      }
    }
    if (trees.base) {
      for (const e of idx.loadBaseTree(this.ctx.pairId).values()) {
        if (!inside(e.path)) continue;
        const remoteDateMs = e.path === from && remoteDate !== undefined ? remoteDate : e.remoteDateMs;
        // A move is not a write of the content: the date it leaves is no upload time (see possiblyConcurrent).
        const { uploaded: _notAnUpload, ...rest } = e;
        outcomes.push(
          { path: e.path, base: null },
          { path: moved(e.path), base: { ...rest, path: moved(e.path), remoteDateMs } },
        );
      }
    }
    // Removals first, then insertions, so a path that is both source and destination ends up correct.
    const removals = outcomes.filter((o) => o.local === null || o.remote === null || o.base === null);
    const inserts = outcomes.filter((o) => !removals.includes(o));
    idx.commitOutcomes(this.ctx.pairId, [...removals, ...inserts]);
  }

  private async moveRemote(a: MoveRemoteAction): Promise<void> {
    await this.checkRemote(a.from, a.expectRemote, 'move');
    // The server moves *into* an existing container: make sure the destination is free. An empty placeholder
    // counts as free (as for uploads, and the planner ignores it), so it goes to the trash, or the move never runs.
    const there = await this.ctx.remote.stat(a.to);
    if (there && !isPlaceholder(there)) throw new Stale(`move: ${a.to} already exists on the server`);
    if (there) await this.trashRemote(a.to);
    const replaysRename = a.purpose === 'local-rename';
    // Journalled first: a crash before the index follows must not make our own move look like a remote change.
    if (replaysRename) journalMove(this.ctx.index, this.ctx.pairId, a.from, a.to);
    await this.ctx.remote.move(a.from, a.to);
    const moved = await this.written(a.to);
    this.ctx.index.transaction(() => {
      this.rekey(a.from, a.to, { remote: true, base: replaysRename }, moved.dateMs);
      if (replaysRename) clearMoveJournal(this.ctx.index, this.ctx.pairId, a.from);
    });
  }

  private async renameLocal(a: RenameLocalAction): Promise<void> {
    this.checkLocal(a.from, a.expectLocal, 'rename');
    assertNoLinkOnTheWay(this.ctx.localRoot, this.onDisk(a.from));
    assertNoLinkOnTheWay(this.ctx.localRoot, this.onDisk(a.to));
    const dest = abs(this.ctx.localRoot, this.onDisk(a.to));
    if (lstatOrUndefined(dest)) throw new Stale(`rename: ${a.to} already exists locally`);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.renameSync(abs(this.ctx.localRoot, this.onDisk(a.from)), dest);
    this.rekey(a.from, a.to, { local: true, base: a.purpose === 'remote-rename' });
  }

  private async recordSynced(a: RecordSyncedAction): Promise<void> {
    this.checkLocal(a.path, a.expectLocal, 'record');
    this.commit({ path: a.path, base: syncedBase(a) });
  }
}

export function executePlan(plan: Plan, ctx: ExecutorContext): Promise<ExecutionReport> {
  return new Executor(ctx).run(plan);
}
