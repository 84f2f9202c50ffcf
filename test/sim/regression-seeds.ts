/**
 * Seeds whose story once broke an invariant, kept as regression tests (regressions.test.ts). A seed's story
 * depends on the generator (user.ts, run.ts) and on the remote's requests: these stories were told when the
 * simulation ran on the embedded server, and are other stories on the in-memory remote. Each fix is held by its
 * focused test there; the seeds stay as more seeds. After a change of the generator, find a bug's seed again by
 * reverting its fix and running the soak (`npm run soak -- --seeds N`).
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
