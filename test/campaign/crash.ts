/**
 * Crash campaign: a real `vosync daemon` process syncs a two-way pair of many files while it is killed with
 * SIGKILL at random moments, again and again; between kills, seeded random edits land on both sides (local
 * files through the file system, remote ones through the VOSpace client, as another machine would make them).
 * After the last kill the daemon runs until the pair is up to date, then `vosync once` must find nothing to do.
 *
 * Checked at the end, on the real bytes (the remote side is read from the server's store, never from the
 * agent's index):
 * - nothing lost: every content version the campaign wrote is somewhere (in place, in a conflict copy or in a
 *   trash) unless the campaign itself destroyed it — overwrote or deleted it on that side, or replaced the other
 *   side's synced copy of it (which the sync then overwrites by design);
 * - converged: both sides hold the same storable tree;
 * - no spurious conflict: no conflict copy holds what its original holds, and none exists for a path that was
 *   never changed on both sides between two syncs, unless the campaign's remote write came so soon after the
 *   agent's own upload of that path that the agent's rule keeps both (reconcile's writtenSoonAfter).
 */
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { conflictOriginal, isConflictCopyName } from '../../src/agent/reconcile/conflict-name.js';
import { encodePath, NAME_MAPPING } from '../../src/vospace/names.js';
import { remoteNameProblem } from '../../src/agent/remote/vospace/remote.js';
import { writtenSoonAfter } from '../../src/agent/reconcile/compare.js';
import { once, startDaemonProc, waitSettled, writeConfig, type DaemonProc } from '../e2e/harness.js';
import { SimEnv, SIM_USER } from './server-env.js';
import { Rng } from '../sim/rng.js';
import { LocalSide, RemoteSide, type Tree } from '../sim/sides.js';
import { md5Hex } from '../../src/util/md5.js';
import { parentOf } from '../../src/util/rel-path.js';

export interface CrashOptions {
  files: number;
  kills: number;
  seed: number;
  /** Longest time the daemon runs before it is killed (the shortest is a tenth of it). */
  maxRunMs?: number;
  /** Edits on the two sides between two kills. */
  editsPerRound?: number;
  log?: (line: string) => void;
}

export interface CrashReport {
  seed: number;
  files: number;
  kills: number;
  edits: number;
  bytesWritten: number;
  conflictCopies: number;
  /** Paths changed on both sides between two syncs: where a conflict copy may rightly appear. */
  conflictOpportunities: number;
  trashedLocal: number;
  trashedRemote: number;
  seconds: number;
  violations: string[];
}

const FOLDERS = 12;
/** How the pair's remote folder is named in the user's Vault space. */
const REMOTE_ROOT = 'crash';

const storable = (rel: string) =>
  rel.split('/').every((n) => remoteNameProblem(n, NAME_MAPPING) === undefined);

/** What the agent's index records of a synced file, read while the daemon is dead. */
export interface BaseFile {
  md5: string;
  size: number;
  remoteDateMs: number;
  /** The agent itself uploaded this version. */
  uploaded: boolean;
}

/** The base (last synced) record of every file the agent's index holds, read while the daemon is dead. */
export function readBase(indexFile: string): Map<string, BaseFile> {
  const out = new Map<string, BaseFile>();
  if (!fs.existsSync(indexFile)) return out;
  const db = new Database(indexFile, { readonly: true });
  try {
    const rows = db
      .prepare(
        `SELECT path, md5, size, remote_date_ms AS remoteDateMs, uploaded FROM base_entries
         WHERE kind = 'file' AND md5 IS NOT NULL`,
      )
      .all() as (Omit<BaseFile, 'uploaded'> & { path: string; uploaded: number })[];
    for (const r of rows)
      out.set(r.path, { md5: r.md5, size: r.size, remoteDateMs: r.remoteDateMs, uploaded: r.uploaded === 1 });
  } finally {
    db.close();
  }
  return out;
}

/**
 * The agent keeps both versions when a remote write is dated so soon after its own upload of the path that
 * the writer may not have seen it: by its rule, a conflict however the campaign meant the write.
 */
export function soonAfterOwnUpload(
  base: BaseFile | undefined,
  written: { size: number; dateMs: number },
): boolean {
  return base?.uploaded === true && writtenSoonAfter(base.remoteDateMs, written);
}

/**
 * Content versions the campaign owes: each enters when written and leaves only when the campaign destroys it.
 * `synced` is what the agent's index last recorded as held by both sides (read while the daemon was dead).
 */
export class VersionLedger {
  private readonly owed = new Map<string, string>();
  private readonly synced = new Map<string, BaseFile>();

