/**
 * What the VOSpace adapter needs to reach a service: the registry, extra URI schemes, how to authenticate and the
 * limits of its HTTP client. The config declares these sections with these types.
 */

/** Environment variable the password for `auth.username` is read from; the file never holds a password. */
export const PASSWORD_ENV = 'CADC_PASSWORD';

/** How the daemon authenticates. Secrets other than an inline token are read at use time, not at load. */
export type AuthConfig =
  | { kind: 'certificate'; certFile: string }
  | { kind: 'token'; token: string }
  | { kind: 'tokenFile'; tokenFile: string }
  /** Log in with this user name and the password from $CADC_PASSWORD. */
  | { kind: 'password'; username: string }
  | { kind: 'anonymous' };

export interface TransferLimits {
  /** Transfers in flight at once. */
  concurrency: number;
  /** Cap on HTTP requests per second; 0 = unlimited. */
  requestsPerSecond: number;
  /** Cap on bytes per second over all transfers; 0 = unlimited. */
  bytesPerSecond: number;
  /** Retries after the first attempt for transient failures. */
  retries: number;
  /** Per-request inactivity timeout. */
  timeoutSeconds: number;
}

export interface VospaceSettings {
  /** Registry `resource-caps` URL used to find services. */
  registry: string;
  /** Extra URI schemes (`name: ivo://…` resource IDs). */
  services: Record<string, string>;
  auth: AuthConfig;
  transfers: TransferLimits;
}
