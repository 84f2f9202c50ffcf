/**
 * A no-change rescan of 100,000 local files: the local scanner with the index's previous tree, as the daemon's
 * full rescan runs it. Seconds, files hashed (must be 0), and the ratio to `find -printf '%s %T@'` over the same
 * tree. Both run warm (after a first scan), each three times; medians are reported.
 */
import path from 'node:path';
import { SyncIndex } from '../src/agent/store/index-db.js';
import { scanLocal } from '../src/agent/local/local-scan.js';
import { ignoreFor } from '../src/agent/engine/pair-sync.js';
import { pairConfig, type BenchContext } from './lib/context.js';
import { makeTree, median, timed } from './lib/files.js';
import { runCommand } from './lib/procs.js';
import { atMost, equalTo, figure, type BenchResult } from './lib/report.js';

const RUNS = 3;

export async function rescan(ctx: BenchContext): Promise<BenchResult> {
  const t0 = performance.now();
  const n = ctx.sizes.rescanFiles;
  const dirCount = Math.max(2, Math.round(n / 1000));
  ctx.log(`rescan: writing ${n} files`);
  const tree = makeTree(path.join(ctx.work, 'tree'), n, dirCount, 'varied');
  const pair = pairConfig('rescan', tree.root, `vos:alice/rescan`);
  const ignore = ignoreFor(pair);
  const index = SyncIndex.open(path.join(ctx.work, 'index.sqlite'));
  const scanSeconds: number[] = [];
  const cycleSeconds: number[] = [];
  const findSeconds: number[] = [];
  let hashed = 0;
  let entries = 0;
  let firstScan: number;
  try {
    const pairId = index.ensurePair({ name: pair.name, localRoot: pair.local, remoteUri: pair.remoteUri }).id;
    ctx.log('rescan: first scan (hashes everything)');
    const first = await timed(() => scanLocal({ root: tree.root, ignore }));
    firstScan = first.seconds;
    index.replaceLocalTree(pairId, first.value.entries);
    for (let i = 0; i < RUNS; i++) {
      // The local half of a daemon cycle: previous tree from the index, scan, write back.
      const cycle = await timed(async () => {
        const previous = index.loadLocalTree(pairId);
        const scan = await timed(() => scanLocal({ root: tree.root, previous, ignore }));
        scanSeconds.push(scan.seconds);
        hashed += scan.value.hashedCount;
        entries = scan.value.entries.size;
        index.replaceLocalTree(pairId, scan.value.entries);
      });
      cycleSeconds.push(cycle.seconds);
      const find = await runCommand('find', [tree.root, '-printf', '%s %T@\n'], { discardStdout: true });
      if (find.code !== 0) throw new Error(`find failed: ${find.stderr}`);
      findSeconds.push(find.seconds);
    }
  } finally {
    index.close();
  }
  const scan = median(scanSeconds);
  const find = median(findSeconds);
  const findBaseline = { label: "find -printf '%s %T@'", value: find, unit: 's' };
  return {
    name: 'rescan',
    title: 'No-change rescan',
    seconds: (performance.now() - t0) / 1000,
    notes: [
      `${n.toLocaleString('en-US')} files of 50–250 B in ${dirCount} folders (two levels); ${entries.toLocaleString('en-US')} ` +
        `entries per scan; warm page cache; median of ${RUNS} runs each. First scan (hashing everything): ` +
        `${firstScan.toFixed(2)} s.`,
    ],
    figures: [
      figure({
        key: 'scan.seconds',
        label: 'rescan (`scanLocal` with the previous tree)',
        value: scan,
        unit: 's',
        baseline: findBaseline,
        ratioMeaning: 'lower is better',
        ratioTarget: atMost(3),
      }),
      figure({
        key: 'scan.filesHashed',
        label: `files hashed over ${RUNS} rescans`,
        value: hashed,
        unit: 'files',
        target: equalTo(0),
      }),
      figure({
        key: 'cycle.seconds',
        label: 'rescan + index load and write-back (the local half of a daemon cycle)',
        value: median(cycleSeconds),
        unit: 's',
        baseline: findBaseline,
        ratioMeaning: 'lower is better',
      }),
    ],
  };
}
