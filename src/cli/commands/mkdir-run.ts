/** `vosync mkdir` / `vmkdir` when it runs (its options are in mkdir.ts). */
import { eachTarget, requireRemote, type Ctx } from '../common.js';
import { isRemoteArg } from './targets.js';

export async function runMkdir(ctx: Ctx, nodes: string[], opts: { parents?: boolean }): Promise<number> {
  requireRemote(nodes, isRemoteArg);
  const client = ctx.client();
  const { code, results } = await eachTarget(ctx, nodes, async (n) => {
    await client.mkdir(n, { parents: Boolean(opts.parents) });
    ctx.log.info(`created ${n}`);
    return n;
  });
  ctx.result({ results });
  return code;
}
