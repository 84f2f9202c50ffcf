/** `vosync chmod` / `vchmod` when it runs: the mode grammar and the change (options and grammar in chmod.ts). */
import { permissionProperties, type PermissionChange } from '../../vospace/node.js';
import { CliError, EXIT, requireRemote, type Ctx } from '../common.js';
import { setPropertiesRecursive } from './recursive-props.js';
import { isRemoteArg, nodeJson } from './targets.js';

const MODE = /^(og|go|o|g)([+\-=])(rw|wr|r|w)$/;

/** Parses a vchmod mode and its group arguments; throws CliError (exit 22) with the reason. */
export function parseChmod(mode: string, groupArgs: string[]): PermissionChange {
  const m = MODE.exec(mode);
  if (!m) {
    throw new CliError(
      `${mode}: invalid mode (expected e.g. o+r, g+rw, og-r: (o|g|og)(+|-|=)(r|w|rw))`,
      EXIT.invalid,
    );
  }
  const who = m[1]!;
  const op = m[2]!;
  const perms = m[3]!;
  const change: PermissionChange = {};
  if (who.includes('o')) {
    if (who === 'o' && perms === 'w')
      throw new CliError(`${mode}: public write access is not possible`, EXIT.invalid);
    change.public = op !== '-';
  }
  if (!who.includes('g')) {
    if (groupArgs.length > 0) throw new CliError(`${mode}: group names are only used with g`, EXIT.invalid);
    return change;
  }
  if (op === '-') {
    if (groupArgs.length > 0)
      throw new CliError(`${mode}: removing group access takes no group names`, EXIT.invalid);
    if (perms.includes('r')) change.readGroups = [];
    if (perms.includes('w')) change.writeGroups = [];
    return change;
  }
  if (groupArgs.length !== perms.length) {
    throw new CliError(
      `${mode}: expected ${perms.length} group argument${perms.length > 1 ? 's' : ''} (one per permission letter), got ${groupArgs.length}`,
      EXIT.invalid,
    );
  }
  const groupsOf = (arg: string) => arg.split(/\s+/).filter((g) => g !== '');
  for (let i = 0; i < perms.length; i++) {
    const groups = groupsOf(groupArgs[i]!);
    if (groups.length === 0) throw new CliError(`${mode}: empty group argument`, EXIT.invalid);
    if (perms[i] === 'r') change.readGroups = groups;
    else change.writeGroups = groups;
  }
  return change;
}

export async function runChmod(
  ctx: Ctx,
  mode: string,
  node: string,
  groups: string[],
  opts: { recursive?: boolean },
): Promise<void> {
  requireRemote([node], isRemoteArg);
  const props = permissionProperties(parseChmod(mode, groups));
  const client = ctx.client();
  if (opts.recursive) {
    await setPropertiesRecursive(ctx, node, props);
    if (ctx.json) ctx.result({ node: nodeJson(await client.getInfo(node), node) });
    return;
  }
  const info = await client.setProperties(node, props);
  ctx.result({ node: nodeJson(info, node) });
}
