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

export class SimEnv {
  /** The test's own hands on the remote side (its changes run with faults switched off). */
  readonly user: Client;

  private constructor(
    readonly srv: RunningServer,
    readonly tmp: string,
  ) {
    this.user = this.client({ retry: { retries: 8, baseDelayMs: 0, maxDelayMs: 0, maxRetryAfterMs: 5000 } });
  }

  static async start(opts: { tmpPrefix?: string } = {}): Promise<SimEnv> {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), opts.tmpPrefix ?? 'vosync-sim-'));
    const srv = await startServer({
      dataDir: path.join(tmp, 'server'),
      users: [{ name: SIM_USER, token: SIM_TOKEN }],
      admin: SIM_USER,
    });
    return new SimEnv(srv, tmp);
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
