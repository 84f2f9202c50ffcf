/**
 * The requests of a PUT transaction on a data URL, as CADC's minoc takes them and cadcutils sends them: start
 * (bodiless, with `x-total-length`), append a segment, ask the state (HEAD), revert the last segment, commit,
 * abort. None of the writes is retried here: an append or a commit may have taken effect although its answer
 * was lost, so the caller asks the state instead of sending it again.
 */
import type { Readable } from 'node:stream';
import { httpError } from './errors.js';
import { header, type HttpResponse, type HttpSession } from './http.js';
import { EMPTY_MD5 } from '../util/md5.js';
import { responseMd5 } from './transfer.js';

const TXN_ID = 'x-put-txn-id';
const TXN_OP = 'x-put-txn-op';

export interface OpenedTxn {
  id: string;
  /** Smallest segment but the last, largest segment (`x-put-segment-minbytes`/`maxbytes`), when announced. */
  minBytes?: number;
  maxBytes?: number;
}

/** What the server holds of a transaction: bytes so far and their MD5 (hex), and its segment limits. */
export interface TxnState {
  length: number;
  md5: string;
  limits: Omit<OpenedTxn, 'id'>;
}

function md5Digest(md5: string): string {
  return `md5=${Buffer.from(md5, 'hex').toString('base64')}`;
}

function positive(value: string | undefined): number | undefined {
  const n = Number(value);
  return value !== undefined && Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/**
 * Opens a transaction for `total` bytes. Undefined when the server answered without a transaction id: it does
 * not do transactions (and took the bodiless PUT as an empty upload).
 */
export async function openTxn(
  session: HttpSession,
  url: string,
  total: number,
  what: string,
  contentType?: string,
): Promise<OpenedTxn | undefined> {
  const headers: Record<string, string> = {
    'content-length': '0',
    [TXN_OP]: 'start',
    'x-total-length': String(total),
  };
  if (contentType) headers['content-type'] = contentType;
  const res = await session.send({ method: 'PUT', url, headers, body: '', retry: false });
  const text = await res.body.text().catch(() => '');
  if (res.status < 200 || res.status >= 300) throw httpError(res.status, text, what);
  const id = header(res, TXN_ID);
  return id ? { id, ...segmentLimits(res) } : undefined;
}

function segmentLimits(res: HttpResponse): Omit<OpenedTxn, 'id'> {
  const out: Omit<OpenedTxn, 'id'> = {};
  const min = positive(header(res, 'x-put-segment-minbytes'));
  const max = positive(header(res, 'x-put-segment-maxbytes'));
  if (min !== undefined) out.minBytes = min;
  if (max !== undefined) out.maxBytes = max;
  return out;
}

/** The transaction's state, or 'gone' when the server no longer knows it (committed, aborted or expired). */
export async function txnState(
  session: HttpSession,
  url: string,
  id: string,
  what: string,
): Promise<TxnState | 'gone'> {
  const res = await session.send({ method: 'HEAD', url, headers: { [TXN_ID]: id } });
  await res.body.dump().catch(() => undefined);
  if (res.status === 400 || res.status === 404) return 'gone';
  if (res.status !== 200) throw httpError(res.status, '', what);
  const length = Number(header(res, 'content-length') ?? '0');
  // minoc sends no Digest for a transaction that holds no bytes yet.
  const md5 = responseMd5(res) ?? (length === 0 ? EMPTY_MD5 : undefined);
  if (!Number.isSafeInteger(length) || length < 0 || md5 === undefined)
    throw httpError(502, 'bad state', what);
  return { length, md5, limits: segmentLimits(res) };
}

/** Sends one segment; `digest` (the whole upload's MD5) lets the server check the last one. */
export function appendSegment(
  session: HttpSession,
  url: string,
  id: string,
  body: () => Readable,
  length: number,
  digest?: string,
): Promise<HttpResponse> {
  const headers: Record<string, string> = { [TXN_ID]: id, 'content-length': String(length) };
  if (digest) headers['digest'] = md5Digest(digest);
  return session.send({ method: 'PUT', url, headers, body, retry: false });
}

/** Makes the bytes the node's data; the server checks them against `md5` too. */
export function commitTxn(session: HttpSession, url: string, id: string, md5: string): Promise<HttpResponse> {
  return session.send({
    method: 'PUT',
    url,
    headers: { [TXN_ID]: id, [TXN_OP]: 'commit', 'content-length': '0', digest: md5Digest(md5) },
    body: '',
    retry: false,
  });
}

/** Undoes the last segment; the answer's Digest is the state it went back to. */
export async function revertTxn(session: HttpSession, url: string, id: string, what: string): Promise<void> {
  const res = await session.send({
    method: 'POST',
    url,
    headers: { [TXN_ID]: id, [TXN_OP]: 'revert', 'content-length': '0' },
    body: '',
  });
  const text = await res.body.text().catch(() => '');
  if (res.status !== 202) throw httpError(res.status, text, what);
}

/** Drops the transaction, best effort: a server that cannot be told expires it in time. */
export async function abortTxn(session: HttpSession, url: string, id: string): Promise<void> {
  try {
    const res = await session.send({
      method: 'POST',
      url,
      headers: { [TXN_ID]: id, [TXN_OP]: 'abort', 'content-length': '0' },
      body: '',
    });
    await res.body.dump();
  } catch {
    // The server expires transactions nobody finishes.
  }
}
