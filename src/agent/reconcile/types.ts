/**
 * The reconciler's input and output: a Plan of primitive actions for the executor, plus notices for the user.
 *
 * Executor contract (what each action means for disk, server and index; the reconciler relies on it for
 * convergence):
 * - Every action carries the snapshot(s) it was planned against. Just before acting, the executor re-reads the
 *   item and refuses (re-plans) when it no longer matches: local files by size + mtime + inode (MD5 when both
 *   known), remote nodes by MD5 when both known, else length + date. `expect* = null` means "the path must be
 *   free".
 * - Nothing is unlinked: every local item removed or replaced goes to the local trash; every remote item removed
 *   or replaced by a *loser* goes to the remote trash (a server-side move).
 * - After an action succeeds, the index is updated as follows:
 *   upload / download / mkdirRemote / mkdirLocal at P: the touched side's record is refreshed and
 *     base[P] := { kind, size, md5, localMtimeMs, localIno of the local item, remoteDateMs of the remote node }.
 *   deleteLocal / deleteRemote at P: that side's record is dropped; base[P] is dropped when the other side has
 *     no record at P (otherwise a later action of the same plan records it).
 *   moveRemote(from, to): remote records under `from` are re-keyed under `to` (re-read from the server after the
 *     move). For purpose 'local-rename' the base records are re-keyed too (base.remoteDateMs refreshed from the
 *     re-read, since content did not change); for 'conflict-aside' base is left alone.
 *   renameLocal(from, to): local records under `from` are re-keyed under `to` (rename keeps inode and mtime).
 *     For purpose 'remote-rename' the base records are re-keyed too; for 'conflict-copy' base is left alone.
 *   recordSynced: base[P] := syncedBase(action), from the two snapshots. forgetBase: base[P] is dropped.
 * - Snapshots are the observed entries themselves, shared with the trees and never changed: a first sync's plan
 *   holds an action per path, and copies of them cost 100,000 paths ~40 MB more.
 */
import type { BaseEntry, ConflictPolicy, EntryKind, LocalEntry, RemoteEntry, SyncMode } from '../model.js';

export interface ReconcileInput {
  local: ReadonlyMap<string, LocalEntry>;
  remote: ReadonlyMap<string, RemoteEntry>;
  base: ReadonlyMap<string, BaseEntry>;
  mode: SyncMode;
  conflictPolicy: ConflictPolicy;
  /** Epoch ms, used only for conflict-copy names (UTC). */
  now: number;
  /** This machine's name, used only for conflict-copy names. */
  host: string;
  /** The local file system folds letter case (macOS, Windows): `a.txt` and `A.txt` are one file there. */
  caseInsensitiveLocal: boolean;
  /** Backup mode only: push local deletions (and local renames) to the remote. Default false. */
  propagateLocalDeletes?: boolean;
  /**
   * Nothing was ever synced (every conflict keeps both versions). Default: `base` is empty — say it when the
   * trees are only part of the pair.
   */
  firstSync?: boolean;
}

/** What the executor expects to find locally before acting. */
export interface LocalSnapshot {
  kind: EntryKind;
  size: number;
  mtimeMs: number;
  ino: number;
  md5?: string;
}

/** What the executor expects to find remotely before acting. */
export interface RemoteSnapshot {
  kind: EntryKind;
  size: number;
  dateMs: number;
  md5?: string;
}

/** Send the local file at `path` to the remote `path`. */
export interface UploadAction {
  type: 'upload';
  path: string;
  /** The local file to send (for a conflict copy: the renamed file, same inode and mtime). */
  expectLocal: LocalSnapshot;
  /** null: the remote path must be free. Otherwise the node being replaced. */
  expectRemote: RemoteSnapshot | null;
  /**
   * true: move `expectRemote` into the remote trash before writing (a conflict loser, or a folder/file being
   * replaced by the other kind). false with `expectRemote` set: an ordinary overwrite of the synced version.
   */
  trashRemoteFirst: boolean;
  reason: string;
}

