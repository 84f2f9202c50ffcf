/**
 * The sides of a simulated pair as a user sees them: the local folder (plain file-system calls) and the remote
 * folder — in the simulation's in-memory store (MemorySide), or on the embedded server (RemoteSide, for the crash
 * campaign's real daemons: changes through the VOSpace client, as another machine would make them). Reads go
 * straight to the stored bytes, so checks never trust the agent's index.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PAIR_META_DIR } from '../../src/agent/local/ignore.js';
import { REMOTE_TRASH } from '../../src/agent/remote/remote-scan.js';
import { decodePath, encodePath } from '../../src/vospace/names.js';
import type { MemoryStore } from '../support/memory-remote.js';
import type { SimEnv } from '../campaign/server-env.js';
import { TEMP_PREFIX } from '../../src/util/temp-files.js';
import { md5Hex, EMPTY_MD5 } from '../../src/util/md5.js';
import { parentOf } from '../../src/util/rel-path.js';

export type ItemKind = 'file' | 'dir';

export interface Item {
  kind: ItemKind;
  /** MD5 of the bytes (files only). */
  md5?: string;
}

/** Relative POSIX path → item, parents before children. */
export type Tree = Map<string, Item>;

export type SideName = 'local' | 'remote';

export interface Side {
  readonly name: SideName;
  /** Which replica this is, where there are several (the multi-agent simulation); the story names it so. */
  readonly label?: string;
  /** The synced tree (without the pair's own folders and temp files). */
  tree(): Promise<Tree>;
  /** MD5s of every file in this side's trash. */
  trashMd5s(): Promise<string[]>;
  writeFile(rel: string, content: string): Promise<void>;
  mkdir(rel: string): Promise<void>;
  /** Removes a file or a whole folder. */
  remove(rel: string): Promise<void>;
  /** Renames; the destination is free and its parent exists. */
  move(from: string, to: string): Promise<void>;
}

export function isAtOrBelow(p: string, root: string): boolean {
  return p === root || p.startsWith(root + '/');
}

