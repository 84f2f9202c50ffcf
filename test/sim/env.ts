/**
 * The simulation's world: one embedded server shared by many seeds (each seed gets its own remote folder and
 * local temp folder), a fault-free "user" client for the test's own remote changes, and factory functions for
 * the agent's clients (zero retry delays, short timeouts, so faults cost retries and not seconds).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseFaultSpec } from '../../src/server/faults.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { Client, type ClientOptions } from '../../src/vospace/client.js';

export const SIM_USER = 'alice';
export const SIM_TOKEN = 'alicetoken1';

/** Fault kinds the simulation injects; stalls are kept short so a seed stays fast. */
export const SIM_FAULT_KINDS = 'error+unavailable+reset+truncate+stall';

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

export class SimEnv {
  /** The test's own hands on the remote side (its changes run with faults switched off). */
  readonly user: Client;

  private constructor(
    readonly srv: RunningServer,
    readonly tmp: string,
    readonly clock: ServerClock,
  ) {
    this.user = this.client({ retry: { retries: 8, baseDelayMs: 0, maxDelayMs: 0, maxRetryAfterMs: 5000 } });
  }

  /**
   * `inMemory`: the server's and agents' files on a RAM disk where there is one (/dev/shm): the server commits
   * every write with an fsync, and on a busy shared disk waiting for those is most of a seed's time.
   */
  static async start(opts: { tmpPrefix?: string; inMemory?: boolean } = {}): Promise<SimEnv> {
    const base = opts.inMemory && fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
    const tmp = fs.mkdtempSync(path.join(base, opts.tmpPrefix ?? 'vosync-sim-'));
    const clock = new ServerClock();
    const srv = await startServer({
      dataDir: path.join(tmp, 'server'),
      users: [{ name: SIM_USER, token: SIM_TOKEN }],
      admin: SIM_USER,
      now: () => clock.now(),
    });
    return new SimEnv(srv, tmp, clock);
  }

  get registryUrl(): string {
    return `${this.srv.baseUrl}/reg/resource-caps`;
  }

  /** A client of the embedded server as the sim user; options override the fast test defaults. */
  client(opts: Partial<ClientOptions> = {}): Client {
    return new Client({
      registryUrl: this.registryUrl,
      cacheDir: path.join(this.tmp, 'cache'),
      credentials: { kind: 'token', token: SIM_TOKEN },
      timeoutMs: 3000,
      retry: { retries: 4, baseDelayMs: 0, maxDelayMs: 0, maxRetryAfterMs: 5000 },
      ...opts,
    });
  }

  /** Turns the server's fault injection on with a seed (the injector's sequence restarts). */
  faultsOn(rate: number, seed: number, stallMs = 20): void {
    this.srv.faults.configure(
      parseFaultSpec(
        `rate=${rate},kinds=${SIM_FAULT_KINDS},endpoints=nodes+transfers+data,seed=${seed},retryAfter=0,stallMs=${stallMs}`,
      ),
    );
  }

  faultsOff(): void {
    this.srv.faults.disable();
  }

  async close(): Promise<void> {
    this.faultsOff();
    await this.user.close();
    await this.srv.close();
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }
}
