/**
 * The resume journal of segmented uploads: one small JSON file per target node (in the client's cache folder),
 * naming the open PUT transaction on the server, the local file it carries (size, mtime, inode, MD5 when known)
 * and the last segment the server acknowledged. A process killed mid-upload finds it on the next upload of the
 * same file to the same node and asks the server where to go on from. It holds no credentials (the storage
 * site's origin, not its pre-authorised URL), and losing it costs only a resend.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cacheDir } from '../util/platform-paths.js';

/** The local file an upload reads, as far as telling "the same file, unchanged" goes. */
export interface FileIdentity {
  size: number;
  mtimeMs: number;
  ino: number;
  dev: number;
  md5?: string;
}

export interface JournalEntry {
  version: 1;
  /** The registry and node URI the upload goes to. */
  registry: string;
  node: string;
  file: FileIdentity;
  /** The storage site (origin of the data URL) that holds the transaction. */
  origin: string;
  txnId: string;
  /** What the server last acknowledged: its length and MD5 (hex). */
  acked: { length: number; md5: string };
  updated: number;
}

/** Journals untouched for this long are removed when the next one is written (their transactions expired). */
const STALE_MS = 14 * 24 * 3600_000;

export function defaultJournalDir(env: NodeJS.ProcessEnv = process.env, homedir = os.homedir()): string {
  return path.join(cacheDir(env, homedir), 'uploads');
}

export function sameFile(a: FileIdentity, b: FileIdentity): boolean {
  return (
    a.size === b.size &&
    a.mtimeMs === b.mtimeMs &&
    a.ino === b.ino &&
    a.dev === b.dev &&
    (a.md5 === undefined || b.md5 === undefined || a.md5 === b.md5)
  );
}

export class UploadJournal {
  constructor(readonly dir: string) {}

  private fileFor(registry: string, node: string): string {
    const key = createHash('sha256').update(`${registry}\n${node}`).digest('hex').slice(0, 32);
    return path.join(this.dir, `${key}.json`);
  }

  read(registry: string, node: string): JournalEntry | undefined {
    let e: JournalEntry;
    try {
      e = JSON.parse(fs.readFileSync(this.fileFor(registry, node), 'utf8')) as JournalEntry;
    } catch {
      return undefined;
    }
    const ok =
      e?.version === 1 &&
      e.registry === registry &&
      e.node === node &&
      typeof e.txnId === 'string' &&
      typeof e.origin === 'string' &&
      typeof e.acked?.length === 'number' &&
      typeof e.acked?.md5 === 'string';
    return ok ? e : undefined;
  }

  /** Replaces the entry in one rename, so a kill at any moment leaves the old entry or the new one. */
  write(e: JournalEntry): void {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const file = this.fileFor(e.registry, e.node);
    const temp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temp, JSON.stringify(e), { mode: 0o600 });
    fs.renameSync(temp, file);
  }

  clear(registry: string, node: string): void {
    fs.rmSync(this.fileFor(registry, node), { force: true });
  }

  /** Removes journals nobody resumed for a long time (best effort). */
  prune(now: number): void {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return;
    }
    for (const n of names) {
      const p = path.join(this.dir, n);
      try {
        if (now - fs.statSync(p).mtimeMs > STALE_MS) fs.rmSync(p, { force: true });
      } catch {
        // gone meanwhile
      }
    }
  }
}