/** Fetch the remote file at `path` into the local `path` (temp file, verify, rename into place). */
export interface DownloadAction {
  type: 'download';
  path: string;
  expectRemote: RemoteSnapshot;
  /** null: the local path must be free. Otherwise the local item is moved to the local trash first. */
  expectLocal: LocalSnapshot | null;
  reason: string;
}

export interface MkdirRemoteAction {
  type: 'mkdirRemote';
  path: string;
  /** null: the path must be free. Otherwise a remote file that goes to the remote trash first. */
  expectRemote: RemoteSnapshot | null;
  reason: string;
}

export interface MkdirLocalAction {
  type: 'mkdirLocal';
  path: string;
  /** null: the path must be free. Otherwise a local file that goes to the local trash first. */
  expectLocal: LocalSnapshot | null;
  reason: string;
}

/** Move the remote node into the remote trash. For a folder, its children come earlier in the plan. */
export interface DeleteRemoteAction {
  type: 'deleteRemote';
  path: string;
  expectRemote: RemoteSnapshot;
  reason: string;
}

/** Move the local item into the local trash. For a folder, its children come earlier in the plan. */
export interface DeleteLocalAction {
  type: 'deleteLocal';
  path: string;
  expectLocal: LocalSnapshot;
  reason: string;
}

/** Server-side move of a node (with its subtree). */
export interface MoveRemoteAction {
  type: 'moveRemote';
  from: string;
  to: string;
  /** 'local-rename': replays a rename the user made locally. 'conflict-aside': keeps a remote conflict loser. */
  purpose: 'local-rename' | 'conflict-aside';
  /** The node at `from`. */
  expectRemote: RemoteSnapshot;
  /** The local item already at `to` ('local-rename'), or null ('conflict-aside'). */
  expectLocal: LocalSnapshot | null;
  reason: string;
}

/** Local rename (with its subtree). */
export interface RenameLocalAction {
  type: 'renameLocal';
  from: string;
  to: string;
  /** 'conflict-copy': moves the local side of a conflict aside. 'remote-rename': replays a remote rename. */
  purpose: 'conflict-copy' | 'remote-rename';
  /** The item at `from`. */
  expectLocal: LocalSnapshot;
  reason: string;
}

/** Both sides already hold the same thing: remember it as synced (no transfer). */
export interface RecordSyncedAction {
  type: 'recordSynced';
  path: string;
  expectLocal: LocalSnapshot;
  expectRemote: RemoteSnapshot;
  reason: string;
}

/** The path is gone on both sides (or is no longer tracked): drop its base record. */
export interface ForgetBaseAction {
  type: 'forgetBase';
  path: string;
  reason: string;
}

export type PlanAction =
  | UploadAction
  | DownloadAction
  | MkdirRemoteAction
  | MkdirLocalAction
  | DeleteRemoteAction
  | DeleteLocalAction
  | MoveRemoteAction
  | RenameLocalAction
  | RecordSyncedAction
  | ForgetBaseAction;

export type PlanActionType = PlanAction['type'];

export type NoticeKind =
  /** A conflict was resolved; `related` names the conflict copy when one was made. */
  | 'conflict'
  /** Two names differing only in letter case cannot both exist on the case-insensitive local disk. */
  | 'case-clash'
  /** Backup mode: a remote change is left alone. */
  | 'remote-change-ignored'
  /** Backup mode: a local deletion is not pushed to the remote. */
  | 'local-delete-not-propagated'
  /** Mirror-down mode: a local-only item is left alone (not uploaded). */
  | 'local-only-ignored'
  /** Content equality cannot be decided yet (an MD5 is missing and sizes agree); retried next run. */
  | 'content-unknown'
  /** A folder deletion was not carried out because something inside it is kept. */
  | 'delete-cancelled';

export interface Notice {
  kind: NoticeKind;
  path: string;
  message: string;
  /** A second path involved (conflict copy, the other case variant). */
  related?: string;
}

export interface Plan {
  /** In execution order: parents created before children, children removed before parents. */
  actions: PlanAction[];
  /** Things the user should know; not work. Sorted by path. */
  notices: Notice[];
  /** The base was empty: nothing is deleted or overwritten, conflicts keep both. */
  firstSync: boolean;
}
