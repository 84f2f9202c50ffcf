/**
 * The in-memory remote: a VOSpace service held in a Map, behind the Remote port, for the simulation. It answers
 * as the embedded server does wherever the engine can tell (test/remote/contract.ts runs against both), and it
 * splits each operation into the requests the VOSpace adapter would send — an upload reads the node, negotiates
 * (which leaves an empty node where there was none), sends the bytes (verified, so not read back) — so a simulation can
 * interleave machines, cut requests and kill the process between any two of them through a gate.
 */
import fs from 'node:fs';
import type {
  DownloadRequest,
  DownloadResult,
  Remote,
  RemoteChild,
  RemoteNode,
  UploadRequest,
  UploadResult,
} from '../../src/agent/remote/port.js';
import { remoteNameProblem } from '../../src/agent/remote/vospace/remote.js';
import { VosError } from '../../src/util/errors.js';
import { EMPTY_MD5, md5Hex } from '../../src/util/md5.js';
import { createEmptyTemp, openTempFile, tempPathFor } from '../../src/util/temp-files.js';
import { NAME_MAPPING } from '../../src/vospace/names.js';
import { nameOf, parentOf } from '../../src/util/rel-path.js';

interface MemNode {
  kind: 'file' | 'dir';
  /** A file's bytes; an empty node made by a negotiation or an empty upload has none and no MD5. */
  bytes?: Buffer;
  md5?: string;
  dateMs: number;
}

const join = (a: string, b: string) => (a === '' ? b : b === '' ? a : `${a}/${b}`);
const isAtOrBelow = (p: string, root: string) => root === '' || p === root || p.startsWith(`${root}/`);

/** The service: every node by its path (local names, '/'-joined; '' is the service root), on one clock. */
export class MemoryStore {
  readonly nodes = new Map<string, MemNode>([['', { kind: 'dir', dateMs: 0 }]]);

  constructor(readonly now: () => number = Date.now) {}

  get(p: string): MemNode | undefined {
    return this.nodes.get(p);
  }

  /** The nodes of a subtree, the root of it first. */
  subtree(root: string): [string, MemNode][] {
    return [...this.nodes].filter(([p]) => isAtOrBelow(p, root)).sort(([a], [b]) => (a < b ? -1 : 1));
  }

  children(dir: string): [string, MemNode][] {
    return [...this.nodes]
      .filter(([p]) => p !== '' && p !== dir && parentOf(p) === dir)
      .sort(([a], [b]) => (a < b ? -1 : 1));
  }

  mkdir(p: string): void {
    const parent = this.nodes.get(parentOf(p));
    if (this.nodes.has(p)) throw new VosError('exists', `DuplicateNode: ${p}`);
    if (parent?.kind !== 'dir') throw new VosError('not-found', `ContainerNotFound: ${parentOf(p)}`);
    this.nodes.set(p, { kind: 'dir', dateMs: this.now() });
  }

  mkdirs(p: string): void {
    const segs = p.split('/');
    for (let i = 1; i <= segs.length; i++) {
      const q = segs.slice(0, i).join('/');
      const n = this.nodes.get(q);
      if (!n) this.mkdir(q);
      else if (n.kind !== 'dir') throw new VosError('exists', `${q} exists and is not a container`);
    }
  }

  /** Creates an empty file node (what a push negotiation or an empty upload leaves). */
  touch(p: string): void {
    if (this.nodes.get(parentOf(p))?.kind !== 'dir')
      throw new VosError('not-found', `ContainerNotFound: ${parentOf(p)}`);
    if (!this.nodes.has(p)) this.nodes.set(p, { kind: 'file', dateMs: this.now() });
  }

  /** Puts bytes into a file node (made if absent, its parent must exist). */
  write(p: string, bytes: Buffer): void {
    this.touch(p);
    const n = this.nodes.get(p)!;
    if (n.kind !== 'file') throw new VosError('exists', `${p} is a container`);
    this.nodes.set(p, { kind: 'file', bytes, md5: md5Hex(bytes), dateMs: this.now() });
  }

