/**
 * The vosync VOSpace client: the operations of CADC's `vos.Client` (listdir, isfile, isdir, get_info,
 * copy both ways, mkdir, delete, move, properties, timeout) as a typed TypeScript API.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { VosError, httpError } from './errors.js';
import { HttpSession, type SessionOptions } from './http.js';
import { createJob, runJob } from './jobs.js';
import { childLocation, displayLocation, locationUri, parseLocation, type NodeLocation } from './location.js';
import { permissionProperties, toNodeInfo, type NodeInfo, type PermissionChange } from './node.js';
import { DEFAULT_LIST_LIMITS, ListingBudget, type ListLimits } from './listing-budget.js';
import { Registry, type ServiceEndpoints } from './registry.js';
import { negotiateQuick } from './quick-transfer.js';
import { findQuota, quotaExceeded } from './quota.js';
import { fetchToTemp, negotiate, resolveDownloadUrls, type ProgressCallback } from './transfer.js';
import { md5OfFile } from '../util/local-read.js';
import { Uploader, type UploaderOptions } from './uploader.js';
import { readListingAnswer } from './listing-answer.js';
import { encodeNodePath, parentPath } from './uri.js';
import {
  PROP,
  XmlInputError,
  parseNodeXml,
  writeNodeXml,
  writeTransferXml,
  type NodeDoc,
  type NodeType,
} from './xml.js';
import { TEMP_PREFIX } from '../util/temp-files.js';
import { EMPTY_MD5 } from '../util/md5.js';

export { DEFAULT_LIST_LIMITS, type ListLimits } from './listing-budget.js';

export interface ClientOptions extends SessionOptions, UploaderOptions {
  /** URL of the registry's resource-caps; default CADC's (or $VOSYNC_REGISTRY). */
  registryUrl?: string;
  /** Where registry/capabilities documents are cached. */
  cacheDir?: string;
  /** Extra `scheme: resourceId` mappings beyond vos:, vault: and arc:. */
  schemes?: Record<string, string>;
  /** Children per listing page on services that page (Vault). */
  pageSize?: number;
  /**
   * Largest container listing (one page) read into memory; a bigger or endless answer is refused. Default 256 MiB
   * (ARC lists a whole container in one document).
   */
  maxListingBytes?: number;
  /** Bounds on one container listing, all its pages together (default DEFAULT_LIST_LIMITS). */
  listLimits?: Partial<ListLimits>;
  // Big uploads (UploaderOptions): segmentThreshold, segmentBytes, uploadJournalDir.
}

/** A single node document (no children) is a few KB; anything near this is hostile. */
const MAX_NODE_BYTES = 8 * 1024 * 1024;
const DEFAULT_MAX_LISTING_BYTES = 256 * 1024 * 1024;

export interface TransferOutcome {
  md5: string;
  size: number;
  /** True when nothing was sent because the destination already held the same bytes. */
  skipped: boolean;
}

type Target = string | NodeLocation;

export class Client {
  readonly session: HttpSession;
  readonly registry: Registry;
  private readonly schemes: Record<string, string>;
  private readonly pageSize: number;
  private readonly maxListingBytes: number;
  private readonly listLimits: ListLimits;
  /** Sends upload bytes: one PUT, or a resumable segmented transaction for big files. */
  readonly uploader: Uploader;

