/**
 * `vosync aliases install|uninstall|list`: the vostools names (`vls`, `vcp`, …) as small launchers in a
 * folder of the user's choice, never by npm. npm installs `vosync` alone, so installing it can neither fail
 * with EEXIST next to pip's vostools nor shadow them unasked. A launcher (a POSIX sh script, or a .cmd on
 * Windows) runs vosync's alias entry point with the node vosync was installed with; a marker line tells
 * ours from another program's file, which is left alone unless --force, and then kept beside it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { pathApi } from '../util/platform-paths.js';
import { findAllOnPath, pathDirs } from '../util/which.js';
import { TOOLS } from './commands/index.js';
import { CliError, EXIT, action, homeDir, type CliIo, type Ctx } from './common.js';

/** The line that marks a launcher as vosync's. */
export const LAUNCHER_MARKER = 'vosync-alias-launcher';
/** Where another program's file goes when --force puts a launcher in its place. */
export const SAVED_SUFFIX = '.vosync-saved';

export const ALIASES: readonly string[] = TOOLS.flatMap((t) => (t.alias ? [t.alias] : []));

export interface LauncherHost {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  home: string;
  /** The node that runs the launchers (the one running vosync now). */
  node: string;
  /** The folder of the alias entry points (dist/cli/bin). */
  binDir: string;
}

/** dist/cli/bin beside this module; from the sources (tests), the built one. */
export function aliasBinDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const built = path.join(here, 'bin');
  if (fs.existsSync(path.join(built, 'vls.js'))) return built;
  return path.join(here, '..', '..', 'dist', 'cli', 'bin');
}

const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The launcher for `alias`: the node vosync was installed with if it is still there, else node on PATH. */
export function launcherText(alias: string, h: Pick<LauncherHost, 'platform' | 'node' | 'binDir'>): string {
  const script = pathApi(h.platform).join(h.binDir, `${alias}.js`);
  if (h.platform === 'win32')
    return [
      '@echo off',
      `rem ${LAUNCHER_MARKER}: ${alias}`,
      'rem Written by `vosync aliases install`; `vosync aliases uninstall` removes it.',
      `set "VOSYNC_NODE=${h.node}"`,
      'if not exist "%VOSYNC_NODE%" set "VOSYNC_NODE=node"',
      `"%VOSYNC_NODE%" "${script}" %*`,
      '',
    ].join('\r\n');
  return [
    '#!/bin/sh',
    `# ${LAUNCHER_MARKER}: ${alias}`,
    `# vostools' ${alias}, served by vosync. Written by \`vosync aliases install\`; \`vosync aliases uninstall\` removes it.`,
    `node=${sh(h.node)}`,
    '[ -x "$node" ] || node=node',
    `script=${sh(script)}`,
    'if [ ! -f "$script" ]; then',
    `  echo "${alias}: vosync is no longer at $script: run vosync aliases install again, or delete $0" >&2`,
    '  exit 127',
    'fi',
    'exec "$node" "$script" "$@"',
    '',
  ].join('\n');
}

export function launcherFile(dir: string, alias: string, platform: NodeJS.Platform): string {
  return pathApi(platform).join(dir, platform === 'win32' ? `${alias}.cmd` : alias);
}

/** Whether `file` is one of our launchers (else: missing, or another program's). */
export function isOurLauncher(file: string): boolean {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const head = Buffer.alloc(512);
      const n = fs.readSync(fd, head, 0, head.length, 0);
      return head.subarray(0, n).toString('utf8').includes(LAUNCHER_MARKER);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return false;
  }
}

/** `~/.local/bin` (where pip --user and most distributions put a user's commands); on Windows its like. */
export function defaultAliasDir(h: Pick<LauncherHost, 'platform' | 'env' | 'home'>): string {
  const p = pathApi(h.platform);
  if (h.platform === 'win32')
    return p.join(h.env['LOCALAPPDATA'] ?? p.join(h.home, 'AppData', 'Local'), 'vosync', 'bin');
  return p.join(h.home, '.local', 'bin');
}

/** What typing `alias` runs, and what it hides or what hides it. */
export interface Shadowing {
  alias: string;
  /** The file PATH gives first, or null. */
  runs: string | null;
  ours: boolean;
  /** Other programs' files of that name further down PATH (ours first) or before ours. */
  others: string[];
}

export function shadowing(alias: string, h: Pick<LauncherHost, 'platform' | 'env'>): Shadowing {
  const all = findAllOnPath(alias, h.env, h.platform);
  const runs = all[0] ?? null;
  const ours = runs !== null && isOurLauncher(runs);
  return { alias, runs, ours, others: all.filter((f) => !isOurLauncher(f)) };
}

function shadowWords(s: Shadowing, file: string): string | undefined {
  if (s.runs === null) return undefined;
  if (s.ours && s.runs !== file) return `${s.alias}: ${s.runs} (another vosync launcher) runs first`;
  if (s.ours && s.others.length > 0)
    return `${s.alias}: now runs vosync's, ahead of ${s.others.join(', ')} (vosync aliases uninstall undoes it)`;
  if (!s.ours) return `${s.alias}: ${s.runs} comes first on PATH and runs instead of vosync's`;
  return undefined;
}

/** Writes a file whole or not at all. */
function writeAtomic(file: string, text: string, mode: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text, { mode });
  fs.chmodSync(tmp, mode);
  fs.renameSync(tmp, file);
}

interface Flags {
  dir?: string;
  force?: boolean;
}

