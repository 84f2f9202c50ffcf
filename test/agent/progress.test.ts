/** The progress rule as a table: the rate from readings of a byte counter, and the time to go from it. */
import { describe, expect, it } from 'vitest';
import { etaSeconds, progressOf, transferRate, type RateSample } from '../../src/agent/status/progress.js';

const S = 1000;
const at = (pairs: [number, number][]): RateSample[] => pairs.map(([t, bytes]) => ({ at: t * S, bytes }));

describe('transferRate', () => {
  it.each<{ name: string; samples: RateSample[]; rate: number }>([
    { name: 'no reading', samples: [], rate: 0 },
    { name: 'one reading: no span to measure', samples: at([[5, 1000]]), rate: 0 },
    {
      name: 'steady 1 MB/s',
      samples: at([
        [0, 0],
        [1, 1e6],
        [2, 2e6],
      ]),
      rate: 1e6,
    },
    {
      name: 'nothing moving',
      samples: at([
        [0, 5e6],
        [4, 5e6],
      ]),
      rate: 0,
    },
    {
      name: 'readings older than the window are left out, but the newest of them anchors it',
      samples: at([
        [0, 0],
        [50, 0],
        [55, 1e6],
        [60, 3e6],
      ]),
      rate: 3e5,
    },
    {
      name: 'a sparse reading: the average since the one before',
      samples: at([
        [0, 0],
        [40, 8e6],
      ]),
      rate: 2e5,
    },
    {
      name: 'stopped a while ago: no rate is left over',
      samples: at([
        [0, 0],
        [3, 3e6],
        [20, 3e6],
      ]),
      rate: 0,
    },
    {
      name: 'a failed transfer drops the counter: not negative movement',
      samples: at([
        [0, 0],
        [1, 2e6],
        [2, 5e5],
        [3, 1.5e6],
      ]),
      rate: Math.round(3e6 / 3),
    },
  ])('$name', ({ samples, rate }) => {
    expect(transferRate(samples)).toBe(rate);
  });
});

describe('etaSeconds', () => {
  it.each<[number, number, number | null]>([
    [0, 1e6, null],
    [1e6, 0, null],
    [1e6, 1e6, 1],
    [1e6 + 1, 1e6, 2],
    [3.4e9, 12e6, 284],
  ])('%d bytes at %d B/s: %s', (bytes, rate, eta) => {
    expect(etaSeconds(bytes, rate)).toBe(eta);
  });
});

describe('progressOf', () => {
  it('counts what is left each way, less what is in flight, at the measured rate', () => {
    expect(
      progressOf({
        left: { up: [100, 200, 300], down: [1000] },
        inFlight: { up: 50, down: 0 },
        samples: at([
          [0, 0],
          [1, 100],
        ]),
      }),
    ).toEqual({
      filesLeft: { up: 3, down: 1 },
      bytesLeft: { up: 550, down: 1000 },
      bytesPerSecond: 100,
      etaSeconds: 16,
    });
  });

  it('never says less than nothing is left, and no time to go without a rate', () => {
    expect(progressOf({ left: { up: [10], down: [] }, inFlight: { up: 40, down: 0 }, samples: [] })).toEqual({
      filesLeft: { up: 1, down: 0 },
      bytesLeft: { up: 0, down: 0 },
      bytesPerSecond: 0,
      etaSeconds: null,
    });
  });
});
