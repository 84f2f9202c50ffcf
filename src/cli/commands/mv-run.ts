/** `vosync mv` / `vmv` when it runs (its options are in mv.ts). */
import { CliError, EXIT, eachTarget, requireRemote, type Ctx } from '../common.js';
import { isRemoteArg } from './targets.js';

export async function runMv(ctx: Ctx, paths: string[]): Promise<number> {
  if (paths.length < 2) throw new CliError('mv needs a SOURCE and a DEST', EXIT.invalid);
  requireRemote(paths, isRemoteArg, '; mv works on remote nodes (use cp, then rm, across sides)');
  const dest = paths[paths.length - 1]!;
  const sources = paths.slice(0, -1);
  const client = ctx.client();
  if (sources.length > 1 && !(await client.isdir(dest))) {
    throw new CliError(`cannot move ${sources.length} nodes into ${dest}: not a directory`, EXIT.notDir);
  }
  const { code, results } = await eachTarget(ctx, sources, async (src) => {
    const uri = await client.move(src, dest);
    ctx.log.info(`${src} -> ${uri}`);
    return { destination: uri };
  });
  ctx.result({ results });
  return code;
}
