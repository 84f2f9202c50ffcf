/**
 * What every command-line tool shares: where output goes (injectable, so tests run the real commands
 * in-process), the global options (registry, credentials, verbosity, --json), turning them into a Client,
 * and turning any error into a message that names the file plus a documented exit code.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { Command } from 'commander';
import { Client } from '../vospace/client.js';
import { VosError } from '../vospace/errors.js';
import { certificateDaysLeft, certificateProblem, type Credentials } from '../vospace/http.js';
import { DEFAULT_REGISTRY, defaultCacheDir } from '../vospace/registry.js';
import { encodeName, NAME_MAPPING, RAW_NAMES, type NameCodec } from '../vospace/names.js';
import { InvalidUriError, nodeNameProblem } from '../vospace/uri.js';
import { xdgConfigHome } from '../util/platform-paths.js';
import { VERSION } from '../util/version.js';
import { parseByteRate } from '../util/byte-rate.js';
import { commandPath, envelope, writeEnvelope, type EnvelopeError } from './envelope.js';

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

export function registryUrlFor(flags: GlobalFlags, env: NodeJS.ProcessEnv): string {
  const [url, from] = flags.registry
    ? [flags.registry, '--registry']
    : env['VOSYNC_REGISTRY']
      ? [env['VOSYNC_REGISTRY'], 'VOSYNC_REGISTRY']
      : [DEFAULT_REGISTRY, 'the default'];
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !/^https?:$/.test(parsed.protocol))
    throw new CliError(`registry URL "${url}" (from ${from}) is not an http(s) URL`, EXIT.invalid);
  return url;
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

export interface Logger {
  /** Shown with -v/-d. */
  info(msg: string): void;
  /** Shown with -d. */
  debug(msg: string): void;
  /** Shown with -w/-v/-d (vostools shows warnings only when asked). */
  note(msg: string): void;
  /** Always shown. */
  warn(msg: string): void;
}

/** Everything a command needs; `client()` is created on first use and closed when the command ends. */
export class Ctx {
  readonly log: Logger;
  readonly json: boolean;
  private clientInstance: Client | undefined;
  auth: ResolvedAuth | undefined;
  private jsonResult: unknown;
  private failure: EnvelopeError | undefined;
  private finished = false;

  constructor(
    readonly io: CliIo,
    readonly flags: GlobalFlags,
    /** How the command is named in messages: `vosync ls` or `vls`. */
    readonly name: string,
    /** How the --json document names it: `ls`, `config check` (or `vls`). */
    readonly command: string = name,
  ) {
    this.json = Boolean(flags.json);
    const verbose = Boolean(flags.verbose || flags.debug || flags.vosDebug);
    const debug = Boolean(flags.debug || flags.vosDebug);
    const line = (prefix: string, msg: string) => io.stderr.write(`${prefix}${msg}\n`);
    this.log = {
      info: (m) => (verbose ? line('', m) : undefined),
      debug: (m) => (debug ? line('DEBUG ', m) : undefined),
      note: (m) => (verbose || flags.warning ? line(`${name}: warning: `, m) : undefined),
      warn: (m) => line(`${name}: warning: `, m),
    };
  }

  /** Text for people on stdout; with --json nothing but the one document goes there. */
  out(text: string): void {
    if (!this.json) this.io.stdout.write(text);
  }

  /** What the --json document reports as `result`. */
  result(doc: unknown): void {
    this.jsonResult = doc;
  }

  /** Marks the run as failed in the --json document (the words went to stderr already). */
  failed(code: string, message: string): void {
    this.failure = { code, message };
  }

  /**
   * Prints the --json document once: at the end of the run, or earlier (on one line) for a command that
   * keeps running once it has started (`serve`, `daemon`).
   */
  finish(exitCode: number, opts: { oneLine?: boolean } = {}): void {
    if (!this.json || this.finished) return;
    this.finished = true;
    const outcome = { result: this.jsonResult, ...(this.failure ? { error: this.failure } : {}) };
    writeEnvelope(this.io.stdout, envelope(this.command, exitCode, outcome), opts.oneLine);
  }

  /** How local names become node names and back: the reversible mapping unless --raw-names. */
  get names(): NameCodec {
    return this.flags.rawNames ? RAW_NAMES : NAME_MAPPING;
  }

  /**
   * A remote argument as the user typed it, with every path segment the server cannot store (`My Paper.pdf`)
   * mapped (`My~20Paper.pdf`); segments that are valid node names already are taken as they are.
   */
  remoteArg(arg: string): string {
    if (this.flags.rawNames) return arg;
    const m = /^(vos:\/\/[^/]*\/|[a-z][a-z0-9+.-]*:)(.*)$/i.exec(arg);
    if (!m) return arg;
    const mapped = m[2]!
      .split('/')
      .map((seg) => (seg === '' || nodeNameProblem(seg) === undefined ? seg : encodeName(seg)))
      .join('/');
    return m[1]! + mapped;
  }

  /** A local path as the user typed it, resolved against the run's working directory. */
  local(p: string): string {
    return path.resolve(this.io.cwd, p);
  }

  get registryUrl(): string {
    return registryUrlFor(this.flags, this.io.env);
  }

