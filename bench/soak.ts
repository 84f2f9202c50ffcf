/**
 * Soak: runs the seeded sync simulation (test/sim) for as many seeds as asked, then prints how many ran and every
 * failing seed with what it broke. A failing seed replays exactly with `--seed N`, which prints its whole story.
 *
 *   npm run soak -- --seeds 2000 [--from 1] [--jobs 2]
 *   npm run soak -- --seeds 20 --sweep      (each seed also killed at every durable step of every cycle)
 *   npm run soak -- --seed 1234
 *   npm run soak -- --agents 3 --seeds 2000 (several machines on one remote folder: test/sim/multi.ts)
 *   npm run soak -- --agents 3 --seed 1234
 *
 * Runs the TypeScript sources directly: `node --import ./bench/ts-register.mjs bench/soak.ts …`.
 */
import { parseArgs } from 'node:util';
import { SimWorld } from '../test/sim/world.js';
import { newMultiStats, runMultiSeed } from '../test/sim/multi.js';
import { runSeed, sweepCrashes } from '../test/sim/run.js';

interface Args {
  seeds: number;
  from: number;
  jobs: number;
  /** 1: the single-agent simulation (run.ts); 2 or 3: that many machines on one folder (multi.ts). */
  agents: 1 | 2 | 3;
  sweep: boolean;
  replay?: number;
}

