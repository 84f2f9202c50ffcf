import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/vospace/http.js';

/** Which of two things happens first: the limiter letting us through, or a short pause. */
async function state(p: Promise<unknown>): Promise<'through' | 'held'> {
  return Promise.race([p.then(() => 'through' as const), delay(60).then(() => 'held' as const)]);
}

describe('RateLimiter', () => {
  it('lets a second’s worth through, then holds until the clock refills the bucket', async () => {
    let now = 1_000_000;
    const limiter = new RateLimiter(100, () => now);
    expect(await state(limiter.take(100))).toBe('through');
    const next = limiter.take(10);
    // With the clock frozen nothing can refill: the request must wait.
    expect(await state(next)).toBe('held');
    now += 100; // 100 ms at 100/s refills 10 units
    expect(await state(next)).toBe('through');
  });

  it('serves waiters in order and never starves a chunk larger than the rate', async () => {
    let now = 0;
    const limiter = new RateLimiter(10, () => now);
    const order: string[] = [];
    const big = limiter.take(50).then(() => order.push('big'));
    const small = limiter.take(1).then(() => order.push('small'));
    expect(await state(big)).toBe('through');
    // The big chunk ran 40 units into debt: the next one waits until the clock has paid it back.
    now += 2000;
    expect(await state(small)).toBe('held');
    now += 3000;
    await small;
    expect(order).toEqual(['big', 'small']);
  });
});
