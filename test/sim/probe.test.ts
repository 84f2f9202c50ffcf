import { afterAll, beforeAll, it } from 'vitest';
import { SimEnv } from './env.js';
import { runSeed } from './run.js';

let env: SimEnv;
beforeAll(async () => {
  env = await SimEnv.start();
});
afterAll(async () => {
  await env.close();
});

it('probe', async () => {
  const n = Number(process.env.N ?? 5);
  const from = Number(process.env.FROM ?? 1);
  const t0 = Date.now();
  let bad = 0;
  const settle: Record<number, number> = {};
  for (let s = from; s < from + n; s++) {
    const o = await runSeed(env, { seed: s, ...(process.env.V ? { log: (l) => console.log(l) } : {}) });
    settle[o.stats.settleCycles] = (settle[o.stats.settleCycles] ?? 0) + 1;
    if (o.violations.length) {
      bad++;
      console.log(`SEED ${s}:\n` + o.trace.join('\n'));
    }
    if (process.env.STATS) console.log(s, JSON.stringify(o.stats));
    if (process.env.TWICE) {
      const o2 = await runSeed(env, { seed: s });
      if (o2.trace.join('\n') !== o.trace.join('\n'))
        console.log(`NONDETERMINISTIC ${s}\n${o.trace.join('\n')}\n----\n${o2.trace.join('\n')}`);
    }
  }
  console.log(`${n} seeds, ${bad} bad, ${Date.now() - t0} ms, settle ${JSON.stringify(settle)}`);
}, 1_200_000);
