/**
 * Parameter-mode ("quick") transfer negotiation: one `GET {sync}?TARGET=…&DIRECTION=…&PROTOCOL=…`, which CADC's
 * services answer with a 303 straight to the data URL. It saves two of the three round trips of the
 * transfer-document negotiation (POST, 303 to transferDetails, 303 to /xfer): with small files, round trips are
 * what bulk transfers spend their time on. CADC's Java client uses it for its quick transfers, and vostools used it
 * until vos 3.6.
 *
 * It yields one URL where the full negotiation may offer several (other storage sites), and a failure comes back
 * as a bare HTTP status. So anything but a 303 with a Location means "negotiate the full way", which also gives
 * the precise error, and callers fall back to the full negotiation when a quick URL fails.
 */
import { header, type HttpSession } from './http.js';
import { locationUri, type NodeLocation } from './location.js';
import type { ServiceEndpoints } from './registry.js';
import type { Direction } from './transfer.js';
import { PROTOCOL } from './xml.js';

/** The data URL of a quick negotiation, or undefined when the service did not answer with a redirect. */
export async function negotiateQuick(
  session: HttpSession,
  ep: ServiceEndpoints,
  loc: NodeLocation,
  direction: Direction,
): Promise<string | undefined> {
  const params = new URLSearchParams({
    TARGET: locationUri(loc),
    DIRECTION: direction,
    PROTOCOL: direction === 'pushToVoSpace' ? PROTOCOL.httpsput : PROTOCOL.httpsget,
  });
  const url = `${ep.sync}${ep.sync.includes('?') ? '&' : '?'}${params.toString()}`;
  let res;
  try {
    // No retries here: whatever goes wrong, the full negotiation (with its retries) is the fallback.
    res = await session.send({ method: 'GET', url, retry: false });
  } catch {
    return undefined;
  }
  const location = header(res, 'location');
  await res.body.dump().catch(() => undefined);
  if ((res.status !== 303 && res.status !== 302) || !location) return undefined;
  let target: URL;
  try {
    target = new URL(location, url);
  } catch {
    return undefined;
  }
  return target.protocol === 'https:' || target.protocol === 'http:' ? target.toString() : undefined;
}
