import { describe, expect, it } from 'vitest';
import { parseByteRate } from '../../src/agent/config/units.js';

describe('byte rates', () => {
  it.each([
    [0, 0],
    [1048576, 1048576],
    ['10MB', 10_000_000],
    ['512 KiB', 524_288],
    ['1.5GB/s', 1_500_000_000],
    ['10M', 10 * 2 ** 20],
    ['500k', 500 * 2 ** 10],
    ['2G', 2 * 2 ** 30],
  ])('%s is %i bytes per second', (input, bytes) => {
    expect(parseByteRate(input)).toEqual({ ok: true, value: bytes });
  });

  it.each([['fast'], ['-1'], [-5], [1.5], ['10 MBps'], [null]])('%s is refused', (input) => {
    expect(parseByteRate(input).ok).toBe(false);
  });
});
