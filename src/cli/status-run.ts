/** `vosync status`, `pause`, `resume`, `rescan`, `log` and `reload` when they run (their options are in status-cmd.ts). */
import fs from 'node:fs';
import path from 'node:path';
import { ApiCallError, daemonAddress, DaemonUnreachable, StatusClient } from '../agent/api/client.js';
import { HEALTH, healthCode, humanSummary, trayOutput, type TrayFlavour } from '../agent/api/present.js';
import { actionWords } from '../agent/status/action-words.js';
import type {
  ActivityDoc,
  ConflictsDoc,
  ErrorsDoc,
  FileStatusDoc,
  NotSyncedDoc,
  ReloadDoc,
  SessionDoc,
  StatusDoc,
} from '../agent/api/schemas.js';
import { ConfigError, loadConfig, resolveConfigPath } from '../agent/config/index.js';
import { statusSettingsOf } from '../agent/config/status-address.js';
import { CliError, type CliIo, type Ctx } from './common.js';
import { hostOf } from './config-host.js';

interface ConfigFlags {
  config?: string;
}

function clientFor(io: CliIo, flags: ConfigFlags): { client: StatusClient; configPath: string } {
  const host = hostOf(io);
  const configPath = resolveConfigPath(flags.config, host);
  try {
    return { client: new StatusClient(daemonAddress(loadConfig(configPath, host))), configPath };
  } catch (e) {
    // A file edited into mistakes must not hide the running daemon (which reports what it runs with).
    if (!(e instanceof ConfigError) || !fs.existsSync(configPath)) throw e;
    const status = statusSettingsOf(configPath, host);
    return { client: new StatusClient(daemonAddress({ status })), configPath };
  }
}

/**
 * Runs one command body, turning the known failures into their exit codes: a config that cannot be read
 * or a daemon that cannot be asked is "unknown" (3) to monitoring, no such pair or file is 2.
 */
async function guarded(body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(e.message, HEALTH.unknown, 'config');
    if (e instanceof DaemonUnreachable) throw new CliError(e.message, HEALTH.unknown, 'not-running');
    if (e instanceof ApiCallError)
      throw e.status === 404
        ? new CliError(e.message, 2, 'not-found')
        : new CliError(e.message, HEALTH.unknown, 'api');
    throw e;
  }
}

/**
 * Confirms, in the index of the config's state, the deletions each pair's pause held back (one pair or all);
 * returns what was confirmed per pair (0: nothing was held), or undefined when no pair has that name.
 */
async function recordDeleteConfirmation(
  io: CliIo,
  flags: ConfigFlags,
  pair: string | undefined,
): Promise<{ name: string; count: number }[] | undefined> {
  const host = hostOf(io);
  const config = loadConfig(resolveConfigPath(flags.config, host), host);
  const pairs = config.pairs.filter((p) => pair === undefined || p.name === pair);
  if (pairs.length === 0) return undefined;
  const [{ SyncIndex }, { confirmHeldDeletes }] = await Promise.all([
    import('../agent/store/index-db.js'),
    import('../agent/engine/pair-sync.js'),
  ]);
  const index = SyncIndex.open(path.join(config.state.dir, 'index.sqlite'));
  try {
    return pairs.map((p) => {
      const rec = index.getPair(p.name);
      const held = rec ? confirmHeldDeletes(index, rec.id) : undefined;
      return { name: p.name, count: held?.paths.length ?? 0 };
    });
  } finally {
    index.close();
  }
}

/** File states a person needs to act on (the exit code says so, as the overall status does). */
const NEEDS_A_LOOK = new Set(['conflict', 'ignored']);

/** `vosync status PATH…`: each path's state in words (or the GET /files documents with --json). */
async function filesStatus(ctx: Ctx, client: StatusClient, paths: string[]): Promise<number> {
  const docs: FileStatusDoc[] = [];
  for (const p of paths) {
    const abs = ctx.local(p);
    docs.push(await client.call<FileStatusDoc>('GET', `/files?path=${encodeURIComponent(abs)}`));
  }
  ctx.result({ files: docs });
  for (const d of docs) {
    const moving =
      d.transfer?.size && d.transfer.bytesDone !== null
        ? ` ${Math.floor((100 * d.transfer.bytesDone) / d.transfer.size)} %`
        : '';
    const state = d.transfer
      ? `${d.transfer.direction === 'up' ? 'uploading' : 'downloading'}${moving}`
      : d.state;
    ctx.out(`${d.localPath}: ${state}${d.reason ? ` (${d.reason})` : ''}\n`);
  }
  if (docs.some((d) => d.state === 'error')) return HEALTH.critical;
  return docs.some((d) => NEEDS_A_LOOK.has(d.state)) ? HEALTH.warning : HEALTH.ok;
}

