/**
 * How the client sends a file's bytes: one PUT (verified by MD5) below the segment threshold, a resumable PUT
 * transaction in segments at or above it (`VOSYNC_SEGMENT_THRESHOLD`, `VOSYNC_SEGMENT_SIZE` or the client's
 * options), journalled in the cache folder so a killed process resumes where the server stands.
 */
import type fs from 'node:fs';
import { VosError } from './errors.js';
import type { HttpSession } from './http.js';
import { putResumable } from './resumable-upload.js';
import { putFile, type ProgressCallback, type UploadResult } from './transfer.js';
import { UploadJournal, defaultJournalDir } from './upload-journal.js';
import { parseByteRate } from '../util/byte-rate.js';

/** Files from this size on go as segmented transactions (CADC's client segments from 5 GiB on). */
export const DEFAULT_SEGMENT_THRESHOLD = 256 * 1024 * 1024;
/** A cut costs at most one segment again (where the server allows segments this small). */
export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;

export interface UploaderOptions {
  /** Uploads of at least this many bytes use a resumable PUT transaction; default 256 MiB. */
  segmentThreshold?: number;
  /** Preferred segment size of those; default 64 MiB (the server's limits win). */
  segmentBytes?: number;
  /** Where resume journals are kept; default `<cache>/vosync/uploads`; null: none (resume only in-process). */
  uploadJournalDir?: string | null;
}

/** One upload's particulars, as `Client.upload` knows them once it decided to send bytes. */
export interface UploadJob {
  file: string;
  what: string;
  stat: fs.Stats;
  md5?: string;
  contentType?: string;
  onProgress?: ProgressCallback;
  registry: string;
  /** The target node's URI. */
  node: string;
  /** Whether a bodiless transaction start is harmless (see ResumableOptions.mayStart). */
  mayStart: boolean;
  renegotiate: () => Promise<string[]>;
}

function sizeFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const parsed = parseByteRate(raw);
  if (!parsed.ok || parsed.value <= 0)
    throw new VosError('invalid', `${name}: expected a size such as "64M" or "1GiB", got '${raw}'`);
  return parsed.value;
}

export class Uploader {
  readonly threshold: number;
  readonly segmentBytes: number;
  private readonly journal: UploadJournal | undefined;

  constructor(
    private readonly session: HttpSession,
    opts: UploaderOptions = {},
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.threshold =
      opts.segmentThreshold ?? sizeFrom(env, 'VOSYNC_SEGMENT_THRESHOLD', DEFAULT_SEGMENT_THRESHOLD);
    this.segmentBytes = opts.segmentBytes ?? sizeFrom(env, 'VOSYNC_SEGMENT_SIZE', DEFAULT_SEGMENT_BYTES);
    const dir = opts.uploadJournalDir === undefined ? defaultJournalDir(env) : opts.uploadJournalDir;
    this.journal = dir === null ? undefined : new UploadJournal(dir);
  }

  /** Sends the bytes to one of `endpoints` (the negotiated data URLs). */
  async put(endpoints: string[], job: UploadJob): Promise<UploadResult> {
    const plain = () =>
      putFile(this.session, endpoints, job.file, job.what, {
        size: job.stat.size,
        ...(job.md5 ? { md5: job.md5 } : {}),
        ...(job.contentType ? { contentType: job.contentType } : {}),
        ...(job.onProgress ? { onProgress: job.onProgress } : {}),
      });
    if (job.stat.size < this.threshold) return plain();
    const st = job.stat;
    const result = await putResumable(this.session, endpoints, job.file, job.what, {
      size: st.size,
      ...(job.md5 ? { md5: job.md5 } : {}),
      ...(job.contentType ? { contentType: job.contentType } : {}),
      ...(job.onProgress ? { onProgress: job.onProgress } : {}),
      segmentBytes: this.segmentBytes,
      ...(this.journal ? { journal: this.journal } : {}),
      registry: job.registry,
      node: job.node,
      file: {
        size: st.size,
        mtimeMs: st.mtimeMs,
        ino: st.ino,
        dev: st.dev,
        ...(job.md5 ? { md5: job.md5 } : {}),
      },
      mayStart: job.mayStart,
      renegotiate: job.renegotiate,
    });
    return result ?? plain();
  }
}
