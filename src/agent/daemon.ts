/**
 * The daemon: runs a pair runner (pair-runner.ts) for every configured pair, applies config reloads, holds the
 * agent lock and the status store, and sends notifications. Stops safely: in-flight actions finish, nothing new
 * starts.
 */
import path from 'node:path';
import {
  ConfigError,
  formatConfigIssues,
  loadConfig,
  type PairConfig,
  type VosyncConfig,
} from './config/index.js';
import { diffConfigs, type ConfigChanges } from './config/diff.js';
import { ensurePrivateDir } from './config/paths.js';
import { SyncIndex } from './store/index-db.js';
import type { Logger } from './log.js';
import { Notifications } from './status/notifications.js';
import { StatusStore } from './status/status.js';
import { acquirePidLock, type PidLock } from '../util/pid-lock.js';
import { VERSION } from '../util/version.js';
import { VosError } from '../util/errors.js';
import type { RemoteService } from './remote/port.js';
import { connectVospace } from './remote/vospace/connect.js';
import { PairRunner } from './pair-runner.js';

export interface DaemonOptions {
  config: VosyncConfig;
  log: Logger;
  now?: () => number;
  /** Override the remote service (tests); otherwise connected as the config's registry and auth say. */
  remotes?: RemoteService;
  /** Watcher timings (tests and benchmarks use shorter ones). */
  watch?: { debounceMs?: number; stableMs?: number; maxWaitMs?: number };
  host?: string;
  /** Reads the config again on reload; default: `loadConfig` of the file the config came from. */
  readConfig?: (file: string) => VosyncConfig;
  /** The log level was set on the command line (`-v`): a reload does not change it. */
  fixedLogLevel?: boolean;
}

/** What a reload did, or why it did nothing. */
export interface ReloadResult {
  ok: boolean;
  file: string;
  /** Why the new file was refused (file:line:column: path: problem), when `ok` is false. */
  errors: string[];
  pairsAdded: string[];
  pairsRemoved: string[];
  pairsRestarted: string[];
  /** Settings that took effect, as config paths. */
  applied: string[];
  /** Settings that changed but wait for a restart of the daemon, as config paths. */
  restartNeeded: string[];
}

/** How long cycles get to wind down once their requests were cut off at shutdown. */
const STOP_SETTLE_MS = 1000;

/** The lock file in the state directory naming the agent that uses it. */
export const AGENT_LOCK = 'agent.lock';

export class Daemon {
  readonly status: StatusStore;
  readonly index: SyncIndex;
  remotes!: RemoteService;
  private current: VosyncConfig;
  /** Reloads run one after another. */
  private reloads: Promise<unknown> = Promise.resolve();
  readonly now: () => number;
  readonly host: string | undefined;
  readonly watchOptions: { debounceMs?: number; stableMs?: number; maxWaitMs?: number };
  private readonly runners = new Map<string, PairRunner>();
  private housekeeping: NodeJS.Timeout | undefined;
  private readonly lock: PidLock;
  private readonly notifications: Notifications;
  private readonly unsubscribe: () => void;

  constructor(
    config: VosyncConfig,
    readonly log: Logger,
    private readonly opts: DaemonOptions,
  ) {
    this.current = config;
    this.now = opts.now ?? Date.now;
    this.host = opts.host;
    this.watchOptions = opts.watch ?? {};
    this.status = new StatusStore(this.now, VERSION);
    this.status.setConfigFile(config.source);
    this.notifications = new Notifications({
      settings: () => this.current.notifications,
      facts: (pair) => this.runners.get(pair)?.notifyFacts(),
      now: this.now,
      log,
    });
    this.unsubscribe = this.status.subscribe((pair) => this.notifications.check(pair));
    ensurePrivateDir(config.state.dir);
    // One agent per state: a second daemon, or `vosync once` beside a daemon, would sync the same pairs
    // against the same index at the same time.
    this.lock = acquirePidLock(
      path.join(config.state.dir, AGENT_LOCK),
      (pid) => `vosync is already running (pid ${pid}) with the state in ${config.state.dir}`,
    );
    try {
      this.index = SyncIndex.open(path.join(config.state.dir, 'index.sqlite'));
    } catch (e) {
      this.lock.release();
      throw e;
    }
  }

  /** The configuration in force (replaced by a successful reload). */
  get config(): VosyncConfig {
    return this.current;
  }

  static async create(opts: DaemonOptions): Promise<Daemon> {
    const d = new Daemon(opts.config, opts.log, opts);
    d.remotes = opts.remotes ?? (await connectVospace(opts.config));
    return d;
  }

  async start(): Promise<void> {
    for (const w of this.config.warnings) this.log.warn(`config: ${w.path}: ${w.message}`);
    for (const pair of this.config.pairs) await this.startRunner(pair);
    this.housekeeping = setInterval(() => {
      for (const r of this.runners.values()) r.refreshStale();
      // The offline threshold passes without any change of status.
      for (const name of this.runners.keys()) this.notifications.check(name);
    }, 30_000);
    this.housekeeping.unref();
    for (const r of this.runners.values()) void r.prune();
    this.log.info(`vosync ${VERSION}: watching ${this.config.pairs.length} pair(s)`);
  }

  private select(pair?: string): PairRunner[] {
    if (!pair) return [...this.runners.values()];
    const r = this.runners.get(pair);
    if (!r) throw new VosError('not-found', `no pair named ${pair}`);
    return [r];
  }

  pause(pair?: string): void {
    for (const r of this.select(pair)) r.pause();
  }

