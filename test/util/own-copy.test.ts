import { describe, expect, it } from 'vitest';
import { ownCopy } from '../../src/util/own-copy.js';

describe('ownCopy', () => {
  it('keeps the characters, whatever they are', () => {
    for (const s of ['', 'short', 'd41d8cd98f00b204e9800998ecf8427e', 'Überwachung – 観測 "quoted" \\ 🌌'])
      expect(ownCopy(s)).toBe(s);
    const page = 'x'.repeat(1000) + 'observation-0001.fits' + 'y'.repeat(1000);
    expect(ownCopy(page.slice(1000, 1021))).toBe('observation-0001.fits');
  });
});
