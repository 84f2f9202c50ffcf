/**
 * The one JSON document every command prints on stdout with `--json` (docs/schemas/cli/envelope.json):
 * `{ok: true, command, exitCode, result}` when the command did its job, `{ok: false, command, exitCode,
 * error: {code, message}}` (plus `result` for what was done before it failed) when it did not. Usage errors
 * print one too. `exitCode` is the process's exit status, which also carries answers (a status that needs a
 * look, a check that found differences) while `ok` stays true.
 */
import type { Writable } from 'node:stream';
import type { Command } from 'commander';

export interface EnvelopeError {
  /** A short stable word: not-found, permission, auth, unreachable, usage, config, local:ENOENT, … */
  code: string;
  message: string;
}

export type Envelope =
  | { ok: true; command: string; exitCode: number; result: unknown }
  | { ok: false; command: string; exitCode: number; error: EnvelopeError; result?: unknown };

export function envelope(
  command: string,
  exitCode: number,
  outcome: { result?: unknown; error?: EnvelopeError },
): Envelope {
  if (outcome.error)
    return {
      ok: false,
      command,
      exitCode,
      error: outcome.error,
      ...(outcome.result !== undefined ? { result: outcome.result } : {}),
    };
  return { ok: true, command, exitCode, result: outcome.result ?? {} };
}

/** Pretty-printed for people; `oneLine` for long-running commands whose readers want the first line. */
export function writeEnvelope(out: Writable, doc: Envelope, oneLine = false): void {
  out.write((oneLine ? JSON.stringify(doc) : JSON.stringify(doc, null, 2)) + '\n');
}

/** `config check` for `vosync config check`; an alias program (`vls`) is named by itself. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.length > 0 ? names.join(' ') : cmd.name();
}

/** Whether the command line asks for JSON (before a `--` that ends the options). */
export function jsonRequested(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).includes('--json');
}

/** The subcommand a command line names, as far as it can be followed (for usage errors). */
export function commandNamedBy(program: Command, args: readonly string[]): string {
  let cmd = program;
  for (const a of args) {
    if (a === '--') break;
    if (a.startsWith('-')) continue;
    const sub = cmd.commands.find((c) => c.name() === a || c.aliases().includes(a));
    if (!sub) break;
    cmd = sub;
  }
  return commandPath(cmd);
}
