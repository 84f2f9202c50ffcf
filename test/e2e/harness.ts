/** Real processes for end-to-end tests: `vosync serve` and `vosync daemon`, driven through their interfaces. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configYaml } from '../../src/agent/config/write.js';
import { Client } from '../../src/vospace/client.js';

export const CLI = path.resolve('dist/cli/main.js');

export interface Proc {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the first stdout line matching `re`. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export function run(args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    async waitFor(re, timeoutMs = 20_000) {
      const start = Date.now();
      for (;;) {
        const m = re.exec(out);
        if (m) return m;
        if (child.exitCode !== null)
          throw new Error(`process exited (${child.exitCode}) before ${re}: ${out}`);
        if (Date.now() - start > timeoutMs)
          throw new Error(`timed out waiting for ${re}; output so far:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async kill(signal = 'SIGTERM') {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
}

export interface ServerProc extends Proc {
  baseUrl: string;
}

export async function startServerProc(dataDir: string, extra: string[] = []): Promise<ServerProc> {
  const p = run([
    'serve',
    '--data',
    dataDir,
    '--port',
    '0',
    '--user',
    'alice:alicetoken1',
    '--admin',
    'alice',
    ...extra,
  ]);
  const m = await p.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
  return Object.assign(p, { baseUrl: m[1]! });
}

export function clientFor(baseUrl: string, cacheDir: string): Client {
  return new Client({
    registryUrl: `${baseUrl}/reg/resource-caps`,
    cacheDir,
    credentials: { kind: 'token', token: 'alicetoken1' },
    retry: { retries: 8, baseDelayMs: 50, maxDelayMs: 500 },
  });
}

export interface PairSpec {
  name: string;
  local: string;
  remote: string;
  mode?: string;
}

export function writeConfig(
  dir: string,
  baseUrl: string,
  pairs: PairSpec[],
  opts: { concurrency?: number; remotePoll?: string; certificate?: string } = {},
): string {
  const file = path.join(dir, 'config.yaml');
  const doc = {
    registry: `${baseUrl}/reg/resource-caps`,
    auth: opts.certificate ? { certificate: opts.certificate } : { token: 'alicetoken1' },
    transfers: { concurrency: opts.concurrency ?? 4, retries: 8, timeoutSeconds: 10 },
    schedule: { remotePoll: opts.remotePoll ?? '*/10 * * * * *' },
    status: { port: 0, tokenFile: path.join(dir, 'status-token') },
    state: { dir: path.join(dir, 'state') },
    log: { file: path.join(dir, 'vosync.log'), level: 'debug' },
    pairs: pairs.map((p) => ({ name: p.name, local: p.local, remote: p.remote, mode: p.mode ?? 'two-way' })),
  };
  fs.writeFileSync(file, configYaml(doc), { mode: 0o600 });
  return file;
}

export interface DaemonProc extends Proc {
  statusUrl: string;
  token: string;
}

export async function startDaemonProc(
  configFile: string,
  dir: string,
  env: NodeJS.ProcessEnv = {},
): Promise<DaemonProc> {
  const p = run(['daemon', '--config', configFile], env);
  const m = await p.waitFor(/status: (http:\/\/127\.0\.0\.1:\d+)\/status/);
  const token = fs.readFileSync(path.join(dir, 'status-token'), 'utf8').trim();
  return Object.assign(p, { statusUrl: m[1]!, token });
}

export interface PairStatusView {
  name: string;
  state: string;
  upToDate: boolean;
  pausedReason: string | null;
  lastError: { message: string } | null;
  pending: Record<string, number>;
  transfers: number;
  conflicts: number;
  notSynced: number;
  errors: number;
  health: { level: string; reasons: string[] };
}

export async function status(d: DaemonProc): Promise<{ state: string; pairs: PairStatusView[] }> {
  const res = await fetch(`${d.statusUrl}/status`, { headers: { authorization: `Bearer ${d.token}` } });
  return (await res.json()) as { state: string; pairs: PairStatusView[] };
}

export async function post(d: DaemonProc, what: string): Promise<void> {
  const res = await fetch(`${d.statusUrl}/${what}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${d.token}` },
  });
  await res.text();
}

/** Waits until `pred` holds for the named pair's status, then returns that status. */
export async function waitForPair(
  d: DaemonProc,
  name: string,
  pred: (p: PairStatusView) => boolean,
  timeoutMs = 30_000,
): Promise<PairStatusView> {
  const start = Date.now();
  let last: PairStatusView | undefined;
  for (;;) {
    try {
      last = (await status(d)).pairs.find((p) => p.name === name);
      if (last && pred(last)) return last;
    } catch {
      // the daemon may be busy starting
    }
    if (Date.now() - start > timeoutMs) {
      throw new Error(
        `pair ${name} never reached the expected state; last: ${JSON.stringify(last)}\n${d.output().slice(-3000)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Up to date and idle, twice in a row with a short gap (so a change in flight is not missed). */
export async function waitSynced(d: DaemonProc, name: string, timeoutMs = 30_000): Promise<void> {
  await waitForPair(d, name, (p) => p.upToDate && p.state === 'idle', timeoutMs);
  await new Promise((r) => setTimeout(r, 400));
  await waitForPair(d, name, (p) => p.upToDate && p.state === 'idle', timeoutMs);
}

/** Waits until a pair has nothing left to do (idle, nothing pending), whatever it may need a look at. */
export async function waitSettled(d: DaemonProc, name: string, timeoutMs = 30_000): Promise<void> {
  const settled = (p: PairStatusView) =>
    p.state === 'idle' && p.transfers === 0 && Object.values(p.pending).every((n) => n === 0);
  await waitForPair(d, name, settled, timeoutMs);
  await new Promise((r) => setTimeout(r, 400));
  await waitForPair(d, name, settled, timeoutMs);
}

/** Runs `vosync once` and returns its output and exit code (used to check that nothing is left to do). */
export async function once(configFile: string): Promise<{ code: number | null; out: string }> {
  const p = run(['once', '--config', configFile]);
  const code = await new Promise<number | null>((resolve) => p.child.once('exit', resolve));
  return { code, out: p.output() };
}

export function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.name === '.vosync') continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        out.push(r + '/');
        walk(path.join(dir, e.name), r);
      } else out.push(r);
    }
  };
  walk(root, '');
  return out.sort();
}

/** What an end-to-end test file shares: a temp folder, a `vosync serve` process, and alice's client of it. */
export interface E2eWorld {
  tmp: string;
  server: ServerProc;
  client: Client;
  close(): Promise<void>;
}

export async function startWorld(prefix: string): Promise<E2eWorld> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const server = await startServerProc(path.join(tmp, 'server'));
  const client = clientFor(server.baseUrl, path.join(tmp, 'cache'));
  return {
    tmp,
    server,
    client,
    async close() {
      await client.close();
      await server.kill();
      if (!process.env['KEEP_E2E']) fs.rmSync(tmp, { recursive: true, force: true });
      else console.log('kept', tmp);
    },
  };
}
