import { Command, CommanderError } from 'commander';
import { processIo, type CliIo } from './common.js';
import { addGlobalOptions, aliasProgram, registerTools } from './commands/index.js';
import { VERSION } from '../util/version.js';
import { registerConfig } from './config-cmd.js';
import { registerDaemon } from './daemon-cmd.js';
import { registerServe } from './serve.js';
import { registerStatus } from './status-cmd.js';
import { registerResolve } from './resolve-cmd.js';
import { registerTrash } from './trash-cmd.js';

/** Exit status for command-line usage errors (unknown option, missing argument): EINVAL. */
export const USAGE_EXIT = 22;

/** Usage errors exit 22; help and --version exit 0. */
function exitOverride(io: CliIo, rethrow: boolean) {
  return (err: CommanderError): never => {
    const code = err.exitCode === 0 ? 0 : USAGE_EXIT;
    if (rethrow) throw new CommanderError(code, err.code, err.message);
    io.setExitCode(code);
    process.exit(code);
  };
}

function configure(program: Command, io: CliIo, rethrow: boolean): Command {
  program.exitOverride(exitOverride(io, rethrow));
  program.configureOutput({
    writeOut: (s) => io.stdout.write(s),
    writeErr: (s) => io.stderr.write(s),
  });
  return program;
}

export function buildProgram(io: CliIo = processIo(), opts: { inProcess?: boolean } = {}): Command {
  const program = new Command();
  program
    .name('vosync')
    .description('Sync agent, command-line tools and embedded server for CANFAR Vault (vos:) and ARC (arc:)')
    .version(VERSION);
  addGlobalOptions(program);
  // Settings are copied to subcommands when they are created, so configure before adding them.
  configure(program, io, Boolean(opts.inProcess));
  registerServe(program);
  registerConfig(program, {
    out: (t) => io.stdout.write(t),
    err: (t) => io.stderr.write(t),
    setExitCode: (c) => io.setExitCode(c),
  });
  registerTools(program, io);
  registerDaemon(program);
  registerStatus(program, { io });
  registerTrash(program);
  registerResolve(program);
  return program;
}

/** Runs `vosync ARGS…` (or an alias such as `vls ARGS…`) in-process and returns the exit code. */
export async function runCli(args: string[], io: CliIo, alias?: string): Promise<number> {
  let code = 0;
  const recording: CliIo = {
    ...io,
    setExitCode(c: number) {
      code = c;
      io.setExitCode(c);
    },
  };
  const program = alias
    ? configure(aliasProgram(alias, recording), recording, true)
    : buildProgram(recording, { inProcess: true });
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    throw e;
  }
  return code;
}
