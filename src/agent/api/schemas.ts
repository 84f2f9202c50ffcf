/**
 * The status API's responses, as zod schemas: the one source of the documented JSON Schemas in
 * docs/schemas/ (see `jsonSchemas()`; a test keeps the files equal to them and checks real responses).
 */
import { z } from 'zod';

const time = () => z.number().int().nonnegative().describe('epoch milliseconds');
const count = () => z.number().int().nonnegative();

export const PAIR_STATES = [
  'starting',
  'idle',
  'scanning',
  'syncing',
  'paused',
  'error',
  'offline',
  'stale',
] as const;

export const FILE_STATES = [
  'synced',
  'pending-upload',
  'pending-download',
  'pending-delete',
  'pending-check',
  'syncing',
  'conflict',
  'error',
  'ignored',
  'local-only',
  'remote-only',
  'unknown',
] as const;

export const PairStateSchema = z
  .enum(PAIR_STATES)
  .describe(
    'idle: nothing running (see upToDate); scanning/syncing: a cycle is observing or acting; paused: by the user or a ' +
      'safety rule (see pausedReason); error: a permanent failure needs the user; offline: the server cannot be ' +
      'reached; stale: no successful sync within three expected poll intervals; starting: no cycle finished yet',
  );

export const ErrorItemSchema = z
  .strictObject({
    at: time(),
    pair: z.string(),
    path: z
      .string()
      .nullable()
      .describe('the file concerned, relative to the pair root; null for the pair as a whole'),
    message: z.string(),
    transient: z.boolean().describe('true: retried automatically; false: needs the user'),
  })
  .meta({ title: 'ErrorItem' });

export const ConflictItemSchema = z
  .strictObject({
    at: time(),
    pair: z.string(),
    path: z.string(),
    copy: z.string().nullable().describe('where the other version was kept, relative to the pair root'),
    message: z.string(),
  })
  .meta({ title: 'ConflictItem' });

export const ActivityItemSchema = z
  .strictObject({
    at: time(),
    pair: z.string(),
    path: z.string(),
    action: z.string().describe('upload, download, deleteLocal, deleteRemote, mkdirRemote, moveRemote, …'),
    result: z.enum(['done', 'skipped', 'failed']),
    bytes: count(),
    message: z.string().nullable(),
  })
  .meta({ title: 'ActivityItem' });

export const TransferSchema = z
  .strictObject({
    pair: z.string(),
    path: z.string(),
    direction: z.enum(['up', 'down']),
    size: count().nullable().describe('bytes, when known'),
    bytesDone: count().nullable().describe('bytes moved so far; null when progress cannot be observed'),
    startedAt: time(),
  })
  .meta({ title: 'Transfer' });

export const PendingSchema = z
  .strictObject({
    uploads: count(),
    downloads: count(),
    deletes: count(),
    other: count().describe('folder creations, moves, comparisons and other bookkeeping'),
    localChanges: count().describe('local changes noticed by the watcher that no cycle has looked at yet'),
  })
  .meta({ title: 'Pending' });

const upDown = (what: string) =>
  z.strictObject({
    up: count().describe(`${what} to upload`),
    down: count().describe(`${what} to download`),
  });

export const ProgressSchema = z
  .strictObject({
    filesLeft: upDown('files').describe(
      "the running (or last) plan's uploads and downloads not yet done; while offline, the ones queued",
    ),
    bytesLeft: upDown('bytes').describe(
      'bytes of those files not yet moved (a transfer in flight counts its rest)',
    ),
    bytesPerSecond: count().describe('bytes moved per second, both ways, over the last 10 s'),
    etaSeconds: count()
      .nullable()
      .describe(
        'seconds until bytesLeft is moved at bytesPerSecond; null when nothing is left or nothing moves',
      ),
  })
  .meta({ title: 'Progress' });

export const HeldDeletesSchema = z
  .strictObject({
    digest: z
      .string()
      .describe(
        'SHA-256 of the set; a confirmation covers this set and no other (a different plan pauses again)',
      ),
    local: count().describe('deletions on this computer (to the local trash)'),
    remote: count().describe('deletions on the server (to the remote trash)'),
    paths: z
      .array(z.strictObject({ side: z.enum(['local', 'remote']), path: z.string() }))
      .describe('the first 100, local side first, in path order'),
    confirmed: z
      .boolean()
      .describe(
        'confirmed (vosync resume --confirm-deletes); the next cycle carries it out if it deletes the same',
      ),
  })
  .meta({ title: 'HeldDeletes' });

