/**
 * The simulation's world: one in-memory VOSpace (test/support/memory-remote.ts, held equal to the server by the
 * Remote contract suite) shared by many seeds — each seed has its own remote folder and local temp folder — on a
 * clock that only the simulation moves once it is simulated.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemoryStore } from '../support/memory-remote.js';

/**
 * The server's clock: real time until `simulate()`, then a simulated one that only the test moves (the
 * multi-agent simulation, where the gaps between node dates decide what counts as a concurrent write).
 */
export class ServerClock {
  private sim: number | undefined;

  now(): number {
    return this.sim ?? Date.now();
  }

  /**
   * From now on time stands still except through `advance`. It restarts at a whole hour after any time already
   * handed out, so the server never goes back in time and a seed's gaps between dates never depend on when it ran.
   */
  simulate(): void {
    const hour = 3_600_000;
    this.sim = Math.ceil((Math.max(this.sim ?? 0, Date.now()) + 1) / hour) * hour;
  }

  advance(ms: number): void {
    if (this.sim === undefined) throw new Error('ServerClock.advance: the clock is not simulated');
    this.sim += ms;
  }
}

export class SimWorld {
  readonly clock = new ServerClock();
  readonly store = new MemoryStore(() => this.clock.now());

  private constructor(readonly tmp: string) {}

  /** `inMemory`: the agents' local folders and indexes on a RAM disk where there is one (/dev/shm). */
  static start(opts: { tmpPrefix?: string; inMemory?: boolean } = {}): SimWorld {
    const base = opts.inMemory && fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
    return new SimWorld(fs.mkdtempSync(path.join(base, opts.tmpPrefix ?? 'vosync-sim-')));
  }

  close(): void {
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }
}
