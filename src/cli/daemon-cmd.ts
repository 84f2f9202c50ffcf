/** `vosync daemon`, `vosync once` and `vosync demo` (what `npm start` runs). */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { startStatusApi, type StatusApi } from '../agent/api/index.js';
import { loadConfig, resolveConfigPath, type VosyncConfig } from '../agent/config/index.js';
import { Daemon, serverUnreachable } from '../agent/daemon.js';
import { createLogger, type Logger } from '../agent/log.js';
import { plannedWords } from '../agent/status/action-words.js';
import {
  confirmHeldDeletes,
  syncPair,
  syncUntilStable,
  type CycleResult,
} from '../agent/engine/pair-sync.js';
import { LockedError } from '../util/pid-lock.js';
import { VosError } from '../vospace/errors.js';

interface ConfigFlag {
  config?: string;
  verbose?: boolean;
}

/**
 * How long SIGINT/SIGTERM lets in-flight transfers finish before they are cut off (a download resumes from its
 * temp file next time). Listings stop at once. Service managers wait ~10 s before SIGKILL.
 */
const SHUTDOWN_GRACE_MS = 3000;

function loggerFor(config: VosyncConfig, verbose: boolean | undefined): Logger {
  return createLogger({
    level: verbose ? 'debug' : config.log.level,
    file: config.log.file,
    maxSizeMB: config.log.maxSizeMB,
    maxFiles: config.log.maxFiles,
  });
}

/** Runs the daemon and its status API until SIGINT/SIGTERM; returns when stopped. */
export async function runDaemon(
  config: VosyncConfig,
  log: Logger,
  banner?: (api: StatusApi) => string,
  options: { fixedLogLevel?: boolean } = {},
): Promise<void> {
  const daemon = await Daemon.create({ config, log, ...options });
  const api = await startStatusApi({ daemon, port: config.status.port, tokenFile: config.status.tokenFile });
  await daemon.start();
  process.stdout.write(
    banner?.(api) ??
      `vosync daemon running: ${config.pairs.length} pair(s)\nstatus: ${api.url}/status (token in ${api.tokenFile}; or run: vosync status)\n`,
  );
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info(`received ${signal}: finishing in-flight transfers (up to ${SHUTDOWN_GRACE_MS / 1000} s)`);
      process.off('SIGHUP', reload);
      void (async () => {
        await daemon.stop(SHUTDOWN_GRACE_MS);
        await api.close();
        resolve();
      })();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
    // SIGHUP: read the config file again (what `vosync reload` and systemd's ExecReload ask for).
    const reload = () => {
      if (stopping) return;
      log.info('received SIGHUP: reloading the config');
      void daemon.reload().catch((e: unknown) => log.error(`config reload failed: ${(e as Error).message}`));
    };
    process.on('SIGHUP', reload);
  });
}

/** What a dry run found for one pair: each planned action in words, the conflicts, a pause it would meet. */
export function dryRunLines(pair: string, r: CycleResult): string {
  const lines: string[] = [];
  for (const a of r.plan?.actions ?? [])
    if (a.type !== 'recordSynced') lines.push(`${pair}: ${plannedWords(a)}`);
  for (const n of r.notices)
    if (n.kind === 'conflict') lines.push(`${pair}: conflict at ${n.path}: ${n.message}`);
  if (r.paused) lines.push(`${pair}: would pause: ${r.paused}`);
  if (lines.length === 0) lines.push(`${pair}: nothing to do`);
  return lines.join('\n') + '\n';
}

/** Exit codes of `vosync once`, for cron jobs and scripts. */
export const ONCE_EXIT = {
  ok: 0,
  /** Conflicts were kept, something is not synced, or a pair paused: a person should look. */
  attention: 1,
  /** An action failed. */
  failed: 2,
  /** The server could not be reached or refused the credentials, or another vosync uses this state. */
  cannotRun: 3,
} as const;

const SHOWN = 20;

