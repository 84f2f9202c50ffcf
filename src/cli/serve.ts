import type { Command } from 'commander';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the embedded VOSpace server (Vault + ARC look-alike) for tests and demos')
    .action(() => {
      throw new Error('not implemented yet');
    });
}
