import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashFile, hashFileSync } from '../../src/agent/local/hash.js';
import { SYNC_IO_BYTES } from '../../src/util/local-read.js';
import { PAIR_META_DIR, createIgnoreMatcher } from '../../src/agent/local/ignore.js';
import { LocalRootError, scanLocal } from '../../src/agent/local/local-scan.js';
import { resolveDiskPath } from '../../src/agent/local/names.js';
import type { LocalEntry } from '../../src/agent/model.js';
import { TEMP_PREFIX } from '../../src/util/temp-files.js';
import { EMPTY_MD5, md5Hex } from '../../src/util/md5.js';

let root: string;
let outside: string;

beforeEach(() => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'vosync-scan-'));
  root = path.join(base, 'root');
  outside = path.join(base, 'outside');
  fs.mkdirSync(root);
  fs.mkdirSync(outside);
});
afterEach(() => {
  const base = path.dirname(root);
  // Restore permissions a test may have removed, then clean up.
  for (const p of fs.readdirSync(base, { recursive: true }) as string[]) {
    try {
      const abs = path.join(base, p);
      if (!fs.lstatSync(abs).isSymbolicLink()) fs.chmodSync(abs, 0o755);
    } catch {
      // gone or unreachable
    }
  }
  fs.rmSync(base, { recursive: true, force: true });
});

function write(rel: string, content: string | Buffer, at = root): string {
  const abs = path.join(at, rel);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  fs.writeFileSync(abs, content);
  return abs;
}

/**
 * Runs `fn` without the power to bypass file permissions. Tests often run as root (containers), where chmod 000
 * stops nothing; the effective uid is switched to `nobody` for the call (the saved uid lets us switch back).
 */
async function unprivileged<T>(fn: () => Promise<T>): Promise<T> {
  if (process.getuid?.() !== 0 || !process.seteuid) return fn();
  // nobody must be able to reach the tree at all.
  for (let dir = path.dirname(root); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const st = fs.statSync(dir);
    if ((st.mode & 0o001) === 0) fs.chmodSync(dir, st.mode | 0o711);
  }
  process.seteuid(65534);
  try {
    return await fn();
  } finally {
    process.seteuid(0);
  }
}

