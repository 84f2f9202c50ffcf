/**
 * `vosync login` / `vosync logout`: exchange a CADC username and password for a token at the login
 * service (registry id ivo://cadc.nrc.ca/gms) and keep it in ~/.config/vosync/token (mode 0600) for later
 * commands. The password comes from $CADC_PASSWORD, --password-stdin or a prompt; it and the token are never
 * printed or logged.
 */
import type { Command } from 'commander';
import { action, lazy, type CliIo } from '../common.js';

export function configureLogin(cmd: Command, io: CliIo): Command {
  return cmd
    .description('log in with a CADC username and password; later commands use the saved token')
    .option('-u, --user <name>', 'CADC username (default $CADC_USERNAME, else asked)')
    .option('--password-stdin', 'read the password from standard input (default $CADC_PASSWORD, else asked)')
    .action(
      action(
        io,
        lazy(async () => (await import('./login-run.js')).runLogin),
      ),
    );
}

export function configureLogout(cmd: Command, io: CliIo): Command {
  return cmd.description('forget the token saved by login').action(
    action(
      io,
      lazy(async () => (await import('./login-run.js')).runLogout),
    ),
  );
}
