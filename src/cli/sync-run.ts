/** `vosync sync` / `vsync` when it runs (its options are in sync-cmd.ts): plan, copy, summary. */
import fs from 'node:fs';
import path from 'node:path';
import { VosError } from '../vospace/errors.js';
import { type NodeInfo } from '../vospace/node.js';
import type { ProgressCallback } from '../vospace/transfer.js';
import { nodeNameProblem } from '../vospace/uri.js';
import { cacheDir } from '../util/platform-paths.js';
import { CliError, EXIT, errorKind, exitCodeFor, homeDir, splitPatterns, type Ctx } from './common.js';
import { MAX_STREAMS, type SyncOptions } from './sync-cmd.js';
import { Md5Cache, identityOf, type FileIdentity } from './commands/md5-cache.js';
import { PathFilter } from './commands/path-filter.js';
import { TransferProgress, type FileProgress } from './commands/progress.js';
import { explainWriteFailure, isRemoteArg, joinRemote, splitRemote } from './commands/targets.js';
import { EMPTY_MD5 } from '../util/md5.js';
import { localChildren, mirrorDeletes, type MirrorScope } from './sync-delete.js';

type Action = 'sent' | 'would-send' | 'failed';

interface FileRecord {
  path: string;
  destination: string;
  action: Action;
  bytes?: number;
  error?: string;
  exitCode?: number;
}

interface FileTask {
  /** What the user would recognise: the local path (upload) or the remote node (download). */
  label: string;
  local: string;
  remote: string;
  size: number;
  id?: FileIdentity;
  remoteInfo?: NodeInfo;
}

/** Per-run tallies and the list of files that were sent or failed. */
class Tally {
  sent = 0;
  skipped = 0;
  failed = 0;
  bytes = 0;
  readonly files: FileRecord[] = [];

  constructor(private readonly ctx: Ctx) {}

  fail(label: string, destination: string, e: unknown): void {
    this.failed++;
    const error = this.ctx.explain(e);
    this.files.push({ path: label, destination, action: 'failed', error, exitCode: exitCodeFor(e) });
    this.ctx.failed(errorKind(e), error);
    this.ctx.io.stderr.write(`${this.ctx.name}: ${error.startsWith(label) ? error : `${label}: ${error}`}\n`);
  }
}

function streamsOf(opts: SyncOptions): number {
  const raw = opts.jobs ?? opts.nstreams ?? '5';
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new CliError(`-j ${raw}: expected a whole number ≥ 1`, EXIT.invalid);
  if (n > MAX_STREAMS) throw new CliError(`Maximum of ${MAX_STREAMS} streams exceeded`, EXIT.invalid);
  return n;
}

/** Runs `fn` on every item, `streams` at a time: plain workers, no queue entry or promise per item waiting. */
async function inParallel<T>(items: T[], streams: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(streams, items.length) }, worker));
}

function isBelow(child: string, dirs: Set<string>): string | undefined {
  for (const d of dirs) if (child.startsWith(d.endsWith('/') || d.endsWith(':') ? d : d + '/')) return d;
  return undefined;
}

function mtimeMs(id: FileIdentity): number {
  return Number(BigInt(id.mtimeNs) / 1_000_000n);
}

/** Same content by size and MD5 (empty files carry no MD5 on the server). */
function sameContent(remote: NodeInfo | undefined, size: number, md5: string): boolean {
  if (remote?.kind !== 'file' || remote.size !== size) return false;
  return remote.md5 === md5 || (size === 0 && (remote.md5 === undefined || md5 === EMPTY_MD5));
}

