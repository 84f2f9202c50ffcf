/**
 * What every command-line tool shares: where output goes (injectable, so tests run the real commands
 * in-process), the global options (registry, credentials, verbosity, --json), exit codes, and turning any error
 * into a message that names the file plus a documented exit code. Light on purpose: every command's definition
 * imports it; the run's context (`ctx.ts`, with the VOSpace client) is loaded when a command runs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { VosError } from '../vospace/errors.js';
import type { Credentials } from '../vospace/http.js';
import { InvalidUriError } from '../vospace/uri.js';
import { xdgConfigHome } from '../util/platform-paths.js';
import type { Ctx } from './ctx.js';

export type { Ctx, Logger } from './ctx.js';

/** Output and environment of one CLI run; `processIo()` for the real thing, buffers in tests. */
export interface CliIo {
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean; columns?: number };
  stdin: Readable & { isTTY?: boolean; setRawMode?: (on: boolean) => unknown };
  env: NodeJS.ProcessEnv;
  cwd: string;
  now: () => number;
  setExitCode(code: number): void;
}

let pipeGuard = false;

/** A closed pipe on stdout (`vosync ls | head`) ends the run quietly, like other Unix tools. */
function guardStdoutPipe(): void {
  if (pipeGuard) return;
  pipeGuard = true;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

export function processIo(): CliIo {
  guardStdoutPipe();
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    now: Date.now,
    setExitCode(code: number) {
      process.exitCode = code;
    },
  };
}

/** The options every command accepts (vostools' common options are hidden aliases). */
export interface GlobalFlags {
  registry?: string;
  cert?: string;
  certfile?: string;
  token?: string;
  verbose?: boolean;
  debug?: boolean;
  vosDebug?: boolean;
  warning?: boolean;
  insecure?: boolean;
  json?: boolean;
  rawNames?: boolean;
  bwlimit?: string;
}

/** An error the CLI raises itself, with the exit code it should end with. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    /** The --json document's error.code, when the exit code does not say it (see errorKind). */
    readonly kind?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const EXIT = {
  ok: 0,
  failure: 1,
  notFound: 2,
  io: 5,
  transient: 11,
  permission: 13,
  conflict: 16,
  exists: 17,
  notDir: 20,
  isDir: 21,
  invalid: 22,
  notEmpty: 39,
  quota: 27,
  protocol: 71,
  unsupported: 95,
  interrupted: 130,
} as const;

/** Exit code for "the config file is wrong or missing". */
export const EXIT_BAD_CONFIG = 2;

/** The exit status for any error: VosError's errno-style code, local errno codes, 22 for bad input. */
export function exitCodeFor(e: unknown): number {
  if (e instanceof CliError) return e.exitCode;
  // The config file is missing or wrong (as `vosync config check` says); the class is not loaded here.
  if (e instanceof Error && e.name === 'ConfigError') return EXIT_BAD_CONFIG;
  if (e instanceof VosError) return e.exitCode;
  if (e instanceof InvalidUriError) return EXIT.invalid;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string') {
    const n = (os.constants.errno as Record<string, number>)[code];
    if (n !== undefined && n > 0 && n < 256) return n;
  }
  return EXIT.failure;
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EEXIST: 'file exists',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  ELOOP: 'too many symbolic links',
};

/** One line naming the file and the reason; never includes credentials. */
export function describeError(e: unknown): string {
  if (e instanceof VosError || e instanceof CliError || e instanceof InvalidUriError) return e.message;
  const err = e as NodeJS.ErrnoException | undefined;
  if (err && typeof err.code === 'string' && err.path) {
    return `${err.path}: ${ERRNO_TEXT[err.code] ?? err.code}`;
  }
  return err instanceof Error ? err.message : String(e);
}

/** The kind of a CliError, from its exit code (the --json document's error.code). */
const KIND_OF_EXIT: Record<number, string> = {
  [EXIT.notFound]: 'not-found',
  [EXIT.io]: 'io',
  [EXIT.transient]: 'transient',
  [EXIT.permission]: 'permission',
  [EXIT.conflict]: 'conflict',
  [EXIT.exists]: 'exists',
  [EXIT.notDir]: 'not-a-directory',
  [EXIT.isDir]: 'is-a-directory',
  [EXIT.invalid]: 'invalid',
  [EXIT.notEmpty]: 'not-empty',
  [EXIT.quota]: 'quota',
  [EXIT.protocol]: 'protocol',
  [EXIT.unsupported]: 'unsupported',
  [EXIT.interrupted]: 'interrupted',
};

/** A short stable word for an error: the VOSpace kind, `local:ERRNO`, or one from the exit code. */
export function errorKind(e: unknown): string {
  if (e instanceof VosError) return e.kind;
  if (e instanceof CliError) return e.kind ?? KIND_OF_EXIT[e.exitCode] ?? 'failed';
  if (e instanceof InvalidUriError) return 'invalid';
  if (e instanceof Error && e.name === 'ConfigError') return 'config';
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? `local:${code}` : 'error';
}

export function homeDir(env: NodeJS.ProcessEnv): string {
  return env['HOME'] || os.homedir();
}

