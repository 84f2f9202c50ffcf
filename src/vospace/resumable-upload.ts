/**
 * Big uploads as PUT transactions in segments, resumable: after a cut (reset, 5xx, timeout) the client asks the
 * server (HEAD) how many bytes it holds and goes on from there; after a kill of the process, the resume journal
 * names the transaction and the next upload of the same file to the same node goes on from the server's state.
 * Every resumed prefix is checked (the server's MD5 of its bytes against the local file's first bytes), every
 * segment's answer carries the MD5 of everything so far, and the commit is verified by MD5. A server (minoc)
 * rolls a segment cut short back, so a cut costs at most that segment again.
 */
import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs';
import { type Readable, type Transform } from 'node:stream';
import { VosError, httpError } from './errors.js';
import { isTransientNetworkError, throttled, type HttpResponse, type HttpSession } from './http.js';
import {
  abortTxn,
  appendSegment,
  commitTxn,
  openTxn,
  revertTxn,
  txnState,
  type OpenedTxn,
} from './put-txn.js';
import {
  delayForRetry,
  hashPrefix,
  responseMd5,
  tapChunks,
  type ProgressCallback,
  type UploadResult,
} from './transfer.js';
import { sameFile, type FileIdentity, type UploadJournal } from './upload-journal.js';

export interface ResumableOptions {
  size: number;
  /** The file's MD5 when already known: checked by the server on the last segment and at the commit. */
  md5?: string;
  contentType?: string;
  onProgress?: ProgressCallback;
  /** Preferred segment size; the server's announced limits win. */
  segmentBytes: number;
  /** Where the transaction is remembered across processes; undefined: only within this call. */
  journal?: UploadJournal;
  registry: string;
  /** The target node's URI (the journal's key, with the registry). */
  node: string;
  file: FileIdentity;
  /**
   * Whether a bodiless `start` is harmless at this server: a server without transactions takes it as an empty
   * upload, which truncates the node on Cavern. When false, only a journalled transaction is resumed.
   */
  mayStart: boolean;
  /** Fresh data URLs for the same node, when the ones in hand expired (403). */
  renegotiate: () => Promise<string[]>;
}

/** A transaction in progress: where it is, how far the server has it, and the MD5 state of those bytes. */
interface Position {
  url: string;
  id: string;
  txn: OpenedTxn;
  offset: number;
  hash: Hash;
}

const hex = (h: Hash): string => h.copy().digest('hex');

const LOCAL_READ_ERRORS = new Set(['ENOENT', 'EACCES', 'EPERM', 'EISDIR', 'EIO']);

function originOf(url: string): string {
  return new URL(url).origin;
}

/** The segment size: the preferred one within the server's limits (as cadcutils picks it). */
export function segmentSize(preferred: number, size: number, txn: OpenedTxn): number {
  let s = Math.min(preferred, size);
  if (txn.minBytes !== undefined) s = Math.max(s, txn.minBytes);
  if (txn.maxBytes !== undefined) s = Math.min(s, txn.maxBytes);
  return Math.max(1, s);
}

class SegmentedUpload {
  private pos!: Position;
  private urls: string[];
  private fresh = 0;

  constructor(
    private readonly session: HttpSession,
    endpoints: string[],
    private readonly localFile: string,
    private readonly what: string,
    private readonly o: ResumableOptions,
  ) {
    this.urls = endpoints;
  }

  /** Runs the upload; undefined when the server offers no transactions (the caller sends one plain PUT). */
  async run(): Promise<UploadResult | undefined> {
    const resumed = await this.resume();
    if (!resumed) {
      if (!this.o.mayStart) return undefined;
      const opened = await this.open();
      if (!opened) return undefined;
    }
    await this.sendSegments();
    return this.commit();
  }

  // --- journal -------------------------------------------------------------------------------------------

  private remember(): void {
    const j = this.o.journal;
    if (!j) return;
    try {
      j.write({
        version: 1,
        registry: this.o.registry,
        node: this.o.node,
        file: this.o.file,
        origin: originOf(this.pos.url),
        txnId: this.pos.id,
        acked: { length: this.pos.offset, md5: hex(this.pos.hash) },
        updated: Date.now(),
      });
    } catch {
      // A journal that cannot be written only costs a resend after a kill.
    }
  }

  private forget(): void {
    this.o.journal?.clear(this.o.registry, this.o.node);
  }

  /** Goes on with the journalled transaction when the file is unchanged and the server still has it. */
  private async resume(): Promise<boolean> {
    const j = this.o.journal;
    const e = j?.read(this.o.registry, this.o.node);
    if (!j || !e) return false;
    const url = this.urls.find((u) => originOf(u) === e.origin);
    if (!url) {
      this.forget();
      return false;
    }
    if (!sameFile(e.file, this.o.file)) {
      await abortTxn(this.session, url, e.txnId);
      this.forget();
      return false;
    }
    const state = await txnState(this.session, url, e.txnId, this.what);
    if (state === 'gone' || state.length > this.o.size) {
      if (state !== 'gone') await abortTxn(this.session, url, e.txnId);
      this.forget();
      return false;
    }
    // The server's bytes must be this file's first bytes: hashing them locally is far cheaper than a resend.
    const hash = await hashPrefix(this.localFile, state.length);
    if (hex(hash) !== state.md5) {
      await abortTxn(this.session, url, e.txnId);
      this.forget();
      return false;
    }
    this.pos = { url, id: e.txnId, txn: { id: e.txnId, ...state.limits }, offset: state.length, hash };
    this.o.onProgress?.(state.length, this.o.size);
    return true;
  }

