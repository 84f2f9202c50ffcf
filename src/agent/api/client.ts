/**
 * The status API seen from the outside (`vosync status`, pause, resume, rescan): find the running daemon from
 * the config (discovery file, else the configured port), read the token file, call an endpoint.
 */
import fs from 'node:fs';
import type { VosyncConfig } from '../config/index.js';
import { processAlive, readEndpointFile } from './endpoint-file.js';

export class DaemonUnreachable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DaemonUnreachable';
  }
}

export class ApiCallError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiCallError';
  }
}

export interface DaemonAddress {
  url: string;
  token: string;
}

/** Where the daemon of this config listens, and the token to show it. */
export function daemonAddress(config: Pick<VosyncConfig, 'status'>): DaemonAddress {
  const tokenFile = config.status.tokenFile;
  let token: string;
  try {
    token = fs.readFileSync(tokenFile, 'utf8').trim();
  } catch {
    throw new DaemonUnreachable(
      `no status token at ${tokenFile}: the daemon has never run with this config (start it with 'vosync daemon')`,
    );
  }
  const ep = readEndpointFile(tokenFile);
  if (ep && processAlive(ep.pid)) return { url: ep.url, token };
  if (config.status.port !== 0) return { url: `http://127.0.0.1:${config.status.port}`, token };
  throw new DaemonUnreachable(`the daemon is not running (start it with 'vosync daemon')`);
}

export class StatusClient {
  constructor(
    readonly address: DaemonAddress,
    private readonly timeoutMs = 10_000,
  ) {}

  async call<T>(method: 'GET' | 'POST', pathAndQuery: string): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.address.url}${pathAndQuery}`, {
        method,
        headers: { authorization: `Bearer ${this.address.token}`, accept: 'application/json' },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
      throw new DaemonUnreachable(
        `the daemon is not answering at ${this.address.url} (${cause}); start it with 'vosync daemon'`,
      );
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ApiCallError(res.status, `unexpected answer from ${this.address.url} (HTTP ${res.status})`);
    }
    if (res.status === 401)
      throw new ApiCallError(
        401,
        'the daemon refused the status token (was it started with another config?)',
      );
    if (!res.ok)
      throw new ApiCallError(res.status, (body as { error?: string }).error ?? `HTTP ${res.status}`);
    return body as T;
  }
}
