/** Small value syntaxes the config accepts besides plain numbers: byte sizes, shares, cron expressions. */
import cron from 'node-cron';

export type Parsed<T> = { ok: true; value: T } | { ok: false; expected: string };

const BYTE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
  // rclone's --bwlimit spelling: a bare K, M, G or T is binary.
  k: 2 ** 10,
  m: 2 ** 20,
  g: 2 ** 30,
  t: 2 ** 40,
};

export const BYTE_RATE_EXPECTED =
  'a whole number of bytes per second, or a size such as "10MB", "512KiB" or "10M" (= MiB; 0 = unlimited)';

/** `1048576`, `"10MB"`, `"512 KiB"`, `"1.5GB/s"` → bytes. Units are explicit: KB = 1000, KiB = 1024. */
export function parseByteRate(value: unknown): Parsed<number> {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value >= 0
      ? { ok: true, value }
      : { ok: false, expected: BYTE_RATE_EXPECTED };
  }
  if (typeof value !== 'string') return { ok: false, expected: BYTE_RATE_EXPECTED };
  const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*(?:\/\s*s)?\s*$/.exec(value);
  const unit = BYTE_UNITS[(m?.[2] || 'b').toLowerCase()];
  if (!m || unit === undefined) return { ok: false, expected: BYTE_RATE_EXPECTED };
  const bytes = Math.round(Number(m[1]) * unit);
  return Number.isSafeInteger(bytes)
    ? { ok: true, value: bytes }
    : { ok: false, expected: BYTE_RATE_EXPECTED };
}

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
