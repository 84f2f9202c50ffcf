/**
 * vosync's benchmarks. Each reports its figures with the baseline measured in the same run and the target it is
 * held to. Needs the built CLI (`npm run build`): servers and daemons run as child processes of it.
 *
 *   npm run bench                                   all benchmarks, full sizes (about 18 minutes)
 *   npm run bench -- --quick                        small sizes (seconds; what the test runs)
 *   npm run bench -- --only rescan,listing          some of them (names below)
 *   npm run bench -- --markdown out.md --json out.json
 *   npm run bench -- --only resumable-upload --size resumableBytes=512M   one size changed (names in lib/context.ts)
 *   VSYNC_CMD=/path/to/run.sh npm run bench         also measure CADC's vsync/vcp, called as
 *                                                   `$VSYNC_CMD BASE_URL TOKEN vsync|vcp ARGS…`
 *
 * Runs the TypeScript sources directly: `node --import ./bench/ts-register.mjs bench/run.ts …`.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { daemonResources } from './daemon-resources.js';
import { largeFile } from './large-file.js';
import { latency } from './latency.js';
import { FULL, QUICK, type BenchContext, type Sizes } from './lib/context.js';
import { CLI } from './lib/procs.js';
import { parseByteRate } from '../src/util/byte-rate.js';
import { toMarkdown, toText, type BenchResult } from './lib/report.js';
import { listing } from './listing.js';
import { rescan } from './rescan.js';
import { resumableUpload } from './resumable-upload.js';
import { scale } from './scale.js';
import { smallFiles } from './small-files.js';
import { startup } from './startup.js';

export const BENCHMARKS: Record<string, (ctx: BenchContext) => Promise<BenchResult>> = {
  'small-files': smallFiles,
  'large-file': largeFile,
  'resumable-upload': resumableUpload,
  rescan,
  listing,
  latency,
  'daemon-resources': daemonResources,
  startup,
  scale,
};

export interface RunOptions {
  quick?: boolean;
  only?: string[];
  streams?: number;
  /** CADC's tools (see the header); undefined = the CADC baselines are not measured. */
  vsyncCmd?: string[];
  /** Where work folders go (default the OS temp folder); each benchmark's is removed when it ends. */
  tmpDir?: string;
  log?: (message: string) => void;
  sizes?: Partial<Sizes>;
}

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  platform: string;
  kernel: string;
}

export function machineInfo(): MachineInfo {
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    kernel: os.release(),
  };
}

/** Runs the selected benchmarks one after the other; a failing benchmark is reported and the rest still run. */
export async function runBenchmarks(
  opts: RunOptions = {},
): Promise<{ results: BenchResult[]; errors: string[] }> {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npx tsc -p tsconfig.build.json)`);
  const names = opts.only && opts.only.length > 0 ? opts.only : Object.keys(BENCHMARKS);
  for (const n of names) {
    if (!BENCHMARKS[n])
      throw new Error(`unknown benchmark ${n}; known: ${Object.keys(BENCHMARKS).join(', ')}`);
  }
  const log =
    opts.log ??
    ((m: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`));
  const results: BenchResult[] = [];
  const errors: string[] = [];
  for (const name of names) {
    const work = fs.mkdtempSync(path.join(opts.tmpDir ?? os.tmpdir(), `vosync-bench-${name}-`));
    const ctx: BenchContext = {
      quick: Boolean(opts.quick),
      sizes: { ...(opts.quick ? QUICK : FULL), ...opts.sizes },
      work,
      streams: opts.streams ?? 8,
      ...(opts.vsyncCmd ? { vsyncCmd: opts.vsyncCmd } : {}),
      log,
    };
    log(`${name}: start (work folder ${work})`);
    const loadStart = os.loadavg()[0]!;
    try {
      const r = await BENCHMARKS[name]!(ctx);
      r.load = { start: loadStart, end: os.loadavg()[0]! };
      results.push(r);
      log(toText(r));
    } catch (e) {
      const msg = `${name}: FAILED: ${(e as Error).stack ?? e}`;
      errors.push(msg);
      log(msg);
    } finally {
      removeTree(work);
    }
  }
  return { results, errors };
}

/** `rm -rf` is several times faster than fs.rmSync on trees of 100,000 files. */
function removeTree(dir: string): void {
  const r = spawnSync('rm', ['-rf', '--', dir]);
  if (r.status !== 0) fs.rmSync(dir, { recursive: true, force: true });
}

/** `--size KEY=N` options: a size of FULL/QUICK by name, in bytes or with a unit for byte sizes (`512M`). */
function parseSizes(specs: string[]): Partial<Sizes> {
  const out: Partial<Sizes> = {};
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const key = spec.slice(0, eq) as keyof Sizes;
    const value = parseByteRate(spec.slice(eq + 1));
    if (eq < 0 || !(key in FULL))
      throw new Error(`--size ${spec}: expected KEY=N, KEY one of ${Object.keys(FULL).join(', ')}`);
    if (!value.ok || value.value <= 0)
      throw new Error(`--size ${spec}: ${value.ok ? 'must be above 0' : value.expected}`);
    out[key] = value.value;
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      streams: { type: 'string' },
      markdown: { type: 'string' },
      json: { type: 'string' },
      size: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      'usage: bench [--quick] [--only NAME,NAME] [--streams N] [--size KEY=N]… [--markdown FILE] [--json FILE]\n' +
        `benchmarks: ${Object.keys(BENCHMARKS).join(', ')}\n` +
        'VSYNC_CMD: CADC tools runner, called as `$VSYNC_CMD BASE_URL TOKEN vsync|vcp ARGS…`\n',
    );
    return;
  }
  const streams = values.streams === undefined ? undefined : Number(values.streams);
  if (streams !== undefined && (!Number.isInteger(streams) || streams < 1))
    throw new Error(`--streams must be a whole number ≥ 1, got ${values.streams}`);
  const vsync = process.env['VSYNC_CMD']?.trim();
  const sizes = parseSizes(values.size ?? []);
  const started = new Date();
  const { results, errors } = await runBenchmarks({
    quick: values.quick,
    sizes,
    ...(values.only ? { only: values.only.split(',').map((s) => s.trim()) } : {}),
    ...(streams ? { streams } : {}),
    ...(vsync ? { vsyncCmd: vsync.split(/\s+/) } : {}),
  });
  const machine = machineInfo();
  const header = [
    `Run ${started.toISOString()}; ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB RAM, ` +
      `Node ${machine.node}, ${machine.platform}, kernel ${machine.kernel}.`,
    `Command: ${['node', ...process.execArgv, ...process.argv.slice(1).map((a) => path.relative(process.cwd(), a) || a)].join(' ')}` +
      (vsync ? ` (VSYNC_CMD=${vsync})` : ''),
    '',
  ].join('\n');
  const md =
    header + '\n' + toMarkdown(results) + (errors.length ? `\nErrors:\n\n${errors.join('\n')}\n` : '');
  if (values.markdown) fs.writeFileSync(values.markdown, md);
  if (values.json)
    fs.writeFileSync(values.json, JSON.stringify({ machine, started, results, errors }, null, 2));
  process.stdout.write(md);
  if (errors.length > 0) process.exitCode = 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
