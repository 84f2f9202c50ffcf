/**
 * Local change notifications. Start it *before* the first full scan, so no change can fall between the scan
 * and the watch; wait for `ready`, then scan.
 *
 * It only reports paths; the daemon answers a batch with a cycle that scans the local side again.
 * A path is reported once it has been quiet for `stableMs` (no event, and an mtime at least that old), which
 * both lets multi-chunk writes finish and folds an editor's save-by-rename (write temp, rename over the
 * original; or move the original aside, write anew) into one report of the original path: by the time it is
 * reported the file is back, so the re-observation sees a change, never a delete. Ready paths are delivered in
 * batches: after `debounceMs` without any event, or `maxWaitMs` after the first path became ready.
 *
 * The OS watches come from dir-watch.ts (one per folder on Linux, one per tree on macOS and Windows), not
 * from chokidar: chokidar 5 watches every file and needed ~1 GB and 11 s for 100,000 files. Missed events
 * (watch limit reached, network file systems without notifications) are covered by the periodic full rescan.
 */
import fs from 'node:fs';
import path from 'node:path';
import { IGNORE_FILE, isAlwaysIgnoredName } from './ignore.js';
import { watchTree } from './dir-watch.js';
import { toNfc } from './names.js';
import { nameOf } from '../../util/rel-path.js';

export interface WatchBatch {
  /** Paths that changed, appeared or vanished (relative POSIX, NFC), sorted, each once. */
  paths: string[];
  /** Subset of `paths` where a folder appeared or vanished: walk their subtrees again. */
  subtrees: string[];
  /** Events may have been lost (watcher error, root vanished or replaced): run a full scan. */
  fullRescan: boolean;
  /** A `.vosyncignore` changed: reload the ignore rules, then run a full scan. */
  ignoreRulesChanged: boolean;
}

export interface WatcherOptions {
  /** Absolute pair root. The root may be a symbolic link; nothing below it is followed. */
  root: string;
  ignore?: { isIgnored(relPath: string, isDir: boolean): boolean };
  /** Quiet time before a batch is delivered (default 300 ms). */
  debounceMs?: number;
  /** Longest delay of a ready path under a continuous stream of events (default 2000 ms). */
  maxWaitMs?: number;
  /** How long a path must stay unchanged before it is reported (default 400 ms: long enough for editors' save-by-rename and
   * chunked writes, short enough that a saved file is on the server within a second). */
  stableMs?: number;
  /** Called with each batch; the next batch waits until a returned promise settles. */
  onBatch: (batch: WatchBatch) => void | Promise<void>;
  /** Watcher errors and failures of `onBatch`. A full rescan is requested in the next batch as well. */
  onError?: (error: Error) => void;
  /** Clock (epoch ms, same clock as file mtimes). Default Date.now. */
  now?: () => number;
}

export interface Watcher {
  /** Resolves when every folder is watched and changes are being tracked. */
  ready: Promise<void>;
  /** Paths seen changing but not yet delivered. */
  pendingCount(): number;
  /** OS watches held (one per folder on Linux). */
  watchCount(): number;
  /** Stops watching; pending paths are dropped (the next full scan finds them). */
  close(): Promise<void>;
}

interface Pending {
  /** Relative path as on disk (may differ from the NFC key). */
  diskRel: string;
  lastEventAt: number;
  folderEvent: boolean;
}

