import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelopeOf, json, startHarness, writeFiles, type Harness } from './helpers.js';

let h: Harness;

interface SyncDoc {
  sent: number;
  wouldSend: number;
  skipped: number;
  failed: number;
  hashed: number;
  bytes: number;
  summary: string;
  files: { path: string; destination: string; action: string; error?: string }[];
}

beforeAll(async () => {
  h = await startHarness('sync');
});

afterAll(async () => {
  await h.close();
});

/** `n` small files in a few nested directories. */
function makeTree(root: string, n: number): void {
  const files: Record<string, string> = {};
  for (let i = 0; i < n; i++) files[`d${i % 4}/${i % 3 === 0 ? 'deep/' : ''}f${i}.txt`] = `file ${i}\n`;
  writeFiles(root, files);
}

for (const area of ['vos:alice', 'arc:home/alice']) {
  describe(`sync with ${area}`, () => {
    const tag = area.startsWith('vos') ? 'vault' : 'arc';
    const dest = `${area}/synced`;
    // ~300 files on Vault (the scale test, scaled down); fewer on ARC to keep the suite quick.
    const n = tag === 'vault' ? 300 : 120;

    it(`uploads ${n} files, then a second run sends and hashes nothing`, async () => {
      const src = path.join(h.work, `${tag}-tree`);
      makeTree(src, n);
      const first = await h.run(['sync', '--json', '-j', '8', `${tag}-tree/`, dest]);
      expect(first.code, first.stderr).toBe(0);
      const a = json<SyncDoc>(first);
      // New files are read once, to send them: their MD5 comes from the bytes sent, not from a hashing pass.
      expect(a).toMatchObject({ sent: n, skipped: 0, failed: 0, hashed: 0 });
      const listing = await h.run(['ls', `${dest}/d1/deep`]);
      expect(listing.stdout.split('\n').filter(Boolean)).toHaveLength(n / 12);
      expect((await h.run(['cat', `${dest}/d2/f2.txt`])).stdout).toBe('file 2\n');

      const second = json<SyncDoc>(await h.run(['sync', '--json', `${tag}-tree/`, dest]));
      expect(second).toMatchObject({ sent: 0, skipped: n, failed: 0, hashed: 0 });

      fs.writeFileSync(path.join(src, 'd0/f4.txt'), 'changed\n');
      writeFiles(src, { 'd3/new.txt': 'new' });
      const third = await h.run(['sync', `${tag}-tree/`, dest]);
      expect(third.code).toBe(0);
      expect(third.stdout).toMatch(
        new RegExp(`^sent 2 files \\([\\d.]+ MB at [\\d.]+ MB/s\\), skipped ${n - 1}, failed 0\\n$`),
      );
      expect((await h.run(['cat', `${dest}/d0/f4.txt`])).stdout).toBe('changed\n');

      // New files cost two requests each (transfer negotiation, bytes): the listings already said they are new.
      const fresh = path.join(h.work, `${tag}-fresh`);
      writeFiles(fresh, { 'd/first.txt': 'first' });
      expect((await h.run(['sync', `${tag}-fresh/`, `${area}/fresh`])).code).toBe(0);
      const more: Record<string, string> = {};
      for (let i = 0; i < 20; i++) more[`d/more${i}.txt`] = `more ${i}`;
      writeFiles(fresh, more);
      h.srv.faults.disable(); // resets the request count
      const again = json<SyncDoc>(await h.run(['sync', '--json', `${tag}-fresh/`, `${area}/fresh`]));
      expect(again).toMatchObject({ sent: 20, failed: 0 });
      const requests = h.srv.faults.stats.requests;
      // 40 for the files, plus discovery and the two folders' listings.
      expect(requests).toBeGreaterThanOrEqual(40);
      expect(requests).toBeLessThan(50);

      // Downloads take the node from the listing too: the bytes only (Vault: its /files redirect, then storage).
      h.srv.faults.disable();
      const down = json<SyncDoc>(await h.run(['sync', '--json', `${area}/fresh/`, `${tag}-fresh-down`]));
      expect(down).toMatchObject({ sent: 21, failed: 0 });
      const perFile = tag === 'vault' ? 2 : 1;
      expect(h.srv.faults.stats.requests).toBeGreaterThanOrEqual(21 * perFile);
      expect(h.srv.faults.stats.requests).toBeLessThan(21 * perFile + 10);
    });

    it('downloads a tree, and a second run receives nothing', async () => {
      const first = json<SyncDoc>(await h.run(['sync', '--json', `${dest}/`, `${tag}-down`]));
      expect(first).toMatchObject({ sent: n + 1, failed: 0 });
      expect(fs.readFileSync(path.join(h.work, `${tag}-down/d0/f4.txt`), 'utf8')).toBe('changed\n');
      const second = json<SyncDoc>(await h.run(['sync', '--json', `${dest}/`, `${tag}-down`]));
      expect(second).toMatchObject({ sent: 0, skipped: n + 1, hashed: 0 });
      // Without a trailing slash the source directory itself is created inside DEST.
      const named = await h.run(['sync', `${dest}/d1`, `${tag}-down2`]);
      expect(named.code).toBe(0);
      expect(fs.existsSync(path.join(h.work, `${tag}-down2/d1/f1.txt`))).toBe(true);
    });

    it('honours --exclude/--include and --dry-run', async () => {
      writeFiles(h.work, {
        [`${tag}-mixed/a.fits`]: 'a',
        [`${tag}-mixed/b.log`]: 'b',
        [`${tag}-mixed/tmp/c.fits`]: 'c',
        [`${tag}-mixed/keep.txt`]: 'k',
      });
      const dry = await h.run([
        'sync',
        '--dry-run',
        '--exclude',
        '*.log,tmp/',
        `${tag}-mixed`,
        `${area}/mixed`,
      ]);
      expect(dry.code).toBe(0);
      expect(dry.stdout).toContain(`would copy ${tag}-mixed/a.fits -> ${area}/mixed/${tag}-mixed/a.fits\n`);
      expect(dry.stdout).not.toContain('b.log');
      expect(dry.stdout).not.toContain('c.fits');
      expect(dry.stdout).toContain('would copy 2 files, skipped 0, failed 0');
      expect((await h.run(['ls', `${area}/mixed`])).code).toBe(2);

      const inc = json<SyncDoc>(
        await h.run(['sync', '--json', '--include', '*.fits', `${tag}-mixed`, `${area}/mixed`]),
      );
      expect(inc.sent).toBe(2);
      const names = (await h.run(['ls', '-R', `${area}/mixed`])).stdout;
      expect(names).toContain('a.fits');
      expect(names).toContain('c.fits');
      expect(names).not.toContain('keep.txt');
      expect(names).not.toContain('b.log');
    });

    it('reports failed files by name, still sends the rest, and exits 1', async () => {
      // Too long for the server once its spaces are mapped (~20 each).
      const badName = `${'has space'.repeat(26)}.txt`;
      writeFiles(h.work, {
        [`${tag}-bad/ok1.txt`]: '1',
        [`${tag}-bad/${badName}`]: 'x',
        [`${tag}-bad/ok2.txt`]: '2',
        [`${tag}-bad/clash/inner.txt`]: 'i',
      });
      await h.run(['mkdir', '-p', `${area}/bad`]);
      // A remote file where the local tree has a directory.
      writeFiles(h.work, { 'clash-file': 'f' });
      await h.run(['cp', 'clash-file', `${area}/bad/clash`]);
      const r = await h.run(['sync', '--json', `${tag}-bad/`, `${area}/bad`]);
      expect(r.code).toBe(1);
      const doc = json<SyncDoc>(r);
      expect(doc).toMatchObject({ sent: 2, failed: 3 });
      expect(envelopeOf(r)).toMatchObject({ ok: false, command: 'sync', exitCode: 1 });
      const failed = doc.files.filter((f) => f.action === 'failed').map((f) => f.path);
      expect(failed).toContain(`${tag}-bad/${badName}`);
      expect(failed).toContain(`${tag}-bad/clash`);
      expect(failed).toContain(`${tag}-bad/clash/inner.txt`);
      expect(r.stderr).toContain(`${badName}: cannot be stored in VOSpace`);
      const text = await h.run(['sync', `${tag}-bad/`, `${area}/bad`]);
      expect(text.code).toBe(1);
      expect(text.stdout).toMatch(/sent 0 files .*, skipped 2, failed 3\n$/);
    });
  });
}

