/** `vosync config check|path|init` when they run (their options are in config-cmd.ts). */
import fs from 'node:fs';
import {
  ConfigError,
  exampleConfigPath,
  formatConfigIssues,
  hostContext,
  loadConfig,
  type ConfigIssue,
  type HostContext,
  type PairConfig,
  type VosyncConfig,
} from '../agent/config/index.js';
import { tildify } from '../agent/config/paths.js';
import { pathApi } from '../util/platform-paths.js';
import { EXIT_BAD_CONFIG, type Ctx } from './common.js';
import { configPathOf, hostOf } from './config-host.js';

export interface CommandResult {
  ok: boolean;
  /** What to print (stdout when ok, stderr otherwise), ending without a newline. */
  text: string;
  exitCode: number;
  /** The --json document's result. */
  json: Record<string, unknown>;
  /** The --json document's error.code when it failed. */
  errorCode?: string;
}

const ARROWS: Record<PairConfig['mode'], string> = { 'two-way': '<->', backup: '->', 'mirror-down': '<-' };

function pairLine(pair: PairConfig, host: HostContext): string {
  const limits = `${Math.round(pair.deleteLimits.maxShare * 1000) / 10}% / ${pair.deleteLimits.maxCount}`;
  const extras = [
    pair.mode,
    pair.mode === 'backup' ? null : `conflicts: ${pair.conflict}`,
    `delete limit: ${limits}`,
    pair.propagateDeletes ? 'deletes propagate' : null,
    pair.ignore.length > 0
      ? `${pair.ignore.length} ignore pattern${pair.ignore.length === 1 ? '' : 's'}`
      : null,
  ].filter((x): x is string => x !== null);
  return `  ${pair.name}: ${tildify(pair.local, host)} ${ARROWS[pair.mode]} ${pair.remote} (${extras.join(', ')})`;
}

/** The human summary `config check` prints for a valid file. */
export function summarizeConfig(config: VosyncConfig, host: HostContext = hostContext()): string {
  const n = config.pairs.length;
  const lines = [`config OK: ${n} pair${n === 1 ? '' : 's'} (${config.source})`];
  for (const pair of config.pairs) lines.push(pairLine(pair, host));
  if (config.warnings.length > 0) {
    lines.push(`${config.warnings.length} warning${config.warnings.length === 1 ? '' : 's'}:`);
    lines.push(
      formatConfigIssues(config.warnings, config.source)
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
    );
  }
  return lines.join('\n');
}

const issueJson = (i: ConfigIssue) => ({
  path: i.path,
  line: i.line ?? null,
  column: i.column ?? null,
  message: i.message,
  expected: i.expected ?? null,
});

const pairJson = (p: PairConfig) => ({
  name: p.name,
  local: p.local,
  remote: p.remote,
  mode: p.mode,
  conflict: p.conflict,
  deleteLimits: p.deleteLimits,
  ignore: p.ignore,
});

/** Validates one file: the summary and exit code 0, or every problem and exit code 2. */
export function checkConfigFile(file: string, host: Partial<HostContext> = {}): CommandResult {
  const ctx = hostContext(host);
  try {
    const config = loadConfig(file, ctx);
    const json = {
      file,
      pairs: config.pairs.map(pairJson),
      warnings: config.warnings.map(issueJson),
    };
    return { ok: true, text: summarizeConfig(config, ctx), exitCode: 0, json };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return {
      ok: false,
      text: err.message,
      exitCode: EXIT_BAD_CONFIG,
      json: { file, problems: err.issues.map(issueJson) },
      errorCode: 'config',
    };
  }
}

/** Writes the documented example to `file` unless something is already there. Never overwrites. */
export function initConfigFile(file: string, platform: NodeJS.Platform = process.platform): CommandResult {
  const example = fs.readFileSync(exampleConfigPath(), 'utf8');
  try {
    fs.mkdirSync(pathApi(platform).dirname(file), { recursive: true, mode: 0o700 });
    // 'wx' fails if the file exists, so a concurrent writer cannot be overwritten either.
    fs.writeFileSync(file, example, { flag: 'wx', mode: 0o600 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST')
      return {
        ok: false,
        text: `${file} already exists; leaving it as it is`,
        exitCode: 1,
        json: { file },
        errorCode: 'exists',
      };
    return {
      ok: false,
      text: `cannot write ${file}: ${(err as Error).message}`,
      exitCode: 1,
      json: { file },
      errorCode: `local:${code ?? 'error'}`,
    };
  }
  return {
    ok: true,
    text: `wrote ${file}\nedit its pairs (and auth), then run: vosync config check --config ${JSON.stringify(file)}`,
    exitCode: 0,
    json: { file },
  };
}

/** Prints a result: text on stdout (or stderr when it failed), and the --json document's parts. */
function emit(ctx: Ctx, r: CommandResult): number {
  ctx.result(r.json);
  if (r.ok) ctx.out(r.text + '\n');
  else {
    ctx.io.stderr.write(r.text + '\n');
    ctx.failed(r.errorCode ?? 'error', r.text);
  }
  return r.exitCode;
}

export async function runConfigCheck(ctx: Ctx, flags: { config?: string }) {
  return emit(ctx, checkConfigFile(configPathOf(ctx.io, flags.config), hostOf(ctx.io)));
}

export async function runConfigPath(ctx: Ctx) {
  const file = configPathOf(ctx.io, undefined);
  ctx.out(file + '\n');
  ctx.result({ file, exists: fs.existsSync(file) });
}

export async function runConfigInit(ctx: Ctx, flags: { config?: string }) {
  return emit(ctx, initConfigFile(configPathOf(ctx.io, flags.config), hostOf(ctx.io).platform));
}
