/**
 * The context of one command run: its output, logging and --json document, the global options turned into a
 * VOSpace client, and the wrapper that runs a command body in it. Loaded when a command runs (`action` in
 * `common.ts`), never to define one.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { Client, type ClientOptions } from '../vospace/client.js';
import { VosError } from '../vospace/errors.js';
import { certificateDaysLeft, certificateProblem, type Credentials } from '../vospace/http.js';
import { DEFAULT_REGISTRY, defaultCacheDir } from '../vospace/registry.js';
import { encodeName, NAME_MAPPING, RAW_NAMES, type NameCodec } from '../vospace/names.js';
import { nodeNameProblem } from '../vospace/uri.js';
import { VERSION } from '../util/version.js';
import { parseByteRate } from '../util/byte-rate.js';
import {
  CliError,
  EXIT,
  describeError,
  errorKind,
  exitCodeFor,
  homeDir,
  resolveCredentials,
  type CliIo,
  type GlobalFlags,
  type ResolvedAuth,
} from './common.js';
import { commandPath, envelope, writeEnvelope, type EnvelopeError } from './envelope.js';

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
  /** -d: debug lines are shown. */
  private readonly debugging: boolean;

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
    this.debugging = debug;
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
      ...this.debugHooks(),
    });
    return this.clientInstance;
  }

  /** Only with -d: the session then describes every request, which costs CPU per file in a bulk copy. */
  private debugHooks(): Pick<ClientOptions, 'onRetry' | 'onExchange'> {
    if (!this.debugging) return {};
    return {
      onRetry: (r) => this.log.debug(`retry ${r.attempt} of ${r.url} in ${r.delayMs} ms: ${r.reason}`),
      onExchange: (x) =>
        this.log.debug(
          `HTTP ${x.method} ${x.url} → ${x.status} in ${x.ms} ms${x.bytes !== undefined ? ` (${x.bytes} bytes)` : ''}`,
        ),
    };
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
 * Runs a command body (see `action` in `common.ts`) with commander's action arguments: builds the context from
 * the global options, runs it, closes the client, and sets the exit code (the body's return value, or the
 * error's code).
 */
export async function runAction<A extends unknown[]>(
  io: CliIo,
  body: (ctx: Ctx, ...args: A) => Promise<number | void>,
  args: unknown[],
): Promise<void> {
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
}

/** `vosync config check`, or the vostools name (`vls`) when the command is the root of an alias program. */
function commandLabel(cmd: Command): string {
  let root = cmd;
  while (root.parent) root = root.parent;
  return root === cmd ? cmd.name() : `${root.name()} ${commandPath(cmd)}`;
}
