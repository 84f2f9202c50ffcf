import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { NodeStore, type NodeRecord } from '../../src/server/store.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function dataNode(blob: string | null): NodeRecord {
  return {
    service: 'vault',
    path: 'alice/x',
    name: 'x',
    type: 'DataNode',
    owner: 'alice',
    props: {},
    length: 3,
    md5: null,
    date: 0,
    contentDate: null,
    blob,
    target: null,
  };
}

function blobFrom(store: NodeStore, content: string): string {
  const tmp = store.tempPath();
  fs.writeFileSync(tmp, content);
  return store.adoptBlob(tmp);
}

it('keeps the previous blob when the replacing transaction does not commit', () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vosync-store-'));
  const store = new NodeStore(dir);
  const v1 = blobFrom(store, 'one');
  store.insert(dataNode(v1));
  const v2 = blobFrom(store, 'two');
  expect(() =>
    store.transaction(() => {
      store.replaceData(store.get('vault', 'alice/x')!, v2, 3, null, 1);
      throw new Error('crash before COMMIT');
    }),
  ).toThrow('crash before COMMIT');
  expect(store.get('vault', 'alice/x')!.blob).toBe(v1);
  expect(fs.readFileSync(store.blobPath(v1), 'utf8')).toBe('one');
  // A committed replacement removes the old bytes, after the commit.
  store.transaction(() => store.replaceData(store.get('vault', 'alice/x')!, v2, 3, null, 2));
  expect(fs.existsSync(store.blobPath(v1))).toBe(false);
  expect(fs.readFileSync(store.blobPath(store.get('vault', 'alice/x')!.blob!), 'utf8')).toBe('two');
  // The orphaned blob of the failed attempt is collected at the next start.
  store.close();
});