  /** Opens a transaction at the first data URL that takes it; false when the server does no transactions. */
  private async open(): Promise<boolean> {
    let lastError: unknown;
    for (const url of this.urls) {
      for (let attempt = 0; attempt <= this.session.policy.retries; attempt++) {
        let txn: OpenedTxn | undefined;
        try {
          txn = await openTxn(this.session, url, this.o.size, this.what, this.o.contentType);
        } catch (e) {
          lastError = e;
          if (e instanceof VosError && (e.kind === 'quota' || e.kind === 'permission')) throw e;
          // A lost answer leaves an unknown transaction behind, which the server expires; ask for a new one.
          if (!isTransientNetworkError(e) && !(e instanceof VosError && e.kind === 'transient')) break;
          await delayForRetry(this.session, attempt);
          continue;
        }
        if (!txn) return false;
        this.pos = { url, id: txn.id, txn, offset: 0, hash: createHash('md5') };
        this.o.journal?.prune(Date.now());
        this.remember();
        return true;
      }
    }
    throw lastError instanceof VosError
      ? lastError
      : new VosError('transient', `${this.what}: could not start the upload`, { cause: lastError });
  }

  /** The transaction is gone or holds other bytes: start over with a new one, once per call. */
  private async startOver(reason: string): Promise<void> {
    await abortTxn(this.session, this.pos.url, this.pos.id);
    this.forget();
    if (this.fresh++ > 0) throw new VosError('transient', `${this.what}: ${reason}; upload abandoned`);
    this.urls = [this.pos.url, ...this.urls.filter((u) => u !== this.pos.url)];
    if (!(await this.open()))
      throw new VosError('protocol', `${this.what}: the server stopped offering transactions`);
  }

  /** New data URLs for the same node (the old ones expired); the transaction stays where it is. */
  private async refreshUrl(): Promise<void> {
    const origin = originOf(this.pos.url);
    this.urls = await this.o.renegotiate();
    const url = this.urls.find((u) => originOf(u) === origin);
    if (!url)
      throw new VosError('permission', `${this.what}: the storage site of the upload is no longer offered`);
    this.pos.url = url;
  }

  // --- segments ------------------------------------------------------------------------------------------

  private segmentBody(offset: number, length: number, next: Hash): () => Readable {
    return () => {
      const stages: Transform[] = [];
      const limit = throttled(this.session.bandwidth);
      if (limit) stages.push(limit);
      stages.push(tapChunks((chunk) => next.update(chunk)));
      const onProgress = this.o.onProgress;
      if (onProgress) {
        let sent = offset;
        stages.push(tapChunks((chunk) => onProgress((sent += chunk.length), this.o.size)));
      }
      let out: Readable = fs.createReadStream(this.localFile, { start: offset, end: offset + length - 1 });
      for (const stage of stages) {
        out.on('error', (e) => stage.destroy(e));
        out = out.pipe(stage);
      }
      return out;
    };
  }

  private advance(length: number, next: Hash): void {
    this.pos.offset += length;
    this.pos.hash = next;
    this.remember();
  }

  private async sendSegments(): Promise<void> {
    const seg = segmentSize(this.o.segmentBytes, this.o.size, this.pos.txn);
    let stalled = 0;
    let mismatches = 0;
    let refreshed = 0;
    while (this.pos.offset < this.o.size) {
      const { offset } = this.pos;
      const length = Math.min(seg, this.o.size - offset);
      const last = offset + length === this.o.size;
      const next = this.pos.hash.copy();
      let res: HttpResponse | undefined;
      let failure: unknown;
      try {
        const body = this.segmentBody(offset, length, next);
        const digest = last ? this.o.md5 : undefined;
        res = await appendSegment(this.session, this.pos.url, this.pos.id, body, length, digest);
      } catch (e) {
        if (e instanceof VosError && e.kind === 'local') throw e;
        // The local file could not be read: sending again will not help.
        if (LOCAL_READ_ERRORS.has((e as NodeJS.ErrnoException).code ?? ''))
          throw new VosError('local', `${this.localFile}: ${(e as Error).message}`);
        failure = e;
      }
      if (res?.status === 202) {
        await res.body.dump().catch(() => undefined);
        const stored = responseMd5(res);
        if (stored === undefined || stored === hex(next)) {
          this.advance(length, next);
          stalled = 0;
          continue;
        }
        // The server has other bytes than we sent: take the segment back and send it again.
        if (++mismatches > 2)
          throw await this.abandon(
            new VosError(
              'integrity',
              `${this.what}: server MD5 ${stored} after ${offset + length} bytes, ours ${hex(next)}`,
            ),
          );
        await revertTxn(this.session, this.pos.url, this.pos.id, this.what);
        continue;
      }
      if (res) {
        const text = await res.body.text().catch(() => '');
        if (res.status === 403 && refreshed++ < 2) {
          await this.refreshUrl();
          continue;
        }
        // 412: the body arrived short (a cut the server saw first); 5xx: the server's trouble. Both: ask the state.
        if (res.status !== 412 && res.status !== 400 && res.status < 500)
          throw httpError(res.status, text, this.what);
        failure = httpError(res.status, text, this.what);
      }
      if (++stalled > this.session.policy.retries) {
        throw new VosError(
          'transient',
          `${this.what}: upload interrupted ${stalled} times at byte ${offset} of ${this.o.size}; ` +
            'run it again to resume from there',
          { cause: failure },
        );
      }
      await delayForRetry(this.session, stalled - 1);
      await this.realign(offset, length, next, failure);
    }
  }

