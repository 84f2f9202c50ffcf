/**
 * How the cost of keeping a pair in sync grows with its size: pairs of 10,000 and 100,000 small files (and
 * 1,000,000 with `--size scaleMax=1000000`), each brought in sync once, then
 *
 * - a no-change cycle as the daemon's full rescan runs it (local scan, remote listing, plan; nothing to do):
 *   seconds and files hashed, and the same cycle on the cached listing (what a watcher-triggered cycle costs
 *   before it does anything);
 * - one-edit cycles: one file rewritten, then a cycle on the cached listing scoped to that file, as the daemon
 *   runs one after a watcher batch (the watcher's own quiet time is not in it);
 * - the index's size on disk, and the RSS of the process running the cycles (peak, and after the cycle once
 *   the heap was compacted as the daemon does after a big pair's cycle).
 *
 * The cycles run in a process of their own (bench/lib/cycle-worker.ts, the built engine, index and client kept
 * open between cycles as in the daemon) against a `vosync serve` child. The remote side is seeded with the same
 * files' metadata, so the first sync compares instead of uploading. For each step up in size, the growth of
 * each cost: ten times the files, so 10× is linear.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import ts from 'typescript';
import { mkdirp, seedNodes, type BenchContext } from './lib/context.js';
import type { CloseReply, CycleReply, WorkerArgs } from './lib/cycle-worker.js';
import { makeTree, median, quantile, sleep } from './lib/files.js';
import { REPO, TOKEN, USER, runCommand, startVosyncServer } from './lib/procs.js';
import { atMost, equalTo, figure, fmt, type BenchResult, type Figure } from './lib/report.js';

const MB = 1e6;
/** Issue 13's latency target for one edit in a pair of 100,000 files. */
const EDIT_TARGET_FILES = 100_000;

interface Row {
  n: number;
  dirs: number;
  firstSync: CycleReply;
  noChange: CycleReply[];
  noChangeCached: CycleReply[];
  edits: CycleReply[];
  indexBytes: number;
}

/** The pair sizes of the table: scaleMin, then ×10 while it stays within scaleMax. */
export function scaleSizes(ctx: BenchContext): number[] {
  const out: number[] = [];
  for (let n = ctx.sizes.scaleMin; n <= ctx.sizes.scaleMax; n *= 10) out.push(n);
  return out;
}

/** The worker as plain JavaScript in the work folder (see cycle-worker.ts for why not through ts-register). */
function writeWorker(dir: string): string {
  const source = path.join(REPO, 'bench', 'lib', 'cycle-worker.ts');
  const out = ts.transpileModule(fs.readFileSync(source, 'utf8'), {
    fileName: source,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  const file = path.join(dir, 'cycle-worker.mjs');
  fs.writeFileSync(file, out.outputText);
  return file;
}

function startWorker(script: string, args: WorkerArgs) {
  const child = spawn(process.execPath, [script, JSON.stringify(args)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-20_000);
  });
  // A worker that died early closes its stdin: the next answer reports it, with its stderr; no crash here.
  child.stdin.on('error', () => undefined);
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const ask = async <T>(req: object): Promise<T> => {
    child.stdin.write(JSON.stringify(req) + '\n');
    const next = await lines.next();
    if (next.done)
      throw new Error(`the cycle worker exited (${child.exitCode ?? child.signalCode}): ${stderr}`);
    return JSON.parse(next.value as string) as T;
  };
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    cycle: (cachedRemote: boolean, changed?: string[]) =>
      ask<CycleReply>({ cycle: { cachedRemote, ...(changed ? { changed } : {}) } }),
    async close(): Promise<CloseReply> {
      const r = await ask<CloseReply>({ close: true });
      child.stdin.end();
      // It has nothing left to do once it answered; a worker that hangs on is killed by the caller.
      await Promise.race([exited, sleep(10_000)]);
      return r;
    },
    kill: () => child.kill('SIGKILL'),
  };
}

function check(what: string, r: CycleReply, want: (r: CycleReply) => boolean): CycleReply {
  if (r.paused !== null || r.failed > 0 || !want(r))
    throw new Error(`scale: ${what}: unexpected cycle result ${JSON.stringify(r)}`);
  return r;
}