  /** VOSpace's move: a container at `to` receives the node inside it; anything else there is an error. */
  move(from: string, to: string): void {
    if (!this.nodes.has(from)) throw new VosError('not-found', `NodeNotFound: ${from}`);
    let dest = to;
    if (this.nodes.get(to)?.kind === 'dir') dest = join(to, nameOf(from));
    if (isAtOrBelow(dest, from))
      throw new VosError('invalid', `InvalidArgument: Cannot move container node into its descendants`);
    if (this.nodes.has(dest)) throw new VosError('exists', `DuplicateNode: destination ${dest}`);
    if (this.nodes.get(parentOf(dest))?.kind !== 'dir')
      throw new VosError('not-found', `NodeNotFound: Parent directory for destination ${dest}`);
    const moving = this.subtree(from);
    for (const [p] of moving) this.nodes.delete(p);
    for (const [p, n] of moving) {
      const q = dest + p.slice(from.length);
      this.nodes.set(q, p === from ? { ...n, dateMs: this.now() } : n);
    }
  }

  /** Deletes a node; a container with children only with `recursive`; a missing node is no error. */
  delete(p: string, recursive = false): void {
    const n = this.nodes.get(p);
    if (!n) return;
    if (n.kind === 'dir' && !recursive && this.children(p).length > 0)
      throw new VosError('invalid', `container node '${nameOf(p)}' is not empty`);
    for (const [q] of this.subtree(p)) this.nodes.delete(q);
  }
}

/** Which call of the port a request serves (`upload`, `stat`, …), and which of its requests it is (from 0). */
export interface RequestOf {
  op: string;
  step: number;
}

/**
 * Runs each request of a Remote: its name (`getInfo`, `list`, `negotiate`, `put`, `get`, `putNode`, `move`,
 * `delete`), the pair-relative path it names (ancestors above the root as `/path`), its effect, and the call it
 * serves. The default runs the effect at once; a simulation's gate may wait for a turn first, fail the request
 * before or after its effect, or kill the caller.
 */
export type RequestGate = <T>(request: string, rel: string, effect: () => T, of: RequestOf) => Promise<T>;

/** The requests of one call of the port, numbered. */
type Requests = <T>(request: string, rel: string, effect: () => T) => Promise<T>;

const openGate: RequestGate = (_request, _rel, effect) => Promise.resolve().then(effect);

export interface MemoryRemoteOptions {
  gate?: RequestGate;
  /** How the root is named in messages. */
  uri?: string;
}

function view(n: MemNode): RemoteNode {
  return n.kind === 'dir'
    ? { kind: 'dir', size: 0, dateMs: n.dateMs, md5: undefined }
    : { kind: 'file', size: n.bytes?.length ?? 0, dateMs: n.dateMs, md5: n.md5 };
}

/** One folder of a MemoryStore as a pair's remote. */
export class MemoryRemote implements Remote {
  readonly capabilities = { placeholders: true };
  readonly uri: string;
  private readonly gate: RequestGate;

  constructor(
    readonly store: MemoryStore,
    readonly root: string,
    opts: MemoryRemoteOptions = {},
  ) {
    this.gate = opts.gate ?? openGate;
    this.uri = opts.uri ?? `mem:${root}`;
  }

  private requests(op: string): Requests {
    let step = 0;
    return (request, rel, effect) => this.gate(request, rel, effect, { op, step: step++ });
  }

  private at(rel: string): string {
    return join(this.root, rel);
  }

  private node(rel: string): MemNode | undefined {
    return this.store.get(this.at(rel));
  }

  private missing(rel: string): VosError {
    return new VosError('not-found', `NodeNotFound: ${this.uri}/${rel}`);
  }

  private read(request: Requests, rel: string): Promise<RemoteNode | undefined> {
    return request('getInfo', rel, () => {
      const n = this.node(rel);
      return n && view(n);
    });
  }

  stat(rel: string): Promise<RemoteNode | undefined> {
    return this.read(this.requests('stat'), rel);
  }

  async *list(rel: string, opts: { signal?: AbortSignal } = {}): AsyncGenerator<RemoteChild> {
    const page = await this.requests('list')('list', rel, () => {
      opts.signal?.throwIfAborted();
      const n = this.node(rel);
      if (!n) throw this.missing(rel);
      if (n.kind !== 'dir') return [];
      return this.store.children(this.at(rel)).map(([p, c]) => ({ ...view(c), name: nameOf(p) }));
    });
    yield* page;
  }

