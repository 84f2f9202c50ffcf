/** `vosync cp` / `vcp` when it runs (its options are in cp.ts). */
import fs from 'node:fs';
import path from 'node:path';
import type { TransferOutcome } from '../../vospace/client.js';
import type { DataView } from '../../vospace/cutout.js';
import { VosError } from '../../vospace/errors.js';
import type { NodeInfo } from '../../vospace/node.js';
import { downloadView } from '../../vospace/views.js';
import { CliError, EXIT, describeError, errorKind, exitCodeFor, splitPatterns, type Ctx } from '../common.js';
import { cutoutLocalName, remoteSource, type SourceArg } from './cutout.js';
import { remoteFitsHeaders } from './fits-head.js';
import { PathFilter } from './path-filter.js';
import { TransferProgress } from './progress.js';
import { Prompter } from './prompt.js';
import { expandRemote, explainWriteFailure, isRemoteArg, joinRemote, remoteBaseName } from './targets.js';
import { tempPathFor } from '../../util/temp-files.js';

interface CpOptions {
  exclude?: string[];
  include?: string[];
  interrogate?: boolean;
  overwrite?: boolean;
  quick?: boolean;
  followLinks?: boolean;
  ignore?: boolean;
  head?: boolean;
}

type Op =
  | { kind: 'mkdir-remote'; dst: string }
  | { kind: 'mkdir-local'; dst: string; dstLabel: string }
  | { kind: 'upload'; src: string; srcLabel: string; dst: string; size: number }
  | {
      kind: 'download';
      src: string;
      dst: string;
      dstLabel: string;
      size: number;
      md5: string | undefined;
      view?: DataView;
    }
  | { kind: 'head'; src: string; dst: string; dstLabel: string; size: number }
  | { kind: 'remote-copy'; src: string; dst: string };

interface Outcome {
  source: string;
  destination: string;
  bytes: number;
  md5?: string;
  skipped: boolean;
}

interface Failure {
  source: string;
  destination: string;
  error: string;
  /** The kind of error, as in the --json document's error.code. */
  code: string;
  exitCode: number;
}

class Planner {
  readonly ops: Op[] = [];
  readonly skipped: { source: string; reason: string }[] = [];
  readonly planFailures: Failure[] = [];

  constructor(
    private readonly ctx: Ctx,
    private readonly opts: CpOptions,
    private readonly filter: PathFilter,
  ) {}

  private skip(source: string, reason: string): void {
    this.skipped.push({ source, reason });
    this.ctx.log.info(`${source}: skipping (${reason})`);
  }

  private filtered(rel: string, full: string, isDir: boolean): boolean {
    return this.filter.skips({ rel, full, isDir });
  }

  /** Local file or directory → remote destination. */
  planUpload(srcLabel: string, dst: string, rel: string): void {
    const abs = this.ctx.local(srcLabel);
    let st = fs.lstatSync(abs);
    if (st.isSymbolicLink()) {
      if (!this.opts.followLinks) return this.skip(srcLabel, 'symbolic link; use -L to follow');
      st = fs.statSync(abs);
    }
    if (st.isDirectory()) {
      if (rel !== '' && this.filtered(rel, dst, true)) return this.skip(srcLabel, 'excluded');
      this.ops.push({ kind: 'mkdir-remote', dst });
      for (const name of fs.readdirSync(abs).sort()) {
        this.planUpload(
          path.join(srcLabel, name),
          joinRemote(dst, this.ctx.names.encode(name)),
          rel === '' ? name : `${rel}/${name}`,
        );
      }
      return;
    }
    if (!st.isFile()) return this.skip(srcLabel, 'not a regular file');
    if (this.filtered(rel || path.basename(abs), dst, false)) return this.skip(srcLabel, 'excluded');
    try {
      this.ctx.client().location(dst);
    } catch (e) {
      this.planFailures.push({
        source: srcLabel,
        destination: dst,
        error: describeError(e),
        code: errorKind(e),
        exitCode: exitCodeFor(e),
      });
      return;
    }
    this.ops.push({ kind: 'upload', src: abs, srcLabel, dst, size: st.size });
  }

