/**
 * How much a pair still has to move, how fast it moves, and when it will be done: pure functions over what
 * the status store records (the transfers a plan holds, the bytes moved so far), so the numbers the CLI, the
 * page and the tray show are table-tested.
 */

export interface Progress {
  /** Transfers left each way: a plan's uploads and downloads not yet done (or, offline, the queued ones). */
  filesLeft: { up: number; down: number };
  /** Bytes of those transfers not yet moved (what is in flight counts with the part still to go). */
  bytesLeft: { up: number; down: number };
  /** Bytes moved per second, both ways together, over the last RATE_WINDOW_MS. */
  bytesPerSecond: number;
  /** Seconds until bytesLeft is moved at that rate; null when nothing is left or nothing is moving. */
  etaSeconds: number | null;
}

/** A reading of a pair's byte counter: everything moved so far, finished transfers and those in flight. */
export interface RateSample {
  at: number;
  bytes: number;
}

/** The rate is measured over this much recent time (longer when no reading falls inside it). */
export const RATE_WINDOW_MS = 10_000;

/**
 * Bytes per second between the newest reading and the oldest one that still covers the window: the newest
 * reading from the window's start or before anchors it, so sparse readings give the average since the last one rather
 * than nothing. A counter that falls (a transfer failed, its bytes in flight are gone) is not negative
 * movement: only rises count. Samples are in time order.
 */
export function transferRate(samples: readonly RateSample[], windowMs = RATE_WINDOW_MS): number {
  const last = samples[samples.length - 1];
  if (!last) return 0;
  const from = anchorIndex(samples, last.at - windowMs);
  let moved = 0;
  for (let i = from + 1; i < samples.length; i++)
    moved += Math.max(0, samples[i]!.bytes - samples[i - 1]!.bytes);
  const span = last.at - samples[from]!.at;
  return span > 0 ? Math.round((moved * 1000) / span) : 0;
}

/** The newest reading at or before `start` (where a window of readings begins), else the oldest. */
export function anchorIndex(samples: readonly RateSample[], start: number): number {
  let from = 0;
  for (let i = 0; i < samples.length && samples[i]!.at <= start; i++) from = i;
  return from;
}

/** Seconds to move `bytesLeft` at `bytesPerSecond`, rounded up; null when nothing is left or nothing moves. */
export function etaSeconds(bytesLeft: number, bytesPerSecond: number): number | null {
  if (bytesLeft <= 0 || bytesPerSecond <= 0) return null;
  return Math.ceil(bytesLeft / bytesPerSecond);
}

export interface ProgressFacts {
  /** Size of each transfer left, by direction. */
  left: { up: readonly number[]; down: readonly number[] };
  /** Bytes already moved of the transfers left that are in flight, by direction. */
  inFlight: { up: number; down: number };
  samples: readonly RateSample[];
}

export function progressOf(f: ProgressFacts): Progress {
  const sum = (xs: readonly number[]) => xs.reduce((a, x) => a + x, 0);
  const bytesLeft = {
    up: Math.max(0, sum(f.left.up) - f.inFlight.up),
    down: Math.max(0, sum(f.left.down) - f.inFlight.down),
  };
  const bytesPerSecond = transferRate(f.samples);
  return {
    filesLeft: { up: f.left.up.length, down: f.left.down.length },
    bytesLeft,
    bytesPerSecond,
    etaSeconds: etaSeconds(bytesLeft.up + bytesLeft.down, bytesPerSecond),
  };
}