async function measure(ctx: BenchContext, worker: string, n: number): Promise<Row> {
  const quick = ctx.quick;
  const noChangeRuns = quick ? 1 : 3;
  const editCount = quick ? 2 : 5;
  const dir = mkdirp(ctx.work, `n${n}`);
  // A thousand files a folder, as in the rescan and daemon benchmarks.
  const dirs = Math.max(2, Math.round(n / 1000));
  ctx.log(`scale: writing ${n} files`);
  const tree = makeTree(path.join(dir, 'tree'), n, dirs, 'varied');
  const dataDir = path.join(dir, 'server');
  const server = await startVosyncServer(dataDir);
  const remote = `vos:${USER}/scale`;
  seedNodes(dataDir, 'vault', `${USER}/scale`, tree.dirs, tree.files, USER);
  const w = startWorker(worker, {
    repo: REPO,
    registryUrl: server.registryUrl,
    token: TOKEN,
    local: tree.root,
    remote,
    indexFile: path.join(dir, 'index.sqlite'),
    concurrency: ctx.streams,
  });
  try {
    ctx.log(`scale: ${n} files: first sync (hash, list, compare; nothing to transfer)`);
    const firstSync = check('first sync', await w.cycle(false), (r) => r.bytesUp === 0);
    const noChange: CycleReply[] = [];
    const noChangeCached: CycleReply[] = [];
    for (let i = 0; i < noChangeRuns; i++) {
      noChange.push(check('no-change cycle', await w.cycle(false), (r) => r.actions === 0));
      noChangeCached.push(
        check('no-change cycle, cached listing', await w.cycle(true), (r) => r.actions === 0),
      );
    }
    ctx.log(`scale: ${n} files: ${editCount} one-edit cycles`);
    const edits: CycleReply[] = [];
    for (let i = 0; i < editCount; i++) {
      const f = tree.files[i % tree.files.length]!;
      const body = Buffer.concat([Buffer.from(`edit ${i}\n`), randomBytes(100 + ((i * 131) % 4000))]);
      fs.writeFileSync(path.join(tree.root, f.rel), body);
      edits.push(
        check(
          'one-edit cycle',
          await w.cycle(true, [f.rel]),
          (r) => r.scoped && r.done >= 1 && r.bytesUp > 0,
        ),
      );
    }
    const { indexBytes } = await w.close();
    return { n, dirs, firstSync, noChange, noChangeCached, edits, indexBytes };
  } finally {
    w.kill();
    await server.stop();
    // The next size needs the disk more than this tree does.
    await runCommand('rm', ['-rf', '--', dir]);
  }
}

const peakOf = (cycles: CycleReply[]) => Math.max(...cycles.map((c) => c.peak));

function rowFigures(r: Row): Figure[] {
  const k = `n${r.n}`;
  const files = `${r.n.toLocaleString('en-US')} files`;
  return [
    figure({
      key: `${k}.noChange.seconds`,
      label: `${files}: no-change cycle (rescan, listing, plan)`,
      value: median(r.noChange.map((c) => c.seconds)),
      unit: 's',
    }),
    figure({
      key: `${k}.noChange.hashed`,
      label: `${files}: files hashed by the no-change cycles`,
      value: [...r.noChange, ...r.noChangeCached].reduce((s, c) => s + c.hashed, 0),
      unit: 'files',
      target: equalTo(0),
    }),
    figure({
      key: `${k}.noChangeCached.seconds`,
      label: `${files}: no-change cycle on the cached listing (rescan, plan)`,
      value: median(r.noChangeCached.map((c) => c.seconds)),
      unit: 's',
    }),
    figure({
      key: `${k}.oneEdit.p50.seconds`,
      label: `${files}: one-edit cycle p50 (${r.edits.length} edits; watcher quiet time not included)`,
      value: quantile(
        r.edits.map((c) => c.seconds),
        0.5,
      ),
      unit: 's',
      ...(r.n === EDIT_TARGET_FILES ? { target: atMost(0.5, 's') } : {}),
    }),
    figure({ key: `${k}.index.MB`, label: `${files}: index on disk`, value: r.indexBytes / MB, unit: 'MB' }),
    figure({
      key: `${k}.index.bytesPerFile`,
      label: `${files}: index bytes per file`,
      value: r.indexBytes / r.n,
      unit: 'B',
    }),
    figure({
      key: `${k}.firstSync.peakRss.MB`,
      label: `${files}: peak RSS, first sync`,
      value: r.firstSync.peak / MB,
      unit: 'MB',
    }),
    figure({
      key: `${k}.noChange.peakRss.MB`,
      label: `${files}: peak RSS, no-change cycles`,
      value: peakOf(r.noChange) / MB,
      unit: 'MB',
    }),
    figure({
      key: `${k}.noChangeCached.peakRss.MB`,
      label: `${files}: peak RSS, no-change cycles on the cached listing`,
      value: peakOf(r.noChangeCached) / MB,
      unit: 'MB',
    }),
    figure({
      key: `${k}.oneEdit.peakRss.MB`,
      label: `${files}: peak RSS, one-edit cycles`,
      value: peakOf(r.edits) / MB,
      unit: 'MB',
    }),
    figure({
      key: `${k}.rssAfter.MB`,
      label: `${files}: RSS after the last cycle (and the daemon's compaction)`,
      value: r.edits[r.edits.length - 1]!.rss / MB,
      unit: 'MB',
    }),
  ];
}

