/** Runs the real CLI in-process against a real embedded server, with a temp HOME and captured output. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
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

/** A self-signed certificate and key made by openssl, valid for `days`. */
export function selfSigned(dir: string, name: string, days: number): { cert: string; key: string } {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      String(days),
      '-subj',
      `/CN=${name}`,
    ],
    { stdio: 'ignore' },
  );
  return { cert: fs.readFileSync(cert, 'utf8'), key: fs.readFileSync(key, 'utf8') };
}

export interface CdpDouble {
  /** A registry listing the embedded server's services plus this credential service. */
  registry: string;
  requests: { daysValid: string | null; auth: string }[];
  close(): Promise<void>;
}

/**
 * A stand-in for CADC's credential service (`ivo://cadc.nrc.ca/cred`, CDP proxy-1.0), which the embedded
 * server does not implement: its own resource-caps (the embedded server's Vault, ARC and login service plus
 * this service) and a proxy-certificate endpoint accepting alice's password or token.
 */
export async function startCdpDouble(
  serverBase: string,
  pem: string,
  password = 'alice-pw',
): Promise<CdpDouble> {
  const requests: CdpDouble['requests'] = [];
  let base = '';
  const srv = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/reg/resource-caps') {
      res.end(
        `ivo://cadc.nrc.ca/vault = ${serverBase}/vault/capabilities\n` +
          `ivo://cadc.nrc.ca/arc = ${serverBase}/arc/capabilities\n` +
          `ivo://cadc.nrc.ca/gms = ${serverBase}/ac/capabilities\n` +
          `ivo://cadc.nrc.ca/cred = ${base}/cred/capabilities\n`,
      );
      return;
    }
    if (url.pathname === '/cred/capabilities') {
      res.setHeader('content-type', 'text/xml');
      res.end(
        '<vosi:capabilities xmlns:vosi="http://www.ivoa.net/xml/VOSICapabilities/v1.0">' +
          '<capability standardID="ivo://ivoa.net/std/CDP#proxy-1.0">' +
          `<interface><accessURL use="full">${base}/cred/priv</accessURL>` +
          '<securityMethod standardID="http://www.w3.org/Protocols/HTTP/1.0/spec.html#BasicAA"/>' +
          '<securityMethod standardID="ivo://ivoa.net/sso#token"/></interface>' +
          '</capability></vosi:capabilities>',
      );
      return;
    }
    if (url.pathname === '/cred/priv') {
      const auth = req.headers.authorization ?? '';
      requests.push({ daysValid: url.searchParams.get('daysValid'), auth: auth.split(' ')[0] ?? '' });
      const basicOk = auth === `Basic ${Buffer.from(`alice:${password}`).toString('base64')}`;
      if (!basicOk && auth !== 'Bearer alicetoken1') {
        res.statusCode = 401;
        res.end('NotAuthenticated');
        return;
      }
      res.setHeader('content-type', 'text/plain');
      res.end(pem);
      return;
    }
    res.statusCode = 404;
    res.end('not found');
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  return {
    registry: `${base}/reg/resource-caps`,
    requests,
    close: () => new Promise<void>((r) => srv.close(() => r())),
  };
}
