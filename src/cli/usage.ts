/**
 * What every entry point shares, light enough for the vostools aliases to load nothing else: usage errors exit
 * 22 (help and --version 0) and print the --json document when asked, output through the run's streams, and a
 * program run in-process for its code.
 */
import { CommanderError, type Command } from 'commander';
import type { CliIo } from './common.js';
import { commandNamedBy, envelope, jsonRequested, writeEnvelope } from './envelope.js';

/** Exit status for command-line usage errors (unknown option, missing argument): EINVAL. */
export const USAGE_EXIT = 22;

/** Usage errors exit 22 (with the --json document when the line asks for one); help and --version exit 0. */
function exitOverride(program: Command, io: CliIo, rethrow: boolean) {
  return (err: CommanderError): never => {
    const code = err.exitCode === 0 ? 0 : USAGE_EXIT;
    // The line as given (commander keeps it, though its typings do not say so).
    const args = (program as unknown as { rawArgs: string[] }).rawArgs;
    if (code !== 0 && jsonRequested(args)) {
      const error = { code: 'usage', message: err.message.replace(/^error: /, '') };
      writeEnvelope(io.stdout, envelope(commandNamedBy(program, args), code, { error }));
    }
    if (rethrow) throw new CommanderError(code, err.code, err.message);
    io.setExitCode(code);
    process.exit(code);
  };
}

export function configure(program: Command, io: CliIo, rethrow: boolean): Command {
  program.exitOverride(exitOverride(program, io, rethrow));
  program.configureOutput({
    writeOut: (s) => io.stdout.write(s),
    writeErr: (s) => io.stderr.write(s),
  });
  return program;
}

/** Runs a program built for `io` in-process and returns the exit code. */
export async function runProgram(build: (io: CliIo) => Command, args: string[], io: CliIo): Promise<number> {
  let code = 0;
  const recording: CliIo = {
    ...io,
    setExitCode(c: number) {
      code = c;
      io.setExitCode(c);
    },
  };
  const program = build(recording);
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    throw e;
  }
  return code;
}
