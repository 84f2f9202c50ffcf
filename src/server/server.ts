/**
 * `vosync serve`: one HTTP(S) server hosting a registry, a login service and two VOSpace services that
 * behave like CADC's Vault (`/vault`) and ARC (`/arc`): the data directory, the router and the server's life
 * cycle (the endpoints' work is in nodes.ts, transfers.ts, data.ts, cred.ts …; connections in connections.ts).
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ANONYMOUS,
  PreauthSigner,
  UserDirectory,
  presentedTokens,
  type Caller,
  type UserSpec,
} from './auth.js';
import type { RequestContext } from './context.js';
import { handleFiles, handleStorage } from './data.js';
import { Fault, faults } from './errors.js';
import {
  FaultInjector,
  parseFaultSpec,
  sabotageResponse,
  sabotageUpload,
  type EndpointClass,
  type FaultSpec,
} from './faults.js';
import { SERVER_HEADER, checkRequestPath, readBody, sendFault, sendText } from './http.js';
import { handleNodes } from './nodes.js';
import {
  handleLogin,
  sendAvailability,
  sendLoginCapabilities,
  sendResourceCaps,
  sendServiceCapabilities,
} from './registry.js';
import { lockDataDir, preauthKey, prepareDataDir } from './datadir.js';
import type { PidLock } from '../util/pid-lock.js';
import { ARC, VAULT, VoService } from './service.js';
import { DEFAULT_SEGMENT_LIMITS, PutTxns, type SegmentLimits } from './put-txns.js';
import { NodeStore, newNode, type ServiceName } from './store.js';
import { handleJobs, handleSyncTrans, handleXfer } from './transfers.js';
import { handleCred } from './cred.js';
import { UserCa } from './user-ca.js';
import {
  capConnectionsPerClient,
  certificateCaller,
  countBytesReceived,
  guardBodyIdle,
  ownHostNames,
  readTls,
  redact,
} from './connections.js';
import { FailureThrottle } from './throttle.js';
import { JobRegistry } from './uws.js';
import { PROP } from '../vospace/xml.js';

export type ServiceState = 'ReadWrite' | 'ReadOnly' | 'Offline';

export interface ServeOptions {
  /** Where metadata (SQLite) and bytes live; created if missing. */
  dataDir: string;
  host?: string;
  /** 0 = ephemeral. */
  port?: number;
  users?: UserSpec[];
  /** Name of the user who owns the roots (may create allocations, set quotas, drive the fault API). */
  admin?: string;
  faults?: FaultSpec | string;
  /**
   * HTTPS with these PEM files, or `'own'`: a certificate for the bound host, 127.0.0.1, ::1 and localhost
   * signed by the server's CA (`<dataDir>/ca.pem`). Either way, client certificates the CA signed log users in.
   */
  tls?: { cert: string; key: string } | 'own';
  /** Request log sink; nothing is logged when absent. Credentials are never logged. */
  log?: (line: string) => void;
  now?: () => number;
  limits?: Partial<ServerLimits>;
}

/** Protections against clients that guess credentials or hold connections; tests tighten them. */
export interface ServerLimits {
  /** Failed authentications per client address (and per user name on /ac/login) in a minute before 429. */
  authFailuresPerMinute: number;
  /** Time to receive a request's headers. */
  headersTimeoutMs: number;
  /** How long a request body may pause before its connection is dropped. */
  bodyIdleTimeoutMs: number;
  /** Open connections per client address; more are closed at once. */
  connectionsPerClient: number;
  /** UWS jobs kept per user (or per client address for anonymous jobs); more replace the oldest. */
  jobsPerCaller: number;
  /** PUT transactions: smallest segment but the last, largest segment (0: none), as announced to clients. */
  putSegmentMinBytes: number;
  putSegmentMaxBytes: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  authFailuresPerMinute: 10,
  headersTimeoutMs: 30_000,
  bodyIdleTimeoutMs: 60_000,
  connectionsPerClient: 128,
  jobsPerCaller: 1000,
  putSegmentMinBytes: DEFAULT_SEGMENT_LIMITS.minBytes,
  putSegmentMaxBytes: DEFAULT_SEGMENT_LIMITS.maxBytes,
};

