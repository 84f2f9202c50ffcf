/**
 * `vosync daemon` as a child process for the benchmarks: a config file with one pair against a bench server
 * (default schedules and watcher timings, as a user gets them), its status API, and the index it keeps.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { configYaml } from '../../src/agent/config/write.js';
import { CLI, TOKEN, startProc, type Proc } from './procs.js';
import { sleep } from './files.js';

export interface DaemonProc extends Proc {
  statusUrl: string;
  statusToken: string;
  stateDir: string;
  logFile: string;
}

export interface PairView {
  name: string;
  state: string;
  upToDate: boolean;
  lastSyncOkAt: number | null;
  pausedReason: string | null;
  lastError: { message: string } | null;
}

/** Writes a config file with one two-way pair against a bench server; returns its path. */
export function writeDaemonConfig(
  dir: string,
  registryUrl: string,
  pair: { name: string; local: string; remote: string },
  concurrency: number,
): string {
  fs.mkdirSync(dir, { recursive: true });
  const config = path.join(dir, 'config.yaml');
  const doc = {
    registry: registryUrl,
    auth: { token: TOKEN },
    transfers: { concurrency },
    status: { port: 0, tokenFile: path.join(dir, 'status-token') },
    state: { dir: path.join(dir, 'state') },
    log: { file: path.join(dir, 'vosync.log') },
    pairs: [{ name: pair.name, local: pair.local, remote: pair.remote, mode: 'two-way' }],
  };
  fs.writeFileSync(config, configYaml(doc), { mode: 0o600 });
  return config;
}

export async function startDaemon(
  dir: string,
  registryUrl: string,
  pair: { name: string; local: string; remote: string },
  concurrency: number,
): Promise<DaemonProc> {
  const config = writeDaemonConfig(dir, registryUrl, pair, concurrency);
  const p = startProc(process.execPath, [CLI, 'daemon', '--config', config]);
  const m = await p.waitFor(/status: (http:\/\/127\.0\.0\.1:\d+)\/status/);
  const statusToken = fs.readFileSync(path.join(dir, 'status-token'), 'utf8').trim();
  return Object.assign(p, {
    statusUrl: m[1]!,
    statusToken,
    stateDir: path.join(dir, 'state'),
    logFile: path.join(dir, 'vosync.log'),
  });
}

export async function pairStatus(d: DaemonProc): Promise<PairView | undefined> {
  if (d.child.exitCode !== null || d.child.signalCode !== null)
    throw new Error(
      `the daemon exited (${d.child.exitCode ?? d.child.signalCode}): ${d.output().slice(-3000)}`,
    );
  let doc: { pairs: PairView[] };
  try {
    const res = await fetch(`${d.statusUrl}/status`, {
      headers: { authorization: `Bearer ${d.statusToken}` },
      signal: AbortSignal.timeout(30_000),
    });
    doc = (await res.json()) as { pairs: PairView[] };
  } catch {
    return undefined;
  }
  const p = doc.pairs[0];
  if (!p) throw new Error('the daemon reports no pair');
  return p;
}

/** Waits until the pair has finished a clean cycle and is idle and up to date; throws if it pauses or errs. */
export async function waitUpToDate(d: DaemonProc, timeoutMs: number): Promise<PairView> {
  const start = Date.now();
  for (;;) {
    const p = await pairStatus(d);
    if (!p) {
      if (Date.now() - start > timeoutMs)
        throw new Error(`the daemon's status API did not answer for ${timeoutMs} ms`);
      await sleep(200);
      continue;
    }
    if (p.state === 'paused' || p.state === 'error')
      throw new Error(`pair ${p.name} is ${p.state}: ${p.pausedReason ?? p.lastError?.message ?? ''}`);
    if (p.lastSyncOkAt !== null && p.upToDate && p.state === 'idle') return p;
    if (Date.now() - start > timeoutMs)
      throw new Error(`pair not up to date after ${timeoutMs} ms: ${JSON.stringify(p)}`);
    await sleep(200);
  }
}

/** Entries in the daemon's index (read-only; the daemon may keep running). */
export function indexCounts(stateDir: string): { local: number; remote: number; base: number } {
  const db = new Database(path.join(stateDir, 'index.sqlite'), { readonly: true, fileMustExist: true });
  try {
    const count = (t: string) =>
      (db.prepare(`SELECT count(*) AS n FROM ${t} WHERE kind = 'file'`).get() as { n: number }).n;
    return { local: count('local_entries'), remote: count('remote_entries'), base: count('base_entries') };
  } finally {
    db.close();
  }
}
