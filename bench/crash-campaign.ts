/**
 * The full crash campaign: a real daemon process SIGKILLed at random moments during two-way syncs of about
 * 1,000 files with edits on both sides, 50 times in a row, restarted each time; then converged and checked
 * (zero lost bytes, zero spurious conflicts, one more sync does nothing). See test/campaign/crash.ts.
 *
 *   npm run crash-campaign [-- --files 1000 --kills 50 --seed 1 --max-run-ms 4000]
 *
 * Exit status 1 when any check failed. Needs `npm run build` first (the daemon runs from dist/).
 */
import { parseArgs } from 'node:util';
import { crashSummary, runCrashCampaign } from '../test/campaign/crash.js';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    files: { type: 'string', default: '1000' },
    kills: { type: 'string', default: '50' },
    seed: { type: 'string', default: '1' },
    'max-run-ms': { type: 'string', default: '4000' },
  },
  strict: true,
});

const whole = (name: string, v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number ≥ 1, got '${v}'`);
  return n;
};

const report = await runCrashCampaign({
  files: whole('files', values.files),
  kills: whole('kills', values.kills),
  seed: whole('seed', values.seed),
  maxRunMs: whole('max-run-ms', values['max-run-ms']),
  log: (line) => process.stderr.write(line + '\n'),
});
process.stdout.write(crashSummary(report) + '\n');
if (report.violations.length > 0) process.exitCode = 1;
