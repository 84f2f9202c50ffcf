/**
 * Transfers in flight for the live list of the status page. The executor reports an action only when it has
 * finished, so the daemon hands each cycle a view of its client that notices transfers starting: an upload
 * is `client.upload(file, node)`, a download starts with the executor's `client.endpoints(node)` call
 * (calls the client makes on itself are not seen: its methods run bound to the real client). A download's
 * progress is the size of its temp file; an upload's comes from the client's progress callback. Every
 * transfer ends when its action is reported, and at the latest when the cycle ends.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '../../vospace/client.js';
import type { NodeLocation } from '../../vospace/location.js';
import { decodePath } from '../../vospace/names.js';
import { tempPathFor } from '../../vospace/transfer.js';
import { namesOf } from '../pair-sync.js';
import type { PairConfig } from '../config.js';
import type { StatusStore } from '../status.js';

export interface TrackingOptions {
  pair: PairConfig;
  status: StatusStore;
  now: () => number;
  /** The remote size of a path from the index, for downloads. */
  remoteSize: (rel: string) => number | null;
}

/** The local `rel` (node names mapped back) of a node inside the pair's remote root, or undefined. */
function relOfNode(pair: PairConfig, loc: NodeLocation): string | undefined {
  const root = pair.location.path.replace(/\/+$/, '');
  const p = loc.path.replace(/\/+$/, '');
  const remoteRel =
    root === '' && p !== '' ? p : p.startsWith(root + '/') ? p.slice(root.length + 1) : undefined;
  return remoteRel === undefined ? undefined : decodePath(remoteRel, namesOf(pair));
}

function relOfFile(pair: PairConfig, file: string): string | undefined {
  const r = path.relative(pair.local, file);
  if (r === '' || r.startsWith('..') || path.isAbsolute(r)) return undefined;
  return r.split(path.sep).join('/');
}

/** Bytes written so far into a download's temp file (named after the destination) in its folder. */
export function tempFileProbe(dest: string): () => number | null {
  const dir = path.dirname(dest);
  // The temp name of any part-file suffix, minus the suffix: long names are hashed (tempPathFor).
  const prefix = path.basename(tempPathFor(dest, ''));
  return () => {
    let best: number | null = null;
    for (const name of fs.readdirSync(dir)) {
      if (!name.startsWith(prefix)) continue;
      const size = fs.statSync(path.join(dir, name)).size;
      best = Math.max(best ?? 0, size);
    }
    return best;
  };
}

export function trackingClient(client: Client, o: TrackingOptions): Client {
  const name = o.pair.name;
  const locationOf = (target: string | NodeLocation): NodeLocation | undefined => {
    try {
      return client.location(target);
    } catch {
      return undefined;
    }
  };
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === 'upload') {
        const upload: Client['upload'] = async (file, node, opts) => {
          const rel = relOfFile(o.pair, file);
          let sent: number | null = null;
          if (rel !== undefined) {
            let size: number | null = null;
            try {
              size = fs.statSync(file).size;
            } catch {
              size = null;
            }
            o.status.beginTransfer(
              { pair: name, path: rel, direction: 'up', size, startedAt: o.now() },
              () => sent,
            );
          }
          try {
            return await target.upload(file, node, {
              ...opts,
              onProgress: (done, total) => {
                sent = done;
                opts?.onProgress?.(done, total);
              },
            });
          } finally {
            if (rel !== undefined) o.status.endTransfer(name, rel);
          }
        };
        return upload;
      }
      if (prop === 'endpoints') {
        const endpoints: Client['endpoints'] = (loc) => {
          const l = locationOf(loc);
          const rel = l ? relOfNode(o.pair, l) : undefined;
          if (rel !== undefined) {
            const dest = path.join(o.pair.local, ...rel.split('/'));
            o.status.beginTransfer(
              { pair: name, path: rel, direction: 'down', size: o.remoteSize(rel), startedAt: o.now() },
              tempFileProbe(dest),
            );
          }
          return target.endpoints(loc);
        };
        return endpoints;
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
