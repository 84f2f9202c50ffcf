/**
 * Finding programs on a PATH the way a shell does (every match, in PATH order), for a given environment and
 * platform: which `vosync` a service unit will run, which `vls` a user gets.
 */
import fs from 'node:fs';
import { pathApi, type Env } from './platform-paths.js';

/** The PATH entries, absolute ones only (a relative entry means something else in every folder). */
export function pathDirs(env: Env, platform: NodeJS.Platform): string[] {
  const p = pathApi(platform);
  const raw = (platform === 'win32' ? (env['Path'] ?? env['PATH']) : env['PATH']) ?? '';
  const dirs = raw.split(platform === 'win32' ? ';' : ':').filter((d) => d !== '' && p.isAbsolute(d));
  return [...new Set(dirs)];
}

function isExecutable(file: string, platform: NodeJS.Platform): boolean {
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) return false;
    return platform === 'win32' || (st.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** Every file that running `name` could mean, in the order the PATH gives them. */
export function findAllOnPath(name: string, env: Env, platform: NodeJS.Platform): string[] {
  const p = pathApi(platform);
  const exts =
    platform === 'win32'
      ? (env['PATHEXT'] ?? '.COM;.EXE;.BAT;.CMD').split(';').map((e) => e.toLowerCase())
      : [''];
  const found: string[] = [];
  for (const dir of pathDirs(env, platform))
    for (const ext of exts) {
      const file = p.join(dir, name + ext);
      if (isExecutable(file, platform)) found.push(file);
    }
  return found;
}

export function findOnPath(name: string, env: Env, platform: NodeJS.Platform): string | undefined {
  return findAllOnPath(name, env, platform)[0];
}