/** A tray plugin's menu: always exit 0, the state is in what it prints (also when the daemon is down). */
async function trayMenu(ctx: Ctx, flags: ConfigFlags, flavour: TrayFlavour, self: string[]): Promise<number> {
  let configPath = flags.config;
  try {
    const c = clientFor(ctx.io, flags);
    configPath = c.configPath;
    const s = await c.client.call<StatusDoc>('GET', '/status');
    ctx.out(trayOutput(s, { flavour, self, common: ['--config', configPath] }));
  } catch (e) {
    const why = e instanceof ConfigError ? 'the config file has errors' : (e as Error).message;
    const common = configPath ? ['--config', configPath] : [];
    ctx.out(trayOutput({ unreachable: why }, { flavour, self, common }));
  }
  return 0;
}

function pairQuery(pair: string | undefined): string {
  return pair ? `?pair=${encodeURIComponent(pair)}` : '';
}

export type StatusFlags = ConfigFlags & { tray?: string | boolean; open?: boolean };

/** `vosync status`; `self` and `openBrowser` as `registerStatus` was given them. */
export async function runStatus(
  ctx: Ctx,
  paths: string[],
  flags: StatusFlags,
  { self, openBrowser }: { self: string[]; openBrowser: (url: string) => void },
): Promise<number> {
  const flavour: TrayFlavour | undefined =
    flags.tray === undefined || flags.tray === false ? undefined : flags.tray === 'argos' ? 'argos' : 'xbar';
  if (typeof flags.tray === 'string' && flags.tray !== 'xbar' && flags.tray !== 'argos')
    throw new CliError(`--tray takes xbar or argos, not ${flags.tray}`, 22);
  if (flavour) return trayMenu(ctx, flags, flavour, self);
  return guarded(async () => {
    const { client } = clientFor(ctx.io, flags);
    if (flags.open) {
      const s = await client.call<SessionDoc>('POST', '/session');
      ctx.out(
        `Status page (this link works once, within ${Math.round((s.expiresAt - Date.now()) / 60_000)} min):\n${s.url}\n`,
      );
      ctx.result({ url: s.url, expiresAt: s.expiresAt });
      openBrowser(s.url);
      return 0;
    }
    if (paths.length > 0) return filesStatus(ctx, client, paths);
    const s = await client.call<StatusDoc>('GET', '/status');
    ctx.result(s);
    if (!ctx.json) {
      const [errors, conflicts, notSynced] = await Promise.all([
        client.call<ErrorsDoc>('GET', '/errors?limit=100'),
        client.call<ConflictsDoc>('GET', '/conflicts?limit=100'),
        client.call<NotSyncedDoc>('GET', '/not-synced?limit=20'),
      ]);
      ctx.out(
        humanSummary(s, {
          errors: errors.errors,
          conflicts: conflicts.conflicts,
          notSynced: notSynced.items,
        }),
      );
    }
    return healthCode(s);
  });
}

export async function runPause(ctx: Ctx, pair: string | undefined, flags: ConfigFlags) {
  return guarded(async () => {
    const s = await clientFor(ctx.io, flags).client.call<StatusDoc>('POST', `/pause${pairQuery(pair)}`);
    ctx.out(`paused ${pair ?? `all ${s.pairs.length} pair(s)`}\n`);
    ctx.result({ paused: pair ? [pair] : s.pairs.map((p) => p.name) });
    return 0;
  });
}

