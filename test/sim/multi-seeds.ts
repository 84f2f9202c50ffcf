/**
 * Multi-agent seeds (multi.ts) that fail on an open bug of the agent: left out of the seed ranges `npm test`
 * runs, so the suite stays green, and listed here so they are not forgotten. Replay one with
 * `npm run soak -- --agents N --seed S`; once the bug is fixed, delete its entries (the seeds run again).
 * A seed's story depends on the generator: after changing it, find them again with the soak.
 */
export const OPEN_MULTI_SEEDS: { agents: 2 | 3; seed: number; bug: string }[] = [
  // Outside the npm-test ranges; found by `npm run soak -- --agents 3 --seeds 2000`, not yet understood.
  {
    agents: 3,
    seed: 606,
    bug: 'a conflict copy folder edited by its machine conflicts with a remote-only change',
  },
  { agents: 3, seed: 857, bug: 'as 606, below a conflict copy folder (c.conflict-…/c)' },
  {
    agents: 3,
    seed: 881,
    bug: 'a conflict copy folder turned into a file here while the machine was still making it remotely',
  },
  { agents: 3, seed: 1665, bug: 'a self-conflict on a conflict copy made by another machine (not analysed)' },
  {
    agents: 3,
    seed: 1687,
    bug:
      "content lost: m3 (conflict policy local-wins) replaces m1's a.txt and moves it to the remote trash " +
      'only; decide whether a *-wins loser in a trash counts as kept (the policy) or both must be kept',
  },
];

/** The seeds of one agent count to leave out. */
export function openSeeds(agents: 2 | 3): number[] {
  return OPEN_MULTI_SEEDS.filter((s) => s.agents === agents).map((s) => s.seed);
}
