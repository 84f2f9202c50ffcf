/**
 * The project's typed error: what went wrong, where, and the service's own words. Its kinds are protocol-neutral
 * (a VOSpace client, any other remote, the local disk), each with the errno-style exit code CADC's tools use.
 */
import type { QuotaState } from './quota-state.js';

export type VosErrorKind =
  | 'not-found'
  | 'exists'
  | 'permission'
  | 'auth'
  | 'quota'
  | 'locked'
  | 'conflict'
  | 'invalid'
  | 'transient'
  | 'unreachable'
  | 'integrity'
  | 'protocol'
  | 'unsupported'
  | 'local';

/** errno-style exit codes, as CADC's tools use them, so scripts can keep testing `$?`. */
export const EXIT_CODES: Record<VosErrorKind, number> = {
  'not-found': 2,
  exists: 17,
  permission: 13,
  auth: 13,
  quota: 27,
  locked: 1,
  conflict: 16,
  invalid: 22,
  transient: 11,
  // ECONNREFUSED's errno: one code for every way of not reaching the server (refused, DNS, routing, TLS).
  unreachable: 111,
  integrity: 5,
  protocol: 71,
  unsupported: 95,
  local: 5,
};

export class VosError extends Error {
  constructor(
    readonly kind: VosErrorKind,
    message: string,
    readonly details: {
      path?: string;
      status?: number;
      serverText?: string;
      cause?: unknown;
      /** For kind 'quota': the allocation that refused, when the client found it. */
      quota?: QuotaState;
    } = {},
  ) {
    super(message);
    this.name = 'VosError';
  }

  get exitCode(): number {
    return EXIT_CODES[this.kind];
  }

  get retryable(): boolean {
    return this.kind === 'transient' || this.kind === 'unreachable';
  }
}
