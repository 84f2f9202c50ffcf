/** `vosync ln` / `vln`: create a link node pointing at another node or an external URL. */
import type { Command } from 'commander';
import { CliError, EXIT, action, requireRemote, type CliIo, type Ctx } from '../common.js';
import { isRemoteArg, nodeJson } from './targets.js';

export function configureLn(cmd: Command, io: CliIo): Command {
  return cmd
    .description('create a link node LINK that points at TARGET (vln)')
    .argument('<target>', 'what the link points at: a vos:/arc: node or an http(s):// URL')
    .argument('<link>', 'the link node to create')
    .action(
      action(io, async (ctx: Ctx, target: string, link: string) => {
        requireRemote([link], isRemoteArg);
        if (!isRemoteArg(target) && !/^(https?|file|vos):\/\//i.test(target)) {
          throw new CliError(`${target}: a link target must be a remote node or a URL`, EXIT.invalid);
        }
        const info = await ctx.client().link(target, link);
        ctx.log.info(`${link} -> ${info.target ?? target}`);
        ctx.result({ node: nodeJson(info, link) });
      }),
    );
}
