/** Byte rates as the config and `--bwlimit` write them: `1048576`, `"10MB"`, `"512 KiB"`, `"10M"`. */

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
