import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
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

async function blobFrom(store: NodeStore, content: string): Promise<string> {
  const tmp = store.tempPath();
  fs.writeFileSync(tmp, content);
  return store.adoptBlob(tmp);
}

it('keeps the previous blob when the replacing transaction does not commit', async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vosync-store-'));
  const store = new NodeStore(dir);
  const v1 = await blobFrom(store, 'one');
  store.insert(dataNode(v1));
  const v2 = await blobFrom(store, 'two');
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

it('commits uploads finishing together in one transaction, each in its own savepoint', async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vosync-store-'));
  const store = new NodeStore(dir);
  const v1 = await blobFrom(store, 'one');
  store.insert(dataNode(v1));
  const [v2, v3] = [await blobFrom(store, 'two'), await blobFrom(store, 'three')];
  const y = { ...dataNode(null), path: 'alice/y', name: 'y' };
  const replaced = store.commitSoon(() => store.replaceData(store.get('vault', 'alice/x')!, v2, 3, null, 1));
  const refused = store.commitSoon(() => {
    store.replaceData(store.get('vault', 'alice/x')!, v3, 5, null, 2);
    throw new Error('over quota');
  });
  const created = store.commitSoon(() => store.insert(y));
  // Nothing is visible, and no old blob gone, before the shared commit.
  expect(store.get('vault', 'alice/y')).toBeUndefined();
  await expect(replaced).resolves.toMatchObject({ blob: v2 });
  await expect(refused).rejects.toThrow('over quota');
  await created;
  expect(store.get('vault', 'alice/x')!.blob).toBe(v2);
  expect(store.get('vault', 'alice/y')).toBeDefined();
  // The committed replacement's old blob is unlinked once the commit is durable; the refused one's is not.
  expect(fs.existsSync(store.blobPath(v1))).toBe(false);
  expect(fs.readFileSync(store.blobPath(v3), 'utf8')).toBe('three');
  store.close();
});

it('lists a folder in storage order, page by page, from an index added to older data directories', () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vosync-store-'));
  const file = path.join(dir, 'nodes.sqlite');
  // A data directory of the previous schema: without the index of children in storage order.
  new NodeStore(dir).close();
  const old = new Database(file);
  old.exec('DROP INDEX nodes_by_parent_position; PRAGMA user_version = 2;');
  old.close();
  const store = new NodeStore(dir);
  const child = (folder: string, name: string): NodeRecord => ({
    ...dataNode(null),
    service: 'arc',
    path: `${folder}/${name}`,
    name,
  });
  // Two folders' children interleaved, in reverse name order, one deleted: pages follow storage order.
  for (let i = 9; i >= 0; i--) {
    store.insert(child('a', `n${i}`));
    store.insert(child('b', `n${i}`));
  }
  store.delete(child('a', 'n5'));
  const names: string[] = [];
  let after = 0;
  for (;;) {
    const page = store.childrenByInsertion('arc', 'a', after, 4);
    names.push(...page.map((c) => c.node.name));
    if (page.length < 4) break;
    after = page[page.length - 1]!.position;
  }
  expect(names).toEqual(['n9', 'n8', 'n7', 'n6', 'n4', 'n3', 'n2', 'n1', 'n0']);
  store.close();
  const db = new Database(file, { readonly: true });
  const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").pluck().all();
  expect(indexes).toContain('nodes_by_parent_position');
  expect(db.pragma('user_version', { simple: true })).toBe(3);
  db.close();
});