/** Where `vosync login` keeps the token (mode 0600): `~/.config/vosync/token` on every platform. */
export function tokenFilePath(env: NodeJS.ProcessEnv): string {
  return path.join(xdgConfigHome(env, homeDir(env)), 'vosync', 'token');
}

/** cadc-get-cert's default proxy certificate location. */
export function defaultCertPath(env: NodeJS.ProcessEnv): string {
  return path.join(homeDir(env), '.ssl', 'cadcproxy.pem');
}

/** Writes a secret file atomically with mode 0600 (its directory 0700 when we create it). */
export function writePrivateFile(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(tmp, content, { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
}

export function readTokenFile(env: NodeJS.ProcessEnv): string | undefined {
  try {
    const t = fs.readFileSync(tokenFilePath(env), 'utf8').trim();
    return t === '' ? undefined : t;
  } catch {
    return undefined;
  }
}

function readablePem(file: string): boolean {
  try {
    return fs.readFileSync(file, 'utf8').includes('-----BEGIN CERTIFICATE-----');
  } catch {
    return false;
  }
}

export interface ResolvedAuth {
  credentials: Credentials;
  /** Where they came from, for -d output (never the secret itself). */
  source: string;
}

/**
 * Picks credentials: the command line first (--token, then --cert FILE, where an empty FILE means anonymous
 * as with vostools' --certfile ''), then $VOSYNC_TOKEN, the token saved by `vosync login`, and finally
 * $VOSPACE_CERTFILE or ~/.ssl/cadcproxy.pem when readable; else anonymous.
 */
export function resolveCredentials(flags: GlobalFlags, env: NodeJS.ProcessEnv): ResolvedAuth {
  if (flags.token) return { credentials: { kind: 'token', token: flags.token }, source: '--token' };
  const certFlag = flags.cert ?? flags.certfile;
  if (certFlag !== undefined) {
    if (certFlag === '') return { credentials: { kind: 'anonymous' }, source: '--cert "" (anonymous)' };
    return { credentials: { kind: 'certificate', certFile: certFlag }, source: `--cert ${certFlag}` };
  }
  const envToken = env['VOSYNC_TOKEN']?.trim();
  if (envToken) return { credentials: { kind: 'token', token: envToken }, source: '$VOSYNC_TOKEN' };
  const saved = readTokenFile(env);
  if (saved) return { credentials: { kind: 'token', token: saved }, source: tokenFilePath(env) };
  const defaultCert = env['VOSPACE_CERTFILE'] || defaultCertPath(env);
  if (readablePem(defaultCert)) {
    return { credentials: { kind: 'certificate', certFile: defaultCert }, source: defaultCert };
  }
  return { credentials: { kind: 'anonymous' }, source: 'anonymous' };
}

/**
 * Wraps a command body: builds the context from the global options, runs it, closes the client, and sets
 * the exit code (the body's return value, or the error's code). The context (and the VOSpace client it
 * makes) is loaded when a command runs, so defining the commands (`--help`, `--version`) loads none of it.
 */
export function action<A extends unknown[]>(
  io: CliIo,
  body: (ctx: Ctx, ...args: A) => Promise<number | void>,
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const { runAction } = await import('./ctx.js');
    await runAction(io, body, args);
  };
}

/**
 * A command body in a module of its own, loaded only when the command runs:
 * `action(io, lazy(async () => (await import('./ls-run.js')).runLs))`.
 */
export function lazy<A extends unknown[]>(
  load: () => Promise<(ctx: Ctx, ...args: A) => Promise<number | void>>,
): (ctx: Ctx, ...args: A) => Promise<number | void> {
  return async (ctx, ...args) => (await load())(ctx, ...args);
}

/** Splits vostools-style comma-separated pattern lists (also accepts the option given several times). */
export function splitPatterns(values: string[] | string | undefined): string[] {
  const list = values === undefined ? [] : Array.isArray(values) ? values : [values];
  return list
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export type TargetResult<T> =
  { target: string; ok: true; result: T } | { target: string; ok: false; error: string; exitCode: number };

/**
 * Runs `fn` for each argument, reporting each failure (naming the argument's file) and carrying on, like
 * mkdir(1) or rm(1). The exit code is the last failure's, or 0.
 */
export async function eachTarget<T>(
  ctx: Ctx,
  items: string[],
  fn: (item: string) => Promise<T>,
): Promise<{ code: number; results: TargetResult<T>[] }> {
  let code: number = EXIT.ok;
  const results: TargetResult<T>[] = [];
  for (const item of items) {
    try {
      results.push({ target: item, ok: true, result: await fn(item) });
    } catch (e) {
      code = exitCodeFor(e);
      const error = ctx.explain(e);
      ctx.io.stderr.write(`${ctx.name}: ${error}\n`);
      ctx.failed(errorKind(e), error);
      results.push({ target: item, ok: false, error, exitCode: code });
    }
  }
  return { code, results };
}

/** Refuses local paths where a command works on remote nodes only. */
export function requireRemote(args: string[], isRemoteArg: (s: string) => boolean, hint = ''): void {
  for (const a of args) {
    if (!isRemoteArg(a)) {
      throw new CliError(`${a}: not a remote node (expected vos:… or arc:…)${hint}`, EXIT.invalid);
    }
  }
}