  /** Notifications about a pair start from what it holds now. */
  notifyFrom(pair: string): void {
    this.notifications.begin(pair);
  }

  resume(pair?: string, confirmDeletes = false): void {
    for (const r of this.select(pair)) r.resume(confirmDeletes);
  }

  rescan(pair?: string): void {
    for (const r of this.select(pair)) r.request({ full: true, remote: true });
  }

  refreshStale(): void {
    for (const r of this.runners.values()) r.refreshStale();
  }

  private async startRunner(pair: PairConfig, pausedByUser = false): Promise<void> {
    const runner = new PairRunner(this, pair);
    this.runners.set(pair.name, runner);
    await runner.start();
    if (pausedByUser) runner.pause();
  }

  /**
   * Reads the config file again (SIGHUP, `vosync reload`). A file with mistakes changes nothing: the daemon
   * keeps running as it was and says why. Otherwise the differences take effect: new pairs start, removed
   * pairs stop (nothing is deleted on either side), changed pairs restart after their running cycle, and
   * settings read only at start-up are reported as waiting for a restart.
   */
  reload(): Promise<ReloadResult> {
    const run = this.reloads.then(() => this.reloadNow());
    this.reloads = run.catch(() => undefined);
    return run;
  }

  private async reloadNow(): Promise<ReloadResult> {
    const file = this.current.source;
    const empty = { pairsAdded: [], pairsRemoved: [], pairsRestarted: [], applied: [], restartNeeded: [] };
    let next: VosyncConfig;
    try {
      next = (this.opts.readConfig ?? loadConfig)(file);
    } catch (e) {
      const errors =
        e instanceof ConfigError
          ? formatConfigIssues(e.issues, e.source).split('\n')
          : [`${file}: ${(e as Error).message}`];
      this.status.setConfigReload({ at: this.now(), errors, restartNeeded: [] });
      this.log.error(`config reload refused, still running with the previous config:\n${errors.join('\n')}`);
      return { ok: false, file, errors, ...empty };
    }
    const changes = diffConfigs(this.current, next);
    const old = this.current;
    // Settings bound at start-up keep their running values until a restart, so the daemon's view stays true.
    this.current = {
      ...next,
      status: old.status,
      state: old.state,
      log: { ...next.log, file: old.log.file, maxSizeMB: old.log.maxSizeMB, maxFiles: old.log.maxFiles },
    };
    for (const w of next.warnings) this.log.warn(`config: ${w.path}: ${w.message}`);
    await this.applyChanges(changes, old);
    this.status.setConfigReload({ at: this.now(), errors: null, restartNeeded: changes.restartNeeded });
    this.log.info(
      `config reloaded from ${file}: ` +
        (changes.applied.length ? `applied ${changes.applied.join(', ')}` : 'no changes') +
        (changes.restartNeeded.length ? `; restart needed for ${changes.restartNeeded.join(', ')}` : ''),
    );
    return {
      ok: true,
      file,
      errors: [],
      pairsAdded: changes.pairsAdded,
      pairsRemoved: changes.pairsRemoved,
      pairsRestarted: changes.pairsRestarted,
      applied: changes.applied,
      restartNeeded: changes.restartNeeded,
    };
  }

  private async applyChanges(changes: ConfigChanges, old: VosyncConfig): Promise<void> {
    if (changes.applied.includes('log.level') && !this.opts.fixedLogLevel)
      this.log.level = this.config.log.level;
    const stopping = [...changes.pairsRemoved, ...changes.pairsRestarted];
    const pausedByUser = new Set<string>();
    await Promise.all(
      stopping.map(async (name) => {
        const runner = this.runners.get(name);
        if (!runner) return;
        if (runner.pausedByUser) pausedByUser.add(name);
        await runner.stop(30_000);
        this.runners.delete(name);
      }),
    );
    for (const name of changes.pairsRemoved) {
      this.status.removePair(name);
      this.log.info(`pair ${name}: removed from the config; stopped (its folders are left as they are)`);
    }
    if (changes.clientChanged && !this.opts.remotes) {
      const previous = this.remotes;
      try {
        this.remotes = await connectVospace(this.config);
        await previous.close();
      } catch (e) {
        this.log.error(`config reload: cannot set up the new connection settings: ${(e as Error).message}`);
        this.remotes = previous;
        this.current = {
          ...this.current,
          registry: old.registry,
          services: old.services,
          auth: old.auth,
          transfers: old.transfers,
        };
      }
    }
    const pairs = new Map(this.config.pairs.map((p) => [p.name, p]));
    for (const name of [...changes.pairsRestarted, ...changes.pairsAdded]) {
      const pair = pairs.get(name);
      if (!pair) continue;
      await this.startRunner(pair, pausedByUser.has(name));
      this.log.info(
        `pair ${name}: ${changes.pairsAdded.includes(name) ? 'started' : 'restarted'} (config reload)`,
      );
    }
  }

  /** Stops taking new work, lets in-flight transfers finish (up to `graceMs`), closes everything. */
  async stop(graceMs = 30_000): Promise<void> {
    if (this.housekeeping) clearInterval(this.housekeeping);
    this.unsubscribe();
    await Promise.all([...this.runners.values()].map((r) => r.stop(graceMs)));
    // What outlived the grace (a stalled transfer, an endless listing) is cut off, not waited for.
    if (!this.opts.remotes) await this.remotes.destroy();
    await Promise.all([...this.runners.values()].map((r) => r.settle(STOP_SETTLE_MS)));
    this.index.close();
    this.lock.release();
    this.log.info('vosync stopped');
  }
}
