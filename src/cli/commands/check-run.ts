/** `vosync check` when it runs (its options are in check.ts). */
import fs from 'node:fs';
import path from 'node:path';
import { hashFile } from '../../agent/local/hash.js';
import { PAIR_META_DIR } from '../../agent/local/ignore.js';
import { REMOTE_TRASH } from '../../agent/remote/remote-scan.js';
import type { NodeInfo } from '../../vospace/node.js';
import { CliError, EXIT, type Ctx } from '../common.js';
import { isRemoteArg, joinRemote } from './targets.js';

interface Side {
  files: Map<string, { size: number; md5?: string; abs?: string }>;
  dirs: Set<string>;
}

type CheckVerdict = 'identical' | 'differs' | 'only-here' | 'only-there' | 'unverified';

interface CheckReport {
  identical: number;
  differences: { path: string; verdict: Exclude<CheckVerdict, 'identical'>; detail: string }[];
}

async function localSide(root: string): Promise<Side> {
  const side: Side = { files: new Map(), dirs: new Set() };
  const walk = async (dir: string, rel: string): Promise<void> => {
    for (const e of await fs.promises.readdir(dir, { withFileTypes: true })) {
      if (rel === '' && e.name === PAIR_META_DIR) continue;
      const r = rel === '' ? e.name.normalize('NFC') : `${rel}/${e.name.normalize('NFC')}`;
      const abs = path.join(dir, e.name);
      if (e.isDirectory()) {
        side.dirs.add(r);
        await walk(abs, r);
      } else if (e.isFile()) {
        side.files.set(r, { size: (await fs.promises.lstat(abs)).size, abs });
      }
    }
  };
  await walk(root, '');
  return side;
}

async function remoteSide(ctx: Ctx, root: string): Promise<Side> {
  const client = ctx.client();
  const side: Side = { files: new Map(), dirs: new Set() };
  const walk = async (dir: string, rel: string): Promise<void> => {
    const children: NodeInfo[] = await client.list(dir);
    for (const c of children) {
      if (rel === '' && c.name === REMOTE_TRASH) continue;
      const name = ctx.names.decode(c.name);
      const r = rel === '' ? name : `${rel}/${name}`;
      if (c.kind === 'container') {
        side.dirs.add(r);
        await walk(joinRemote(dir, c.name), r);
      } else if (c.kind === 'file') {
        side.files.set(r, { size: c.size, ...(c.md5 ? { md5: c.md5 } : {}) });
      }
    }
  };
  await walk(root, '');
  return side;
}

/** Compares the two sides; local files are hashed only where the remote holds a file of the same size. */
async function compareSides(here: Side, there: Side): Promise<CheckReport> {
  const report: CheckReport = { identical: 0, differences: [] };
  const paths = [...new Set([...here.files.keys(), ...there.files.keys()])].sort();
  for (const p of paths) {
    const l = here.files.get(p);
    const r = there.files.get(p);
    if (!r) {
      report.differences.push({
        path: p,
        verdict: 'only-here',
        detail: there.dirs.has(p) ? 'a folder there' : '',
      });
    } else if (!l) {
      report.differences.push({
        path: p,
        verdict: 'only-there',
        detail: here.dirs.has(p) ? 'a folder here' : '',
      });
    } else if (l.size !== r.size) {
      report.differences.push({ path: p, verdict: 'differs', detail: `${l.size} B here, ${r.size} B there` });
    } else if (!r.md5) {
      report.differences.push({ path: p, verdict: 'unverified', detail: 'the server gives no MD5' });
    } else if ((await hashFile(l.abs!)).md5 !== r.md5) {
      report.differences.push({ path: p, verdict: 'differs', detail: 'same size, different MD5' });
    } else {
      report.identical++;
    }
  }
  return report;
}

const WORDS: Record<Exclude<CheckVerdict, 'identical'>, string> = {
  differs: 'differs',
  'only-here': 'only here',
  'only-there': 'only on the server',
  unverified: 'not verified',
};

export async function runCheck(ctx: Ctx, local: string, remote: string) {
  if (!isRemoteArg(remote))
    throw new CliError(`${remote}: not a remote folder (expected vos:… or arc:…)`, EXIT.invalid);
  const dir = ctx.local(local);
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory())
    throw new CliError(`${local}: not a directory`, EXIT.notDir);
  const remoteRoot = ctx.remoteArg(remote);
  const report = await compareSides(await localSide(dir), await remoteSide(ctx, remoteRoot));
  const n = (v: CheckVerdict) => report.differences.filter((d) => d.verdict === v).length;
  const summary =
    `${report.identical} identical, ${n('differs')} differ, ${n('only-here')} only here, ` +
    `${n('only-there')} only on the server` +
    (n('unverified') ? `, ${n('unverified')} not verified` : '');
  ctx.result({ ...report, summary });
  for (const d of report.differences)
    ctx.out(`${WORDS[d.verdict]}: ${d.path}${d.detail ? ` (${d.detail})` : ''}\n`);
  ctx.out(`check: ${summary}\n`);
  return report.differences.length === 0 ? EXIT.ok : EXIT.failure;
}
