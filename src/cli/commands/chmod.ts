/**
 * `vosync chmod` / `vchmod`: vchmod's grammar `(o|g|og|go)(+|-|=)(r|w|rw|wr)` then the node, then one
 * group argument per permission letter for g+… (the argument in the position of `r` becomes the read groups,
 * the one in the position of `w` the write groups; several groups in one argument are space separated).
 * `o+r` makes a node public, `o-r` private; `g-r`/`g-w` remove all read/write groups.
 */
import type { Command } from 'commander';
import { action, lazy, type CliIo } from '../common.js';

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
        lazy(async () => (await import('./chmod-run.js')).runChmod),
      ),
    );
}
