/**
 * Actions in plain words, for the log file and `vosync log`: what a person would say happened, not the
 * executor's internal action names.
 */
import type { PlanAction } from './reconcile.js';

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

/** `uploaded a.txt (17 B)`, `renamed here a.txt → a.conflict-….txt`, or `upload of a.txt failed: …`. */
export function actionWords(
  type: string,
  what: string,
  result: 'done' | 'skipped' | 'failed',
  detail?: { bytes?: number; message?: string | null },
): string {
  const t = type as PlanAction['type'];
  const bytes = detail?.bytes ? ` (${detail.bytes} B)` : '';
  if (result === 'done') return `${DONE[t] ?? type} ${what}${bytes}`;
  const doing = DOING[t] ?? type;
  const of = t === 'upload' || t === 'download' ? `${doing} of ${what}` : `${doing} ${what}`;
  return `${of} ${result === 'failed' ? 'failed' : 'put off'}${detail?.message ? `: ${detail.message}` : ''}`;
}
