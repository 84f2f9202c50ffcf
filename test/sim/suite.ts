/**
 * Declares one vitest case per simulation seed, all sharing one embedded server. A failing case prints the
 * seed's whole story; `npm run soak -- --seed N` replays it outside vitest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimEnv } from './env.js';
import { runMultiSeed } from './multi.js';
import { runSeed } from './run.js';

/** Seeds from `first` on; SIM_SEEDS=n in the environment runs n per suite instead of `count`. */
export function seedSuite(name: string, first: number, count: number): void {
  const n = Number(process.env['SIM_SEEDS'] ?? count);
  describe(name, () => {
    let env: SimEnv;
    beforeAll(async () => {
      env = await SimEnv.start();
    });
    afterAll(async () => {
      await env.close();
    });
    for (let seed = first; seed < first + n; seed++) {
      it(`seed ${seed}`, async () => {
        const o = await runSeed(env, { seed });
        if (o.violations.length > 0) console.log(o.trace.join('\n'));
        expect(o.violations).toEqual([]);
      });
    }
  });
}

/**
 * The multi-agent simulation's seeds from `first` on, but those in `leftOut` (seeds that fail on an open agent
 * bug, see multi-seeds.ts); SIM_SEEDS=n runs n instead of `count`.
 */
export function multiSeedSuite(
  name: string,
  agents: 2 | 3,
  first: number,
  count: number,
  leftOut: readonly number[],
): void {
  const n = Number(process.env['SIM_SEEDS'] ?? count);
  describe(name, () => {
    let env: SimEnv;
    beforeAll(async () => {
      env = await SimEnv.start({ inMemory: true });
    });
    afterAll(async () => {
      await env.close();
    });
    for (let seed = first; seed < first + n; seed++) {
      if (leftOut.includes(seed)) continue;
      it(`seed ${seed}`, async () => {
        const o = await runMultiSeed(env, { seed, agents });
        if (o.violations.length > 0) console.log(o.trace.join('\n'));
        expect(o.violations).toEqual([]);
      });
    }
  });
}
