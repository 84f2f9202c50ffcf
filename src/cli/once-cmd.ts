/**
 * `vosync once`: one full sync of every pair, then exit with a code for cron jobs and scripts; `--dry-run`
 * prints the plan instead, and `--confirm-deletes` lets the deletions the last pause held back go on.
 */
import type { Command } from 'commander';
import { action, lazy, type CliIo } from './common.js';

export function registerOnce(program: Command, io: CliIo): void {
  program
    .command('once')
    .description(
      'run one full sync of every pair and exit: 0 done, 1 conflicts/not synced/paused, 2 failures, 3 cannot run',
    )
    .option('--config <file>', 'config file')
    .option(
      '--confirm-deletes',
      'carry out the deletions the last pause held back (those it listed, no others)',
    )
    .option(
      '--dry-run',
      'print what each pair would do, and whether a safety rule would pause it; do nothing',
    )
    .option('-v, --verbose', 'debug logging')
    .action(
      action(
        io,
        lazy(async () => (await import('./once-run.js')).runOnce),
      ),
    );
}
