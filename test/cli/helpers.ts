/** Runs the real CLI in-process against a real embedded server, with a temp HOME and captured output. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { startServer, type RunningServer } from '../../src/server/server.js';
import type { CliIo } from '../../src/cli/common.js';
import { runAliasCli } from '../../src/cli/aliases.js';
import { runCli } from '../../src/cli/program.js';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  out: Buffer;
}

export interface Harness {
  srv: RunningServer;
  tmp: string;
  home: string;
  work: string;
  registry: string;
  env: NodeJS.ProcessEnv;
  /** `vosync ARGS` (or an alias) with alice's token unless `env` says otherwise. */
  run(args: string[], opts?: RunOptions): Promise<RunResult>;
  close(): Promise<void>;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  stdin?: string;
  alias?: string;
  now?: number;
  tty?: boolean;
}

function sink(tty: boolean): { stream: Writable & { isTTY?: boolean }; chunks: Buffer[] } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      cb();
    },
  }) as Writable & { isTTY?: boolean };
  if (tty) stream.isTTY = true;
  return { stream, chunks };
}

export async function startHarness(name: string): Promise<Harness> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `vosync-cli-${name}-`));
  const home = path.join(tmp, 'home');
  const work = path.join(tmp, 'work');
  fs.mkdirSync(home, { recursive: true });
  fs.mkdirSync(work, { recursive: true });
  const srv = await startServer({
    dataDir: path.join(tmp, 'server'),
    users: [
      { name: 'alice', token: 'alicetoken1', password: 'alice-pw' },
      { name: 'bob', token: 'bobtoken12', groups: ['survey'] },
    ],
    admin: 'alice',
  });
  const registry = `${srv.baseUrl}/reg/resource-caps`;
  const env: NodeJS.ProcessEnv = {
    HOME: home,
    PATH: process.env['PATH'],
    VOSYNC_REGISTRY: registry,
    VOSYNC_TOKEN: 'alicetoken1',
  };
  return {
    srv,
    tmp,
    home,
    work,
    registry,
    env,
    async run(args, opts = {}) {
      const out = sink(Boolean(opts.tty));
      const err = sink(Boolean(opts.tty));
      const stdin = Readable.from(
        opts.stdin === undefined ? [] : [Buffer.from(opts.stdin)],
      ) as CliIo['stdin'];
      const io: CliIo = {
        stdout: out.stream,
        stderr: err.stream,
        stdin,
        env: { ...env, ...opts.env },
        cwd: opts.cwd ?? work,
        now: () => opts.now ?? Date.now(),
        setExitCode: () => undefined,
      };
      for (const [k, v] of Object.entries(io.env)) if (v === undefined) delete io.env[k];
      const code = opts.alias ? await runAliasCli(opts.alias, args, io) : await runCli(args, io);
      const buf = Buffer.concat(out.chunks);
      return {
        code,
        stdout: buf.toString('utf8'),
        stderr: Buffer.concat(err.chunks).toString('utf8'),
        out: buf,
      };
    },
    async close() {
      await srv.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}

export function writeFiles(root: string, files: Record<string, string | Buffer>): void {
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(root, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
  }
}

/** The --json document of a run (docs/schemas/cli/envelope.json). */
export interface Envelope<T = Record<string, unknown>> {
  ok: boolean;
  command: string;
  exitCode: number;
  result?: T;
  error?: { code: string; message: string };
}

export function envelopeOf<T = Record<string, unknown>>(r: RunResult): Envelope<T> {
  const doc = JSON.parse(r.stdout) as Envelope<T>;
  if (doc.exitCode !== r.code) throw new Error(`the document says exit ${doc.exitCode}, the run ${r.code}`);
  return doc;
}

/** The `result` of a run's --json document. */
export function json<T = Record<string, unknown>>(r: RunResult): T {
  const doc = envelopeOf<T>(r);
  if (doc.result === undefined) throw new Error(`no result in ${r.stdout}`);
  return doc.result;
}
