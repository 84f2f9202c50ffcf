/** `vosync lock` / `vlock` when it runs (its options are in lock.ts). */
import { CliError, EXIT, requireRemote, type Ctx } from '../common.js';
import { isRemoteArg } from './targets.js';

export async function runLock(
  ctx: Ctx,
  node: string,
  opts: { lock?: boolean; unlock?: boolean },
): Promise<number> {
  requireRemote([node], isRemoteArg);
  if (opts.lock && opts.unlock) throw new CliError('--lock and --unlock exclude each other', EXIT.invalid);
  const client = ctx.client();
  if (!opts.lock && !opts.unlock) {
    const info = await client.getInfo(node);
    ctx.result({ node, locked: info.locked });
    ctx.out(`${node} is ${info.locked ? 'locked' : 'not locked'}\n`);
    return info.locked ? EXIT.ok : EXIT.failure;
  }
  const info = await client.lock(node, Boolean(opts.lock));
  if (opts.lock && !info.locked) {
    throw new CliError(`${node}: the service does not support locks (ARC ignores them)`, EXIT.unsupported);
  }
  ctx.log.info(`${node} ${info.locked ? 'locked' : 'unlocked'}`);
  ctx.result({ node, locked: info.locked });
  return EXIT.ok;
}
