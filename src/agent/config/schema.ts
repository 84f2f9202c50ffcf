/**
 * The YAML shape of the config as zod 4 schemas. Objects are strict (unknown keys are errors), empty
 * sections (`transfers:` with everything commented out) count as absent, and field-level transforms expand
 * paths and parse remotes so each problem is reported at the exact key it concerns. Checks across pairs
 * live in checks.ts; turning zod issues into readable messages lives in zod-issues.ts.
 */
import { z } from 'zod';
import { InvalidUriError } from '../../vospace/uri.js';
import { isRemote, locationUri, parseLocation, type NodeLocation } from '../../vospace/location.js';
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
    certificate: pathField.optional(),
    token: z.string().trim().min(1).optional(),
    tokenFile: pathField.optional(),
    username: z.string().trim().min(1).optional(),
    anonymous: z.boolean().optional(),
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
    concurrency: z.number().int().min(1).max(256).default(DEFAULTS.transfers.concurrency),
    requestsPerSecond: z.number().min(0).default(DEFAULTS.transfers.requestsPerSecond),
    bytesPerSecond: byteRateField(DEFAULTS.transfers.bytesPerSecond),
    retries: z.number().int().min(0).max(100).default(DEFAULTS.transfers.retries),
    timeoutSeconds: z.number().positive().max(86_400).default(DEFAULTS.transfers.timeoutSeconds),
  });

  const schedule = z.strictObject({
    remotePoll: cronField.default(DEFAULTS.schedule.remotePoll),
    fullRescan: cronField.default(DEFAULTS.schedule.fullRescan),
  });
  const pairSchedule = z.strictObject({ remotePoll: cronField.optional(), fullRescan: cronField.optional() });

  const log = z.strictObject({
    level: z.enum(LOG_LEVELS).default(DEFAULTS.log.level),
    file: pathField.optional(),
    maxSizeMB: z.number().positive().default(DEFAULTS.log.maxSizeMB),
    maxFiles: z.number().int().min(1).default(DEFAULTS.log.maxFiles),
    format: z.enum(LOG_FORMATS).default(DEFAULTS.log.format),
  });

  const status = z.strictObject({
    port: z.number().int().min(0).max(65535).default(DEFAULTS.status.port),
    tokenFile: pathField.optional(),
  });

  const trash = z.strictObject({ keepDays: z.number().int().min(1).default(DEFAULTS.trash.keepDays) });
  const state = z.strictObject({ dir: pathField.optional() });
  const notifications = z.strictObject({
    enabled: z.boolean().default(DEFAULTS.notifications.enabled),
    offlineMinutes: z.number().positive().max(10_080).default(DEFAULTS.notifications.offlineMinutes),
    command: pathField.optional(),
  });

  const deleteLimits = z.strictObject({
    maxShare: shareField(DEFAULTS.pair.deleteLimits.maxShare),
    maxCount: z.number().int().min(0).default(DEFAULTS.pair.deleteLimits.maxCount),
  });

  const pairFields = {
    name: z
      .string()
      .regex(PAIR_NAME_RE, { error: `expected a pair name of ${PAIR_NAME_EXPECTED}` })
      .optional(),
    local: z
      .string()
      .superRefine((v, ctx) => {
        if (isRemote(v, sc.schemes))
          custom(ctx, `${JSON.stringify(v)} is a remote location; 'local' is the folder on this computer`, {
            expected: 'a local folder path (put the vos:/arc: location under remote)',
          });
      })
      .pipe(pathField),
    remote: remoteField,
    mode: z.enum(SYNC_MODES).default(DEFAULTS.pair.mode),
    ignore: z.preprocess(nullAsAbsent, z.array(z.string().min(1)).default([])),
  };

  const pairObject = z.strictObject({
    ...pairFields,
    conflict: z.enum(CONFLICT_POLICIES).default(DEFAULTS.pair.conflict),
    deleteLimits: section(deleteLimits),
    propagateDeletes: z.boolean().optional(),
    nameEncoding: z.boolean().default(true),
    allowHomeRoot: z.boolean().default(false),
    schedule: section(pairSchedule),
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
      .default(DEFAULT_REGISTRY),
    services: z.preprocess(nullAsAbsent, services.default({})),
    auth: authField,
    transfers: section(transfers),
    schedule: section(schedule),
    log: section(log),
    status: section(status),
    trash: section(trash),
    notifications: section(notifications),
    state: section(state),
    pairs: z.preprocess(nullAsAbsent, z.array(pair).default([])),
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

  return { root, pair, pairFields, state: section(state), log: section(log), knownKeys };
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
