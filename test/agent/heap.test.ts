/**
 * compactHeap and collectBetweenPhases: full collections on demand, so a big cycle's garbage does not sit in RSS
 * for minutes, nor stack up across its phases.
 */
import { expect, it } from 'vitest';
import {
  COMPACT_AFTER_ENTRIES,
  collectBetweenPhases,
  compactHeap,
  compactAfterCycle,
  secondPassPending,
} from '../../src/agent/heap.js';

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

it('collects between the phases of big cycles only', () => {
  expect(collectBetweenPhases(COMPACT_AFTER_ENTRIES - 1)).toBe(false);
  let garbage: { i: number; s: string }[] | null = Array.from({ length: 400_000 }, (_, i) => ({
    i,
    s: `x${i}`,
  }));
  const before = process.memoryUsage().heapUsed;
  expect(garbage.length).toBe(400_000);
  garbage = null;
  expect(collectBetweenPhases(100_000)).toBe(true);
  expect(before - process.memoryUsage().heapUsed).toBeGreaterThan(10_000_000);
});

it('compacts after big cycles only, and again a little later, once', async () => {
  const released: number[] = [];
  const opts = (entries: number) => ({ delayMs: 30, releaseCaches: () => released.push(entries) });
  expect(compactAfterCycle(COMPACT_AFTER_ENTRIES - 1, opts(COMPACT_AFTER_ENTRIES - 1))).toBe(false);
  expect(secondPassPending()).toBe(false);
  expect(compactAfterCycle(COMPACT_AFTER_ENTRIES, opts(COMPACT_AFTER_ENTRIES))).toBe(true);
  expect(released).toEqual([COMPACT_AFTER_ENTRIES]);
  expect(secondPassPending()).toBe(true);
  await new Promise((r) => setTimeout(r, 100));
  expect(secondPassPending()).toBe(false);
});