export function startWatcher(options: WatcherOptions): Watcher {
  const debounceMs = options.debounceMs ?? 300;
  const maxWaitMs = options.maxWaitMs ?? 2000;
  const stableMs = options.stableMs ?? 400;
  const now = options.now ?? Date.now;
  const ignore = options.ignore;
  // Resolve a symlinked root once, so the watcher never has a link to (not) follow at the top.
  const root = safeRealpath(path.resolve(options.root));

  const pending = new Map<string, Pending>();
  let lastAnyEventAt = 0;
  let firstReadyAt: number | undefined;
  let fullRescan = false;
  let closed = false;
  let delivering = false;
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Infinity;

  function isIgnored(diskRel: string, isDir: boolean | undefined): boolean {
    const name = nameOf(diskRel);
    if (isAlwaysIgnoredName(name)) return true;
    if (!ignore) return false;
    const rel = toNfc(diskRel);
    // Without stats the kind is unknown: ignore only what is ignored either way.
    if (isDir === undefined) return ignore.isIgnored(rel, false) && ignore.isIgnored(rel, true);
    return ignore.isIgnored(rel, isDir);
  }

  function schedule(at: number): void {
    if (closed || at >= timerAt) return;
    if (timer) clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(tick, Math.max(0, at - now()));
  }

  function requestFullRescan(): void {
    fullRescan = true;
    lastAnyEventAt = now();
    schedule(lastAnyEventAt + debounceMs);
  }

  function onPath(diskRel: string, folder: boolean): void {
    if (closed) return;
    if (isIgnored(diskRel, folder ? true : undefined)) return;
    const t = now();
    const rel = toNfc(diskRel);
    const rec = pending.get(rel);
    if (rec) {
      rec.lastEventAt = t;
      rec.diskRel = diskRel;
      rec.folderEvent ||= folder;
    } else {
      pending.set(rel, { diskRel, lastEventAt: t, folderEvent: folder });
    }
    lastAnyEventAt = t;
    schedule(t + stableMs);
  }

  /** When the path may be reported, judging by events and by the file's own mtime. */
  function settledAt(rec: Pending, t: number): number {
    let last = rec.lastEventAt;
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(`${root}/${rec.diskRel}`, { throwIfNoEntry: false });
    } catch {
      // ENOTDIR (a parent folder became a file), EACCES…: the path is gone or unreadable, which is settled.
      st = undefined;
    }
    // A write whose event was coalesced or lost still moves the mtime (a future mtime is not trusted).
    if (st?.isFile() && st.mtimeMs > last && st.mtimeMs <= t) last = st.mtimeMs;
    return last + stableMs;
  }

  function tick(): void {
    try {
      tickUnsafe();
    } catch (error) {
      // Never let one odd path stop the watcher: fall back to a full rescan.
      options.onError?.(error instanceof Error ? error : new Error(String(error)));
      requestFullRescan();
    }
  }

  function tickUnsafe(): void {
    timer = undefined;
    timerAt = Infinity;
    if (closed || delivering) return;
    const t = now();
    const ready: string[] = [];
    let nextCheck = Infinity;
    for (const [rel, rec] of pending) {
      let at = rec.lastEventAt + stableMs;
      if (at <= t) at = settledAt(rec, t);
      if (at <= t) ready.push(rel);
      else nextCheck = Math.min(nextCheck, at);
    }
    if (ready.length > 0 || fullRescan) {
      firstReadyAt ??= t;
      if (t - lastAnyEventAt >= debounceMs || t - firstReadyAt >= maxWaitMs) {
        deliver(ready);
        return;
      }
      nextCheck = Math.min(nextCheck, lastAnyEventAt + debounceMs, firstReadyAt + maxWaitMs);
    }
    if (nextCheck < Infinity) schedule(nextCheck);
  }

  function deliver(ready: string[]): void {
    const paths = ready.sort();
    const subtrees: string[] = [];
    let ignoreRulesChanged = false;
    for (const rel of paths) {
      const rec = pending.get(rel);
      if (rec?.folderEvent) subtrees.push(rel);
      if (rel === IGNORE_FILE || rel.endsWith(`/${IGNORE_FILE}`)) ignoreRulesChanged = true;
      pending.delete(rel);
    }
    const batch: WatchBatch = { paths, subtrees, fullRescan, ignoreRulesChanged };
    fullRescan = false;
    firstReadyAt = undefined;
    delivering = true;
    let result: void | Promise<void>;
    try {
      result = options.onBatch(batch);
    } catch (error) {
      result = Promise.reject(error);
    }
    void Promise.resolve(result)
      .catch((error: unknown) => {
        fullRescan = true;
        options.onError?.(error instanceof Error ? error : new Error(String(error)));
      })
      .finally(() => {
        delivering = false;
        if (pending.size > 0 || fullRescan) schedule(now());
      });
  }

  const tree = watchTree({
    root,
    isIgnoredDir: (diskRel) => isIgnored(diskRel, true),
    onPath,
    // The root vanished or was replaced: only a full scan (and the root guard) can judge that.
    onRootGone: requestFullRescan,
    onError: (error) => {
      if (closed) return;
      requestFullRescan();
      options.onError?.(error);
    },
  });
  const ready = tree.ready;

  return {
    ready,
    pendingCount: () => pending.size,
    watchCount: () => tree.watchCount(),
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      pending.clear();
      tree.close();
    },
  };
}

function safeRealpath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}
