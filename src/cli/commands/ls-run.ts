/** `vosync ls` / `vls` when it runs (its options are in ls.ts): the listing, its order and layout. */
import type { Client } from '../../vospace/client.js';
import type { NodeInfo } from '../../vospace/node.js';
import { CliError, EXIT, type Ctx } from '../common.js';
import { expandRemote, isRemoteArg, joinRemote, nodeJson, type NodeJson } from './targets.js';
import { vlsLine, type VlsColumns } from './vls-format.js';

interface LsOptions {
  long?: boolean;
  group?: boolean;
  human?: boolean;
  Size?: boolean;
  time?: boolean;
  reverse?: boolean;
  recursive?: boolean;
}

type SortKey = 'name' | 'size' | 'date';

interface Order {
  key: SortKey;
  /** undefined = keep the server's order (children without -S/-t/-r). */
  descending: boolean | undefined;
}

/** vls's rule: -t/-S sort descending, -r flips; with neither, names ascending (children: server order). */
export function sortOrder(o: LsOptions): Order {
  const key: SortKey = o.time ? 'date' : o.Size ? 'size' : 'name';
  if (key === 'name' && !o.reverse) return { key, descending: undefined };
  return { key, descending: key === 'name' ? true : !o.reverse };
}

function sorted<T extends { info: NodeInfo; label: string }>(
  items: T[],
  order: Order,
  topLevel: boolean,
): T[] {
  if (order.descending === undefined && !topLevel) return items;
  const value = (x: T): number | string =>
    order.key === 'size' ? x.info.size : order.key === 'date' ? (x.info.date ?? 0) : x.label;
  const dir = order.descending ? -1 : 1;
  return [...items].sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    return va < vb ? -dir : va > vb ? dir : 0;
  });
}

const MAX_LINK_HOPS = 8;

/** Follows links to remote targets (vls does so unless -l, or when the argument ends with '/'). */
async function resolveLinks(
  client: Client,
  info: NodeInfo,
  arg: string,
): Promise<{ info: NodeInfo; arg: string }> {
  let cur = { info, arg };
  for (let hop = 0; hop < MAX_LINK_HOPS && cur.info.kind === 'link'; hop++) {
    const t = cur.info.target ?? '';
    if (!isRemoteArg(t)) break;
    cur = { info: await client.getInfo(t), arg: t };
  }
  return cur;
}

export async function runLs(ctx: Ctx, nodes: string[], opts: LsOptions): Promise<number> {
  for (const n of nodes) {
    if (!isRemoteArg(n))
      throw new CliError(`${n}: not a remote node (expected vos:… or arc:…)`, EXIT.invalid);
  }
  const client = ctx.client();
  const cols: VlsColumns = {
    long: Boolean(opts.long),
    group: Boolean(opts.group),
    human: Boolean(opts.human),
  };
  const order = sortOrder(opts);
  const now = ctx.io.now();
  const files: { info: NodeInfo; label: string; arg: string }[] = [];
  const dirs: { info: NodeInfo; label: string; arg: string }[] = [];
  for (const n of nodes) {
    for (const arg of await expandRemote(client, ctx.remoteArg(n))) {
      let info = await client.getInfo(arg);
      let target = arg;
      if (!opts.long || arg.endsWith('/')) ({ info, arg: target } = await resolveLinks(client, info, arg));
      const item = { info, label: info.name, arg: target };
      (info.kind === 'container' ? dirs : files).push(item);
    }
  }
  const json: NodeJson[] = [];
  // Names as the user's files are called: mapped back from the ~HH escapes (not with --raw-names).
  const line = (info: NodeInfo) =>
    ctx.out(vlsLine({ ...info, name: ctx.names.decode(info.name) }, cols, now) + '\n');
  for (const f of sorted(files, order, true)) {
    if (ctx.json) json.push(nodeJson(f.info, f.arg));
    else line(f.info);
  }
  const many = files.length + dirs.length > 1;

  const listContainer = async (
    arg: string,
    info: NodeInfo,
    header: string | undefined,
  ): Promise<NodeJson> => {
    const entry = nodeJson(info, arg);
    if (header !== undefined && !ctx.json) {
      ctx.out(`\n${header}:\n`);
      if (cols.long) ctx.out(`total: ${Math.trunc(info.size)}\n`);
    }
    const children = sorted(
      (await client.list(arg)).map((c) => ({
        info: c,
        label: c.name,
        arg: joinRemote(arg.replace(/\/+$/, ''), c.name),
      })),
      order,
      false,
    );
    entry.children = [];
    for (const c of children) {
      if (ctx.json) entry.children.push(nodeJson(c.info, c.arg));
      else line(c.info);
    }
    if (opts.recursive) {
      for (const c of children) {
        if (c.info.kind !== 'container') continue;
        const sub = await listContainer(c.arg, c.info, c.arg);
        const slot = entry.children.findIndex((x) => x.location === c.arg);
        if (slot >= 0) entry.children[slot] = sub;
      }
    }
    return entry;
  };

  for (const d of sorted(dirs, order, true)) {
    const header =
      many || opts.recursive ? (opts.recursive ? d.arg.replace(/\/+$/, '') : d.info.name) : undefined;
    json.push(await listContainer(d.arg, d.info, header));
  }
  ctx.result({ items: json });
  return EXIT.ok;
}
