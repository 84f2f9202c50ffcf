/**
 * The embedded server as most client tests want it: a temp folder, user alice (admin) with her token, every
 * request line recorded (and shown to a hook, e.g. to switch faults on or off at a precise moment), and clients
 * for alice. Real HTTP on an ephemeral port; nothing mocked.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { Client, type ClientOptions } from '../../src/vospace/client.js';

export const ALICE_TOKEN = 'alicetoken1';

export interface AliceServer {
  srv: RunningServer;
  tmp: string;
  registryUrl: string;
  /** Request lines as the server logs them: `METHOD /path STATUS TIMEms`. */
  requests: string[];
  /** Called with each request line after it is recorded. */
  onRequest: ((line: string) => void) | undefined;
  /** A client for alice; options override the defaults. */
  client(opts?: Partial<ClientOptions>): Client;
  close(): Promise<void>;
}

export async function startAliceServer(prefix: string): Promise<AliceServer> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `vosync-${prefix}-`));
  const clients: Client[] = [];
  const self: AliceServer = {
    srv: undefined as unknown as RunningServer,
    tmp,
    registryUrl: '',
    requests: [],
    onRequest: undefined,
    client(opts = {}) {
      const c = new Client({
        registryUrl: self.registryUrl,
        cacheDir: path.join(tmp, 'cache'),
        credentials: { kind: 'token', token: ALICE_TOKEN },
        ...opts,
      });
      clients.push(c);
      return c;
    },
    async close() {
      for (const c of clients) await c.close().catch(() => undefined);
      await self.srv.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
  self.srv = await startServer({
    dataDir: path.join(tmp, 'server'),
    users: [{ name: 'alice', token: ALICE_TOKEN }],
    admin: 'alice',
    log: (line) => {
      self.requests.push(line);
      self.onRequest?.(line);
    },
  });
  self.registryUrl = `${self.srv.baseUrl}/reg/resource-caps`;
  return self;
}
