/**
 * Simulated crashes and mid-sync interference. Every durable step of a sync cycle is a numbered "point": each
 * request the agent sends to the remote (before it, and after the ones that change something; see gate.ts), each
 * index commit (before it), and each action boundary. A Fate can kill the process at point k — from then on every
 * request and index write throws, and the abort signal stops the executor — exactly as if the process had died
 * there; the next cycle then starts from a fresh remote and a re-opened index. A Fate can also run a user's change
 * (an edit during a transfer) at a point, before the agent's call goes out.
 */
import type { ActionEvent } from '../../src/agent/engine/executor.js';
import type { SyncIndex } from '../../src/agent/store/index-db.js';

/** Thrown at and after the simulated moment of death. */
export class SimCrash extends Error {
  constructor(
    readonly point: number,
    readonly label: string,
  ) {
    super(`simulated crash at point ${point} (${label})`);
    this.name = 'SimCrash';
  }
}

export class Fate {
  /** Points reached so far in this process life. */
  count = 0;
  crashedAt?: { point: number; label: string };
  readonly controller = new AbortController();
  /** Labels of all points reached, for counting and for a failing seed's story. */
  readonly labels: string[] = [];

  /**
   * `interfere` maps a point — its number, or the label of its first occurrence (e.g. 'upload') — to a user
   * change that runs when that point is reached, before the agent's call goes out.
   */
  /** `crashAt`: the number of the point to die at, or the label of the first point to die at. */
  constructor(
    private readonly crashAt: number | string | undefined,
    private readonly interfere: Map<number | string, () => Promise<void>> = new Map(),
  ) {}

  get dead(): boolean {
    return this.crashedAt !== undefined;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  private die(point: number, label: string): void {
    this.crashedAt = { point, label };
    this.controller.abort();
  }

  private strikes(k: number, label: string): boolean {
    return typeof this.crashAt === 'number' ? k === this.crashAt : label === this.crashAt;
  }

  private reach(label: string): number {
    if (this.crashedAt) throw new SimCrash(this.crashedAt.point, this.crashedAt.label);
    const k = this.count++;
    this.labels.push(label);
    return k;
  }

  /** A synchronous point (index commits). */
  point(label: string): void {
    const k = this.reach(label);
    if (this.strikes(k, label)) {
      this.die(k, label);
      throw new SimCrash(k, label);
    }
  }

  /**
   * A user change aimed at the node the agent is about to touch: runs at the `nth` point that names a node (its
   * node path is passed), e.g. an edit of the very file whose upload is starting.
   */
  aimed?: { nth: number; change: (label: string, nodePath: string) => Promise<void> };
  private aimedCount = 0;

  /** An asynchronous point (requests): a scheduled user change runs first. */
  async pointAsync(label: string, nodePath?: string, outer = true): Promise<void> {
    const k = this.reach(label);
    const change = outer ? (this.interfere.get(k) ?? this.interfere.get(label)) : undefined;
    if (change) this.interfere.delete(label);
    if (change) await change();
    if (nodePath !== undefined && this.aimed && this.aimedCount++ === this.aimed.nth) {
      await this.aimed.change(label, nodePath);
    }
    if (this.strikes(k, label)) {
      this.die(k, label);
      throw new SimCrash(k, label);
    }
  }

  /** An action boundary: dying here stops the executor cleanly before the next action. */
  boundary(e: ActionEvent): void {
    if (this.crashedAt) return;
    const k = this.count++;
    this.labels.push(`after ${e.action.type}`);
    if (this.strikes(k, `after ${e.action.type}`)) this.die(k, `after ${e.action.type}`);
  }
}

/** Index methods that write the pair's state: after death they throw, before commits there is a point. */
const INDEX_WRITES = [
  'ensurePair',
  'updatePair',
  'replaceLocalTree',
  'replaceRemoteTree',
  'setMeta',
] as const;

/** Puts a Fate's points into a real index (one process life; re-open the file for the next). */
export function instrumentIndex(index: SyncIndex, fate: Fate): SyncIndex {
  const target = index as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of ['commitOutcome', 'commitOutcomes'] as const) {
    const real = target[name]!.bind(index);
    target[name] = (...args: unknown[]) => {
      fate.point('commit');
      return real(...args);
    };
  }
  for (const name of INDEX_WRITES) {
    const real = target[name]!.bind(index);
    target[name] = (...args: unknown[]) => {
      if (fate.crashedAt) throw new SimCrash(fate.crashedAt.point, fate.crashedAt.label);
      return real(...args);
    };
  }
  return index;
}
