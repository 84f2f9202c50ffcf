/**
 * One cycle in the words of the daemon's log: each action as it ends with its size and how long its
 * transfer took, then one summary line (uploaded/downloaded/deleted counts, bytes, duration, conflicts).
 * Pure: the daemon feeds it the cycle's events and the clock, and writes what it returns.
 */
import type { ActionEvent } from '../engine/executor.js';
import { humanBytes } from '../../util/bytes.js';
import { actionWords } from './action-words.js';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface LogLine {
  level: LogLevel;
  line: string;
}

/** `0.4 s`, `12 s`, `3 min 4 s`, `2 h 5 min`. */
export function humanDuration(ms: number): string {
  if (ms < 10_000) return `${(Math.max(0, ms) / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ''}`;
}

type Counted = 'uploaded' | 'downloaded' | 'deleted' | 'moved' | 'folders' | 'inSync' | 'failed';

export class CycleLog {
  private readonly startedAt: number;
  private readonly transfers = new Map<string, number>();
  private readonly counts: Record<Counted, number> = {
    uploaded: 0,
    downloaded: 0,
    deleted: 0,
    moved: 0,
    folders: 0,
    inSync: 0,
    failed: 0,
  };
  private bytesUp = 0;
  private bytesDown = 0;

  constructor(
    private readonly pair: string,
    private readonly now: () => number,
  ) {
    this.startedAt = now();
  }

  /** A transfer's bytes start to move: its time is counted from here. */
  transferStarted(path: string): void {
    if (!this.transfers.has(path)) this.transfers.set(path, this.now());
  }

  /**
   * The line for an action that ended: done at info, failed as a warning, put off at debug. Book-keeping that
   * moves nothing (a path found already in sync, a record forgotten) is debug: a first sync of 100,000 files
   * that are already on both sides is one summary line, not 100,000.
   */
  action(e: ActionEvent): LogLine {
    const a = e.action;
    const path = 'path' in a ? a.path : a.to;
    const what = 'path' in a ? a.path : `${a.from} → ${a.to}`;
    const began = this.transfers.get(path);
    this.transfers.delete(path);
    const ms = began === undefined ? undefined : this.now() - began;
    if (e.result === 'done') this.count(a.type, e.bytes ?? 0);
    if (e.result === 'failed') this.counts.failed++;
    const words = actionWords(a.type, what, e.result, {
      bytes: e.bytes ?? 0,
      message: e.message ?? null,
      ...(ms !== undefined ? { ms } : {}),
    });
    const bookKeeping = a.type === 'recordSynced' || a.type === 'forgetBase';
    const level: LogLevel =
      e.result === 'failed' ? 'warn' : e.result === 'done' && !bookKeeping ? 'info' : 'debug';
    return { level, line: `${this.pair}: ${words}` };
  }

  private count(type: ActionEvent['action']['type'], bytes: number): void {
    if (type === 'upload') {
      this.counts.uploaded++;
      this.bytesUp += bytes;
    } else if (type === 'download') {
      this.counts.downloaded++;
      this.bytesDown += bytes;
    } else if (type === 'deleteLocal' || type === 'deleteRemote') this.counts.deleted++;
    else if (type === 'moveRemote' || type === 'renameLocal') this.counts.moved++;
    else if (type === 'mkdirLocal' || type === 'mkdirRemote') this.counts.folders++;
    else if (type === 'recordSynced') this.counts.inSync++;
  }

  /**
   * `results: synced in 3.2 s: 4 uploaded (2.1 MB), 1 downloaded (3 kB), 2 deleted, 1 conflict` at info
   * when anything happened; a cycle that found nothing to do is a debug line.
   */
  summary(extra: { conflicts: number }): LogLine {
    const c = this.counts;
    const parts: string[] = [];
    if (c.uploaded) parts.push(`${c.uploaded} uploaded (${humanBytes(this.bytesUp)})`);
    if (c.downloaded) parts.push(`${c.downloaded} downloaded (${humanBytes(this.bytesDown)})`);
    if (c.deleted) parts.push(`${c.deleted} deleted (kept in a trash)`);
    if (c.moved) parts.push(`${c.moved} moved or renamed`);
    if (c.folders) parts.push(`${c.folders} folder(s) made`);
    if (c.inSync) parts.push(`${c.inSync} found already in sync`);
    if (extra.conflicts) parts.push(`${extra.conflicts} conflict(s) kept as copies`);
    if (c.failed) parts.push(`${c.failed} FAILED`);
    const took = humanDuration(this.now() - this.startedAt);
    if (parts.length === 0)
      return { level: 'debug', line: `${this.pair}: nothing to do (checked in ${took})` };
    return {
      level: c.failed ? 'warn' : 'info',
      line: `${this.pair}: cycle done in ${took}: ${parts.join(', ')}`,
    };
  }
}