  /** The run's client; `credentials` overrides the global options (login and cert talk anonymously). */
  client(opts: { connections?: number; credentials?: Credentials } = {}): Client {
    if (this.clientInstance) return this.clientInstance;
    this.auth = opts.credentials
      ? { credentials: opts.credentials, source: 'command' }
      : resolveCredentials(this.flags, this.io.env);
    if (this.auth.credentials.kind === 'certificate') {
      this.auth.credentials = { kind: 'certificate', certFile: this.local(this.auth.credentials.certFile) };
    }
    this.log.debug(`credentials: ${this.auth.source}; registry: ${this.registryUrl}`);
    const bytesPerSecond = this.bandwidth();
    if (bytesPerSecond > 0) this.log.debug(`bandwidth limit: ${bytesPerSecond} bytes/s`);
    if (this.auth.source === 'anonymous') {
      // Anonymous answers are quietly smaller (public nodes only): say so, on stderr, where scripts do not read.
      this.log.warn(
        'no credentials found: anonymous access, public nodes only (vosync login, or VOSYNC_TOKEN)',
      );
    }
    if (this.auth.credentials.kind === 'certificate') this.checkCertificate(this.auth.credentials.certFile);
    const registry = this.registryUrl;
    this.clientInstance = new Client({
      credentials: this.auth.credentials,
      registryUrl: registry,
      cacheDir: defaultCacheDir(this.io.env, homeDir(this.io.env)),
      userAgent: `vosync-cli/${VERSION}`,
      connections: Math.max(16, opts.connections ?? 0),
      ...(bytesPerSecond > 0 ? { bytesPerSecond } : {}),
      // One clear line soon when the server cannot be reached at all, not a minute of silent retries.
      retry: { unreachableGiveUpMs: 2000 },
      onRetry: (r) => this.log.debug(`retry ${r.attempt} of ${r.url} in ${r.delayMs} ms: ${r.reason}`),
      onExchange: (x) =>
        this.log.debug(
          `HTTP ${x.method} ${x.url} → ${x.status} in ${x.ms} ms${x.bytes !== undefined ? ` (${x.bytes} bytes)` : ''}`,
        ),
    });
    return this.clientInstance;
  }

  private checkCertificate(file: string): void {
    let days: number;
    try {
      days = certificateDaysLeft(fs.readFileSync(file, 'utf8'), this.io.now());
    } catch {
      return; // the session reports unreadable certificates itself
    }
    if (days < 0) this.log.warn(`certificate ${file} has expired; run: vosync cert`);
    else if (days < 1) this.log.note(`certificate ${file} expires in ${Math.round(days * 24)} hours`);
  }

  async close(): Promise<void> {
    const c = this.clientInstance;
    this.clientInstance = undefined;
    if (c) await c.close();
  }

  /** `--bwlimit` in bytes per second (0: none). */
  private bandwidth(): number {
    if (this.flags.bwlimit === undefined) return 0;
    const r = parseByteRate(this.flags.bwlimit);
    if (!r.ok) throw new CliError(`--bwlimit ${this.flags.bwlimit}: expected ${r.expected}`, EXIT.invalid);
    return r.value;
  }

  /** The error in words, with what to do about a refused credential. */
  explain(e: unknown): string {
    return describeError(e) + this.authHint(e);
  }

  /** For a refused credential (or none where one was needed): which one was used, and what to do. */
  private authHint(e: unknown): string {
    if (!(e instanceof VosError) || (e.kind !== 'auth' && e.kind !== 'permission') || !this.auth) return '';
    const c = this.auth.credentials;
    if (c.kind === 'anonymous')
      return ' (no credentials were used: run vosync login, or cadc-get-cert, or set VOSYNC_TOKEN)';
    if (e.kind !== 'auth') return '';
    if (c.kind === 'certificate') {
      const problem = certificateProblem(c.certFile, this.io.now());
      return ` (${problem ?? `used the certificate ${c.certFile}; run vosync cert (or cadc-get-cert)`})`;
    }
    return ` (used the token from ${this.auth.source}; run vosync login for a new one)`;
  }

  /** Reports an error: the message (naming the file) on stderr, and in --json mode in the document. */
  reportError(e: unknown): number {
    const code = exitCodeFor(e);
    const message = this.explain(e);
    this.io.stderr.write(`${this.name}: ${message}\n`);
    if (this.flags.debug && e instanceof Error && e.stack) this.io.stderr.write(`${e.stack}\n`);
    this.failed(errorKind(e), message);
    return code;
  }
}

/** Applies the global options that need an immediate answer (the refused --insecure). */
function preflight(ctx: Ctx): void {
  if (ctx.flags.insecure) {
    ctx.log.warn(
      '--insecure is not supported: TLS certificates are always verified. ' +
        'To trust a private certificate authority, set NODE_EXTRA_CA_CERTS=/path/to/ca.pem',
    );
  }
}

/**
 * Wraps a command body: builds the context from the global options, runs it, closes the client, and sets
 * the exit code (the body's return value, or the error's code).
 */
export function action<A extends unknown[]>(
  io: CliIo,
  body: (ctx: Ctx, ...args: A) => Promise<number | void>,
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    const flags = cmd.optsWithGlobals<GlobalFlags>();
    const ctx = new Ctx(io, flags, commandLabel(cmd), commandPath(cmd));
    let code = 0;
    try {
      preflight(ctx);
      code = (await body(ctx, ...(args.slice(0, -1) as A))) ?? 0;
    } catch (e) {
      code = ctx.reportError(e);
    } finally {
      await ctx.close().catch(() => undefined);
    }
    ctx.finish(code);
    io.setExitCode(code);
  };
}

/** `vosync config check`, or the vostools name (`vls`) when the command is the root of an alias program. */
function commandLabel(cmd: Command): string {
  let root = cmd;
  while (root.parent) root = root.parent;
  return root === cmd ? cmd.name() : `${root.name()} ${commandPath(cmd)}`;
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
