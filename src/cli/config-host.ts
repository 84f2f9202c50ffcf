/** The config location and host of one CLI run: its environment and home, not the process's. */
import {
  hostContext,
  loadConfig,
  resolveConfigPath,
  type HostContext,
  type VosyncConfig,
} from '../agent/config/index.js';
import { homeDir, type CliIo } from './common.js';

export function hostOf(io: CliIo): HostContext {
  return hostContext({ env: io.env, homedir: homeDir(io.env) });
}

/** The config file `--config` names, else $VOSYNC_CONFIG, else the platform location. */
export function configPathOf(io: CliIo, flag: string | undefined): string {
  return resolveConfigPath(flag, hostOf(io));
}

/** Loads the run's config; a ConfigError names every problem. */
export function loadConfigOf(io: CliIo, flag: string | undefined): VosyncConfig {
  const host = hostOf(io);
  return loadConfig(resolveConfigPath(flag, host), host);
}