  private readonly written = new Map<string, string>();

  add(md5sum: string, where: string): void {
    this.owed.set(md5sum, where);
    this.written.set(md5sum, where);
  }

  retire(md5sum: string | undefined): void {
    if (md5sum !== undefined) this.owed.delete(md5sum);
  }

  /** The agent's base records (path → MD5), read from its index while it is dead. */
  observe(base: Map<string, BaseFile>): void {
    this.synced.clear();
    for (const [p, b] of base) this.synced.set(p, b);
  }

  syncedAt(p: string): string | undefined {
    return this.synced.get(p)?.md5;
  }

  baseAt(p: string): BaseFile | undefined {
    return this.synced.get(p);
  }

  /**
   * New content arrives at `p` on one side. The version there on that side is destroyed by the user; the other
   * side's copy, when it is the synced version (or the same bytes), will be overwritten by the sync by design.
   */
  arrival(p: string, here: Tree, there: Tree): void {
    this.retire(here.get(p)?.md5);
    const v = there.get(p)?.md5;
    if (v !== undefined && (this.syncedAt(p) === v || here.get(p)?.md5 === v)) this.retire(v);
  }

  /** Where a version came from (for reports). */
  origin(md5sum: string): string | undefined {
    return this.owed.get(md5sum) ?? this.written.get(md5sum);
  }

  missing(found: Set<string>): [string, string][] {
    return [...this.owed.entries()].filter(([m]) => !found.has(m));
  }
}

/** The daemon's log lines about a name, for reports. */
function logLines(logFile: string, name: string): string {
  let text = '';
  try {
    text = fs.readFileSync(logFile, 'utf8');
  } catch {
    return '';
  }
  const lines = text.split('\n').filter((l) => l.includes(name));
  return lines.length ? `\n    log: ${lines.slice(-12).join('\n    log: ')}` : '';
}

interface World {
  logFile: string;
  indexFile: string;
  env: SimEnv;
  rng: Rng;
  local: LocalSide;
  remote: RemoteSide;
  ledger: VersionLedger;
  /** Paths changed on both sides between two observations of the pair. */
  eligible: Set<string>;
  bytes: number;
}

function content(rng: Rng, big: boolean): Buffer {
  const size = big ? rng.int(1, 4) * 1024 * 1024 + rng.int(0, 4096) : rng.int(0, 64 * 1024);
  // Unique per write (a random prefix), so every version has its own MD5.
  return Buffer.concat([randomBytes(16), Buffer.alloc(Math.max(0, size - 16), rng.int(0, 255))]);
}

function randomPath(rng: Rng, i: number): string {
  return `d${rng.int(0, FOLDERS - 1)}/f${i}-${rng.int(0, 1e6)}.dat`;
}

async function writeSide(w: World, side: 'local' | 'remote', rel: string, data: Buffer): Promise<void> {
  if (side === 'local') {
    const abs = w.local.abs(rel);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, data);
  } else {
    const parent = parentOf(rel);
    if (parent !== '') await w.env.user.mkdir(w.remote.uri(parent), { parents: true });
    const tmp = path.join(w.env.tmp, 'upload.tmp');
    fs.writeFileSync(tmp, data);
    await w.env.user.upload(tmp, w.remote.uri(rel));
  }
  w.bytes += data.length;
}

/**
 * The other side's file at `p` differs from the agent's base (or exists with no base): a change is waiting
 * there, so a change on this side makes both sides changed — a genuine conflict by the rules.
 */
function otherChanged(w: World, p: string, there: Tree): boolean {
  return there.get(p)?.md5 !== w.ledger.syncedAt(p);
}

/** The size and server date of the remote file just written at `p`, read from the server's store. */
function remoteWritten(w: World, p: string): { size: number; dateMs: number } {
  const node = w.env.srv.store.get('vault', `${w.remote.rootPath}/${encodePath(p)}`);
  if (!node) throw new Error(`the remote write of ${p} left no node`);
  return { size: node.length, dateMs: node.date };
}

