/**
 * The notification rule as a table: what is news (a new conflict, a safety pause, an action starting to
 * fail, a long outage), what is not (the same thing again, what was there at start-up, a pause by the user),
 * and the quiet time per kind.
 */
import { describe, expect, it } from 'vitest';
import {
  decideNotes,
  QUIET_MS,
  type NotifyFacts,
  type NotifyMemory,
} from '../../src/agent/status/notify-rule.js';

const MIN = 60_000;
const T0 = 1_000_000_000;
const calm: NotifyFacts = { conflicts: [], safetyPause: null, failing: [], offlineSince: null };
const facts = (o: Partial<NotifyFacts>): NotifyFacts => ({ ...calm, ...o });
const settings = (now: number) => ({ now, offlineAfterMs: 10 * MIN });

/** Runs the rule over a sequence of (minute, facts), as the daemon would, and returns the kinds said each time. */
function run(steps: [number, Partial<NotifyFacts>][], start: NotifyFacts = calm): string[][] {
  let memory: NotifyMemory | undefined = decideNotes('p', undefined, start, settings(T0)).memory;
  return steps.map(([minute, f]) => {
    const r = decideNotes('p', memory, facts(f), settings(T0 + minute * MIN));
    memory = r.memory;
    return r.notes.map((n) => `${n.kind}: ${n.message}`);
  });
}

describe('decideNotes', () => {
  it.each<{
    name: string;
    start?: Partial<NotifyFacts>;
    steps: [number, Partial<NotifyFacts>][];
    said: string[][];
  }>([
    { name: 'nothing happening', steps: [[1, {}]], said: [[]] },
    {
      name: 'a new conflict, once, however often it is looked at',
      steps: [
        [1, { conflicts: ['a.conflict-1.txt'] }],
        [2, { conflicts: ['a.conflict-1.txt'] }],
        [30, { conflicts: ['a.conflict-1.txt'] }],
      ],
      said: [['conflict: both versions kept: a.conflict-1.txt'], [], []],
    },
    {
      name: 'conflicts open at start-up are not news; a later one is',
      start: { conflicts: ['old.conflict.txt'] },
      steps: [
        [1, { conflicts: ['old.conflict.txt'] }],
        [2, { conflicts: ['old.conflict.txt', 'new.conflict.txt'] }],
      ],
      said: [[], ['conflict: both versions kept: new.conflict.txt']],
    },
    {
      name: 'a second conflict within the quiet time waits, then is said',
      steps: [
        [1, { conflicts: ['a'] }],
        [2, { conflicts: ['a', 'b'] }],
        [1 + QUIET_MS / MIN, { conflicts: ['a', 'b'] }],
        [20, { conflicts: ['a', 'b'] }],
      ],
      said: [['conflict: both versions kept: a'], [], ['conflict: both versions kept: b'], []],
    },
    {
      name: 'a conflict resolved before its quiet time is over is not said',
      steps: [
        [1, { conflicts: ['a'] }],
        [2, { conflicts: ['a', 'b'] }],
        [3, { conflicts: ['a'] }],
        [10, { conflicts: ['a'] }],
      ],
      said: [['conflict: both versions kept: a'], [], [], []],
    },
    {
      name: 'a safety pause once; over and paused again later, again',
      steps: [
        [1, { safetyPause: 'would delete 6 of 10' }],
        [2, { safetyPause: 'would delete 6 of 10' }],
        [3, {}],
        [10, { safetyPause: 'would delete 7 of 10' }],
      ],
      said: [['paused: would delete 6 of 10'], [], [], ['paused: would delete 7 of 10']],
    },
    {
      name: 'an action that starts failing, once; another kind is not held up by it',
      steps: [
        [1, { failing: [{ key: 'x.fits', message: 'permission denied' }] }],
        [
          2,
          {
            failing: [{ key: 'x.fits', message: 'permission denied' }],
            safetyPause: 'local folder missing',
          },
        ],
      ],
      said: [['failing: x.fits: permission denied'], ['paused: local folder missing']],
    },
    {
      name: 'offline: said once the minutes have passed, once per outage',
      steps: [
        [1, { offlineSince: T0 }],
        [10, { offlineSince: T0 }],
        [30, { offlineSince: T0 }],
        [31, {}],
        [60, { offlineSince: T0 + 50 * MIN }],
      ],
      said: [
        [],
        ['offline: the server has not answered for 10 min; changes wait until it does'],
        [],
        [],
        ['offline: the server has not answered for 10 min; changes wait until it does'],
      ],
    },
  ])('$name', ({ start, steps, said }) => {
    expect(run(steps, facts(start ?? {}))).toEqual(said);
  });

  it('names the pair and counts several at once', () => {
    const first = decideNotes('lab', undefined, calm, settings(T0)).memory;
    const r = decideNotes('lab', first, facts({ conflicts: ['a', 'b', 'c', 'd'] }), settings(T0 + MIN));
    expect(r.notes).toEqual([
      {
        kind: 'conflict',
        title: 'vosync: 4 conflicts in lab',
        message: 'both versions kept: a, b, c and 1 more',
      },
    ]);
  });
});
