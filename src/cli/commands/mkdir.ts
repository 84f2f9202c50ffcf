/** `vosync mkdir` / `vmkdir`: create containers; -p creates missing parents and accepts existing ones. */
import type { Command } from 'commander';
import { action, lazy, type CliIo } from '../common.js';

export function configureMkdir(cmd: Command, io: CliIo): Command {
  return cmd
    .description('create remote directories (container nodes) (vmkdir)')
    .argument('<nodes...>', 'remote directories to create, e.g. vos:alice/data')
    .option('-p, --parents', 'create missing parent directories; an existing directory is not an error')
    .action(
      action(
        io,
        lazy(async () => (await import('./mkdir-run.js')).runMkdir),
      ),
    );
}
