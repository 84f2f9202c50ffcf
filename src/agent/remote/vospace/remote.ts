/**
 * The VOSpace adapter of the Remote port: one pair's remote root on a Vault or ARC service, through the client
 * library. Local names become node names by the pair's name mapping here and nowhere else in the engine.
 */
import type { Client } from '../../../vospace/client.js';
import { VosError } from '../../../util/errors.js';
import { childLocation, type NodeLocation } from '../../../vospace/location.js';
import { NAME_MAPPING, type NameCodec } from '../../../vospace/names.js';
import type { NodeInfo } from '../../../vospace/node.js';
import { fetchToTemp, resolveDownloadUrls } from '../../../vospace/transfer.js';
import { nodeNameProblem } from '../../../vospace/uri.js';
import { EMPTY_MD5 } from '../../../util/md5.js';
import { ownCopy } from '../../../util/own-copy.js';
import { createEmptyTemp } from '../../../util/temp-files.js';
import type {
  DownloadRequest,
  DownloadResult,
  Remote,
  RemoteChild,
  RemoteNode,
  UploadRequest,
  UploadResult,
} from '../port.js';

export function toRemoteNode(info: NodeInfo): RemoteNode {
  const kind = info.kind === 'container' ? 'dir' : info.kind;
  // Kept in the pair's remote tree for the whole cycle: copied off the listing's text (see ownCopy).
  const md5 = info.md5 === undefined ? undefined : ownCopy(info.md5);
  return { kind, size: kind === 'file' ? info.size : 0, dateMs: info.date, md5 };
}

/** Why the service cannot hold a local name under a codec, or undefined. */
export function remoteNameProblem(localName: string, names: NameCodec): string | undefined {
  const remote = names.encode(localName);
  const problem = nodeNameProblem(remote);
  if (!problem) return undefined;
  if (remote !== localName && problem.includes('longer than'))
    return `name too long for the remote once encoded (${Buffer.byteLength(remote)} bytes as ${remote.slice(0, 24)}…; the limit is 255)`;
  return `${problem} (the server cannot store this name)`;
}

export class VospaceRemote implements Remote {
  readonly capabilities = { placeholders: true };

  constructor(
    private readonly client: Client,
    private readonly root: NodeLocation,
    private readonly names: NameCodec = NAME_MAPPING,
    readonly uri = `${root.scheme}:${root.path}`,
  ) {}

  /** The node of a pair-relative path, each local name mapped. */
  location(rel: string): NodeLocation {
    let loc = this.root;
    if (rel !== '') for (const seg of rel.split('/')) loc = childLocation(loc, this.names.encode(seg));
    return loc;
  }

  async stat(rel: string): Promise<RemoteNode | undefined> {
    const info = await this.client.tryGetInfo(this.location(rel));
    return info && toRemoteNode(info);
  }

  list(rel: string, opts: { signal?: AbortSignal } = {}): AsyncGenerator<RemoteChild> {
    return this.client.iterateAs(this.location(rel), (child) => this.toChild(child), opts);
  }

  private toChild(child: NodeInfo): RemoteChild {
    const name = ownCopy(this.names.decode(child.name));
    // A name that does not come back from its local name (not NFC, or characters CADC cannot store made by
    // another tool) could not be addressed again.
    const unmappable = this.names.encode(name) !== child.name ? { unmappable: ownCopy(child.name) } : {};
    return { ...toRemoteNode(child), name, ...unmappable };
  }

  async upload(rel: string, req: UploadRequest): Promise<UploadResult> {
    let seen: RemoteNode | undefined;
    const result = await this.client.upload(req.file, this.location(rel), {
      md5: req.md5,
      precondition: (now) => req.precondition((seen = now && toRemoteNode(now))),
      ...(req.onProgress ? { onProgress: req.onProgress } : {}),
    });
    // Sent bytes were checked against their MD5 by the server (the PUT's Digest): no read-back.
    if (!result.skipped) return { sent: true, md5: result.md5, size: result.size };
    return { sent: false, md5: result.md5, size: result.size, ...(seen ? { node: seen } : {}) };
  }

  async download(rel: string, req: DownloadRequest): Promise<DownloadResult> {
    const loc = this.location(rel);
    const what = `${loc.scheme}:${loc.path}`;
    const ep = await this.client.endpoints(loc);
    const { urls, empty } = await resolveDownloadUrls(this.client.session, ep, loc);
    if (empty || (urls.length === 0 && req.size === 0)) {
      if (req.size > 0) throw new VosError('integrity', `${what}: the server sent no bytes for ${req.size}`);
      return { temp: createEmptyTemp(req.dest, req.guard), md5: EMPTY_MD5, size: 0 };
    }
    const got = await fetchToTemp(this.client.session, urls, req.dest, what, {
      ...(req.md5 ? { md5: req.md5 } : {}),
      size: req.size,
      guard: req.guard,
      ...(req.onProgress ? { onProgress: req.onProgress } : {}),
    });
    return { temp: got.file, md5: got.md5, size: got.size };
  }

  mkdir(rel: string, opts: { parents?: boolean } = {}): Promise<void> {
    return this.client.mkdir(this.location(rel), opts);
  }

  async move(from: string, to: string): Promise<void> {
    await this.client.move(this.location(from), this.location(to));
  }

  delete(rel: string, opts: { recursive?: boolean } = {}): Promise<void> {
    return this.client.delete(this.location(rel), opts);
  }

  nameProblem(localName: string): string | undefined {
    return remoteNameProblem(localName, this.names);
  }
}
