/**
 * Entry point behind the vostools-named commands (`vls`, `vcp`, …): each is `vosync <command>` with
 * vostools' option spellings and semantics (`--certfile`, `-w`, `vsync --include REGEX`, …), so existing
 * scripts run unchanged. `-k/--insecure` is accepted but refused with an explanation.
 */
import { processIo } from './common.js';
import { runCli } from './program.js';

export async function runAlias(alias: string, argv: string[] = process.argv.slice(2)): Promise<void> {
  const io = processIo();
  try {
    const code = await runCli(argv, io, alias);
    process.exitCode = code;
  } catch (e) {
    process.stderr.write(`${alias}: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  }
}