  async upload(rel: string, req: UploadRequest): Promise<UploadResult> {
    const request = this.requests('upload');
    const st = fs.statSync(req.file);
    const current = await this.read(request, rel);
    if (!req.precondition(current))
      throw new VosError('conflict', `${this.uri}/${rel} changed on the server; not overwritten`);
    if (current?.kind === 'dir') throw new VosError('exists', `${this.uri}/${rel} is a container`);
    if (current?.kind === 'file' && current.size === st.size && current.md5 === req.md5) {
      req.onProgress?.(st.size, st.size);
      return { sent: false, md5: req.md5, size: st.size, node: current };
    }
    const p = this.at(rel);
    if (st.size === 0) {
      if (current?.kind === 'file' && current.size > 0)
        await request('delete', rel, () => this.store.delete(p));
      if (!current || current.size > 0) await request('putNode', rel, () => this.store.touch(p));
      return { sent: true, md5: EMPTY_MD5, size: 0 };
    }
    try {
      await request('negotiate', rel, () => {
        if (this.store.get(parentOf(p))?.kind !== 'dir')
          throw new VosError('not-found', `ContainerNotFound: ${this.uri}/${parentOf(rel)}`);
        this.store.touch(p);
      });
      await request('put', rel, () => {
        const bytes = fs.readFileSync(req.file);
        if (md5Hex(bytes) !== req.md5)
          throw new VosError('integrity', `${req.file}: the server received bytes of another MD5`);
        this.store.write(p, bytes);
        req.onProgress?.(bytes.length, bytes.length);
      });
    } catch (e) {
      // As the client does: an empty node the negotiation left is removed again (best effort).
      if (!current) await this.removeEmptyNode(request, rel).catch(() => undefined);
      throw e;
    }
    const after = fs.statSync(req.file);
    if (after.size !== st.size || after.mtimeMs !== st.mtimeMs)
      throw new VosError('conflict', `${req.file} changed while it was being uploaded; try again`);
    return { sent: true, md5: req.md5, size: st.size };
  }

  private async removeEmptyNode(request: Requests, rel: string): Promise<void> {
    const n = await request('getInfo', rel, () => this.node(rel));
    if (n?.kind === 'file' && !n.md5) await request('delete', rel, () => this.store.delete(this.at(rel)));
  }

  async download(rel: string, req: DownloadRequest): Promise<DownloadResult> {
    const request = this.requests('download');
    await request('negotiate', rel, () => {
      if (this.node(rel)?.kind !== 'file') throw this.missing(rel);
    });
    const bytes = await request('get', rel, () => {
      const n = this.node(rel);
      if (n?.kind !== 'file') throw this.missing(rel);
      return n.bytes ?? Buffer.alloc(0);
    });
    if (bytes.length === 0 && req.size === 0) {
      return { temp: createEmptyTemp(req.dest, req.guard), md5: EMPTY_MD5, size: 0 };
    }
    const md5 = md5Hex(bytes);
    if ((req.md5 && md5 !== req.md5) || bytes.length !== req.size)
      throw new VosError('conflict', `${this.uri}/${rel}: changed on the server since it was listed`);
    const temp = tempPathFor(req.dest, `${req.md5 ?? 'x'}.part`);
    req.guard(temp);
    const fd = openTempFile(temp, 0, req.guard);
    try {
      fs.writeSync(fd, bytes);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    req.onProgress?.(bytes.length, bytes.length);
    return { temp, md5, size: bytes.length };
  }

  async mkdir(rel: string, opts: { parents?: boolean } = {}): Promise<void> {
    const request = this.requests('mkdir');
    if (!opts.parents) return request('putNode', rel, () => this.store.mkdir(this.at(rel)));
    // As the client does: ancestors read upwards until one exists, then the missing ones made downwards.
    const named = (q: string) => (isAtOrBelow(q, this.root) ? q.slice(this.root.length + 1) : `/${q}`);
    const missing: string[] = [];
    for (let q = this.at(rel); ; q = parentOf(q)) {
      const n = await request('getInfo', named(q), () => this.store.get(q));
      if (n) {
        if (n.kind !== 'dir') throw new VosError('exists', `${q} exists and is not a container`);
        break;
      }
      missing.unshift(q);
    }
    for (const q of missing) {
      await request('putNode', named(q), () => {
        if (this.store.get(q)?.kind !== 'dir') this.store.mkdir(q);
      });
    }
  }

  move(from: string, to: string): Promise<void> {
    return this.requests('move')('move', from, () => this.store.move(this.at(from), this.at(to)));
  }

  delete(rel: string, opts: { recursive?: boolean } = {}): Promise<void> {
    const recursive = opts.recursive ?? false;
    return this.requests('delete')('delete', rel, () => this.store.delete(this.at(rel), recursive));
  }

  nameProblem(localName: string): string | undefined {
    return remoteNameProblem(localName, NAME_MAPPING);
  }
}
