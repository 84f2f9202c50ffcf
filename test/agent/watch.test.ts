import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IGNORE_FILE, PAIR_META_DIR, createIgnoreMatcher } from '../../src/agent/local/ignore.js';
import { type WatchBatch, type Watcher, startWatcher } from '../../src/agent/local/watch.js';
import { TEMP_PREFIX } from '../../src/util/temp-files.js';

let base: string;
let root: string;
let watcher: Watcher | undefined;

/** What the daemon would see: each batch, plus whether each reported path existed (and its size) at that moment. */
interface Seen {
  batch: WatchBatch;
  state: Map<string, number | 'absent'>;
}
let seen: Seen[];

beforeEach(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'vosync-watch-'));
  root = path.join(base, 'root');
  fs.mkdirSync(root);
  seen = [];
});
afterEach(async () => {
  await watcher?.close();
  watcher = undefined;
  fs.rmSync(base, { recursive: true, force: true });
});

async function start(options: { stableMs?: number; patterns?: string[] } = {}): Promise<void> {
  const ignore = createIgnoreMatcher({ root, configPatterns: options.patterns });
  watcher = startWatcher({
    root,
    ignore,
    debounceMs: 100,
    maxWaitMs: 1000,
    stableMs: options.stableMs ?? 400,
    onBatch: (batch) => {
      const state = new Map<string, number | 'absent'>();
      for (const p of batch.paths) {
        const st = fs.lstatSync(path.join(root, p), { throwIfNoEntry: false });
        state.set(p, st ? st.size : 'absent');
      }
      seen.push({ batch, state });
    },
  });
  await watcher.ready;
}

/** Waits for a condition with a generous deadline (the machine may be loaded); fails with a description. */
async function waitFor(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}; batches: ${JSON.stringify(seen.map((s) => s.batch))}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const reports = (p: string) => seen.filter((s) => s.batch.paths.includes(p));
const allPaths = () => seen.flatMap((s) => s.batch.paths);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function write(rel: string, content: string): void {
  const abs = path.join(root, rel);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  fs.writeFileSync(abs, content);
}

