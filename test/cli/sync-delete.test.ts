/**
 * `vosync sync --delete`: what DEST has and the source has not goes to DEST/.vosync-trash/STAMP/ (a
 * server-side move on the server), never deleted outright; excluded paths stay; a dry run lists and moves
 * nothing; a run with failures or an empty source deletes nothing. Both directions, real server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startHarness, writeFiles, type Harness } from './helpers.js';
import type { Ctx } from '../../src/cli/common.js';
import { moveToTrash, type Extra } from '../../src/cli/sync-delete.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness('sync-delete');
});

afterAll(async () => {
  await h.close();
});

interface Doc {
  sent: number;
  deleted?: { path: string; keptAt: string | null }[];
}

const names = async (remote: string) =>
  (await h.run(['ls', remote])).stdout.split('\n').filter(Boolean).sort();

describe('sync --delete, local → server', () => {
  const area = 'vos:alice/mirror-up';

  it('moves what the source lacks to the trash on the server, keeping excluded files and the bytes', async () => {
    writeFiles(h.work, { 'up/a.txt': 'a', 'up/sub/c.txt': 'c' });
    writeFiles(h.work, {
      'old/extra.txt': 'extra bytes',
      'old/sub/old.txt': 'old',
      'old/gone/x.txt': 'x',
      'old/keep.tmp': 't',
    });
    expect((await h.run(['sync', 'old/', area])).code).toBe(0);

    const dry = await h.run(['sync', '--delete', '--dry-run', '--exclude', '*.tmp', 'up/', area]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`would delete ${area}/extra.txt (to .vosync-trash/)`);
    expect(dry.stdout).toContain(`would delete ${area}/gone (to .vosync-trash/)`);
    expect(dry.stdout).toMatch(/, would delete 3 \(to the trash\)\n$/);
    expect(await names(area)).toEqual(['extra.txt', 'gone', 'keep.tmp', 'sub']);

    const r = await h.run(['sync', '--json', '--delete', '--exclude', '*.tmp', 'up/', area]);
    expect(r.code, r.stderr).toBe(0);
    const doc = json<Doc>(r);
    expect(doc.sent).toBe(2);
    expect(doc.deleted!.map((d) => d.path).sort()).toEqual([
      `${area}/extra.txt`,
      `${area}/gone`,
      `${area}/sub/old.txt`,
    ]);
    expect(await names(area)).toEqual(['.vosync-trash', 'a.txt', 'keep.tmp', 'sub']);
    expect(await names(`${area}/sub`)).toEqual(['c.txt']);
    const kept = doc.deleted!.find((d) => d.path.endsWith('extra.txt'))!.keptAt!;
    expect(kept).toMatch(new RegExp(`^${area}/\\.vosync-trash/\\d{8}-\\d{6}/extra\\.txt$`));
    expect((await h.run(['cat', kept])).stdout).toBe('extra bytes');
    expect((await h.run(['cat', doc.deleted!.find((d) => d.path.endsWith('old.txt'))!.keptAt!])).stdout).toBe(
      'old',
    );

    // Mirrored: a second run has nothing to delete, and the trash is not "extra".
    const again = json<Doc>(await h.run(['sync', '--json', '--delete', '--exclude', '*.tmp', 'up/', area]));
    expect(again.deleted).toEqual([]);
  });

  it('deletes nothing when a file failed, or when the source is empty', async () => {
    writeFiles(h.work, { 'bad/ok.txt': 'ok', 'bad/has space.txt': 's' });
    writeFiles(h.work, { 'prev/other.txt': 'o' });
    const raw = 'vos:alice/mirror-bad';
    await h.run(['sync', 'prev/', raw]);
    const r = await h.run(['sync', '--raw-names', '--delete', 'bad/', raw]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('nothing deleted, because 1 file(s) failed');
    expect(await names(raw)).toContain('other.txt');

    fs.mkdirSync(path.join(h.work, 'empty'));
    const e = await h.run(['sync', '--delete', 'empty/', raw]);
    expect(e.code).toBe(22);
    expect(e.stderr).toContain('the source is empty');
    expect(await names(raw)).toContain('other.txt');
  });
});

describe('sync --delete, server → local', () => {
  it('moves what the local folder has and the server has not to DEST/.vosync-trash/STAMP/', async () => {
    writeFiles(h.work, { 'src/k.txt': 'k' });
    await h.run(['sync', 'src/', 'vos:alice/mirror-down']);
    writeFiles(h.work, { 'dest/k.txt': 'k', 'dest/mine.txt': 'my bytes', 'dest/d/deep.txt': 'deep' });
    const r = await h.run(['sync', '--delete', 'vos:alice/mirror-down/', 'dest']);
    expect(r.code, r.stderr).toBe(0);
    const dest = path.join(h.work, 'dest');
    expect(fs.readdirSync(dest).sort()).toEqual(['.vosync-trash', 'k.txt']);
    const [stamp] = fs.readdirSync(path.join(dest, '.vosync-trash'));
    expect(stamp).toMatch(/^\d{8}-\d{6}$/);
    expect(fs.readFileSync(path.join(dest, '.vosync-trash', stamp!, 'mine.txt'), 'utf8')).toBe('my bytes');
    expect(fs.readFileSync(path.join(dest, '.vosync-trash', stamp!, 'd', 'deep.txt'), 'utf8')).toBe('deep');
    expect(r.stdout).toContain(`deleted ${path.join(dest, 'mine.txt')} (kept as `);
  });
});

describe('the trash of sync --delete', () => {
  it('never writes over a version kept under the same name in the same second', async () => {
    const root = fs.mkdtempSync(path.join(h.work, 'same-second-'));
    const ctx = {
      io: { now: () => Date.UTC(2026, 11, 5, 12) },
      log: { info: () => undefined },
    } as unknown as Ctx;
    const extra = (content: string) => {
      fs.writeFileSync(path.join(root, 'x.txt'), content);
      return { root, rel: 'x.txt', path: path.join(root, 'x.txt') } as Extra;
    };
    const first = await moveToTrash(ctx, 'down', [extra('first')]);
    const second = await moveToTrash(ctx, 'down', [extra('second')]);
    expect(second[0]!.keptAt).not.toBe(first[0]!.keptAt);
    expect(fs.readFileSync(first[0]!.keptAt, 'utf8')).toBe('first');
    expect(fs.readFileSync(second[0]!.keptAt, 'utf8')).toBe('second');
  });
});
