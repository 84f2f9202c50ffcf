/**
 * The three trees of a sync pair: local, remote and base (what both sides held when last in sync). Paths are
 * relative to the pair's root, POSIX separators, no leading or trailing slash, e.g. `results/run1/table.fits`.
 */

export type EntryKind = 'file' | 'dir';

/** What the local disk holds now. */
export interface LocalEntry {
  path: string;
  kind: EntryKind;
  /** Bytes; 0 for directories. */
  size: number;
  mtimeMs: number;
  ino: number;
  /** Hex MD5 of the content, when known (files only). */
  md5?: string;
}

/** What the VOSpace holds now. */
export interface RemoteEntry {
  path: string;
  kind: EntryKind;
  size: number;
  /** The node's `core#date`, epoch ms. */
  dateMs: number;
  /** Hex MD5 as the server reports it; may be missing right after an upload on real Vault. */
  md5?: string;
}

/** What both sides held the last time this path was in sync. */
export interface BaseEntry {
  path: string;
  kind: EntryKind;
  size: number;
  md5?: string;
  /** Local mtime/inode observed when the path was last in sync. */
  localMtimeMs: number;
  localIno: number;
  /** Remote `core#date` observed when the path was last in sync. */
  remoteDateMs: number;
  /** This agent put this version on the server itself (remoteDateMs is then the server's time of that write). */
  uploaded?: boolean;
}

export type SyncMode = 'two-way' | 'backup' | 'mirror-down';
export type ConflictPolicy = 'keep-both' | 'local-wins' | 'remote-wins' | 'newer-wins';