function install(ctx: Ctx, h: LauncherHost, flags: Flags): number {
  const dir = ctx.local(flags.dir ?? defaultAliasDir(h));
  if (!fs.existsSync(path.join(h.binDir, 'vls.js')))
    throw new CliError(
      `the alias entry points are missing in ${h.binDir} (run npm run build)`,
      EXIT.notFound,
    );
  fs.mkdirSync(dir, { recursive: true });
  const installed: string[] = [];
  const kept: { alias: string; file: string }[] = [];
  const replaced: { alias: string; savedAs: string }[] = [];
  for (const alias of ALIASES) {
    const file = launcherFile(dir, alias, h.platform);
    if (fs.existsSync(file) && !isOurLauncher(file)) {
      const saved = file + SAVED_SUFFIX;
      if (!flags.force || fs.existsSync(saved)) {
        kept.push({ alias, file });
        ctx.io.stderr.write(
          `${ctx.name}: ${file} belongs to another program: left as it is` +
            (flags.force
              ? ` (${saved} is taken)`
              : " (--force puts vosync's in its place and keeps it as " + `${path.basename(saved)})`) +
            '\n',
        );
        continue;
      }
      fs.renameSync(file, saved);
      replaced.push({ alias, savedAs: saved });
      ctx.out(`kept the previous ${alias} as ${saved}\n`);
    }
    writeAtomic(file, launcherText(alias, h), 0o755);
    installed.push(alias);
  }
  ctx.out(`installed ${installed.length} launcher(s) in ${dir}: ${installed.join(' ')}\n`);
  const onPath = pathDirs(h.env, h.platform).includes(dir);
  if (!onPath) ctx.out(`${dir} is not on your PATH: add it, e.g. export PATH="${dir}:$PATH"\n`);
  const shadows = ALIASES.map((a) => shadowing(a, h));
  for (const s of shadows) {
    const words = shadowWords(s, launcherFile(dir, s.alias, h.platform));
    if (words) ctx.out(words + '\n');
  }
  ctx.result({ dir, onPath, installed, kept, replaced, shadows });
  if (kept.length > 0) {
    ctx.failed(
      'exists',
      `${kept.length} name(s) belong to another program in ${dir}: ${kept.map((k) => k.alias).join(' ')}`,
    );
    return EXIT.exists;
  }
  return EXIT.ok;
}

function uninstall(ctx: Ctx, h: LauncherHost, flags: Flags): number {
  const dir = ctx.local(flags.dir ?? defaultAliasDir(h));
  const removed: string[] = [];
  const restored: string[] = [];
  for (const alias of ALIASES) {
    const file = launcherFile(dir, alias, h.platform);
    if (!isOurLauncher(file)) continue;
    fs.rmSync(file);
    removed.push(alias);
    if (fs.existsSync(file + SAVED_SUFFIX)) {
      fs.renameSync(file + SAVED_SUFFIX, file);
      restored.push(alias);
      ctx.out(`restored the previous ${alias} (${file})\n`);
    }
  }
  ctx.out(
    removed.length > 0
      ? `removed ${removed.length} launcher(s) from ${dir}: ${removed.join(' ')}\n`
      : `no vosync launcher in ${dir}\n`,
  );
  ctx.result({ dir, removed, restored });
  return EXIT.ok;
}

function list(ctx: Ctx, h: LauncherHost, flags: Flags): number {
  const dir = ctx.local(flags.dir ?? defaultAliasDir(h));
  const rows = ALIASES.map((alias) => {
    const file = launcherFile(dir, alias, h.platform);
    const s = shadowing(alias, h);
    const installed = isOurLauncher(file);
    const runs = s.runs === null ? 'not on PATH' : `${s.runs}${s.ours ? ' (vosync)' : ' (another program)'}`;
    ctx.out(`${alias.padEnd(7)} ${(installed ? 'installed' : 'not installed').padEnd(13)}  runs: ${runs}\n`);
    return { ...s, installed };
  });
  ctx.result({ dir, aliases: rows });
  return EXIT.ok;
}

export function registerAliases(program: Command, io: CliIo, host?: Partial<LauncherHost>): void {
  const h = (): LauncherHost => ({
    platform: process.platform,
    env: io.env,
    home: homeDir(io.env),
    node: process.execPath,
    binDir: aliasBinDir(),
    ...host,
  });
  const aliases = program
    .command('aliases')
    .description("vostools' names (vls, vcp, …) as launchers in a folder of yours; npm installs only vosync");
  const dirOption = '--dir <dir>';
  const dirHelp = 'the folder (default ~/.local/bin; on Windows %LOCALAPPDATA%\\vosync\\bin)';
  aliases
    .command('install')
    .description("write the launchers; another program's file of the same name is left alone")
    .option(dirOption, dirHelp)
    .option('--force', "put vosync's in place of another program's file, which is kept as NAME.vosync-saved")
    .action(action(io, async (ctx: Ctx, flags: Flags) => install(ctx, h(), flags)));
  aliases
    .command('uninstall')
    .description("remove the launchers (only vosync's), putting back what --force set aside")
    .option(dirOption, dirHelp)
    .action(action(io, async (ctx: Ctx, flags: Flags) => uninstall(ctx, h(), flags)));
  aliases
    .command('list')
    .description('for each name: installed here? and what typing it runs (vosync or another program)')
    .option(dirOption, dirHelp)
    .action(action(io, async (ctx: Ctx, flags: Flags) => list(ctx, h(), flags)));
}
