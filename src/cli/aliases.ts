/**
 * Entry point behind the vostools-named commands (`vls`, `vcp`, …): each is `vosync <command>` with
 * vostools' option spellings and semantics (`--certfile`, `-w`, `vsync --include REGEX`, …), so existing
 * scripts run unchanged. `-k/--insecure` is accepted but refused with an explanation.
 */
import { aliasProgram } from './commands/index.js';
import { processIo, type CliIo } from './common.js';
import { configure, runProgram } from './usage.js';

/** Runs a vostools-named command (`vls ARGS…`) in-process and returns the exit code. */
export function runAliasCli(alias: string, args: string[], io: CliIo): Promise<number> {
  return runProgram((recording) => configure(aliasProgram(alias, recording), recording, true), args, io);
}

export async function runAlias(alias: string, argv: string[] = process.argv.slice(2)): Promise<void> {
  const io = processIo();
  try {
    process.exitCode = await runAliasCli(alias, argv, io);
  } catch (e) {
    process.stderr.write(`${alias}: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  }
}
