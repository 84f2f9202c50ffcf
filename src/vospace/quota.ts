/**
 * Quotas as a client meets them: an upload the service refused for space is explained by the allocation it
 * hit (the nearest container above the target that carries `core#quota`) and by how full that allocation is.
 */
import { humanBytes } from '../util/bytes.js';
import { describeQuota, type QuotaState } from '../util/quota-state.js';
import { VosError } from './errors.js';
import { displayLocation, type NodeLocation } from './location.js';
import type { NodeInfo } from './node.js';
import { parentPath } from './uri.js';
import { PROP } from './xml.js';

/**
 * The nearest container above `loc` with a quota, read one level at a time; undefined when none has one or
 * the walk cannot read a level (a refused read is no reason to hide the original error).
 */
export async function findQuota(
  readNode: (loc: NodeLocation) => Promise<NodeInfo | undefined>,
  loc: NodeLocation,
): Promise<QuotaState | undefined> {
  for (let p = parentPath(loc.path); p !== undefined; p = parentPath(p)) {
    const at = { ...loc, path: p };
    let n: NodeInfo | undefined;
    try {
      n = await readNode(at);
    } catch {
      return undefined;
    }
    const q = n ? quotaOf(n) : undefined;
    if (q) return { container: displayLocation(at), ...q };
  }
  return undefined;
}

/** A container's quota and the bytes used below it (Vault's core#length; Cavern has it only on CephFS). */
export function quotaOf(n: NodeInfo): { quota: number; used: number | undefined } | undefined {
  const raw = n.kind === 'container' ? n.properties[PROP.quota]?.trim() : undefined;
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  return { quota: Number(raw), used: n.properties[PROP.length] !== undefined ? n.size : undefined };
}

/** The refusal in words: which allocation is full and how full, with the size of what did not fit. */
export function quotaExceeded(
  cause: VosError,
  loc: NodeLocation,
  size: number,
  quota: QuotaState | undefined,
): VosError {
  const where = quota ? ` on ${quota.container}` : '';
  const fill = quota ? describeQuota(quota) : cause.details.serverText || cause.message;
  return new VosError(
    'quota',
    `${displayLocation(loc)}: quota exceeded${where} (${fill}; the file is ${humanBytes(size)})`,
    { ...cause.details, path: displayLocation(loc), ...(quota ? { quota } : {}), cause },
  );
}
