/**
 * What a config reload changes: which pairs start, stop or restart, which settings take effect at once, and
 * which only take effect after a restart of the daemon. Pure, so every rule is a table row in the tests.
 */
import { isDeepStrictEqual } from 'node:util';
import type { PairConfig, VosyncConfig } from './index.js';

export interface ConfigChanges {
  /** Pairs only in the new file: started. */
  pairsAdded: string[];
  /** Pairs only in the old file: stopped (their index records and both folders are left as they are). */
  pairsRemoved: string[];
  /** Pairs in both whose settings differ, or every remaining pair when the client must be rebuilt: restarted. */
  pairsRestarted: string[];
  /** Registry, services, auth or a client-level transfer limit changed: a new client is built. */
  clientChanged: boolean;
  /** Settings that take effect at once, as config paths (e.g. `transfers.concurrency`). */
  applied: string[];
  /** Settings that changed but are only read at start-up, as config paths: they wait for a restart. */
  restartNeeded: string[];
}

/** Read once by the HTTP client: a change means building a new one. */
const CLIENT_SETTINGS = ['registry', 'services', 'auth'] as const;
const CLIENT_LIMITS = ['requestsPerSecond', 'bytesPerSecond', 'retries', 'timeoutSeconds'] as const;
/** Bound at start-up: the status API's socket and token, the index location, the log file's transport. */
const START_UP_SETTINGS: [string, (c: VosyncConfig) => unknown][] = [
  ['status.port', (c) => c.status.port],
  ['status.tokenFile', (c) => c.status.tokenFile],
  ['state.dir', (c) => c.state.dir],
  ['log.file', (c) => c.log.file],
  ['log.maxSizeMB', (c) => c.log.maxSizeMB],
  ['log.maxFiles', (c) => c.log.maxFiles],
  ['log.format', (c) => c.log.format],
];

function byName(pairs: readonly PairConfig[]): Map<string, PairConfig> {
  return new Map(pairs.map((p) => [p.name, p]));
}

export function diffConfigs(old: VosyncConfig, next: VosyncConfig): ConfigChanges {
  const applied: string[] = [];
  const restartNeeded: string[] = [];
  let clientChanged = false;
  for (const key of CLIENT_SETTINGS) {
    if (!isDeepStrictEqual(old[key], next[key])) {
      clientChanged = true;
      applied.push(key);
    }
  }
  for (const key of CLIENT_LIMITS) {
    if (old.transfers[key] !== next.transfers[key]) {
      clientChanged = true;
      applied.push(`transfers.${key}`);
    }
  }
  if (old.transfers.concurrency !== next.transfers.concurrency) applied.push('transfers.concurrency');
  if (old.log.level !== next.log.level) applied.push('log.level');
  if (old.trash.keepDays !== next.trash.keepDays) applied.push('trash.keepDays');
  if (!isDeepStrictEqual(old.notifications, next.notifications)) applied.push('notifications');
  for (const [key, get] of START_UP_SETTINGS) {
    if (!isDeepStrictEqual(get(old), get(next))) restartNeeded.push(key);
  }

  const before = byName(old.pairs);
  const after = byName(next.pairs);
  const pairsAdded = [...after.keys()].filter((n) => !before.has(n));
  const pairsRemoved = [...before.keys()].filter((n) => !after.has(n));
  const pairsRestarted = [...after.keys()].filter((n) => {
    const was = before.get(n);
    // The schedule is already merged into each pair, so a global schedule change shows up here too.
    return was !== undefined && (clientChanged || !isDeepStrictEqual(was, after.get(n)));
  });
  for (const n of pairsRestarted) {
    if (!isDeepStrictEqual(before.get(n), after.get(n))) applied.push(`pairs.${n}`);
  }
  for (const n of pairsAdded) applied.push(`pairs.${n} (new)`);
  for (const n of pairsRemoved) applied.push(`pairs.${n} (removed)`);
  return { pairsAdded, pairsRemoved, pairsRestarted, clientChanged, applied, restartNeeded };
}

/** Nothing to do: the file is the same as far as the daemon is concerned. */
export function isNoChange(c: ConfigChanges): boolean {
  return c.applied.length === 0 && c.restartNeeded.length === 0;
}
