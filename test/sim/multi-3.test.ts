import { openSeeds } from './multi-seeds.js';
import { multiSeedSuite } from './suite.js';

// Three machines on one remote folder, their requests interleaved by a seeded scheduler (see multi.ts).
multiSeedSuite('multi-agent simulation, 3 agents, seeds 1-40', 3, 1, 40, openSeeds(3));
