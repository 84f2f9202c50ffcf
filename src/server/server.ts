/**
 * `vosync serve`: one HTTP(S) server hosting a registry, a login service and two VOSpace services that
 * behave like CADC's Vault (`/vault`) and ARC (`/arc`).
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ANONYMOUS, PreauthSigner, UserDirectory, type Caller, type UserSpec } from './auth.js';
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
import { SERVER_HEADER, readBody, sendFault, sendText } from './http.js';
import { handleNodes } from './nodes.js';
import {
  handleLogin,
  sendAvailability,
  sendLoginCapabilities,
  sendResourceCaps,
  sendServiceCapabilities,
} from './registry.js';
import { ARC, VAULT, VoService } from './service.js';
import { NodeStore, type NodeRecord, type ServiceName } from './store.js';
import { handleJobs, handleSyncTrans, handleXfer } from './transfers.js';
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
  tls?: { cert: string; key: string };
  /** Request log sink; nothing is logged when absent. Credentials are never logged. */
  log?: (line: string) => void;
  now?: () => number;
}

export interface RunningServer {
  baseUrl: string;
  port: number;
  faults: FaultInjector;
  store: NodeStore;
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

function ensureNode(
  store: NodeStore,
  service: ServiceName,
  path: string,
  owner: string,
  props: Record<string, string>,
  now: number,
): void {
  if (store.get(service, path)) return;
  const rec: NodeRecord = {
    service,
    path,
    name: path.slice(path.lastIndexOf('/') + 1),
    type: 'ContainerNode',
    owner,
    props,
    length: 0,
    md5: null,
    date: now,
    contentDate: null,
    blob: null,
    target: null,
  };
  store.insert(rec);
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

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const now = opts.now ?? Date.now;
  fs.mkdirSync(opts.dataDir, { recursive: true });
  const store = new NodeStore(opts.dataDir);
  store.collectGarbage();
  const users = new UserDirectory(opts.users ?? []);
  const admin = opts.admin ?? 'admin';
  provision(store, admin, users.names(), now());
  const services: Record<ServiceName, VoService> = {
    vault: new VoService(VAULT, store),
    arc: new VoService(ARC, store),
  };
  const signer = new PreauthSigner(store.secret());
  const jobs = new JobRegistry(now);
  const injector = new FaultInjector();
  if (opts.faults)
    injector.configure(typeof opts.faults === 'string' ? parseFaultSpec(opts.faults) : opts.faults);
  let state: ServiceState = 'ReadWrite';
  let baseUrl = '';
  const log = opts.log;

  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    res.setHeader('Server', SERVER_HEADER);
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

    if (top === 'reg' && endpoint === 'resource-caps') return sendResourceCaps(res, baseUrl);
    if (top === '_vosync') return handleControl(req, res, endpoint, users.identify(req));
    if (top === 'ac') {
      if (endpoint === 'capabilities') return sendLoginCapabilities(res, `${baseUrl}/ac`);
      if (endpoint === 'availability')
        return sendAvailability(res, true, 'login service is accepting requests');
      if (endpoint === 'login') return handleLogin(req, res, users);
      throw new Fault(404, `not found: ${url.pathname}`);
    }
    if (top !== 'vault' && top !== 'arc') throw new Fault(404, `not found: ${url.pathname}`);
    const service = services[top];
    const serviceBase = `${baseUrl}/${top}`;
    if (endpoint === 'capabilities') return sendServiceCapabilities(res, top, serviceBase);
    if (endpoint === 'availability') {
      if (method === 'POST') return changeState(req, res, users.identify(req), service);
      return sendAvailability(res, state !== 'Offline', `service state: ${state}`);
    }
    const cls = ENDPOINT_CLASS[endpoint];
    if (!cls || (endpoint === 'data' && !service.flavour.filesRedirect)) {
      throw new Fault(404, `not found: ${url.pathname}`);
    }
    if (state === 'Offline') throw faults.unavailable('service is offline', 180);
    if (state === 'ReadOnly' && method !== 'GET' && method !== 'HEAD') {
      throw new Fault(503, 'System is in read-only mode for maintainence', { 'Retry-After': '180' });
    }
    const latency = injector.latencyFor(cls);
    if (latency > 0) await sleep(latency);
    const fault = injector.decide(cls, method);
    if (fault === 'error') throw new Fault(500, 'InternalFault: injected fault');
    if (fault === 'unavailable') throw faults.unavailable('injected fault', injector.retryAfterSeconds);
    if (fault && method === 'PUT') {
      sabotageUpload(req, fault, injector.stallMs);
      return;
    }
    if (fault) sabotageResponse(res, fault, injector.stallMs);

    const caller = users.identify(req);
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

  /** `/_vosync/faults` and `/_vosync/state`: the admin's test controls for a server in another process. */
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
    if (what === 'state' && req.method === 'POST') {
      const next = (await readBody(req, 64)).toString('utf8').trim();
      if (next !== 'ReadWrite' && next !== 'ReadOnly' && next !== 'Offline') {
        throw faults.invalidArgument('state must be ReadWrite, ReadOnly or Offline');
      }
      state = next;
      sendText(res, 200, `state: ${state}\n`);
      return;
    }
    throw new Fault(404, `not found: /_vosync/${what}`);
  }

  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const started = Date.now();
    route(req, res)
      .catch((e: unknown) => {
        if (e instanceof Fault) return sendFault(res, e);
        log?.(`error ${req.method} ${req.url}: ${(e as Error).stack ?? String(e)}`);
        sendFault(res, new Fault(500, `unexpected exception: ${(e as Error).message}`));
      })
      .finally(() => {
        if (log)
          res.once('finish', () =>
            log(`${req.method} ${redact(req.url ?? '')} ${res.statusCode} ${Date.now() - started}ms`),
          );
      });
  };

  const server = opts.tls
    ? https.createServer(
        { cert: fs.readFileSync(opts.tls.cert), key: fs.readFileSync(opts.tls.key) },
        handler,
      )
    : http.createServer(handler);
  server.keepAliveTimeout = 30_000;
  server.requestTimeout = 0;
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  baseUrl = `${opts.tls ? 'https' : 'http'}://${urlHost}:${port}`;

  return {
    baseUrl,
    port,
    faults: injector,
    store,
    setState(s: ServiceState) {
      state = s;
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      store.close();
    },
  };
}

/** Pre-authorised URLs carry grants: keep them out of logs. */
function redact(url: string): string {
  return url.replace(/\/data\/[^/]+\//, '/data/<token>/').replace(/preauth:[^/]+/, 'preauth:<token>');
}
