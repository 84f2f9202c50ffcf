/**
 * Change-to-remote latency: `vosync daemon` (a child process, default watcher timings) syncs a folder to a
 * `vosync serve` child; the bench saves a file, then asks the server every 20 ms until the node carries the
 * new MD5. p50 and p99 over 200 edits, one edit at a time.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { benchClient, type BenchContext } from './lib/context.js';
import { startDaemon, waitUpToDate } from './lib/daemon.js';
import { makeTree, quantile, sleep } from './lib/files.js';
import { USER, startVosyncServer } from './lib/procs.js';
import { atMost, figure, type BenchResult } from './lib/report.js';

const POLL_MS = 20;
const GIVE_UP_MS = 30_000;
/** Files the edits rotate over. */
const EDITED = 20;

export async function latency(ctx: BenchContext): Promise<BenchResult> {
  const t0 = performance.now();
  const { latencyEdits: edits, latencyTreeFiles: n } = ctx.sizes;
  const tree = makeTree(path.join(ctx.work, 'folder'), n, Math.max(2, Math.round(n / 100)), 'varied');
  const server = await startVosyncServer(path.join(ctx.work, 'server'));
  const client = benchClient(server.registryUrl, path.join(ctx.work, 'cache'));
  const remote = `vos:${USER}/latency`;
  const daemon = await startDaemon(
    path.join(ctx.work, 'daemon'),
    server.registryUrl,
    { name: 'latency', local: tree.root, remote },
    ctx.streams,
  );
  const seconds: number[] = [];
  let lost = 0;
  let initial: number;
  try {
    ctx.log(`latency: first sync of ${n} files`);
    const i0 = performance.now();
    await waitUpToDate(daemon, 300_000);
    initial = (performance.now() - i0) / 1000;
    ctx.log(`latency: ${edits} edits`);
    for (let i = 0; i < edits; i++) {
      const f = tree.files[i % Math.min(EDITED, tree.files.length)]!;
      const body = Buffer.concat([Buffer.from(`edit ${i}\n`), randomBytes(100 + ((i * 131) % 4000))]);
      const md5 = createHash('md5').update(body).digest('hex');
      const start = performance.now();
      fs.writeFileSync(path.join(tree.root, f.rel), body);
      let seen = false;
      while (performance.now() - start < GIVE_UP_MS) {
        const info = await client.tryGetInfo(`${remote}/${f.rel}`);
        if (info?.md5 === md5) {
          seen = true;
          break;
        }
        await sleep(POLL_MS);
      }
      if (seen) seconds.push((performance.now() - start) / 1000);
      else lost++;
    }
  } finally {
    await client.close();
    await daemon.stop();
    await server.stop();
  }
  return {
    name: 'latency',
    title: 'Change-to-remote latency',
    seconds: (performance.now() - t0) / 1000,
    notes: [
      `\`vosync daemon\` child with the default watcher timings (a path is reported after 1,000 ms without change, ` +
        `batches after 300 ms of quiet), pair of ${n.toLocaleString('en-US')} files; first sync took ` +
        `${initial.toFixed(1)} s. Each edit rewrites one of ${Math.min(EDITED, n)} files (100 B–4 KB) and waits until ` +
        `the server reports the new MD5 (polled every ${POLL_MS} ms, so figures are up to ${POLL_MS} ms late).` +
        (lost > 0 ? ` ${lost} edit(s) never reached the server within ${GIVE_UP_MS / 1000} s.` : ''),
    ],
    figures: [
      figure({
        key: 'p50.seconds',
        label: `p50 over ${seconds.length} edits`,
        value: quantile(seconds, 0.5),
        unit: 's',
        target: atMost(1, 's'),
      }),
      figure({
        key: 'p99.seconds',
        label: `p99 over ${seconds.length} edits`,
        value: quantile(seconds, 0.99),
        unit: 's',
        target: atMost(3, 's'),
      }),
      figure({ key: 'max.seconds', label: 'slowest edit', value: Math.max(...seconds), unit: 's' }),
      figure({ key: 'lost', label: 'edits not on the server after 30 s', value: lost, unit: 'edits' }),
    ],
  };
}
