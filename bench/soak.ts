/**
 * Soak: runs the seeded sync simulation (test/sim) for as many seeds as asked, then prints how many ran and every
 * failing seed with what it broke. A failing seed replays exactly with `--seed N`, which prints its whole story.
 *
 *   npm run soak -- --seeds 2000 [--from 1] [--jobs 2]
 *   npm run soak -- --seeds 20 --sweep      (each seed also killed at every durable step of every cycle)
 *   npm run soak -- --seed 1234
 *
 * Runs the TypeScript sources directly: `node --import ./bench/ts-register.mjs bench/soak.ts …`.
 */
import { parseArgs } from 'node:util';
import { SimEnv } from '../test/sim/env.js';
import { runSeed, sweepCrashes } from '../test/sim/run.js';

interface Args {
  seeds: number;
  from: number;
  jobs: number;
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
      seed: { type: 'string' },
      sweep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(
      'usage: soak [--seeds N] [--from FIRST] [--jobs LANES] | --seed N (replay one seed verbosely)',
    );
    process.exit(0);
  }
  const int = (name: string, v: string, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got '${v}'`);
    return n;
  };
  const args: Args = {
    seeds: int('seeds', values.seeds, 1),
    from: int('from', values.from, 0),
    jobs: int('jobs', values.jobs, 1),
    sweep: values.sweep,
  };
  if (values.seed !== undefined) args.replay = int('seed', values.seed, 0);
  return args;
}

async function replay(seed: number): Promise<number> {
  const env = await SimEnv.start({ tmpPrefix: 'vosync-soak-' });
  try {
    const o = await runSeed(env, { seed, log: (line) => console.log(line) });
    console.log(
      o.violations.length === 0 ? `seed ${seed}: ok` : `seed ${seed}: ${o.violations.length} violation(s)`,
    );
    return o.violations.length === 0 ? 0 : 1;
  } finally {
    await env.close();
  }
}

async function soak(args: Args): Promise<number> {
  const started = Date.now();
  const failures: { seed: number; violations: string[] }[] = [];
  let ran = 0;
  let runs = 0;
  let next = args.from;
  const last = args.from + args.seeds - 1;
  const totals = { cycles: 0, crashes: 0, faultCycles: 0, interferences: 0, conflicts: 0 };
  // Lanes run side by side, each with its own server (fault injection is per server, and must stay seeded).
  const lane = async (): Promise<void> => {
    const env = await SimEnv.start({ tmpPrefix: 'vosync-soak-' });
    try {
      while (next <= last) {
        const seed = next++;
        const o = await runSeed(env, { seed });
        const violations = [...o.violations];
        runs++;
        for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += o.stats[k];
        if (args.sweep) {
          const sw = await sweepCrashes(env, seed);
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
      await env.close();
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

const args = parse(process.argv.slice(2));
const code = await (args.replay !== undefined ? replay(args.replay) : soak(args));
process.exitCode = code;