describe('startWatcher', () => {
  it('reports created, modified and deleted files', async () => {
    await start();
    write('a.txt', 'one');
    await waitFor('creation', () => reports('a.txt').some((s) => s.state.get('a.txt') === 3));

    const before = seen.length;
    write('a.txt', 'three');
    await waitFor('modification', () => seen.slice(before).some((s) => s.state.get('a.txt') === 5));

    const beforeDelete = seen.length;
    fs.rmSync(path.join(root, 'a.txt'));
    await waitFor('deletion', () => seen.slice(beforeDelete).some((s) => s.state.get('a.txt') === 'absent'));
    expect(seen.every((s) => s.batch.fullRescan === false)).toBe(true);
  });

  it('reports an editor save-by-rename as a change of the original, never as its absence', async () => {
    write('doc.txt', 'version 1');
    await start();

    // Write a temp file, then rename it over the original (atomic replace).
    write('.doc.txt.tmp-4242', 'version 2!');
    fs.renameSync(path.join(root, '.doc.txt.tmp-4242'), path.join(root, 'doc.txt'));
    await waitFor('the replaced file', () => reports('doc.txt').some((s) => s.state.get('doc.txt') === 10));

    // Move the original aside, write it anew a moment later, drop the backup (vim's default).
    const mark = seen.length;
    fs.renameSync(path.join(root, 'doc.txt'), path.join(root, 'doc.txt~'));
    await sleep(50);
    write('doc.txt', 'version three');
    fs.rmSync(path.join(root, 'doc.txt~'));
    await waitFor('the rewritten file', () => seen.slice(mark).some((s) => s.state.get('doc.txt') === 13));

    for (const s of reports('doc.txt')) expect(s.state.get('doc.txt')).not.toBe('absent');
  });

  it('does not report ignored paths', async () => {
    await start({ patterns: ['*.tmp', 'build/'] });
    write('.DS_Store', 'junk');
    write(`${PAIR_META_DIR}/trash/old.txt`, 'trash');
    write(`sub/${TEMP_PREFIX}partial`, 'partial');
    write('x.tmp', 'tmp');
    write('build/out.o', 'o');
    write('sub/.notes.swp', 'swap');
    write('kept.txt', 'kept');
    await waitFor('the kept file', () => reports('kept.txt').length > 0);
    await waitFor('the sub folder', () => allPaths().includes('sub'));
    const paths = allPaths();
    for (const p of paths) {
      expect(p, p).not.toMatch(/DS_Store|\.vosync|x\.tmp|build|\.swp/);
    }
  });

  it('reports new folders as subtrees and never follows symbolic links', async () => {
    const outside = path.join(base, 'outside');
    fs.mkdirSync(outside);
    await start();
    fs.symlinkSync(outside, path.join(root, 'link'));
    write('folder/inner/file.txt', 'f');
    await waitFor('the new folder', () => seen.some((s) => s.batch.subtrees.includes('folder')));
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'not ours');
    write('sentinel.txt', 's');
    await waitFor('the sentinel', () => reports('sentinel.txt').length > 0);
    expect(allPaths().filter((p) => p.startsWith('link/'))).toEqual([]);
  });

  it('watches folders, not files, and follows folders that appear, move or vanish', async () => {
    write('a/one.txt', '1');
    write('a/two.txt', '2');
    write('build/out.o', 'o');
    write(`${PAIR_META_DIR}/trash/x`, 'x');
    await start({ patterns: ['build/'] });
    expect(watcher?.watchCount()).toBe(2); // the root and a/; not build/, not .vosync/, no files

    write('n/deep/x.txt', 'x');
    await waitFor('the new folder', () => seen.some((s) => s.batch.subtrees.includes('n')));
    let mark = seen.length;
    write('n/deep/x.txt', 'x, edited');
    await waitFor('an edit in the new folder', () =>
      seen.slice(mark).some((s) => s.state.get('n/deep/x.txt') === 9),
    );

    fs.renameSync(path.join(root, 'a'), path.join(root, 'b'));
    await waitFor('the renamed folder', () => allPaths().includes('a') && allPaths().includes('b'));
    mark = seen.length;
    write('b/one.txt', 'edited in b');
    await waitFor('an edit in the renamed folder', () =>
      seen.slice(mark).some((s) => s.batch.paths.includes('b/one.txt')),
    );
    expect(seen.slice(mark).flatMap((s) => s.batch.paths)).not.toContain('a/one.txt');

    fs.rmSync(path.join(root, 'n'), { recursive: true });
    await waitFor('the removed folder', () => seen.some((s) => s.state.get('n') === 'absent'));
    expect(watcher?.watchCount()).toBe(2); // the root and b/
  });

  it('flags a changed .vosyncignore and reports Unicode names in NFC', async () => {
    await start();
    write(IGNORE_FILE, '*.log\n');
    write('e\u0301toile.txt', 'star');
    await waitFor('the ignore file', () => seen.some((s) => s.batch.ignoreRulesChanged));
    await waitFor('the NFC name', () => allPaths().includes('\u00e9toile.txt'));
    expect(allPaths()).not.toContain('e\u0301toile.txt');
  });

  it('asks for a full rescan when the root itself disappears', async () => {
    write('a.txt', 'a');
    await start();
    fs.rmSync(root, { recursive: true });
    await waitFor('a full-rescan request', () => seen.some((s) => s.batch.fullRescan));
  });

  it('waits for a slow batch consumer before delivering the next batch', async () => {
    let running = 0;
    let overlapped = false;
    const delivered: string[] = [];
    watcher = startWatcher({
      root,
      debounceMs: 50,
      stableMs: 100,
      onBatch: async (batch) => {
        running++;
        if (running > 1) overlapped = true;
        delivered.push(...batch.paths);
        await sleep(300);
        running--;
      },
    });
    await watcher.ready;
    write('one.txt', '1');
    await waitFor('the first file', () => delivered.includes('one.txt'));
    write('two.txt', '2');
    await waitFor('the second file', () => delivered.includes('two.txt'));
    expect(overlapped).toBe(false);
    expect(watcher.pendingCount()).toBe(0);
  });
});