export interface RunningServer {
  baseUrl: string;
  port: number;
  /** The CA that signs users' client certificates (and the `'own'` HTTPS certificate): trust this file. */
  caFile: string;
  faults: FaultInjector;
  store: NodeStore;
  /** Bytes read from clients' connections so far (headers and bodies): what arrived, for resume tests. */
  bytesReceived(): number;
  setState(state: ServiceState): void;
  close(): Promise<void>;
}

const ENDPOINT_CLASS: Record<string, EndpointClass> = {
  nodes: 'nodes',
  synctrans: 'transfers',
  transfers: 'transfers',
  xfer: 'transfers',
  'async-delete': 'transfers',
  'async-setprops': 'transfers',
  files: 'data',
  data: 'data',
};

/** How long close() waits for requests still in a handler after their connections were closed. */
const CLOSE_GRACE_MS = 5_000;

/**
 * The fault class of a request: `registry` for discovery and login (`/reg`, `/ac`, capabilities,
 * availability), the service endpoint's class otherwise; undefined for paths that are not served.
 */
function classify(top: string, endpoint: string): EndpointClass | undefined {
  if (top === 'reg' || top === 'ac' || top === 'cred') return 'registry';
  if (top !== 'vault' && top !== 'arc') return undefined;
  if (endpoint === 'capabilities' || endpoint === 'availability') return 'registry';
  return ENDPOINT_CLASS[endpoint];
}

function ensureNode(
  store: NodeStore,
  service: ServiceName,
  path: string,
  owner: string,
  props: Record<string, string>,
  now: number,
): void {
  if (store.get(service, path)) return;
  store.insert(newNode(service, path, 'ContainerNode', owner, props, now));
}

/** Creates the roots, the allocation parents and one allocation per user in each service. */
function provision(store: NodeStore, admin: string, users: string[], now: number): void {
  const pub = { [PROP.ispublic]: 'true' };
  const priv = { [PROP.ispublic]: 'false' };
  store.transaction(() => {
    ensureNode(store, 'vault', '', admin, pub, now);
    ensureNode(store, 'arc', '', admin, pub, now);
    ensureNode(store, 'arc', 'home', admin, priv, now);
    ensureNode(store, 'arc', 'projects', admin, priv, now);
    for (const u of users) {
      ensureNode(store, 'vault', u, u, priv, now);
      ensureNode(store, 'arc', `home/${u}`, u, priv, now);
    }
  });
}

/**
 * Takes the data directory and opens its store: crash leftovers (temp files of unfinished uploads, blobs no
 * node refers to, unacknowledged bytes of PUT transactions) collected, user areas provisioned, the pre-auth key
 * loaded. The lock comes first: the clean-up would delete the uploads in flight of another server on the same
 * directory.
 */
