/**
 * Streaming MD5 of local files. The result carries what the file looked like *after* it was read, and whether
 * it stayed the same while being read, so a caller never records a hash for bytes that were still changing.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { SYNC_IO_BYTES } from '../../util/local-read.js';

const MAX_CHUNK = 1 << 20;

export interface HashResult {
  /** Hex MD5 of the bytes read. Only meaningful when `stable` is true. */
  md5: string;
  bytesRead: number;
  /** `lstat` of the path after the read: size, mtime and inode the hash belongs to when `stable`. */
  size: number;
  mtimeMs: number;
  ino: number;
  /**
   * False when the file changed while being read (size or mtime moved, fewer or more bytes than its size, or the
   * path now names another file, as after a save-by-rename). Treat as "still being written" and retry later.
   */
  stable: boolean;
}

export interface HashOptions {
  /** Called after each chunk with the bytes read so far; lets a status surface show progress on big files. */
  onProgress?: (bytesRead: number, sizeAtOpen: number) => void;
  signal?: AbortSignal;
}

/**
 * Hashes one file. Throws the fs error when the file cannot be opened or read (ENOENT when it vanished, EACCES
 * when unreadable, EISDIR when it became a directory). Never follows a symbolic link at the final component:
 * a path that is a link when checked afterwards makes the result unstable.
 */
export async function hashFile(absPath: string, options: HashOptions = {}): Promise<HashResult> {
  const handle = await fs.promises.open(absPath, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
  let before: fs.Stats;
  let after: fs.Stats;
  const md5 = createHash('md5');
  let bytesRead = 0;
  try {
    before = await handle.stat();
    if (!before.isFile())
      throw Object.assign(new Error(`not a regular file: ${absPath}`), { code: 'EISDIR' });
    // One extra byte of room lets a small file that grew show it in the same read.
    const buf = Buffer.allocUnsafe(Math.min(MAX_CHUNK, before.size + 1));
    for (;;) {
      options.signal?.throwIfAborted();
      const { bytesRead: n } = await handle.read(buf, 0, buf.length, null);
      if (n === 0) break;
      md5.update(n === buf.length ? buf : buf.subarray(0, n));
      bytesRead += n;
      options.onProgress?.(bytesRead, before.size);
    }
    after = await handle.stat();
  } finally {
    await handle.close();
  }
  return finish(md5.digest('hex'), bytesRead, before, after, await fs.promises.lstat(absPath));
}

/** The result, judged stable only when nothing about the file moved between opening and the final lstat. */
function finish(
  md5: string,
  bytesRead: number,
  before: fs.Stats,
  after: fs.Stats,
  now: fs.Stats,
): HashResult {
  const stable =
    bytesRead === before.size &&
    after.size === before.size &&
    after.mtimeMs === before.mtimeMs &&
    now.isFile() &&
    now.ino === after.ino &&
    now.size === after.size &&
    now.mtimeMs === after.mtimeMs;
  return { md5, bytesRead, size: now.size, mtimeMs: now.mtimeMs, ino: now.ino, stable };
}

let smallBuffer: Buffer | undefined;

/**
 * Synchronous twin of `hashFile` for small files (any size works, but it blocks the event loop while reading).
 * Same result and errors.
 */
export function hashFileSync(absPath: string, options: Pick<HashOptions, 'onProgress'> = {}): HashResult {
  const fd = fs.openSync(absPath, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
  let before: fs.Stats;
  let after: fs.Stats;
  const md5 = createHash('md5');
  let bytesRead = 0;
  try {
    before = fs.fstatSync(fd);
    if (!before.isFile())
      throw Object.assign(new Error(`not a regular file: ${absPath}`), { code: 'EISDIR' });
    smallBuffer ??= Buffer.allocUnsafe(SYNC_IO_BYTES + 1);
    const buf = smallBuffer;
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      md5.update(buf.subarray(0, n));
      bytesRead += n;
      options.onProgress?.(bytesRead, before.size);
    }
    after = fs.fstatSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return finish(md5.digest('hex'), bytesRead, before, after, fs.lstatSync(absPath));
}
