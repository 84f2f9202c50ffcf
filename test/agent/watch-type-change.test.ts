import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startWatcher, type WatchBatch } from '../../src/agent/local/watch.js';

let root: string | undefined;
afterEach(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

it('keeps delivering after a watched folder with pending changes is replaced by a file', async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'vosync-watch-type-'));
  fs.mkdirSync(path.join(root, 'rd'));
  fs.writeFileSync(path.join(root, 'rd/x.txt'), 'x');
  const batches: WatchBatch[] = [];
  const w = startWatcher({ root, debounceMs: 20, stableMs: 100, onBatch: (b) => void batches.push(b) });
  await w.ready;
  // A change inside the folder is pending when the folder is replaced by a file of the same name.
  fs.writeFileSync(path.join(root, 'rd/x.txt'), 'x2');
  fs.rmSync(path.join(root, 'rd'), { recursive: true });
  fs.writeFileSync(path.join(root, 'rd'), 'now a file');
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && !batches.some((b) => b.paths.includes('rd')))
    await new Promise((r) => setTimeout(r, 50));
  // And the watcher still works afterwards.
  fs.writeFileSync(path.join(root, 'later.txt'), 'later');
  while (Date.now() < deadline && !batches.some((b) => b.paths.includes('later.txt')))
    await new Promise((r) => setTimeout(r, 50));
  await w.close();
  expect(batches.some((b) => b.paths.includes('rd'))).toBe(true);
  expect(batches.some((b) => b.paths.includes('later.txt'))).toBe(true);
  expect(w.pendingCount()).toBe(0);
});
