/**
 * What stands between a simulated agent and the in-memory remote: each request may first wait for the agent's
 * turn (the multi-agent scheduler), reaches a Fate's point (a crash, or a user's change, before it; a crash after
 * the ones that change something), and may be cut by a seeded fault — before its effect (the request never
 * arrived) or after it (the answer was lost). Faults surface to the engine as the transient errors they are; no
 * retry hides them.
 */
import type { RequestGate } from '../support/memory-remote.js';
import { VosError } from '../../src/util/errors.js';
import type { Fate } from './crash.js';
import { Rng } from './rng.js';

/** Requests that change the remote: a crash may strike after their effect too. */
const WRITES = new Set(['negotiate', 'put', 'putNode', 'move', 'delete']);

/** Seeded request faults at a rate. */
export class Faults {
  private readonly rng: Rng;

  constructor(
    readonly rate: number,
    seed: number,
  ) {
    this.rng = new Rng(seed);
  }

  /** Whether the next request fails, and where: before its effect, or after it. */
  draw(): 'before' | 'after' | undefined {
    if (!this.rng.chance(this.rate)) return undefined;
    return this.rng.chance(0.5) ? 'before' : 'after';
  }
}

export interface GateParts {
  fate: Fate;
  /** The faults in force now, if any. */
  faults?: () => Faults | undefined;
  /** Waits for the agent's turn to send `what`; returns the function that ends the turn. */
  turn?: (what: string) => Promise<() => void>;
  /** Told of each request as the agent asks to send it (before its turn). */
  asking?: (request: string, of: { op: string; step: number }) => void;
}

export function simGate(parts: GateParts): RequestGate {
  // One request of the agent at a time, in the order asked (the remote scan lists folders in parallel): the order
  // of points, turns and faults must not depend on timing.
  let previous: Promise<unknown> = Promise.resolve();
  return async (request, rel, effect, of) => {
    const before = previous;
    let release!: () => void;
    previous = new Promise<void>((r) => (release = r));
    await before;
    parts.asking?.(request, of);
    const done = parts.turn ? await parts.turn(`${request} ${rel || '/'}`) : undefined;
    try {
      // The first request of a call is the agent's own call (labelled by it); users act only there.
      const outer = of.step === 0;
      await parts.fate.pointAsync(outer ? of.op : request, outer ? rel : undefined, outer);
      const fault = parts.faults?.()?.draw();
      if (fault === 'before') throw new VosError('transient', `${request} ${rel || '/'}: connection reset`);
      const result = effect();
      if (WRITES.has(request)) await parts.fate.pointAsync(`${request} done`);
      if (fault === 'after')
        throw new VosError('transient', `${request} ${rel || '/'}: the connection broke before the answer`);
      return result;
    } finally {
      done?.();
      release();
    }
  };
}
