/**
 * The full fault campaign: 2,000 files synced up through the embedded server with 20 % of requests faulted
 * (500s, 503 + Retry-After, connection resets, truncated bodies, stalls), until the pair converges; then every
 * file is read back and MD5-verified, and the time is compared with the same run without faults.
 *
 *   node --import ./bench/ts-register.mjs bench/fault-campaign.ts [--files 2000] [--rate 0.2] [--seed 7]
 *     [--retry-after 1] [--stall-ms 300] [--concurrency 8]
 *
 * Exit status 1 when anything did not converge or did not verify.
 */
import { parseArgs } from 'node:util';
import { runCampaign } from '../test/campaign/campaign.js';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    files: { type: 'string', default: '2000' },
    rate: { type: 'string', default: '0.2' },
    seed: { type: 'string', default: '7' },
    'retry-after': { type: 'string', default: '1' },
    'stall-ms': { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '8' },
  },
  strict: true,
});

const num = (name: string, v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got '${v}'`);
  return n;
};

const r = await runCampaign({
  files: num('files', values.files),
  rate: num('rate', values.rate),
  seed: num('seed', values.seed),
  retryAfter: num('retry-after', values['retry-after']),
  stallMs: num('stall-ms', values['stall-ms']),
  concurrency: Math.max(1, num('concurrency', values.concurrency)),
  // The client's real retry behaviour (exponential backoff with jitter, Retry-After honoured), a bit quicker.
  retry: { retries: 6, baseDelayMs: 50, maxDelayMs: 2000, maxRetryAfterMs: 30_000 },
  log: (line) => console.log(line),
});

const injected = Object.entries(r.faulty.injected)
  .map(([k, v]) => `${k} ${v}`)
  .join(', ');
console.log('');
console.log(`files:            ${r.files} (${(r.bytes / 1048576).toFixed(1)} MiB)`);
console.log(
  `without faults:   ${(r.clean.ms / 1000).toFixed(2)} s, ${r.clean.cycles} cycles, ${r.clean.verified} verified`,
);
console.log(
  `with faults:      ${(r.faulty.ms / 1000).toFixed(2)} s, ${r.faulty.cycles} cycles, ${r.faulty.verified} verified, ` +
    `${r.faulty.failedActions} actions retried by a later cycle`,
);
console.log(`faults injected:  ${injected} (of ${r.faulty.requests} requests)`);
console.log(`time ratio:       ${r.ratio.toFixed(2)}× (with faults / without)`);
if (r.problems.length > 0) {
  console.log(`PROBLEMS (${r.problems.length}):`);
  for (const p of r.problems.slice(0, 50)) console.log(`  ${p}`);
  process.exitCode = 1;
} else console.log('all files converged and MD5-verified');
