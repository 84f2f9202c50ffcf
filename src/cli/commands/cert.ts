/**
 * `vosync cert`: get a CADC proxy certificate like `cadc-get-cert` (GET the CDP proxy capability of
 * ivo://cadc.nrc.ca/cred with daysValid, authenticated by password or token) and save it with mode 0600;
 * `vosync cert --check` tells how long the current one stays valid and warns before it expires.
 */
import type { Command } from 'commander';
import { action, lazy, type CliIo } from '../common.js';

export function configureCert(cmd: Command, io: CliIo): Command {
  return cmd
    .description('get a CADC proxy certificate (like cadc-get-cert), or --check the current one')
    .option('--days-valid <days>', 'how long the new certificate is valid', '10')
    .option('--cert-filename <file>', 'where to save/check it (default: --cert, else ~/.ssl/cadcproxy.pem)')
    .option(
      '-u, --user <name>',
      'authenticate with this CADC username (password from $CADC_PASSWORD or asked)',
    )
    .option('--password-stdin', 'read the password from standard input')
    .option('--check', 'check the current certificate instead of getting one')
    .option('--warn-days <days>', 'with --check: warn (exit 1) when fewer days than this remain', '1')
    .option('-q, --quiet', 'no success message')
    .action(
      action(
        io,
        lazy(async () => (await import('./cert-run.js')).runCert),
      ),
    );
}
