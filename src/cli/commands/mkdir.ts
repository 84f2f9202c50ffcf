/** `vosync mkdir` / `vmkdir`: create containers; -p creates missing parents and accepts existing ones. */
import type { Command } from 'commander';
import { action, eachTarget, requireRemote, type CliIo, type Ctx } from '../common.js';
import { isRemoteArg } from './targets.js';

export function configureMkdir(cmd: Command, io: CliIo): Command {
  return cmd
    .description('create remote directories (container nodes) (vmkdir)')
    .argument('<nodes...>', 'remote directories to create, e.g. vos:alice/data')
    .option('-p, --parents', 'create missing parent directories; an existing directory is not an error')
    .action(
      action(io, async (ctx: Ctx, nodes: string[], opts: { parents?: boolean }) => {
        requireRemote(nodes, isRemoteArg);
        const client = ctx.client();
        const { code, results } = await eachTarget(ctx, nodes, async (n) => {
          await client.mkdir(n, { parents: Boolean(opts.parents) });
          ctx.log.info(`created ${n}`);
          return n;
        });
        ctx.result({ results });
        return code;
      }),
    );
}
