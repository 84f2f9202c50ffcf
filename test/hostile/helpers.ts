/** Shared pieces of the hostile-input tests: a short-fused client, file-tree snapshots, error capture. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import type { SyncIndex } from '../../src/agent/store/index-db.js';
import type { PairContext } from '../../src/agent/engine/pair-sync.js';
import { Client, type ClientOptions } from '../../src/vospace/client.js';
import { VosError } from '../../src/vospace/errors.js';
import { TEMP_PREFIX } from '../../src/util/temp-files.js';
import { openPair } from '../support/pair-fixture.js';

export const TOKEN = 'hostile-suite-secret-token';

export function tempDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `vosync-hostile-${label}-`));
}

/** A client that gives up fast: 1.5 s inactivity timeout, one retry, tiny back-off. */
export function fastClient(
  registryUrl: string,
  cacheDir: string,
  extra: Partial<ClientOptions> = {},
): Client {
  return new Client({
    registryUrl,
    cacheDir,
    credentials: { kind: 'token', token: TOKEN },
    timeoutMs: 1500,
    retry: { retries: 1, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 100 },
    ...extra,
  });
}

/** Every path under `root` (relative, `/`-separated) with its size and mtime, without following links. */
export function snapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string, rel: string) => {
    for (const name of fs.readdirSync(dir)) {
      const abs = path.join(dir, name);
      const r = rel === '' ? name : `${rel}/${name}`;
      const st = fs.lstatSync(abs);
      out.set(r, st.isFile() ? `${st.size}@${st.mtimeMs}` : st.isDirectory() ? 'dir' : 'other');
      if (st.isDirectory()) walk(abs, r);
    }
  };
  walk(root, '');
  return out;
}

/** Paths added, removed or resized between two snapshots. */
export function changed(before: Map<string, string>, after: Map<string, string>): string[] {
  const out = new Set<string>();
  for (const [p, s] of after) if (before.get(p) !== s) out.add(p);
  for (const p of before.keys()) if (!after.has(p)) out.add(p);
  return [...out].sort();
}

/** Runs `fn`, which must reject with a VosError; returns it. */
export async function vosFailure(fn: () => Promise<unknown>): Promise<VosError> {
  let caught: unknown;
  try {
    await fn();
  } catch (e) {
    caught = e;
  }
  if (!(caught instanceof VosError)) {
    throw new Error(`expected a VosError, got ${caught === undefined ? 'success' : String(caught)}`);
  }
  return caught;
}

/** No file at `dest`, and nothing but our recognisable temp files beside it that was not there before. */
export function expectNoPartial(
  dest: string,
  before: Map<string, string>,
  opts: { tempAllowed?: boolean } = {},
): void {
  expect(fs.existsSync(dest)).toBe(false);
  const dir = path.dirname(dest);
  const now = fs.existsSync(dir) ? snapshot(dir) : new Map<string, string>();
  const added = changed(before, now);
  if (opts.tempAllowed) {
    for (const a of added) expect(path.basename(a).startsWith(TEMP_PREFIX)).toBe(true);
  } else expect(added).toEqual([]);
}

/** Whether `mount -t tmpfs` works here (root in a container that allows it). */
export function tryMountTmpfs(dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function unmount(dir: string): void {
  try {
    execFileSync('umount', [dir], { stdio: 'ignore' });
  } catch {
    // not mounted
  }
}

/**
 * Runs `fn` as an unprivileged user when the suite runs as root (root reads any file, so permission tests
 * would prove nothing); `dirs` are handed to that user first. Without root, runs `fn` as is.
 */
export async function asUnprivileged<T>(dirs: string[], fn: () => Promise<T>): Promise<T> {
  const getuid = process.getuid?.bind(process);
  if (!getuid || getuid() !== 0 || !process.seteuid) return fn();
  const NOBODY = 65534;
  for (const d of dirs) chownTree(d, NOBODY);
  process.seteuid(NOBODY);
  try {
    return await fn();
  } finally {
    process.seteuid(0);
  }
}

function chownTree(p: string, uid: number): void {
  const st = fs.lstatSync(p);
  fs.lchownSync(p, uid, st.gid);
  if (st.isDirectory()) for (const n of fs.readdirSync(p)) chownTree(path.join(p, n), uid);
}

/** A sync pair on `local` ↔ `remote` with its own index, deterministic clock and host name. */
export function makePair(
  client: Client,
  dir: string,
  name: string,
  local: string,
  remote: string,
): { ctx: PairContext; index: SyncIndex } {
  return openPair({
    name,
    local,
    remote,
    indexFile: path.join(dir, `${name}.sqlite`),
    client,
    clockStart: Date.UTC(2026, 0, 2, 12, 0, 0),
    host: 'hostiletest',
    concurrency: 2,
  });
}