/** One seeded batch of edits on both sides, applied while the daemon is dead. */
async function editRound(w: World, round: number, count: number): Promise<number> {
  const local = await w.local.tree();
  const remote = await w.remote.tree();
  w.ledger.observe(readBase(w.indexFile));
  const trees = { local, remote };
  const touched = { local: new Set<string>(), remote: new Set<string>() };
  let done = 0;
  for (let k = 0; k < count; k++) {
    const side = w.rng.chance(0.55) ? 'local' : 'remote';
    const other = side === 'local' ? 'remote' : 'local';
    const here = trees[side];
    const there = trees[other];
    const files = [...here.entries()].filter(([p, i]) => i.kind === 'file' && storable(p)).map(([p]) => p);
    const op = w.rng.weighted([
      [0.3, 'create'],
      [0.35, 'overwrite'],
      [0.15, 'delete'],
      [0.2, 'move'],
    ] as const);
    const mark = (p: string) => {
      touched[side].add(p);
      if (touched[other].has(p) || otherChanged(w, p, there)) w.eligible.add(p);
    };
    if (op === 'create' || op === 'overwrite' || files.length === 0) {
      const fresh = op === 'create' || files.length === 0;
      const p = fresh ? randomPath(w.rng, round * 1000 + k) : w.rng.pick(files);
      const data = content(w.rng, w.rng.chance(fresh ? 0.01 : 0.02));
      w.ledger.arrival(p, here, there);
      await writeSide(w, side, p, data);
      w.ledger.add(md5Hex(data), `${side} ${p} (round ${round})`);
      here.set(p, { kind: 'file', md5: md5Hex(data) });
      mark(p);
      if (side === 'remote' && soonAfterOwnUpload(w.ledger.baseAt(p), remoteWritten(w, p))) w.eligible.add(p);
    } else if (op === 'delete') {
      const p = w.rng.pick(files);
      w.ledger.retire(here.get(p)?.md5);
      if (side === 'local') fs.rmSync(w.local.abs(p), { force: true });
      else await w.env.user.delete(w.remote.uri(p));
      here.delete(p);
      mark(p);
    } else {
      const from = w.rng.pick(files);
      const to = randomPath(w.rng, round * 1000 + k);
      if (side === 'local') {
        fs.mkdirSync(path.dirname(w.local.abs(to)), { recursive: true });
        fs.renameSync(w.local.abs(from), w.local.abs(to));
      } else {
        await w.env.user.mkdir(w.remote.uri(parentOf(to)), { parents: true });
        await w.env.user.move(w.remote.uri(from), w.remote.uri(to));
      }
      here.set(to, here.get(from)!);
      here.delete(from);
      mark(from);
      mark(to);
    }
    done++;
  }
  return done;
}

async function initialTree(w: World, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const p = randomPath(w.rng, i);
    const data = content(w.rng, w.rng.chance(0.01));
    const where = w.rng.weighted([
      [0.5, 'local'],
      [0.4, 'remote'],
      [0.1, 'both'],
    ] as const);
    if (where !== 'remote') await writeSide(w, 'local', p, data);
    if (where !== 'local') await writeSide(w, 'remote', p, data);
    w.ledger.add(md5Hex(data), `${where} ${p} (initial)`);
  }
}

async function checkEnd(
  w: World,
): Promise<{ violations: string[]; copies: number; trash: [number, number] }> {
  const violations: string[] = [];
  const local = await w.local.tree();
  const remote = await w.remote.tree();
  const localTrash = await w.local.trashMd5s();
  const remoteTrash = await w.remote.trashMd5s();
  const found = new Set<string>([...localTrash, ...remoteTrash]);
  for (const t of [local, remote]) for (const i of t.values()) if (i.md5) found.add(i.md5);
  for (const [m, where] of w.ledger.missing(found))
    violations.push(`content lost: ${where} (md5 ${m.slice(0, 8)})`);
  const l = new Map([...local].filter(([p]) => storable(p)));
  for (const p of new Set([...l.keys(), ...remote.keys()])) {
    const a = l.get(p);
    const b = remote.get(p);
    if (!a || !b || a.kind !== b.kind || a.md5 !== b.md5)
      violations.push(
        `not converged at ${p}: local ${a?.md5 ?? a?.kind ?? 'absent'}, remote ${b?.md5 ?? b?.kind ?? 'absent'}`,
      );
  }
  let copies = 0;
  for (const [p, i] of local) {
    if (i.kind !== 'file' || !isConflictCopyName(p)) continue;
    copies++;
    const original = conflictOriginal(p);
    if (local.get(original)?.md5 === i.md5)
      violations.push(`spurious conflict copy (same content as ${original}): ${p}`);
    if (!w.eligible.has(original)) {
      const from = (m: string | undefined) =>
        m ? `${m.slice(0, 8)} from ${w.ledger.origin(m) ?? '?'}` : 'absent';
      violations.push(
        `conflict copy of a path changed on one side only: ${p} holds ${from(i.md5)}; ` +
          `original holds ${from(local.get(original)?.md5)}` +
          logLines(w.logFile, path.basename(original)),
      );
    }
  }
  return { violations, copies, trash: [localTrash.length, remoteTrash.length] };
}

