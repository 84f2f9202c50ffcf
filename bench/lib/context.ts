/**
 * What every benchmark gets: the run's sizes (full or quick), a private work folder, the CADC baseline
 * command if there is one, a logger, and helpers to talk to a `vosync serve` child as alice.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PairConfig } from '../../src/agent/config/index.js';
import { pairConfig as pairFromConfig } from '../../test/support/pair-fixture.js';
import { NodeStore, type ServiceName } from '../../src/server/store.js';
import { Client } from '../../src/vospace/client.js';
import type { TreeFile } from './files.js';
import { TOKEN } from './procs.js';

export interface Sizes {
  /** Small-file bulk transfer: file count and size. */
  smallFiles: number;
  smallFileBytes: number;
  /** Files of the sample used to count requests per file. */
  requestSample: number;
  largeFileBytes: number;
  /** The resumable upload cut by faults and a kill. */
  resumableBytes: number;
  /** Local files of the no-change rescan (and of the daemon's memory figure). */
  rescanFiles: number;
  listingNodes: number;
  latencyEdits: number;
  /** Files of the folder the latency edits happen in. */
  latencyTreeFiles: number;
  daemonFiles: number;
  idleSeconds: number;
  /**
   * The scale table's pair sizes: scaleMin files, then ten times more at each step up to scaleMax
   * (`--size scaleMax=1000000` adds the million-file row, which takes a long time and several GB of disk).
   */
  scaleMin: number;
  scaleMax: number;
}

export const FULL: Sizes = {
  smallFiles: 10_000,
  smallFileBytes: 4096,
  requestSample: 100,
  largeFileBytes: 1024 * 1024 * 1024,
  resumableBytes: 2 * 1024 * 1024 * 1024,
  rescanFiles: 100_000,
  listingNodes: 100_000,
  latencyEdits: 200,
  latencyTreeFiles: 1_000,
  daemonFiles: 100_000,
  idleSeconds: 60,
  scaleMin: 10_000,
  scaleMax: 100_000,
};

export const QUICK: Sizes = {
  smallFiles: 100,
  smallFileBytes: 4096,
  requestSample: 5,
  largeFileBytes: 8 * 1024 * 1024,
  resumableBytes: 16 * 1024 * 1024,
  rescanFiles: 2_000,
  listingNodes: 2_000,
  latencyEdits: 4,
  latencyTreeFiles: 50,
  daemonFiles: 2_000,
  idleSeconds: 3,
  scaleMin: 200,
  scaleMax: 2_000,
};

export interface BenchContext {
  quick: boolean;
  sizes: Sizes;
  /** A folder of its own for this benchmark, removed by the runner afterwards. */
  work: string;
  /** Parallel streams for every bulk transfer (vosync, plain HTTP and CADC's vsync alike). */
  streams: number;
  /** CADC's tools, called as `$VSYNC_CMD BASE_URL TOKEN vsync|vcp ARGS…`; undefined = not measured. */
  vsyncCmd?: string[];
  log(message: string): void;
}

/** A client for alice against a bench server, with its own registry cache. */
export function benchClient(registryUrl: string, cacheDir: string, connections = 16): Client {
  return new Client({
    registryUrl,
    cacheDir,
    credentials: { kind: 'token', token: TOKEN },
    connections,
  });
}

/** A pair as the daemon would read it from a config file. */
export function pairConfig(name: string, local: string, remote: string): PairConfig {
  return pairFromConfig(name, local, remote, { mode: 'two-way' });
}

/**
 * Writes nodes straight into a server's metadata store (SQLite, WAL, so the running server sees them at
 * once): folders and DataNodes with the files' sizes and MD5s but no bytes. Used where only listings and
 * comparisons are measured, so seeding 100,000 nodes takes a second instead of a bulk upload.
 */
export function seedNodes(
  dataDir: string,
  service: ServiceName,
  parent: string,
  dirs: string[],
  files: TreeFile[],
  owner: string,
  now = Date.now(),
): void {
  const store = new NodeStore(dataDir);
  try {
    const props = { 'ivo://cadc.nrc.ca/vospace/core#ispublic': 'false' };
    const made = new Set<string>();
    const container = (p: string) => {
      if (made.has(p) || store.get(service, p)) return;
      made.add(p);
      store.insert({
        service,
        path: p,
        name: p.slice(p.lastIndexOf('/') + 1),
        type: 'ContainerNode',
        owner,
        props,
        length: 0,
        md5: null,
        date: now,
        contentDate: null,
        blob: null,
        target: null,
      });
    };
    store.transaction(() => {
      const segs = parent.split('/');
      for (let i = 1; i <= segs.length; i++) container(segs.slice(0, i).join('/'));
      for (const d of dirs) {
        const ds = d.split('/');
        for (let i = 1; i <= ds.length; i++) container(`${parent}/${ds.slice(0, i).join('/')}`);
      }
      for (const f of files) {
        const p = `${parent}/${f.rel}`;
        store.insert({
          service,
          path: p,
          name: p.slice(p.lastIndexOf('/') + 1),
          type: 'DataNode',
          owner,
          props,
          length: f.size,
          md5: f.md5,
          date: now,
          contentDate: now,
          blob: null,
          target: null,
        });
      }
    });
  } finally {
    store.close();
  }
}

export function mkdirp(...parts: string[]): string {
  const p = path.join(...parts);
  fs.mkdirSync(p, { recursive: true });
  return p;
}
