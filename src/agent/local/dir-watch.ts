/**
 * Raw change notifications for a directory tree, one OS watch per *folder*.
 *
 * Why not chokidar or Node's recursive fs.watch on Linux: both put a watch (and several JS objects) on every
 * file. Measured on 100,000 files: chokidar 5 took 11 s to get ready and ~1 GB RSS, against a 150 MB budget for
 * the whole daemon, and per-file inotify watches exhaust `max_user_watches` on many systems. A folder's inotify
 * watch already reports creation, modification, deletion and renames of its children, so on Linux we watch
 * folders only. macOS (FSEvents) and Windows watch whole trees natively with `recursive: true`.
 *
 * It reports relative on-disk paths; the batching layer (watch.ts) decides when to pass them on.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { isAlwaysIgnoredName } from './ignore.js';
import { absOf } from './names.js';
import { joinPath, nameOf, parentOf } from '../../util/rel-path.js';

export interface TreeWatchOptions {
  /** Absolute root, symlinks already resolved. */
  root: string;
  /** Folders for which this returns true are not watched (nor anything below them). */
  isIgnoredDir?: (diskRel: string) => boolean;
  /**
   * A path changed. `folder` is true when a folder appeared, vanished or was replaced there (its subtree needs
   * a walk); false for anything else (a file, a link, or a path that is gone and whose kind is unknown).
   */
  onPath: (diskRel: string, folder: boolean) => void;
  /** The root itself vanished or was replaced. */
  onRootGone: () => void;
  /** Events may have been lost (watch limit reached, OS error). */
  onError: (error: Error) => void;
  /** Force the per-folder strategy even where recursive watching exists (tests). */
  perFolder?: boolean;
}

export interface TreeWatcher {
  ready: Promise<void>;
  close(): void;
  /** Number of OS watches held. */
  watchCount(): number;
}

export function watchTree(options: TreeWatchOptions): TreeWatcher {
  const recursive = !options.perFolder && (process.platform === 'darwin' || process.platform === 'win32');
  return recursive ? watchRecursive(options) : watchPerFolder(options);
}