  /** Remote node → local destination; `view` asks for a cutout or the headers instead of the bytes. */
  async planDownload(
    src: string,
    dstLabel: string,
    rel: string,
    known?: NodeInfo,
    view?: DataView,
  ): Promise<void> {
    const client = this.ctx.client();
    let info = known ?? (await client.getInfo(src));
    let from = src;
    if (info.kind === 'link') {
      if (!this.opts.followLinks) return this.skip(src, 'link node; use -L to follow');
      const target = info.target ?? '';
      if (!isRemoteArg(target)) return this.skip(src, `link to ${target}, which is not a VOSpace node`);
      from = target;
      info = await client.getInfo(target);
    }
    const dst = this.ctx.local(dstLabel);
    if (info.kind === 'container') {
      if (view && view.kind !== 'headers') {
        throw new CliError(`${src} is a directory; a cutout applies to a file`, EXIT.isDir);
      }
      if (rel !== '' && this.filtered(rel, dstLabel, true)) return this.skip(src, 'excluded');
      this.ops.push({ kind: 'mkdir-local', dst, dstLabel });
      for (const child of await client.list(from)) {
        const name = this.ctx.names.decode(child.name);
        await this.planDownload(
          joinRemote(from.replace(/\/+$/, ''), child.name),
          path.join(dstLabel, name),
          rel === '' ? name : `${rel}/${name}`,
          child,
          view,
        );
      }
      return;
    }
    if (this.filtered(rel || info.name, dstLabel, false)) return this.skip(src, 'excluded');
    // ARC has no SODA: its headers are read here instead (cutouts there are refused when they run).
    if (view?.kind === 'headers' && !(await client.endpoints(client.location(from))).vaultLike) {
      this.ops.push({ kind: 'head', src: from, dst, dstLabel, size: info.size });
    } else if (view) {
      this.ops.push({ kind: 'download', src: from, dst, dstLabel, size: 0, md5: undefined, view });
    } else {
      this.ops.push({ kind: 'download', src: from, dst, dstLabel, size: info.size, md5: info.md5 });
    }
  }
}

/** The local name of a source: a remote node's name mapped back (a cutout's as vcp names it), or a local file's. */
function sourceBaseName(src: SourceArg, ctx: Ctx): string {
  return isRemoteArg(src.arg)
    ? cutoutLocalName(ctx.names.decode(remoteBaseName(src.arg)), src.view)
    : path.basename(ctx.local(src.arg));
}

