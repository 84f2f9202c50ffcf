/**
 * Actions in plain words, for the log file and `vosync log`: what a person would say happened, not the
 * executor's internal action names.
 */
import type { PlanAction } from '../reconcile/index.js';
import { humanBytes } from '../../util/bytes.js';

const DONE: Record<PlanAction['type'], string> = {
  upload: 'uploaded',
  download: 'downloaded',
  mkdirRemote: 'made the folder on the server',
  mkdirLocal: 'made the folder here',
  deleteRemote: 'deleted on the server (kept in the remote trash)',
  deleteLocal: 'deleted here (kept in the local trash)',
  moveRemote: 'moved on the server',
  renameLocal: 'renamed here',
  recordSynced: 'found already in sync',
  forgetBase: 'forgotten (gone on both sides)',
};

const DOING: Record<PlanAction['type'], string> = {
  upload: 'upload',
  download: 'download',
  mkdirRemote: 'making the folder on the server',
  mkdirLocal: 'making the folder here',
  deleteRemote: 'deleting on the server',
  deleteLocal: 'deleting here',
  moveRemote: 'moving on the server',
  renameLocal: 'renaming here',
  recordSynced: 'recording as in sync',
  forgetBase: 'forgetting',
};

const WOULD: Record<PlanAction['type'], string> = {
  upload: 'upload',
  download: 'download',
  mkdirRemote: 'make the folder on the server',
  mkdirLocal: 'make the folder here',
  deleteRemote: 'delete on the server (to the remote trash)',
  deleteLocal: 'delete here (to the local trash)',
  moveRemote: 'move on the server',
  renameLocal: 'rename here',
  recordSynced: 'record as in sync',
  forgetBase: 'forget (gone on both sides)',
};

/** What a planned action would do, for a dry run: `would upload a.txt (17 B)`, `would rename here a → b`. */
export function plannedWords(a: PlanAction): string {
  const what = a.type === 'moveRemote' || a.type === 'renameLocal' ? `${a.from} → ${a.to}` : a.path;
  const size =
    a.type === 'upload' ? a.expectLocal.size : a.type === 'download' ? a.expectRemote.size : undefined;
  return `would ${WOULD[a.type]} ${what}${size !== undefined ? ` (${size} B)` : ''}`;
}

/** ` (1.2 MB in 0.4 s)`, ` (17 B)`, or nothing. */
function sizeAndTime(bytes: number | undefined, ms: number | undefined): string {
  const parts = [bytes ? humanBytes(bytes) : '', ms !== undefined ? `${(ms / 1000).toFixed(1)} s` : ''];
  if (!parts[0] && !parts[1]) return '';
  return ` (${parts.filter(Boolean).join(' in ')})`;
}

/**
 * `uploaded a.txt (1.2 MB in 0.4 s)`, `renamed here a.txt → a.conflict-….txt`, or `upload of a.txt
 * failed: …`; `ms` is how long the transfer took, where known.
 */
export function actionWords(
  type: string,
  what: string,
  result: 'done' | 'skipped' | 'failed',
  detail?: { bytes?: number; message?: string | null; ms?: number },
): string {
  const t = type as PlanAction['type'];
  const bytes = sizeAndTime(detail?.bytes, detail?.ms);
  if (result === 'done') return `${DONE[t] ?? type} ${what}${bytes}`;
  const doing = DOING[t] ?? type;
  const of = t === 'upload' || t === 'download' ? `${doing} of ${what}` : `${doing} ${what}`;
  return `${of} ${result === 'failed' ? 'failed' : 'put off'}${detail?.message ? `: ${detail.message}` : ''}`;
}
