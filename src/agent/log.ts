/**
 * The daemon's log, for people: text lines (time, level, what happened in words) on the console and in a
 * size-rotated file (`vosync.log`, then `vosync.log.1`, …), JSON lines in the file on request, and no
 * secrets ever. Each line is stored once: under systemd the journal keeps it (the file only for JSON lines),
 * under launchd (VOSYNC_SERVICE) the file does and stderr is left to crashes, and run by hand both the
 * terminal and the file get it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import winston from 'winston';

export type Logger = winston.Logger;

export type LogFormat = 'text' | 'json';

export interface LogOptions {
  level?: string;
  file?: string;
  maxSizeMB?: number;
  maxFiles?: number;
  /** The file's line format (text by default). */
  format?: LogFormat;
  /** Force the console on or off; by default it follows logRouting. */
  console?: boolean;
  /** The environment and stderr to decide the routing by (the process's by default). */
  env?: NodeJS.ProcessEnv;
  stderrFd?: number;
}

/** Where the lines go: the console as text, as journal lines (priority prefix, no time), or not at all. */
export interface LogRouting {
  console: 'text' | 'journal' | 'none';
  file: boolean;
}

/** systemd sets JOURNAL_STREAM to the device:inode of the journal stream; stderr must be that stream. */
function stderrIsJournal(env: NodeJS.ProcessEnv, fd: number): boolean {
  const m = /^(\d+):(\d+)$/.exec(env['JOURNAL_STREAM'] ?? '');
  if (!m) return false;
  try {
    const st = fs.fstatSync(fd);
    return String(st.dev) === m[1] && String(st.ino) === m[2];
  } catch {
    return false;
  }
}

/** Where each line goes, so that none is stored twice in the same format. */
export function logRouting(o: { journal: boolean; service: boolean; format: LogFormat }): LogRouting {
  if (o.journal) return { console: 'journal', file: o.format === 'json' };
  if (o.service) return { console: 'none', file: true };
  return { console: 'text', file: true };
}

/**
 * `token: v`, `token=v`, `"password": "v"`: the value goes. After an unquoted `key: ` a plain word (letters only) is
 * prose, not a secret: `config: auth.token: the token is stored in a file…` keeps its "the". Tokens are never
 * plain words; a password that is one is still redacted when written `password=…` or quoted. The value ends at
 * a quote, comma, brace, `;` or `&`, so the rest of a query string or cookie stays.
 */
function redactAssignment(
  all: string,
  prefix: string,
  keyQuote: string,
  op: string,
  valueQuote: string,
  value: string,
): string {
  const prose = op === ':' && keyQuote === '' && valueQuote === '' && /^[A-Za-z][a-z]*$/.test(value);
  return prose ? all : `${prefix}<redacted>`;
}

type Replacement = string | ((match: string, ...groups: string[]) => string);