  /** After a failed segment: the server's state says whether it arrived after all, or from where to go on. */
  private async realign(offset: number, length: number, next: Hash, failure: unknown): Promise<void> {
    const state = await txnState(this.session, this.pos.url, this.pos.id, this.what);
    if (state === 'gone') return this.startOver('the server no longer has the transaction');
    if (state.length === offset + length && state.md5 === hex(next)) return this.advance(length, next);
    // The server refused the segment itself (a 400 while it still has the transaction): it would again.
    if (failure instanceof VosError && failure.details.status === 400) throw failure;
    if (state.length === offset && state.md5 === hex(this.pos.hash)) return;
    // Some other length (a server that keeps part of a cut segment): go on from there if the bytes are ours.
    if (state.length <= this.o.size) {
      const hash = await hashPrefix(this.localFile, state.length);
      if (hex(hash) === state.md5) {
        this.pos.offset = state.length;
        this.pos.hash = hash;
        this.remember();
        return;
      }
    }
    return this.startOver('the server holds bytes that are not this file');
  }

  /** Aborts the transaction and forgets it; returns `e` to throw. */
  private async abandon(e: VosError): Promise<VosError> {
    await abortTxn(this.session, this.pos.url, this.pos.id);
    this.forget();
    return e;
  }

  // --- commit --------------------------------------------------------------------------------------------

  private async commit(): Promise<UploadResult> {
    const md5 = hex(this.pos.hash);
    if (this.o.md5 && this.o.md5 !== md5)
      throw await this.abandon(
        new VosError('conflict', `${this.what}: the file changed while it was being uploaded`),
      );
    for (let attempt = 0; ; attempt++) {
      let res: HttpResponse | undefined;
      let failure: unknown;
      try {
        res = await commitTxn(this.session, this.pos.url, this.pos.id, md5);
      } catch (e) {
        failure = e;
      }
      if (res) {
        const text = await res.body.text().catch(() => '');
        if (res.status === 201) {
          const stored = responseMd5(res);
          if (stored !== undefined && stored !== md5)
            throw new VosError('integrity', `${this.what}: server stored MD5 ${stored} but we sent ${md5}`);
          return this.done(md5);
        }
        if (res.status === 412)
          throw await this.abandon(
            new VosError('integrity', `${this.what}: the server refused the commit: ${text.trim()}`),
          );
        if (res.status === 403 && attempt < 2) {
          await this.refreshUrl();
          continue;
        }
        if (res.status !== 400 && res.status < 500) throw httpError(res.status, text, this.what);
        failure = httpError(res.status, text, this.what);
      }
      // The answer is lost or the server failed: the state tells whether the commit happened.
      const state = await txnState(this.session, this.pos.url, this.pos.id, this.what);
      if (state === 'gone') {
        if (await this.nodeHas(md5)) return this.done(md5);
        this.forget();
        throw new VosError('transient', `${this.what}: the commit was lost; upload again`, {
          cause: failure,
        });
      }
      if (attempt >= this.session.policy.retries)
        throw new VosError('transient', `${this.what}: could not commit the upload`, { cause: failure });
      await delayForRetry(this.session, attempt);
    }
  }

  private done(md5: string): UploadResult {
    this.forget();
    this.o.onProgress?.(this.o.size, this.o.size);
    return { md5, size: this.o.size };
  }

  /** Whether the node's data now is these bytes (a HEAD of the data URL, without the transaction). */
  private async nodeHas(md5: string): Promise<boolean> {
    const res = await this.session.send({ method: 'HEAD', url: this.pos.url });
    await res.body.dump().catch(() => undefined);
    return res.status === 200 && responseMd5(res) === md5;
  }
}

/**
 * Uploads a file through a PUT transaction in segments, resuming a journalled one. Undefined when the server
 * offers no transactions (then nothing was sent and the caller uses one plain PUT).
 */
export function putResumable(
  session: HttpSession,
  endpoints: string[],
  file: string,
  what: string,
  opts: ResumableOptions,
): Promise<UploadResult | undefined> {
  return new SegmentedUpload(session, endpoints, file, what, opts).run();
}
