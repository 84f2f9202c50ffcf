/** `vosync ln` / `vln`: create a link node pointing at another node or an external URL. */
import type { Command } from 'commander';
import { action, lazy, type CliIo } from '../common.js';

export function configureLn(cmd: Command, io: CliIo): Command {
  return cmd
    .description('create a link node LINK that points at TARGET (vln)')
    .argument('<target>', 'what the link points at: a vos:/arc: node or an http(s):// URL')
    .argument('<link>', 'the link node to create')
    .action(
      action(
        io,
        lazy(async () => (await import('./ln-run.js')).runLn),
      ),
    );
}
