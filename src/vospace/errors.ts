/** How HTTP answers of a VOSpace service become the project's typed errors (util/errors.ts). */
import { VosError, type VosErrorKind } from '../util/errors.js';

export { EXIT_CODES, VosError, type VosErrorKind } from '../util/errors.js';
export type { QuotaState } from '../util/quota-state.js';

/** Maps an HTTP error status (and the server's text) to an error kind. */
export function kindForStatus(status: number, text: string): VosErrorKind {
  if (status === 404) return 'not-found';
  if (status === 409) return /DuplicateNode/.test(text) || !/NodeBusy/.test(text) ? 'exists' : 'conflict';
  if (status === 401) return 'auth';
  // CADC's answer to a client certificate it does not take (expired, or not from its authority).
  if (status === 403 && /invalid proxy cert/i.test(text)) return 'auth';
  if (status === 403) return /NodeLocked|islocked/i.test(text) ? 'locked' : 'permission';
  // 413 is also an input document over CADC's 32 KiB limit: bad input, not a full allocation.
  if (status === 413) return /^RequestEntityTooLarge/.test(text) ? 'invalid' : 'quota';
  if (status === 412) return 'integrity';
  if (status === 423) return 'locked';
  if (status === 400 && /OptionNotSupported|OperationNotSupported|not supported/i.test(text))
    return 'unsupported';
  if (status >= 400 && status < 500) return 'invalid';
  // A redirect where an answer was due (a loop, or a hop we do not follow) will not go away by retrying.
  if (status >= 300 && status < 400) return 'protocol';
  if (status === 501) return 'unsupported';
  return 'transient';
}

/** Builds an error from a response; `what` names the file or node, never credentials. */
export function httpError(status: number, body: string, what: string): VosError {
  const text = body.trim().split('\n')[0]?.slice(0, 500) ?? '';
  const kind = kindForStatus(status, text);
  return new VosError(kind, `${what}: ${text || `HTTP ${status}`}`, { path: what, status, serverText: text });
}
