/**
 * One sync pair for in-process engine tests: its config parsed from YAML the config writer wrote, its own SQLite
 * index, a clock that moves a second each time it is read, and its remote folder on a real server's client.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseConfigText, type PairConfig } from '../../src/agent/config/index.js';
import { configYaml } from '../../src/agent/config/write.js';
import type { PairContext } from '../../src/agent/engine/pair-sync.js';
import { vospaceRemote } from '../../src/agent/remote/vospace/connect.js';
import { SyncIndex } from '../../src/agent/store/index-db.js';
import type { Client } from '../../src/vospace/client.js';

/**
 * A pair as the daemon reads it from a config file holding only that pair; `settings` are further keys of the
 * pair (`mode`, `conflict`, `nameEncoding`, …) spelled as in the file.
 */
export function pairConfig(
  name: string,
  local: string,
  remote: string,
  settings: Record<string, unknown> = {},
): PairConfig {
  const text = configYaml({ pairs: [{ name, local, remote, ...settings }] });
  return parseConfigText(text, `${name}.yaml`).pairs[0]!;
}

export interface PairFixtureSpec {
  name: string;
  /** The local folder; made if missing. */
  local: string;
  /** The remote folder's URI (`vos:alice/…`). */
  remote: string;
  settings?: Record<string, unknown>;
  indexFile: string;
  client: Client;
  /** The clock's first reading, less a second. */
  clockStart: number;
  host: string;
  concurrency: number;
}

export interface PairFixture {
  local: string;
  /** The remote folder's URI. */
  remote: string;
  index: SyncIndex;
  ctx: PairContext;
  /** Moves the pair's clock on. */
  advance(ms: number): void;
  /** Writes a file below the local folder, making its folders. */
  write(rel: string, content: string): void;
}

export function openPair(spec: PairFixtureSpec): PairFixture {
  fs.mkdirSync(spec.local, { recursive: true });
  const pair = pairConfig(spec.name, spec.local, spec.remote, spec.settings);
  const index = SyncIndex.open(spec.indexFile);
  let clock = spec.clockStart;
  return {
    local: spec.local,
    remote: spec.remote,
    index,
    ctx: {
      pair,
      remote: vospaceRemote(spec.client, pair),
      index,
      now: () => (clock += 1000),
      host: spec.host,
      concurrency: spec.concurrency,
      caseInsensitiveLocal: false,
    },
    advance: (ms) => {
      clock += ms;
    },
    write: (rel, content) => {
      const file = path.join(spec.local, rel);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
    },
  };
}
