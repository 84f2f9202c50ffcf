/**
 * Where the config file is, and how paths written in the config are expanded. Everything takes the environment,
 * platform and home folder as parameters so tests can pin them; the platform folders are util/platform-paths.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import { defaultConfigDir, pathApi, type Env } from '../../util/platform-paths.js';

export interface HostContext {
  env: Env;
  platform: NodeJS.Platform;
  homedir: string;
}

export function hostContext(overrides: Partial<HostContext> = {}): HostContext {
  return {
    env: overrides.env ?? process.env,
    platform: overrides.platform ?? process.platform,
    homedir: overrides.homedir ?? os.homedir(),
  };
}

/** Environment variable that overrides the default config location (below `--config`). */
export const CONFIG_ENV = 'VOSYNC_CONFIG';
const CONFIG_FILE = 'config.yaml';

/** Linux/BSD `$XDG_CONFIG_HOME/vosync/config.yaml`, macOS Application Support, Windows `%APPDATA%\vosync`. */
export function defaultConfigPath(
  env: Env = process.env,
  platform: NodeJS.Platform = process.platform,
  homedir: string = os.homedir(),
): string {
  return pathApi(platform).join(defaultConfigDir(env, platform, homedir), CONFIG_FILE);
}

/** `--config` wins, then $VOSYNC_CONFIG, then the platform default. */
export function resolveConfigPath(flag: string | undefined, host: HostContext = hostContext()): string {
  const p = pathApi(host.platform);
  if (flag) return p.resolve(flag);
  const fromEnv = host.env[CONFIG_ENV];
  if (fromEnv) return p.resolve(fromEnv);
  return defaultConfigPath(host.env, host.platform, host.homedir);
}

export type Expanded = { ok: true; path: string } | { ok: false; problem: string };

const ENV_REF = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)|\$\{[^}]*\}?/g;
const WIN_ENV_REF = /%([A-Za-z_][A-Za-z0-9_()]*)%/g;

/**
 * Expands `~`, `$VAR`/`${VAR}` (and `%VAR%` on Windows), then resolves a relative result against `baseDir`
 * (the config file's folder). `$$` is a literal `$`. An unset variable is a problem, not an empty string:
 * `$DATA/results` silently becoming `/results` would be dangerous.
 */
export function expandPath(input: string, host: HostContext, baseDir: string): Expanded {
  const p = pathApi(host.platform);
  if (input.trim() === '') return { ok: false, problem: 'empty path' };
  const lookup = (name: string): string | undefined =>
    host.env[name] ?? (name === 'HOME' || name === 'USERPROFILE' ? host.homedir : undefined);
  let missing: string | undefined;
  let out = input.replace(ENV_REF, (whole, braced?: string, bare?: string) => {
    if (whole === '$$') return '$';
    const name = braced ?? bare;
    if (!name) {
      missing ??= `malformed variable reference '${whole}'`;
      return whole;
    }
    const value = lookup(name);
    if (value === undefined) missing ??= `environment variable $${name} is not set`;
    return value ?? whole;
  });
  if (host.platform === 'win32') {
    out = out.replace(WIN_ENV_REF, (whole, name: string) => {
      const value = lookup(name);
      if (value === undefined) missing ??= `environment variable %${name}% is not set`;
      return value ?? whole;
    });
  }
  if (missing) return { ok: false, problem: missing };
  if (out === '~') out = host.homedir;
  else if (out.startsWith('~/') || (host.platform === 'win32' && out.startsWith('~\\')))
    out = p.join(host.homedir, out.slice(2));
  else if (/^~[^/\\]/.test(out))
    return { ok: false, problem: `'~user' paths are not supported; write the full path` };
  return { ok: true, path: p.resolve(baseDir, out) };
}

/** Case-folding for path comparison: macOS and Windows file systems are case-insensitive by default. */
function comparable(x: string, platform: NodeJS.Platform): string {
  const norm = pathApi(platform).normalize(x).normalize('NFC');
  return platform === 'win32' || platform === 'darwin' ? norm.toLowerCase() : norm;
}

/** True when `inner` is `outer` or lies below it. Both must be absolute and normalised. */
export function isSameOrInside(inner: string, outer: string, platform: NodeJS.Platform): boolean {
  const p = pathApi(platform);
  const rel = p.relative(comparable(outer, platform), comparable(inner, platform));
  return rel === '' || (rel !== '..' && !rel.startsWith('..' + p.sep) && !p.isAbsolute(rel));
}

export function samePath(a: string, b: string, platform: NodeJS.Platform): boolean {
  return comparable(a, platform) === comparable(b, platform);
}

/** True for `/`, `C:\`, `\\server\share\`. */
export function isFilesystemRoot(abs: string, platform: NodeJS.Platform): boolean {
  const p = pathApi(platform);
  return p.parse(abs).root !== '' && samePath(p.parse(abs).root, abs, platform);
}

/** `~/x` for display when the path is under the home folder. */
export function tildify(abs: string, host: HostContext): string {
  const p = pathApi(host.platform);
  if (samePath(abs, host.homedir, host.platform)) return '~';
  if (isSameOrInside(abs, host.homedir, host.platform)) return `~${p.sep}${p.relative(host.homedir, abs)}`;
  return abs;
}

/** Creates the state folder (index, log) private to the user: 0700, an existing one tightened. */
export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
}
