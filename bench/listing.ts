/**
 * A remote listing of 100,000 nodes against a `vosync serve` child: one flat Vault folder listed page by page
 * (`Client.list`), the same number of nodes as a tree of 100 folders walked the way the sync engine does
 * (`scanRemote`), and a flat ARC folder (one unpaged listing). Nodes are written straight into the server's
 * metadata store first (see `seedNodes`): only the listing is timed.
 */
import path from 'node:path';
import { scanRemote } from '../src/agent/remote/remote-scan.js';
import { vospaceRemote } from '../src/agent/remote/vospace/connect.js';
import { benchClient, seedNodes, type BenchContext } from './lib/context.js';
import { median, timed, type TreeFile } from './lib/files.js';
import { USER, startVosyncServer } from './lib/procs.js';
import { atMost, figure, type BenchResult } from './lib/report.js';

const RUNS = 3;

function syntheticFiles(n: number, dirs: string[]): TreeFile[] {
  const out: TreeFile[] = [];
  for (let i = 0; i < n; i++) {
    const dir = dirs.length > 0 ? `${dirs[i % dirs.length]}/` : '';
    out.push({
      rel: `${dir}f${String(i).padStart(6, '0')}.dat`,
      size: 4096 + (i % 100),
      md5: i.toString(16).padStart(32, '0'),
    });
  }
  return out;
}

export async function listing(ctx: BenchContext): Promise<BenchResult> {
  const t0 = performance.now();
  const n = ctx.sizes.listingNodes;
  const dataDir = path.join(ctx.work, 'server');
  const server = await startVosyncServer(dataDir);
  const treeDirs = Array.from(
    { length: Math.max(2, Math.round(n / 1000)) },
    (_, d) => `t${String(Math.floor(d / 10)).padStart(2, '0')}/d${String(d).padStart(3, '0')}`,
  );
  ctx.log(`listing: seeding ${n} nodes three times (vault flat, vault tree, arc flat)`);
  seedNodes(dataDir, 'vault', `${USER}/flat`, [], syntheticFiles(n, []), USER);
  seedNodes(dataDir, 'vault', `${USER}/tree`, treeDirs, syntheticFiles(n, treeDirs), USER);
  seedNodes(dataDir, 'arc', `home/${USER}/flat`, [], syntheticFiles(n, []), USER);
  const flat: number[] = [];
  let tree = 0;
  let treeRequests = 0;
  let arc = 0;
  try {
    for (let i = 0; i < RUNS; i++) {
      // A new client each time: nothing carried over but the registry cache on disk.
      const client = benchClient(server.registryUrl, path.join(ctx.work, 'cache'));
      try {
        const r = await timed(() => client.list(`vos:${USER}/flat`));
        if (r.value.length !== n)
          throw new Error(`vault flat listing: ${r.value.length} nodes, expected ${n}`);
        flat.push(r.seconds);
      } finally {
        await client.close();
      }
    }
    const client = benchClient(server.registryUrl, path.join(ctx.work, 'cache'));
    try {
      const t = await timed(() =>
        scanRemote(vospaceRemote(client, { remote: `vos:${USER}/tree`, nameEncoding: true }), {
          concurrency: 4,
        }),
      );
      const files = [...t.value.entries.values()].filter((e) => e.kind === 'file').length;
      if (files !== n) throw new Error(`vault tree walk: ${files} files, expected ${n}`);
      tree = t.seconds;
      treeRequests = t.value.requests;
      const a = await timed(() => client.list(`arc:home/${USER}/flat`));
      if (a.value.length !== n) throw new Error(`arc flat listing: ${a.value.length} nodes, expected ${n}`);
      arc = a.seconds;
    } finally {
      await client.close();
    }
  } finally {
    await server.stop();
  }
  const target = atMost(5, 's');
  return {
    name: 'listing',
    title: 'Remote listing',
    seconds: (performance.now() - t0) / 1000,
    notes: [
      `${n.toLocaleString('en-US')} DataNodes per listing; Vault pages of 2,000 children (the client's default); ` +
        `flat Vault figure is the median of ${RUNS} runs, each with a new client.`,
    ],
    figures: [
      figure({
        key: 'vaultFlat.seconds',
        label: 'Vault, one folder (`Client.list`, paged)',
        value: median(flat),
        unit: 's',
        target,
      }),
      figure({
        key: 'vaultTree.seconds',
        label: `Vault, ${treeDirs.length} folders (\`scanRemote\`, 4 listings at a time, ${treeRequests} listings)`,
        value: tree,
        unit: 's',
        target,
      }),
      figure({
        key: 'arcFlat.seconds',
        label: 'ARC, one folder (`Client.list`, one unpaged response)',
        value: arc,
        unit: 's',
        target,
      }),
    ],
  };
}
