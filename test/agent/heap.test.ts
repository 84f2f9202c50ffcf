/** compactHeap: full collections on demand, so a big cycle's garbage does not sit in RSS for minutes. */
import { expect, it } from 'vitest';
import { compactHeap } from '../../src/agent/heap.js';

it('collects garbage at once', () => {
  let garbage: { i: number; s: string }[][] | null = [];
  for (let r = 0; r < 20; r++) garbage.push(Array.from({ length: 20_000 }, (_, i) => ({ i, s: `x${i}` })));
  const before = process.memoryUsage().heapUsed;
  expect(garbage.length).toBe(20);
  garbage = null;
  expect(compactHeap()).toBe(true);
  const after = process.memoryUsage().heapUsed;
  // 400,000 small objects are well over 10 MB; after the collection they are gone.
  expect(before - after).toBeGreaterThan(10_000_000);
});
