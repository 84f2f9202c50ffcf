/**
 * The daemon's configuration: read a YAML file, validate it completely, and either return a fully resolved
 * `VosyncConfig` or throw a `ConfigError` listing every problem with its path (`pairs[1].mode`), its line and
 * column, what was found and what is expected. Used at start, on reload and by `vosync config check`.
 *
 * The pieces live in ./config/: types (the resolved shape and defaults), schema (zod), zod-issues (messages),
 * checks (rules across pairs), locate (path → line:column), paths (platform folders, `~`/`$VAR` expansion).
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument, visit, type Document } from 'yaml';
import {
  duplicateNameIssues,
  overlappingLocalIssues,
  overlappingRemoteIssues,
  ownFilesInsidePairIssues,
  type PairCore,
} from './checks.js';
import { ConfigError, makeIssue, sortIssues, type ConfigIssue } from './issues.js';
import { locate } from './locate.js';
import { hostContext, isFilesystemRoot, samePath, type HostContext } from './paths.js';
import { defaultStateDir, pathApi } from '../../util/platform-paths.js';
import { SCHEME_RE, buildSchemas, deriveName } from './schema.js';
import { DEFAULTS, PASSWORD_ENV, type VosyncConfig } from './types.js';
import { convertZodIssue, type PendingIssue } from './zod-issues.js';

export * from './types.js';
export { ConfigError, formatConfigIssues, formatPath, type ConfigIssue } from './issues.js';
export {
  CONFIG_ENV,
  defaultConfigPath,
  expandPath,
  hostContext,
  resolveConfigPath,
  type HostContext,
} from './paths.js';
export { defaultConfigDir, defaultStateDir, type Env } from '../../util/platform-paths.js';

export interface ConfigOptions extends Partial<HostContext> {
  /** Folder relative paths resolve against; default: the folder of the config file (or of `sourceName`). */
  baseDir?: string;
}

/** Refuse absurd files early (a config is a few KB). */
const MAX_CONFIG_BYTES = 1024 * 1024;

/** The documented example shipped with the package (`config/vosync.example.yaml`). */
export function exampleConfigPath(): string {
  return fileURLToPath(new URL('../../../config/vosync.example.yaml', import.meta.url));
}

/** Parses and validates config text. `sourceName` names the file in messages. Throws ConfigError. */
export function parseConfigText(text: string, sourceName: string, options: ConfigOptions = {}): VosyncConfig {
  return parseInternal(text, sourceName, options, () => []);
}

/**
 * Reads and validates a config file. Besides the checks of parseConfigText, warns about things only the file
 * system shows (an inline token in a file others can read, a missing certificate or local folder).
 */
export function loadConfig(file: string, options: ConfigOptions = {}): VosyncConfig {
  const host = hostContext(options);
  const p = pathApi(host.platform);
  const abs = p.resolve(file);
  let text: string;
  try {
    const st = fs.statSync(abs);
    if (!st.isFile()) throw new ConfigError([makeIssue([], `${abs} is not a file`)], abs);
    if (st.size > MAX_CONFIG_BYTES)
      throw new ConfigError(
        [makeIssue([], `the file is ${st.size} bytes; a config file is at most 1 MiB`)],
        abs,
      );
    text = fs.readFileSync(abs, 'utf8');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const message =
      code === 'ENOENT'
        ? `no config file at ${abs}; create one with 'vosync config init'`
        : `cannot read ${abs}: ${(err as Error).message}`;
    throw new ConfigError([makeIssue([], message)], abs);
  }
  return parseInternal(text, abs, { ...options, baseDir: options.baseDir ?? p.dirname(abs) }, (config) =>
    fileSystemWarnings(config, abs, host),
  );
}

type Schemas = ReturnType<typeof buildSchemas>;
type WarningProbe = (config: VosyncConfig) => ConfigIssue[];

