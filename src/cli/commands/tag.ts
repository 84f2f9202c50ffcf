/**
 * `vosync tag` / `vtag`: show, set and remove node properties. `tag NODE` lists them, `tag NODE key` prints
 * one value, `tag NODE key=value…` sets, `key=` or `--remove key` deletes. Short names of the IVOA core
 * properties (description, title, type, …) are expanded to their `ivo://ivoa.net/vospace/core#` URIs; use
 * full URIs for your own properties.
 */
import type { Command } from 'commander';
import { action, lazy, type CliIo } from '../common.js';

export function configureTag(cmd: Command, io: CliIo): Command {
  return cmd
    .description('show, set or remove node properties (vtag): NODE [key | key=value… ] [--remove key…]')
    .argument('<node>', 'remote node')
    .argument('[properties...]', 'nothing = list all, key = show one, key=value = set, key= = remove')
    .option('--remove', 'remove the named properties')
    .option('-R, --recursive', 'set on everything below a directory too')
    .action(
      action(
        io,
        lazy(async () => (await import('./tag-run.js')).runTag),
      ),
    );
}
