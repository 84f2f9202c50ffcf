/**
 * `vosync rm` / `vrm` and `vosync rmdir` / `vrmdir`. Unlike vrm, which silently ignores a directory given
 * without -R, rm refuses it with an error (exit 21), so a script notices that nothing was deleted.
 */
import type { Command } from 'commander';
import { VosError } from '../../vospace/errors.js';
import { CliError, EXIT, action, eachTarget, requireRemote, type CliIo, type Ctx } from '../common.js';
import { expandRemote, isRemoteArg } from './targets.js';

async function expandAll(ctx: Ctx, nodes: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const n of nodes) out.push(...(await expandRemote(ctx.client(), n)));
  return out;
}

export function configureRm(cmd: Command, io: CliIo): Command {
  return cmd
    .description('remove remote files and links; with -R whole directories (vrm)')
    .argument('<nodes...>', 'remote nodes to remove (wildcards allowed in the last part)')
    .option('-R, --recursive', 'remove directories and everything below them')
    .option('-r', 'same as -R')
    .action(
      action(io, async (ctx: Ctx, nodes: string[], opts: { recursive?: boolean; r?: boolean }) => {
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
      }),
    );
}

export function configureRmdir(cmd: Command, io: CliIo): Command {
  return cmd
    .description('remove empty remote directories (vrmdir)')
    .argument('<nodes...>', 'remote directories to remove')
    .action(
      action(io, async (ctx: Ctx, nodes: string[]) => {
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
      }),
    );
}