function parse(argv: string[]): Args {
  const { values } = parseArgs({
    args: argv,
    options: {
      seeds: { type: 'string', default: '200' },
      from: { type: 'string', default: '1' },
      jobs: { type: 'string', default: '2' },
      agents: { type: 'string', default: '1' },
      seed: { type: 'string' },
      sweep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(
      'usage: soak [--agents 1|2|3] [--seeds N] [--from FIRST] [--jobs LANES] | --seed N (replay one seed verbosely)',
    );
    process.exit(0);
  }
  const int = (name: string, v: string, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got '${v}'`);
    return n;
  };
  const agents = int('agents', values.agents, 1);
  if (agents > 3) throw new Error(`--agents must be 1, 2 or 3, got ${agents}`);
  if (agents > 1 && values.sweep) throw new Error('--sweep runs the single-agent simulation only');
  const args: Args = {
    seeds: int('seeds', values.seeds, 1),
    from: int('from', values.from, 0),
    jobs: int('jobs', values.jobs, 1),
    agents: agents as Args['agents'],
    sweep: values.sweep,
  };
  if (values.seed !== undefined) args.replay = int('seed', values.seed, 0);
  return args;
}

async function replay(seed: number, agents: Args['agents']): Promise<number> {
  const world = SimWorld.start({ tmpPrefix: 'vosync-soak-', inMemory: agents > 1 });
  try {
    const log = (line: string) => console.log(line);
    const o =
      agents === 1 ? await runSeed(world, { seed, log }) : await runMultiSeed(world, { seed, agents, log });
    console.log(
      o.violations.length === 0 ? `seed ${seed}: ok` : `seed ${seed}: ${o.violations.length} violation(s)`,
    );
    return o.violations.length === 0 ? 0 : 1;
  } finally {
    world.close();
  }
}

async function soak(args: Args): Promise<number> {
  if (args.agents > 1) return soakMulti(args, args.agents as 2 | 3);
  const started = Date.now();
  const failures: { seed: number; violations: string[] }[] = [];
  let ran = 0;
  let runs = 0;
  let next = args.from;
  const last = args.from + args.seeds - 1;
  const totals = { cycles: 0, crashes: 0, faultCycles: 0, interferences: 0, conflicts: 0 };
  // Lanes run side by side, each with its own in-memory remote.
  const lane = async (): Promise<void> => {
    const world = SimWorld.start({ tmpPrefix: 'vosync-soak-' });
    try {
      while (next <= last) {
        const seed = next++;
        const o = await runSeed(world, { seed });
        const violations = [...o.violations];
        runs++;
        for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += o.stats[k];
        if (args.sweep) {
          const sw = await sweepCrashes(world, seed);
          runs += sw.runs;
          violations.push(...sw.violations);
        }
        ran++;
        if (violations.length > 0) {
          failures.push({ seed, violations });
          console.log(`seed ${seed} FAILED:\n  ${violations.slice(0, 20).join('\n  ')}`);
        }
        if (ran % 100 === 0) {
          const s = ((Date.now() - started) / 1000).toFixed(0);
          console.log(`… ${ran}/${args.seeds} seeds, ${failures.length} failing, ${s} s`);
        }
      }
    } finally {
      world.close();
    }
  };
  await Promise.all(Array.from({ length: Math.min(args.jobs, args.seeds) }, lane));
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `soak: ${ran} seeds (${args.from}..${last}), ${runs} runs in ${secs} s — ${totals.cycles} sync cycles, ` +
      `${totals.crashes} crashes, ${totals.faultCycles} cycles under faults, ${totals.interferences} mid-cycle changes, ` +
      `${totals.conflicts} conflicts`,
  );
  if (failures.length === 0) {
    console.log('soak: no failing seed');
    return 0;
  }
  const seeds = failures.map((f) => f.seed).sort((a, b) => a - b);
  console.log(`soak: ${failures.length} failing seed(s): ${seeds.join(' ')}`);
  console.log(`replay one with: npm run soak -- --seed ${seeds[0]}`);
  return 1;
}

/** The multi-agent soak: runs, failures, and how many races the scheduler's interleavings made the agents meet. */
async function soakMulti(args: Args, agents: 2 | 3): Promise<number> {
  const started = Date.now();
  const failures: number[] = [];
  let ran = 0;
  let next = args.from;
  const last = args.from + args.seeds - 1;
  const totals = newMultiStats();
  const lane = async (): Promise<void> => {
    const world = SimWorld.start({ tmpPrefix: 'vosync-soak-', inMemory: true });
    try {
      while (next <= last) {
        const seed = next++;
        const o = await runMultiSeed(world, { seed, agents });
        ran++;
        for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += o.stats[k];
        if (o.violations.length > 0) {
          failures.push(seed);
          console.log(`seed ${seed} FAILED:\n  ${o.violations.slice(0, 20).join('\n  ')}`);
        }
        if (ran % 100 === 0) {
          const s = ((Date.now() - started) / 1000).toFixed(0);
          console.log(`… ${ran}/${args.seeds} seeds, ${failures.length} failing, ${s} s`);
        }
      }
    } finally {
      world.close();
    }
  };
  await Promise.all(Array.from({ length: Math.min(args.jobs, args.seeds) }, lane));
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  const t = totals;
  console.log(
    `soak: ${ran} seeds (${args.from}..${last}) of ${agents} agents in ${secs} s — ${t.cycles} sync cycles, ` +
      `${t.turns} scheduler turns (${t.switches} switches between agents), ${t.crashes} crashes, ` +
      `${t.faultCycles} cycles under faults, ${t.midCycleChanges} mid-cycle changes, ` +
      `${t.scopedCycles} cycles scoped to the changed paths`,
  );
  console.log(
    `races: ${t.concurrent} possibly-concurrent writes kept as conflicts (of ${t.conflicts} conflicts), ` +
      `${t.skipped} actions skipped for a change since the scan, ${t.placeholderWaits} cycles waiting for ` +
      `another machine's upload, ${t.conflictCopies} conflict copies in the settled trees`,
  );
  if (failures.length === 0) {
    console.log('soak: no failing seed');
    return 0;
  }
  failures.sort((a, b) => a - b);
  console.log(`soak: ${failures.length} failing seed(s): ${failures.join(' ')}`);
  console.log(`replay one with: npm run soak -- --agents ${agents} --seed ${failures[0]}`);
  return 1;
}

const args = parse(process.argv.slice(2));
const code = await (args.replay !== undefined ? replay(args.replay, args.agents) : soak(args));
process.exitCode = code;
