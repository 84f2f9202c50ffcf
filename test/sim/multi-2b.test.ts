import { openSeeds } from './multi-seeds.js';
import { multiSeedSuite } from './suite.js';

// The second half of the two-machine seeds in npm test (the first: multi.test.ts), so that two workers share them.
multiSeedSuite('multi-agent simulation, 2 agents, seeds 76-150', 2, 76, 75, openSeeds(2));
