/**
 * Test data: trees of small files with known MD5s, one large file, and the timing/statistics helpers the
 * benchmarks share.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { md5Hex } from '../../src/util/md5.js';

export interface TreeFile {
  /** Relative POSIX path. */
  rel: string;
  size: number;
  md5: string;
}

export interface Tree {
  root: string;
  dirs: string[];
  files: TreeFile[];
}

/**
 * Writes `count` files spread over `dirCount` folders (two levels when there are more than 20 folders).
 * Sizes are `size` bytes each, or, when `size` is 'varied', 50–250 bytes. Every file's content is unique.
 */
export function makeTree(root: string, count: number, dirCount: number, size: number | 'varied'): Tree {
  fs.mkdirSync(root, { recursive: true });
  const dirs: string[] = [];
  const top = dirCount > 20 ? Math.ceil(dirCount / 10) : 0;
  for (let d = 0; d < dirCount; d++) {
    const name = `d${String(d).padStart(3, '0')}`;
    dirs.push(top > 0 ? `t${String(Math.floor(d / 10)).padStart(2, '0')}/${name}` : name);
  }
  for (const d of dirs) fs.mkdirSync(path.join(root, d), { recursive: true });
  const files: TreeFile[] = [];
  // One random pool, sliced per file with a unique header, keeps creation fast and contents distinct.
  const pool = randomBytes(1 << 20);
  for (let i = 0; i < count; i++) {
    const dir = dirs[i % dirCount]!;
    const rel = `${dir}/f${String(i).padStart(6, '0')}.dat`;
    const n = size === 'varied' ? 50 + ((i * 7919) % 201) : size;
    const header = Buffer.from(`${i}:`);
    const start = (i * 4099) % (pool.length - n);
    const body = Buffer.concat([header, pool.subarray(start, start + Math.max(0, n - header.length))]);
    fs.writeFileSync(path.join(root, rel), body);
    files.push({ rel, size: body.length, md5: md5Hex(body) });
  }
  return { root, dirs, files };
}

/** A file of `bytes` random-looking bytes (a 64 MiB random block repeated) and its MD5. */
export function makeLargeFile(file: string, bytes: number): { md5: string } {
  const block = randomBytes(Math.min(bytes, 64 << 20));
  const hash = createHash('md5');
  const fd = fs.openSync(file, 'w');
  try {
    for (let done = 0; done < bytes;) {
      const n = Math.min(block.length, bytes - done);
      const chunk = n === block.length ? block : block.subarray(0, n);
      fs.writeSync(fd, chunk);
      hash.update(chunk);
      done += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return { md5: hash.digest('hex') };
}

/** Counts regular files below a folder, leaving out vosync's own `.vosync*` folders. */
export function countFiles(root: string): number {
  let n = 0;
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory() && !e.name.startsWith('.vosync')) walk(path.join(dir, e.name));
      else if (e.isFile()) n++;
    }
  };
  walk(root);
  return n;
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, seconds: (performance.now() - t0) / 1000 };
}

/** The q-quantile (0..1) of a sample, nearest-rank. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}

export function median(values: number[]): number {
  return quantile(values, 0.5);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export const MiB = 1024 * 1024;