/** One pair's part of `vosync once`'s report: a summary line, then what a person should know, by name. */
export function summaryLine(name: string, results: CycleResult[]): { line: string; code: number } {
  const last = results[results.length - 1];
  if (!last) return { line: `${name}: nothing done`, code: ONCE_EXIT.failed };
  if (last.paused) {
    const hint = /delete/.test(last.paused) ? ' (run vosync once --confirm-deletes to go on)' : '';
    let line = `${name}: PAUSED — ${last.paused}${hint}`;
    // What a confirmation would cover, by name: exactly these.
    const held = last.heldDeletes?.paths ?? [];
    for (const d of held.slice(0, SHOWN))
      line += `\n  would delete ${d.side === 'local' ? 'here' : 'on the server'}: ${d.path}`;
    if (held.length > SHOWN) line += `\n  … and ${held.length - SHOWN} more`;
    return { line, code: ONCE_EXIT.attention };
  }
  let up = 0;
  let down = 0;
  const conflicts = results.flatMap((r) => r.notices.filter((n) => n.kind === 'conflict'));
  const trashed = results.flatMap((r) => r.report?.trashed ?? []);
  for (const r of results) {
    up += r.report?.bytesUp ?? 0;
    down += r.report?.bytesDown ?? 0;
  }
  const failures = last.report?.failed ?? [];
  const done = results.reduce((a, r) => a + (r.report?.done ?? 0), 0);
  const problems = [...last.localProblems, ...last.remoteProblems];
  const parts = [`${done} action(s), ${up} bytes up, ${down} bytes down`];
  if (conflicts.length > 0) parts.push(`${conflicts.length} conflict(s)`);
  if (trashed.length > 0) parts.push(`${trashed.length} version(s) moved to a trash`);
  if (failures.length > 0) parts.push(`${failures.length} FAILED`);
  if (problems.length > 0) parts.push(`${problems.length} item(s) not synced`);
  if (last.waiting.length > 0) parts.push(`${last.waiting.length} waited for (being uploaded elsewhere)`);
  let line = `${name}: ${parts.join(', ')}`;
  for (const c of conflicts.slice(0, SHOWN)) line += `\n  conflict: ${c.path}: ${c.message}`;
  for (const t of trashed.slice(0, SHOWN))
    line += `\n  moved to the ${t.side} trash: ${t.path} (kept as ${t.keptAt})`;
  for (const f of failures.slice(0, SHOWN)) line += `\n  failed: ${f.path}: ${f.message}`;
  for (const p of problems.slice(0, SHOWN)) line += `\n  not synced: ${p.path}: ${p.message}`;
  const code =
    failures.length > 0
      ? ONCE_EXIT.failed
      : conflicts.length > 0 || problems.length > 0
        ? ONCE_EXIT.attention
        : ONCE_EXIT.ok;
  return { line, code };
}

/** A server that cannot be reached or refuses us: nothing this run could do. */
function cannotReach(e: unknown): boolean {
  return serverUnreachable(e) || (e instanceof VosError && e.kind === 'auth');
}