function parseInternal(
  text: string,
  source: string,
  options: ConfigOptions,
  probe: WarningProbe,
): VosyncConfig {
  const host = hostContext(options);
  const p = pathApi(host.platform);
  const baseDir = options.baseDir ?? p.dirname(p.resolve(source));
  const lines = new LineCounter();
  const doc = parseDocument(text.replace(/^\uFEFF/, ''), { lineCounter: lines, prettyErrors: true });

  const syntax = yamlSyntaxIssues(doc, text, lines);
  if (syntax.length > 0) throw new ConfigError(sortIssues(syntax), source);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    throw new ConfigError([makeIssue([], `YAML: ${(err as Error).message}`)], source);
  }
  // An empty file (or only comments) is a valid config with every default and no pairs.
  const input: unknown = data ?? {};

  const schemas = buildSchemas({ host, baseDir, schemes: schemesFrom(input) });
  const pending: PendingIssue[] = [];
  const result = schemas.root.safeParse(input);
  if (!result.success) {
    for (const zi of result.error.issues) pending.push(...convertZodIssue(zi, input, schemas.knownKeys));
  }
  for (const issue of crossChecks(input, schemas, host)) pending.push({ issue, atKey: false });

  const issues = pending.map(({ issue, atKey }) => positioned(issue, doc, lines, atKey));
  if (issues.length > 0 || !result.success) throw new ConfigError(sortIssues(issues), source);

  const config: VosyncConfig = { ...result.data, source, warnings: [] };
  const warnings = [...configWarnings(config, host), ...probe(config)];
  config.warnings = sortIssues(warnings.map((w) => positioned(w, doc, lines, false)));
  return config;
}

function positioned(issue: ConfigIssue, doc: Document, lines: LineCounter, atKey: boolean): ConfigIssue {
  if (issue.line !== undefined) return issue;
  const pos = locate(doc, lines, issue.segments, atKey);
  return pos ? { ...issue, line: pos.line, column: pos.column } : issue;
}

const QUOTE_HINT =
  ' (a value that starts with \'*\', such as a cron expression, must be in quotes: "*/5 * * * *")';

function yamlSyntaxIssues(doc: Document, text: string, lines: LineCounter): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const sourceLines = text.split(/\r?\n/);
  // After a syntax error the parser's later complaints are mostly consequences of it, so only the first is
  // shown, plus duplicate keys, which are independent mistakes.
  const shown = doc.errors.filter((e, i) => i === 0 || e.code === 'DUPLICATE_KEY');
  const hidden = doc.errors.length - shown.length;
  for (const e of shown) {
    const pos = e.linePos?.[0];
    const first = (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?\s*$/, '');
    const lineText = pos ? (sourceLines[pos.line - 1] ?? '') : '';
    let hint = '';
    if (/alias/i.test(first) && lineText.includes('*')) hint = QUOTE_HINT;
    else if (e.code === 'TAB_AS_INDENT') hint = ' (indent with spaces)';
    else if (/flow-map|flow map/i.test(first) && lineText.includes('${'))
      hint = ' (put values containing ${...} in quotes)';
    const more =
      e === doc.errors[0] && hidden > 0
        ? `; ${hidden} later YAML error${hidden === 1 ? '' : 's'} may follow from this one`
        : '';
    issues.push(
      makeIssue(
        [],
        `YAML syntax error: ${first}${hint}${more}`,
        pos ? { line: pos.line, column: pos.col } : {},
      ),
    );
  }
  if (issues.length > 0) return issues;
  visit(doc, {
    Alias(_key, node) {
      if (node.resolve(doc) !== undefined) return;
      const pos = node.range ? lines.linePos(node.range[0]) : undefined;
      issues.push(
        makeIssue([], `YAML: alias *${node.source} refers to no anchor &${node.source}${QUOTE_HINT}`, {
          ...(pos ? { line: pos.line, column: pos.col } : {}),
        }),
      );
    },
  });
  return issues;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The `services` schemes as written, so pairs using them are not also reported as unknown schemes. */
function schemesFrom(input: unknown): Record<string, string> {
  const services = isRecord(input) ? input['services'] : undefined;
  const out: Record<string, string> = {};
  if (!isRecord(services)) return out;
  for (const [k, v] of Object.entries(services)) {
    const scheme = k.toLowerCase();
    if (SCHEME_RE.test(scheme)) out[scheme] = typeof v === 'string' ? v : 'ivo://invalid/placeholder';
  }
  return out;
}

