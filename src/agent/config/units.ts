/** Small value syntaxes the config accepts besides plain numbers: byte sizes, shares, cron expressions. */
import cron from 'node-cron';
import type { Parsed } from '../../util/byte-rate.js';

export { BYTE_RATE_EXPECTED, parseByteRate, type Parsed } from '../../util/byte-rate.js';

export const SHARE_EXPECTED = 'a fraction from 0 to 1 (e.g. 0.5) or a percentage such as "50%"';

/** `0.5` or `"50%"` → 0.5. */
export function parseShare(value: unknown): Parsed<number> {
  let n: number | undefined;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(value);
    if (m) n = Number(m[1]) / 100;
  }
  return n !== undefined && Number.isFinite(n) && n >= 0 && n <= 1
    ? { ok: true, value: n }
    : { ok: false, expected: SHARE_EXPECTED };
}

export const CRON_EXPECTED =
  'a cron expression in quotes: minute hour day-of-month month day-of-week, e.g. "*/5 * * * *"';

/** Why a cron expression is unusable, or undefined when node-cron accepts it. */
export function cronProblem(expr: string): string | undefined {
  const result = cron.validateDetailed(expr);
  if (result.valid) return undefined;
  const first = result.errors[0];
  if (!first) return 'not a valid cron expression';
  return first.field === 'expression' ? first.message : `${first.field}: ${first.message}`;
}