function sortTree(t: Tree): Tree {
  return new Map([...t.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export class LocalSide implements Side {
  readonly name = 'local';

  /** `clock` gives each user write a distinct mtime, as edits by a person are seconds apart. */
  constructor(
    readonly root: string,
    private readonly clock: () => number,
  ) {}

  abs(rel: string): string {
    return path.join(this.root, ...rel.split('/'));
  }

  private walk(dir: string, prefix: string, out: Tree, skip: (name: string, rel: string) => boolean): void {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names.sort()) {
      const rel = prefix === '' ? name : `${prefix}/${name}`;
      if (skip(name, rel)) continue;
      const abs = path.join(dir, name);
      const st = fs.lstatSync(abs);
      if (st.isDirectory()) {
        out.set(rel, { kind: 'dir' });
        this.walk(abs, rel, out, skip);
      } else if (st.isFile()) {
        out.set(rel, { kind: 'file', md5: md5Hex(fs.readFileSync(abs)) });
      }
    }
  }

  tree(): Promise<Tree> {
    const out: Tree = new Map();
    this.walk(this.root, '', out, (name, rel) => rel === PAIR_META_DIR || name.startsWith(TEMP_PREFIX));
    return Promise.resolve(sortTree(out));
  }

  trashMd5s(): Promise<string[]> {
    const out: Tree = new Map();
    this.walk(path.join(this.root, PAIR_META_DIR, 'trash'), '', out, () => false);
    return Promise.resolve([...out.values()].filter((i) => i.md5).map((i) => i.md5!));
  }

  /** Leftover download temp files anywhere in the tree. */
  tempFiles(): string[] {
    const out: Tree = new Map();
    this.walk(this.root, '', out, (_name, rel) => rel === PAIR_META_DIR);
    return [...out.keys()].filter((p) => p.split('/').pop()!.startsWith(TEMP_PREFIX));
  }

  writeFile(rel: string, content: string): Promise<void> {
    const abs = this.abs(rel);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, content);
    const t = this.clock() / 1000;
    fs.utimesSync(abs, t, t);
    return Promise.resolve();
  }

  mkdir(rel: string): Promise<void> {
    fs.mkdirSync(this.abs(rel), { recursive: true });
    return Promise.resolve();
  }

  remove(rel: string): Promise<void> {
    fs.rmSync(this.abs(rel), { recursive: true, force: true });
    return Promise.resolve();
  }

  move(from: string, to: string): Promise<void> {
    fs.renameSync(this.abs(from), this.abs(to));
    return Promise.resolve();
  }
}

/** A remote side's nodes as a record each: path below the pair's root, kind, and MD5 of files. */
type RemoteRecord = { rel: string; kind: ItemKind; md5?: string };

/** The tree users see on a remote side: every node outside the remote trash. */
function remoteTree(records: RemoteRecord[]): Tree {
  const out: Tree = new Map();
  for (const r of records) {
    if (isAtOrBelow(r.rel, REMOTE_TRASH)) continue;
    out.set(r.rel, r.kind === 'file' ? { kind: 'file', md5: r.md5! } : { kind: 'dir' });
  }
  return sortTree(out);
}

/** The MD5s of the files in a remote side's trash. */
function remoteTrashMd5s(records: RemoteRecord[]): string[] {
  return records.filter((r) => r.kind === 'file' && isAtOrBelow(r.rel, REMOTE_TRASH)).map((r) => r.md5!);
}

export class RemoteSide implements Side {
  readonly name = 'remote';
  private n = 0;

  /** `rootPath` is the pair's remote folder as a Vault node path, e.g. `alice/sim/w1-s7`. */
  constructor(
    private readonly env: SimEnv,
    readonly rootPath: string,
  ) {}

  /** The node of a path as the agent names it: names mapped as the agent maps them (names.ts). */
  uri(rel: string): string {
    return rel === '' ? `vos:${this.rootPath}` : `vos:${this.rootPath}/${encodePath(rel)}`;
  }

  private records(): RemoteRecord[] {
    const store = this.env.srv.store;
    const out: { rel: string; kind: ItemKind; md5?: string }[] = [];
    for (const r of store.subtree('vault', this.rootPath)) {
      if (r.path === this.rootPath) continue;
      const rel = decodePath(r.path.slice(this.rootPath.length + 1));
      if (r.type === 'ContainerNode') out.push({ rel, kind: 'dir' });
      else if (r.type === 'DataNode') {
        const bytes = r.blob ? fs.readFileSync(store.blobPath(r.blob)) : Buffer.alloc(0);
        out.push({ rel, kind: 'file', md5: md5Hex(bytes) });
      }
    }
    return out;
  }

  tree(): Promise<Tree> {
    return Promise.resolve(remoteTree(this.records()));
  }

  trashMd5s(): Promise<string[]> {
    return Promise.resolve(remoteTrashMd5s(this.records()));
  }

  async writeFile(rel: string, content: string): Promise<void> {
    const parent = parentOf(rel);
    if (parent !== '') await this.env.user.mkdir(this.uri(parent), { parents: true });
    const tmp = path.join(this.env.tmp, `upload-${process.pid}-${this.n++}`);
    fs.writeFileSync(tmp, content);
    try {
      await this.env.user.upload(tmp, this.uri(rel));
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }

  async mkdir(rel: string): Promise<void> {
    await this.env.user.mkdir(this.uri(rel), { parents: true });
  }

  async remove(rel: string): Promise<void> {
    await this.env.user.delete(this.uri(rel), { recursive: true });
  }

  async move(from: string, to: string): Promise<void> {
    await this.env.user.move(this.uri(from), this.uri(to));
  }
}

/** The remote folder in the simulation's in-memory store, changed directly as another machine would. */
export class MemorySide implements Side {
  readonly name = 'remote';

  constructor(
    private readonly store: MemoryStore,
    readonly rootPath: string,
  ) {}

  private at(rel: string): string {
    return rel === '' ? this.rootPath : `${this.rootPath}/${rel}`;
  }

  private records(): RemoteRecord[] {
    return this.store
      .subtree(this.rootPath)
      .filter(([p]) => p !== this.rootPath)
      .map(([p, n]) => ({
        rel: p.slice(this.rootPath.length + 1),
        kind: n.kind,
        ...(n.kind === 'file' ? { md5: n.md5 ?? EMPTY_MD5 } : {}),
      }));
  }

  tree(): Promise<Tree> {
    return Promise.resolve(remoteTree(this.records()));
  }

  trashMd5s(): Promise<string[]> {
    return Promise.resolve(remoteTrashMd5s(this.records()));
  }

  /** As an upload through the client would: an empty file is an empty node without a checksum. */
  writeFile(rel: string, content: string): Promise<void> {
    const p = this.at(rel);
    if (parentOf(rel) !== '') this.store.mkdirs(this.at(parentOf(rel)));
    if (content === '') {
      if ((this.store.get(p)?.md5 ?? EMPTY_MD5) !== EMPTY_MD5) this.store.delete(p);
      this.store.touch(p);
    } else this.store.write(p, Buffer.from(content));
    return Promise.resolve();
  }

  mkdir(rel: string): Promise<void> {
    this.store.mkdirs(this.at(rel));
    return Promise.resolve();
  }

  remove(rel: string): Promise<void> {
    this.store.delete(this.at(rel), true);
    return Promise.resolve();
  }

  move(from: string, to: string): Promise<void> {
    this.store.move(this.at(from), this.at(to));
    return Promise.resolve();
  }
}
