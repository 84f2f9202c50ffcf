import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PairMismatchError, SyncIndex, type Outcome } from '../../src/agent/store/index-db.js';
import type { BaseEntry, LocalEntry, RemoteEntry } from '../../src/agent/model.js';
import { IndexVersionError, MIGRATIONS, SCHEMA_VERSION } from '../../src/agent/store/schema.js';

let dir: string;
let file: string;
let clock: number;
const now = () => clock;
const opened: SyncIndex[] = [];

function open(): SyncIndex {
  const index = SyncIndex.open(file, { now });
  opened.push(index);
  return index;
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vosync-index-'));
  file = path.join(dir, 'index.sqlite');
  clock = 1_700_000_000_000;
});
afterEach(() => {
  for (const index of opened.splice(0)) index.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const local = (p: string, extra: Partial<LocalEntry> = {}): LocalEntry => ({
  path: p,
  kind: 'file',
  size: p.length,
  mtimeMs: 1_600_000_000_123.456,
  ino: 1000 + p.length,
  md5: 'a'.repeat(32),
  ...extra,
});
const remote = (p: string, extra: Partial<RemoteEntry> = {}): RemoteEntry => ({
  path: p,
  kind: 'file',
  size: p.length,
  dateMs: 1_650_000_000_000,
  md5: 'a'.repeat(32),
  ...extra,
});
const base = (p: string, extra: Partial<BaseEntry> = {}): BaseEntry => ({
  path: p,
  kind: 'file',
  size: p.length,
  md5: 'a'.repeat(32),
  localMtimeMs: 1_600_000_000_123.456,
  localIno: 1000 + p.length,
  remoteDateMs: 1_650_000_000_000,
  ...extra,
});
const pairInit = { name: 'data', localRoot: '/home/u/data', remoteUri: 'vos://cadc.nrc.ca~vault/u/data' };

describe('opening', () => {
  it('creates a WAL-mode file at the current schema version', () => {
    open();
    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });

  it('upgrades a file written at an older schema version, keeping its data', () => {
    const raw = new Database(file);
    (MIGRATIONS[0] as (db: Database.Database) => void)(raw);
    raw.pragma('user_version = 1');
    raw
      .prepare('INSERT INTO pairs (name, local_root, remote_uri, created_at) VALUES (?, ?, ?, ?)')
      .run(pairInit.name, pairInit.localRoot, pairInit.remoteUri, 42);
    raw
      .prepare(
        "INSERT INTO local_entries (pair_id, path, kind, size, mtime_ms, ino, md5) VALUES (1, 'a.txt', 'file', 5, 7.5, 9, NULL)",
      )
      .run();
    raw.close();

    const index = open();
    const upgraded = new Database(file, { readonly: true });
    expect(upgraded.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    upgraded.close();
    const pair = index.getPair('data');
    expect(pair).toMatchObject({ id: 1, createdAt: 42, lastLocalScanOkAt: null, firstSyncDone: false });
    expect(index.loadLocalTree(1).get('a.txt')).toEqual({
      path: 'a.txt',
      kind: 'file',
      size: 5,
      mtimeMs: 7.5,
      ino: 9,
    });
    index.setMeta(1, 'cursor', 'abc');
    expect(index.getMeta(1, 'cursor')).toBe('abc');
    // Version 4 dropped the event log that version 2 created.
    const tables = new Database(file, { readonly: true });
    expect(tables.prepare("SELECT name FROM sqlite_master WHERE name LIKE 'events%'").all()).toEqual([]);
    tables.close();
  });

  it('refuses a file from a newer vosync and leaves it untouched', () => {
    const raw = new Database(file);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 3}`);
    raw.close();
    const before = fs.readFileSync(file);
    let error: unknown;
    try {
      open();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(IndexVersionError);
    expect((error as Error).message).toContain(`schema version ${SCHEMA_VERSION + 3}`);
    expect((error as Error).message).toContain('newer vosync');
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
  });

  it('keeps everything across close and reopen', () => {
    let index = open();
    const pair = index.ensurePair(pairInit);
    index.replaceLocalTree(pair.id, [local('a'), local('d', { kind: 'dir', size: 0, md5: undefined })]);
    index.replaceRemoteTree(pair.id, [remote('a')]);
    index.commitOutcome(pair.id, { path: 'a', base: base('a') });
    index.setMeta(pair.id, 'k', 'v');
    index.updatePair(pair.id, { firstSyncDone: true, lastSyncOkAt: 5 });
    const trees = index.loadTrees(pair.id);
    index.close();

    index = open();
    expect(index.loadTrees(pair.id)).toEqual(trees);
    expect(index.getMeta(pair.id, 'k')).toBe('v');
    expect(index.getPair('data')).toMatchObject({ firstSyncDone: true, lastSyncOkAt: 5 });
  });
});

describe('pairs', () => {
  it('creates a pair once and refuses to rebind its name to other folders', () => {
    const index = open();
    const a = index.ensurePair(pairInit);
    expect(a).toMatchObject({ ...pairInit, createdAt: clock, firstSyncDone: false, pausedReason: null });
    clock += 1000;
    expect(index.ensurePair(pairInit)).toEqual(a);
    expect(() => index.ensurePair({ ...pairInit, localRoot: '/mnt/other' })).toThrow(PairMismatchError);
    const b = index.ensurePair({ ...pairInit, name: 'second' });
    expect(index.getPairById(b.id)?.name).toBe('second');

    const updated = index.updatePair(a.id, { pausedReason: 'too many deletions', lastRemotePollOkAt: 77 });
    expect(updated).toMatchObject({
      pausedReason: 'too many deletions',
      lastRemotePollOkAt: 77,
      lastSyncOkAt: null,
    });
    expect(index.updatePair(a.id, { pausedReason: null }).pausedReason).toBeNull();
  });

  it('removes a pair with everything recorded for it', () => {
    const index = open();
    const a = index.ensurePair(pairInit);
    const b = index.ensurePair({ ...pairInit, name: 'b' });
    for (const id of [a.id, b.id]) {
      index.replaceLocalTree(id, [local('x')]);
      index.commitOutcome(id, { path: 'x', base: base('x'), remote: remote('x') });
      index.setMeta(id, 'k', 'v');
    }
    index.removePair(a.id);
    expect(index.getPair('data')).toBeUndefined();
    expect(index.treeCounts(a.id)).toEqual({ local: 0, remote: 0, base: 0 });
    expect(index.listMeta(a.id)).toEqual({});
    expect(index.treeCounts(b.id)).toEqual({ local: 1, remote: 1, base: 1 });
  });
});

describe('trees', () => {
  it('replaces a tree writing only the differences', () => {
    const index = open();
    const { id } = index.ensurePair(pairInit);
    const first = [local('a'), local('b'), local('c', { md5: undefined })];
    expect(index.replaceLocalTree(id, first)).toEqual({ inserted: 3, updated: 0, deleted: 0, unchanged: 0 });
    expect(index.replaceLocalTree(id, first)).toEqual({ inserted: 0, updated: 0, deleted: 0, unchanged: 3 });
    const second = new Map([
      ['a', local('a')],
      ['b', local('b', { md5: 'b'.repeat(32) })],
      ['d', local('d')],
    ]);
    expect(index.replaceLocalTree(id, second)).toEqual({ inserted: 1, updated: 1, deleted: 1, unchanged: 1 });
    expect(index.loadLocalTree(id)).toEqual(second);
    const c = index.loadLocalTree(id).get('a') as LocalEntry;
    expect(c.mtimeMs).toBe(1_600_000_000_123.456); // sub-millisecond mtimes survive
  });

  it('handles 20,000 rows in one replace and diffs them on the next, its cache given back between', () => {
    const index = open();
    const { id } = index.ensurePair(pairInit);
    const entries = new Map<string, LocalEntry>();
    for (let i = 0; i < 20_000; i++) {
      const p = `dir${i % 97}/sub${i % 13}/file-${i}.fits`;
      entries.set(p, local(p, { size: i, ino: i, md5: i.toString(16).padStart(32, '0') }));
    }
    expect(index.replaceLocalTree(id, entries).inserted).toBe(20_000);
    const loaded = index.loadLocalTree(id);
    expect(loaded.size).toBe(20_000);
    expect(loaded).toEqual(entries);
    // What the daemon does after a big cycle: the pages come back from the file as they are needed.
    index.releaseCache();

    const next = new Map(entries);
    const keys = [...entries.keys()];
    for (const p of keys.slice(0, 10)) next.set(p, { ...(entries.get(p) as LocalEntry), size: -1 });
    for (const p of keys.slice(10, 15)) next.delete(p);
    for (let i = 0; i < 3; i++) next.set(`new/${i}`, local(`new/${i}`));
    expect(index.replaceLocalTree(id, next)).toEqual({
      inserted: 3,
      updated: 10,
      deleted: 5,
      unchanged: 20_000 - 15,
    });
    expect(index.loadLocalTree(id)).toEqual(next);
    expect(index.treeCounts(id).local).toBe(20_000 - 5 + 3);
  });

  it('reads and replaces a subtree alone, whatever sorts between a folder and its contents', () => {
    const index = open();
    const { id } = index.ensurePair(pairInit);
    const paths = ['a', 'a/x', 'a/y/z', 'a b', 'a-c', 'a0', 'ab', 'b'];
    index.replaceLocalTree(
      id,
      paths.map((p) => local(p)),
    );
    expect([...index.loadTreesUnder(id, ['a']).local.keys()].sort()).toEqual(['a', 'a/x', 'a/y/z']);
    expect([...index.loadTreesUnder(id, ['a/y', 'b']).local.keys()].sort()).toEqual(['a/y/z', 'b']);
    expect(index.loadTreesUnder(id, ['']).local.size).toBe(paths.length);

    const now = new Map([
      ['a', local('a')],
      ['a/x', local('a/x', { size: 99 })],
      ['a/new', local('a/new')],
    ]);
    expect(index.replaceLocalUnder(id, ['a'], now)).toEqual({
      inserted: 1,
      updated: 1,
      deleted: 1,
      unchanged: 1,
    });
    expect([...index.loadLocalTree(id).keys()].sort()).toEqual([
      'a',
      'a b',
      'a-c',
      'a/new',
      'a/x',
      'a0',
      'ab',
      'b',
    ]);
    expect(index.loadLocalTree(id).get('a/x')?.size).toBe(99);
  });

  it('finds the siblings whose names differ only in letter case, at the top and below', () => {
    const index = open();
    const { id } = index.ensurePair(pairInit);
    index.replaceLocalTree(
      id,
      ['Read.txt', 'read.txt', 'READ.TXT', 'READ.TXT/x', 'ready.txt', 'a/read.txt'].map((p) => local(p)),
    );
    index.replaceRemoteTree(id, [remote('a/READ.txt'), remote('b/read.txt')]);
    expect(index.caseTwins(id, 'read.txt').sort()).toEqual(['READ.TXT', 'Read.txt']);
    expect(index.caseTwins(id, 'a/Read.txt').sort()).toEqual(['a/READ.txt', 'a/read.txt']);
  });

  it('keeps pairs apart and round-trips remote entries', () => {
    const index = open();
    const a = index.ensurePair(pairInit).id;
    const b = index.ensurePair({ ...pairInit, name: 'b' }).id;
    index.replaceRemoteTree(a, [
      remote('x'),
      remote('y', { md5: undefined }),
      remote('z', { kind: 'dir', size: 0 }),
    ]);
    index.replaceRemoteTree(b, [remote('only-b')]);
    expect([...index.loadRemoteTree(a).keys()].sort()).toEqual(['x', 'y', 'z']);
    expect(index.loadRemoteTree(a).get('y')).toEqual({
      path: 'y',
      kind: 'file',
      size: 1,
      dateMs: 1_650_000_000_000,
    });
    expect([...index.loadRemoteTree(b).keys()]).toEqual(['only-b']);
  });
});

describe('outcomes', () => {
  it('records, forgets or leaves each tree as the outcome says', () => {
    const index = open();
    const { id } = index.ensurePair(pairInit);
    index.commitOutcome(id, {
      path: 'f',
      base: base('f'),
      local: local('f'),
      remote: remote('f'),
    });
    expect(index.getEntry(id, 'f')).toEqual({ base: base('f'), local: local('f'), remote: remote('f') });
    // Local deleted and remote deleted: forget base and remote, leave local as scanned.
    index.commitOutcome(id, { path: 'f', base: null, remote: null });
    expect(index.getEntry(id, 'f')).toEqual({ local: local('f') });
    expect(() => index.commitOutcome(id, { path: '/abs', local: local('/abs') })).toThrow(
      /invalid index path/,
    );
  });

  it('writes nothing of a batch that fails midway', () => {
    const index = open();
    const { id } = index.ensurePair(pairInit);
    index.commitOutcome(id, { path: 'keep', base: base('keep') });
    const good: Outcome[] = [
      { path: 'a', base: base('a'), local: local('a'), remote: remote('a') },
      { path: 'keep', base: null },
    ];
    // A mismatched record detected midway...
    expect(() => index.commitOutcomes(id, [...good, { path: 'b', base: base('not-b') }])).toThrow(/not-b/);
    // ...and a constraint the database itself rejects midway.
    const badKind = { ...local('c'), kind: 'link' } as unknown as LocalEntry;
    expect(() => index.commitOutcomes(id, [...good, { path: 'c', local: badKind }])).toThrow(/CHECK/);
    // An exception from the caller's own code inside a transaction.
    expect(() =>
      index.transaction(() => {
        index.commitOutcomes(id, good);
        throw new Error('crash between steps');
      }),
    ).toThrow('crash between steps');

    expect(index.getEntry(id, 'a')).toEqual({});
    expect(index.getEntry(id, 'keep')).toEqual({ base: base('keep') });
    index.close();
    const reopened = open();
    expect(reopened.getEntry(id, 'a')).toEqual({});
    expect(reopened.treeCounts(id)).toEqual({ local: 0, remote: 0, base: 1 });
  });

  it('keeps every committed outcome whole when the process is killed mid-stream', async () => {
    // A child process commits outcomes in a loop until SIGKILL; what survives must be whole outcomes only.
    const { buildSync } = await import('esbuild');
    const here = path.dirname(fileURLToPath(import.meta.url));
    const bundle = path.join(dir, 'writer.cjs');
    const entry = path.join(dir, 'writer.ts');
    fs.writeFileSync(
      entry,
      `import { SyncIndex } from ${JSON.stringify(path.resolve(here, '../../src/agent/store/index-db.ts'))};
       const index = SyncIndex.open(process.argv[2]);
       const { id } = index.ensurePair({ name: 'p', localRoot: '/l', remoteUri: 'vos://a~b/r' });
       let i = 0;
       for (;;) {
         const batch = [];
         for (let j = 0; j < 20; j++, i++) {
           const path = 'dir/file-' + i;
           const common = { path, kind: 'file', size: i, md5: 'f'.repeat(32) };
           batch.push({ path, base: { ...common, localMtimeMs: i, localIno: i, remoteDateMs: i },
             local: { ...common, mtimeMs: i, ino: i }, remote: { ...common, dateMs: i } });
         }
         index.commitOutcomes(id, batch);
         if (i === 200) process.stdout.write('committed\\n');
       }`,
    );
    buildSync({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile: bundle,
      external: ['better-sqlite3'],
      logLevel: 'error',
    });
    const child = spawn(process.execPath, [bundle, file], {
      env: { ...process.env, NODE_PATH: path.resolve(here, '../../node_modules') },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('committed')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`writer exited early with ${code}`)));
    });
    // Let it run on a little, so the kill lands at an arbitrary point of the loop.
    await new Promise((resolve) => setTimeout(resolve, 50));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));

    const index = open();
    const pair = index.getPair('p');
    expect(pair).toBeDefined();
    const counts = index.treeCounts(pair?.id ?? -1);
    expect(counts.base).toBeGreaterThanOrEqual(200);
    expect(counts.base % 20).toBe(0);
    expect(counts).toEqual({ local: counts.base, remote: counts.base, base: counts.base });
    const trees = index.loadTrees(pair?.id ?? -1);
    for (const p of trees.base.keys()) {
      expect(trees.local.has(p) && trees.remote.has(p), p).toBe(true);
    }
  });
});

describe('meta', () => {
  it('stores per-pair key/value state', () => {
    const index = open();
    const a = index.ensurePair(pairInit).id;
    const b = index.ensurePair({ ...pairInit, name: 'b' }).id;
    index.setMeta(a, 'remoteCursor', '17');
    index.setMeta(a, 'remoteCursor', '18');
    index.setMeta(a, 'marker', 'ok');
    index.setMeta(b, 'marker', 'other');
    expect(index.getMeta(a, 'remoteCursor')).toBe('18');
    expect(index.listMeta(a)).toEqual({ marker: 'ok', remoteCursor: '18' });
    index.setMeta(a, 'marker', null);
    expect(index.getMeta(a, 'marker')).toBeUndefined();
    expect(index.getMeta(b, 'marker')).toBe('other');
  });
});
