/**
 * `vosync chmod` / `vchmod`: vchmod's grammar `(o|g|og|go)(+|-|=)(r|w|rw|wr)` then the node, then one
 * group argument per permission letter for g+… (the argument in the position of `r` becomes the read groups,
 * the one in the position of `w` the write groups; several groups in one argument are space separated).
 * `o+r` makes a node public, `o-r` private; `g-r`/`g-w` remove all read/write groups.
 */
import type { Command } from 'commander';
import { permissionProperties, type PermissionChange } from '../../vospace/node.js';
import { CliError, EXIT, action, requireRemote, type CliIo, type Ctx } from '../common.js';
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

export function configureChmod(cmd: Command, io: CliIo): Command {
  return cmd
    .description('set public and group permissions (vchmod): MODE NODE [GROUPS…]')
    .argument(
      '<mode>',
      'o+r (public), o-r (private), g+r GROUP, g+w GROUP, g+rw RGROUPS WGROUPS, g-rw, og+r …',
    )
    .argument('<node>', 'remote node')
    .argument('[groups...]', 'group names, one argument per permission letter')
    .option('-R, --recursive', 'apply to everything below a directory too')
    .action(
      action(
        io,
        async (ctx: Ctx, mode: string, node: string, groups: string[], opts: { recursive?: boolean }) => {
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
        },
      ),
    );
}
