/**
 * `vosync trash list` and `vosync restore`: the versions vosync moved aside (replaced or deleted, on either
 * side), and bringing one back to its place in the local folder, from where it syncs like any change.
 * Nothing is overwritten: a file in the way goes to the local trash first.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { locateFile } from '../agent/api/file-state.js';
import type { PairConfig, VosyncConfig } from '../agent/config/index.js';
import { buildClient } from '../agent/daemon.js';
import { namesOf } from '../agent/engine/pair-sync.js';
import { moveToLocalTrash } from '../agent/engine/trash.js';
import {
  localTrashVersions,
  remoteTrashVersions,
  versionLocation,
  type TrashedVersion,
} from '../agent/engine/trash-versions.js';
import type { Client } from '../vospace/client.js';
import { CliError, EXIT, action, type CliIo, type Ctx } from './common.js';
import { loadConfigOf } from './config-host.js';

async function versionsOf(client: Client, pair: PairConfig): Promise<TrashedVersion[]> {
  const remote = await remoteTrashVersions(client, pair.location, namesOf(pair));
  return [...localTrashVersions(pair.local), ...remote].sort((a, b) => b.at - a.at);
}

const when = (t: number) => new Date(t).toISOString().replace('T', ' ').slice(0, 19);

async function withClient<T>(config: VosyncConfig, body: (client: Client) => Promise<T>): Promise<T> {
  const client = await buildClient(config);
  try {
    return await body(client);
  } finally {
    await client.close();
  }
}

export function registerTrash(program: Command, io: CliIo): void {
  const trash = program.command('trash').description('the versions vosync moved to a trash, on either side');
  trash
    .command('list [pair]')
    .description('list every kept version, newest first: when, which side, size and path')
    .option('--config <file>', 'config file')
    .action(
      action(io, async (ctx: Ctx, pairName: string | undefined, flags: { config?: string }) => {
        const config = loadConfigOf(io, flags.config);
        const pairs = config.pairs.filter((p) => pairName === undefined || p.name === pairName);
        if (pairs.length === 0) throw new CliError(`no pair named ${pairName}`, EXIT.notFound);
        const versions: (TrashedVersion & { pair: string })[] = [];
        await withClient(config, async (client) => {
          for (const pair of pairs) {
            for (const v of await versionsOf(client, pair)) {
              versions.push({ pair: pair.name, ...v });
              ctx.out(`${pair.name}  ${v.stamp}  ${when(v.at)}  ${v.side.padEnd(6)}  ${v.size}  ${v.path}\n`);
            }
          }
        });
        ctx.result({ versions });
      }),
    );

  program
    .command('restore <path>')
    .description('put a trashed version back in place (the newest unless --version); it then syncs')
    .option('--version <stamp>', 'the trash folder of the version to restore (see vosync trash list)')
    .option('--config <file>', 'config file')
    .action(
      action(io, async (ctx: Ctx, file: string, flags: { config?: string; version?: string }) => {
        const config = loadConfigOf(io, flags.config);
        const found = locateFile(config.pairs, { path: ctx.local(file) });
        if ('error' in found) throw new CliError(found.error, EXIT.notFound);
        const { pair, rel } = found;
        await withClient(config, async (client) => {
          const all = (await versionsOf(client, pair)).filter((v) => v.path === rel);
          const v = flags.version ? all.find((x) => x.stamp === flags.version) : all[0];
          if (!v) {
            throw new CliError(
              `no ${flags.version ? `version ${flags.version} of ` : 'kept version of '}${rel} in the trashes`,
              EXIT.notFound,
            );
          }
          const dest = path.join(pair.local, ...rel.split('/'));
          if (fs.existsSync(dest)) moveToLocalTrash(pair.local, rel, Date.now());
          fs.mkdirSync(path.dirname(dest), { recursive: true });
          const where = versionLocation(v, pair.local, pair.location, namesOf(pair));
          if ('file' in where) fs.copyFileSync(where.file, dest, fs.constants.COPYFILE_EXCL);
          else await client.download(where.node, dest);
          ctx.out(`restored ${rel} from the ${v.side} trash (version ${v.stamp}, ${when(v.at)} UTC)\n`);
          ctx.result({ pair: pair.name, path: rel, side: v.side, version: v.stamp, at: v.at });
        });
      }),
    );
}
