/**
 * The watcher's timing rules on a virtual clock: the file events are real, the timers and the clock are fake, so
 * each rule (quiet for `stableMs`, `debounceMs` after the last event, at most `maxWaitMs` once something is
 * ready) is held exactly, whatever the load on the machine.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type WatchBatch, type Watcher, startWatcher } from '../../src/agent/local/watch.js';

let base: string;
let root: string;
let watcher: Watcher | undefined;
let batches: WatchBatch[];

beforeEach(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'vosync-watch-timing-'));
  root = path.join(base, 'root');
  fs.mkdirSync(root);
  batches = [];
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  // A minute ahead of the real clock: the files' real mtimes are then always older than the watcher's events,
  // so the mtime rule (a write whose event was lost) never moves the virtual timings here.
  vi.setSystemTime(Date.now() + 60_000);
});
afterEach(async () => {
  await watcher?.close();
  watcher = undefined;
  vi.useRealTimers();
  fs.rmSync(base, { recursive: true, force: true });
});

async function start(timing: { debounceMs: number; stableMs: number; maxWaitMs: number }): Promise<Watcher> {
  watcher = startWatcher({ root, ...timing, onBatch: (b) => void batches.push(b) });
  await watcher.ready;
  return watcher;
}

const spin = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Lets real I/O run (setImmediate is not faked) until the watcher holds `count` paths as pending, then a little
 * longer: one write can give several events, each seen after an lstat of its own, and all of them must land
 * before the virtual clock moves on.
 */
async function noticed(w: Watcher, count = 1): Promise<void> {
  const deadline = performance.now() + 20_000;
  while (w.pendingCount() < count) {
    if (performance.now() > deadline) throw new Error(`the watcher never noticed ${count} path(s)`);
    await spin();
  }
  const settled = performance.now() + 50;
  while (performance.now() < settled) await spin();
}

const delivered = () => batches.flatMap((b) => b.paths);

describe('watcher timing, on a virtual clock', () => {
  it('reports a file only once it has been quiet for stableMs, and then after debounceMs', async () => {
    const w = await start({ debounceMs: 100, stableMs: 400, maxWaitMs: 5000 });
    fs.writeFileSync(path.join(root, 'a.txt'), 'a');
    await noticed(w);
    await vi.advanceTimersByTimeAsync(399);
    expect(delivered()).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(delivered()).toEqual(['a.txt']);
  });

  it('reports a file written in chunks once, when the last chunk has been quiet long enough', async () => {
    const w = await start({ debounceMs: 100, stableMs: 1500, maxWaitMs: 5000 });
    const fd = fs.openSync(path.join(root, 'big.dat'), 'w');
    for (let i = 0; i < 6; i++) {
      fs.writeSync(fd, Buffer.alloc(1000, i));
      await noticed(w);
      await vi.advanceTimersByTimeAsync(1000);
      expect(delivered()).toEqual([]);
    }
    fs.closeSync(fd);
    await vi.advanceTimersByTimeAsync(500);
    expect(batches).toEqual([
      { paths: ['big.dat'], subtrees: [], fullRescan: false, ignoreRulesChanged: false },
    ]);
    expect(fs.statSync(path.join(root, 'big.dat')).size).toBe(6000);
  });

  it('holds a ready path while other paths keep changing, but no longer than maxWaitMs', async () => {
    const w = await start({ debounceMs: 300, stableMs: 100, maxWaitMs: 1000 });
    fs.writeFileSync(path.join(root, 'first.txt'), '1');
    await noticed(w);
    // A new file every 200 ms: never 300 ms without an event, so only maxWaitMs can let first.txt go.
    let elapsed = 0;
    for (let i = 0; delivered().length === 0 && i < 20; i++) {
      fs.writeFileSync(path.join(root, `busy-${i}.txt`), String(i));
      await noticed(w, i + 2);
      await vi.advanceTimersByTimeAsync(200);
      elapsed += 200;
    }
    expect(delivered()).toContain('first.txt');
    // first.txt was ready after 100 ms; held at most maxWaitMs more, within one 200 ms step.
    expect(elapsed).toBeGreaterThanOrEqual(1100);
    expect(elapsed).toBeLessThanOrEqual(1300);
  });
});