function errorOf(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** Linux and other platforms: one non-recursive watch per folder, added and dropped as folders come and go. */
function watchPerFolder(options: TreeWatchOptions): TreeWatcher {
  const { root } = options;
  const watchers = new Map<string, { watcher: fs.FSWatcher; ino: number }>();
  let closed = false;

  function unwatchSubtree(diskRel: string): void {
    const prefix = `${diskRel}/`;
    for (const [rel, w] of watchers) {
      if (rel === diskRel || rel.startsWith(prefix)) {
        w.watcher.close();
        watchers.delete(rel);
      }
    }
  }

  /** Watches one folder; returns false when it is gone or cannot be watched. */
  function watchOne(diskRel: string): boolean {
    if (closed || watchers.has(diskRel)) return true;
    const abs = absOf(root, diskRel);
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(abs, { throwIfNoEntry: false });
      if (!st?.isDirectory()) return false;
      const watcher = fs.watch(abs, { persistent: true }, (event, name) => onEvent(diskRel, event, name));
      watcher.on('error', (error) => onWatchError(diskRel, error));
      watchers.set(diskRel, { watcher, ino: st.ino });
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return false;
      if (code === 'EACCES' || code === 'EPERM') return false; // unreadable: the scanner reports it
      options.onError(
        code === 'ENOSPC'
          ? new Error(
              `cannot watch ${abs}: the inotify watch limit is reached (raise fs.inotify.max_user_watches); ` +
                'changes there are found by the periodic rescan',
            )
          : errorOf(error),
      );
      return false;
    }
  }

  /** Watches a folder and every folder below it (synchronously listing, in slices when `sliced`). */
  async function watchSubtree(diskRel: string, sliced: boolean): Promise<void> {
    const stack = [diskRel];
    let sliceStart = performance.now();
    while (stack.length > 0 && !closed) {
      const dir = stack.pop() as string;
      if (!watchOne(dir)) continue;
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(absOf(root, dir), { withFileTypes: true });
      } catch {
        continue;
      }
      for (const e of entries) {
        if (!e.isDirectory() || isAlwaysIgnoredName(e.name)) continue;
        const rel = joinPath(dir, e.name);
        if (options.isIgnoredDir?.(rel)) continue;
        stack.push(rel);
      }
      if (sliced && performance.now() - sliceStart > 8) {
        await yieldToLoop();
        sliceStart = performance.now();
      }
    }
  }

  function onWatchError(diskRel: string, error: unknown): void {
    const w = watchers.get(diskRel);
    w?.watcher.close();
    watchers.delete(diskRel);
    if (closed) return;
    // A folder that vanished can error on some systems; that is a change, not a failure.
    if (diskRel !== '' && !fs.existsSync(absOf(root, diskRel))) {
      unwatchSubtree(diskRel);
      options.onPath(diskRel, true);
      return;
    }
    options.onError(errorOf(error));
  }

  function onEvent(dirRel: string, event: string, name: string | Buffer | null): void {
    if (closed) return;
    const self = watchers.get(dirRel);
    // Is the watched folder itself still there (and the same folder)? Self-events carry its own name.
    const dirStat = fs.lstatSync(absOf(root, dirRel), { throwIfNoEntry: false });
    if (!dirStat?.isDirectory() || (self && dirStat.ino !== self.ino)) {
      if (dirRel === '') {
        options.onRootGone();
        return;
      }
      unwatchSubtree(dirRel);
      options.onPath(dirRel, true);
      if (dirStat?.isDirectory()) void watchSubtree(dirRel, false);
      return;
    }
    if (name === null) {
      // The OS did not say which child: treat the whole folder as changed.
      if (dirRel !== '') options.onPath(dirRel, true);
      else options.onRootGone();
      return;
    }
    const childName = typeof name === 'string' ? name : name.toString('utf8');
    if (isAlwaysIgnoredName(childName)) return;
    const rel = joinPath(dirRel, childName);
    if (event === 'change') {
      options.onPath(rel, false);
      return;
    }
    // 'rename': the child appeared, vanished or was replaced.
    const st = fs.lstatSync(absOf(root, rel), { throwIfNoEntry: false });
    const watched = watchers.get(rel);
    if (st?.isDirectory()) {
      if (watched && watched.ino === st.ino) {
        options.onPath(rel, false);
        return;
      }
      if (watched) unwatchSubtree(rel);
      if (!options.isIgnoredDir?.(rel)) void watchSubtree(rel, false);
      options.onPath(rel, true);
      return;
    }
    if (watched) {
      unwatchSubtree(rel);
      options.onPath(rel, true);
      return;
    }
    options.onPath(rel, false);
  }

  const ready = watchSubtree('', true).then(() => {
    if (!watchers.has('') && !closed) options.onRootGone();
  });

  return {
    ready,
    close() {
      closed = true;
      for (const w of watchers.values()) w.watcher.close();
      watchers.clear();
    },
    watchCount: () => watchers.size,
  };
}

/** macOS and Windows: the OS watches the whole tree. */
function watchRecursive(options: TreeWatchOptions): TreeWatcher {
  const { root } = options;
  let closed = false;
  const rootIno = fs.statSync(root, { throwIfNoEntry: false })?.ino;
  if (rootIno === undefined) {
    queueMicrotask(options.onRootGone);
    return { ready: Promise.resolve(), close: () => undefined, watchCount: () => 0 };
  }
  const watcher = fs.watch(root, { persistent: true, recursive: true }, (_event, name) => {
    if (closed) return;
    const rootStat = fs.statSync(root, { throwIfNoEntry: false });
    if (!rootStat?.isDirectory() || rootStat.ino !== rootIno) {
      options.onRootGone();
      return;
    }
    if (name === null) {
      options.onError(new Error('the file system did not say what changed'));
      return;
    }
    const rel = name.split(path.sep).join('/');
    if (rel === '') return;
    // Skip anything inside the pair folder or an ignored folder.
    for (let p = parentOf(rel); p !== ''; p = parentOf(p)) {
      const seg = nameOf(p);
      if (isAlwaysIgnoredName(seg) || options.isIgnoredDir?.(p)) return;
    }
    const st = fs.lstatSync(absOf(root, rel), { throwIfNoEntry: false });
    options.onPath(rel, st?.isDirectory() === true);
  });
  watcher.on('error', (error) => {
    if (!closed) options.onError(errorOf(error));
  });
  return {
    ready: Promise.resolve(),
    close() {
      closed = true;
      watcher.close();
    },
    watchCount: () => 1,
  };
}