/** Parses the fields the cross checks need one by one, so a mistake in one field hides no overlap. */
function pairCores(input: unknown, schemas: Schemas, host: HostContext): PairCore[] {
  const raw = isRecord(input) ? input : {};
  const rawPairs = Array.isArray(raw['pairs']) ? (raw['pairs'] as unknown[]) : [];
  const f = schemas.pairFields;
  const cores: PairCore[] = [];
  rawPairs.forEach((item, index) => {
    if (!isRecord(item)) return;
    const name = f.name.safeParse(item['name']);
    const local = f.local.safeParse(item['local']);
    const remote = f.remote.safeParse(item['remote']);
    const mode = f.mode.safeParse(item['mode']);
    const ignore = f.ignore.safeParse(item['ignore']);
    const given = name.success ? name.data : undefined;
    // A local folder the pair rules reject already has its own error; overlap reports would only add noise.
    const localPath =
      local.success &&
      !isFilesystemRoot(local.data, host.platform) &&
      (item['allowHomeRoot'] === true || !samePath(local.data, host.homedir, host.platform))
        ? local.data
        : undefined;
    cores.push({
      index,
      name:
        given ??
        (localPath !== undefined && item['name'] === undefined
          ? deriveName(localPath, host.platform)
          : undefined),
      nameGiven: given !== undefined,
      ...(localPath !== undefined ? { local: localPath } : {}),
      ...(remote.success ? { remote: remote.data } : {}),
      mode: mode.success ? mode.data : 'two-way',
      ignore: ignore.success ? ignore.data : [],
    });
  });
  return cores;
}

/** Rules across pairs and sections, applied to whatever parsed cleanly so they add to, not hide behind, other errors. */
function crossChecks(input: unknown, schemas: Schemas, host: HostContext): ConfigIssue[] {
  const raw = isRecord(input) ? input : {};
  const pairs = pairCores(input, schemas, host);
  const issues = [
    ...duplicateNameIssues(pairs),
    ...overlappingLocalIssues(pairs, host.platform),
    ...overlappingRemoteIssues(pairs),
  ];
  const state = schemas.state.safeParse(raw['state']);
  const log = schemas.log.safeParse(raw['log']);
  if (state.success && log.success) {
    const stateDir = state.data.dir ?? defaultStateDir(host.env, host.platform, host.homedir);
    const logFile = log.data.file ?? pathApi(host.platform).join(stateDir, DEFAULTS.log.fileName);
    issues.push(
      ...ownFilesInsidePairIssues(
        pairs,
        {
          stateDir: { path: stateDir, segments: state.data.dir ? ['state', 'dir'] : undefined },
          logFile: { path: logFile, segments: log.data.file ? ['log', 'file'] : undefined },
        },
        host,
      ),
    );
  }
  return issues;
}

function configWarnings(config: VosyncConfig, host: HostContext): ConfigIssue[] {
  const warnings: ConfigIssue[] = [];
  if (config.pairs.length === 0)
    warnings.push(makeIssue(['pairs'], 'no pairs configured; there is nothing to sync'));
  if (config.auth.kind === 'password' && !host.env[PASSWORD_ENV])
    warnings.push(
      makeIssue(
        ['auth', 'username'],
        `log-in needs the password in the ${PASSWORD_ENV} environment variable, which is not set`,
      ),
    );
  return warnings;
}

function fileSystemWarnings(config: VosyncConfig, file: string, host: HostContext): ConfigIssue[] {
  const warnings: ConfigIssue[] = [];
  const exists = (x: string): boolean => fs.existsSync(x);
  if (config.auth.kind === 'token' && host.platform !== 'win32') {
    const mode = fs.statSync(file).mode & 0o777;
    if ((mode & 0o077) !== 0)
      warnings.push(
        makeIssue(
          ['auth', 'token'],
          `the token is stored in a file others can read (mode ${mode.toString(8).padStart(3, '0')}); run chmod 600 ${file} or use tokenFile`,
        ),
      );
  }
  if (config.auth.kind === 'certificate' && !exists(config.auth.certFile))
    warnings.push(
      makeIssue(
        ['auth', 'certificate'],
        `certificate file ${config.auth.certFile} does not exist yet; create it with cadc-get-cert`,
      ),
    );
  if (config.auth.kind === 'tokenFile' && !exists(config.auth.tokenFile))
    warnings.push(makeIssue(['auth', 'tokenFile'], `token file ${config.auth.tokenFile} does not exist`));
  config.pairs.forEach((pair, i) => {
    if (!exists(pair.local))
      warnings.push(makeIssue(['pairs', i, 'local'], `local folder ${pair.local} does not exist`));
  });
  return warnings;
}
