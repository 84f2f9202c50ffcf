/**
 * One pair's sync cycles in a process of their own, for the scale benchmark: the daemon's cycle (`syncPair`)
 * from the built dist/, the index and the client kept open between cycles and the heap compacted after a big
 * pair's cycle, as the daemon does (pair-runner.ts), driven over stdin. The process holds nothing else, so its
 * RSS is the cycle's.
 *
 * bench/scale.ts transpiles this file and runs it with plain `node`, not through ts-register: the TypeScript
 * compiler that the loader hooks keep in memory would add about 90 MB to every RSS figure. Hence only `node:`
 * imports at the top, and the project's modules loaded from dist/ at run time (their types from src/).
 *
 *   node cycle-worker.mjs '<WorkerArgs as JSON>'
 *   stdin, one JSON object a line:  {"cycle": {"cachedRemote": false}}  |  {"close": true}
 *   stdout, one JSON object a line: CycleReply for each cycle, CloseReply at the end
 */
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { pathToFileURL } from 'node:url';
import type * as ConfigModule from '../../src/agent/config/index.js';
import type * as ConfigWriteModule from '../../src/agent/config/write.js';
import type * as PairSyncModule from '../../src/agent/engine/pair-sync.js';
import type * as HeapModule from '../../src/agent/heap.js';
import type * as ConnectModule from '../../src/agent/remote/vospace/connect.js';
import type * as IndexModule from '../../src/agent/store/index-db.js';
import type * as ClientModule from '../../src/vospace/client.js';

export interface WorkerArgs {
  /** The repository, whose dist/ holds the built modules. */
  repo: string;
  registryUrl: string;
  token: string;
  local: string;
  remote: string;
  indexFile: string;
  concurrency: number;
}

export interface CycleReply {
  seconds: number;
  /** The cycle looked only at the changed paths it was given (a watcher batch's cycle). */
  scoped: boolean;
  /** User + system CPU of this process during the cycle. */
  cpuSeconds: number;
  hashed: number;
  actions: number;
  done: number;
  failed: number;
  skipped: number;
  bytesUp: number;
  paused: string | null;
  /** The highest RSS during the cycle, and the RSS once the daemon's after-cycle compaction ran (bytes). */
  peak: number;
  rss: number;
  /** False when the peak could not be reset before the cycle: `peak` is then the highest since the start. */
  peakIsCycles: boolean;
}

export interface CloseReply {
  /** The index's files (database, and WAL and shared memory if any are left) after it was closed. */
  indexBytes: number;
}

const args = JSON.parse(process.argv[2]!) as WorkerArgs;
const dist = (rel: string) => pathToFileURL(path.join(args.repo, 'dist', rel)).href;
const { parseConfigText } = (await import(dist('agent/config/index.js'))) as typeof ConfigModule;
const { configYaml } = (await import(dist('agent/config/write.js'))) as typeof ConfigWriteModule;
const { syncPair } = (await import(dist('agent/engine/pair-sync.js'))) as typeof PairSyncModule;
const { vospaceRemote } = (await import(dist('agent/remote/vospace/connect.js'))) as typeof ConnectModule;
const { SyncIndex } = (await import(dist('agent/store/index-db.js'))) as typeof IndexModule;
const { Client } = (await import(dist('vospace/client.js'))) as typeof ClientModule;
const { compactAfterCycle } = (await import(dist('agent/heap.js'))) as typeof HeapModule;

const pair = parseConfigText(
  configYaml({ pairs: [{ name: 'scale', local: args.local, remote: args.remote, mode: 'two-way' }] }),
  'scale.yaml',
).pairs[0]!;
const client = new Client({
  registryUrl: args.registryUrl,
  cacheDir: path.join(path.dirname(args.indexFile), 'client-cache'),
  credentials: { kind: 'token', token: args.token },
  connections: args.concurrency * 2,
});
const remote = vospaceRemote(client, pair);
const index = SyncIndex.open(args.indexFile);

function memory(): { rss: number; peak: number } {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') * 1024, peak: kb('VmHWM') * 1024 };
}

/** Sets the peak RSS back to the current RSS (Linux ≥ 4.0), so each cycle's peak is its own. */
function resetPeak(): boolean {
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

async function cycle(cachedRemote: boolean, changed?: string[]): Promise<CycleReply> {
  const peakIsCycles = resetPeak();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await syncPair({
    pair,
    remote,
    index,
    now: Date.now,
    host: 'bench',
    concurrency: args.concurrency,
    caseInsensitiveLocal: false,
    useCachedRemote: cachedRemote,
    ...(changed ? { changedPaths: changed } : {}),
  });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const { peak } = memory();
  const counts = index.treeCounts(r.pairId);
  compactAfterCycle(counts.local + counts.remote + counts.base, {
    releaseCaches: () => index.releaseCache(),
  });
  return {
    seconds,
    scoped: r.scope !== undefined,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    hashed: r.hashedCount,
    actions: r.plan?.actions.length ?? 0,
    done: r.report?.done ?? 0,
    failed: r.report?.failed.length ?? 0,
    skipped: r.report?.skipped.length ?? 0,
    bytesUp: r.report?.bytesUp ?? 0,
    paused: r.paused ?? null,
    peak,
    rss: memory().rss,
    peakIsCycles,
  };
}

async function close(): Promise<CloseReply> {
  index.close();
  await client.close();
  let indexBytes = 0;
  for (const suffix of ['', '-wal', '-shm']) {
    try {
      indexBytes += fs.statSync(args.indexFile + suffix).size;
    } catch {
      // Closing checkpoints the WAL and removes it: usually only the database is left.
    }
  }
  return { indexBytes };
}

const reply = (value: object) => process.stdout.write(JSON.stringify(value) + '\n');
for await (const line of readline.createInterface({ input: process.stdin })) {
  const req = JSON.parse(line) as { cycle?: { cachedRemote: boolean; changed?: string[] }; close?: true };
  if (req.cycle) reply(await cycle(req.cycle.cachedRemote, req.cycle.changed));
  else if (req.close) {
    reply(await close());
    break;
  }
}