export async function runResume(
  ctx: Ctx,
  pair: string | undefined,
  flags: ConfigFlags & { confirmDeletes?: boolean },
) {
  return guarded(async () => {
    const q = new URLSearchParams();
    if (pair) q.set('pair', pair);
    if (flags.confirmDeletes) q.set('confirmDeletes', 'true');
    const qs = q.toString();
    let s: StatusDoc;
    try {
      s = await clientFor(ctx.io, flags).client.call<StatusDoc>('POST', `/resume${qs ? `?${qs}` : ''}`);
    } catch (e) {
      if (!(e instanceof DaemonUnreachable && flags.confirmDeletes)) throw e;
      // Unattended use (cron): no daemon to tell, so the confirmation is kept for the next run.
      const confirmed = await recordDeleteConfirmation(ctx.io, flags, pair);
      if (!confirmed) throw new CliError(`no pair named ${pair}`, 2);
      const held = confirmed.filter((c) => c.count > 0);
      const words = held.map((c) => `${c.name} (${c.count} deletion(s))`).join(', ');
      ctx.out(
        held.length > 0
          ? `vosync is not running: confirmation recorded for ${words}; the next \`vosync once\` or ` +
              '`vosync daemon` carries out exactly these deletions (a different set pauses again)\n'
          : 'vosync is not running, and no pair holds deletions back: nothing to confirm\n',
      );
      ctx.result({ daemonRunning: false, confirmed: held });
      return 0;
    }
    ctx.out(`resumed ${pair ?? `all ${s.pairs.length} pair(s)`}\n`);
    const confirmed: { name: string; count: number }[] = [];
    for (const p of s.pairs)
      if (flags.confirmDeletes && p.heldDeletes?.confirmed) {
        const count = p.heldDeletes.local + p.heldDeletes.remote;
        confirmed.push({ name: p.name, count });
        ctx.out(`  ${p.name}: confirmed ${count} deletion(s), as vosync status showed them\n`);
      }
    ctx.result({
      daemonRunning: true,
      resumed: pair ? [pair] : s.pairs.map((p) => p.name),
      confirmed,
    });
    return 0;
  });
}

export async function runRescan(ctx: Ctx, pair: string | undefined, flags: ConfigFlags) {
  return guarded(async () => {
    const s = await clientFor(ctx.io, flags).client.call<StatusDoc>('POST', `/rescan${pairQuery(pair)}`);
    ctx.out(`rescan of ${pair ?? 'all pairs'} started\n`);
    ctx.result({ rescanning: pair ? [pair] : s.pairs.map((p) => p.name) });
    return 0;
  });
}

export async function runLog(ctx: Ctx, flags: ConfigFlags & { limit: string; pair?: string }) {
  return guarded(async () => {
    const q = new URLSearchParams({ limit: flags.limit });
    if (flags.pair) q.set('pair', flags.pair);
    const a = await clientFor(ctx.io, flags).client.call<ActivityDoc>('GET', `/activity?${q.toString()}`);
    ctx.result(a);
    for (const x of [...a.activity].reverse()) {
      const at = new Date(x.at).toISOString().replace('T', ' ').slice(0, 19);
      const words = actionWords(x.action, x.path, x.result, { bytes: x.bytes, message: x.message });
      ctx.out(`${at}  ${x.pair}  ${words}\n`);
    }
    return 0;
  });
}

export async function runReload(ctx: Ctx, flags: ConfigFlags) {
  return guarded(async () => {
    const r = await clientFor(ctx.io, flags).client.call<ReloadDoc>('POST', '/reload');
    ctx.result(r);
    if (!r.ok) {
      const message =
        `${r.file} has ${r.errors.length} problem(s); the daemon keeps its previous config:\n` +
        r.errors.map((e) => `  ${e}\n`).join('');
      ctx.io.stderr.write(`${ctx.name}: ${message}`);
      ctx.failed('config', message.trimEnd());
      return 1;
    }
    const lines = [`reloaded ${r.file}`];
    if (r.applied.length === 0) lines.push('  nothing changed');
    if (r.pairsAdded.length) lines.push(`  started: ${r.pairsAdded.join(', ')}`);
    if (r.pairsRemoved.length)
      lines.push(`  stopped: ${r.pairsRemoved.join(', ')} (their folders are left as they are)`);
    if (r.pairsRestarted.length) lines.push(`  restarted: ${r.pairsRestarted.join(', ')}`);
    const settings = r.applied.filter((a) => !a.startsWith('pairs.'));
    if (settings.length) lines.push(`  applied: ${settings.join(', ')}`);
    if (r.restartNeeded.length) lines.push(`  restart the daemon to apply: ${r.restartNeeded.join(', ')}`);
    ctx.out(lines.join('\n') + '\n');
    return 0;
  });
}
