/**
 * Service discovery: registry `resource-caps` → a service's VOSI capabilities → endpoint URLs, cached on
 * disk for ten minutes like CADC's client, and used stale when the network fails.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { VosError } from './errors.js';
import type { Credentials, HttpSession } from './http.js';
import { XmlInputError, parseUntrustedXml } from './xml.js';
import { cacheDir, type Env } from '../util/platform-paths.js';

export const DEFAULT_REGISTRY = 'https://ws-cadc.canfar.net/reg/resource-caps';
export const CACHE_FRESH_MS = 10 * 60_000;

/** CADC's credential service, where `cadc-get-cert` gets client certificates. */
export const CRED_RESOURCE_ID = 'ivo://cadc.nrc.ca/cred';

export const STANDARD = {
  nodes: 'ivo://ivoa.net/std/VOSpace/v2.0#nodes',
  sync: 'ivo://ivoa.net/std/VOSpace#sync-2.1',
  transfers: 'ivo://ivoa.net/std/VOSpace/v2.0#transfers',
  files: 'ivo://ivoa.net/std/VOSpace#files-proto',
  asyncDelete: 'ivo://ivoa.net/std/VOSpace#recursive-delete-proto',
  asyncSetprops: 'ivo://ivoa.net/std/VOSpace#recursive-nodeprops-proto',
  availability: 'ivo://ivoa.net/std/VOSI#availability',
  login: 'ivo://ivoa.net/sso#tls-with-password',
  loginLegacy: 'ivo://ivoa.net/std/UMS#login-0.1',
  proxyCert: 'ivo://ivoa.net/std/CDP#proxy-1.0',
} as const;

const SECURITY_FOR: Record<Credentials['kind'], string | undefined> = {
  anonymous: undefined,
  token: 'ivo://ivoa.net/sso#token',
  certificate: 'ivo://ivoa.net/sso#tls-with-certificate',
};

interface Interface {
  url: string;
  security: (string | undefined)[];
}

export type Capabilities = Map<string, Interface[]>;

