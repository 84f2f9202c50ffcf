/**
 * What a watcher that misses nothing would report to an agent: the local paths whose state on disk differs from
 * the local tree its index recorded at the last scan (new, gone, or with another kind, size, mtime or inode).
 * The simulation hands these to scoped cycles, as the daemon hands over a watcher batch.
 */
import type { PairConfig } from '../../src/agent/config/index.js';
import { ignoreFor } from '../../src/agent/engine/pair-sync.js';
import { scanLocal } from '../../src/agent/local/local-scan.js';
import { SyncIndex } from '../../src/agent/store/index-db.js';

export async function changedSinceScan(pair: PairConfig, indexFile: string): Promise<string[]> {
  const index = SyncIndex.open(indexFile);
  let recorded;
  try {
    const rec = index.getPair(pair.name);
    recorded = rec ? index.loadLocalTree(rec.id) : new Map();
  } finally {
    index.close();
  }
  const now = await scanLocal({ root: pair.local, previous: recorded, ignore: ignoreFor(pair) });
  const changed: string[] = [];
  for (const [p, e] of now.entries) {
    const r = recorded.get(p);
    if (!r || r.kind !== e.kind || r.size !== e.size || r.mtimeMs !== e.mtimeMs || r.ino !== e.ino)
      changed.push(p);
  }
  for (const p of recorded.keys()) if (!now.entries.has(p)) changed.push(p);
  return changed.sort();
}
