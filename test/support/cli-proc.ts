/** The built CLI (`dist/cli/main.js`) as a real child process with a given environment, output captured. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const CLI = path.resolve('dist/cli/main.js');

export interface CliProc {
  child: ChildProcess;
  /** Its exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** stdout and stderr so far. */
  output(): string;
}

/** `vosync ARGS` with exactly `env` (nothing of the test runner's environment). */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv): CliProc {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}
