import { openSeeds } from './multi-seeds.js';
import { multiSeedSuite } from './suite.js';

// Three machines on one remote folder, their requests interleaved by a seeded scheduler (see multi.ts); seeds
// 61-120 in multi-3b.test.ts, so that two workers share them.
multiSeedSuite('multi-agent simulation, 3 agents, seeds 1-60', 3, 1, 60, openSeeds(3));
