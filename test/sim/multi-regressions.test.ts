/** Multi-agent seeds that once broke an invariant (multi-seeds.ts), replayed. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMultiSeed } from './multi.js';
import { MULTI_REGRESSION_SEEDS } from './multi-seeds.js';
import { SimWorld } from './world.js';

describe('multi-agent regression seeds', () => {
  let world: SimWorld;
  beforeAll(() => {
    world = SimWorld.start({ inMemory: true });
  });
  afterAll(() => {
    world.close();
  });
  for (const { agents, seed, bug } of MULTI_REGRESSION_SEEDS) {
    it(`${agents} agents, seed ${seed}: ${bug}`, async () => {
      const o = await runMultiSeed(world, { seed, agents });
      if (o.violations.length > 0) console.log(o.trace.join('\n'));
      expect(o.violations).toEqual([]);
    });
  }
});
