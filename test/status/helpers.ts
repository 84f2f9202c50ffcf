/** A real embedded server, a real daemon with short timings, and its status API — for the status tests. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { startStatusApi, type StatusApi } from '../../src/agent/api/index.js';
import { loadConfig, type VosyncConfig } from '../../src/agent/config/index.js';
import { configYaml } from '../../src/agent/config/write.js';
import { Daemon } from '../../src/agent/daemon.js';
import type { CliIo } from '../../src/cli/common.js';
import { runCli } from '../../src/cli/program.js';
import { createLogger } from '../../src/agent/log.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { Client } from '../../src/vospace/client.js';
import { vospaceService } from '../../src/agent/remote/vospace/connect.js';

export interface Env {
  tmp: string;
  srv: RunningServer;
  serverDir: string;
  /** alice's client, for changing things on the server side. */
  client: Client;
  close(): Promise<void>;
}

/** `requests`, when given, receives the server's request log (method, redacted URL, status, time). */
export async function startEnv(name: string, requests?: string[]): Promise<Env> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `vosync-status-${name}-`));
  const serverDir = path.join(tmp, 'server');
  const srv = await startServer({
    dataDir: serverDir,
    users: [{ name: 'alice', token: 'alicetoken1' }],
    admin: 'alice',
    ...(requests ? { log: (line: string) => requests.push(line) } : {}),
  });
  const client = makeClient(srv, tmp, 'admin-cache');
  return {
    tmp,
    srv,
    serverDir,
    client,
    async close() {
      await client.close();
      await srv.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}

export function makeClient(
  srv: RunningServer,
  tmp: string,
  cache: string,
  opts: { bytesPerSecond?: number } = {},
): Client {
  return new Client({
    ...opts,
    registryUrl: `${srv.baseUrl}/reg/resource-caps`,
    cacheDir: path.join(tmp, cache),
    credentials: { kind: 'token', token: 'alicetoken1' },
    // Fail fast when the server is gone: the daemon's own back-off takes over.
    retry: { retries: 1, baseDelayMs: 20, maxDelayMs: 50 },
    timeoutMs: 5000,
  });
}

export interface PairSpec {
  name: string;
  mode?: string;
  ignore?: string[];
}

/**
 * Writes a config file for a daemon whose pairs live under `dir`, and loads it; `extra` holds more top-level
 * sections (`notifications`, …) as the file spells them.
 */
export function writeConfig(
  env: Env,
  dir: string,
  pairs: PairSpec[],
  opts: { remotePoll?: string; concurrency?: number; extra?: Record<string, unknown> } = {},
): VosyncConfig {
  fs.mkdirSync(dir, { recursive: true });
  const doc = {
    registry: `${env.srv.baseUrl}/reg/resource-caps`,
    auth: { tokenFile: path.join(dir, 'vos-token') },
    schedule: { remotePoll: opts.remotePoll ?? '*/1 * * * * *', fullRescan: '0 0 * * *' },
    ...(opts.concurrency ? { transfers: { concurrency: opts.concurrency } } : {}),
    ...opts.extra,
    status: { port: 0, tokenFile: path.join(dir, 'status-token') },
    state: { dir: path.join(dir, 'state') },
    log: { file: path.join(dir, 'vosync.log') },
    pairs: pairs.map((p) => {
      const local = path.join(dir, p.name);
      fs.mkdirSync(local, { recursive: true });
      return {
        name: p.name,
        local,
        remote: `vos:alice/${path.basename(dir)}-${p.name}`,
        mode: p.mode ?? 'two-way',
        ...(p.ignore ? { ignore: p.ignore } : {}),
      };
    }),
  };
  fs.writeFileSync(path.join(dir, 'vos-token'), 'alicetoken1\n', { mode: 0o600 });
  const file = path.join(dir, 'config.yaml');
  fs.writeFileSync(file, configYaml(doc));
  return loadConfig(file);
}

export interface RunningDaemon {
  daemon: Daemon;
  api: StatusApi;
  config: VosyncConfig;
  token: string;
  client: Client;
  logFile: string;
  /** fetch against the API with the token (unless `token: null`). */
  call(
    method: string,
    pathAndQuery: string,
    opts?: { token?: string | null; headers?: Record<string, string>; body?: string },
  ): Promise<{ status: number; body: unknown; headers: Headers; text: string }>;
  stop(): Promise<void>;
}

export async function startDaemon(
  env: Env,
  config: VosyncConfig,
  opts: { now?: () => number; name?: string; bytesPerSecond?: number } = {},
): Promise<RunningDaemon> {
  const logFile = config.log.file;
  const log = createLogger({ console: false, file: logFile, level: 'debug' });
  const client = makeClient(
    env.srv,
    env.tmp,
    `cache-${opts.name ?? path.basename(path.dirname(config.source))}`,
    // A bandwidth cap makes transfers last long enough to be watched on their way.
    opts.bytesPerSecond ? { bytesPerSecond: opts.bytesPerSecond } : {},
  );
  const daemon = await Daemon.create({
    config,
    log,
    remotes: vospaceService(client),
    watch: { debounceMs: 50, stableMs: 100 },
    host: 'testhost',
    ...(opts.now ? { now: opts.now } : {}),
  });
  const api = await startStatusApi({ daemon, port: 0, tokenFile: config.status.tokenFile });
  await daemon.start();
  const token = fs.readFileSync(config.status.tokenFile, 'utf8').trim();
  return {
    daemon,
    api,
    config,
    token,
    client,
    logFile,
    async call(method, pathAndQuery, o = {}) {
      const headers: Record<string, string> = { ...o.headers };
      const t = o.token === undefined ? token : o.token;
      if (t !== null) headers['authorization'] = `Bearer ${t}`;
      const res = await fetch(`${api.url}${pathAndQuery}`, {
        method,
        headers,
        ...(o.body !== undefined ? { body: o.body } : {}),
      });
      const text = await res.text();
      let body: unknown = undefined;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      return { status: res.status, body, headers: res.headers, text };
    },
    async stop() {
      await daemon.stop(2000);
      await api.close();
      await client.close();
      await new Promise<void>((r) => {
        log.on('finish', () => r());
        log.end();
        setTimeout(r, 500).unref();
      });
    },
  };
}

/** Polls `probe` until it returns something truthy (the tests assert on what it returned, not on time). */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${String(last)})`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface PairDoc {
  name: string;
  state: string;
  upToDate: boolean;
  pending: Record<string, number>;
  lastError: { path: string | null; message: string; transient: boolean } | null;
  errors: number;
  lastSyncOkAt: number | null;
  transfers: number;
  conflicts: number;
  notSynced: number;
  health: { level: 'ok' | 'busy' | 'attention' | 'error'; reasons: string[] };
}

export function pairOf(body: unknown, name: string): PairDoc {
  const p = (body as { pairs: PairDoc[] }).pairs.find((x) => x.name === name);
  if (!p) throw new Error(`no pair ${name} in ${JSON.stringify(body)}`);
  return p;
}

/** Waits until the pair reports up to date, through the API. */
export async function waitUpToDate(d: RunningDaemon, pair: string): Promise<PairDoc> {
  return waitFor(`${pair} up to date`, async () => {
    const r = await d.call('GET', '/status');
    const p = pairOf(r.body, pair);
    return p.upToDate ? p : undefined;
  });
}

/** Waits until a pair has nothing left to do (idle, nothing pending), whatever it needs a look at. */
export async function waitSettled(d: RunningDaemon, pair: string): Promise<PairDoc> {
  return waitFor(`${pair} settled`, async () => {
    const r = await d.call('GET', '/status');
    const p = pairOf(r.body, pair);
    const nothingPending = Object.values(p.pending).every((n) => n === 0) && p.transfers === 0;
    return p.state === 'idle' && nothingPending ? p : undefined;
  });
}

/** Runs the real CLI in-process with a private HOME; what it printed is also appended to `printed`. */
export async function runVosync(
  env: Env,
  printed: string[],
  args: string[],
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<{ code: number; out: string; err: string }> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const sink = (into: Buffer[]) =>
    new Writable({
      write(chunk, _e, cb) {
        into.push(Buffer.from(chunk));
        cb();
      },
    });
  const io: CliIo = {
    stdout: sink(out),
    stderr: sink(err),
    stdin: Readable.from([]) as CliIo['stdin'],
    env: {
      HOME: path.join(env.tmp, 'home'),
      PATH: process.env['PATH'],
      VOSYNC_BIN: '/opt/vosync/bin/vosync',
      ...extraEnv,
    },
    cwd: env.tmp,
    now: Date.now,
    setExitCode: () => undefined,
  };
  const code = await runCli(args, io);
  const r = { code, out: Buffer.concat(out).toString(), err: Buffer.concat(err).toString() };
  printed.push(r.out, r.err);
  return r;
}
