/**
 * Change-to-remote latency: `vosync daemon` (a child process, default watcher timings) syncs a folder to a
 * `vosync serve` child; the bench saves a file, then asks the server every 20 ms until the node carries the
 * new MD5. p50 and p99 over 200 edits, one edit at a time.
 *
 * A second, shorter series runs the same daemon code in this process with a shorter watcher quiet time
 * (200 ms instead of the default 400 ms), to show how much of the latency is that wait and how much the sync itself.
 */
import path from 'node:path';
import { loadConfig } from '../src/agent/config/index.js';
import { Daemon } from '../src/agent/daemon.js';
import { createLogger } from '../src/agent/log.js';
import { benchClient, type BenchContext } from './lib/context.js';
import { startDaemon, waitUpToDate, writeDaemonConfig } from './lib/daemon.js';
import { EDITED, GIVE_UP_MS, POLL_MS, timeEdits } from './lib/edits.js';
import { makeTree, quantile, sleep } from './lib/files.js';
import { USER, startVosyncServer } from './lib/procs.js';
import { atMost, figure, type BenchResult } from './lib/report.js';

/** Watcher timings of the diagnostic series (the defaults are stableMs 400, debounceMs 300, maxWaitMs 2000). */
const SHORT_WATCH = { stableMs: 200, debounceMs: 50, maxWaitMs: 1000 };

/** The daemon's code in this process, with the short watcher timings; waits for its first sync. */
async function inProcessDaemon(
  dir: string,
  registryUrl: string,
  local: string,
  remote: string,
  streams: number,
) {
  const file = writeDaemonConfig(dir, registryUrl, { name: 'short', local, remote }, streams);
  const config = loadConfig(file);
  const daemon = await Daemon.create({
    config,
    log: createLogger({ level: 'warn', file: path.join(dir, 'vosync.log') }),
    watch: SHORT_WATCH,
  });
  await daemon.start();
  const start = Date.now();
  for (;;) {
    const p = daemon.status.pair('short');
    if (p.lastSyncOkAt !== null && p.upToDate && p.state === 'idle') break;
    if (p.state === 'paused' || p.state === 'error') throw new Error(`in-process daemon: ${p.state}`);
    if (Date.now() - start > 300_000) throw new Error('in-process daemon: no first sync within 300 s');
    await sleep(100);
  }
  return daemon;
}

export async function latency(ctx: BenchContext): Promise<BenchResult> {
  const t0 = performance.now();
  const { latencyEdits: edits, latencyTreeFiles: n } = ctx.sizes;
  const shortEdits = Math.max(2, Math.round(edits / 4));
  const dirs = Math.max(2, Math.round(n / 100));
  const tree = makeTree(path.join(ctx.work, 'folder'), n, dirs, 'varied');
  const tree2 = makeTree(path.join(ctx.work, 'folder2'), n, dirs, 'varied');
  const server = await startVosyncServer(path.join(ctx.work, 'server'));
  const client = benchClient(server.registryUrl, path.join(ctx.work, 'cache'));
  const remote = `vos:${USER}/latency`;
  const remote2 = `vos:${USER}/latency-short`;
  let main: { seconds: number[]; lost: number };
  let short: { seconds: number[]; lost: number };
  let initial: number;
  try {
    const daemon = await startDaemon(
      path.join(ctx.work, 'daemon'),
      server.registryUrl,
      { name: 'latency', local: tree.root, remote },
      ctx.streams,
    );
    try {
      ctx.log(`latency: first sync of ${n} files`);
      const i0 = performance.now();
      await waitUpToDate(daemon, 300_000);
      initial = (performance.now() - i0) / 1000;
      ctx.log(`latency: ${edits} edits`);
      main = await timeEdits(tree, client, remote, edits);
    } finally {
      await daemon.stop();
    }
    ctx.log(`latency: ${shortEdits} edits, in-process daemon with a ${SHORT_WATCH.stableMs} ms quiet time`);
    const d2 = await inProcessDaemon(
      path.join(ctx.work, 'daemon2'),
      server.registryUrl,
      tree2.root,
      remote2,
      ctx.streams,
    );
    try {
      short = await timeEdits(tree2, client, remote2, shortEdits);
    } finally {
      await d2.stop(5000);
    }
  } finally {
    await client.close();
    await server.stop();
  }
  const lostNote = (lost: number) =>
    lost > 0 ? ` ${lost} edit(s) never reached the server within ${GIVE_UP_MS / 1000} s.` : '';
  return {
    name: 'latency',
    title: 'Change-to-remote latency',
    seconds: (performance.now() - t0) / 1000,
    notes: [
      `\`vosync daemon\` child with the default watcher timings (a path is reported once it has been quiet for ` +
        `400 ms; batches after 300 ms without events), pair of ${n.toLocaleString('en-US')} files; first sync took ` +
        `${initial.toFixed(1)} s. Each edit rewrites one of ${Math.min(EDITED, n)} files (100 B–4 KB) and waits until ` +
        `the server reports the new MD5 (polled every ${POLL_MS} ms, so figures are up to ${POLL_MS} ms late).` +
        lostNote(main.lost),
      `Diagnostic series: the same daemon code in the bench process (\`Daemon\` with watch timings ` +
        `${JSON.stringify(SHORT_WATCH)}), ${shortEdits} edits on a second pair of the same size.` +
        lostNote(short.lost),
    ],
    figures: [
      figure({
        key: 'p50.seconds',
        label: `p50 over ${main.seconds.length} edits`,
        value: quantile(main.seconds, 0.5),
        unit: 's',
        target: atMost(1, 's'),
      }),
      figure({
        key: 'p99.seconds',
        label: `p99 over ${main.seconds.length} edits`,
        value: quantile(main.seconds, 0.99),
        unit: 's',
        target: atMost(3, 's'),
      }),
      figure({ key: 'max.seconds', label: 'slowest edit', value: Math.max(...main.seconds), unit: 's' }),
      figure({ key: 'lost', label: 'edits not on the server after 30 s', value: main.lost, unit: 'edits' }),
      figure({
        key: 'short.p50.seconds',
        label: `diagnostic: p50 with a ${SHORT_WATCH.stableMs} ms quiet time (${short.seconds.length} edits)`,
        value: quantile(short.seconds, 0.5),
        unit: 's',
      }),
      figure({
        key: 'short.p99.seconds',
        label: `diagnostic: p99 with a ${SHORT_WATCH.stableMs} ms quiet time`,
        value: quantile(short.seconds, 0.99),
        unit: 's',
      }),
    ],
  };
}
