/**
 * Uploads refused for space, held back instead of retried every cycle: each stays failing, with the reason
 * "quota exceeded on <allocation>", until its file changes, the allocation's quota or use changes (one read
 * of the allocation per cycle while something is held), or a full rescan (hourly by default) tries it again.
 */
import { describeQuota, type QuotaState } from '../../util/quota-state.js';

/** The file as it was when the upload was refused. */
export interface FileStamp {
  size: number;
  mtimeMs: number;
}

interface Held {
  stamp: FileStamp;
  quota: QuotaState | undefined;
  reason: string;
}

/** The reason a status shows for an upload refused for space: `quota exceeded on vos:alice (…)`. */
export function quotaReason(quota: QuotaState | undefined): string {
  return quota ? `quota exceeded on ${quota.container} (${describeQuota(quota)})` : 'quota exceeded';
}

export class QuotaHolds {
  private readonly held = new Map<string, Held>();

  /** Holds the upload of `path` back after the service refused it for space. */
  hold(path: string, stamp: FileStamp, quota: QuotaState | undefined): void {
    this.held.set(path, { stamp, quota, reason: quotaReason(quota) });
  }

  /** Why the upload of `path` of a file now as `stamp` stays held back, or undefined (a changed file is let go). */
  reasonFor(path: string, stamp: FileStamp): string | undefined {
    const h = this.held.get(path);
    if (!h) return undefined;
    if (h.stamp.size !== stamp.size || h.stamp.mtimeMs !== stamp.mtimeMs) {
      this.held.delete(path);
      return undefined;
    }
    return h.reason;
  }

  /** The allocations something is held for, as they were when they refused (to read again). */
  allocations(): QuotaState[] {
    const seen = new Map<string, QuotaState>();
    for (const h of this.held.values()) if (h.quota) seen.set(h.quota.container, h.quota);
    return [...seen.values()];
  }

  /**
   * Lets go of what an allocation held when it changed: its quota is another, or it uses fewer bytes than
   * when it refused (`now` undefined: it could not be read, nothing is let go). Returns the paths let go.
   */
  recheck(
    container: string,
    now: { quota: number | undefined; used: number | undefined } | undefined,
  ): string[] {
    if (!now) return [];
    const freed: string[] = [];
    for (const [p, h] of this.held) {
      if (h.quota?.container !== container) continue;
      const was = h.quota;
      const changed =
        now.quota !== was.quota || (now.used !== undefined && was.used !== undefined && now.used < was.used);
      if (changed) {
        this.held.delete(p);
        freed.push(p);
      }
    }
    return freed;
  }

  /** A full rescan tries everything again. */
  releaseAll(): void {
    this.held.clear();
  }

  get size(): number {
    return this.held.size;
  }
}
