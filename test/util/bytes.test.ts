import { describe, expect, it } from 'vitest';
import { humanBytes } from '../../src/util/bytes.js';

describe('humanBytes', () => {
  it('writes decimal units with one decimal below 100 and none above', () => {
    expect(humanBytes(0)).toBe('0 B');
    expect(humanBytes(999)).toBe('999 B');
    expect(humanBytes(1000)).toBe('1.0 kB');
    expect(humanBytes(1_234_567)).toBe('1.2 MB');
    expect(humanBytes(123_456_789)).toBe('123 MB');
    expect(humanBytes(5e12)).toBe('5.0 TB');
    // The largest unit keeps growing rather than running out of names.
    expect(humanBytes(2.5e15)).toBe('2.5 PB');
    expect(humanBytes(3e18)).toBe('3000 PB');
  });
});
