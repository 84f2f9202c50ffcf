import { describe, expect, it } from 'vitest';
import { runCampaign } from './campaign.js';

describe('fault campaign (quick)', () => {
  it('200 files through 20% injected faults all converge and read back with the right MD5', async () => {
    const lines: string[] = [];
    const r = await runCampaign({
      files: 200,
      rate: 0.2,
      seed: 7,
      retryAfter: 0,
      stallMs: 50,
      concurrency: 8,
      retry: { retries: 6, baseDelayMs: 0, maxDelayMs: 0, maxRetryAfterMs: 5000 },
      log: (l) => lines.push(l),
    });
    const injected = Object.values(r.faulty.injected).reduce((a, b) => a + b, 0);
    console.log(lines.join('\n'));
    expect(r.problems).toEqual([]);
    expect(r.faulty.verified).toBe(200);
    expect(r.clean.verified).toBe(200);
    // The faults really happened, of every kind.
    expect(injected).toBeGreaterThan(50);
    for (const kind of ['error', 'unavailable', 'reset', 'truncate', 'stall'] as const) {
      expect(r.faulty.injected[kind]).toBeGreaterThan(0);
    }
  });
});
