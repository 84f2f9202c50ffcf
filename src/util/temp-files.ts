/**
 * Temp files beside a destination on the local disk: named with a prefix every scanner ignores, opened without
 * following links, and vetted by a guard before a byte is written (downloads of any remote, and the engine).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { VosError } from './errors.js';

/** Temp files carry this prefix so scanners ignore them and start-up can clean them. */
export const TEMP_PREFIX = '.vosync-tmp-';

/**
 * Vets where a download's temp file is: called before the temp file is touched, and again once it is open (with
 * its descriptor) before any byte is written. Throws (a `local` VosError) to refuse; a refusal is never retried.
 */
export type TempGuard = (temp: string, fd?: number) => void;

/**
 * Opens (or creates) a temp file for writing at `offset`: never through a symbolic link, and changed in no way
 * (not even truncated) before `guard` accepted the open file. On a refusal a file this call created is removed
 * again, as long as the name still leads to it.
 */
export function openTempFile(file: string, offset: number, guard?: TempGuard): number {
  const c = fs.constants;
  const flags = c.O_WRONLY | (c.O_NOFOLLOW ?? 0);
  let created = true;
  let fd: number;
  try {
    fd = fs.openSync(file, flags | c.O_CREAT | c.O_EXCL, 0o666);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    created = false;
    fd = fs.openSync(file, flags);
  }
  try {
    guard?.(file, fd);
    // A hard link planted since the caller's check would carry the bytes to another name.
    if (fs.fstatSync(fd).nlink !== 1)
      throw new VosError('local', `${file}: not written, because it is also linked from elsewhere`);
    // A file this call created is empty already.
    if (!created || offset > 0) fs.ftruncateSync(fd, offset);
    return fd;
  } catch (e) {
    const st = fs.fstatSync(fd);
    fs.closeSync(fd);
    if (created && isSameFileAt(file, st)) fs.rmSync(file);
    throw e;
  }
}

/** Whether the name `p` leads (without following a final link) to the file `ident` (same device and inode). */
export function isSameFileAt(p: string, ident: { dev: number; ino: number }): boolean {
  try {
    const st = fs.lstatSync(p);
    return st.dev === ident.dev && st.ino === ident.ino;
  } catch {
    return false;
  }
}

/** Longest temp name kept readable; longer ones are named by a hash so they never pass 255 bytes. */
const READABLE_TEMP_BYTES = 200;

/** A temp file's path beside `dest`: `.vosync-tmp-<name>.<suffix>`, or a hash of the name when that is long. */
export function tempPathFor(dest: string, suffix: string): string {
  const name = path.basename(dest);
  let temp = `${TEMP_PREFIX}${name}.${suffix}`;
  if (Buffer.byteLength(temp) > READABLE_TEMP_BYTES) {
    temp = `${TEMP_PREFIX}${createHash('sha1').update(name).digest('hex').slice(0, 20)}.${suffix}`;
  }
  return path.join(path.dirname(dest), temp);
}

/** Makes an empty temp file beside `dest` (what an empty download leaves), created anew and vetted by `guard`. */
export function createEmptyTemp(dest: string, guard?: TempGuard): string {
  const temp = tempPathFor(dest, 'empty');
  // Created anew after removing whatever is there: never write through a link planted at the temp name.
  guard?.(temp);
  fs.rmSync(temp, { force: true });
  fs.closeSync(openTempFile(temp, 0, guard));
  return temp;
}

/**
 * A Writable over a temp file opened by openTempFile, for bytes that arrived whole and are few: written with
 * synchronous calls (a thread-pool round trip costs more than writing a few KiB), made durable with one
 * asynchronous fdatasync when the stream ends (the bytes and the length, what a crash must not lose), and closed
 * when it is destroyed.
 */
export function smallTempWriter(fd: number): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, cb) {
      try {
        for (let done = 0; done < chunk.length;) done += fs.writeSync(fd, chunk, done);
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
    final(cb) {
      fs.fdatasync(fd, (e) => cb(e));
    },
    destroy(err, cb) {
      try {
        fs.closeSync(fd);
      } catch (e) {
        cb(err ?? (e as Error));
        return;
      }
      cb(err);
    },
  });
}