export function registerDaemon(program: Command): void {
  program
    .command('daemon')
    .description('run the sync daemon for every pair in the config (Ctrl-C or SIGTERM stops it safely)')
    .option('--config <file>', 'config file (default: the platform location, see `vosync config path`)')
    .option('-v, --verbose', 'debug logging')
    .action(async (flags: ConfigFlag, cmd: Command) => {
      const config = loadConfig(resolveConfigPath(flags.config));
      const verbose = Boolean(cmd.optsWithGlobals()['verbose']);
      try {
        await runDaemon(config, loggerFor(config, verbose), undefined, { fixedLogLevel: verbose });
      } catch (e) {
        if (!(e instanceof LockedError)) throw e;
        process.stderr.write(`vosync daemon: ${e.message}; see vosync status\n`);
        process.exitCode = ONCE_EXIT.cannotRun;
      }
    });

  program
    .command('once')
    .description(
      'run one full sync of every pair and exit: 0 done, 1 conflicts/not synced/paused, 2 failures, 3 cannot run',
    )
    .option('--config <file>', 'config file')
    .option(
      '--confirm-deletes',
      'carry out the deletions the last pause held back (those it listed, no others)',
    )
    .option(
      '--dry-run',
      'print what each pair would do, and whether a safety rule would pause it; do nothing',
    )
    .option('-v, --verbose', 'debug logging')
    .action(async (flags: ConfigFlag & { confirmDeletes?: boolean; dryRun?: boolean }, cmd: Command) => {
      const config = loadConfig(resolveConfigPath(flags.config));
      const log = loggerFor(config, Boolean(cmd.optsWithGlobals()['verbose']));
      let daemon: Daemon;
      try {
        daemon = await Daemon.create({ config, log });
      } catch (e) {
        if (!(e instanceof LockedError)) throw e;
        process.stderr.write(`vosync once: ${e.message}; nothing done\n`);
        process.exitCode = ONCE_EXIT.cannotRun;
        return;
      }
      let worst: number = ONCE_EXIT.ok;
      try {
        for (const pair of config.pairs) {
          let results: CycleResult[];
          if (flags.confirmDeletes) {
            const rec = daemon.index.getPair(pair.name);
            if (rec) confirmHeldDeletes(daemon.index, rec.id);
          }
          const ctx = {
            pair,
            remote: daemon.remotes.forPair(pair),
            index: daemon.index,
            now: Date.now,
            concurrency: config.transfers.concurrency,
          };
          try {
            if (flags.dryRun) {
              process.stdout.write(dryRunLines(pair.name, await syncPair({ ...ctx, dryRun: true })));
              continue;
            }
            results = await syncUntilStable(ctx);
          } catch (e) {
            if (!cannotReach(e)) throw e;
            process.stdout.write(`${pair.name}: CANNOT RUN — ${(e as Error).message}\n`);
            worst = Math.max(worst, ONCE_EXIT.cannotRun);
            continue;
          }
          const { line, code } = summaryLine(pair.name, results);
          worst = Math.max(worst, code);
          process.stdout.write(line + '\n');
        }
      } finally {
        await daemon.stop(0);
      }
      process.exitCode = worst;
    });

  program
    .command('demo')
    .description('start an embedded server, a demo folder and the daemon (what `npm start` runs)')
    .option('--dir <dir>', 'where the demo keeps its files', '.vosync-demo')
    .action(async (flags: { dir: string }) => {
      const dir = path.resolve(flags.dir);
      fs.mkdirSync(dir, { recursive: true });
      const tokenFile = path.join(dir, 'demo-user-token');
      if (!fs.existsSync(tokenFile))
        fs.writeFileSync(tokenFile, randomBytes(24).toString('base64url') + '\n', { mode: 0o600 });
      const token = fs.readFileSync(tokenFile, 'utf8').trim();
      const { startServer } = await import('../server/server.js');
      const server = await startServer({
        dataDir: path.join(dir, 'server'),
        users: [{ name: 'demo', token }],
        admin: 'demo',
      });
      const folder = path.join(dir, 'folder');
      if (!fs.existsSync(folder)) {
        fs.mkdirSync(folder, { recursive: true });
        fs.writeFileSync(
          path.join(folder, 'README.txt'),
          'Files you put in this folder are synced to vos:demo/demo-sync on the embedded server.\n',
        );
      }
      const configFile = path.join(dir, 'config.yaml');
      fs.writeFileSync(
        configFile,
        [
          '# Generated by `vosync demo` on each start (the embedded server gets a new port each time).',
          `registry: ${server.baseUrl}/reg/resource-caps`,
          'auth:',
          `  tokenFile: ${tokenFile}`,
          'schedule:',
          '  remotePoll: "* * * * *"',
          'status:',
          '  port: 0',
          `  tokenFile: ${path.join(dir, 'status-token')}`,
          'state:',
          `  dir: ${path.join(dir, 'state')}`,
          'log:',
          `  file: ${path.join(dir, 'vosync.log')}`,
          'pairs:',
          '  - name: demo',
          `    local: ${folder}`,
          '    remote: vos:demo/demo-sync',
          '    mode: two-way',
          '',
        ].join('\n'),
        { mode: 0o600 },
      );
      const config = loadConfig(configFile);
      const log = loggerFor(config, false);
      try {
        await runDaemon(config, log, (api) =>
          [
            'vosync demo is running.',
            `  embedded VOSpace server: ${server.baseUrl} (user "demo")`,
            `  local folder:            ${folder}`,
            '  remote folder:           vos:demo/demo-sync',
            `  status:                  ${api.url}/status  (token in ${api.tokenFile})`,
            `  or run:                  npx vosync status --config ${configFile}`,
            'Drop a file into the folder and watch it arrive. Ctrl-C stops.',
            '',
          ].join('\n'),
        );
      } finally {
        await server.close();
      }
    });
}