export async function runSync(ctx: Ctx, paths: string[], opts: SyncOptions): Promise<number> {
  if (paths.length < 2) throw new CliError('sync needs at least one SOURCE and a DEST', EXIT.invalid);
  const streams = streamsOf(opts);
  const remoteArg = (p: string) => (isRemoteArg(p) ? ctx.remoteArg(p) : p);
  const dest = remoteArg(paths[paths.length - 1]!);
  const sources = paths.slice(0, -1).map(remoteArg);
  const remoteSources = sources.filter(isRemoteArg);
  let direction: 'up' | 'down';
  if (isRemoteArg(dest) && remoteSources.length === 0) direction = 'up';
  else if (!isRemoteArg(dest) && remoteSources.length === sources.length) direction = 'down';
  else {
    throw new CliError(
      'sync copies local → remote (vosync sync DIR vos:DEST) or remote → local (vosync sync vos:SRC DIR), not mixed',
      EXIT.invalid,
    );
  }
  if (opts.cache_nodes)
    ctx.log.note('--cache_nodes has no effect: remote state is read from directory listings');
  const filter = new PathFilter({
    exclude: splitPatterns(opts.exclude),
    include: splitPatterns(opts.include),
    includeRegex: opts.includeRegex ?? [],
  });
  const cacheFile = opts.cache_filename
    ? ctx.local(opts.cache_filename)
    : path.join(cacheDir(ctx.io.env, homeDir(ctx.io.env)), 'md5-cache.sqlite');
  const cache = new Md5Cache(cacheFile);
  const tally = new Tally(ctx);
  const started = ctx.io.now();
  let deleted: { path: string; keptAt: string | null }[] | undefined;
  try {
    ctx.client({ connections: streams * 2 });
    const plan =
      direction === 'up'
        ? await planUpload(ctx, sources, dest, opts, filter, tally)
        : await planDownload(ctx, sources, dest, opts, filter, tally);
    const progress = new TransferProgress(ctx, {
      totalBytes: plan.files.reduce((n, f) => n + f.size, 0),
      totalFiles: plan.files.length,
    });
    await inParallel(plan.files, streams, async (f) => {
      const destination = direction === 'up' ? f.remote : f.local;
      let file: FileProgress | undefined;
      try {
        const blocked = plan.failedDirs.size > 0 ? isBelow(destination, plan.failedDirs) : undefined;
        if (blocked)
          throw new CliError(`${destination}: not copied because ${blocked} could not be created`, 1);
        file = progress.fileStarted(f.label);
        const onProgress = progress.shown ? file.moved : undefined;
        const outcome =
          direction === 'up'
            ? await uploadOne(ctx, f, plan.remoteIndex, opts, cache, onProgress)
            : await downloadOne(ctx, f, opts, cache, onProgress);
        if (outcome.action === 'skipped') tally.skipped++;
        else {
          tally.files.push({ path: f.label, destination, action: outcome.action, bytes: outcome.bytes });
          if (outcome.action === 'sent') {
            tally.sent++;
            tally.bytes += outcome.bytes;
            ctx.log.info(`${f.label} -> ${destination}`);
          } else ctx.out(`would copy ${f.label} -> ${destination}\n`);
        }
      } catch (e) {
        tally.fail(f.label, destination, e);
      } finally {
        if (file) file.done(f.size);
        else progress.fileStarted(f.label).done(f.size);
      }
    });
    progress.stop();
    if (opts.delete) {
      const index = plan.remoteIndex;
      const children =
        direction === 'up'
          ? (dir: string) =>
              [...(index.get(dir)?.values() ?? [])].map((n) => ({
                name: n.name,
                isDir: n.kind === 'container',
              }))
          : localChildren;
      const run = {
        direction,
        dryRun: Boolean(opts.dryRun),
        topLevel: Boolean(opts.topLevel),
        failed: tally.failed,
      };
      deleted = await mirrorDeletes(ctx, { ...run, mirror: plan.mirror, children }, filter);
    }
  } finally {
    cache.close();
  }
  const seconds = Math.max(0.001, (ctx.io.now() - started) / 1000);
  const mb = tally.bytes / 1e6;
  const verb = opts.dryRun ? 'would copy' : direction === 'up' ? 'sent' : 'received';
  const count = opts.dryRun ? tally.files.filter((f) => f.action === 'would-send').length : tally.sent;
  const removed = deleted
    ? `, ${opts.dryRun ? 'would delete' : 'deleted'} ${deleted.length} (to the trash)`
    : '';
  const summary = opts.dryRun
    ? `${verb} ${count} files, skipped ${tally.skipped}, failed ${tally.failed}${removed}`
    : `${verb} ${count} files (${mb.toFixed(1)} MB at ${(mb / seconds).toFixed(1)} MB/s), skipped ${tally.skipped}, failed ${tally.failed}${removed}`;
  ctx.result({
    direction: direction === 'up' ? 'upload' : 'download',
    dryRun: Boolean(opts.dryRun),
    sent: opts.dryRun ? 0 : tally.sent,
    wouldSend: opts.dryRun ? count : 0,
    skipped: tally.skipped,
    failed: tally.failed,
    bytes: tally.bytes,
    seconds,
    hashed: cache.hashed,
    summary,
    files: tally.files,
    ...(deleted ? { deleted } : {}),
  });
  ctx.out(summary + '\n');
  ctx.log.info(`${cache.hashed} files hashed; MD5 cache ${cacheFile}`);
  return tally.failed > 0 ? EXIT.failure : EXIT.ok;
}