describe('scanLocal', () => {
  it('records files and folders with POSIX paths, sizes, inodes and MD5s', async () => {
    write('a.txt', 'hello');
    write('sub/b.bin', Buffer.alloc(3000, 7));
    write('sub/deeper/c.txt', 'c');
    write('empty.dat', '');
    const big = Buffer.alloc(SYNC_IO_BYTES * 3 + 5, 1);
    write('sub/big.dat', big);
    const r = await scanLocal({ root });
    expect([...r.entries.keys()].sort()).toEqual([
      'a.txt',
      'empty.dat',
      'sub',
      'sub/b.bin',
      'sub/big.dat',
      'sub/deeper',
      'sub/deeper/c.txt',
    ]);
    const a = r.entries.get('a.txt') as LocalEntry;
    const st = fs.statSync(path.join(root, 'a.txt'));
    expect(a).toEqual({
      path: 'a.txt',
      kind: 'file',
      size: 5,
      mtimeMs: st.mtimeMs,
      ino: st.ino,
      md5: md5Hex('hello'),
    });
    expect(r.entries.get('sub/b.bin')?.md5).toBe(md5Hex(Buffer.alloc(3000, 7)));
    expect(r.entries.get('sub/big.dat')?.md5).toBe(md5Hex(big));
    expect(r.entries.get('empty.dat')?.md5).toBe(EMPTY_MD5);
    expect(r.entries.get('sub')).toMatchObject({ kind: 'dir', size: 0 });
    expect(r.entries.get('sub')?.md5).toBeUndefined();
    expect(r.hashedCount).toBe(4); // the empty file needs no read
    expect(r.problems).toEqual([]);
  });

  it('re-hashes nothing when nothing changed, and only what changed otherwise', async () => {
    for (let i = 0; i < 50; i++) write(`d${i % 5}/f${i}.txt`, `content ${i}`);
    write('big.dat', Buffer.alloc(SYNC_IO_BYTES + 10, 2));
    const first = await scanLocal({ root });
    expect(first.hashedCount).toBe(51);

    const again = await scanLocal({ root, previous: first.entries });
    expect(again.hashedCount).toBe(0);
    expect(again.entries).toEqual(first.entries);

    // New content and size.
    write('d1/f1.txt', 'changed content');
    // Same size, new mtime.
    const f2 = path.join(root, 'd2/f2.txt');
    fs.writeFileSync(f2, 'CONTENT 2');
    fs.utimesSync(f2, new Date(2001, 1, 1), new Date(2001, 1, 1));
    // Same size and mtime, new inode (replaced by rename, as editors do).
    const f3 = path.join(root, 'd3/f3.txt');
    const old = fs.statSync(f3);
    write('d3/tmp', 'CONTENT 3');
    fs.utimesSync(path.join(root, 'd3/tmp'), old.atime, old.mtime);
    fs.renameSync(path.join(root, 'd3/tmp'), f3);
    expect(fs.statSync(f3).ino).not.toBe(old.ino);

    const third = await scanLocal({ root, previous: again.entries });
    expect(third.hashedCount).toBe(3);
    expect(third.entries.get('d1/f1.txt')?.md5).toBe(md5Hex('changed content'));
    expect(third.entries.get('d2/f2.txt')?.md5).toBe(md5Hex('CONTENT 2'));
    expect(third.entries.get('d3/f3.txt')?.md5).toBe(md5Hex('CONTENT 3'));
    expect(third.entries.get('d0/f0.txt')).toBe(again.entries.get('d0/f0.txt'));
  });

  it('re-hashes a file whose previous record has no MD5 yet', async () => {
    write('x.txt', 'x');
    const first = await scanLocal({ root });
    const withoutMd5 = new Map(first.entries);
    const { md5: _dropped, ...rest } = first.entries.get('x.txt') as LocalEntry;
    withoutMd5.set('x.txt', rest);
    const r = await scanLocal({ root, previous: withoutMd5 });
    expect(r.hashedCount).toBe(1);
    expect(r.entries.get('x.txt')?.md5).toBe(md5Hex('x'));
  });

  it('skips ignored paths, the pair folder and temp files', async () => {
    write(`${PAIR_META_DIR}/trash/old.txt`, 'old');
    write(`${PAIR_META_DIR}/root-marker`, 'm');
    write(`sub/${TEMP_PREFIX}123`, 'partial');
    write('sub/.DS_Store', 'junk');
    write('build/out.o', 'o');
    write('keep/x.log', 'log');
    write('keep/x.txt', 'txt');
    const ignore = createIgnoreMatcher({ root, configPatterns: ['build/', '*.log'] });
    const r = await scanLocal({ root, ignore });
    expect([...r.entries.keys()].sort()).toEqual(['keep', 'keep/x.txt', 'sub']);
    // Without a matcher the pair folder and temp files are still never scanned.
    const bare = await scanLocal({ root });
    expect(
      [...bare.entries.keys()].filter((p) => p.includes(PAIR_META_DIR) || p.includes(TEMP_PREFIX)),
    ).toEqual([]);
  });

  it('reports symbolic links without following them, even in a loop', async () => {
    write('secret.txt', 'outside the pair', outside);
    write('real.txt', 'r');
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(root, 'link-to-file'));
    fs.symlinkSync(outside, path.join(root, 'link-to-dir'));
    fs.mkdirSync(path.join(root, 'loop'));
    fs.symlinkSync('..', path.join(root, 'loop', 'up'));
    fs.symlinkSync('self', path.join(root, 'self'));
    const r = await scanLocal({ root });
    expect([...r.entries.keys()].sort()).toEqual(['loop', 'real.txt']);
    expect(
      r.problems
        .filter((p) => p.kind === 'symlink')
        .map((p) => p.path)
        .sort(),
    ).toEqual(['link-to-dir', 'link-to-file', 'loop/up', 'self']);
    expect(r.problems[0]?.message).toContain('symbolic link not synced');
  });

  it('reports FIFOs and sockets and skips them', async () => {
    write('ok.txt', 'ok');
    execFileSync('mkfifo', [path.join(root, 'pipe')]);
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(path.join(root, 'sock'), resolve));
    try {
      const r = await scanLocal({ root });
      expect([...r.entries.keys()]).toEqual(['ok.txt']);
      expect(r.problems.map((p) => [p.path, p.kind]).sort()).toEqual([
        ['pipe', 'special'],
        ['sock', 'special'],
      ]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('reports unreadable folders and files and keeps their previous records', async () => {
    write('open/a.txt', 'a');
    write('locked/b.txt', 'b');
    write('locked/deep/c.txt', 'c');
    write('secret.txt', 'secret');
    const first = await scanLocal({ root });
    expect(first.entries.size).toBe(7);
    fs.chmodSync(path.join(root, 'locked'), 0o000);
    // A changed file that cannot be read keeps its old record (its change is found once it is readable).
    fs.writeFileSync(path.join(root, 'secret.txt'), 'secret, longer');
    fs.chmodSync(path.join(root, 'secret.txt'), 0o000);
    // A new unreadable file has no previous record: it is reported and absent.
    write('new-secret.txt', 'n');
    fs.chmodSync(path.join(root, 'new-secret.txt'), 0o000);
    fs.chmodSync(root, 0o755);
    fs.chmodSync(path.join(root, 'open'), 0o755);

    const r = await unprivileged(() => scanLocal({ root, previous: first.entries }));
    expect([...r.unreadable].sort()).toEqual(['locked', 'new-secret.txt', 'secret.txt']);
    expect(
      r.problems
        .filter((p) => p.kind === 'unreadable')
        .map((p) => p.path)
        .sort(),
    ).toEqual(['locked', 'new-secret.txt', 'secret.txt']);
    for (const p of ['locked', 'locked/b.txt', 'locked/deep', 'locked/deep/c.txt', 'secret.txt']) {
      expect(r.entries.get(p), p).toBe(first.entries.get(p));
    }
    expect(r.entries.has('new-secret.txt')).toBe(false);
    expect(r.entries.get('open/a.txt')?.md5).toBe(md5Hex('a'));
  });

  it('marks a file that changes while being hashed as still being written, then hashes it later', async () => {
    const big = write('growing.dat', Buffer.alloc(SYNC_IO_BYTES * 2, 3));
    const small = write('small.txt', 'small');
    const appended = new Set<string>();
    const r = await scanLocal({
      root,
      onHashProgress: (p) => {
        if (appended.has(p)) return;
        fs.appendFileSync(p === 'growing.dat' ? big : small, 'more');
        appended.add(p);
      },
    });
    expect(r.problems.map((p) => [p.path, p.kind]).sort()).toEqual([
      ['growing.dat', 'still-being-written'],
      ['small.txt', 'still-being-written'],
    ]);
    expect(r.entries.get('growing.dat')?.md5).toBeUndefined();
    expect(r.entries.get('small.txt')?.md5).toBeUndefined();
    expect(r.entries.get('small.txt')?.size).toBe(9);

    const later = await scanLocal({ root, previous: r.entries });
    expect(later.problems).toEqual([]);
    expect(later.entries.get('small.txt')?.md5).toBe(md5Hex('smallmore'));
    expect(later.entries.get('growing.dat')?.md5).toBe(md5Hex(fs.readFileSync(big)));
  });

  it('leaves out a file that vanishes before it is hashed', async () => {
    write('a-first.dat', Buffer.alloc(SYNC_IO_BYTES + 1, 1));
    write('b-second.dat', Buffer.alloc(SYNC_IO_BYTES + 1, 2));
    let removed = '';
    const r = await scanLocal({
      root,
      hashConcurrency: 1,
      onHashProgress: (p) => {
        if (removed) return;
        removed = p === 'a-first.dat' ? 'b-second.dat' : 'a-first.dat';
        fs.rmSync(path.join(root, removed));
      },
    });
    expect(removed).not.toBe('');
    expect(r.entries.has(removed)).toBe(false);
    expect(r.entries.size).toBe(1);
    expect(r.problems).toEqual([]);
  });

  it('keys entries by NFC and remembers the on-disk spelling', async () => {
    const nfd = 'e\u0301toile';
    const nfc = '\u00e9toile';
    write(`${nfd}/${nfd}.fits`, 'star');
    const r = await scanLocal({ root });
    expect([...r.entries.keys()].sort()).toEqual([nfc, `${nfc}/${nfc}.fits`]);
    expect(r.diskPaths.get(`${nfc}/${nfc}.fits`)).toBe(`${nfd}/${nfd}.fits`);
    expect(resolveDiskPath(root, `${nfc}/${nfc}.fits`)?.diskRel).toBe(`${nfd}/${nfd}.fits`);
    expect(r.entries.get(`${nfc}/${nfc}.fits`)?.md5).toBe(md5Hex('star'));
  });

  it('reports two names with the same NFC form instead of mixing them up', async () => {
    write('caf\u00e9.txt', 'nfc');
    write('cafe\u0301.txt', 'nfd');
    const r = await scanLocal({ root });
    expect(r.entries.size).toBe(1);
    expect(r.entries.has('caf\u00e9.txt')).toBe(true);
    expect(r.problems.map((p) => p.kind)).toEqual(['name-clash']);
  });

  it('refuses a missing root or a root that is not a folder', async () => {
    await expect(scanLocal({ root: path.join(root, 'nope') })).rejects.toMatchObject({
      name: 'LocalRootError',
      problem: 'missing',
    });
    const file = write('file', 'x');
    const error = await scanLocal({ root: file }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LocalRootError);
    expect((error as LocalRootError).problem).toBe('not-a-directory');
  });

  it('refuses an unreadable root rather than reporting it empty', async () => {
    write('a.txt', 'a');
    fs.chmodSync(root, 0o000);
    const error = await unprivileged(() => scanLocal({ root }).catch((e: unknown) => e));
    expect(error).toBeInstanceOf(LocalRootError);
    expect((error as LocalRootError).problem).toBe('unreadable');
  });
});

describe('hashFile', () => {
  it('agrees with the synchronous variant and reports the state after reading', async () => {
    const abs = write('f.bin', Buffer.alloc(SYNC_IO_BYTES * 4 + 3, 9));
    const a = await hashFile(abs);
    const b = hashFileSync(abs);
    const st = fs.statSync(abs);
    expect(a).toEqual(b);
    expect(a).toEqual({
      md5: md5Hex(fs.readFileSync(abs)),
      bytesRead: st.size,
      size: st.size,
      mtimeMs: st.mtimeMs,
      ino: st.ino,
      stable: true,
    });
  });

  it('says unstable when the path was replaced while reading', async () => {
    const abs = write('f.bin', Buffer.alloc(SYNC_IO_BYTES * 2, 1));
    const replacement = write('g.bin', Buffer.alloc(SYNC_IO_BYTES * 2, 1));
    let done = false;
    const r = await hashFile(abs, {
      onProgress: () => {
        if (!done) fs.renameSync(replacement, abs);
        done = true;
      },
    });
    expect(r.stable).toBe(false);
    expect(r.ino).toBe(fs.statSync(abs).ino);
  });

  it('refuses to follow a symbolic link', async () => {
    write('t.txt', 't', outside);
    fs.symlinkSync(path.join(outside, 't.txt'), path.join(root, 'l'));
    await expect(hashFile(path.join(root, 'l'))).rejects.toMatchObject({ code: 'ELOOP' });
  });
});
