/**
 * vosync's own folders on each platform: config, state and cache. Everything takes the environment, platform and
 * home folder as parameters so tests can pin them.
 */
import path from 'node:path';

export type Env = Readonly<Record<string, string | undefined>>;

const APP = 'vosync';

/** The path flavour of the target platform (not of the machine running the tests). */
export function pathApi(platform: NodeJS.Platform): path.PlatformPath {
  return platform === 'win32' ? path.win32 : path.posix;
}

/** XDG says a relative value must be ignored. */
function absoluteEnv(env: Env, name: string, platform: NodeJS.Platform): string | undefined {
  const v = env[name];
  return v && pathApi(platform).isAbsolute(v) ? v : undefined;
}

/** `$XDG_CONFIG_HOME`, else `~/.config`: where systemd units and the CLI's token live, on every platform. */
export function xdgConfigHome(env: Env, homedir: string): string {
  return absoluteEnv(env, 'XDG_CONFIG_HOME', 'linux') ?? path.posix.join(homedir, '.config');
}

/** `$XDG_CACHE_HOME/vosync`, else `~/.cache/vosync`: the registry and MD5 caches, which can be rebuilt. */
export function cacheDir(env: Env, homedir: string): string {
  return path.posix.join(
    absoluteEnv(env, 'XDG_CACHE_HOME', 'linux') ?? path.posix.join(homedir, '.cache'),
    APP,
  );
}

/** The folder holding config.yaml (and, by default, the status token file). */
export function defaultConfigDir(env: Env, platform: NodeJS.Platform, homedir: string): string {
  const p = pathApi(platform);
  if (platform === 'win32')
    return p.join(absoluteEnv(env, 'APPDATA', platform) ?? p.join(homedir, 'AppData', 'Roaming'), APP);
  if (platform === 'darwin') return p.join(homedir, 'Library', 'Application Support', APP);
  return p.join(xdgConfigHome(env, homedir), APP);
}

/** Linux/BSD `$XDG_STATE_HOME/vosync`, macOS `…/Application Support/vosync/state`, Windows `%LOCALAPPDATA%\vosync`. */
export function defaultStateDir(env: Env, platform: NodeJS.Platform, homedir: string): string {
  const p = pathApi(platform);
  if (platform === 'win32')
    return p.join(absoluteEnv(env, 'LOCALAPPDATA', platform) ?? p.join(homedir, 'AppData', 'Local'), APP);
  if (platform === 'darwin') return p.join(homedir, 'Library', 'Application Support', APP, 'state');
  return p.join(absoluteEnv(env, 'XDG_STATE_HOME', platform) ?? p.join(homedir, '.local', 'state'), APP);
}