export async function runCp(ctx: Ctx, paths: string[], opts: CpOptions): Promise<number> {
  if (paths.length < 2) throw new CliError('cp needs at least one SOURCE and a DEST', EXIT.invalid);
  if (opts.overwrite) ctx.log.note('--overwrite is obsolete and has no effect: existing files are replaced');
  if (opts.quick) ctx.log.note('--quick is obsolete and has no effect');
  const destGiven = paths[paths.length - 1]!;
  const destRemote = isRemoteArg(destGiven);
  const destArg = destRemote ? ctx.remoteArg(destGiven) : destGiven;
  const client = ctx.client();
  const sources: SourceArg[] = [];
  for (const s of paths.slice(0, -1)) {
    if (!isRemoteArg(s)) {
      sources.push({ arg: s });
      continue;
    }
    // A cutout is split off before wildcards are expanded, then applies to every match (as in vcp).
    const { arg, view } = remoteSource(s, opts.head === true);
    for (const match of await expandRemote(client, ctx.remoteArg(arg))) {
      sources.push(view ? { arg: match, view } : { arg: match });
    }
  }
  if (!destRemote && sources.every((s) => !isRemoteArg(s.arg))) {
    throw new CliError(`${destArg}: both sides are local; use cp(1) for local copies`, EXIT.invalid);
  }
  if (opts.head && (destRemote || sources.some((s) => !isRemoteArg(s.arg)))) {
    throw new CliError('--head copies FITS headers from remote files to local files only', EXIT.invalid);
  }

  // Where each source goes: inside an existing directory (or a DEST ending in '/'), else DEST itself.
  let destExists: boolean;
  let destIsDir: boolean;
  if (destRemote) {
    const info = await client.tryGetInfo(destArg);
    destExists = info !== undefined;
    destIsDir = info?.kind === 'container' || (info?.kind === 'link' && (await client.isdir(destArg)));
  } else {
    const st = fs.statSync(ctx.local(destArg), { throwIfNoEntry: false });
    destExists = st !== undefined;
    destIsDir = st?.isDirectory() ?? false;
  }
  if ((destArg.endsWith('/') || sources.length > 1) && !destIsDir) {
    const what =
      sources.length > 1 ? `cannot copy ${sources.length} sources into ${destArg}: ` : `${destArg}: `;
    if (destExists) throw new CliError(`${what}not a directory`, EXIT.notDir);
    throw new CliError(`${what}no such directory`, EXIT.notFound);
  }

  const filter = new PathFilter({
    exclude: splitPatterns(opts.exclude),
    include: splitPatterns(opts.include),
  });
  const planner = new Planner(ctx, opts, filter);
  for (const source of sources) {
    const { arg: src, view } = source;
    const name = sourceBaseName(source, ctx);
    const dst = destIsDir
      ? destRemote
        ? joinRemote(destArg.replace(/\/+$/, ''), ctx.names.encode(name))
        : path.join(destArg, name)
      : destArg;
    const srcRemote = isRemoteArg(src);
    if (view && destRemote) {
      throw new CliError(`${src}: cutouts are copied to local files only`, EXIT.invalid);
    }
    if (srcRemote && destRemote) {
      const a = client.location(src);
      const b = client.location(dst);
      if (a.resourceId !== b.resourceId) {
        throw new CliError(
          `${src} → ${dst}: cannot copy between services; copy to a local directory first`,
          EXIT.unsupported,
        );
      }
      if (filter.active)
        throw new CliError('--include/--exclude do not apply to server-side copies', EXIT.invalid);
      planner.ops.push({ kind: 'remote-copy', src, dst });
    } else if (srcRemote) {
      await planner.planDownload(src, dst, '', undefined, view);
    } else {
      planner.planUpload(src, dst, '');
    }
  }
  return execute(ctx, opts, planner);
}

