/**
 * Child processes for the benchmarks: `vosync serve`, `vosync daemon`, the plain HTTP server, one-shot
 * commands with their wall time, and what /proc says about a process (RSS, peak RSS, CPU ticks).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(HERE, '..', '..');
/** The built CLI (`npx tsc -p tsconfig.build.json` first). */
export const CLI = path.join(REPO, 'dist', 'cli', 'main.js');
export const TS_REGISTER = path.join(REPO, 'bench', 'ts-register.mjs');

export const USER = 'alice';
export const TOKEN = 'alicetoken1';

export interface Proc {
  child: ChildProcess;
  pid: number;
  output(): string;
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function startProc(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  // Keep only the tail: a verbose child must not grow our memory without bound.
  const add = (d: Buffer) => {
    out += d.toString();
    if (out.length > 1_000_000) out = out.slice(-500_000);
  };
  child.stdout!.on('data', add);
  child.stderr!.on('data', add);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    pid: child.pid ?? -1,
    output: () => out,
    async waitFor(re, timeoutMs = 60_000) {
      const start = Date.now();
      for (;;) {
        const m = re.exec(out);
        if (m) return m;
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`${path.basename(cmd)} ${args[0] ?? ''} exited before printing ${re}:\n${out}`);
        if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${re}:\n${out}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface ServerProc extends Proc {
  baseUrl: string;
  registryUrl: string;
}

/** `vosync serve` as a child process on an ephemeral port, user alice (with `admin`, she drives its fault API). */
export async function startVosyncServer(
  dataDir: string,
  opts: { verbose?: boolean; admin?: boolean } = {},
): Promise<ServerProc> {
  const args = [CLI, 'serve', '--data', dataDir, '--port', '0', '--user', `${USER}:${TOKEN}`];
  if (opts.verbose) args.push('--verbose');
  if (opts.admin) args.push('--admin', USER);
  const p = startProc(process.execPath, args);
  const m = await p.waitFor(/listening on (https?:\/\/[^\s]+) \(/);
  const baseUrl = m[1]!;
  return Object.assign(p, { baseUrl, registryUrl: `${baseUrl}/reg/resource-caps` });
}

/** The plain HTTP server of the baselines (bench/lib/raw-server.ts) as a child process. */
export async function startRawServer(dataDir: string): Promise<Proc & { baseUrl: string }> {
  const p = startProc(process.execPath, [
    '--import',
    TS_REGISTER,
    path.join(REPO, 'bench', 'lib', 'raw-server.ts'),
    dataDir,
  ]);
  const m = await p.waitFor(/raw server listening on (http:\/\/[^\s]+)/);
  return Object.assign(p, { baseUrl: m[1]! });
}

export interface CommandResult {
  code: number | null;
  seconds: number;
  /**
   * User + system CPU seconds of the command and every process it waited for, from this process's children
   * totals: exact as long as no other child of this process ends while the command runs.
   */
  cpuSeconds: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion and measures its wall time. */
export function runCommand(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; discardStdout?: boolean } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const cpu0 = childrenCpuSeconds();
    const child = spawn(cmd, args, {
      env: { ...process.env, ...opts.env },
      cwd: opts.cwd,
      stdio: ['ignore', opts.discardStdout ? 'ignore' : 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => {
      if (stdout.length < 1_000_000) stdout += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      if (stderr.length < 1_000_000) stderr += d.toString();
    });
    child.once('error', reject);
    // 'close' comes after the child was reaped, so its CPU is in the children totals by then.
    child.once('close', (code) =>
      resolve({
        code,
        seconds: (performance.now() - t0) / 1000,
        cpuSeconds: childrenCpuSeconds() - cpu0,
        stdout,
        stderr,
      }),
    );
  });
}

/** Environment for `vosync` CLI children: the bench server, alice's token, and a private HOME/cache. */
export function cliEnv(registryUrl: string, home: string): NodeJS.ProcessEnv {
  return {
    VOSYNC_REGISTRY: registryUrl,
    VOSYNC_TOKEN: TOKEN,
    HOME: home,
    XDG_CACHE_HOME: path.join(home, '.cache'),
    XDG_CONFIG_HOME: path.join(home, '.config'),
  };
}

// ---- /proc ----------------------------------------------------------------------------------------------

/** Resident and peak resident set size of a process, in bytes (Linux). */
export function memoryOf(pid: number): { rss: number; peak: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') * 1024, peak: kb('VmHWM') * 1024 };
}

/** User + system CPU seconds a process has used so far (Linux, from /proc/PID/stat). */
export function cpuSecondsOf(pid: number): number {
  const fields = statFields(pid);
  return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
}

/**
 * User + system CPU seconds of this process's children that have ended and been reaped (the kernel adds a
 * child's own children's totals when it reaps them): getrusage(RUSAGE_CHILDREN), which Node does not expose.
 * Works for any program, Node or not, run through a shell or not.
 */
export function childrenCpuSeconds(): number {
  const fields = statFields('self');
  return (Number(fields[13]) + Number(fields[14])) / USER_HZ;
}

/** The fields of /proc/PID/stat after the command name, from `state` on (so index 11 is utime). */
function statFields(pid: number | 'self'): string[] {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may contain spaces; fields after it are space separated.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** Clock ticks per second of /proc times: 100 on every mainstream Linux build. */
const USER_HZ = 100;
