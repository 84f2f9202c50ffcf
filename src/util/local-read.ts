/**
 * Reading a local file whole, or its MD5, with the least CPU: a small file in synchronous calls (for it a
 * thread-pool round trip per open, stat, read and close costs several times the I/O), a larger one without
 * blocking the event loop.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';

/**
 * Files up to this size are read, written and hashed synchronously (the agent's hasher too): for them a thread-pool
 * round trip per call costs more than the I/O.
 */
export const SYNC_IO_BYTES = 256 * 1024;

/** The file's bytes; `size` (from a recent stat) only chooses how it is read, the caller checks the length. */
export async function readWholeFile(file: string, size: number): Promise<Buffer> {
  return size <= SYNC_IO_BYTES ? fs.readFileSync(file) : fs.promises.readFile(file);
}

/** The MD5 (hex) of a file's bytes; `size` (from a recent stat) only chooses how it is read. */
export async function md5OfFile(file: string, size: number): Promise<string> {
  const hash = createHash('md5');
  if (size <= SYNC_IO_BYTES) hash.update(fs.readFileSync(file));
  else await pipeline(fs.createReadStream(file), hash);
  return hash.digest('hex');
}