export const HEALTH_LEVELS = ['ok', 'busy', 'attention', 'error'] as const;

export const HealthSchema = z
  .strictObject({
    level: z
      .enum(HEALTH_LEVELS)
      .describe(
        'ok: up to date; busy: work under way that will finish by itself; attention: needs a look (conflict, ' +
          'not synced, paused, stale, diverged); error: failing or offline',
      ),
    reasons: z
      .array(z.string())
      .describe(
        'why it is not up to date, most urgent first, e.g. "1 conflict", "offline since 12:03, 13 changes queued"',
      ),
  })
  .meta({ title: 'Health' });

export const PairStatusSchema = z
  .strictObject({
    name: z.string(),
    local: z.string().describe('local folder'),
    remote: z.string().describe('remote folder as configured, e.g. vos:alice/results'),
    mode: z.string().describe('two-way, backup or mirror-down'),
    state: PairStateSchema,
    pausedReason: z.string().nullable(),
    heldDeletes: HeldDeletesSchema.nullable().describe(
      'the deletions a delete-limit pause holds back, until a cycle carries them out; null otherwise',
    ),
    pending: PendingSchema,
    conflicts: count(),
    errors: count().describe('permanent errors of the latest cycles'),
    bytesPerSecond: count().describe(
      'transfer rate over the last 10 s (the same as progress.bytesPerSecond)',
    ),
    lastSyncOkAt: time().nullable(),
    lastRemotePollOkAt: time().nullable(),
    lastError: ErrorItemSchema.nullable(),
    upToDate: z
      .boolean()
      .describe(
        'the health rule says ok: nothing pending either way, polled on schedule, no open conflict, nothing ' +
          'unsynced or failing, not paused, offline, stale or diverged',
      ),
    health: HealthSchema,
    notSynced: count().describe(
      'files and folders left out: unreadable, symlinks, names the server cannot store',
    ),
    transfers: count().describe('transfers in flight'),
    progress: ProgressSchema,
  })
  .meta({ title: 'PairStatus' });

export const ConfigStateSchema = z
  .strictObject({
    file: z.string().describe('the config file in force'),
    loadedAt: time().describe('when it was read: start-up or the last successful reload'),
    reloadError: z
      .strictObject({
        at: time(),
        errors: z.array(z.string()).describe('file:line:column: path: problem, one per entry'),
      })
      .nullable()
      .describe(
        'the last reload that was refused (the daemon kept the config in force); null after a good one',
      ),
    restartNeeded: z
      .array(z.string())
      .describe('changed settings (config paths) that only a restart of the daemon applies'),
  })
  .meta({ title: 'ConfigState' });

export const StatusSchema = z
  .strictObject({
    state: PairStateSchema.describe('the most urgent state of all pairs'),
    upToDate: z.boolean().describe('every pair is up to date (and there is at least one)'),
    health: HealthSchema.describe("the worst pair's level; each reason prefixed with its pair's name"),
    version: z.string(),
    startedAt: time(),
    now: time(),
    config: ConfigStateSchema,
    pairs: z.array(PairStatusSchema),
  })
  .meta({ title: 'Status', description: 'GET /status, and the answer of POST /pause, /resume and /rescan' });

export const ActivitySchema = z
  .strictObject({
    transfers: z.array(TransferSchema).describe('in flight now, oldest first'),
    activity: z.array(ActivityItemSchema).describe('finished actions of this daemon run, newest first'),
  })
  .meta({ title: 'Activity', description: 'GET /activity' });

export const ConflictsSchema = z
  .strictObject({ conflicts: z.array(ConflictItemSchema).describe('newest first') })
  .meta({ title: 'Conflicts', description: 'GET /conflicts' });

export const ErrorsSchema = z
  .strictObject({ errors: z.array(ErrorItemSchema).describe('newest first') })
  .meta({ title: 'Errors', description: 'GET /errors' });

export const NotSyncedSchema = z
  .strictObject({
    items: z
      .array(z.strictObject({ pair: z.string(), path: z.string(), reason: z.string() }))
      .describe('files and folders the latest cycle of each pair left out, in path order'),
  })
  .meta({ title: 'NotSynced', description: 'GET /not-synced' });

