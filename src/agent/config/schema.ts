/**
 * The YAML shape of the config as zod 4 schemas. Objects are strict (unknown keys are errors), empty
 * sections (`transfers:` with everything commented out) count as absent, and field-level transforms expand
 * paths and parse remotes so each problem is reported at the exact key it concerns. Checks across pairs
 * live in checks.ts; turning zod issues into readable messages lives in zod-issues.ts.
 */
import { z } from 'zod';
import {
  InvalidUriError,
  isRemote,
  locationUri,
  parseLocation,
  type NodeLocation,
} from '../remote/vospace/location.js';
import { describeValue } from './issues.js';
import { expandPath, isFilesystemRoot, samePath, type HostContext } from './paths.js';
import { defaultStateDir, pathApi } from '../../util/platform-paths.js';
import {
  type AuthConfig,
  CONFLICT_POLICIES,
  DEFAULT_REGISTRY,
  DEFAULTS,
  LOG_FORMATS,
  LOG_LEVELS,
  SYNC_MODES,
  type PairConfig,
  type Schedules,
  type VosyncConfig,
} from './types.js';
import { CRON_EXPECTED, cronProblem, parseByteRate, parseShare } from './units.js';
import { CRON, PATH, doc } from './key-doc.js';

export interface SchemaContext {
  host: HostContext;
  /** Relative paths in the file resolve against this folder (the config file's). */
  baseDir: string;
  /** Schemes the file's `services` section defines (lower case), so pairs may use them. */
  schemes: Record<string, string>;
}

export const PAIR_NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;
export const PAIR_NAME_EXPECTED = "1 to 64 letters, digits, '_' or '-'";
export const SCHEME_RE = /^[a-z][a-z0-9+.-]+$/;
export const PATH_EXPECTED = "a path: absolute, starting with '~/', or relative to the config file's folder";
export const REMOTE_EXPECTED =
  'a remote folder such as vos:alice/results, arc:projects/x/y, vos://cadc.nrc.ca~vault/alice/results, or scheme:path with a scheme from services';

/** Extra per-issue data carried in zod custom issues' params. */
export interface IssueParams {
  expected?: string;
  suggestion?: string;
}

function custom(
  ctx: z.RefinementCtx,
  message: string,
  params: IssueParams = {},
  path?: (string | number)[],
): void {
  ctx.addIssue({ code: 'custom', message, params, ...(path ? { path } : {}) });
}

const nullAsAbsent = (v: unknown): unknown => (v === null ? undefined : v);

/** A section that may be missing or empty; its fields' defaults apply then. */
function section<S extends z.ZodObject>(schema: S) {
  return z.preprocess(nullAsAbsent, schema.prefault({} as z.input<S>));
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.hostname !== '';
  } catch {
    return false;
  }
}

/** A pair name derived from a folder name: illegal characters become '-'. */
export function deriveName(folder: string, platform: NodeJS.Platform): string {
  const base = pathApi(platform).basename(folder);
  const cleaned = base
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
  return cleaned === '' ? 'pair' : cleaned;
}

export interface ParsedRemote {
  remote: string;
  location: NodeLocation;
  remoteUri: string;
}

