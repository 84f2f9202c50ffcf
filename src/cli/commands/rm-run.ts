/** `vosync rm` / `vrm` and `vosync rmdir` / `vrmdir` when they run (their options are in rm.ts). */
import { VosError } from '../../vospace/errors.js';
import { CliError, EXIT, eachTarget, requireRemote, type Ctx } from '../common.js';
import { expandRemote, isRemoteArg } from './targets.js';

async function expandAll(ctx: Ctx, nodes: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const n of nodes) out.push(...(await expandRemote(ctx.client(), n)));
  return out;
}

export async function runRm(
  ctx: Ctx,
  nodes: string[],
  opts: { recursive?: boolean; r?: boolean },
): Promise<number> {
  requireRemote(nodes, isRemoteArg);
  const recursive = Boolean(opts.recursive || opts.r);
  const client = ctx.client();
  const { code, results } = await eachTarget(ctx, await expandAll(ctx, nodes), async (n) => {
    const info = await client.getInfo(n);
    if (info.kind === 'container' && !recursive) {
      throw new CliError(`${n} is a directory (use rm -R, or rmdir when it is empty)`, EXIT.isDir);
    }
    await client.delete(n, { recursive });
    ctx.log.info(`removed ${n}`);
    return n;
  });
  ctx.result({ results });
  return code;
}

export async function runRmdir(ctx: Ctx, nodes: string[]): Promise<number> {
  requireRemote(nodes, isRemoteArg);
  const client = ctx.client();
  const { code, results } = await eachTarget(ctx, nodes, async (n) => {
    const info = await client.getInfo(n);
    if (info.kind !== 'container') throw new CliError(`${n} is not a directory`, EXIT.notDir);
    try {
      await client.delete(n);
    } catch (e) {
      if (e instanceof VosError && /not empty/i.test(e.message)) {
        throw new CliError(
          `${n}: directory not empty (use rm -R to remove it with its contents)`,
          EXIT.notEmpty,
        );
      }
      throw e;
    }
    ctx.log.info(`removed ${n}`);
    return n;
  });
  ctx.result({ results });
  return code;
}
