/** `vosync once` when it runs (its options are in once-cmd.ts): one sync of every pair, its summary and exit code. */
import { Daemon } from '../agent/daemon.js';
import { serverUnreachable } from '../agent/pair-runner.js';
import { plannedWords } from '../agent/status/action-words.js';
import {
  confirmHeldDeletes,
  syncPair,
  syncUntilStable,
  type CycleResult,
} from '../agent/engine/pair-sync.js';
import { LockedError } from '../util/pid-lock.js';
import { VosError } from '../vospace/errors.js';
import { type Ctx } from './common.js';
import { loadConfigOf } from './config-host.js';
import { loggerFor, ONCE_EXIT } from './daemon-run.js';

const OUTCOME = ['ok', 'attention', 'failed', 'cannot-run'] as const;

const SHOWN = 20;

/** What a dry run found for one pair: each planned action in words, the conflicts, a pause it would meet. */
export function dryRunLines(pair: string, r: CycleResult): string[] {
  const lines: string[] = [];
  for (const a of r.plan?.actions ?? []) if (a.type !== 'recordSynced') lines.push(plannedWords(a));
  for (const n of r.notices) if (n.kind === 'conflict') lines.push(`conflict at ${n.path}: ${n.message}`);
  if (r.paused) lines.push(`would pause: ${r.paused}`);
  return lines.length === 0 ? ['nothing to do'] : lines;
}

export interface PairOutcome {
  /** The summary line, then what a person should know, by name. */
  line: string;
  code: number;
  /** The same, for the --json document. */
  json: Record<string, unknown>;
}

/** One pair's part of `vosync once`'s report. */
export function summaryLine(name: string, results: CycleResult[]): PairOutcome {
  const last = results[results.length - 1];
  if (!last)
    return { line: `${name}: nothing done`, code: ONCE_EXIT.failed, json: { name, outcome: 'failed' } };
  if (last.paused) {
    const hint = /delete/.test(last.paused) ? ' (run vosync once --confirm-deletes to go on)' : '';
    let line = `${name}: PAUSED — ${last.paused}${hint}`;
    // What a confirmation would cover, by name: exactly these.
    const held = last.heldDeletes?.paths ?? [];
    for (const d of held.slice(0, SHOWN))
      line += `\n  would delete ${d.side === 'local' ? 'here' : 'on the server'}: ${d.path}`;
    if (held.length > SHOWN) line += `\n  … and ${held.length - SHOWN} more`;
    const json = { name, outcome: 'attention', paused: last.paused, heldDeletes: held };
    return { line, code: ONCE_EXIT.attention, json };
  }
  let up = 0;
  let down = 0;
  const conflicts = results.flatMap((r) => r.notices.filter((n) => n.kind === 'conflict'));
  const trashed = results.flatMap((r) => r.report?.trashed ?? []);
  for (const r of results) {
    up += r.report?.bytesUp ?? 0;
    down += r.report?.bytesDown ?? 0;
  }
  const failures = last.report?.failed ?? [];
  const done = results.reduce((a, r) => a + (r.report?.done ?? 0), 0);
  const problems = [...last.localProblems, ...last.remoteProblems];
  const parts = [`${done} action(s), ${up} bytes up, ${down} bytes down`];
  if (conflicts.length > 0) parts.push(`${conflicts.length} conflict(s)`);
  if (trashed.length > 0) parts.push(`${trashed.length} version(s) moved to a trash`);
  if (failures.length > 0) parts.push(`${failures.length} FAILED`);
  if (problems.length > 0) parts.push(`${problems.length} item(s) not synced`);
  if (last.waiting.length > 0) parts.push(`${last.waiting.length} waited for (being uploaded elsewhere)`);
  let line = `${name}: ${parts.join(', ')}`;
  for (const c of conflicts.slice(0, SHOWN)) line += `\n  conflict: ${c.path}: ${c.message}`;
  for (const t of trashed.slice(0, SHOWN))
    line += `\n  moved to the ${t.side} trash: ${t.path} (kept as ${t.keptAt})`;
  for (const f of failures.slice(0, SHOWN)) line += `\n  failed: ${f.path}: ${f.message}`;
  for (const p of problems.slice(0, SHOWN)) line += `\n  not synced: ${p.path}: ${p.message}`;
  const code =
    failures.length > 0
      ? ONCE_EXIT.failed
      : conflicts.length > 0 || problems.length > 0
        ? ONCE_EXIT.attention
        : ONCE_EXIT.ok;
  const json = {
    name,
    outcome: OUTCOME[code],
    actions: done,
    bytesUp: up,
    bytesDown: down,
    conflicts: conflicts.map((c) => ({ path: c.path, message: c.message })),
    trashed,
    failed: failures.map((f) => ({ path: f.path, message: f.message })),
    notSynced: problems.map((p) => ({ path: p.path, message: p.message })),
    waiting: last.waiting,
  };
  return { line, code, json };
}

/** A server that cannot be reached or refuses us: nothing this run could do. */
function cannotReach(e: unknown): boolean {
  return serverUnreachable(e) || (e instanceof VosError && e.kind === 'auth');
}

interface OnceFlags {
  config?: string;
  confirmDeletes?: boolean;
  dryRun?: boolean;
}

export async function runOnce(ctx: Ctx, flags: OnceFlags): Promise<number> {
  const config = loadConfigOf(ctx.io, flags.config);
  const log = loggerFor(config, Boolean(ctx.flags.verbose));
  let daemon: Daemon;
  try {
    daemon = await Daemon.create({ config, log });
  } catch (e) {
    if (!(e instanceof LockedError)) throw e;
    const message = `${e.message}; nothing done`;
    ctx.io.stderr.write(`${ctx.name}: ${message}\n`);
    ctx.failed('locked', message);
    return ONCE_EXIT.cannotRun;
  }
  let worst: number = ONCE_EXIT.ok;
  const pairs: Record<string, unknown>[] = [];
  try {
    for (const pair of config.pairs) {
      if (flags.confirmDeletes) {
        const rec = daemon.index.getPair(pair.name);
        if (rec) confirmHeldDeletes(daemon.index, rec.id);
      }
      const pairCtx = {
        pair,
        remote: daemon.remotes.forPair(pair),
        index: daemon.index,
        now: Date.now,
        concurrency: config.transfers.concurrency,
      };
      try {
        if (flags.dryRun) {
          const lines = dryRunLines(pair.name, await syncPair({ ...pairCtx, dryRun: true }));
          ctx.out(lines.map((l) => `${pair.name}: ${l}\n`).join(''));
          pairs.push({ name: pair.name, plan: lines });
          continue;
        }
        const { line, code, json } = summaryLine(pair.name, await syncUntilStable(pairCtx));
        worst = Math.max(worst, code);
        ctx.out(line + '\n');
        pairs.push(json);
      } catch (e) {
        if (!cannotReach(e)) throw e;
        const message = (e as Error).message;
        ctx.out(`${pair.name}: CANNOT RUN — ${message}\n`);
        pairs.push({ name: pair.name, outcome: 'cannot-run', message });
        worst = Math.max(worst, ONCE_EXIT.cannotRun);
      }
    }
  } finally {
    await daemon.stop(0);
  }
  ctx.result({ dryRun: Boolean(flags.dryRun), pairs });
  if (worst >= ONCE_EXIT.failed) {
    const what = worst === ONCE_EXIT.failed ? 'failed' : 'cannot-run';
    ctx.failed(what, `${pairs.filter((p) => p['outcome'] === what).length} pair(s): ${what}`);
  }
  return worst;
}
