/** `vosync trash list` and `vosync restore` when they run (their options are in trash-cmd.ts). */
import fs from 'node:fs';
import path from 'node:path';
import { locateFile } from '../agent/api/file-state.js';
import type { PairConfig, VosyncConfig } from '../agent/config/index.js';
import { DownloadConfinement } from '../agent/engine/confine.js';
import { moveToLocalTrash } from '../agent/engine/trash.js';
import {
  localTrashVersions,
  remoteTrashVersions,
  versionLocation,
  type TrashedVersion,
} from '../agent/engine/trash-versions.js';
import type { RemoteService } from '../agent/remote/port.js';
import { connectVospace } from '../agent/remote/vospace/connect.js';
import { CliError, EXIT, type Ctx } from './common.js';
import { loadConfigOf } from './config-host.js';

async function versionsOf(remotes: RemoteService, pair: PairConfig): Promise<TrashedVersion[]> {
  const remote = await remoteTrashVersions(remotes.forPair(pair));
  return [...localTrashVersions(pair.local), ...remote].sort((a, b) => b.at - a.at);
}

const when = (t: number) => new Date(t).toISOString().replace('T', ' ').slice(0, 19);

async function withRemotes<T>(
  config: VosyncConfig,
  body: (remotes: RemoteService) => Promise<T>,
): Promise<T> {
  const remotes = await connectVospace(config);
  try {
    return await body(remotes);
  } finally {
    await remotes.close();
  }
}

export async function runTrashList(ctx: Ctx, pairName: string | undefined, flags: { config?: string }) {
  const config = loadConfigOf(ctx.io, flags.config);
  const pairs = config.pairs.filter((p) => pairName === undefined || p.name === pairName);
  if (pairs.length === 0) throw new CliError(`no pair named ${pairName}`, EXIT.notFound);
  const versions: (TrashedVersion & { pair: string })[] = [];
  await withRemotes(config, async (remotes) => {
    for (const pair of pairs) {
      for (const v of await versionsOf(remotes, pair)) {
        versions.push({ pair: pair.name, ...v });
        ctx.out(`${pair.name}  ${v.stamp}  ${when(v.at)}  ${v.side.padEnd(6)}  ${v.size}  ${v.path}\n`);
      }
    }
  });
  ctx.result({ versions });
}

export async function runRestore(ctx: Ctx, file: string, flags: { config?: string; version?: string }) {
  const config = loadConfigOf(ctx.io, flags.config);
  const found = locateFile(config.pairs, { path: ctx.local(file) });
  if ('error' in found) throw new CliError(found.error, EXIT.notFound);
  const { pair, rel } = found;
  await withRemotes(config, async (remotes) => {
    const all = (await versionsOf(remotes, pair)).filter((v) => v.path === rel);
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
    const where = versionLocation(v, pair.local);
    if ('file' in where) fs.copyFileSync(where.file, dest, fs.constants.COPYFILE_EXCL);
    else {
      const got = await remotes.forPair(pair).download(where.remote, {
        dest,
        size: v.size,
        guard: new DownloadConfinement(pair.local, rel).guard,
      });
      fs.renameSync(got.temp, dest);
    }
    ctx.out(`restored ${rel} from the ${v.side} trash (version ${v.stamp}, ${when(v.at)} UTC)\n`);
    ctx.result({ pair: pair.name, path: rel, side: v.side, version: v.stamp, at: v.at });
  });
}
