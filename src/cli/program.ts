import { Command } from 'commander';
import { processIo, type CliIo } from './common.js';
import { registerAliases } from './alias-install.js';
import { addGlobalOptions, registerTools } from './commands/index.js';
import { VERSION } from '../util/version.js';
import { registerConfig } from './config-cmd.js';
import { addExamples } from './help-examples.js';
import { registerDaemon } from './daemon-cmd.js';
import { registerOnce } from './once-cmd.js';
import { registerServe } from './serve.js';
import { registerStatus } from './status-cmd.js';
import { registerResolve } from './resolve-cmd.js';
import { registerTrash } from './trash-cmd.js';
import { configure, runProgram } from './usage.js';

export { USAGE_EXIT } from './usage.js';

export function buildProgram(io: CliIo = processIo(), opts: { inProcess?: boolean } = {}): Command {
  const program = new Command();
  program
    .name('vosync')
    .description('Sync agent, command-line tools and embedded server for CANFAR Vault (vos:) and ARC (arc:)')
    .version(VERSION);
  addGlobalOptions(program);
  // Settings are copied to subcommands when they are created, so configure before adding them.
  configure(program, io, Boolean(opts.inProcess));
  registerServe(program, io);
  registerConfig(program, io);
  registerTools(program, io);
  registerDaemon(program, io);
  registerOnce(program, io);
  registerStatus(program, { io });
  registerTrash(program, io);
  registerResolve(program, io);
  registerAliases(program, io);
  addExamples(program);
  return program;
}

/** Runs `vosync ARGS…` in-process and returns the exit code. */
export function runCli(args: string[], io: CliIo): Promise<number> {
  return runProgram((recording) => buildProgram(recording, { inProcess: true }), args, io);
}
