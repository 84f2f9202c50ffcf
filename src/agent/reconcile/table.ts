/**
 * The decision table, per mode, for one path given each side's state against base.
 * Used for files, for folders present on one side only, and for file-vs-folder pairs; the caller turns a
 * decision into actions that fit the kinds involved.
 */
import type { SyncMode } from '../model.js';
import type { SideState } from './compare.js';

export type Decision =
  | 'nothing'
  /** Local wins: send local to remote (upload, mkdirRemote). */
  | 'upload'
  /** Remote wins: bring remote to local (download, mkdirLocal). */
  | 'download'
  | 'deleteLocal'
  | 'deleteRemote'
  /** Both sides hold something new: same content → record as synced, else a conflict. */
  | 'compare'
  | 'forget'
  /** backup: a local deletion is not pushed; base is forgotten so the remote copy becomes remote-only. */
  | 'forget-local-delete'
  /** backup: a remote change of something unchanged locally is left alone. */
  | 'ignore-remote-change'
  /** backup: remote-only items are not downloaded. */
  | 'ignore-remote-only'
  /** mirror-down: local-only items are not uploaded. */
  | 'ignore-local-only';

type Row = `${SideState}/${SideState}`;
type Table = Partial<Record<Row, Decision>>;

const TWO_WAY: Table = {
  'same/same': 'nothing',
  'changed/same': 'upload',
  'same/changed': 'download',
  'changed/changed': 'compare',
  'deleted/same': 'deleteRemote',
  'deleted/changed': 'download', // an edit beats a delete
  'same/deleted': 'deleteLocal',
  'changed/deleted': 'upload', // an edit beats a delete
  'deleted/deleted': 'forget',
  'new/new': 'compare',
  'new/absent': 'upload',
  'absent/new': 'download',
};

const BACKUP: Table = {
  'same/same': 'nothing',
  'changed/same': 'upload',
  'same/changed': 'ignore-remote-change',
  'changed/changed': 'compare', // conflict: the remote version goes to the remote trash, local is uploaded
  'deleted/same': 'forget-local-delete', // or deleteRemote with propagateLocalDeletes
  'deleted/changed': 'forget-local-delete',
  'same/deleted': 'upload', // remote deletions are not pushed back: re-upload
  'changed/deleted': 'upload',
  'deleted/deleted': 'forget',
  'new/new': 'compare',
  'new/absent': 'upload',
  'absent/new': 'ignore-remote-only',
};

const MIRROR_DOWN: Table = {
  'same/same': 'nothing',
  'changed/same': 'download', // the local edit goes to the local trash
  'same/changed': 'download',
  'changed/changed': 'compare',
  'deleted/same': 'download', // local deletions are re-downloaded
  'deleted/changed': 'download',
  'same/deleted': 'deleteLocal',
  'changed/deleted': 'deleteLocal', // to the local trash
  'deleted/deleted': 'forget',
  'new/new': 'compare',
  'new/absent': 'ignore-local-only',
  'absent/new': 'download',
};

export function decide(
  local: SideState,
  remote: SideState,
  mode: SyncMode,
  propagateLocalDeletes = false,
): Decision {
  const table = mode === 'two-way' ? TWO_WAY : mode === 'backup' ? BACKUP : MIRROR_DOWN;
  const row: Row = `${local}/${remote}`;
  if (mode === 'backup' && propagateLocalDeletes && row === 'deleted/same') return 'deleteRemote';
  return table[row] ?? 'nothing';
}
