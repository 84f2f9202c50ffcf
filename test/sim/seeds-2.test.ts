import { seedSuite } from './suite.js';

// Random stories of user changes, syncs, server faults, crashes and mid-sync edits (see run.ts).
seedSuite('sync simulation, seeds 101-200', 101, 100);
