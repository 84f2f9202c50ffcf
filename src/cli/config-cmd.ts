/** `vosync config check | path | init`: validate, locate and create the daemon's config file. */
import type { Command } from 'commander';
import { action, lazy, type CliIo } from './common.js';

export function registerConfig(program: Command, io: CliIo): void {
  const config = program
    .command('config')
    .description('check, locate or create the sync daemon configuration (YAML)');

  config
    .command('check')
    .description('validate the configuration and list every problem with its line and what is expected')
    .option('--config <file>', 'config file (default: $VOSYNC_CONFIG, else the platform location)')
    .action(
      action(
        io,
        lazy(async () => (await import('./config-run.js')).runConfigCheck),
      ),
    );

  config
    .command('path')
    .description('print where the configuration is read from')
    .action(
      action(
        io,
        lazy(async () => (await import('./config-run.js')).runConfigPath),
      ),
    );

  config
    .command('init')
    .description('write the documented example configuration, unless the file already exists')
    .option('--config <file>', 'where to write it (default: the platform location)')
    .action(
      action(
        io,
        lazy(async () => (await import('./config-run.js')).runConfigInit),
      ),
    );
}