interface Plan {
  files: FileTask[];
  /** Remote directory → its children by name (upload direction). */
  remoteIndex: Map<string, Map<string, NodeInfo>>;
  /** Directories that could not be created: nothing below them is attempted. */
  failedDirs: Set<string>;
  /** What --delete compares: the destination folders standing for source folders, and what they receive. */
  mirror: Omit<MirrorScope, 'direction' | 'topLevel'>;
}

async function planUpload(
  ctx: Ctx,
  sources: string[],
  dest: string,
  opts: SyncOptions,
  filter: PathFilter,
  tally: Tally,
): Promise<Plan> {
  const client = ctx.client();
  const destRoot = dest.replace(/\/+$/, '');
  const destInfo = await client.tryGetInfo(destRoot);
  if (
    destInfo &&
    destInfo.kind !== 'container' &&
    !(destInfo.kind === 'link' && (await client.isdir(destRoot)))
  ) {
    throw new CliError(`${dest}: not a directory`, EXIT.notDir);
  }
  const dirs: { remote: string; label: string }[] = [];
  const files: FileTask[] = [];
  const roots: string[] = [];

  const walk = async (absDir: string, labelDir: string, remoteDir: string, relDir: string): Promise<void> => {
    let entries: fs.Dirent[];
    try {
      entries = (await fs.promises.readdir(absDir, { withFileTypes: true })).sort((a, b) =>
        a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
      );
    } catch (e) {
      tally.fail(labelDir, remoteDir, e);
      return;
    }
    for (const e of entries) {
      const label = path.join(labelDir, e.name);
      const rel = relDir === '' ? e.name : `${relDir}/${e.name}`;
      const remote = joinRemote(remoteDir, ctx.names.encode(e.name));
      if (e.isSymbolicLink()) {
        ctx.log.info(`${label}: skipping (symbolic link)`);
        continue;
      }
      if (!e.isDirectory() && !e.isFile()) {
        ctx.log.info(`${label}: skipping (not a regular file)`);
        continue;
      }
      if (filter.skips({ rel, full: remote, isDir: e.isDirectory() })) continue;
      const problem = nodeNameProblem(ctx.names.encode(e.name));
      if (problem) {
        tally.fail(
          label,
          remote,
          new CliError(`${label}: cannot be stored in VOSpace: ${problem}`, EXIT.invalid),
        );
        continue;
      }
      const abs = path.join(absDir, e.name);
      if (e.isDirectory()) {
        if (opts.topLevel) continue;
        dirs.push({ remote, label });
        await walk(abs, label, remote, rel);
        continue;
      }
      try {
        // Synchronous: one lstat costs less than a thread-pool round trip, and the walk waits for it anyway.
        const id = identityOf(fs.lstatSync(abs, { bigint: true }));
        files.push({ label, local: abs, remote, size: id.size, id });
      } catch (err) {
        tally.fail(label, remote, err);
      }
    }
  };

  for (const src of sources) {
    const abs = ctx.local(src);
    let st: fs.Stats;
    try {
      st = await fs.promises.lstat(abs);
    } catch (e) {
      tally.fail(src, dest, e);
      continue;
    }
    if (st.isSymbolicLink()) {
      ctx.log.info(`${src}: skipping (symbolic link)`);
      continue;
    }
    const name = ctx.names.encode(path.basename(abs));
    const problem = nodeNameProblem(name);
    if (st.isDirectory()) {
      const intoDest = src.endsWith('/') || src.endsWith(path.sep);
      if (!intoDest && problem) {
        tally.fail(src, dest, new CliError(`${src}: cannot be stored in VOSpace: ${problem}`, EXIT.invalid));
        continue;
      }
      const root = intoDest ? destRoot : joinRemote(destRoot, name);
      if (!intoDest) dirs.push({ remote: root, label: src });
      roots.push(root);
      await walk(abs, src, root, '');
    } else if (st.isFile()) {
      if (problem) {
        tally.fail(src, dest, new CliError(`${src}: cannot be stored in VOSpace: ${problem}`, EXIT.invalid));
        continue;
      }
      const id = identityOf(await fs.promises.lstat(abs, { bigint: true }));
      files.push({ label: src, local: abs, remote: joinRemote(destRoot, name), size: id.size, id });
    } else ctx.log.info(`${src}: skipping (not a regular file)`);
  }

  // Directories, parents first: create what is missing and read one listing per existing directory.
  const remoteIndex = new Map<string, Map<string, NodeInfo>>();
  const failedDirs = new Set<string>();
  const listing = async (dir: string): Promise<Map<string, NodeInfo>> => {
    const m = new Map<string, NodeInfo>();
    for (const n of await client.list(dir)) m.set(n.name, n);
    return m;
  };
  if (!destInfo) {
    if (!opts.dryRun) await client.mkdir(destRoot, { parents: true });
    remoteIndex.set(destRoot, new Map());
  } else remoteIndex.set(destRoot, await listing(destRoot));
  for (const d of dirs) {
    const { parent, last } = splitRemote(d.remote);
    if (isBelow(d.remote, failedDirs)) continue;
    const existing = remoteIndex.get(parent)?.get(last);
    try {
      if (existing?.kind === 'container') {
        remoteIndex.set(d.remote, await listing(d.remote));
      } else if (existing) {
        throw new VosError('exists', `${d.remote} exists on the server and is not a directory`);
      } else {
        if (!opts.dryRun) {
          try {
            await client.mkdir(d.remote);
          } catch (e) {
            if (!(e instanceof VosError && e.kind === 'exists' && (await client.isdir(d.remote)))) throw e;
          }
        }
        remoteIndex.set(d.remote, new Map());
      }
    } catch (e) {
      failedDirs.add(d.remote);
      tally.fail(d.label, d.remote, e);
    }
  }
  const mirror = {
    roots,
    // The listed folders are the destination and the source's folders, nothing else.
    dirs: [...remoteIndex.keys()],
    known: new Set([...files.map((f) => f.remote), ...dirs.map((d) => d.remote)]),
  };
  return { files, remoteIndex, failedDirs, mirror };
}

