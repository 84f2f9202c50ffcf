/**
 * The status in words: the terminal summary of `vosync status`, the tray lines of `vosync status --tray`
 * (xbar on macOS, Argos on GNOME), and the exit code scripts and monitoring read.
 */
import { humanBytes } from '../../util/bytes.js';
import { etaSeconds } from '../status/progress.js';
import type { ConflictsDoc, ErrorsDoc, NotSyncedDoc, PairStatusDoc, StatusDoc } from './schemas.js';

/** Exit codes of `vosync status`, in the convention monitoring tools (Nagios, Icinga…) use. */
export const HEALTH = {
  /** Every pair up to date or working normally. */
  ok: 0,
  /** Needs a look: a conflict, something not synced, a pair paused, stale or diverged. */
  warning: 1,
  /** Something is failing, or a pair is offline. */
  critical: 2,
  /** The daemon could not be asked (not running, refused the token). */
  unknown: 3,
} as const;

export function healthCode(s: Pick<StatusDoc, 'pairs'> & Partial<Pick<StatusDoc, 'config'>>): number {
  const levels = s.pairs.map((p) => p.health.level);
  if (levels.includes('error')) return HEALTH.critical;
  // A refused reload means the daemon is not running the file the user last wrote.
  if (levels.includes('attention') || s.config?.reloadError) return HEALTH.warning;
  return HEALTH.ok;
}

/** The config line of the summary and the tray, when there is something to say about the config. */
export function configWords(s: Pick<StatusDoc, 'config'>): string | undefined {
  const c = s.config;
  if (c.reloadError) {
    const n = c.reloadError.errors.length;
    return (
      `config reload refused (${plural(n, 'problem')}), still running the previous config: ` +
      oneLine(c.reloadError.errors[0] ?? '')
    );
  }
  if (c.restartNeeded.length > 0) return `config: restart the daemon to apply ${c.restartNeeded.join(', ')}`;
  return undefined;
}

/** One word (or three) for a pair's or the daemon's condition, as a person says it. */
export function stateWords(state: string, health: Pick<PairStatusDoc['health'], 'level'>): string {
  switch (health.level) {
    case 'ok':
      return 'up to date';
    case 'busy':
      return state === 'idle' || state === 'stale' ? 'changes pending' : state;
    case 'attention':
      return state === 'paused' || state === 'stale' ? state : 'needs a look';
    case 'error':
      return state === 'offline' ? 'offline' : 'error';
  }
}

