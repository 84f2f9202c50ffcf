/** `vosync ln` / `vln` when it runs (its options are in ln.ts). */
import { CliError, EXIT, requireRemote, type Ctx } from '../common.js';
import { isRemoteArg, nodeJson } from './targets.js';

export async function runLn(ctx: Ctx, target: string, link: string): Promise<void> {
  requireRemote([link], isRemoteArg);
  if (!isRemoteArg(target) && !/^(https?|file|vos):\/\//i.test(target)) {
    throw new CliError(`${target}: a link target must be a remote node or a URL`, EXIT.invalid);
  }
  const info = await ctx.client().link(target, link);
  ctx.log.info(`${link} -> ${info.target ?? target}`);
  ctx.result({ node: nodeJson(info, link) });
}
