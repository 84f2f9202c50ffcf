/**
 * Timed edits for the latency figures: save a new version of a file, then ask the server every 20 ms until the
 * node carries the new MD5. One edit at a time.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '../../src/vospace/client.js';
import { sleep, type Tree } from './files.js';
import { md5Hex } from '../../src/util/md5.js';

export const POLL_MS = 20;
export const GIVE_UP_MS = 30_000;
/** Files the edits rotate over. */
export const EDITED = 20;

/** Saves `edits` new versions of files (100 B–4 KB) one at a time; each is timed until the server has it. */
export async function timeEdits(
  tree: Tree,
  client: Client,
  remote: string,
  edits: number,
): Promise<{ seconds: number[]; lost: number }> {
  const seconds: number[] = [];
  let lost = 0;
  for (let i = 0; i < edits; i++) {
    const f = tree.files[i % Math.min(EDITED, tree.files.length)]!;
    const body = Buffer.concat([Buffer.from(`edit ${i}\n`), randomBytes(100 + ((i * 131) % 4000))]);
    const md5 = md5Hex(body);
    const start = performance.now();
    fs.writeFileSync(path.join(tree.root, f.rel), body);
    let seen = false;
    while (performance.now() - start < GIVE_UP_MS) {
      const info = await client.tryGetInfo(`${remote}/${f.rel}`);
      if (info?.md5 === md5) {
        seen = true;
        break;
      }
      await sleep(POLL_MS);
    }
    if (seen) seconds.push((performance.now() - start) / 1000);
    else lost++;
  }
  return { seconds, lost };
}
