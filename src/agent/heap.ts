/**
 * Gives memory back after a big cycle. A full sync of 100,000 files builds several hundred MB of short-lived
 * trees; V8 frees them but keeps the pages until its idle-time memory reducer gets round to it, which shows as
 * hundreds of MB of RSS for minutes and as CPU spent while the daemon is supposed to be idle. A few full
 * collections right after the cycle return the pages at once, and a young-generation one 20 s later shrinks what
 * V8 keeps for new objects; within a big cycle, one between its phases keeps their peaks from stacking.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

/** V8's `gc`: a full collection, or with `{ type: 'minor' }` the young generation only. */
type Collect = (options?: { type: 'minor' | 'major' }) => void;

let collect: Collect | null | undefined;

function collector(): Collect | null {
  if (collect !== undefined) return collect;
  try {
    // `gc` exists only with --expose-gc; the flag can be turned on at run time and read from a new context.
    v8.setFlagsFromString('--expose-gc');
    const gc: unknown = vm.runInNewContext('gc');
    collect = typeof gc === 'function' ? (gc as Collect) : null;
  } catch {
    collect = null;
  }
  return collect;
}

/** Entries a cycle must have handled before compacting is worth its few milliseconds. */
export const COMPACT_AFTER_ENTRIES = 20_000;

/** Runs full collections until the heap stops shrinking (at most three); false when no collector exists. */
export function compactHeap(): boolean {
  const gc = collector();
  if (!gc) return false;
  // Pages are released on the second or third pass, once nothing new has been found to free.
  for (let i = 0; i < 3; i++) gc();
  return true;
}

let secondPass: NodeJS.Timeout | undefined;

/** After a big cycle, allocation has gone quiet by then and V8 shrinks its young generation (~30 MB). */
export const SECOND_PASS_DELAY_MS = 20_000;

/**
 * After a cycle of `entries` tree records: when it was big, gives back what the caller caches for it
 * (`releaseCaches`, e.g. SQLite's pages), compacts now, and once more a little later (V8 shrinks its young
 * generation only once allocation has gone quiet, which it has not right after a cycle). A later call moves the
 * second pass on. False when the cycle was small or there is no collector.
 */
export function compactAfterCycle(
  entries: number,
  opts: { releaseCaches?: () => void; delayMs?: number } = {},
): boolean {
  if (entries < COMPACT_AFTER_ENTRIES) return false;
  opts.releaseCaches?.();
  if (!compactHeap()) return false;
  if (secondPass) clearTimeout(secondPass);
  // A young-generation collection (a few ms) is enough: the generation shrinks with it.
  secondPass = setTimeout(() => {
    secondPass = undefined;
    collector()?.({ type: 'minor' });
  }, opts.delayMs ?? SECOND_PASS_DELAY_MS);
  secondPass.unref();
  return true;
}

/** A second pass is waiting to run (for tests). */
export function secondPassPending(): boolean {
  return secondPass !== undefined;
}

/**
 * One full collection between the phases of a big cycle (listing, planning, transfers): the garbage of the phase
 * before goes before the next phase makes its own, so their peaks do not stack (a 100,000-file first sync peaked
 * ~70 MB higher without it). False when the cycle is small or there is no collector.
 */
export function collectBetweenPhases(entries: number): boolean {
  if (entries < COMPACT_AFTER_ENTRIES) return false;
  const gc = collector();
  if (!gc) return false;
  gc();
  return true;
}
