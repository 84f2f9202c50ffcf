/** `vosync resolve` when it runs (its options are in resolve-cmd.ts). */
import fs from 'node:fs';
import path from 'node:path';
import { locateFile } from '../agent/api/file-state.js';
import { conflictOriginal, isConflictCopyName, splitExtension } from '../agent/reconcile/conflict-name.js';
import { moveToLocalTrash } from '../agent/engine/trash.js';
import { CliError, EXIT, type Ctx } from './common.js';
import { loadConfigOf } from './config-host.js';

type Keep = 'local' | 'remote' | 'both';

/** The conflict copies of `rel` in its folder (on disk). */
function copiesOf(root: string, rel: string): string[] {
  const dir = path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel);
  let names: string[];
  try {
    names = fs.readdirSync(path.join(root, ...dir.split('/').filter(Boolean)));
  } catch {
    return [];
  }
  return names
    .map((n) => (dir === '' ? n : `${dir}/${n}`))
    .filter((p) => isConflictCopyName(p) && conflictOriginal(p) === rel)
    .sort();
}

/** A free ordinary name next to `rel`: `name-2.ext`, `name-3.ext`… */
function freeName(root: string, rel: string): string {
  const dir = path.posix.dirname(rel) === '.' ? '' : `${path.posix.dirname(rel)}/`;
  const { stem, ext } = splitExtension(path.posix.basename(rel), false);
  for (let n = 2; ; n++) {
    const candidate = `${dir}${stem}-${n}${ext}`;
    if (!fs.existsSync(path.join(root, ...candidate.split('/')))) return candidate;
  }
}

export async function runResolve(ctx: Ctx, file: string, flags: { keep: string; config?: string }) {
  const fail = (msg: string, code: number = EXIT.notFound) => {
    throw new CliError(msg, code);
  };
  if (!['local', 'remote', 'both'].includes(flags.keep))
    return fail('--keep takes local, remote or both', EXIT.invalid);
  const keep = flags.keep as Keep;
  const config = loadConfigOf(ctx.io, flags.config);
  const found = locateFile(config.pairs, { path: ctx.local(file) });
  if ('error' in found) return fail(found.error);
  const { pair, rel } = found;
  const original = isConflictCopyName(rel) ? conflictOriginal(rel) : rel;
  const copies = isConflictCopyName(rel) ? [rel] : copiesOf(pair.local, rel);
  if (copies.length === 0) return fail(`${rel} has no conflict copy`);
  if (copies.length > 1 && keep === 'local')
    return fail(
      `${original} has ${copies.length} conflict copies; name the one to keep: ${copies.join(', ')}`,
    );
  const abs = (r: string) => path.join(pair.local, ...r.split('/'));
  const now = Date.now();
  for (const copy of copies) {
    if (keep === 'remote') moveToLocalTrash(pair.local, copy, now);
    else if (keep === 'local') {
      if (fs.existsSync(abs(original))) moveToLocalTrash(pair.local, original, now);
      fs.renameSync(abs(copy), abs(original));
    } else fs.renameSync(abs(copy), abs(freeName(pair.local, original)));
  }
  ctx.out(`resolved ${original}: kept ${keep === 'both' ? 'both versions' : `the ${keep} version`}\n`);
  ctx.result({ pair: pair.name, path: original, kept: keep, copies });
}
