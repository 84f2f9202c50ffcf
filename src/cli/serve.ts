/** `vosync serve`: the embedded VOSpace server, on the command line. */
import type { Command } from 'commander';
import { action, collect, lazy, type CliIo } from './common.js';

export function registerServe(program: Command, io: CliIo): void {
  program
    .command('serve')
    .description('run the embedded VOSpace server (Vault + ARC look-alike) for tests, demos and benchmarks')
    .requiredOption('--data <dir>', 'data directory (metadata + bytes); created if missing')
    .option('--host <addr>', 'address to bind', '127.0.0.1')
    .option('--port <n>', 'port (0 = ephemeral)', '0')
    .option('--user <name:token[:password]>', 'a user and its bearer token (repeatable)', collect, [])
    .option('--users-file <file>', 'JSON file {"users":[{"name","token","password"?,"groups"?}]}')
    .option('--group <name:users>', 'group membership, e.g. survey:alice,bob (repeatable)', collect, [])
    .option('--admin <name>', 'user owning the service roots (allocations, quotas, fault API)')
    .option('--faults <spec>', 'fault injection, e.g. rate=0.2,kinds=error+unavailable+reset,seed=7')
    .option('--tls', "serve HTTPS with a certificate signed by the server's own CA (DATA/ca.pem)")
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM)')
    .option('--tls-key <file>', 'private key for --tls-cert (PEM)')
    .option('-v, --verbose', 'log every request to stderr')
    .action(
      action(
        io,
        lazy(async () => (await import('./serve-run.js')).runServe),
      ),
    );
}
