/**
 * `vosync check LOCAL_DIR REMOTE_DIR`: compares a local folder and a remote folder by name, size and MD5
 * without copying anything (rclone's `check`). Exit 0 when they hold the same files, 1 when they differ.
 */
import type { Command } from 'commander';
import { action, lazy, type CliIo } from '../common.js';

export function configureCheck(cmd: Command, io: CliIo): Command {
  return cmd
    .description(
      'compare a local folder with a remote one by name, size and MD5; copy nothing (exit 1: differ)',
    )
    .argument('<local>', 'local folder')
    .argument('<remote>', 'remote folder (vos:… or arc:…)')
    .action(
      action(
        io,
        lazy(async () => (await import('./check-run.js')).runCheck),
      ),
    );
}