  constructor(opts: ClientOptions = {}) {
    this.session = new HttpSession(opts);
    this.registry = new Registry(this.session, {
      ...(opts.registryUrl ? { registryUrl: opts.registryUrl } : {}),
      ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}),
    });
    this.schemes = opts.schemes ?? {};
    this.pageSize = opts.pageSize ?? 2000;
    this.maxListingBytes = opts.maxListingBytes ?? DEFAULT_MAX_LISTING_BYTES;
    this.listLimits = { ...DEFAULT_LIST_LIMITS, ...opts.listLimits };
    this.uploader = new Uploader(this.session, opts);
  }

  /** Per-request inactivity timeout in milliseconds. */
  get timeout(): number {
    return this.session.timeoutMs;
  }

  set timeout(ms: number) {
    this.session.timeoutMs = ms;
  }

  location(target: Target): NodeLocation {
    return typeof target === 'string' ? parseLocation(target, this.schemes) : target;
  }

  endpoints(loc: NodeLocation): Promise<ServiceEndpoints> {
    return this.registry.endpoints(loc.resourceId);
  }

  private nodeUrl(ep: ServiceEndpoints, p: string, query = ''): string {
    const base = ep.nodes.replace(/\/+$/, '');
    return `${base}${p === '' ? '' : '/' + encodeNodePath(p)}${query}`;
  }

  private parse(text: string, what: string): NodeDoc {
    try {
      return parseNodeXml(text, Math.max(this.maxListingBytes, MAX_NODE_BYTES));
    } catch (e) {
      if (e instanceof XmlInputError)
        throw new VosError('protocol', `${what}: bad node document: ${e.message}`);
      throw e;
    }
  }

  /** The node alone (`limit=0`: no children), under the small cap of one node's document. */
  private async fetchNode(loc: NodeLocation): Promise<NodeDoc> {
    const ep = await this.endpoints(loc);
    const what = displayLocation(loc);
    const { text } = await this.session.fetchText(
      { method: 'GET', url: this.nodeUrl(ep, loc.path, '?limit=0') },
      [200],
      what,
      MAX_NODE_BYTES,
    );
    return this.parse(text, what);
  }

  /** One node's metadata (no children). */
  async getInfo(target: Target): Promise<NodeInfo> {
    const loc = this.location(target);
    return toNodeInfo(await this.fetchNode(loc));
  }

  /** Like getInfo but undefined instead of a not-found error. */
  async tryGetInfo(target: Target): Promise<NodeInfo | undefined> {
    try {
      return await this.getInfo(target);
    } catch (e) {
      if (e instanceof VosError && e.kind === 'not-found') return undefined;
      throw e;
    }
  }

  async exists(target: Target): Promise<boolean> {
    return (await this.tryGetInfo(target)) !== undefined;
  }

  async isdir(target: Target): Promise<boolean> {
    const n = await this.tryGetInfo(target);
    if (n?.kind === 'link' && n.target?.startsWith('vos:')) return this.isdir(n.target);
    return n?.kind === 'container';
  }

  async isfile(target: Target): Promise<boolean> {
    const n = await this.tryGetInfo(target);
    if (n?.kind === 'link' && n.target?.startsWith('vos:')) return this.isfile(n.target);
    return n?.kind === 'file';
  }

  /**
   * All children of a container, paging with limit+uri where the service supports it. Bounded by the client's
   * listLimits, and refused when a page does not move the paging cursor on; `signal` stops it between and during
   * requests.
   */
  async *iterate(target: Target, opts: { signal?: AbortSignal } = {}): AsyncGenerator<NodeInfo> {
    yield* this.iterateAs(target, (n) => n, opts);
  }

  /**
   * Like iterate, with each child turned into what the caller keeps (`select`) as soon as it is read: a listing
   * page then holds a page of those instead of a page of full NodeInfos.
   */
  async *iterateAs<T>(
    target: Target,
    select: (child: NodeInfo) => T,
    opts: { signal?: AbortSignal } = {},
  ): AsyncGenerator<T> {
    const loc = this.location(target);
    const ep = await this.endpoints(loc);
    const what = displayLocation(loc);
    const budget = new ListingBudget(this.listLimits, what);
    // Each answer (ARC's whole folder, or one of Vault's pages) is read child by child as it downloads.
    const read = (query: string) =>
      readListingAnswer(
        this.session,
        { method: 'GET', url: this.nodeUrl(ep, loc.path, query) },
        what,
        this.maxListingBytes,
        opts.signal,
        select,
      );
    if (!ep.vaultLike) {
      const { kids, bytes } = await read('');
      budget.page(bytes, kids.length);
      yield* kids;
      return;
    }
    let resume: string | undefined;
    const cursors = new Set<string>();
    for (;;) {
      opts.signal?.throwIfAborted();
      const cursor = resume ? `&uri=${encodeURIComponent(resume)}` : '';
      const page = await read(`?limit=${this.pageSize}${cursor}`);
      const { kids, lastUri: last } = page;
      budget.page(page.bytes, kids.length);
      yield* resume && page.firstUri === resume ? kids.slice(1) : kids;
      if (kids.length < this.pageSize || last === undefined) return;
      // A full page ending where an earlier one ended: the server ignores the cursor and would page for ever.
      if (cursors.has(last) || last === resume)
        throw new VosError(
          'protocol',
          `${what}: the server sent a page that does not move the listing on (it ends again at ${last})`,
        );
      cursors.add(last);
      resume = last;
    }
  }

  async list(target: Target, opts: { signal?: AbortSignal } = {}): Promise<NodeInfo[]> {
    const out: NodeInfo[] = [];
    for await (const n of this.iterate(target, opts)) out.push(n);
    return out;
  }

  /** Names of a container's children, like `vos.Client.listdir`. */
  async listdir(target: Target): Promise<string[]> {
    return (await this.list(target)).map((n) => n.name);
  }

  private async putNode(loc: NodeLocation, type: NodeType, extra: Partial<NodeDoc> = {}): Promise<NodeInfo> {
    const ep = await this.endpoints(loc);
    const doc = writeNodeXml({ uri: locationUri(loc), type, properties: [], ...extra });
    const res = await this.session.expect(
      { method: 'PUT', url: this.nodeUrl(ep, loc.path), headers: { 'content-type': 'text/xml' }, body: doc },
      [200, 201],
      displayLocation(loc),
    );
    return toNodeInfo(this.parse(await this.session.text(res), displayLocation(loc)));
  }

  /** Creates a container; with `parents`, missing ancestors too, and an existing container is fine. */
  async mkdir(target: Target, opts: { parents?: boolean } = {}): Promise<void> {
    const loc = this.location(target);
    if (opts.parents) {
      const missing: NodeLocation[] = [];
      for (let p: string | undefined = loc.path; p !== undefined && p !== ''; p = parentPath(p)) {
        const l = { ...loc, path: p };
        const info = await this.tryGetInfo(l);
        if (info) {
          if (info.kind !== 'container' && info.kind !== 'link') {
            throw new VosError('exists', `${displayLocation(l)} exists and is not a container`);
          }
          break;
        }
        missing.unshift(l);
      }
      for (const l of missing) {
        try {
          await this.putNode(l, 'ContainerNode');
        } catch (e) {
          if (!(e instanceof VosError && e.kind === 'exists' && (await this.isdir(l)))) throw e;
        }
      }
      return;
    }
    await this.putNode(loc, 'ContainerNode');
  }

  /** Deletes a node; containers need `recursive` unless empty (server-side job when offered). */
  async delete(target: Target, opts: { recursive?: boolean } = {}): Promise<void> {
    const loc = this.location(target);
    const ep = await this.endpoints(loc);
    const what = displayLocation(loc);
    if (opts.recursive) {
      const info = await this.getInfo(loc);
      if (info.kind === 'container') {
        if (ep.asyncDelete) {
          const job = await createJob(
            this.session,
            ep.asyncDelete,
            `target=${encodeURIComponent(locationUri(loc))}`,
            'application/x-www-form-urlencoded',
            what,
          );
          await runJob(this.session, job, what);
          if (await this.exists(loc))
            throw new VosError('permission', `${what}: some nodes could not be deleted`);
          return;
        }
        for await (const child of this.iterate(loc)) await this.delete(childLocation(loc, child.name), opts);
      }
    }
    const res = await this.session.send({ method: 'DELETE', url: this.nodeUrl(ep, loc.path) });
    const text = await this.session.text(res);
    if (res.status >= 200 && res.status < 300) return;
    // A retried DELETE whose first attempt succeeded finds nothing: that is success.
    if (res.status === 404 && !(await this.exists(loc))) return;
    throw httpError(res.status, text, what);
  }

  private async runTransferJob(src: NodeLocation, dest: NodeLocation, keepBytes: boolean): Promise<string> {
    if (src.resourceId !== dest.resourceId) {
      throw new VosError(
        'unsupported',
        `cannot ${keepBytes ? 'copy' : 'move'} between services (${src.scheme}: → ${dest.scheme}:)`,
      );
    }
    const ep = await this.endpoints(src);
    if (!ep.transfers)
      throw new VosError('unsupported', `${displayLocation(src)}: service offers no async transfers`);
    const what = `${displayLocation(src)} → ${displayLocation(dest)}`;
    const doc = writeTransferXml({
      targets: [locationUri(src)],
      direction: locationUri(dest),
      protocols: [],
      keepBytes,
      params: [],
    });
    const job = await createJob(this.session, ep.transfers, doc, 'text/xml', what);
    const outcome = await runJob(this.session, job, what);
    return outcome.results['destination'] ?? locationUri(dest);
  }

  /** Server-side move/rename; a container destination receives the source inside it. Returns the new URI. */
  move(src: Target, dest: Target): Promise<string> {
    return this.runTransferJob(this.location(src), this.location(dest), false);
  }

  /** Server-side copy (VOSpace copyNode); not every service implements it. */
  copyRemote(src: Target, dest: Target): Promise<string> {
    return this.runTransferJob(this.location(src), this.location(dest), true);
  }

  /** Creates a link node pointing at `linkTarget` (a vos URI or an external URL). */
  async link(linkTarget: string, target: Target): Promise<NodeInfo> {
    let resolvedTarget = linkTarget;
    if (!/^[a-z]+:\/\//i.test(linkTarget))
      resolvedTarget = locationUri(parseLocation(linkTarget, this.schemes));
    return this.putNode(this.location(target), 'LinkNode', { target: resolvedTarget });
  }

  /** Sets (string) or removes (null) properties, leaving all others as they are. */
  async setProperties(target: Target, props: Record<string, string | null>): Promise<NodeInfo> {
    const loc = this.location(target);
    const ep = await this.endpoints(loc);
    const current = await this.fetchNode(loc);
    const doc = writeNodeXml({
      uri: locationUri(loc),
      type: current.type,
      properties: Object.entries(props).map(([uri, value]) =>
        value === null ? { uri, value: '', nil: true } : { uri, value },
      ),
      ...(current.type === 'LinkNode' ? { target: current.target ?? '' } : {}),
    });
    const res = await this.session.expect(
      { method: 'POST', url: this.nodeUrl(ep, loc.path), headers: { 'content-type': 'text/xml' }, body: doc },
      [200, 201],
      displayLocation(loc),
    );
    return toNodeInfo(this.parse(await this.session.text(res), displayLocation(loc)));
  }

  /** Public read and group permissions; groups are plain names (the GMS prefix is added). */
  async chmod(target: Target, perms: PermissionChange): Promise<NodeInfo> {
    return this.setProperties(target, permissionProperties(perms));
  }

  async lock(target: Target, locked: boolean): Promise<NodeInfo> {
    return this.setProperties(target, { [PROP.islocked]: locked ? 'true' : null });
  }

  /**
   * Uploads a local file; skips the bytes when the node already holds the same content. `precondition` sees the
   * node as read just before the transfer (undefined when absent); when it says no, nothing is written and a
   * `conflict` error is thrown. VOSpace has no conditional writes, so this is the shortest check-to-write window.
   */
  async upload(
    localFile: string,
    target: Target,
    opts: {
      md5?: string;
      contentType?: string;
      precondition?: (current: NodeInfo | undefined) => boolean;
      /**
       * The node as the caller has just read it (null: absent), e.g. from a listing or its own re-check; saves the
       * read before the transfer. `precondition` then judges this state.
       */
      current?: NodeInfo | null;
      /** Called as bytes are sent (and once more with the total when the server has them all). */
      onProgress?: ProgressCallback;
    } = {},
  ): Promise<TransferOutcome> {
    const loc = this.location(target);
    const what = `${localFile} → ${displayLocation(loc)}`;
    let st: fs.Stats;
    try {
      st = fs.statSync(localFile);
    } catch (e) {
      throw new VosError('local', `${localFile}: ${(e as NodeJS.ErrnoException).code ?? e}`);
    }
    if (!st.isFile()) throw new VosError('invalid', `${localFile} is not a regular file`);
    const remote = opts.current !== undefined ? (opts.current ?? undefined) : await this.tryGetInfo(loc);
    if (opts.precondition && !opts.precondition(remote))
      throw new VosError('conflict', `${displayLocation(loc)} changed on the server; not overwritten`);
    if (remote && remote.kind === 'container')
      throw new VosError('exists', `${displayLocation(loc)} is a container`);
    let md5 = opts.md5;
    if (remote?.kind === 'file' && remote.size === st.size && remote.md5) {
      md5 ??= await md5OfFile(localFile, st.size);
      if (md5 === remote.md5) {
        opts.onProgress?.(st.size, st.size);
        return { md5, size: st.size, skipped: true };
      }
    }
    if (st.size === 0) {
      if (remote?.kind === 'file' && remote.size > 0) await this.delete(loc);
      if (!remote || remote.size > 0) {
        try {
          await this.putNode(loc, 'DataNode');
        } catch (e) {
          if (!(e instanceof VosError && e.kind === 'exists')) throw e;
        }
      }
      return { md5: EMPTY_MD5, size: 0, skipped: false };
    }
    const ep = await this.endpoints(loc);
    let result: { md5: string; size: number };
    const put = (endpoints: string[]) =>
      this.uploader.put(endpoints, {
        file: localFile,
        what,
        stat: st,
        ...(md5 ? { md5 } : {}),
        ...(opts.contentType ? { contentType: opts.contentType } : {}),
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
        registry: this.registry.registryUrl,
        node: locationUri(loc),
        // Cavern has no transactions and would take a bodiless start as an empty upload: never over bytes there.
        mayStart: ep.vaultLike || !remote || remote.size === 0,
        renegotiate: () => negotiate(this.session, ep, loc, 'pushToVoSpace'),
      });
    try {
      // One round trip instead of three; when the quick URL does not work, the full negotiation may offer others.
      const quick = await negotiateQuick(this.session, ep, loc, 'pushToVoSpace');
      try {
        result = await put(quick ? [quick] : await negotiate(this.session, ep, loc, 'pushToVoSpace'));
      } catch (e) {
        if (!quick || (e instanceof VosError && (e.kind === 'local' || e.kind === 'conflict'))) throw e;
        result = await put(await negotiate(this.session, ep, loc, 'pushToVoSpace'));
      }
    } catch (e) {
      // Negotiating a push creates an empty node; do not leave that placeholder behind (vostools #145).
      if (!remote) await this.removeEmptyPlaceholder(loc);
      if (e instanceof VosError && e.kind === 'quota')
        throw quotaExceeded(e, loc, st.size, await findQuota((at) => this.tryGetInfo(at), loc));
      throw e;
    }
    const after = fs.statSync(localFile);
    if (after.size !== st.size || after.mtimeMs !== st.mtimeMs) {
      throw new VosError('conflict', `${localFile} changed while it was being uploaded; try again`);
    }
    return { ...result, skipped: false };
  }

  /** Deletes a node only if it is still an empty, checksum-less file (best effort). */
  private async removeEmptyPlaceholder(loc: NodeLocation): Promise<void> {
    try {
      const n = await this.tryGetInfo(loc);
      if (n && n.kind === 'file' && n.size === 0 && !n.md5) await this.delete(loc);
    } catch {
      // The server is unwell; the sync engine treats such placeholders as free space anyway.
    }
  }

  /**
   * Downloads a file node into `localFile` (temp file + verify + fsync + rename). An identical local file
   * is left untouched.
   */
  async download(
    target: Target,
    localFile: string,
    opts: {
      expectMd5?: string;
      /** The node as a listing just showed it: saves reading it again before the transfer. */
      info?: NodeInfo;
      /** Called as bytes arrive (counting from the bytes a resumed download already had). */
      onProgress?: ProgressCallback;
    } = {},
  ): Promise<TransferOutcome> {
    const loc = this.location(target);
    const what = `${displayLocation(loc)} → ${localFile}`;
    const info = opts.info ?? (await this.getInfo(loc));
    if (info.kind === 'container') throw new VosError('invalid', `${displayLocation(loc)} is a container`);
    const md5 = opts.expectMd5 ?? info.md5;
    try {
      // Absent (the usual case) without the cost of an exception.
      const st = fs.statSync(localFile, { throwIfNoEntry: false });
      if (st?.isFile() && st.size === info.size && md5 && (await md5OfFile(localFile, st.size)) === md5) {
        return { md5, size: st.size, skipped: true };
      }
    } catch {
      // unreadable: download
    }
    fs.mkdirSync(path.dirname(localFile), { recursive: true });
    const ep = await this.endpoints(loc);
    const { urls, empty } = await resolveDownloadUrls(this.session, ep, loc);
    if (empty || (urls.length === 0 && info.size === 0)) {
      if (info.size > 0)
        throw new VosError('integrity', `${what}: the server sent no bytes for ${info.size}`);
      const tmp = path.join(path.dirname(localFile), `${TEMP_PREFIX}${path.basename(localFile)}.empty`);
      // 'wx' after removing whatever is there: never write through a link planted at the temp name.
      fs.rmSync(tmp, { force: true });
      fs.writeFileSync(tmp, '', { flag: 'wx' });
      fs.renameSync(tmp, localFile);
      return { md5: EMPTY_MD5, size: 0, skipped: false };
    }
    // The node's length is checked even without an MD5 (Vault fills MD5 in late), so a short or endless body fails.
    const lengthKnown = info.properties[PROP.length] !== undefined;
    const got = await fetchToTemp(this.session, urls, localFile, what, {
      ...(md5 ? { md5 } : {}),
      ...(info.md5 || lengthKnown ? { size: info.size } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    });
    fs.renameSync(got.file, localFile);
    return { md5: got.md5, size: got.size, skipped: false };
  }

  /** `vos.Client.copy`: local → remote or remote → local, decided by which side is remote. */
  async copy(src: string, dest: string): Promise<TransferOutcome> {
    const srcRemote = /^[a-z][a-z0-9+.-]+:/i.test(src) && !fs.existsSync(src);
    const destRemote = /^[a-z][a-z0-9+.-]+:/i.test(dest) && !fs.existsSync(dest);
    if (srcRemote && !destRemote) return this.download(src, dest);
    if (!srcRemote && destRemote) return this.upload(src, dest);
    throw new VosError('invalid', `copy needs exactly one remote side (got ${src} → ${dest})`);
  }

  /** Streams a file node's bytes (optionally a byte range on services that support ranges). */
  async openRead(target: Target, range?: { start: number; end?: number }): Promise<Readable> {
    const loc = this.location(target);
    const ep = await this.endpoints(loc);
    const { urls, empty } = await resolveDownloadUrls(this.session, ep, loc);
    if (empty || urls.length === 0) {
      const { Readable } = await import('node:stream');
      return Readable.from([]);
    }
    const headers: Record<string, string> = {};
    if (range) headers['range'] = `bytes=${range.start}-${range.end ?? ''}`;
    const res = await this.session.expect(
      { method: 'GET', url: urls[0]!, headers },
      [200, 206, 204],
      displayLocation(loc),
    );
    if (range && res.status === 200 && range.start > 0) {
      res.body.destroy();
      throw new VosError('unsupported', `${displayLocation(loc)}: the service does not support byte ranges`);
    }
    return res.body;
  }

  /** Cuts off every request in flight (a listing or transfer that outlived a shutdown's grace). */
  async destroy(): Promise<void> {
    await this.session.destroy();
  }

  async close(): Promise<void> {
    await this.session.close();
  }
}
