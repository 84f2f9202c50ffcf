/** How HTTP answers of a VOSpace service become the project's typed errors (util/errors.ts). */
import { VosError, type VosErrorKind } from '../util/errors.js';

export { EXIT_CODES, VosError, type VosErrorKind } from '../util/errors.js';

/** Maps an HTTP error status (and the server's text) to an error kind. */
export function kindForStatus(status: number, text: string): VosErrorKind {
  if (status === 404) return 'not-found';
  if (status === 409) return /DuplicateNode/.test(text) || !/NodeBusy/.test(text) ? 'exists' : 'conflict';
  if (status === 401) return 'auth';
  if (status === 403) return /NodeLocked|islocked/i.test(text) ? 'locked' : 'permission';
  if (status === 413) return 'quota';
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
