/**
 * The daemon's footprint with 100,000 files indexed: `vosync daemon` (a child process, default settings) pairs a
 * local tree of 100,000 files with a remote folder already holding the same files (seeded into the server's
 * metadata store, so the first sync compares instead of uploading). Once it is idle and up to date: its resident
 * memory, its peak, and the CPU it uses over 60 s of doing nothing.
 */
import path from 'node:path';
import { benchClient, seedNodes, type BenchContext } from './lib/context.js';
import { timeEdits } from './lib/edits.js';
import { indexCounts, startDaemon, waitUpToDate } from './lib/daemon.js';
import { makeTree, quantile, sleep } from './lib/files.js';
import { USER, cpuSecondsOf, memoryOf, startVosyncServer } from './lib/procs.js';
import { atMost, below, equalTo, figure, type BenchResult } from './lib/report.js';

const MB = 1e6;

export async function daemonResources(ctx: BenchContext): Promise<BenchResult> {
  const t0 = performance.now();
  const { daemonFiles: n, idleSeconds } = ctx.sizes;
  // Timed edits after the idle window: the latency of one change in a folder this size.
  const bigEditCount = ctx.quick ? 2 : 20;
  ctx.log(`daemon resources: writing ${n} files`);
  const dirCount = Math.max(2, Math.round(n / 1000));
  const tree = makeTree(path.join(ctx.work, 'folder'), n, dirCount, 'varied');
  const dataDir = path.join(ctx.work, 'server');
  const remote = `vos:${USER}/resources`;
  const server = await startVosyncServer(dataDir);
  seedNodes(dataDir, 'vault', `${USER}/resources`, tree.dirs, tree.files, USER);
  const daemon = await startDaemon(
    path.join(ctx.work, 'daemon'),
    server.registryUrl,
    { name: 'resources', local: tree.root, remote },
    ctx.streams,
  );
  let firstSync: number;
  let afterSync: { rss: number; peak: number };
  let afterIdle: { rss: number; peak: number };
  let settleCpu: number;
  let idleCpu: number;
  let idleMaxRss = 0;
  let indexed: { local: number; remote: number; base: number };
  let pollsInWindow: number;
  let pollsDuringEdits: number;
  let bigEdits: { seconds: number[]; lost: number };
  const settleSeconds = Math.min(10, idleSeconds);
  try {
    ctx.log('daemon resources: first sync (compare only)');
    const s0 = performance.now();
    await waitUpToDate(daemon, 900_000);
    firstSync = (performance.now() - s0) / 1000;
    afterSync = memoryOf(daemon.pid);
    indexed = indexCounts(daemon.stateDir);
    // What the daemon still does right after it reported "up to date" (log flushing, collecting garbage).
    const c0 = cpuSecondsOf(daemon.pid);
    await sleep(settleSeconds * 1000);
    settleCpu = (cpuSecondsOf(daemon.pid) - c0) / settleSeconds;
    ctx.log(`daemon resources: idle for ${idleSeconds} s`);
    const c1 = cpuSecondsOf(daemon.pid);
    const w0 = performance.now();
    const wall0 = Date.now();
    while (performance.now() - w0 < idleSeconds * 1000) {
      await sleep(1000);
      idleMaxRss = Math.max(idleMaxRss, memoryOf(daemon.pid).rss);
    }
    idleCpu = (cpuSecondsOf(daemon.pid) - c1) / ((performance.now() - w0) / 1000);
    afterIdle = memoryOf(daemon.pid);
    // The default remote poll runs at every fifth minute of the clock: did one fall into the window?
    pollsInWindow = pollsBetween(wall0, Date.now());
    // With this many files, does a single edit still reach the server quickly? (Diagnostic, after the window.)
    ctx.log(`daemon resources: ${bigEditCount} timed edits with ${n} files`);
    const client = benchClient(server.registryUrl, path.join(ctx.work, 'cache'));
    // A poll that started shortly before the edits may still be running: a full cycle takes less than the first
    // sync did (no hashing), so look back that far.
    const editsFrom = Date.now() - firstSync * 1000;
    try {
      bigEdits = await timeEdits(tree, client, remote, bigEditCount);
    } finally {
      pollsDuringEdits = pollsBetween(editsFrom, Date.now());
      await client.close();
    }
  } finally {
    await daemon.stop();
    await server.stop();
  }
  return {
    name: 'daemon-resources',
    title: 'Daemon memory and idle CPU',
    seconds: (performance.now() - t0) / 1000,
    notes: [
      `\`vosync daemon\` child, default schedules (remote poll every 5 min, full rescan hourly), one pair of ` +
        `${n.toLocaleString('en-US')} files (50–250 B, ${dirCount} folders) whose remote already holds the same ` +
        `files; first sync (scan + hash + listing + compare, no transfer) took ${firstSync.toFixed(1)} s. ` +
        `Index after it: ${indexed.local} local, ${indexed.remote} remote, ${indexed.base} synced file records. ` +
        `The idle window starts ${settleSeconds} s after the daemon reported the pair up to date; RSS sampled ` +
        'every second in it.' +
        (pollsInWindow > 0 ? ` ${pollsInWindow} scheduled remote poll(s) fell into the idle window.` : '') +
        (pollsDuringEdits > 0
          ? ` A scheduled remote poll (a full cycle: rescan, listing, plan) ran among or just before the timed ` +
            'edits; an edit made while it runs waits for it.'
          : ''),
    ],
    figures: [
      figure({
        key: 'indexed.files',
        label: 'files in the index (synced records)',
        value: indexed.base,
        unit: 'files',
        target: equalTo(n),
      }),
      figure({
        key: 'rss.MB',
        label: `RSS at the end of the idle window`,
        value: afterIdle.rss / MB,
        unit: 'MB',
        target: atMost(120, 'MB'),
      }),
      figure({
        key: 'idleMaxRss.MB',
        label: 'highest RSS during the idle window',
        value: idleMaxRss / MB,
        unit: 'MB',
      }),
      figure({
        key: 'rssAfterSync.MB',
        label: 'RSS when the first sync ended',
        value: afterSync.rss / MB,
        unit: 'MB',
      }),
      figure({
        key: 'peakRss.MB',
        label: 'peak RSS (first sync included)',
        value: afterIdle.peak / MB,
        unit: 'MB',
        target: atMost(300, 'MB'),
      }),
      figure({
        key: 'settleCpu.percent',
        label: `CPU in the ${settleSeconds} s after the first sync (share of one core)`,
        value: settleCpu * 100,
        unit: '%',
      }),
      figure({
        key: 'bigEdits.p50.seconds',
        label: `one edit reaches the server in this ${n.toLocaleString('en-US')}-file pair, p50 (${bigEdits.seconds.length} edits${bigEdits.lost ? `, ${bigEdits.lost} lost` : ''}; the watcher's quiet time included)`,
        value: quantile(bigEdits.seconds, 0.5),
        unit: 's',
        target: atMost(0.5, 's'),
      }),
      figure({
        key: 'bigEdits.p99.seconds',
        label: `… p99`,
        value: quantile(bigEdits.seconds, 0.99),
        unit: 's',
        target: atMost(1, 's'),
      }),
      figure({
        key: 'idleCpu.percent',
        label: `CPU while idle for ${idleSeconds} s (share of one core)`,
        value: idleCpu * 100,
        unit: '%',
        target: below(1, '%'),
      }),
    ],
  };
}

/** How many of the default remote polls (at every fifth minute of the clock) fell between two times. */
function pollsBetween(fromMs: number, toMs: number): number {
  return Math.floor(toMs / 300_000) - Math.floor(fromMs / 300_000);
}
