import { openSeeds } from './multi-seeds.js';
import { multiSeedSuite } from './suite.js';

// The second half of the three-machine seeds in npm test (the first: multi-3.test.ts).
multiSeedSuite('multi-agent simulation, 3 agents, seeds 61-120', 3, 61, 60, openSeeds(3));