export function buildSchemas(sc: SchemaContext) {
  const { host } = sc;
  const pathField = z.string().transform((v, ctx) => {
    const r = expandPath(v, host, sc.baseDir);
    if (!r.ok) {
      custom(ctx, `${r.problem} in ${JSON.stringify(v)}`, { expected: PATH_EXPECTED });
      return z.NEVER;
    }
    return r.path;
  });

  const cronField = z.string().superRefine((v, ctx) => {
    const problem = cronProblem(v);
    if (problem)
      custom(ctx, `invalid cron expression ${JSON.stringify(v)}: ${problem}`, { expected: CRON_EXPECTED });
  });

  const byteRateField = (fallback: number) =>
    z
      .unknown()
      .transform((v, ctx) => {
        const r = parseByteRate(v);
        if (!r.ok) {
          custom(ctx, `expected ${r.expected}, found ${describeValue(v)}`, { expected: r.expected });
          return z.NEVER;
        }
        return r.value;
      })
      .default(fallback);

  const shareField = (fallback: number) =>
    z
      .unknown()
      .transform((v, ctx) => {
        const r = parseShare(v);
        if (!r.ok) {
          custom(ctx, `expected ${r.expected}, found ${describeValue(v)}`, { expected: r.expected });
          return z.NEVER;
        }
        return r.value;
      })
      .default(fallback);

  const remoteField = z.string().transform((v, ctx): ParsedRemote => {
    try {
      const location = parseLocation(v, sc.schemes);
      if (location.path === '') {
        custom(ctx, `${JSON.stringify(v)} is the service root; a pair must sync a folder below it`, {
          expected: REMOTE_EXPECTED,
        });
        return z.NEVER;
      }
      return { remote: v, location, remoteUri: locationUri(location) };
    } catch (err) {
      if (!(err instanceof InvalidUriError)) throw err;
      custom(ctx, err.message, { expected: REMOTE_EXPECTED });
      return z.NEVER;
    }
  });

  const auth = z.strictObject({
    certificate: pathField
      .optional()
      .meta(
        doc(
          'A CADC proxy certificate (PEM with the private key), as cadc-get-cert or vosync cert write it',
          PATH,
        ),
      ),
    token: z
      .string()
      .trim()
      .min(1)
      .optional()
      .meta(doc('A bearer token written here (keep the file private, chmod 600)')),
    tokenFile: pathField
      .optional()
      .meta(
        doc(
          'A file holding the bearer token (vosync login writes ~/.config/vosync/token); read again when needed',
          PATH,
        ),
      ),
    username: z
      .string()
      .trim()
      .min(1)
      .optional()
      .meta(doc('Log in with this CADC user name; the password comes only from $CADC_PASSWORD')),
    anonymous: z.boolean().optional().meta(doc('true: no credentials, public data only')),
  });
  const defaultCert = expandPath(DEFAULTS.certificate, host, sc.baseDir);
  const authField = section(auth).transform((a, ctx): AuthConfig => {
    const chosen = (['certificate', 'token', 'tokenFile', 'username', 'anonymous'] as const).filter((k) =>
      k === 'anonymous' ? a.anonymous === true : a[k] !== undefined,
    );
    if (chosen.length > 1) {
      custom(
        ctx,
        `choose one way to authenticate; found ${chosen.join(' and ')}`,
        { expected: 'exactly one of certificate, token, tokenFile, username, anonymous: true' },
        [chosen[1] as string],
      );
      return z.NEVER;
    }
    if (a.token !== undefined) return { kind: 'token', token: a.token };
    if (a.tokenFile !== undefined) return { kind: 'tokenFile', tokenFile: a.tokenFile };
    if (a.username !== undefined) return { kind: 'password', username: a.username };
    if (a.anonymous === true) return { kind: 'anonymous' };
    return {
      kind: 'certificate',
      certFile: a.certificate ?? (defaultCert.ok ? defaultCert.path : DEFAULTS.certificate),
    };
  });

  const services = z.record(z.string(), z.string()).superRefine((rec, ctx) => {
    for (const [scheme, target] of Object.entries(rec)) {
      if (!SCHEME_RE.test(scheme)) {
        const lower = scheme.toLowerCase();
        custom(
          ctx,
          `scheme name ${JSON.stringify(scheme)} is not usable`,
          {
            expected: 'a lower-case scheme name of two or more characters (letters, digits, +, ., -)',
            ...(SCHEME_RE.test(lower) ? { suggestion: lower } : {}),
          },
          [scheme],
        );
      }
      if (!/^ivo:\/\/[^/\s]+\/\S+$/.test(target) && !isHttpUrl(target))
        custom(
          ctx,
          `expected an ivo:// resource identifier (e.g. ivo://cadc.nrc.ca/vault) or an http(s) service URL, found ${JSON.stringify(target)}`,
          { expected: 'an ivo:// resource identifier or an http(s) service URL' },
          [scheme],
        );
    }
  });

  const transfers = z.strictObject({
    concurrency: z
      .number()
      .int()
      .min(1)
      .max(256)
      .default(DEFAULTS.transfers.concurrency)
      .meta(doc('Files transferred at the same time (1 to 256), over all pairs')),
    requestsPerSecond: z
      .number()
      .min(0)
      .default(DEFAULTS.transfers.requestsPerSecond)
      .meta(doc('Most HTTP requests per second to the services; 0 = no limit')),
    bytesPerSecond: byteRateField(DEFAULTS.transfers.bytesPerSecond).meta(
      doc(
        'Most bytes per second over all transfers; 0 = no limit',
        'bytes, or a size with a unit: "10MB", "512KiB", "1.5GB/s"',
      ),
    ),
    retries: z
      .number()
      .int()
      .min(0)
      .max(100)
      .default(DEFAULTS.transfers.retries)
      .meta(
        doc(
          'Retries of a request that may pass later (5xx, resets, timeouts), with back-off honouring Retry-After',
        ),
      ),
    timeoutSeconds: z
      .number()
      .positive()
      .max(86_400)
      .default(DEFAULTS.transfers.timeoutSeconds)
      .meta(doc('A request that receives nothing for this long is abandoned (and retried)')),
  });

  const remotePollDoc = doc('When to list the remote folders for changes made elsewhere', CRON);
  const fullRescanDoc = doc(
    'When to rescan the local folders fully (the safety net for missed watcher events)',
    CRON,
  );
  const schedule = z.strictObject({
    remotePoll: cronField.default(DEFAULTS.schedule.remotePoll).meta(remotePollDoc),
    fullRescan: cronField.default(DEFAULTS.schedule.fullRescan).meta(fullRescanDoc),
  });
  const pairSchedule = z.strictObject({
    remotePoll: cronField.optional().meta({ ...remotePollDoc, default: 'the global schedule' }),
    fullRescan: cronField.optional().meta({ ...fullRescanDoc, default: 'the global schedule' }),
  });

  const log = z.strictObject({
    level: z.enum(LOG_LEVELS).default(DEFAULTS.log.level).meta(doc('The least important lines logged')),
    file: pathField
      .optional()
      .meta({ ...doc('The log file, rotated to FILE.1 … FILE.N', PATH), default: 'vosync.log in state.dir' }),
    maxSizeMB: z
      .number()
      .positive()
      .default(DEFAULTS.log.maxSizeMB)
      .meta(doc('Size in MB at which the file is rotated')),
    maxFiles: z
      .number()
      .int()
      .min(1)
      .default(DEFAULTS.log.maxFiles)
      .meta(doc('Rotated files kept (FILE.1 is the newest)')),
    format: z
      .enum(LOG_FORMATS)
      .default(DEFAULTS.log.format)
      .meta(
        doc(
          "The file's lines: text for people, json for log tools (under systemd the file is written only for json)",
        ),
      ),
  });

  const status = z.strictObject({
    port: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(DEFAULTS.status.port)
      .meta(doc('TCP port of the loopback status API; 0 = any free port')),
    tokenFile: pathField.optional().meta({
      ...doc('File holding the API token (mode 0600)', PATH),
      default: 'status-token next to the config file',
    }),
  });

  const trash = z.strictObject({
    keepDays: z
      .number()
      .int()
      .min(1)
      .default(DEFAULTS.trash.keepDays)
      .meta(doc('Days a trashed version is kept before it is removed for good')),
  });
  const state = z.strictObject({
    dir: pathField.optional().meta({
      ...doc('Where the index (SQLite) and other state live', PATH),
      default:
        '$XDG_STATE_HOME/vosync (Linux), ~/Library/Application Support/vosync/state (macOS), %LOCALAPPDATA%\\vosync (Windows)',
    }),
  });
  const notifications = z.strictObject({
    enabled: z
      .boolean()
      .default(DEFAULTS.notifications.enabled)
      .meta(doc('Desktop notifications: a new conflict, a safety pause, a failing action, a long outage')),
    offlineMinutes: z
      .number()
      .positive()
      .max(10_080)
      .default(DEFAULTS.notifications.offlineMinutes)
      .meta(doc('Minutes out of reach before "offline" is said')),
    command: pathField
      .optional()
      .meta(doc('A program to run instead, with the title and the message as its two arguments', PATH)),
  });

  const deleteLimits = z.strictObject({
    maxShare: shareField(DEFAULTS.pair.deleteLimits.maxShare).meta(
      doc(
        "A run deleting more than this share of the pair's files (with the deletions of the last 10 minutes) pauses it and asks first",
        'a number 0 to 1, or "50%"',
      ),
    ),
    maxCount: z
      .number()
      .int()
      .min(0)
      .default(DEFAULTS.pair.deleteLimits.maxCount)
      .meta(
        doc(
          'A run deleting more than this many files (with the deletions of the last 10 minutes) pauses the pair and asks first',
        ),
      ),
  });

  const pairFields = {
    name: z
      .string()
      .regex(PAIR_NAME_RE, { error: `expected a pair name of ${PAIR_NAME_EXPECTED}` })
      .optional()
      .meta({
        ...doc(`A unique name: ${PAIR_NAME_EXPECTED}`),
        default: "derived from the local folder's name",
      }),
    local: z
      .string()
      .superRefine((v, ctx) => {
        if (isRemote(v, sc.schemes))
          custom(ctx, `${JSON.stringify(v)} is a remote location; 'local' is the folder on this computer`, {
            expected: 'a local folder path (put the vos:/arc: location under remote)',
          });
      })
      .pipe(pathField)
      .meta(
        doc(
          'The local folder; not a file system root, nor your whole home folder unless allowHomeRoot',
          PATH,
        ),
      ),
    remote: remoteField.meta(
      doc(
        'The remote folder, below the service root',
        'vos:path, arc:path, vos://authority/path or scheme:path',
      ),
    ),
    mode: z
      .enum(SYNC_MODES)
      .default(DEFAULTS.pair.mode)
      .meta(doc('two-way: both directions; backup: upload only; mirror-down: download only')),
    ignore: z.preprocess(nullAsAbsent, z.array(z.string().min(1)).default([])).meta({
      ...doc(
        'Paths never synced, in .gitignore syntax (a .vosyncignore file in any folder adds more)',
        'list of patterns',
      ),
      default: '[]',
    }),
  };

  const pairObject = z.strictObject({
    ...pairFields,
    conflict: z
      .enum(CONFLICT_POLICIES)
      .default(DEFAULTS.pair.conflict)
      .meta(
        doc(
          'Which version keeps the name when both sides changed a file; the other is kept as a conflict copy (two-way)',
        ),
      ),
    deleteLimits: section(deleteLimits).meta(
      doc('When a run deletes this much, counting the last 10 minutes, the pair pauses and asks first'),
    ),
    propagateDeletes: z
      .boolean()
      .optional()
      .meta({
        ...doc('backup mode only: also delete on the server what was deleted here'),
        default: 'false',
      }),
    nameEncoding: z
      .boolean()
      .default(true)
      .meta(
        doc('Store names CADC cannot hold as ~HH escapes (My~20Paper.pdf); false: such files stay local'),
      ),
    allowHomeRoot: z
      .boolean()
      .default(false)
      .meta(doc('Allow the local folder to be your whole home folder')),
    schedule: section(pairSchedule).meta(doc("This pair's own schedule (unset keys follow the global one)")),
  });

  const pair = pairObject.transform((p, ctx) => {
    const platform = host.platform;
    if (isFilesystemRoot(p.local, platform)) {
      custom(ctx, `the local folder ${p.local} is the root of a file system; choose a folder inside it`, {}, [
        'local',
      ]);
    } else if (samePath(p.local, host.homedir, platform) && !p.allowHomeRoot) {
      custom(
        ctx,
        `the local folder ${p.local} is your whole home folder; choose a folder inside it, or set allowHomeRoot: true if you really mean it`,
        {},
        ['local'],
      );
    }
    if (p.propagateDeletes !== undefined && p.mode !== 'backup') {
      custom(
        ctx,
        `propagateDeletes only applies to mode: backup (in ${p.mode} mode deletions follow the mode's own rules)`,
        { expected: 'no propagateDeletes key, or mode: backup' },
        ['propagateDeletes'],
      );
    }
    return {
      name: p.name ?? deriveName(p.local, platform),
      nameGiven: p.name !== undefined,
      local: p.local,
      ...p.remote,
      mode: p.mode,
      conflict: p.conflict,
      ignore: p.ignore,
      deleteLimits: p.deleteLimits,
      propagateDeletes: p.mode === 'backup' && p.propagateDeletes === true,
      nameEncoding: p.nameEncoding,
      allowHomeRoot: p.allowHomeRoot,
      scheduleOverride: p.schedule,
    };
  });

  const rootObject = z.strictObject({
    registry: z
      .string()
      .refine(isHttpUrl, { error: 'expected the http(s) URL of a registry resource-caps document' })
      .default(DEFAULT_REGISTRY)
      .meta(
        doc('The registry that finds the Vault and ARC services (an IVOA resource-caps document)', 'URL'),
      ),
    services: z.preprocess(nullAsAbsent, services.default({})).meta({
      ...doc(
        'Extra URI schemes for remotes: scheme → ivo:// identifier or http(s) service URL (vos:, vault:, arc: are built in)',
        'map',
      ),
      default: '{}',
    }),
    auth: authField.meta({
      ...doc('How to authenticate: exactly one of its keys'),
      default: 'certificate: ~/.ssl/cadcproxy.pem',
    }),
    transfers: section(transfers).meta(doc('Transfer limits, shared by all pairs')),
    schedule: section(schedule).meta(
      doc('When periodic work happens (local changes are seen at once by the watcher)'),
    ),
    log: section(log).meta(doc("The daemon's log")),
    status: section(status).meta(
      doc('The loopback status API that vosync status, the tray and the page read'),
    ),
    trash: section(trash).meta(doc('Versions replaced or deleted are kept in a trash on their side first')),
    notifications: section(notifications).meta(
      doc('Desktop notifications (notify-send on Linux, osascript on macOS)'),
    ),
    state: section(state).meta(doc('Where vosync keeps its index and other state')),
    pairs: z.preprocess(nullAsAbsent, z.array(pair).default([])).meta({
      ...doc('The folders to keep in sync: one local folder and one remote folder each', 'list of pairs'),
      default: '[]',
    }),
  });

  const root = rootObject.transform((c): Omit<VosyncConfig, 'source' | 'warnings'> => {
    const p = pathApi(host.platform);
    const stateDir = c.state.dir ?? defaultStateDir(host.env, host.platform, host.homedir);
    return {
      registry: c.registry,
      services: c.services,
      auth: c.auth,
      transfers: c.transfers,
      schedule: c.schedule,
      log: {
        level: c.log.level,
        file: c.log.file ?? p.join(stateDir, DEFAULTS.log.fileName),
        maxSizeMB: c.log.maxSizeMB,
        maxFiles: c.log.maxFiles,
        format: c.log.format,
      },
      status: {
        port: c.status.port,
        tokenFile: c.status.tokenFile ?? p.join(sc.baseDir, DEFAULTS.status.tokenFileName),
      },
      trash: c.trash,
      notifications: {
        enabled: c.notifications.enabled,
        offlineMinutes: c.notifications.offlineMinutes,
        ...(c.notifications.command ? { command: c.notifications.command } : {}),
      },
      state: { dir: stateDir },
      pairs: c.pairs.map((x) => finishPair(x, c.schedule)),
    };
  });

  /** Keys each object accepts, by structural path (`pairs[].deleteLimits`), for "did you mean". */
  const knownKeys: Record<string, readonly string[]> = {
    '': Object.keys(rootObject.shape),
    auth: Object.keys(auth.shape),
    transfers: Object.keys(transfers.shape),
    schedule: Object.keys(schedule.shape),
    log: Object.keys(log.shape),
    status: Object.keys(status.shape),
    trash: Object.keys(trash.shape),
    notifications: Object.keys(notifications.shape),
    state: Object.keys(state.shape),
    'pairs[]': Object.keys(pairObject.shape),
    'pairs[].deleteLimits': Object.keys(deleteLimits.shape),
    'pairs[].schedule': Object.keys(pairSchedule.shape),
  };

  /** Every object of the file by its structural path, for the generated reference (reference.ts). */
  const sections: Record<string, z.ZodObject> = {
    '': rootObject,
    auth,
    transfers,
    schedule,
    log,
    status,
    trash,
    notifications,
    state,
    'pairs[]': pairObject,
    'pairs[].deleteLimits': deleteLimits,
    'pairs[].schedule': pairSchedule,
  };

  return { root, pair, pairFields, state: section(state), log: section(log), knownKeys, sections };
}

export type ParsedPair = z.output<ReturnType<typeof buildSchemas>['pair']>;

function finishPair(p: ParsedPair, global: Schedules): PairConfig {
  return {
    name: p.name,
    local: p.local,
    remote: p.remote,
    location: p.location,
    remoteUri: p.remoteUri,
    mode: p.mode,
    conflict: p.conflict,
    ignore: p.ignore,
    deleteLimits: p.deleteLimits,
    propagateDeletes: p.propagateDeletes,
    nameEncoding: p.nameEncoding,
    allowHomeRoot: p.allowHomeRoot,
    schedule: {
      remotePoll: p.scheduleOverride.remotePoll ?? global.remotePoll,
      fullRescan: p.scheduleOverride.fullRescan ?? global.fullRescan,
    },
  };
}