function openDataDir(
  dataDir: string,
  admin: string,
  users: string[],
  now: number,
  segments: SegmentLimits,
): { lock: PidLock; store: NodeStore; key: Buffer; txns: PutTxns } {
  prepareDataDir(dataDir);
  const lock = lockDataDir(dataDir);
  let store: NodeStore | undefined;
  try {
    store = new NodeStore(dataDir);
    store.collectGarbage();
    const txns = new PutTxns(store, segments);
    txns.recover(now);
    provision(store, admin, users, now);
    const key = preauthKey(dataDir, store.legacySecret());
    store.dropLegacySecret();
    return { lock, store, key, txns };
  } catch (e) {
    store?.close();
    lock.release();
    throw e;
  }
}

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const now = opts.now ?? Date.now;
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  // Everything that can be wrong with the options fails before the data directory is touched.
  const tlsFiles = opts.tls && opts.tls !== 'own' ? readTls(opts.tls) : undefined;
  const users = new UserDirectory(opts.users ?? []);
  const injector = new FaultInjector();
  if (opts.faults)
    injector.configure(typeof opts.faults === 'string' ? parseFaultSpec(opts.faults) : opts.faults);
  const admin = opts.admin ?? 'admin';
  const { lock, store, key, txns } = openDataDir(opts.dataDir, admin, users.names(), now(), {
    minBytes: limits.putSegmentMinBytes,
    maxBytes: limits.putSegmentMaxBytes,
  });
  const host = opts.host ?? '127.0.0.1';
  let ca: UserCa;
  let tls: { cert: string | Buffer; key: string | Buffer } | undefined;
  try {
    ca = await UserCa.open(opts.dataDir, now());
    tls = opts.tls === 'own' ? await ca.serverCertificate(ownHostNames(host), 365, now()) : tlsFiles;
  } catch (e) {
    store.close();
    lock.release();
    throw e;
  }
  const services: Record<ServiceName, VoService> = {
    vault: new VoService(VAULT, store),
    arc: new VoService(ARC, store),
  };
  const signer = new PreauthSigner(key);
  const jobs = new JobRegistry(now, limits.jobsPerCaller);
  let state: ServiceState = 'ReadWrite';
  let baseUrl = '';
  /** Aborted by close(): cuts injected latency short. */
  const closing = new AbortController();
  let closed: Promise<void> | undefined;
  const log = opts.log;

  const throttle = new FailureThrottle(limits.authFailuresPerMinute, now);
  const clientKey = (req: http.IncomingMessage) => `client:${req.socket.remoteAddress ?? ''}`;
  /**
   * The caller: the user a client certificate of the server's CA names, else by token or cookie; a client that
   * keeps presenting bad tokens is throttled (anonymous requests never are).
   */
  const identify = (req: http.IncomingMessage): Caller =>
    certificateCaller(req, users) ??
    (presentedTokens(req).length === 0
      ? ANONYMOUS
      : throttle.guard([clientKey(req)], () => users.identify(req)));

  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    res.setHeader('Server', SERVER_HEADER);
    checkRequestPath(req);
    let url: URL;
    try {
      url = new URL(req.url ?? '/', baseUrl);
    } catch {
      throw new Fault(400, 'InvalidArgument: malformed request URL');
    }
    const parts = url.pathname.split('/');
    const top = parts[1] ?? '';
    const endpoint = parts[2] ?? '';
    const method = req.method ?? 'GET';

    if (top === '_vosync') return handleControl(req, res, endpoint, identify(req));

    const svcName = top === 'vault' || top === 'arc' ? top : undefined;
    const cls = classify(top, endpoint);
    if (svcName && cls !== 'registry') {
      if (!cls || (endpoint === 'data' && !services[svcName].flavour.filesRedirect)) {
        throw new Fault(404, `not found: ${url.pathname}`);
      }
      // Service state applies to the VOSpace endpoints; discovery and availability keep answering.
      if (state === 'Offline') throw faults.unavailable('service is offline', 180);
      if (state === 'ReadOnly' && method !== 'GET' && method !== 'HEAD') {
        throw new Fault(503, 'System is in read-only mode for maintainence', { 'Retry-After': '180' });
      }
    }
    if (cls) {
      await injectFault(req, res, cls, method);
      // A connection cut while injected latency was applied has nobody left to answer.
      if (req.destroyed) return;
    }

    if (top === 'reg' && endpoint === 'resource-caps') return sendResourceCaps(res, baseUrl);
    if (top === 'cred') {
      return handleCred(
        {
          req,
          res,
          url,
          base: `${baseUrl}/cred`,
          ca,
          identify: () => identify(req),
          login: (name, password) =>
            void throttle.guard([clientKey(req), `user:${name}`], () => users.login(name, password)),
          knows: (name) => users.byUserName(name) !== undefined,
          admin,
          now: now(),
        },
        endpoint,
        parts.slice(3).join('/'),
      );
    }
    if (top === 'ac') {
      if (endpoint === 'capabilities') return sendLoginCapabilities(res, `${baseUrl}/ac`);
      if (endpoint === 'availability')
        return sendAvailability(res, true, 'login service is accepting requests');
      if (endpoint === 'login') {
        return handleLogin(req, res, (name, password) =>
          throttle.guard([clientKey(req), `user:${name}`], () => users.login(name, password)),
        );
      }
      throw new Fault(404, `not found: ${url.pathname}`);
    }
    if (!svcName) throw new Fault(404, `not found: ${url.pathname}`);
    const service = services[svcName];
    const serviceBase = `${baseUrl}/${svcName}`;
    if (endpoint === 'capabilities') return sendServiceCapabilities(res, svcName, serviceBase);
    if (endpoint === 'availability') {
      if (method === 'POST') return changeState(req, res, identify(req), service);
      return sendAvailability(res, state !== 'Offline', `service state: ${state}`);
    }

    const caller = identify(req);
    if (caller.user) res.setHeader('x-vo-authenticated', caller.user);
    const ctx: RequestContext = {
      req,
      res,
      url,
      rest: parts.slice(3).join('/'),
      caller,
      service,
      serviceBase,
      users,
      signer,
      jobs,
      txns,
      now,
    };
    switch (endpoint) {
      case 'nodes':
        return handleNodes(ctx);
      case 'synctrans':
        return handleSyncTrans(ctx);
      case 'xfer':
        return handleXfer(ctx);
      case 'transfers':
      case 'async-delete':
      case 'async-setprops':
        return handleJobs(ctx, endpoint);
      case 'files':
        return handleFiles(ctx);
      case 'data':
        return handleStorage(ctx);
    }
  }

  /**
   * Applies the fault injector's decision to one request: latency first, then a 500 or 503 answer, or a
   * sabotaged exchange. Uploads (PUT with a body) are cut mid-body for `reset` and `stall`, before the
   * data is committed; `truncate` lets a PUT commit and then loses the answer (the ambiguous case).
   */
  async function injectFault(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    cls: EndpointClass,
    method: string,
  ): Promise<void> {
    // Decided and armed before any await: the request body must not reach the handler before the
    // upload sabotage is in place, and decisions follow the order in which requests arrive.
    const fault = injector.decide(cls, method);
    if (fault === 'reset' || fault === 'stall' || fault === 'truncate') {
      const cutUpload =
        method === 'PUT' && fault !== 'truncate' && sabotageUpload(req, fault, injector.stallMs);
      if (!cutUpload) sabotageResponse(res, fault, injector.stallMs);
    }
    const latency = injector.latencyFor(cls);
    if (latency > 0) await sleep(latency, undefined, { signal: closing.signal }).catch(() => undefined);
    if (fault === 'error') throw new Fault(500, 'InternalFault: injected fault');
    if (fault === 'unavailable') throw faults.unavailable('injected fault', injector.retryAfterSeconds);
  }

  async function changeState(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    caller: Caller,
    svc: VoService,
  ): Promise<void> {
    if (!svc.isAdmin(caller)) throw faults.permission('service state');
    const params = new URLSearchParams((await readBody(req, 1024)).toString('utf8'));
    const next = params.get('state');
    if (next !== 'ReadWrite' && next !== 'ReadOnly' && next !== 'Offline') {
      throw faults.invalidArgument('state must be ReadWrite, ReadOnly or Offline');
    }
    state = next;
    sendText(res, 200, `state: ${state}\n`);
  }

  /**
   * `/_vosync/faults`, `/_vosync/state` and `/_vosync/stats` (bytes received): the admin's test controls for a
   * server in another process.
   */
  async function handleControl(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    what: string,
    caller: Caller,
  ): Promise<void> {
    if (caller === ANONYMOUS || caller.user !== admin) throw faults.permission('vosync control API');
    if (what === 'faults') {
      if (req.method === 'POST') {
        const body = (await readBody(req, 4096)).toString('utf8').trim();
        try {
          if (body === '' || body === 'off') injector.disable();
          else injector.configure(parseFaultSpec(body));
        } catch (e) {
          throw faults.invalidArgument((e as Error).message);
        }
      }
      sendText(res, 200, JSON.stringify({ spec: injector.current(), stats: injector.stats }) + '\n', {
        'Content-Type': 'application/json',
      });
      return;
    }
    if (what === 'stats') {
      sendText(res, 200, JSON.stringify({ bytesReceived: traffic() }) + '\n', {
        'Content-Type': 'application/json',
      });
      return;
    }
    if (what === 'state') {
      if (req.method === 'POST') {
        const next = (await readBody(req, 64)).toString('utf8').trim();
        if (next !== 'ReadWrite' && next !== 'ReadOnly' && next !== 'Offline') {
          throw faults.invalidArgument('state must be ReadWrite, ReadOnly or Offline');
        }
        state = next;
      }
      sendText(res, 200, `state: ${state}\n`);
      return;
    }
    throw new Fault(404, `not found: /_vosync/${what}`);
  }

  /** Requests still being handled; close() lets them settle before the store goes away. */
  const inflight = new Set<Promise<void>>();
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const started = Date.now();
    guardBodyIdle(req, limits.bodyIdleTimeoutMs);
    if (log) {
      // 'close' also fires for exchanges a fault (or the client) cut short, which never 'finish'.
      res.once('close', () => {
        const status = res.writableFinished
          ? String(res.statusCode)
          : res.headersSent
            ? `${res.statusCode} (cut)`
            : '(cut)';
        log(`${req.method} ${redact(req.url ?? '')} ${status} ${Date.now() - started}ms`);
      });
    }
    const done: Promise<void> = route(req, res)
      .catch((e: unknown) => {
        if (e instanceof Fault) return sendFault(res, e);
        log?.(`error ${req.method} ${redact(req.url ?? '')}: ${(e as Error).stack ?? String(e)}`);
        sendFault(res, new Fault(500, `unexpected exception: ${(e as Error).message}`));
      })
      .finally(() => inflight.delete(done));
    inflight.add(done);
  };

  const timeouts = {
    headersTimeout: limits.headersTimeoutMs,
    // No cap on a whole request: a big upload may take hours; a stalled one is caught by the body idle timer.
    requestTimeout: 0,
    connectionsCheckingInterval: Math.min(30_000, Math.max(50, limits.headersTimeoutMs / 4)),
  };
  // Client certificates are asked for but not required, and judged per request (certificateCaller), so that a
  // refused one gets an answer in words rather than a failed handshake.
  const server = tls
    ? https.createServer(
        { ...tls, requestCert: true, rejectUnauthorized: false, ca: [ca.certPem], ...timeouts },
        handler,
      )
    : http.createServer(timeouts, handler);
  server.keepAliveTimeout = 30_000;
  capConnectionsPerClient(server, limits.connectionsPerClient);
  const traffic = countBytesReceived(server);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    store.close();
    lock.release();
    throw e;
  }
  const port = (server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  baseUrl = `${tls ? 'https' : 'http'}://${urlHost}:${port}`;

  return {
    baseUrl,
    port,
    caFile: ca.certFile,
    faults: injector,
    store,
    bytesReceived: traffic,
    setState(s: ServiceState) {
      state = s;
    },
    close() {
      closed ??= (async () => {
        closing.abort();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        // Their connections are gone, so handlers settle quickly; a UWS WAIT poll may take longer.
        await Promise.race([
          Promise.allSettled([...inflight]),
          sleep(CLOSE_GRACE_MS, undefined, { ref: false }),
        ]);
        store.close();
        lock.release();
      })();
      return closed;
    },
  };
}
