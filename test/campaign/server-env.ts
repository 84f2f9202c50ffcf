/**
 * The crash campaign's world (test/campaign): one embedded server for real daemon processes, a fault-free "user"
 * client for the test's own remote changes, and fast clients (zero retry delays, short timeouts). The seeded
 * simulation runs on the in-memory remote instead (test/sim/world.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { Client, type ClientOptions } from '../../src/vospace/client.js';

export const SIM_USER = 'alice';
export const SIM_TOKEN = 'alicetoken1';

export class SimEnv {
  /** The test's own hands on the remote side. */
  readonly user: Client;

  private constructor(
    readonly srv: RunningServer,
    readonly tmp: string,
  ) {
    this.user = this.client({ retry: { retries: 8, baseDelayMs: 0, maxDelayMs: 0, maxRetryAfterMs: 5000 } });
  }

  static async start(opts: { tmpPrefix?: string } = {}): Promise<SimEnv> {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), opts.tmpPrefix ?? 'vosync-crash-'));
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

  async close(): Promise<void> {
    await this.user.close();
    await this.srv.close();
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }
}
