/**
 * Fault campaign: a tree of many small files is synced up through the embedded server twice — once clean, once
 * with the server's fault injection on (errors, 503 + Retry-After, connection resets, truncated bodies, stalls) —
 * with the real sync engine, cycle after cycle until a cycle plans nothing. Then, with faults off, every remote
 * file is read back through the client and its MD5 compared with the local file's, and one more sync must plan
 * nothing. Reports both times and their ratio.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pairConfig } from '../support/pair-fixture.js';
import { SyncIndex } from '../../src/agent/store/index-db.js';
import { isPlanEmpty } from '../../src/agent/reconcile/index.js';
import { syncPair, type PairContext } from '../../src/agent/engine/pair-sync.js';
import { REMOTE_TRASH } from '../../src/agent/remote/remote-scan.js';
import { parseFaultSpec, type FaultStats } from '../../src/server/faults.js';
import { startServer } from '../../src/server/server.js';
import type { RetryPolicy } from '../../src/vospace/http.js';
import { Client } from '../../src/vospace/client.js';
import { vospaceRemote } from '../../src/agent/remote/vospace/connect.js';
import { md5Hex } from '../../src/util/md5.js';

export interface CampaignOptions {
  files: number;
  /** Share of server requests that get a fault (0..1). */
  rate: number;
  seed: number;
  /** Seconds a 503 asks the client to wait. */
  retryAfter: number;
  stallMs: number;
  concurrency: number;
  retry: Partial<RetryPolicy>;
  /** Give up when a run has not converged after this many cycles. */
  maxCycles?: number;
  log?: (line: string) => void;
}

export interface RunReport {
  ms: number;
  cycles: number;
  /** Actions that failed (and were retried by a later cycle). */
  failedActions: number;
  requests: number;
  injected: FaultStats['injected'];
  /** Files whose remote bytes were read back after the run and matched the local MD5. */
  verified: number;
}

export interface CampaignResult {
  files: number;
  bytes: number;
  clean: RunReport;
  faulty: RunReport;
  /** faulty.ms / clean.ms */
  ratio: number;
  /** Everything that went wrong: empty when the campaign passed. */
  problems: string[];
}

const USER = 'alice';
const TOKEN = 'alicetoken1';

/** Deterministic pseudo-random sizes and bytes (seeded), spread over a few folders. */
export function writeTree(root: string, files: number, seed: number): { rel: string; md5: string }[] {
  let s = seed >>> 0;
  const rand = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const out: { rel: string; md5: string }[] = [];
  const folders = Math.max(1, Math.ceil(files / 100));
  for (let i = 0; i < files; i++) {
    const rel = `f${String(i % folders).padStart(2, '0')}/sub${i % 3}/file-${String(i).padStart(5, '0')}.dat`;
    // Mostly small files, a few empty ones and a few of 64-256 KiB (so truncated bodies hit real payloads).
    const r = rand();
    const size =
      r < 0.02 ? 0 : r < 0.05 ? 65536 + Math.floor(rand() * 196608) : 64 + Math.floor(rand() * 8192);
    const data = Buffer.alloc(size);
    for (let j = 0; j + 4 <= size; j += 4) data.writeUInt32LE(Math.floor(rand() * 4294967296), j);
    const abs = path.join(root, ...rel.split('/'));
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, data);
    out.push({ rel, md5: md5Hex(data) });
  }
  return out;
}

async function syncToRest(
  makeCtx: () => { ctx: PairContext; close: () => Promise<void> },
  maxCycles: number,
  log: (line: string) => void,
): Promise<{ cycles: number; failedActions: number; converged: boolean; errors: string[] }> {
  let failedActions = 0;
  const errors: string[] = [];
  for (let cycle = 1; cycle <= maxCycles; cycle++) {
    const { ctx, close } = makeCtx();
    try {
      const r = await syncPair(ctx);
      const failed = r.report?.failed.length ?? 0;
      failedActions += failed;
      log(
        `  cycle ${cycle}: ${r.plan?.actions.length ?? 0} actions, ${r.report?.done ?? 0} done, ${failed} failed` +
          (r.paused ? `, paused: ${r.paused}` : ''),
      );
      for (const f of r.report?.failed.slice(0, 5) ?? [])
        log(`    ${f.type} ${f.path}: ${f.kind}: ${f.message}`);
      if (r.paused) errors.push(`paused: ${r.paused}`);
      if (r.plan && isPlanEmpty(r.plan) && !r.paused)
        return { cycles: cycle, failedActions, converged: true, errors };
    } catch (e) {
      // A cycle can fail as a whole (e.g. the remote listing ran out of retries): the next one starts over.
      log(`  cycle ${cycle} failed: ${(e as Error).message}`);
    } finally {
      await close();
    }
  }
  return { cycles: maxCycles, failedActions, converged: false, errors };
}