export function ago(t: number | null, now: number): string {
  if (t === null) return 'never';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

/** A time to go as a person says it: `40 s`, `5 min`, `2 h 10 min`, `30 h`. */
export function duration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const min = Math.round(seconds / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  return h < 10 && min % 60 > 0 ? `${h} h ${min % 60} min` : `${Math.round(min / 60)} h`;
}

type ProgressDoc = PairStatusDoc['progress'];

/** `↑ 120 files, 3.4 GB left · ↓ 1 file, 2.0 MB left · 12 MB/s · about 5 min`; undefined when nothing is left. */
export function progressWords(p: ProgressDoc): string | undefined {
  const parts: string[] = [];
  if (p.filesLeft.up > 0)
    parts.push(`↑ ${plural(p.filesLeft.up, 'file')}, ${humanBytes(p.bytesLeft.up)} left`);
  if (p.filesLeft.down > 0)
    parts.push(`↓ ${plural(p.filesLeft.down, 'file')}, ${humanBytes(p.bytesLeft.down)} left`);
  if (parts.length === 0) return undefined;
  if (p.bytesPerSecond > 0) parts.push(`${humanBytes(p.bytesPerSecond)}/s`);
  if (p.etaSeconds !== null) parts.push(`about ${duration(p.etaSeconds)}`);
  return parts.join(' · ');
}

/** The tray title's part about transfers left, all pairs together: `↑120 ↓3 · 5 min`. */
export function trayProgress(pairs: readonly Pick<PairStatusDoc, 'progress'>[]): string | undefined {
  let up = 0;
  let down = 0;
  let bytes = 0;
  let rate = 0;
  for (const { progress: p } of pairs) {
    up += p.filesLeft.up;
    down += p.filesLeft.down;
    bytes += p.bytesLeft.up + p.bytesLeft.down;
    rate += p.bytesPerSecond;
  }
  if (up + down === 0) return undefined;
  const counts = [...(up > 0 ? [`↑${up}`] : []), ...(down > 0 ? [`↓${down}`] : [])].join(' ');
  const eta = etaSeconds(bytes, rate);
  return eta === null ? counts : `${counts} · ${duration(eta)}`;
}

/** Server messages can span lines; a summary line must not. */
const oneLine = (s: string) => s.replace(/\s*[\r\n]+\s*/g, ' ');

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** What is worth saying about a pair after its state: the health rule's reasons, most urgent first. */
function pairDetails(p: PairStatusDoc, now: number): string[] {
  const out = p.health.reasons.map(oneLine);
  if (p.lastError && p.state === 'error' && p.health.reasons[0] === 'error')
    out[0] = `${p.lastError.path ? `${p.lastError.path}: ` : ''}${oneLine(p.lastError.message)}`;
  // With transfers left, the progress line says the rate.
  if (p.transfers > 0 && !progressWords(p.progress))
    out.push(`${plural(p.transfers, 'transfer')} at ${humanBytes(p.bytesPerSecond)}/s`);
  out.push(`last sync ${ago(p.lastSyncOkAt, now)}`);
  return out;
}

export function overallWords(s: Pick<StatusDoc, 'state' | 'health' | 'pairs'>): string {
  if (s.pairs.length === 0) return 'no folders configured';
  return stateWords(s.state, s.health);
}

export interface SummaryLists {
  errors: ErrorsDoc['errors'];
  conflicts: ConflictsDoc['conflicts'];
  notSynced: NotSyncedDoc['items'];
}

const SHOWN = 10;

/** The terminal summary: one line overall, one per pair, then errors, conflicts and what is not synced. */
export function humanSummary(s: StatusDoc, lists: SummaryLists): string {
  const { errors, conflicts, notSynced } = lists;
  const lines: string[] = [];
  lines.push(`vosync ${s.version}: ${overallWords(s)} (${plural(s.pairs.length, 'folder')})`);
  const config = configWords(s);
  if (config) lines.push(`  ${config}`);
  const width = Math.max(0, ...s.pairs.map((p) => p.name.length));
  for (const p of s.pairs) {
    const state = stateWords(p.state, p.health).toUpperCase();
    lines.push(`  ${p.name.padEnd(width)}  ${state.padEnd(15)}  ${pairDetails(p, s.now).join(' · ')}`);
    const progress = progressWords(p.progress);
    if (progress) lines.push(`  ${''.padEnd(width)}  ${progress}`);
    lines.push(`  ${''.padEnd(width)}  ${p.local} ⇄ ${p.remote} (${p.mode})`);
  }
  const more = (total: number) => (total > SHOWN ? [`  … and ${total - SHOWN} more`] : []);
  const permanent = errors.filter((e) => !e.transient);
  if (permanent.length > 0) {
    lines.push('', 'Errors (need you):');
    for (const e of permanent.slice(0, SHOWN))
      lines.push(`  ${e.pair}: ${e.path ?? '(whole folder)'}: ${oneLine(e.message)}`);
    lines.push(...more(permanent.length));
  }
  if (conflicts.length > 0) {
    lines.push('', 'Conflicts:');
    for (const c of conflicts.slice(0, SHOWN))
      lines.push(
        `  ${c.pair}: ${c.path}${c.copy ? ` (other version kept as ${c.copy})` : ''}: ${oneLine(c.message)}`,
      );
    lines.push(...more(conflicts.length));
  }
  for (const p of s.pairs) {
    const h = p.heldDeletes;
    if (!h) continue;
    const total = h.local + h.remote;
    lines.push(
      '',
      h.confirmed
        ? `${p.name}: ${plural(total, 'deletion')} confirmed, carried out by the next sync:`
        : `${p.name}: ${plural(total, 'deletion')} held back, confirm with vosync resume --confirm-deletes ${p.name}:`,
    );
    for (const d of h.paths.slice(0, SHOWN))
      lines.push(`  ${d.side === 'local' ? 'delete here' : 'delete on the server'}: ${d.path}`);
    lines.push(...more(total));
  }
  const notSyncedTotal = s.pairs.reduce((a, p) => a + p.notSynced, 0);
  if (notSynced.length > 0) {
    lines.push('', 'Not synced:');
    for (const i of notSynced.slice(0, SHOWN)) lines.push(`  ${i.pair}: ${i.path}: ${oneLine(i.reason)}`);
    lines.push(...more(Math.max(notSyncedTotal, notSynced.length)));
  }
  return lines.join('\n') + '\n';
}

export type TrayFlavour = 'xbar' | 'argos';

const TRAY_MARK: Record<string, string> = {
  ok: '✓',
  idle: '…',
  starting: '…',
  scanning: '↻',
  syncing: '↻',
  paused: '⏸',
  stale: '⚠',
  attention: '⚠',
  error: '✖',
  offline: '⚡',
  down: '✖',
};

/** A clickable menu line that runs vosync with arguments, in the flavour's syntax. */
function trayCommand(label: string, flavour: TrayFlavour, self: string[], args: string[]): string {
  const argv = [...self, ...args];
  if (flavour === 'argos') {
    // Argos runs the `bash` attribute through bash: one shell-quoted string.
    const quoted = argv.map((a) => `"${a.replace(/(["\\$`])/g, '\\$1')}"`).join(' ');
    return `${label} | bash='${quoted.replace(/'/g, "'\\''")}' terminal=false refresh=true`;
  }
  // xbar runs `shell` with param1…paramN as separate arguments.
  const params = argv.slice(1).map((a, i) => `param${i + 1}="${a.replace(/"/g, '\\"')}"`);
  return `${label} | shell="${argv[0]!.replace(/"/g, '\\"')}" ${params.join(' ')} terminal=false refresh=true`;
}

