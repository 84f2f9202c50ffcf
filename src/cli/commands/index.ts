/**
 * The command-line tools: one table of commands (vosync name, vostools alias, how to configure it), the
 * global options, and helpers that register them on `vosync` or build a vostools-style alias program.
 */
import { Command, Option } from 'commander';
import type { CliIo } from '../common.js';
import { configureSync } from '../sync-cmd.js';
import { configureCat } from './cat.js';
import { configureCert } from './cert.js';
import { configureCheck } from './check.js';
import { configureChmod } from './chmod.js';
import { configureCp } from './cp.js';
import { configureInfo } from './info.js';
import { configureLn } from './ln.js';
import { configureLock } from './lock.js';
import { configureLogin, configureLogout } from './login.js';
import { configureLs } from './ls.js';
import { configureMkdir } from './mkdir.js';
import { configureMv } from './mv.js';
import { configureRm, configureRmdir } from './rm.js';
import { configureTag } from './tag.js';
import { VERSION } from '../../util/version.js';
import { addAliasExamples } from '../help-examples.js';

export type Dialect = 'vosync' | 'vostools';

export interface Tool {
  name: string;
  /** The vostools command this one stands in for. */
  alias?: string;
  configure: (cmd: Command, io: CliIo, dialect: Dialect) => Command;
}

export const TOOLS: readonly Tool[] = [
  { name: 'ls', alias: 'vls', configure: configureLs },
  { name: 'info', configure: configureInfo },
  { name: 'cp', alias: 'vcp', configure: configureCp },
  { name: 'sync', alias: 'vsync', configure: configureSync },
  { name: 'check', configure: configureCheck },
  { name: 'mkdir', alias: 'vmkdir', configure: configureMkdir },
  { name: 'mv', alias: 'vmv', configure: configureMv },
  { name: 'rm', alias: 'vrm', configure: configureRm },
  { name: 'rmdir', alias: 'vrmdir', configure: configureRmdir },
  { name: 'cat', alias: 'vcat', configure: configureCat },
  { name: 'ln', alias: 'vln', configure: configureLn },
  { name: 'chmod', alias: 'vchmod', configure: configureChmod },
  { name: 'tag', alias: 'vtag', configure: configureTag },
  { name: 'lock', alias: 'vlock', configure: configureLock },
  { name: 'login', configure: configureLogin },
  { name: 'logout', configure: configureLogout },
  { name: 'cert', configure: configureCert },
];

/** Global options: vosync's own, plus vostools' common options (hidden) so existing scripts run unchanged. */
export function addGlobalOptions(cmd: Command): Command {
  return cmd
    .option('--registry <url>', 'registry resource-caps URL (default $VOSYNC_REGISTRY, else CADC’s)')
    .option('--cert <file>', 'X.509 proxy certificate (PEM); "" = anonymous (default ~/.ssl/cadcproxy.pem)')
    .option('--token <token>', 'bearer token (default $VOSYNC_TOKEN, else the one saved by login)')
    .option('-v, --verbose', 'say what is being done')
    .option('-d, --debug', 'debugging output (never shows secrets)')
    .option('--json', 'print one JSON document instead of text')
    .option('--raw-names', 'use node names as they are: no ~HH mapping of names the server cannot store')
    .option('--bwlimit <rate>', 'cap transfer bytes per second, both ways together (e.g. 500K, 10M, 2.5MB)')
    .addOption(new Option('--certfile <file>', 'vostools spelling of --cert').hideHelp())
    .addOption(new Option('-w, --warning', 'show warnings (vostools)').hideHelp())
    .addOption(new Option('--vos-debug', 'same as -d (vostools)').hideHelp())
    .addOption(new Option('-k, --insecure', 'refused: TLS is always verified').hideHelp());
}

/** Adds every tool as a `vosync` subcommand. */
export function registerTools(program: Command, io: CliIo): void {
  for (const t of TOOLS) t.configure(program.command(t.name), io, 'vosync');
}

/** A stand-alone program for a vostools alias (`vls …` ≡ `vosync ls …`, with vostools' option semantics). */
export function aliasProgram(alias: string, io: CliIo): Command {
  const tool = TOOLS.find((t) => t.alias === alias);
  if (!tool) throw new Error(`unknown alias ${alias}`);
  const cmd = new Command(alias).version(VERSION, '--version');
  addGlobalOptions(cmd);
  tool.configure(cmd, io, 'vostools');
  addAliasExamples(cmd, tool.name);
  return cmd;
}