async function verifyRemote(
  client: Client,
  remote: string,
  expected: { rel: string; md5: string }[],
  concurrency: number,
): Promise<{ verified: number; problems: string[] }> {
  const problems: string[] = [];
  let verified = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < expected.length) {
      const f = expected[next++]!;
      const uri = `${remote}/${f.rel}`;
      try {
        const info = await client.getInfo(uri);
        const stream = await client.openRead(uri);
        const hash = createHash('md5');
        for await (const chunk of stream) hash.update(chunk as Buffer);
        const got = hash.digest('hex');
        if (got !== f.md5) problems.push(`${f.rel}: remote bytes MD5 ${got}, local ${f.md5}`);
        else if (info.md5 && info.md5 !== f.md5)
          problems.push(`${f.rel}: server reports MD5 ${info.md5}, local ${f.md5}`);
        else verified++;
      } catch (e) {
        problems.push(`${f.rel}: cannot read back: ${(e as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  // Nothing extra on the server either.
  const want = new Set(expected.map((f) => f.rel));
  const walk = async (rel: string): Promise<void> => {
    for (const n of await client.list(rel === '' ? remote : `${remote}/${rel}`)) {
      const child = rel === '' ? n.name : `${rel}/${n.name}`;
      if (child === REMOTE_TRASH) continue;
      if (n.kind === 'container') await walk(child);
      else if (!want.has(child)) problems.push(`${child}: on the server but not local`);
    }
  };
  await walk('');
  return { verified, problems };
}

export async function runCampaign(opts: CampaignOptions): Promise<CampaignResult> {
  const log = opts.log ?? (() => undefined);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vosync-campaign-'));
  const srv = await startServer({
    dataDir: path.join(tmp, 'server'),
    users: [{ name: USER, token: TOKEN }],
    admin: USER,
  });
  const clientFor = (): Client =>
    new Client({
      registryUrl: `${srv.baseUrl}/reg/resource-caps`,
      cacheDir: path.join(tmp, 'cache'),
      credentials: { kind: 'token', token: TOKEN },
      timeoutMs: 10_000,
      retry: opts.retry,
    });
  const checker = clientFor();
  const problems: string[] = [];
  try {
    const master = path.join(tmp, 'master');
    const files = writeTree(master, opts.files, opts.seed);
    const bytes = files.reduce((s, f) => s + fs.statSync(path.join(master, ...f.rel.split('/'))).size, 0);
    log(`campaign: ${files.length} files, ${(bytes / 1048576).toFixed(1)} MiB`);

    const run = async (name: string, faulty: boolean): Promise<RunReport> => {
      const local = path.join(tmp, name);
      fs.cpSync(master, local, { recursive: true });
      const remote = `vos:${USER}/${name}`;
      const pair = pairConfig(name, local, remote);
      const indexFile = path.join(tmp, `${name}.sqlite`);
      let clock = Date.UTC(2026, 0, 5, 9, 0, 0);
      const makeCtx = () => {
        const client = clientFor();
        const index = SyncIndex.open(indexFile);
        const ctx: PairContext = {
          pair,
          remote: vospaceRemote(client, pair),
          index,
          now: () => (clock += 1000),
          host: 'campaign',
          concurrency: opts.concurrency,
          caseInsensitiveLocal: false,
        };
        return {
          ctx,
          close: async () => {
            index.close();
            await client.close();
          },
        };
      };
      log(`${name} run${faulty ? ` (faults: rate ${opts.rate})` : ''}:`);
      if (faulty) {
        srv.faults.configure(
          parseFaultSpec(
            `rate=${opts.rate},kinds=error+unavailable+reset+truncate+stall,endpoints=nodes+transfers+data,` +
              `seed=${opts.seed},retryAfter=${opts.retryAfter},stallMs=${opts.stallMs}`,
          ),
        );
      } else srv.faults.disable();
      const started = performance.now();
      const r = await syncToRest(makeCtx, opts.maxCycles ?? 30, log);
      const ms = performance.now() - started;
      const stats = srv.faults.stats;
      srv.faults.disable();
      if (!r.converged) problems.push(`${name}: did not converge within ${r.cycles} cycles`);
      problems.push(...r.errors.map((e) => `${name}: ${e}`));
      const v = await verifyRemote(checker, remote, files, 8);
      problems.push(...v.problems.map((p) => `${name}: ${p}`));
      if (v.verified !== files.length)
        problems.push(`${name}: ${v.verified} of ${files.length} files verified`);
      // Settled means settled: one more cycle plans nothing.
      const again = makeCtx();
      try {
        const r2 = await syncPair(again.ctx);
        if (!r2.plan || !isPlanEmpty(r2.plan))
          problems.push(`${name}: a sync after convergence planned work`);
      } finally {
        await again.close();
      }
      log(`  ${name}: ${(ms / 1000).toFixed(2)} s, ${r.cycles} cycles, ${v.verified} files MD5-verified`);
      return {
        ms,
        cycles: r.cycles,
        failedActions: r.failedActions,
        requests: stats.requests,
        injected: { ...stats.injected },
        verified: v.verified,
      };
    };

    const clean = await run('clean', false);
    const faulty = await run('faulty', true);
    return {
      files: files.length,
      bytes,
      clean,
      faulty,
      ratio: faulty.ms / clean.ms,
      problems,
    };
  } finally {
    srv.faults.disable();
    await checker.close();
    await srv.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
