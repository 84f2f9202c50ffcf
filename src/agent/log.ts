/** The daemon's log: console plus a size-rotated file, levels, and no secrets ever. */
import path from 'node:path';
import fs from 'node:fs';
import winston from 'winston';

export type Logger = winston.Logger;

export interface LogOptions {
  level?: string;
  file?: string;
  maxSizeMB?: number;
  maxFiles?: number;
  console?: boolean;
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

export function createLogger(opts: LogOptions = {}): Logger {
  const transports: winston.transport[] = [];
  if (opts.console !== false) {
    transports.push(
      new winston.transports.Console({
        stderrLevels: ['error', 'warn', 'info', 'debug'],
        format: winston.format.combine(
          winston.format.timestamp(),
          winston.format.printf((i) => `${i.timestamp} ${i.level} ${i.message}`),
        ),
      }),
    );
  }
  if (opts.file) {
    // Log lines name every synced path: the file (and each one rotation starts) is the user's only.
    fs.mkdirSync(path.dirname(opts.file), { recursive: true, mode: 0o700 });
    if (fs.existsSync(opts.file)) fs.chmodSync(opts.file, 0o600);
    transports.push(
      new winston.transports.File({
        filename: opts.file,
        options: { flags: 'a', mode: 0o600 },
        maxsize: (opts.maxSizeMB ?? 10) * 1024 * 1024,
        maxFiles: opts.maxFiles ?? 5,
        tailable: true,
        format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
      }),
    );
  }
  if (transports.length === 0) transports.push(new winston.transports.Console({ silent: true }));
  return winston.createLogger({ level: opts.level ?? 'info', format: redact(), transports });
}