export async function runCrashCampaign(opts: CrashOptions): Promise<CrashReport> {
  const t0 = performance.now();
  const log = opts.log ?? (() => undefined);
  const env = await SimEnv.start({ tmpPrefix: 'vosync-crash-' });
  const rng = new Rng(opts.seed);
  const dir = path.join(env.tmp, 'agent');
  const localRoot = path.join(env.tmp, 'folder');
  fs.mkdirSync(dir, { recursive: true });
  fs.mkdirSync(localRoot, { recursive: true });
  await env.user.mkdir(`vos:${SIM_USER}/${REMOTE_ROOT}`);
  const w: World = {
    logFile: path.join(dir, 'vosync.log'),
    indexFile: path.join(dir, 'state', 'index.sqlite'),
    env,
    rng,
    local: new LocalSide(localRoot, Date.now),
    remote: new RemoteSide(env, `${SIM_USER}/${REMOTE_ROOT}`),
    ledger: new VersionLedger(),
    eligible: new Set(),
    bytes: 0,
  };
  const violations: string[] = [];
  let edits = 0;
  let kills = 0;
  const report = (end: { copies: number; trash: [number, number] }): CrashReport => ({
    seed: opts.seed,
    files: opts.files,
    kills,
    edits,
    bytesWritten: w.bytes,
    conflictCopies: end.copies,
    conflictOpportunities: w.eligible.size,
    trashedLocal: end.trash[0],
    trashedRemote: end.trash[1],
    seconds: (performance.now() - t0) / 1000,
    violations,
  });
  let daemon: DaemonProc | undefined;
  try {
    await initialTree(w, opts.files);
    log(`crash campaign: ${opts.files} files (${(w.bytes / 1e6).toFixed(1)} MB), seed ${opts.seed}`);
    const configFile = writeConfig(dir, env.srv.baseUrl, [
      { name: 'crash', local: localRoot, remote: `vos:${SIM_USER}/${REMOTE_ROOT}` },
    ]);
    const maxRun = opts.maxRunMs ?? 4000;
    const perRound = opts.editsPerRound ?? Math.max(4, Math.round(opts.files / 40));
    for (let round = 1; round <= opts.kills; round++) {
      const started = performance.now();
      daemon = await startDaemonProc(configFile, dir);
      const runFor = rng.int(Math.round(maxRun / 10), maxRun);
      const ran = performance.now() - started;
      if (runFor > ran) await new Promise((r) => setTimeout(r, runFor - ran));
      await daemon.kill('SIGKILL');
      daemon = undefined;
      kills++;
      const n = await editRound(w, round, perRound);
      edits += n;
      log(`round ${round}: killed after ${Math.round(performance.now() - started)} ms; ${n} edits`);
    }
    daemon = await startDaemonProc(configFile, dir);
    // Settled, not necessarily "up to date": conflicts the edits made stay open until a person looks.
    await waitSettled(daemon, 'crash', 300_000);
    await daemon.kill('SIGTERM');
    daemon = undefined;
    const o = await once(configFile);
    if (o.code !== 0 || !/^crash: 0 action\(s\)/m.test(o.out))
      violations.push(`one more sync did something (exit ${o.code}): ${o.out.trim()}`);
    const end = await checkEnd(w);
    violations.push(...end.violations);
    return report(end);
  } catch (e) {
    violations.push(`harness error: ${(e as Error).stack ?? String(e)}`);
    return report({ copies: 0, trash: [0, 0] });
  } finally {
    await daemon?.kill('SIGKILL');
    await env.close();
  }
}

export function crashSummary(r: CrashReport): string {
  return [
    `files:            ${r.files} (seed ${r.seed})`,
    `kills:            ${r.kills} SIGKILLs of the daemon process, each restarted`,
    `edits:            ${r.edits} (both sides, between kills), ${(r.bytesWritten / 1e6).toFixed(1)} MB written in all`,
    `conflict copies:  ${r.conflictCopies} (paths changed on both sides between syncs: ${r.conflictOpportunities})`,
    `trash:            ${r.trashedLocal} local, ${r.trashedRemote} remote`,
    `time:             ${r.seconds.toFixed(1)} s`,
    r.violations.length === 0
      ? 'result:           converged; nothing lost; no spurious conflict; one more sync did nothing'
      : `result:           ${r.violations.length} VIOLATION(S)\n${r.violations.map((v) => `  ${v}`).join('\n')}`,
  ].join('\n');
}
