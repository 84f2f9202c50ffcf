/**
 * Moving bytes: transfer negotiation as CADC's client does it, uploads verified against the server's
 * Digest, and downloads into a temp file beside the destination — MD5-verified, resumable with Range,
 * fsynced, then renamed into place.
 */
import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs';
import { Transform, type Readable, type Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { VosError, httpError } from './errors.js';
import {
  header,
  isBodyCutShort,
  isTransientNetworkError,
  throttled,
  type HttpResponse,
  type HttpSession,
} from './http.js';
import { follow303, kindForJobError } from './jobs.js';
import { type NodeLocation, displayLocation, locationUri } from './location.js';
import { normaliseMd5 } from './node.js';
import { SYNC_IO_BYTES, readWholeFile } from '../util/local-read.js';
import { EMPTY_MD5, md5Hex } from '../util/md5.js';
import { openTempFile, smallTempWriter, tempPathFor, type TempGuard } from '../util/temp-files.js';
import type { ServiceEndpoints } from './registry.js';
import { encodeNodePath } from './uri.js';
import {
  PROTOCOL,
  SECURITY,
  XmlInputError,
  parseTransferXml,
  writeTransferXml,
  type TransferProtocol,
} from './xml.js';

export type Direction = 'pushToVoSpace' | 'pullFromVoSpace';

function securityMethod(session: HttpSession): string | undefined {
  const kind = session.credentials.kind;
  return kind === 'token' ? SECURITY.token : kind === 'certificate' ? SECURITY.cert : undefined;
}

/**
 * Negotiates a sync transfer; returns the endpoint URLs in the server's order. A transfer document cut short by
 * the network is negotiated again (a sync transfer has no effect of its own, so a second one is harmless).
 */
export async function negotiate(
  session: HttpSession,
  ep: ServiceEndpoints,
  loc: NodeLocation,
  direction: Direction,
): Promise<string[]> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await negotiateOnce(session, ep, loc, direction);
    } catch (e) {
      if (!isBodyCutShort(e) || attempt >= session.policy.retries) throw e;
    }
  }
}

