/** `vosync cat` / `vcat` when it runs (its options are in cat.ts). */
import { once } from 'node:events';
import { CliError, EXIT, describeError, errorKind, exitCodeFor, requireRemote, type Ctx } from '../common.js';
import { openView } from '../../vospace/views.js';
import { remoteSource } from './cutout.js';
import { remoteFitsHeaders } from './fits-head.js';
import { isRemoteArg } from './targets.js';

interface JsonContent {
  node: string;
  chunks: Buffer[];
}

/** A file's bytes in the --json document: as text when they are UTF-8, else base64. */
function jsonContent(f: JsonContent): { node: string; size: number; text?: string; base64?: string } {
  const bytes = Buffer.concat(f.chunks);
  const text = bytes.toString('utf8');
  const isText = Buffer.from(text, 'utf8').equals(bytes);
  return { node: f.node, size: bytes.length, ...(isText ? { text } : { base64: bytes.toString('base64') }) };
}

export async function runCat(ctx: Ctx, nodes: string[], opts: { head?: boolean; quiet?: boolean }) {
  requireRemote(nodes, isRemoteArg);
  const client = ctx.client();
  const out = ctx.io.stdout;
  let code: number = EXIT.ok;
  // With --json the contents go into the document (UTF-8 text, else base64), not straight to stdout.
  const files: JsonContent[] = [];
  const write = async (chunk: Buffer | string): Promise<void> => {
    if (ctx.json) files[files.length - 1]!.chunks.push(Buffer.from(chunk));
    else if (!out.write(chunk)) await once(out, 'drain');
  };
  for (const arg of nodes) {
    if (ctx.json) files.push({ node: arg, chunks: [] });
    try {
      const source = remoteSource(arg, opts.head === true);
      const view = source.view;
      // Names the server cannot hold are mapped as cp maps them (`data[old]` is `data~5Bold~5D`).
      const n = ctx.remoteArg(source.arg);
      let info = await client.getInfo(n);
      let from = n;
      for (let hop = 0; info.kind === 'link' && hop < 8; hop++) {
        if (!isRemoteArg(info.target ?? ''))
          throw new CliError(`${n}: link to ${info.target}`, EXIT.unsupported);
        from = info.target!;
        info = await client.getInfo(from);
      }
      if (info.kind === 'container') throw new CliError(`${n} is a directory`, EXIT.isDir);
      // ARC has no SODA: its headers are read here.
      if (view?.kind === 'headers' && !(await client.endpoints(client.location(from))).vaultLike) {
        await write(await remoteFitsHeaders(client, client.location(from), info.size, n));
        continue;
      }
      const stream = view ? await openView(client, from, view) : await client.openRead(from);
      for await (const chunk of stream) await write(chunk as Buffer);
    } catch (e) {
      code = exitCodeFor(e);
      if (!opts.quiet) ctx.io.stderr.write(`${ctx.name}: ${describeError(e)}\n`);
      ctx.failed(errorKind(e), describeError(e));
      files.pop();
    }
  }
  ctx.result({ files: files.map(jsonContent) });
  return code;
}
