/** `vosync info` when it runs (its options are in info.ts). */
import { locationUri } from '../../vospace/location.js';
import { permissionString, type NodeInfo } from '../../vospace/node.js';
import { eachTarget, requireRemote, type Ctx } from '../common.js';
import { expandRemote, isRemoteArg, nodeJson } from './targets.js';

function describe(info: NodeInfo, location: string, uri: string): string {
  const rows: [string, string][] = [
    ['location', location],
    ['uri', uri],
    ['type', info.kind],
    ['size', String(info.size)],
    ['md5', info.md5 ?? ''],
    ['modified', info.date === undefined ? '' : new Date(info.date).toISOString()],
    ['creator', info.creator ?? ''],
    ['permissions', permissionString(info)],
    ['public', String(info.isPublic)],
    ['read groups', info.readGroups.join(' ')],
    ['write groups', info.writeGroups.join(' ')],
    ['locked', String(info.locked)],
  ];
  if (info.kind === 'link') rows.push(['target', info.target ?? '']);
  let out = rows.map(([k, v]) => `${k}: ${v}`).join('\n') + '\nproperties:\n';
  for (const [k, v] of Object.entries(info.properties).sort()) out += `  ${k} = ${v}\n`;
  return out;
}

export async function runInfo(ctx: Ctx, nodes: string[]): Promise<number> {
  requireRemote(nodes, isRemoteArg);
  const client = ctx.client();
  const targets: string[] = [];
  for (const n of nodes) targets.push(...(await expandRemote(client, n)));
  let first = true;
  const { code, results } = await eachTarget(ctx, targets, async (n) => {
    const info = await client.getInfo(n);
    const uri = locationUri(client.location(n));
    if (!ctx.json) {
      ctx.out((first ? '' : '\n') + describe(info, n, uri));
      first = false;
    }
    return { ...nodeJson(info, n), uri, properties: info.properties };
  });
  ctx.result({ results });
  return code;
}