async function uploadOne(
  ctx: Ctx,
  f: FileTask,
  index: Map<string, Map<string, NodeInfo>>,
  opts: SyncOptions,
  cache: Md5Cache,
  onProgress?: ProgressCallback,
): Promise<{ action: Action | 'skipped'; bytes: number }> {
  const { parent, last } = splitRemote(f.remote);
  const remote = index.get(parent)?.get(last);
  if (remote?.kind === 'container') throw new VosError('exists', `${f.remote} is a directory on the server`);
  const listed = index.has(parent);
  let md5: string | undefined;
  if (!opts.overwrite) {
    if (opts.ignoreChecksum) {
      if (remote?.kind === 'file' && remote.size === f.size && (remote.date ?? 0) >= mtimeMs(f.id!)) {
        return { action: 'skipped', bytes: 0 };
      }
    } else if (!listed || (remote?.kind === 'file' && remote.size === f.size)) {
      // Only a file of the same size on the server can hold the same bytes; any other is sent without reading
      // it first, its MD5 taken from the bytes sent.
      md5 = await cache.md5(f.local, f.id!);
      if (sameContent(remote, f.size, md5)) return { action: 'skipped', bytes: 0 };
    }
  }
  if (opts.dryRun) return { action: 'would-send', bytes: f.size };
  let r;
  try {
    r = await ctx.client().upload(f.local, f.remote, {
      ...(md5 ? { md5 } : {}),
      ...(onProgress ? { onProgress } : {}),
      // The folder's listing already said what is there: no need to ask for the node again (one request less).
      ...(listed ? { current: remote ?? null } : {}),
    });
  } catch (e) {
    throw await explainWriteFailure(ctx.client(), f.remote, e);
  }
  // Remember the MD5 of what was sent, so the next run does not hash the file.
  if (!md5) cache.storeIfUnchanged(f.local, f.id!, r.md5);
  return r.skipped ? { action: 'skipped', bytes: 0 } : { action: 'sent', bytes: r.size };
}