describe('sync options and safety', () => {
  it('limits streams like vsync and refuses mixed directions', async () => {
    const many = await h.run(['sync', '-n', '31', 'x', 'vos:alice/x']);
    expect(many.code).toBe(22);
    expect(many.stderr).toContain('Maximum of 30 streams exceeded');
    expect((await h.run(['sync', 'a', 'b'])).code).toBe(22);
    expect((await h.run(['sync', 'vos:alice/a', 'vos:alice/b'])).code).toBe(22);
  });

  it('keeps the MD5 cache where --cache_filename says, and --ignore-checksum decides without hashing', async () => {
    writeFiles(h.work, { 'cached/a.txt': 'aaa', 'cached/b.txt': 'bbb' });
    const db = path.join(h.tmp, 'my-cache.db');
    const first = json<SyncDoc>(
      await h.run(['sync', '--json', '--cache_filename', db, 'cached', 'vos:alice/cachetest']),
    );
    expect(first).toMatchObject({ sent: 2, hashed: 0 });
    expect(fs.existsSync(db)).toBe(true);
    // The MD5s of the bytes sent are in that cache: the same run again reads nothing.
    const cached = json<SyncDoc>(
      await h.run(['sync', '--json', '--cache_filename', db, 'cached', 'vos:alice/cachetest']),
    );
    expect(cached).toMatchObject({ sent: 0, skipped: 2, hashed: 0 });
    const noSum = json<SyncDoc>(
      await h.run([
        'sync',
        '--json',
        '--ignore-checksum',
        '--cache_filename',
        path.join(h.tmp, 'other.db'),
        'cached',
        'vos:alice/cachetest',
      ]),
    );
    expect(noSum).toMatchObject({ sent: 0, skipped: 2, hashed: 0 });
    const overwrite = json<SyncDoc>(
      await h.run(['sync', '--json', '--overwrite', '--cache_filename', db, 'cached', 'vos:alice/cachetest']),
    );
    // --overwrite skips vosync's own checks; the library still avoids re-sending identical bytes.
    expect(overwrite.failed).toBe(0);
    expect(overwrite.hashed).toBe(0);
  });

  it('the vsync alias takes --include as a regular expression', async () => {
    writeFiles(h.work, { 'rx/a1.fits': '1', 'rx/a2.txt': '2', 'rx/b3.fits': '3' });
    const r = await h.run(['--include', '^.*/a\\d\\.fits$', '--json', 'rx/', 'vos:alice/rx'], {
      alias: 'vsync',
    });
    expect(r.code, r.stderr).toBe(0);
    expect(json<SyncDoc>(r).sent).toBe(1);
    expect((await h.run(['ls', 'vos:alice/rx'])).stdout).toBe('a1.fits\n');
  });
});