const SECRET_PATTERNS: [RegExp, Replacement][] = [
  [/(Bearer\s+)[^\s"']+/gi, '$1<redacted>'],
  [/((?:token|password)(["']?)\s*([:=])\s*(["']?))([^\s"',;&}]+)/gi, redactAssignment],
  [/(CADC_SSO=)[^;\s]+/g, '$1<redacted>'],
  [/\/data\/[^/\s]+\//g, '/data/<token>/'],
  [/preauth:[^/\s]+/g, 'preauth:<token>'],
];

/** Removes anything that looks like a credential from a log line. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const [re, rep] of SECRET_PATTERNS)
    out = typeof rep === 'string' ? out.replace(re, rep) : out.replace(re, rep);
  return out;
}

const redact = winston.format((info) => {
  info.message = redactSecrets(String(info.message));
  for (const k of Object.keys(info)) {
    const v = (info as Record<string, unknown>)[k];
    if (typeof v === 'string' && k !== 'level') (info as Record<string, unknown>)[k] = redactSecrets(v);
  }
  return info;
});

const LEVEL_WORD: Record<string, string> = { error: 'ERROR', warn: 'WARN ', info: 'INFO ', debug: 'DEBUG' };
/** sd-daemon(3) priorities, which the journal reads from the start of each line. */
const JOURNAL_PRIORITY: Record<string, number> = { error: 3, warn: 4, info: 6, debug: 7 };

const pad = (n: number) => String(n).padStart(2, '0');

/** Local time to the second, as people read it: `2026-03-01 14:05:09`. */
function localTime(t: Date): string {
  return (
    `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())} ` +
    `${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}`
  );
}

/** `2026-03-01 14:05:09 INFO  results: uploaded a.txt (1.2 MB in 0.4 s)` */
function textLine(level: string, message: string, at: Date): string {
  return `${localTime(at)} ${LEVEL_WORD[level] ?? level.toUpperCase()} ${message}`;
}

function journalLine(level: string, message: string): string {
  return `<${JOURNAL_PRIORITY[level] ?? 6}>${message}`;
}

const textFormat = winston.format.printf((i) => textLine(i.level, String(i.message), new Date()));
const journalFormat = winston.format.printf((i) => journalLine(i.level, String(i.message)));
const jsonFormat = winston.format.combine(winston.format.timestamp(), winston.format.json());

/** The rotated names: `vosync.log.1` is the newest old file, `vosync.log.N` the oldest kept. */
function rotatedName(file: string, n: number): string {
  return `${file}.${n}`;
}

/**
 * Appends lines to `file`, and when the next line would take it past `maxBytes`, shifts `file.1` … to
 * `file.2` …, keeps at most `maxFiles` old files, and starts a new `file` (mode 0600: lines name every
 * synced path).
 */
class RotatingFile extends Writable {
  private fd: number;
  private size: number;

  constructor(
    private readonly file: string,
    private readonly maxBytes: number,
    private readonly maxFiles: number,
  ) {
    super();
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    this.fd = this.open();
    this.size = fs.fstatSync(this.fd).size;
  }

  private open(): number {
    const fd = fs.openSync(this.file, 'a', 0o600);
    fs.fchmodSync(fd, 0o600);
    return fd;
  }

  private rotate(): void {
    fs.closeSync(this.fd);
    fs.rmSync(rotatedName(this.file, this.maxFiles), { force: true });
    for (let n = this.maxFiles - 1; n >= 1; n--) {
      const from = rotatedName(this.file, n);
      if (fs.existsSync(from)) fs.renameSync(from, rotatedName(this.file, n + 1));
    }
    // Someone (logrotate, the user) may have removed the file under us: there is then nothing to keep.
    if (fs.existsSync(this.file)) fs.renameSync(this.file, rotatedName(this.file, 1));
    this.fd = this.open();
    this.size = 0;
  }

  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    try {
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      if (this.size > 0 && this.size + bytes.length > this.maxBytes) this.rotate();
      fs.writeSync(this.fd, bytes);
      this.size += bytes.length;
      done();
    } catch (e) {
      done(e as Error);
    }
  }

  override _final(done: (e?: Error | null) => void): void {
    fs.closeSync(this.fd);
    done();
  }
}

export function createLogger(opts: LogOptions = {}): Logger {
  const env = opts.env ?? process.env;
  const format = opts.format ?? 'text';
  const routing = logRouting({
    journal: stderrIsJournal(env, opts.stderrFd ?? 2),
    service: Boolean(env['VOSYNC_SERVICE']),
    format,
  });
  const consoleKind =
    opts.console === false
      ? 'none'
      : opts.console === true && routing.console === 'none'
        ? 'text'
        : routing.console;
  const transports: winston.transport[] = [];
  if (consoleKind !== 'none') {
    transports.push(
      new winston.transports.Console({
        stderrLevels: ['error', 'warn', 'info', 'debug'],
        format: consoleKind === 'journal' ? journalFormat : textFormat,
      }),
    );
  }
  if (opts.file && routing.file) {
    transports.push(
      new winston.transports.Stream({
        stream: new RotatingFile(opts.file, (opts.maxSizeMB ?? 10) * 1024 * 1024, opts.maxFiles ?? 5),
        format: format === 'json' ? jsonFormat : textFormat,
      }),
    );
  }
  if (transports.length === 0) transports.push(new winston.transports.Console({ silent: true }));
  return winston.createLogger({ level: opts.level ?? 'info', format: redact(), transports });
}
