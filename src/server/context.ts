import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Caller, PreauthSigner, UserDirectory } from './auth.js';
import type { PutTxns } from './put-txns.js';
import type { VoService } from './service.js';
import type { JobRegistry } from './uws.js';

/** Everything an endpoint needs to answer one request. */
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** The part of the path after the service's endpoint name, still percent-encoded (no leading slash). */
  rest: string;
  caller: Caller;
  service: VoService;
  /** e.g. `http://127.0.0.1:8080/vault` */
  serviceBase: string;
  users: UserDirectory;
  signer: PreauthSigner;
  jobs: JobRegistry;
  /** Open PUT transactions (both services). */
  txns: PutTxns;
  now: () => number;
}