export function parseCapabilities(xml: string): Capabilities {
  const doc = parseUntrustedXml(xml, 1024 * 1024);
  const root = doc['capabilities'] as Record<string, unknown> | undefined;
  if (!root) throw new VosError('protocol', 'not a VOSI capabilities document');
  const out: Capabilities = new Map();
  for (const cap of asArray(root['capability'])) {
    const c = cap as Record<string, unknown>;
    const id = String(c['@_standardID'] ?? '');
    const ifaces: Interface[] = [];
    for (const iface of asArray(c['interface'])) {
      const i = iface as Record<string, unknown>;
      const access = asArray(i['accessURL'])[0];
      const url =
        typeof access === 'object' && access !== null
          ? String((access as Record<string, unknown>)['#text'] ?? '')
          : String(access ?? '');
      if (!/^https?:\/\//.test(url.trim())) continue;
      const methods = asArray(i['securityMethod']).map((m) =>
        typeof m === 'object' && m !== null && (m as Record<string, unknown>)['@_standardID']
          ? String((m as Record<string, unknown>)['@_standardID'])
          : undefined,
      );
      ifaces.push({ url: url.trim(), security: methods.length === 0 ? [undefined] : methods });
    }
    if (id) out.set(id, [...(out.get(id) ?? []), ...ifaces]);
  }
  return out;
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : v === undefined || v === '' ? [] : [v];
}

/** Picks the interface for our credentials, falling back to an anonymous one. */
export function selectInterface(
  caps: Capabilities,
  standardId: string,
  creds: Credentials['kind'],
): string | undefined {
  const ifaces = caps.get(standardId);
  if (!ifaces || ifaces.length === 0) return undefined;
  const wanted = SECURITY_FOR[creds];
  const match = (sec: string | undefined) => ifaces.find((i) => i.security.includes(sec));
  return (
    (wanted ? match(wanted) : undefined)?.url ??
    match(undefined)?.url ??
    (wanted ? undefined : ifaces[0]?.url)
  );
}

export interface ServiceEndpoints {
  resourceId: string;
  nodes: string;
  sync: string;
  transfers?: string;
  files?: string;
  asyncDelete?: string;
  asyncSetprops?: string;
  /** Vault-style (files answer 303, ordered paging) vs ARC-style; CADC's client decides the same way. */
  vaultLike: boolean;
}

export interface RegistryOptions {
  registryUrl?: string;
  cacheDir?: string;
  now?: () => number;
}

export function defaultCacheDir(env: Env = process.env, homedir: string = os.homedir()): string {
  return path.join(cacheDir(env, homedir), 'registry');
}

export class Registry {
  readonly registryUrl: string;
  private readonly cacheDir: string;
  private readonly now: () => number;
  private readonly memo = new Map<string, Promise<ServiceEndpoints>>();

  constructor(
    private readonly session: HttpSession,
    opts: RegistryOptions = {},
  ) {
    this.registryUrl = opts.registryUrl ?? process.env['VOSYNC_REGISTRY'] ?? DEFAULT_REGISTRY;
    this.cacheDir = opts.cacheDir ?? defaultCacheDir();
    this.now = opts.now ?? Date.now;
    session.trustOrigin(this.registryUrl);
  }

  /** Cached documents are kept per registry, so two registries naming the same resource never mix. */
  private cacheFile(key: string): string {
    const registry = createHash('sha256').update(this.registryUrl).digest('hex').slice(0, 12);
    return path.join(this.cacheDir, registry, key.replace(/[^A-Za-z0-9._-]+/g, '_'));
  }

  /** Fetches a small document through the on-disk cache: fresh → no request; failure → stale copy. */
  private async cached(key: string, url: string): Promise<string> {
    const file = this.cacheFile(key);
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(file);
    } catch {
      stat = undefined;
    }
    if (stat && this.now() - stat.mtimeMs < CACHE_FRESH_MS) return fs.readFileSync(file, 'utf8');
    try {
      const res = await this.session.send({ method: 'GET', url });
      if (res.status !== 200) {
        await res.body.dump();
        throw new VosError('transient', `GET ${url}: HTTP ${res.status}`);
      }
      const text = await this.session.text(res, 4 * 1024 * 1024);
      if (text.trim() === '') throw new VosError('protocol', `GET ${url}: empty response`);
      // Private to the user, like the rest of vosync's state (0700 folders, 0600 files).
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, text, { mode: 0o600 });
      fs.chmodSync(tmp, 0o600);
      fs.renameSync(tmp, file);
      return text;
    } catch (e) {
      if (stat) {
        const now = new Date(this.now());
        fs.utimesSync(file, now, now);
        return fs.readFileSync(file, 'utf8');
      }
      throw e;
    }
  }

  async capabilitiesUrl(resourceId: string): Promise<string> {
    if (/^https?:\/\//.test(resourceId)) return `${resourceId.replace(/\/+$/, '')}/capabilities`;
    const text = await this.cached('resource-caps', this.registryUrl);
    for (const line of text.split('\n')) {
      const t = line.trim();
      if (t === '' || t.startsWith('#')) continue;
      const eq = t.indexOf('=');
      if (eq < 0) continue;
      if (t.slice(0, eq).trim() !== resourceId) continue;
      const url = t.slice(eq + 1).trim();
      if (!/^https?:\/\//i.test(url)) {
        throw new VosError(
          'protocol',
          `the registry ${this.registryUrl} gives a capabilities URL that is not http(s): ${url}`,
        );
      }
      return url;
    }
    if (/^\s*<(!doctype|html)/i.test(text)) {
      throw new VosError(
        'protocol',
        `the registry ${this.registryUrl} answered with an HTML page, not a resource-caps list`,
      );
    }
    throw new VosError('not-found', `resource ${resourceId} is not in the registry ${this.registryUrl}`);
  }

  async capabilities(resourceId: string): Promise<Capabilities> {
    const url = await this.capabilitiesUrl(resourceId);
    this.session.trustOrigin(url);
    let caps: Capabilities;
    try {
      caps = parseCapabilities(await this.cached(`caps-${resourceId}`, url));
    } catch (e) {
      if (!(e instanceof XmlInputError)) throw e;
      throw new VosError('protocol', `bad capabilities document from ${url}: ${e.message}`);
    }
    for (const ifaces of caps.values()) for (const i of ifaces) this.session.trustOrigin(i.url);
    return caps;
  }

  /** The endpoints of a VOSpace service for the session's credentials (memoised per resource ID). */
  endpoints(resourceId: string): Promise<ServiceEndpoints> {
    let p = this.memo.get(resourceId);
    if (!p) {
      p = this.resolveEndpoints(resourceId);
      p.catch(() => this.memo.delete(resourceId));
      this.memo.set(resourceId, p);
    }
    return p;
  }

  private async resolveEndpoints(resourceId: string): Promise<ServiceEndpoints> {
    const caps = await this.capabilities(resourceId);
    const kind = this.session.credentials.kind;
    const pick = (id: string) => selectInterface(caps, id, kind);
    const nodes = pick(STANDARD.nodes);
    const sync = pick(STANDARD.sync);
    if (!nodes || !sync) {
      throw new VosError(
        'unsupported',
        `service ${resourceId} offers no nodes/sync endpoint for ${kind} access`,
      );
    }
    const ep: ServiceEndpoints = { resourceId, nodes, sync, vaultLike: resourceId.includes('vault') };
    const transfers = pick(STANDARD.transfers);
    const files = pick(STANDARD.files);
    const asyncDelete = pick(STANDARD.asyncDelete);
    const asyncSetprops = pick(STANDARD.asyncSetprops);
    if (transfers) ep.transfers = transfers;
    if (files) ep.files = files;
    if (asyncDelete) ep.asyncDelete = asyncDelete;
    if (asyncSetprops) ep.asyncSetprops = asyncSetprops;
    return ep;
  }
}
