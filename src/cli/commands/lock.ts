/** `vosync lock` / `vlock`: lock or unlock a node; without --lock/--unlock report the state (exit 0 = locked). */
import type { Command } from 'commander';
import { CliError, EXIT, action, requireRemote, type CliIo, type Ctx } from '../common.js';
import { isRemoteArg } from './targets.js';

export function configureLock(cmd: Command, io: CliIo): Command {
  return cmd
    .description(
      'lock or unlock a node against changes; with neither option, tell whether it is locked (vlock)',
    )
    .argument('<node>', 'remote node')
    .option('--lock', 'lock the node')
    .option('--unlock', 'unlock the node')
    .action(
      action(io, async (ctx: Ctx, node: string, opts: { lock?: boolean; unlock?: boolean }) => {
        requireRemote([node], isRemoteArg);
        if (opts.lock && opts.unlock)
          throw new CliError('--lock and --unlock exclude each other', EXIT.invalid);
        const client = ctx.client();
        if (!opts.lock && !opts.unlock) {
          const info = await client.getInfo(node);
          ctx.result({ node, locked: info.locked });
          ctx.out(`${node} is ${info.locked ? 'locked' : 'not locked'}\n`);
          return info.locked ? EXIT.ok : EXIT.failure;
        }
        const info = await client.lock(node, Boolean(opts.lock));
        if (opts.lock && !info.locked) {
          throw new CliError(
            `${node}: the service does not support locks (ARC ignores them)`,
            EXIT.unsupported,
          );
        }
        ctx.log.info(`${node} ${info.locked ? 'locked' : 'unlocked'}`);
        ctx.result({ node, locked: info.locked });
        return EXIT.ok;
      }),
    );
}
