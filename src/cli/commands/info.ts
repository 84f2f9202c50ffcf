/** `vosync info`: everything the service says about a node, as `key: value` lines or JSON. */
import type { Command } from 'commander';
import { action, lazy, type CliIo } from '../common.js';

export function configureInfo(cmd: Command, io: CliIo): Command {
  return cmd
    .description('show a node’s metadata: type, size, MD5, dates, owner, permissions, all properties')
    .argument('<nodes...>', 'remote nodes (wildcards allowed in the last part)')
    .action(
      action(
        io,
        lazy(async () => (await import('./info-run.js')).runInfo),
      ),
    );
}
