/**
 * The status API's data routes (docs/status-api.md): each answers with a JSON document whose schema is in
 * schemas.ts. Authentication, the Host check and headers are the server's job (index.ts).
 */
import type { Daemon } from '../daemon.js';
import { ignoreFor } from '../engine/pair-sync.js';
import { fileStatus, locateFile } from './file-state.js';
import type {
  ActivityDoc,
  ConflictsDoc,
  ErrorsDoc,
  FileStatusDoc,
  NotSyncedDoc,
  ReloadDoc,
  StatusDoc,
} from './schemas.js';

export interface Reply {
  status: number;
  body: unknown;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const MAX_LIMIT = 500;

function limitOf(url: URL, fallback: number): number {
  const raw = url.searchParams.get('limit');
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new HttpError(400, 'limit must be a positive integer');
  return Math.min(n, MAX_LIMIT);
}

function pairFilter(d: Daemon, url: URL): string | undefined {
  const pair = url.searchParams.get('pair') ?? undefined;
  if (pair !== undefined && !d.status.pairs.has(pair)) throw new HttpError(404, `no pair named ${pair}`);
  return pair;
}

/** Newest first, at most `limit`, optionally one pair's. */
function newest<T extends { pair: string }>(
  items: readonly T[],
  pair: string | undefined,
  limit: number,
): T[] {
  const out: T[] = [];
  for (let i = items.length - 1; i >= 0 && out.length < limit; i--) {
    const item = items[i]!;
    if (pair === undefined || item.pair === pair) out.push(item);
  }
  return out;
}

export function statusDoc(d: Daemon): StatusDoc {
  d.refreshStale();
  return d.status.snapshot();
}

function control(d: Daemon, url: URL, act: (pair: string | undefined) => void): Reply {
  const pair = pairFilter(d, url);
  act(pair);
  return { status: 200, body: statusDoc(d) };
}

export type Route = (url: URL) => Reply | Promise<Reply>;

export function dataRoutes(d: Daemon): Record<string, Route> {
  return {
    'GET /status': () => ({ status: 200, body: statusDoc(d) }),
    'GET /activity': (url) => {
      const pair = pairFilter(d, url);
      const body: ActivityDoc = {
        transfers: d.status.transferList(pair),
        activity: newest(d.status.activity, pair, limitOf(url, 100)),
      };
      return { status: 200, body };
    },
    'GET /conflicts': (url) => {
      const pair = pairFilter(d, url);
      const body: ConflictsDoc = { conflicts: newest(d.status.conflicts, pair, limitOf(url, MAX_LIMIT)) };
      return { status: 200, body };
    },
    'GET /errors': (url) => {
      const pair = pairFilter(d, url);
      const body: ErrorsDoc = { errors: newest(d.status.errors, pair, limitOf(url, MAX_LIMIT)) };
      return { status: 200, body };
    },
    'GET /not-synced': (url) => {
      const pair = pairFilter(d, url);
      const body: NotSyncedDoc = { items: d.status.notSyncedList(pair).slice(0, limitOf(url, MAX_LIMIT)) };
      return { status: 200, body };
    },
    'GET /files': (url) => {
      const p = url.searchParams.get('path');
      if (!p) throw new HttpError(400, 'path= is required');
      const found = locateFile(d.config.pairs, { path: p, pair: url.searchParams.get('pair') ?? undefined });
      if ('error' in found) throw new HttpError(found.status, found.error);
      const rec = d.index.getPair(found.pair.name);
      const matcher = ignoreFor(found.pair);
      const body: FileStatusDoc = fileStatus({
        pair: found.pair,
        rel: found.rel,
        status: d.status,
        records: rec ? d.index.getEntry(rec.id, found.rel) : {},
        isIgnored: (rel, isDir) => matcher.isIgnored(rel, isDir),
      });
      return { status: 200, body };
    },
    'POST /pause': (url) => control(d, url, (pair) => d.pause(pair)),
    'POST /resume': (url) =>
      control(d, url, (pair) => d.resume(pair, url.searchParams.get('confirmDeletes') === 'true')),
    'POST /rescan': (url) => control(d, url, (pair) => d.rescan(pair)),
    'POST /reload': async () => {
      const body: ReloadDoc = await d.reload();
      // A refused file is an answer, not a failed call: `ok` and `errors` say what happened.
      return { status: 200, body };
    },
  };
}