/** Menu text must not contain the separator `|` or start a new line. */
const trayText = (s: string) => s.replace(/\|/g, '¦').replace(/[\r\n]+/g, ' ');

export interface TrayOptions {
  flavour: TrayFlavour;
  /** The command that runs vosync (e.g. [node, main.js]), for the menu's actions. */
  self: string[];
  /** Arguments every action needs (e.g. ['--config', file]). */
  common: string[];
}

/** The xbar/Argos plugin output: a title line, `---`, then the menu. */
export function trayOutput(s: StatusDoc | { unreachable: string }, o: TrayOptions): string {
  const lines: string[] = [];
  const color = (c: string) => ` | color=${c}`;
  if ('unreachable' in s) {
    lines.push(
      `${TRAY_MARK['down']} vosync${color('#b3261e')}`,
      '---',
      trayText(`vosync is not running: ${s.unreachable}`),
    );
    lines.push(trayCommand('Start the daemon', o.flavour, o.self, ['daemon', ...o.common]));
    return lines.join('\n') + '\n';
  }
  const level = s.health.level;
  const key =
    level === 'ok'
      ? 'ok'
      : level === 'attention' && !['paused', 'stale'].includes(s.state)
        ? 'attention'
        : s.state;
  const tint = level === 'error' ? color('#b3261e') : level === 'attention' ? color('#9a6400') : '';
  const moving = trayProgress(s.pairs);
  lines.push(`${TRAY_MARK[key] ?? '•'} vosync${moving ? ` ${moving}` : ''}${tint}`, '---');
  lines.push(trayText(`vosync: ${overallWords(s)}`));
  const config = configWords(s);
  if (config) lines.push(trayText(config) + color('#9a6400'));
  for (const p of s.pairs) {
    const detail = pairDetails(p, s.now)[0];
    lines.push(trayText(`${p.name}: ${stateWords(p.state, p.health)}${detail ? ` — ${detail}` : ''}`));
    const progress = progressWords(p.progress);
    if (progress) lines.push(trayText(`${p.name}: ${progress}`));
  }
  lines.push('---');
  lines.push(trayCommand('Open status page', o.flavour, o.self, ['status', '--open', ...o.common]));
  const anyPaused = s.pairs.some((p) => p.state === 'paused');
  // "Resume" alone would pause a delete-limit pause again: the deletions it holds need their own yes.
  for (const p of s.pairs) {
    const h = p.heldDeletes;
    if (p.state !== 'paused' || !h || h.confirmed) continue;
    const label = trayText(`${p.name}: allow the ${h.local + h.remote} deletion(s) held back`);
    lines.push(trayCommand(label, o.flavour, o.self, ['resume', p.name, '--confirm-deletes', ...o.common]));
  }
  if (anyPaused) lines.push(trayCommand('Resume all', o.flavour, o.self, ['resume', ...o.common]));
  else lines.push(trayCommand('Pause all', o.flavour, o.self, ['pause', ...o.common]));
  lines.push(trayCommand('Rescan all', o.flavour, o.self, ['rescan', ...o.common]));
  return lines.join('\n') + '\n';
}
