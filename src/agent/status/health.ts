/**
 * The health rule: one pure function from what the agent knows about a pair to whether it is up to date, and if
 * not, why, in words with counts. The CLI, the status API, the page and the tray all show its answer, so a
 * glance tells the truth: "up to date" only when nothing is pending either way, the last remote poll succeeded
 * within its schedule, no conflict is open, nothing is left unsynced, nothing is failing, and the pair is
 * neither paused, offline, stale nor (backup) diverged from the server.
 */
import type { PairState, Pending } from './status.js';

/** Worst first: `error` needs the user now, `attention` needs a look, `busy` will pass by itself. */
export type HealthLevel = 'ok' | 'busy' | 'attention' | 'error';

export interface FailingAction {
  path: string | null;
  message: string;
  /** Consecutive failures of this action. */
  attempts: number;
}

export interface HealthFacts {
  now: number;
  state: PairState;
  pausedReason: string | null;
  pending: Required<Pending>;
  /** Transfers in flight. */
  transfers: number;
  /** A cycle is queued or running, or changes were seen that no cycle has looked at. */
  busy: boolean;
  /** The last cycle ended with its whole plan done. */
  lastCycleClean: boolean;
  lastRemotePollOkAt: number | null;
  /** How often the remote is polled, by its schedule. */
  pollIntervalMs: number;
  /** When the server stopped answering, while offline. */
  offlineSince: number | null;
  conflicts: number;
  notSynced: number;
  /** Actions failing for good, or transiently again and again (see FAILING_AFTER). */
  failing: FailingAction[];
  /** Backup mode: files changed on the server that the mode leaves alone, so the two differ. */
  diverged: number;
}

export interface Health {
  level: HealthLevel;
  upToDate: boolean;
  /** Why it is not up to date, most urgent first, e.g. `1 conflict`, `offline since 12:03, 13 changes queued`. */
  reasons: string[];
}

/** A transient failure of one action counts as failing from this many attempts in a row. */
export const FAILING_AFTER = 3;

/** A pair whose last good remote poll is this many intervals old (plus a minute for slow polls) is stale. */
const STALE_AFTER_POLLS = 2;
const STALE_SLACK_MS = 60_000;

const ORDER: HealthLevel[] = ['ok', 'busy', 'attention', 'error'];

export function worstLevel(levels: HealthLevel[]): HealthLevel {
  return levels.reduce<HealthLevel>((a, b) => (ORDER.indexOf(b) > ORDER.indexOf(a) ? b : a), 'ok');
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** `12:03` in the machine's local time: how a person reads "offline since". */
function clock(t: number): string {
  const d = new Date(t);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

function minutes(ms: number): string {
  const m = Math.round(ms / 60_000);
  return m < 120 ? `${m} min` : `${Math.round(m / 60)} h`;
}

/** Everything waiting, either way: counted work and changes not yet looked at. */
export function queuedCount(p: Required<Pending>): number {
  return p.uploads + p.downloads + p.deletes + p.other + p.localChanges;
}

function pendingWords(p: Required<Pending>, transfers: number): string {
  const parts: string[] = [];
  if (p.uploads) parts.push(plural(p.uploads, 'upload'));
  if (p.downloads) parts.push(plural(p.downloads, 'download'));
  if (p.deletes) parts.push(plural(p.deletes, 'delete'));
  if (p.other) parts.push(plural(p.other, 'other change'));
  if (p.localChanges) parts.push(plural(p.localChanges, 'local change'));
  if (parts.length > 0) return `syncing: ${parts.join(', ')} pending`;
  return transfers > 0 ? `syncing: ${plural(transfers, 'transfer')} in flight` : 'syncing';
}

export function pairHealth(f: HealthFacts): Health {
  const found: { level: HealthLevel; reason: string }[] = [];
  const add = (level: HealthLevel, reason: string) => found.push({ level, reason });

  if (f.state === 'offline') {
    const since = f.offlineSince !== null ? ` since ${clock(f.offlineSince)}` : '';
    const queued = queuedCount(f.pending);
    add('error', `offline${since}${queued > 0 ? `, ${plural(queued, 'change')} queued` : ''}`);
  }
  if (f.failing.length > 0) {
    const first = f.failing[0]!;
    const what = `${first.path ? `${first.path}: ` : ''}${first.message}`;
    const tries = first.attempts > 1 ? `, ${first.attempts} attempts` : '';
    add('error', `${f.failing.length} failing (${what}${tries})`);
  } else if (f.state === 'error') add('error', 'error');
  if (f.state === 'paused') {
    const why = f.pausedReason ?? 'paused by the user';
    add('attention', why.startsWith('paused') ? why : `paused: ${why}`);
  }
  if (f.conflicts > 0) add('attention', plural(f.conflicts, 'conflict'));
  if (f.notSynced > 0) add('attention', `${f.notSynced} not synced`);
  if (f.diverged > 0)
    add('attention', `${plural(f.diverged, 'file')} changed on the server and not taken back (backup mode)`);
  if (f.state !== 'offline' && f.state !== 'paused') {
    if (f.lastRemotePollOkAt === null) {
      if (f.state === 'idle' || f.state === 'stale') add('attention', 'stale: the server was never polled');
    } else if (f.now - f.lastRemotePollOkAt > STALE_AFTER_POLLS * f.pollIntervalMs + STALE_SLACK_MS) {
      add('attention', `stale: no remote poll for ${minutes(f.now - f.lastRemotePollOkAt)}`);
    } else if (f.state === 'stale') add('attention', 'stale: no successful sync within its schedule');
  }
  const working =
    f.state === 'starting' || f.state === 'scanning' || f.state === 'syncing' || f.busy || f.transfers > 0;
  // Work waiting behind a failure or an outage is said by that reason, not as "syncing".
  const blocked = found.some((x) => x.level === 'error');
  if (!blocked && (working || queuedCount(f.pending) > 0)) add('busy', pendingWords(f.pending, f.transfers));
  if (found.length === 0 && !f.lastCycleClean) add('busy', 'syncing: the last cycle left work to redo');

  const level = worstLevel(found.map((x) => x.level));
  const reasons = [...found]
    .sort((a, b) => ORDER.indexOf(b.level) - ORDER.indexOf(a.level))
    .map((x) => x.reason);
  return { level, upToDate: level === 'ok', reasons };
}
