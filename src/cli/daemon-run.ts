/** `vosync daemon` and `vosync demo` when they run (their options are in daemon-cmd.ts). */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startStatusApi, type StatusApi } from '../agent/api/index.js';
import { loadConfig, type VosyncConfig } from '../agent/config/index.js';
import { configYaml } from '../agent/config/write.js';
import { Daemon } from '../agent/daemon.js';
import { createLogger, type Logger } from '../agent/log.js';
import { LockedError } from '../util/pid-lock.js';
import { type Ctx } from './common.js';
import { loadConfigOf } from './config-host.js';

/**
 * How long SIGINT/SIGTERM lets in-flight transfers finish before they are cut off (a download resumes from its
 * temp file next time). Listings stop at once. Service managers wait ~10 s before SIGKILL.
 */
const SHUTDOWN_GRACE_MS = 3000;

export function loggerFor(config: VosyncConfig, verbose: boolean | undefined): Logger {
  return createLogger({
    level: verbose ? 'debug' : config.log.level,
    file: config.log.file,
    maxSizeMB: config.log.maxSizeMB,
    maxFiles: config.log.maxFiles,
    format: config.log.format,
    // -v: see everything here and now, wherever the lines otherwise go.
    ...(verbose ? { console: true } : {}),
  });
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

/**
 * Runs the daemon and its status API until SIGINT/SIGTERM; returns when stopped. `started` says so once it
 * runs (a banner, or the --json document on one line).
 */
export async function runDaemon(
  config: VosyncConfig,
  log: Logger,
  started: (api: StatusApi) => void,
  options: { fixedLogLevel?: boolean } = {},
): Promise<void> {
  const daemon = await Daemon.create({ config, log, ...options });
  const api = await startStatusApi({ daemon, port: config.status.port, tokenFile: config.status.tokenFile });
  await daemon.start();
  started(api);
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

/** Says the daemon runs: a banner for people, or the --json document, on one line, for programs. */
function announce(ctx: Ctx, api: StatusApi, pairs: number, banner: string): void {
  ctx.result({ pairs, status: `${api.url}/status`, tokenFile: api.tokenFile });
  ctx.out(banner);
  ctx.finish(0, { oneLine: true });
}

export async function runDaemonCommand(ctx: Ctx, flags: { config?: string }) {
  const config = loadConfigOf(ctx.io, flags.config);
  const verbose = Boolean(ctx.flags.verbose);
  try {
    await runDaemon(
      config,
      loggerFor(config, verbose),
      (api) =>
        announce(
          ctx,
          api,
          config.pairs.length,
          `vosync daemon running: ${config.pairs.length} pair(s)\nstatus: ${api.url}/status (token in ${api.tokenFile}; or run: vosync status)\n`,
        ),
      { fixedLogLevel: verbose },
    );
  } catch (e) {
    if (!(e instanceof LockedError)) throw e;
    const message = `${e.message}; see vosync status`;
    ctx.io.stderr.write(`${ctx.name}: ${message}\n`);
    ctx.failed('locked', message);
    return ONCE_EXIT.cannotRun;
  }
}

export async function runDemo(ctx: Ctx, flags: { dir: string }) {
  const dir = path.resolve(ctx.io.cwd, flags.dir);
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
  const doc = {
    registry: `${server.baseUrl}/reg/resource-caps`,
    auth: { tokenFile },
    schedule: { remotePoll: '* * * * *' },
    status: { port: 0, tokenFile: path.join(dir, 'status-token') },
    state: { dir: path.join(dir, 'state') },
    log: { file: path.join(dir, 'vosync.log') },
    pairs: [{ name: 'demo', local: folder, remote: 'vos:demo/demo-sync', mode: 'two-way' }],
  };
  const comment = [
    'Generated by `vosync demo` on each start (the embedded server gets a new port each time).',
  ];
  fs.writeFileSync(configFile, configYaml(doc, comment), { mode: 0o600 });
  const config = loadConfig(configFile);
  const log = loggerFor(config, false);
  try {
    await runDaemon(config, log, (api) =>
      announce(
        ctx,
        api,
        1,
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
      ),
    );
  } finally {
    await server.close();
  }
}
