/** UWS 1.1 jobs as CADC's services run them: phases, results, error summaries, WAIT polling, XML. */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { ServiceName } from './store.js';
import { escapeXml } from '../vospace/xml.js';

export type Phase = 'PENDING' | 'QUEUED' | 'EXECUTING' | 'COMPLETED' | 'ERROR' | 'ABORTED';
export type JobKind = 'transfer' | 'delete' | 'setprops';

export interface Job {
  id: string;
  service: ServiceName;
  kind: JobKind;
  owner: string | undefined;
  /** Key of who created it (see creatorKey), for access to anonymous jobs and the per-creator cap. */
  creator: string;
  phase: Phase;
  creationTime: number;
  startTime?: number;
  endTime?: number;
  destruction: number;
  parameters: [string, string][];
  results: { id: string; href: string }[];
  error?: { message: string; type: 'fatal' | 'transient' };
  /** The job's input document (transfer or node XML), echoed in jobInfo. */
  jobInfo?: string;
  /** Runs the job; set by whoever created it. */
  run?: () => void;
}

const ACTIVE: ReadonlySet<Phase> = new Set(['PENDING', 'QUEUED', 'EXECUTING']);
const JOB_LIFETIME_MS = 60 * 60_000;
/** Anonymous jobs only carry a negotiation that their client follows at once. */
const ANONYMOUS_JOB_LIFETIME_MS = 5 * 60_000;
const MAX_JOBS = 50_000;

/** Who created a job: its owner, or for an anonymous job the client address it came from. */
export interface JobCreator {
  user: string | undefined;
  address: string;
}

function creatorKey(c: JobCreator): string {
  return c.user !== undefined ? `user:${c.user}` : `anonymous@${c.address}`;
}

export class JobRegistry {
  private readonly jobs = new Map<string, Job>();
  private readonly perCreator = new Map<string, number>();
  private readonly events = new EventEmitter();

  constructor(
    private readonly now: () => number,
    /** Jobs kept per creator; a new one beyond it replaces their oldest (a flood cannot fill the table). */
    private readonly maxPerCreator: number,
  ) {
    this.events.setMaxListeners(0);
  }

  create(service: ServiceName, kind: JobKind, creator: JobCreator): Job {
    this.prune();
    const key = creatorKey(creator);
    if ((this.perCreator.get(key) ?? 0) >= this.maxPerCreator) this.removeOldestOf(key);
    const now = this.now();
    const lifetime = creator.user === undefined ? ANONYMOUS_JOB_LIFETIME_MS : JOB_LIFETIME_MS;
    const job: Job = {
      id: randomBytes(12).toString('hex'),
      service,
      kind,
      owner: creator.user,
      creator: key,
      phase: 'PENDING',
      creationTime: now,
      destruction: now + lifetime,
      parameters: [],
      results: [],
    };
    this.jobs.set(job.id, job);
    this.perCreator.set(key, (this.perCreator.get(key) ?? 0) + 1);
    return job;
  }

  /**
   * The job if `creator` may use it: a user's jobs are theirs alone, an anonymous one belongs to the client
   * address that created it (its id must not be a bearer grant for anyone who sees it). A job past its
   * destruction time is gone.
   */
  get(id: string, creator: JobCreator): Job | 'forbidden' | undefined {
    const job = this.jobs.get(id);
    if (!job) return undefined;
    if (job.destruction < this.now()) {
      this.delete(job);
      return undefined;
    }
    const mayUse = job.owner !== undefined ? job.owner === creator.user : job.creator === creatorKey(creator);
    return mayUse ? job : 'forbidden';
  }

  list(service: ServiceName, owner: string): Job[] {
    return [...this.jobs.values()].filter((j) => j.service === service && j.owner === owner);
  }

  delete(job: Job): void {
    if (!this.jobs.delete(job.id)) return;
    const left = (this.perCreator.get(job.creator) ?? 1) - 1;
    if (left > 0) this.perCreator.set(job.creator, left);
    else this.perCreator.delete(job.creator);
    this.events.emit(job.id);
  }

  private removeOldestOf(key: string): void {
    for (const j of this.jobs.values()) {
      if (j.creator === key) return this.delete(j);
    }
  }

