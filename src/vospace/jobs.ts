/** UWS job handling on the client side: follow the creation redirect, run, poll with WAIT, read results. */
import { VosError, type VosErrorKind } from './errors.js';
import { header, redactUrl, type HttpSession } from './http.js';
import { parseUntrustedXml } from './xml.js';

export interface JobOutcome {
  phase: string;
  results: Record<string, string>;
  error?: string;
}

const FINAL = new Set(['COMPLETED', 'ERROR', 'ABORTED', 'HELD', 'SUSPENDED', 'ARCHIVED']);

/** Maps a job's error text (`NodeNotFound`, `DuplicateNode: …`) to an error kind. */
export function kindForJobError(text: string): VosErrorKind {
  if (/^(NodeNotFound|ContainerNotFound)/.test(text)) return 'not-found';
  if (/^DuplicateNode/.test(text)) return 'exists';
  if (/^(PermissionDenied|NotAuthenticated)/.test(text))
    return text.startsWith('Not') ? 'auth' : 'permission';
  if (/^NodeLocked/.test(text)) return 'locked';
  if (/^QuotaExceeded|^limit: -?\d+$/.test(text)) return 'quota';
  if (/^RequestEntityTooLarge/.test(text)) return 'invalid';
  if (/^(InvalidArgument|InvalidURI|TooManyTargets|ViewNotSupported)/.test(text)) return 'invalid';
  if (/^(OperationNotSupported|ProtocolNotSupported)|not implemented/i.test(text)) return 'unsupported';
  if (/^TransientException|temporar/i.test(text)) return 'transient';
  return 'protocol';
}

/** Follows 303s (GET, no automatic redirects) until a 200; returns the final URL and the response text. */
export async function follow303(
  session: HttpSession,
  url: string,
  what: string,
): Promise<{ url: string; text: string }> {
  let current = url;
  for (let hops = 0; hops < 10; hops++) {
    const res = await session.send({ method: 'GET', url: current });
    if (res.status === 303 || res.status === 302) {
      const loc = header(res, 'location');
      await res.body.dump();
      if (!loc) throw new VosError('protocol', `${what}: redirect without Location`);
      current = new URL(loc, current).toString();
      continue;
    }
    const text = await session.text(res, 8 * 1024 * 1024);
    if (res.status !== 200) {
      throw new VosError(
        res.status === 404 ? 'not-found' : 'protocol',
        `${what}: HTTP ${res.status} ${text.trim().slice(0, 300)}`,
      );
    }
    return { url: current, text };
  }
  throw new VosError('protocol', `${what}: too many redirects`);
}

export function parseJob(xml: string): JobOutcome {
  const doc = parseUntrustedXml(xml, 8 * 1024 * 1024);
  const job = doc['job'] as Record<string, unknown> | undefined;
  if (!job) throw new VosError('protocol', 'not a UWS job document');
  const phase = String(job['phase'] ?? '').trim();
  const results: Record<string, string> = {};
  const rs = (job['results'] as Record<string, unknown> | undefined)?.['result'];
  for (const r of Array.isArray(rs) ? rs : rs ? [rs] : []) {
    const o = r as Record<string, unknown>;
    results[String(o['@_id'])] = String(o['@_href'] ?? '');
  }
  const summary = job['errorSummary'] as Record<string, unknown> | undefined;
  const out: JobOutcome = { phase, results };
  if (summary) out.error = String(summary['message'] ?? 'Failed');
  return out;
}

/** parseJob for a server's answer: anything unreadable is a protocol error naming the job and its URL. */
function parseJobAnswer(text: string, url: string, what: string): JobOutcome {
  try {
    return parseJob(text);
  } catch (e) {
    const reason = e instanceof VosError ? e.message : (e as Error).message;
    throw new VosError('protocol', `${what}: bad job document from ${redactUrl(url)}: ${reason}`);
  }
}

/** Starts a created job and waits for it to finish; throws a typed error when it ends badly. */
export async function runJob(
  session: HttpSession,
  jobUrl: string,
  what: string,
  opts: { waitSeconds?: number; maxMs?: number; now?: () => number } = {},
): Promise<JobOutcome> {
  const now = opts.now ?? Date.now;
  const run = await session.send({
    method: 'POST',
    url: `${jobUrl}/phase`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'PHASE=RUN',
  });
  const runText = await run.body.text();
  if (run.status !== 303 && run.status !== 200) {
    throw new VosError(
      'protocol',
      `${what}: could not start job: HTTP ${run.status} ${runText.trim().slice(0, 200)}`,
    );
  }
  const deadline = now() + (opts.maxMs ?? 30 * 60_000);
  const wait = opts.waitSeconds ?? 6;
  for (;;) {
    const { text } = await session.fetchText(
      { method: 'GET', url: `${jobUrl}?WAIT=${wait}` },
      [200],
      what,
      8 * 1024 * 1024,
    );
    const job = parseJobAnswer(text, `${jobUrl}?WAIT=${wait}`, what);
    if (FINAL.has(job.phase)) {
      if (job.phase === 'COMPLETED') return job;
      if (job.phase === 'ABORTED' && job.results['successcount']) return job;
      const message = job.error ?? `job ended in phase ${job.phase}`;
      throw new VosError(kindForJobError(message), `${what}: ${message}`, { serverText: message });
    }
    if (now() > deadline) throw new VosError('transient', `${what}: job still ${job.phase} after waiting`);
  }
}

/** Creates a job by POSTing to a job list; returns the job URL from the 303. */
export async function createJob(
  session: HttpSession,
  listUrl: string,
  body: string,
  contentType: string,
  what: string,
): Promise<string> {
  const res = await session.send({
    method: 'POST',
    url: listUrl,
    headers: { 'content-type': contentType },
    body,
  });
  const loc = header(res, 'location');
  const text = await res.body.text();
  if (res.status !== 303 || !loc) {
    throw new VosError(
      'protocol',
      `${what}: expected a job (303), got HTTP ${res.status} ${text.trim().slice(0, 200)}`,
    );
  }
  return new URL(loc, listUrl).toString();
}