async function negotiateOnce(
  session: HttpSession,
  ep: ServiceEndpoints,
  loc: NodeLocation,
  direction: Direction,
): Promise<string[]> {
  const what = displayLocation(loc);
  const proto = direction === 'pushToVoSpace' ? PROTOCOL.httpsput : PROTOCOL.httpsget;
  const protocols: TransferProtocol[] = [];
  const sm = securityMethod(session);
  if (sm) protocols.push({ uri: proto, securityMethod: sm });
  protocols.push({ uri: proto });
  const doc = writeTransferXml({
    targets: [locationUri(loc)],
    direction,
    protocols,
    keepBytes: true,
    params: [],
  });
  const res = await session.send({
    method: 'POST',
    url: ep.sync,
    headers: { 'content-type': 'text/xml' },
    body: doc,
  });
  let final: { url: string; text: string };
  if (res.status === 303 || res.status === 302) {
    const loc303 = header(res, 'location');
    await res.body.dump();
    if (!loc303) throw new VosError('protocol', `${what}: transfer redirect without Location`);
    final = await follow303(session, new URL(loc303, ep.sync).toString(), what);
  } else if (res.status === 200) {
    final = { url: ep.sync, text: await session.text(res, 1024 * 1024) };
  } else {
    throw httpError(res.status, await res.body.text().catch(() => ''), what);
  }
  let endpoints: string[];
  try {
    endpoints = parseTransferXml(final.text, 1024 * 1024)
      .protocols.map((p) => p.endpoint)
      .filter((e): e is string => !!e && /^https?:\/\//.test(e));
  } catch (e) {
    if (e instanceof XmlInputError)
      throw new VosError('protocol', `${what}: bad transfer document: ${e.message}`);
    throw e;
  }
  if (endpoints.length > 0) return endpoints;
  // No endpoints: the job failed; its error text says why (CADC answers 200 with an empty document).
  const jobUrl = final.url.replace(/\/xfer\//, '/transfers/').replace(/\/results\/transferDetails$/, '');
  const phase = await session.send({ method: 'GET', url: `${jobUrl}/phase` });
  const phaseText = (await session.text(phase, 64 * 1024)).trim();
  if (phase.status === 200 && phaseText === 'ERROR') {
    const err = await session.send({ method: 'GET', url: `${jobUrl}/error` });
    const text = (await session.text(err, 64 * 1024)).trim() || 'transfer failed';
    throw new VosError(kindForJobError(text), `${what}: ${text}`, { serverText: text });
  }
  throw new VosError('protocol', `${what}: the server offered no ${direction} endpoint`);
}

/** The MD5 (hex) of a `Digest: md5=<base64>` answer header, if it has one. */
export function responseMd5(res: HttpResponse): string | undefined {
  const digest = header(res, 'digest');
  if (!digest) return undefined;
  for (const part of digest.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim().toLowerCase() === 'md5') {
      const raw = Buffer.from(part.slice(eq + 1).trim(), 'base64');
      if (raw.length === 16) return raw.toString('hex');
    }
  }
  return undefined;
}

export interface UploadResult {
  md5: string;
  size: number;
}

/** Uploads up to this size are read into memory and sent as one buffer. */
export const SMALL_UPLOAD_BYTES = 1024 * 1024;

async function readWhole(file: string, size: number, what: string): Promise<Buffer> {
  let buf: Buffer;
  try {
    buf = await readWholeFile(file, size);
  } catch (e) {
    throw new VosError('local', `${file}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  if (buf.length !== size)
    throw new VosError('conflict', `${what}: the file changed while it was being read`);
  return buf;
}

/** Bytes moved so far of a transfer, and its total when known. */
export type ProgressCallback = (bytesDone: number, totalBytes: number | undefined) => void;

/** A pass-through stage that shows every chunk to `see` on its way. */
export function tapChunks(see: (chunk: Buffer) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _e, cb) {
      see(chunk);
      cb(null, chunk);
    },
  });
}

/**
 * Uploads a local file to the endpoints of a push negotiation. With an MD5 known beforehand (given, or hashed from
 * a small file's buffer) the server verifies it (Digest header, 412 on mismatch); otherwise it is computed while
 * streaming. Either way it is checked against the MD5 the server says it stored.
 */
export async function putFile(
  session: HttpSession,
  endpoints: string[],
  file: string,
  what: string,
  opts: { md5?: string; size: number; contentType?: string; onProgress?: ProgressCallback },
): Promise<UploadResult> {
  let lastError: unknown;
  // A small file goes as one buffer, read once: a read stream per 4 KiB file costs more than the request itself.
  const small =
    opts.size <= SMALL_UPLOAD_BYTES && !session.bandwidth
      ? await readWhole(file, opts.size, what)
      : undefined;
  // Hashed from the buffer that is sent: the Digest header then lets the server check every byte it got.
  const known = opts.md5 ?? (small ? md5Hex(small) : undefined);
  for (const url of endpoints) {
    for (let integrityTries = 0; integrityTries < 3; integrityTries++) {
      let hash: Hash | undefined;
      const headers: Record<string, string> = { 'content-length': String(opts.size) };
      if (known) headers['digest'] = `md5=${Buffer.from(known, 'hex').toString('base64')}`;
      if (opts.contentType) headers['content-type'] = opts.contentType;
      const body = (): Readable => {
        const stages: Transform[] = [];
        const throttle = throttled(session.bandwidth);
        if (throttle) stages.push(throttle);
        // With the MD5 known, the server checks the bytes against the Digest header: no need to hash them again.
        if (!known) {
          const h = createHash('md5');
          hash = h;
          stages.push(tapChunks((chunk) => h.update(chunk)));
        }
        const onProgress = opts.onProgress;
        if (onProgress) {
          let sent = 0;
          stages.push(tapChunks((chunk) => onProgress((sent += chunk.length), opts.size)));
        }
        // Each stage hears of a read error before it, so the request body fails rather than hangs.
        let out: Readable = fs.createReadStream(file);
        for (const stage of stages) {
          out.on('error', (e) => stage.destroy(e));
          out = out.pipe(stage);
        }
        return out;
      };
      let res: HttpResponse;
      try {
        res = await session.send({ method: 'PUT', url, headers, body: small ?? body });
      } catch (e) {
        lastError = e;
        break;
      }
      const text = await res.body.text().catch(() => '');
      if (res.status === 412) {
        lastError = httpError(412, text, what);
        continue;
      }
      if (res.status < 200 || res.status >= 300) {
        lastError = httpError(res.status, text, what);
        if (res.status === 403 || res.status === 404 || res.status >= 500) break;
        throw lastError;
      }
      const sent = known ?? hash?.digest('hex');
      const stored = responseMd5(res);
      if (!sent) throw new VosError('local', `${what}: no checksum computed`);
      if (stored && stored !== sent) {
        lastError = new VosError('integrity', `${what}: server stored MD5 ${stored} but we sent ${sent}`);
        continue;
      }
      opts.onProgress?.(opts.size, opts.size);
      return { md5: sent, size: opts.size };
    }
  }
  if (lastError instanceof VosError) throw lastError;
  throw new VosError(
    'transient',
    `${what}: upload failed: ${(lastError as Error)?.message ?? 'no endpoint worked'}`,
    {
      cause: lastError,
    },
  );
}

export interface DownloadResult {
  /** Where the verified bytes are (a temp file beside the destination unless renamed). */
  file: string;
  md5: string;
  size: number;
  /** The server's Last-Modified, epoch ms, if sent. */
  lastModified?: number;
}

/** The byte URL of a node: the `/files` shortcut (303 on Vault, direct on ARC) or a pull negotiation. */
export async function resolveDownloadUrls(
  session: HttpSession,
  ep: ServiceEndpoints,
  loc: NodeLocation,
): Promise<{ urls: string[]; empty: boolean }> {
  if (ep.files) {
    const url = `${ep.files.replace(/\/+$/, '')}/${encodeNodePath(loc.path)}`;
    if (!ep.vaultLike) return { urls: [url], empty: false };
    const res = await session.send({ method: 'GET', url });
    const location = header(res, 'location');
    await res.body.dump();
    if ((res.status === 303 || res.status === 302) && location) {
      return { urls: [new URL(location, url).toString()], empty: false };
    }
    if (res.status === 204) return { urls: [], empty: true };
    if (res.status === 404) throw new VosError('not-found', `${displayLocation(loc)}: no such file`);
    if (res.status === 403) throw new VosError('permission', `${displayLocation(loc)}: permission denied`);
  }
  return { urls: await negotiate(session, ep, loc, 'pullFromVoSpace'), empty: false };
}

/**
 * How the temp file of a download is opened for writing (see openTempFile); the stream fsyncs the file before it
 * closes. `small`: the bytes are few and come in one piece. Replaceable only so fault tests can simulate a full
 * disk where mounting a small file system is not allowed; nothing else changes it.
 */
export const tempFiles = {
  openForWrite(file: string, offset: number, guard?: TempGuard, small = false): Writable {
    const fd = openTempFile(file, offset, guard);
    return small ? smallTempWriter(fd) : fs.createWriteStream(file, { fd, start: offset, flush: true });
  },
};

/**
 * Bytes of a previous attempt in `temp` to resume from. Anything there that is not a plain file of our own (a
 * symbolic link, a hard link shared with another name) is removed first: writing into it would change a file
 * elsewhere.
 */
function usableTempSize(temp: string): number {
  const st = fs.lstatSync(temp, { throwIfNoEntry: false });
  if (!st) return 0;
  if (st.isFile() && st.nlink === 1) return st.size;
  fs.rmSync(temp, { force: true, recursive: st.isDirectory() });
  return 0;
}

/** Hashes the first `length` bytes of a file (to continue hashing a resumed download). */
export async function hashPrefix(file: string, length: number): Promise<Hash> {
  const h = createHash('md5');
  if (length > 0) await pipeline(fs.createReadStream(file, { start: 0, end: length - 1 }), h, { end: false });
  return h;
}

/**
 * Downloads bytes from one of `urls` into a temp file beside `dest`. Interrupted bodies are resumed with
 * Range when the server allows it; the result is verified against the Digest/expected MD5 and size.
 * The caller renames the temp file (after its own checks) or calls `download` which does.
 */
export async function fetchToTemp(
  session: HttpSession,
  urls: string[],
  dest: string,
  what: string,
  expect: { md5?: string; size?: number; onProgress?: ProgressCallback; guard?: TempGuard } = {},
): Promise<DownloadResult> {
  const key = expect.md5 ?? 'x';
  const temp = tempPathFor(dest, `${key}.part`);
  let lastError: unknown;
  const attempts = session.policy.retries + 1;
  for (const url of urls) {
    for (let attempt = 0; attempt < attempts; attempt++) {
      expect.guard?.(temp);
      const have = usableTempSize(temp);
      const headers: Record<string, string> = {};
      if (have > 0 && expect.md5) headers['range'] = `bytes=${have}-`;
      let res: HttpResponse;
      try {
        res = await session.send({ method: 'GET', url, headers });
      } catch (e) {
        lastError = e;
        break;
      }
      if (res.status === 204) {
        await res.body.dump();
        fs.closeSync(openTempFile(temp, 0, expect.guard));
        return verify(temp, what, EMPTY_MD5, 0, expect, undefined);
      }
      if (res.status !== 200 && res.status !== 206) {
        const text = await res.body.text().catch(() => '');
        lastError = httpError(res.status, text, what);
        if (res.status === 416) {
          fs.rmSync(temp, { force: true });
          continue;
        }
        break;
      }
      const serverMd5 = responseMd5(res);
      const wantMd5 = expect.md5 ?? serverMd5;
      if (expect.md5 && serverMd5 && expect.md5 !== serverMd5) {
        await res.body.dump();
        throw new VosError(
          'conflict',
          `${what}: changed on the server (MD5 ${serverMd5}, expected ${expect.md5})`,
        );
      }
      let offset = 0;
      if (res.status === 206) {
        const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header(res, 'content-range') ?? '');
        if (!m || Number(m[1]) !== have) {
          await res.body.dump();
          fs.rmSync(temp, { force: true });
          lastError = new VosError(
            'protocol',
            `${what}: unexpected Content-Range ${header(res, 'content-range')}`,
          );
          continue;
        }
        offset = have;
      }
      const hash = offset > 0 ? await hashPrefix(temp, offset) : createHash('md5');
      const declared = Number(header(res, 'content-length'));
      const total = Number.isFinite(declared) ? offset + declared : undefined;
      if (expect.size !== undefined && total !== undefined && total !== expect.size) {
        await res.body.dump();
        throw new VosError('conflict', `${what}: server has ${total} bytes, expected ${expect.size}`);
      }
      const lm = Date.parse(header(res, 'last-modified') ?? '');
      // Bytes beyond the expected size are never written: an endless or oversized body stops here.
      let received = offset;
      let size: number;
      try {
        expect.onProgress?.(offset, total);
        if (offset === 0 && total !== undefined && total <= SYNC_IO_BYTES && !session.bandwidth) {
          // A few KiB of declared length (the HTTP layer holds the body to it): taken whole, written in one go.
          const body = Buffer.from(await res.body.arrayBuffer());
          hash.update(body);
          size = body.length;
          expect.onProgress?.(size, total);
          await finished(tempFiles.openForWrite(temp, 0, expect.guard, true).end(body));
        } else {
          const tap = new Transform({
            transform(chunk: Buffer, _e, cb) {
              received += chunk.length;
              if (expect.size !== undefined && received > expect.size) {
                cb(
                  new VosError(
                    'integrity',
                    `${what}: the server sent more than the expected ${expect.size} bytes`,
                  ),
                );
                return;
              }
              hash.update(chunk);
              expect.onProgress?.(received, total);
              cb(null, chunk);
            },
          });
          const sink = tempFiles.openForWrite(temp, offset, expect.guard);
          const throttle = throttled(session.bandwidth);
          if (throttle) await pipeline(res.body, throttle, tap, sink);
          else await pipeline(res.body, tap, sink);
          size = fs.statSync(temp).size;
        }
      } catch (e) {
        // The guard's refusal (or another local failure): retrying cannot help, and the temp stays untouched.
        if (e instanceof VosError && e.kind === 'local') throw e;
        lastError = e;
        // A body cut short keeps what arrived: the next attempt (or a later call) asks for the rest with Range.
        const cutShort =
          isTransientNetworkError(e) ||
          (e as Error).message?.includes('aborted') ||
          (e instanceof VosError && e.kind === 'transient');
        if (cutShort) {
          if (attempt + 1 < attempts) await delayForRetry(session, attempt);
          continue;
        }
        if ((e as NodeJS.ErrnoException).code === 'ENOSPC') {
          fs.rmSync(temp, { force: true });
          throw new VosError('local', `${what}: no space left on device writing ${temp}`);
        }
        if (e instanceof VosError) fs.rmSync(temp, { force: true });
        continue;
      }
      if (total !== undefined && size !== total) {
        lastError = new VosError('integrity', `${what}: received ${size} of ${total} bytes`);
        continue;
      }
      const md5 = hash.digest('hex');
      if (wantMd5 && md5 !== wantMd5) {
        fs.rmSync(temp, { force: true });
        lastError = new VosError('integrity', `${what}: downloaded MD5 ${md5} does not match ${wantMd5}`);
        continue;
      }
      return verify(temp, what, md5, size, expect, Number.isNaN(lm) ? undefined : lm);
    }
  }
  if (lastError instanceof VosError) throw naming(lastError, what);
  throw new VosError(
    'transient',
    `${what}: download failed: ${(lastError as Error)?.message ?? 'no URL worked'}`,
    {
      cause: lastError,
    },
  );
}

/** The error with `what` (the node and the local file) in front, unless it already says so. */
function naming(e: VosError, what: string): VosError {
  if (e.message.startsWith(what)) return e;
  return new VosError(e.kind, `${what}: ${e.message}`, { ...e.details, cause: e.details.cause ?? e });
}

/** Waits before retry number `attempt` (0-based), doubling up to the session's longest delay. */
export async function delayForRetry(session: HttpSession, attempt: number): Promise<void> {
  const ms = Math.min(session.policy.maxDelayMs, session.policy.baseDelayMs * 2 ** attempt);
  await new Promise((r) => setTimeout(r, ms));
}

/** The checks on a received temp file (already fsynced by its writer, see tempFiles); a failed one removes it. */
function verify(
  temp: string,
  what: string,
  md5: string,
  size: number,
  expect: { md5?: string; size?: number },
  lastModified: number | undefined,
): DownloadResult {
  if (expect.size !== undefined && size !== expect.size) {
    fs.rmSync(temp, { force: true });
    throw new VosError('integrity', `${what}: got ${size} bytes, expected ${expect.size}`);
  }
  if (expect.md5 && normaliseMd5(expect.md5) !== md5) {
    fs.rmSync(temp, { force: true });
    throw new VosError('integrity', `${what}: MD5 ${md5} does not match expected ${expect.md5}`);
  }
  const out: DownloadResult = { file: temp, md5, size };
  if (lastModified !== undefined) out.lastModified = lastModified;
  return out;
}
