/**
 * A seeded scheduler for several agents syncing at once: every request an agent sends to the remote (gate.ts), and
 * the start of each of its cycles, waits for a turn, and the scheduler hands out turns one at a time in a random
 * (seeded) order. A turn is given only when every agent with a cycle running waits for one, and the next only
 * once the request of the last has been answered: between turns exactly one agent runs. So the order in which
 * the remote sees the agents' requests — where races such as two uploads of one path between each other's check
 * and transfer happen — is drawn from the seed, and replays.
 */
import { setImmediate as nextTick } from 'node:timers';
import type { Rng } from './rng.js';

/** Runs, exclusively, just before a turn is given: the simulation's chance to change things mid-cycle. */
export type TurnHook = (agent: string, what: string) => Promise<void>;

export class Scheduler {
  /** Agents with a cycle running. */
  private readonly active = new Set<string>();
  private readonly waiting = new Map<string, { what: string; go: () => void }[]>();
  /** A turn's request is on the wire, or the hook runs: no other turn until it ends. */
  private busy = false;
  private stepQueued = false;
  /** Turns given so far. */
  turns = 0;
  /** Turns given to a different agent than the one before: how much the agents interleave. */
  switches = 0;
  private last: string | undefined;
  /** A failure of the hook or of the scheduler's own rules, for the run to report. */
  error: unknown;

  constructor(
    private readonly rng: Rng,
    private readonly hook: TurnHook,
  ) {}

  /** Runs one agent's cycle under the scheduler; it starts at a turn of its own. */
  async run<T>(agent: string, cycle: () => Promise<T>): Promise<T> {
    if (this.active.has(agent)) throw new Error(`scheduler: ${agent} already runs a cycle`);
    this.active.add(agent);
    try {
      (await this.turn(agent, 'start'))();
      return await cycle();
    } finally {
      this.active.delete(agent);
      this.poke();
    }
  }

  /** Waits for the agent's turn; call the returned function when what the turn was for (a request) is over. */
  turn(agent: string, what: string): Promise<() => void> {
    // The agent's own requests go out one at a time (the executor runs one action at a time, and the remote scan
    // of a simulated agent lists one folder at a time): a second waiting request would mean a part still running.
    const queue = this.waiting.get(agent) ?? [];
    if (queue.length > 0)
      this.error ??= new Error(`scheduler: ${agent} waits twice (${queue[0]!.what}, ${what})`);
    return new Promise((resolve) => {
      queue.push({
        what,
        go: () =>
          resolve(() => {
            this.busy = false;
            this.poke();
          }),
      });
      this.waiting.set(agent, queue);
      this.poke();
    });
  }

  /** Checks for the next turn once the current step of the event loop is over. */
  private poke(): void {
    if (this.stepQueued) return;
    this.stepQueued = true;
    // A macrotask later: whatever the last answer set off has run up to its next request first.
    nextTick(() => {
      this.stepQueued = false;
      void this.step();
    });
  }

  private async step(): Promise<void> {
    if (this.busy || this.active.size === 0) return;
    for (const a of this.active) if (!this.waiting.has(a)) return; // that one is still running
    const agent = this.rng.pick([...this.waiting.keys()].sort());
    const queue = this.waiting.get(agent)!;
    const w = queue.shift()!;
    if (queue.length === 0) this.waiting.delete(agent);
    this.busy = true;
    this.turns++;
    if (this.last !== undefined && this.last !== agent) this.switches++;
    this.last = agent;
    try {
      await this.hook(agent, w.what);
    } catch (e) {
      this.error ??= e;
    }
    w.go();
  }
}