/** How much each cost grew from one size to the next (×10 files: 10 is linear). */
function growthFigures(a: Row, b: Row): Figure[] {
  const step = `${a.n.toLocaleString('en-US')} → ${b.n.toLocaleString('en-US')} files`;
  const of = (r: Row) => ({
    noChange: median(r.noChange.map((c) => c.seconds)),
    noChangeCached: median(r.noChangeCached.map((c) => c.seconds)),
    oneEdit: quantile(
      r.edits.map((c) => c.seconds),
      0.5,
    ),
    index: r.indexBytes,
    noChangePeak: peakOf(r.noChange),
    oneEditPeak: peakOf(r.edits),
  });
  const x = of(a);
  const y = of(b);
  const g = (key: keyof typeof x, label: string) =>
    figure({
      key: `growth.n${a.n}-n${b.n}.${key}`,
      label: `growth ${step}: ${label}`,
      value: y[key] / x[key],
      unit: '×',
    });
  return [
    g('noChange', 'no-change cycle'),
    g('noChangeCached', 'no-change cycle, cached listing'),
    g('oneEdit', 'one-edit cycle p50'),
    g('index', 'index size'),
    g('noChangePeak', 'peak RSS, no-change cycles'),
    g('oneEditPeak', 'peak RSS, one-edit cycles'),
  ];
}

export async function scale(ctx: BenchContext): Promise<BenchResult> {
  const t0 = performance.now();
  const worker = writeWorker(ctx.work);
  const rows: Row[] = [];
  for (const n of scaleSizes(ctx)) rows.push(await measure(ctx, worker, n));
  const figures = rows.flatMap(rowFigures);
  for (let i = 1; i < rows.length; i++) figures.push(...growthFigures(rows[i - 1]!, rows[i]!));
  const cpu = (cs: CycleReply[]) => median(cs.map((c) => c.cpuSeconds));
  return {
    name: 'scale',
    title: 'Cost against pair size',
    seconds: (performance.now() - t0) / 1000,
    figures,
    notes: [
      `Pairs of 50–250 B files, a thousand to a folder (two levels), remote seeded with the same files; ` +
        `${ctx.streams} transfers at a time. The cycles run in a child process of their own (the built ` +
        '`syncPair`, index and client kept open between cycles, as in the daemon) against a `vosync serve` ' +
        'child; RSS is that process\u2019s, its peak reset before each cycle. ' +
        `No-change cycles: median of ${rows[0]?.noChange.length ?? 0} of each kind; growth figures: 10× = linear.`,
      ...rows.map(
        (r) =>
          `${r.n.toLocaleString('en-US')} files (${r.dirs} folders): first sync ${fmt(r.firstSync.seconds)} s ` +
          `(${r.firstSync.hashed.toLocaleString('en-US')} hashed); CPU of a no-change cycle ` +
          `${fmt(cpu(r.noChange))} s, on the cached listing ${fmt(cpu(r.noChangeCached))} s, of a one-edit ` +
          `cycle ${fmt(cpu(r.edits))} s.` +
          (r.firstSync.peakIsCycles ? '' : ' (Peak RSS could not be reset: peaks are since the start.)'),
      ),
    ],
  };
}