async function execute(ctx: Ctx, opts: CpOptions, planner: Planner): Promise<number> {
  const client = ctx.client();
  const started = ctx.io.now();
  const copied: Outcome[] = [];
  const skipped = [...planner.skipped];
  const failed: Failure[] = [...planner.planFailures];
  const files = planner.ops.filter((o) => o.kind === 'upload' || o.kind === 'download' || o.kind === 'head');
  const progress = new TransferProgress(ctx, {
    totalBytes: files.reduce((n, o) => n + ('size' in o ? o.size : 0), 0),
    totalFiles: files.length,
  });
  const prompter = new Prompter(ctx.io);
  const confirmOverwrite = async (exists: boolean, label: string): Promise<boolean> => {
    if (!opts.interrogate || !exists) return true;
    const answer = await prompter.ask(`File ${label} exists.  Overwrite? (y/n): `);
    return answer?.trim() === 'y';
  };
  let aborted = false;
  for (const f of failed) {
    ctx.io.stderr.write(`${ctx.name}: ${f.source}: ${f.error}\n`);
    ctx.failed(f.code, `${f.source}: ${f.error}`);
  }
  if (failed.length > 0 && !opts.ignore) aborted = true;

  for (const op of aborted ? [] : planner.ops) {
    const source = 'srcLabel' in op ? op.srcLabel : 'src' in op ? op.src : '';
    const destination = 'dstLabel' in op ? op.dstLabel : op.dst;
    try {
      switch (op.kind) {
        case 'mkdir-remote':
          try {
            await client.mkdir(op.dst);
          } catch (e) {
            if (!(e instanceof VosError && e.kind === 'exists')) throw e;
            if (!(await client.isdir(op.dst)))
              throw new VosError('exists', `${op.dst} exists and is not a container`);
          }
          break;
        case 'mkdir-local':
          try {
            fs.mkdirSync(op.dst);
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
            if (!fs.statSync(op.dst).isDirectory())
              throw new CliError(`${op.dstLabel} exists and is not a directory`, EXIT.exists);
          }
          break;
        case 'upload': {
          if (!(await confirmOverwrite(opts.interrogate ? await client.exists(op.dst) : false, op.dst))) {
            skipped.push({ source, reason: 'not overwritten' });
            break;
          }
          ctx.log.info(`${op.srcLabel} -> ${op.dst}`);
          const file = progress.fileStarted(op.srcLabel);
          let r: TransferOutcome;
          try {
            r = await client.upload(op.src, op.dst, progress.shown ? { onProgress: file.moved } : {});
          } finally {
            // A failed file counts as finished for the bar: its bytes will not move any more.
            file.done(op.size);
          }
          copied.push({ source, destination, bytes: r.size, md5: r.md5, skipped: r.skipped });
          break;
        }
        case 'download': {
          if (!(await confirmOverwrite(fs.existsSync(op.dst), op.dstLabel))) {
            skipped.push({ source, reason: 'not overwritten' });
            break;
          }
          ctx.log.info(`${op.src} -> ${op.dstLabel}`);
          const temp = tempPathFor(op.dst, `${op.md5 ?? 'x'}.part`);
          const file = progress.fileStarted(op.src, () => fs.statSync(temp).size);
          let r: TransferOutcome;
          try {
            r = op.view
              ? await downloadView(client, op.src, op.dst, op.view)
              : await client.download(op.src, op.dst);
          } finally {
            file.done(op.size);
          }
          copied.push({ source, destination, bytes: r.size, md5: r.md5, skipped: r.skipped });
          break;
        }
        case 'head': {
          if (!(await confirmOverwrite(fs.existsSync(op.dst), op.dstLabel))) {
            skipped.push({ source, reason: 'not overwritten' });
            break;
          }
          ctx.log.info(`${op.src} (headers) -> ${op.dstLabel}`);
          const text = await remoteFitsHeaders(client, client.location(op.src), op.size, op.src);
          fs.writeFileSync(op.dst, text);
          copied.push({ source, destination, bytes: Buffer.byteLength(text), skipped: false });
          progress.fileStarted(op.src).done(op.size);
          break;
        }
        case 'remote-copy': {
          ctx.log.info(`${op.src} -> ${op.dst}`);
          const uri = await client.copyRemote(op.src, op.dst);
          copied.push({ source, destination: uri, bytes: 0, skipped: false });
          break;
        }
      }
    } catch (caught) {
      const e =
        op.kind === 'upload' || op.kind === 'remote-copy'
          ? await explainWriteFailure(client, op.dst, caught)
          : caught;
      const message = ctx.explain(e);
      failed.push({ source, destination, error: message, code: errorKind(e), exitCode: exitCodeFor(e) });
      ctx.io.stderr.write(`${ctx.name}: ${message}\n`);
      ctx.failed(errorKind(e), message);
      if (!opts.ignore) break;
    }
  }
  progress.stop();
  prompter.close();
  const seconds = (ctx.io.now() - started) / 1000;
  const bytes = copied.filter((c) => !c.skipped).reduce((n, c) => n + c.bytes, 0);
  const code =
    failed.length === 0 ? EXIT.ok : opts.ignore ? EXIT.failure : failed[failed.length - 1]!.exitCode;
  ctx.result({ copied, skipped, failed, bytes, seconds });
  return code;
}