  setPhase(job: Job, phase: Phase): void {
    job.phase = phase;
    const now = this.now();
    if (phase === 'EXECUTING' && job.startTime === undefined) job.startTime = now;
    if (!ACTIVE.has(phase)) job.endTime = now;
    this.events.emit(job.id);
  }

  fail(job: Job, message: string, type: 'fatal' | 'transient' = 'fatal'): void {
    job.error = { message, type };
    this.setPhase(job, 'ERROR');
  }

  isActive(job: Job): boolean {
    return ACTIVE.has(job.phase);
  }

  /** Blocks up to `seconds` while the job is active and its phase unchanged (UWS WAIT). */
  async waitForChange(job: Job, seconds: number): Promise<void> {
    if (!this.isActive(job) || seconds <= 0) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.events.off(job.id, done);
        resolve();
      };
      const timer = setTimeout(done, Math.min(seconds, 60) * 1000);
      this.events.on(job.id, done);
    });
  }

  /**
   * Drops expired jobs from the oldest on. Lifetimes differ, so an anonymous job behind a younger user's
   * job may outstay its time here, but get() no longer hands it out.
   */
  private prune(): void {
    const now = this.now();
    for (const j of this.jobs.values()) {
      if (j.destruction < now || this.jobs.size > MAX_JOBS) this.delete(j);
      else break;
    }
  }
}

function uwsDate(ms: number | undefined, name: string): string {
  if (ms === undefined) return `  <uws:${name} xsi:nil="true" />\n`;
  return `  <uws:${name}>${new Date(ms).toISOString()}</uws:${name}>\n`;
}

export function writeJobXml(job: Job): string {
  let out =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<uws:job xmlns:uws="http://www.ivoa.net/xml/UWS/v1.0" xmlns:xlink="http://www.w3.org/1999/xlink" ' +
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" version="1.1">\n' +
    `  <uws:jobId>${job.id}</uws:jobId>\n` +
    '  <uws:runId xsi:nil="true" />\n' +
    (job.owner
      ? `  <uws:ownerId>${escapeXml(job.owner)}</uws:ownerId>\n`
      : '  <uws:ownerId xsi:nil="true" />\n') +
    `  <uws:phase>${job.phase}</uws:phase>\n` +
    '  <uws:quote xsi:nil="true" />\n' +
    uwsDate(job.creationTime, 'creationTime') +
    uwsDate(job.startTime, 'startTime') +
    uwsDate(job.endTime, 'endTime') +
    '  <uws:executionDuration>600</uws:executionDuration>\n' +
    uwsDate(job.destruction, 'destruction');
  out += '  <uws:parameters>\n';
  for (const [id, v] of job.parameters)
    out += `    <uws:parameter id="${escapeXml(id)}">${escapeXml(v)}</uws:parameter>\n`;
  out += '  </uws:parameters>\n  <uws:results>\n';
  for (const r of job.results)
    out += `    <uws:result id="${escapeXml(r.id)}" xlink:href="${escapeXml(r.href)}" />\n`;
  out += '  </uws:results>\n';
  if (job.error) {
    out +=
      `  <uws:errorSummary type="${job.error.type}" hasDetail="false">\n` +
      `    <uws:message>${escapeXml(job.error.message)}</uws:message>\n  </uws:errorSummary>\n`;
  }
  if (job.jobInfo) {
    const info = job.jobInfo.replace(/^<\?xml[^>]*\?>\s*/, '');
    out += `  <uws:jobInfo>\n${info}  </uws:jobInfo>\n`;
  }
  return out + '</uws:job>\n';
}

export function writeJobListXml(jobs: Job[], base: string): string {
  let out =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<uws:jobs xmlns:uws="http://www.ivoa.net/xml/UWS/v1.0" xmlns:xlink="http://www.w3.org/1999/xlink" version="1.1">\n';
  for (const j of jobs) {
    out += `  <uws:jobref id="${j.id}" xlink:href="${escapeXml(`${base}/${j.id}`)}">\n    <uws:phase>${j.phase}</uws:phase>\n  </uws:jobref>\n`;
  }
  return out + '</uws:jobs>\n';
}
