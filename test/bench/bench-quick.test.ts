import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BENCHMARKS, runBenchmarks } from '../../bench/run.js';
import type { BenchResult } from '../../bench/lib/report.js';

/**
 * The benchmarks' quick mode, end to end: every benchmark runs (real servers, daemons and CLI children at small
 * sizes) and reports each of its figures with a number, and its baselines where it has them. Nothing here judges
 * speed: timings on a shared test machine mean nothing, and the targets are for the full run (bench/RESULTS.md).
 */

/** The figures each benchmark must report, and which of them carry a same-run baseline. */
const EXPECTED: Record<string, { figures: string[]; withBaseline: string[] }> = {
  'small-files': {
    figures: [
      'cli.upload.filesPerSecond',
      'cli.download.filesPerSecond',
      'cli.upload.seconds',
      'cli.again.seconds',
      'cli.upload.vsCadc',
      'cli.download.vsCadc',
      'cli.upload.cpuMsPerFile',
      'cli.download.cpuMsPerFile',
      'engine.upload.filesPerSecond',
      'engine.download.filesPerSecond',
      'serverFloor.upload.filesPerSecond',
      'serverFloor.download.filesPerSecond',
      'requestsPerFile.cli-up',
      'requestsPerFile.cli-down',
      'requestsPerFile.engine-up',
      'requestsPerFile.engine-down',
    ],
    withBaseline: [
      'cli.upload.filesPerSecond',
      'cli.download.filesPerSecond',
      'engine.upload.filesPerSecond',
      'engine.download.filesPerSecond',
      'serverFloor.upload.filesPerSecond',
    ],
  },
  'large-file': { figures: ['upload.MBps', 'download.MBps'], withBaseline: ['upload.MBps', 'download.MBps'] },
  'resumable-upload': {
    figures: ['bytesSent.perFileByte', 'cuts', 'effective.MBps'],
    withBaseline: ['effective.MBps'],
  },
  rescan: { figures: ['scan.seconds', 'scan.filesHashed', 'cycle.seconds'], withBaseline: ['scan.seconds'] },
  listing: { figures: ['vaultFlat.seconds', 'vaultTree.seconds', 'arcFlat.seconds'], withBaseline: [] },
  latency: {
    figures: ['p50.seconds', 'p99.seconds', 'max.seconds', 'lost', 'short.p50.seconds', 'short.p99.seconds'],
    withBaseline: [],
  },
  'daemon-resources': {
    figures: [
      'indexed.files',
      'rss.MB',
      'idleMaxRss.MB',
      'rssAfterSync.MB',
      'peakRss.MB',
      'settleCpu.percent',
      'bigEdits.p50.seconds',
      'bigEdits.p99.seconds',
      'idleCpu.percent',
    ],
    withBaseline: [],
  },
  startup: {
    figures: ['version.seconds', 'vlsHelp.seconds', 'lsHelp.seconds'],
    withBaseline: ['version.seconds', 'vlsHelp.seconds', 'lsHelp.seconds'],
  },
  // Quick sizes: pairs of 200 and 2,000 files, and the growth from one to the other.
  scale: {
    figures: [
      ...['n200', 'n2000'].flatMap((n) =>
        [
          'noChange.seconds',
          'noChange.hashed',
          'noChangeCached.seconds',
          'oneEdit.p50.seconds',
          'index.MB',
          'index.bytesPerFile',
          'firstSync.peakRss.MB',
          'noChange.peakRss.MB',
          'noChangeCached.peakRss.MB',
          'oneEdit.peakRss.MB',
          'rssAfter.MB',
        ].map((k) => `${n}.${k}`),
      ),
      ...['noChange', 'noChangeCached', 'oneEdit', 'index', 'noChangePeak', 'oneEditPeak'].map(
        (k) => `growth.n200-n2000.${k}`,
      ),
    ],
    withBaseline: [],
  },
};

let tmp: string;
let results: BenchResult[] = [];
let errors: string[] = [];

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vosync-bench-test-'));
  // No CADC baseline here (it would need CADC's client): those figures report their value without a ratio.
  ({ results, errors } = await runBenchmarks({ quick: true, tmpDir: tmp, log: () => undefined }));
}, 300_000);

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('npm run bench -- --quick', () => {
  it('runs every benchmark without errors and leaves no work folder behind', () => {
    expect(errors).toEqual([]);
    expect(results.map((r) => r.name)).toEqual(Object.keys(BENCHMARKS));
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  for (const [name, want] of Object.entries(EXPECTED)) {
    it(`${name} reports each of its figures`, () => {
      const r = results.find((x) => x.name === name);
      expect(r, `no result for ${name}`).toBeDefined();
      expect(r!.figures.map((f) => f.key).sort()).toEqual([...want.figures].sort());
      for (const f of r!.figures) {
        expect(Number.isFinite(f.value), `${name} ${f.key} = ${f.value}`).toBe(true);
        expect(f.value!).toBeGreaterThanOrEqual(0);
      }
      for (const key of want.withBaseline) {
        const f = r!.figures.find((x) => x.key === key)!;
        expect(f.baseline?.value, `${name} ${key} baseline`).toBeGreaterThan(0);
        expect(Number.isFinite(f.ratio), `${name} ${key} ratio`).toBe(true);
      }
    });
  }

  it('holds the figures that have targets to them (met or not is for the full run to say)', () => {
    const judged = results.flatMap((r) => r.figures.filter((f) => f.target).map((f) => `${r.name}/${f.key}`));
    for (const key of [
      'small-files/cli.upload.filesPerSecond',
      'large-file/upload.MBps',
      'resumable-upload/bytesSent.perFileByte',
      'resumable-upload/cuts',
      'rescan/scan.seconds',
      'rescan/scan.filesHashed',
      'scale/n200.noChange.hashed',
      'listing/vaultFlat.seconds',
      'latency/p50.seconds',
      'latency/p99.seconds',
      'daemon-resources/rss.MB',
      'daemon-resources/peakRss.MB',
      'daemon-resources/idleCpu.percent',
    ])
      expect(judged).toContain(key);
  });
});
