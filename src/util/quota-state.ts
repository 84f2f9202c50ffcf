/** An allocation's quota as an upload refused for space found it, and how full it is in words. */
import { humanBytes } from './bytes.js';

/** The allocation an upload was refused for: its name as users write it, its quota and bytes used (bytes). */
export interface QuotaState {
  container: string;
  quota: number;
  /** Undefined when the service does not say (Cavern without CephFS). */
  used: number | undefined;
}

/** How full an allocation is, in words: `9.9 GB of 10 GB used`, or `quota 10 GB` when its use is unknown. */
export function describeQuota(quota: QuotaState): string {
  return quota.used !== undefined
    ? `${humanBytes(quota.used)} of ${humanBytes(quota.quota)} used`
    : `quota ${humanBytes(quota.quota)}`;
}
