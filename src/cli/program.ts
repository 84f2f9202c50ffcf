import { Command } from 'commander';
import { registerServe } from './serve.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('vosync')
    .description('Sync agent, command-line tools and embedded server for CANFAR Vault (vos:) and ARC (arc:)')
    .version('0.1.0');
  registerServe(program);
  return program;
}
