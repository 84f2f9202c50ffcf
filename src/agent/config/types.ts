/**
 * The daemon's configuration after validation: every default filled in, every path absolute and expanded,
 * every remote parsed. This is what the rest of the agent reads; the YAML shape lives in schema.ts.
 */
import type { NodeLocation } from '../remote/vospace/location.js';
import type { AuthConfig, TransferLimits } from '../remote/vospace/settings.js';
import type { ConflictPolicy, SyncMode } from '../model.js';
import type { ConfigIssue } from './issues.js';

export { DEFAULT_REGISTRY } from '../remote/vospace/location.js';
export { PASSWORD_ENV, type AuthConfig, type TransferLimits } from '../remote/vospace/settings.js';

export const SYNC_MODES = ['two-way', 'backup', 'mirror-down'] as const satisfies readonly SyncMode[];
export const CONFLICT_POLICIES = [
  'keep-both',
  'local-wins',
  'remote-wins',
  'newer-wins',
] as const satisfies readonly ConflictPolicy[];
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFileFormat = (typeof LOG_FORMATS)[number];

/** Built-in defaults; the example file documents the same values. */
export const DEFAULTS = {
  transfers: { concurrency: 4, requestsPerSecond: 0, bytesPerSecond: 0, retries: 5, timeoutSeconds: 120 },
  schedule: { remotePoll: '*/5 * * * *', fullRescan: '0 * * * *' },
  log: {
    level: 'info' as LogLevel,
    fileName: 'vosync.log',
    maxSizeMB: 10,
    maxFiles: 5,
    format: 'text' as LogFileFormat,
  },
  status: { port: 7878, tokenFileName: 'status-token' },
  trash: { keepDays: 30 },
  notifications: { enabled: true, offlineMinutes: 10 },
  pair: {
    mode: 'two-way' as SyncMode,
    conflict: 'keep-both' as ConflictPolicy,
    deleteLimits: { maxShare: 0.5, maxCount: 1000 },
  },
  /** CADC's tools keep the proxy certificate from `cadc-get-cert` here. */
  certificate: '~/.ssl/cadcproxy.pem',
} as const;

/** Cron expressions (5 fields, or 6 with seconds first), as node-cron accepts them. */
export interface Schedules {
  /** When to list the remote side for changes. */
  remotePoll: string;
  /** When to rescan the local folder fully (the safety net for missed watcher events). */
  fullRescan: string;
}

/** Per-pair delete caps (engine/delete-safety.ts takes them as maxDeleteShare / maxDeleteCount). */
export interface PairDeleteLimits {
  /** Largest share (0..1) of a pair's files one run may delete before the pair pauses and asks. */
  maxShare: number;
  /** Largest number of deletes one run may do before the pair pauses and asks. */
  maxCount: number;
}

export interface PairConfig {
  /** Unique, [A-Za-z0-9_-]+; derived from the folder name when not given. */
  name: string;
  /** Absolute, normalised local folder. */
  local: string;
  /** The remote as written in the file, e.g. `vos:alice/results`. */
  remote: string;
  /** The parsed remote: service (resource ID or http(s) base) and node path. */
  location: NodeLocation;
  /** Canonical `vos://authority/path` of the remote folder. */
  remoteUri: string;
  mode: SyncMode;
  conflict: ConflictPolicy;
  /** gitignore-syntax patterns relative to the pair root, in file order. */
  ignore: string[];
  deleteLimits: PairDeleteLimits;
  /** Backup mode only: also delete remotely what was deleted locally. Always false in other modes. */
  propagateDeletes: boolean;
  /**
   * Map names the remote cannot hold (spaces, brackets, `%`…) to `~HH` escapes and back (default true). Off:
   * such names stay local and are reported as not synced.
   */
  nameEncoding: boolean;
  /** True when the file allowed the local folder to be the home folder itself. */
  allowHomeRoot: boolean;
  /** The effective schedule: the pair's overrides on top of the global one. */
  schedule: Schedules;
}

export interface VosyncConfig {
  /** The file (or name) the configuration came from. */
  source: string;
  /** Registry `resource-caps` URL used to find services. */
  registry: string;
  /** Extra scheme → resource ID or http(s) service base mappings (on top of vos:, vault:, arc:). */
  services: Record<string, string>;
  auth: AuthConfig;
  transfers: TransferLimits;
  schedule: Schedules;
  log: { level: LogLevel; file: string; maxSizeMB: number; maxFiles: number; format: LogFileFormat };
  /** Loopback status API. Port 0 = pick a free port. The token file is created with mode 0600. */
  status: { port: number; tokenFile: string };
  trash: { keepDays: number };
  /**
   * Desktop notifications (notify-send, osascript): on, after how many minutes offline, and a program to run
   * instead (called with the title and the message), e.g. a script of one's own.
   */
  notifications: { enabled: boolean; offlineMinutes: number; command?: string };
  /** Where the SQLite index and other state live. */
  state: { dir: string };
  pairs: PairConfig[];
  /** Things that are allowed but probably unintended (shown by `vosync config check` and logged at start). */
  warnings: ConfigIssue[];
}
