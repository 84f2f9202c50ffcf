/** The hold rule for uploads refused for space: what lets a held upload go, and what keeps it held. */
import { describe, expect, it } from 'vitest';
import { QuotaHolds, quotaReason } from '../../src/agent/engine/quota-holds.js';

const alloc = { container: 'vos:alice', quota: 1000, used: 990 };
const stamp = { size: 50, mtimeMs: 1000 };

function holding(): QuotaHolds {
  const h = new QuotaHolds();
  h.hold('a.fits', stamp, alloc);
  h.hold('b.fits', { size: 70, mtimeMs: 5 }, alloc);
  h.hold('c.fits', stamp, { container: 'arc:projects/x', quota: 10, used: undefined });
  return h;
}

describe('quota holds', () => {
  it('hold while the file is as it was, and say why', () => {
    const h = holding();
    expect(h.reasonFor('a.fits', { ...stamp })).toBe('quota exceeded on vos:alice (990 B of 1.0 kB used)');
    expect(h.reasonFor('c.fits', stamp)).toBe('quota exceeded on arc:projects/x (quota 10 B)');
    expect(h.reasonFor('other.fits', stamp)).toBeUndefined();
  });

  it('let a file go once it changed (size or time), for good', () => {
    const h = holding();
    expect(h.reasonFor('a.fits', { size: 50, mtimeMs: 2000 })).toBeUndefined();
    expect(h.reasonFor('a.fits', stamp)).toBeUndefined();
    expect(h.reasonFor('b.fits', { size: 71, mtimeMs: 5 })).toBeUndefined();
    expect(h.size).toBe(1);
  });

  it('let go what an allocation held when its quota changed or its use went down', () => {
    const h = holding();
    expect(h.allocations().map((q) => q.container)).toEqual(['vos:alice', 'arc:projects/x']);
    expect(h.recheck('vos:alice', undefined)).toEqual([]);
    expect(h.recheck('vos:alice', { quota: 1000, used: 995 })).toEqual([]);
    expect(h.recheck('vos:alice', { quota: 1000, used: 900 })).toEqual(['a.fits', 'b.fits']);
    // Cavern without sizes: only a new quota (or none at all any more) tells.
    expect(h.recheck('arc:projects/x', { quota: 10, used: undefined })).toEqual([]);
    expect(h.recheck('arc:projects/x', { quota: undefined, used: undefined })).toEqual(['c.fits']);
    expect(h.size).toBe(0);
  });

  it('let everything go on a full rescan', () => {
    const h = holding();
    h.releaseAll();
    expect(h.reasonFor('a.fits', stamp)).toBeUndefined();
    expect(quotaReason(undefined)).toBe('quota exceeded');
  });
});
