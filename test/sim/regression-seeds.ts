/**
 * Seeds whose story once broke an invariant, kept as regression tests (regressions.test.ts). A seed's story
 * depends on the generator (user.ts, run.ts): after changing the generator, find the seeds again by reverting
 * the fix and running the soak (`npm run soak -- --seeds N`). Each fix also has a focused test there.
 */
export const REGRESSION_SEEDS: { seed: number; bug: string }[] = [
  {
    seed: 6,
    bug: 'an upload overwrote a remote file created between the executor check and the transfer (content lost)',
  },
  {
    seed: 44,
    bug: 'an upload overwrote a remote file created between the executor check and the transfer (content lost)',
  },
  {
    seed: 55,
    bug: 'a refused transfer negotiation whose answer was cut short failed with a raw ECONNRESET',
  },
  {
    seed: 586,
    bug: 'harness: an empty node first seen while settling is waited for; the settle loop took that for rest',
  },
];
