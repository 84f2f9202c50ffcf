/**
 * Bounds on one container listing, all its pages together: a server that pages for ever, or sends endless
 * pages, is cut off with a clear error instead of filling memory.
 */
import { VosError } from './errors.js';

/** What one listing may take before the client refuses the rest: a server that pages for ever is cut off. */
export interface ListLimits {
  pages: number;
  /** Children of the container. */
  entries: number;
  /** The pages' bytes added up. */
  bytes: number;
}

export const DEFAULT_LIST_LIMITS: ListLimits = {
  pages: 100_000,
  entries: 10_000_000,
  bytes: 8 * 1024 * 1024 * 1024,
};

/** Counts a listing's pages against its limits. */
export class ListingBudget {
  private pages = 0;
  private entries = 0;
  private bytes = 0;

  constructor(
    private readonly limits: ListLimits,
    private readonly what: string,
  ) {}

  page(bytes: number, children: number): void {
    this.pages++;
    this.entries += children;
    this.bytes += bytes;
    const l = this.limits;
    const over =
      this.pages > l.pages
        ? `${l.pages} pages`
        : this.entries > l.entries
          ? `${l.entries} entries`
          : this.bytes > l.bytes
            ? `${l.bytes} bytes`
            : undefined;
    if (over)
      throw new VosError(
        'protocol',
        `${this.what}: the listing passes the limit of ${over}; not read further`,
      );
  }
}