const LocalSideSchema = z.strictObject({ kind: z.enum(['file', 'dir']), size: count(), mtimeMs: z.number() });
const RemoteSideSchema = z.strictObject({
  kind: z.enum(['file', 'dir']),
  size: count(),
  md5: z.string().nullable(),
  dateMs: z.number(),
});

export const FileStatusSchema = z
  .strictObject({
    pair: z.string(),
    path: z.string().describe('relative to the pair root, / separated'),
    localPath: z.string(),
    remoteUri: z.string(),
    state: z.enum(FILE_STATES),
    reason: z.string().nullable().describe('why, in words (the error message for state error)'),
    local: LocalSideSchema.nullable().describe('what the local disk holds now'),
    remote: RemoteSideSchema.nullable().describe('what the server held at the last remote poll'),
    transfer: TransferSchema.nullable(),
  })
  .meta({ title: 'FileStatus', description: 'GET /files?path=' });

export const SessionSchema = z
  .strictObject({
    url: z.string().describe('the one-time link to the status page (code in the fragment)'),
    expiresAt: time().describe('the code must be redeemed before this time, and only once'),
  })
  .meta({ title: 'Session', description: 'POST /session (main token only)' });

export const RedeemedSchema = z
  .strictObject({
    token: z.string().describe('a session token for the page, valid until expiresAt or the daemon stops'),
    expiresAt: time(),
  })
  .meta({ title: 'Redeemed', description: 'POST /session/redeem with {"code": "…"}' });

export const ReloadSchema = z
  .strictObject({
    ok: z.boolean().describe('false: the file has mistakes and nothing changed'),
    file: z.string(),
    errors: z.array(z.string()).describe('file:line:column: path: problem, one per entry (when ok is false)'),
    pairsAdded: z.array(z.string()).describe('pairs started'),
    pairsRemoved: z.array(z.string()).describe('pairs stopped; their folders are left as they are'),
    pairsRestarted: z.array(z.string()).describe('pairs restarted with new settings'),
    applied: z.array(z.string()).describe('settings (config paths) that took effect'),
    restartNeeded: z
      .array(z.string())
      .describe('settings (config paths) that wait for a restart of the daemon'),
  })
  .meta({ title: 'Reload', description: 'POST /reload: read the config file again' });

export const ApiErrorSchema = z
  .strictObject({ error: z.string() })
  .meta({ title: 'ApiError', description: 'the body of every 4xx answer' });

export type StatusDoc = z.infer<typeof StatusSchema>;
export type PairStatusDoc = z.infer<typeof PairStatusSchema>;
export type ActivityDoc = z.infer<typeof ActivitySchema>;
export type ConflictsDoc = z.infer<typeof ConflictsSchema>;
export type ErrorsDoc = z.infer<typeof ErrorsSchema>;
export type FileStatusDoc = z.infer<typeof FileStatusSchema>;
export type NotSyncedDoc = z.infer<typeof NotSyncedSchema>;
export type FileStateName = (typeof FILE_STATES)[number];
export type SessionDoc = z.infer<typeof SessionSchema>;
export type ReloadDoc = z.infer<typeof ReloadSchema>;

/** Response schemas by documented file name (docs/schemas/<name>.json). */
export const RESPONSE_SCHEMAS = {
  status: StatusSchema,
  activity: ActivitySchema,
  conflicts: ConflictsSchema,
  errors: ErrorsSchema,
  file: FileStatusSchema,
  'not-synced': NotSyncedSchema,
  session: SessionSchema,
  redeemed: RedeemedSchema,
  reload: ReloadSchema,
  error: ApiErrorSchema,
} as const;

export type SchemaName = keyof typeof RESPONSE_SCHEMAS;

/** The JSON Schema (draft 2020-12) documents published in docs/schemas/. */
export function jsonSchemas(): Record<SchemaName, Record<string, unknown>> {
  const out = {} as Record<SchemaName, Record<string, unknown>>;
  for (const [name, schema] of Object.entries(RESPONSE_SCHEMAS) as [SchemaName, z.ZodType][]) {
    out[name] = z.toJSONSchema(schema, { target: 'draft-2020-12' }) as Record<string, unknown>;
  }
  return out;
}