async function planDownload(
  ctx: Ctx,
  sources: string[],
  dest: string,
  opts: SyncOptions,
  filter: PathFilter,
  tally: Tally,
): Promise<Plan> {
  const client = ctx.client();
  const destAbs = ctx.local(dest);
  const st = fs.statSync(destAbs, { throwIfNoEntry: false });
  if (st && !st.isDirectory()) throw new CliError(`${dest}: not a directory`, EXIT.notDir);
  const dirs: { local: string; label: string }[] = [];
  const files: FileTask[] = [];
  const roots: string[] = [];

  const walk = async (remoteDir: string, localDir: string, relDir: string): Promise<void> => {
    let children: NodeInfo[];
    try {
      children = await client.list(remoteDir);
    } catch (e) {
      tally.fail(remoteDir, localDir, e);
      return;
    }
    for (const c of children) {
      const remote = joinRemote(remoteDir, c.name);
      const name = ctx.names.decode(c.name);
      const local = path.join(localDir, name);
      const rel = relDir === '' ? name : `${relDir}/${name}`;
      if (c.kind === 'link') {
        ctx.log.info(`${remote}: skipping (link node)`);
        continue;
      }
      if (filter.skips({ rel, full: local, isDir: c.kind === 'container' })) continue;
      if (c.kind === 'container') {
        if (opts.topLevel) continue;
        dirs.push({ local, label: remote });
        await walk(remote, local, rel);
      } else files.push({ label: remote, local, remote, size: c.size, remoteInfo: c });
    }
  };

  for (const src of sources) {
    let info: NodeInfo;
    try {
      info = await client.getInfo(src);
    } catch (e) {
      tally.fail(src, dest, e);
      continue;
    }
    const srcRoot = src.replace(/\/+$/, '');
    if (info.kind === 'container') {
      const intoDest = src.endsWith('/') || info.name === '';
      const root = intoDest ? destAbs : path.join(destAbs, ctx.names.decode(info.name));
      if (!intoDest) dirs.push({ local: root, label: srcRoot });
      roots.push(root);
      await walk(srcRoot, root, '');
    } else if (info.kind === 'file') {
      files.push({
        label: src,
        local: path.join(destAbs, ctx.names.decode(info.name)),
        remote: srcRoot,
        size: info.size,
        remoteInfo: info,
      });
    } else ctx.log.info(`${src}: skipping (link node)`);
  }

  const failedDirs = new Set<string>();
  if (!opts.dryRun) {
    fs.mkdirSync(destAbs, { recursive: true });
    for (const d of dirs) {
      if (isBelow(d.local, failedDirs)) continue;
      try {
        fs.mkdirSync(d.local, { recursive: true });
        if (!fs.statSync(d.local).isDirectory())
          throw new CliError(`${d.local} is not a directory`, EXIT.notDir);
      } catch (e) {
        failedDirs.add(d.local);
        tally.fail(d.label, d.local, e);
      }
    }
  }
  const mirror = {
    roots,
    dirs: [...new Set([...roots, ...dirs.map((d) => d.local)])],
    known: new Set([...files.map((f) => f.local), ...dirs.map((d) => d.local)]),
  };
  return { files, remoteIndex: new Map(), failedDirs, mirror };
}

async function downloadOne(
  ctx: Ctx,
  f: FileTask,
  opts: SyncOptions,
  cache: Md5Cache,
  onProgress?: ProgressCallback,
): Promise<{ action: Action | 'skipped'; bytes: number }> {
  const remote = f.remoteInfo!;
  // Synchronous lstats here and below: cheaper than a thread-pool round trip each.
  const st = fs.lstatSync(f.local, { bigint: true, throwIfNoEntry: false });
  if (st?.isDirectory()) throw new CliError(`${f.local} is a directory`, EXIT.isDir);
  if (st?.isFile() && !opts.overwrite && Number(st.size) === remote.size) {
    const id = identityOf(st);
    if (opts.ignoreChecksum) {
      if (mtimeMs(id) >= (remote.date ?? 0)) return { action: 'skipped', bytes: 0 };
    } else if (sameContent(remote, remote.size, await cache.md5(f.local, id))) {
      return { action: 'skipped', bytes: 0 };
    }
  }
  if (opts.dryRun) return { action: 'would-send', bytes: f.size };
  const r = await ctx.client().download(f.remote, f.local, {
    // The listing's record of the node: no need to read it again before the transfer.
    info: remote,
    ...(remote.md5 ? { expectMd5: remote.md5 } : {}),
    ...(onProgress ? { onProgress } : {}),
  });
  // Remember the new file's MD5 so the next run does not hash it again.
  const after = fs.lstatSync(f.local, { bigint: true });
  cache.store(f.local, identityOf(after), r.md5);
  return r.skipped ? { action: 'skipped', bytes: 0 } : { action: 'sent', bytes: r.size };
}
