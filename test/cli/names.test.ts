/**
 * The name mapping in the command-line tools: `cp`, `sync` and `ls` store names CADC cannot hold as `~HH`
 * escapes and show and copy them back under their own names; `--raw-names` turns the mapping off.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, writeFiles, type Harness } from './helpers.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness('names');
});

afterAll(async () => {
  await h.close();
});

for (const area of ['vos:alice', 'arc:home/alice']) {
  describe(`mapped names on ${area}`, () => {
    const base = `${area}/names`;
    const tag = area.startsWith('vos') ? 'vault' : 'arc';

    it('cp up and down, ls and sync keep the names people use', async () => {
      const up = path.join(h.work, `${tag}-up`);
      writeFiles(up, {
        'My Paper draft.pdf': 'paper',
        'data [1].fits': 'fits',
        'sub dir/50% done.txt': 'half',
      });
      expect((await h.run(['mkdir', '-p', base])).code).toBe(0);
      const cp = await h.run(['cp', path.join(up, 'My Paper draft.pdf'), `${base}/`]);
      expect(cp.stderr).toBe('');
      expect(cp.code).toBe(0);
      // The user may name the node as the file is called: the argument is mapped too.
      expect((await h.run(['cp', path.join(up, 'data [1].fits'), `${base}/data [1].fits`])).code).toBe(0);
      const ls = await h.run(['ls', base]);
      expect(ls.stdout.split('\n').filter(Boolean).sort()).toEqual(['My Paper draft.pdf', 'data [1].fits']);
      const raw = await h.run(['ls', '--raw-names', base]);
      expect(raw.stdout.split('\n').filter(Boolean).sort()).toEqual([
        'My~20Paper~20draft.pdf',
        'data~20~5B1~5D.fits',
      ]);

      const sync = await h.run(['sync', path.join(up, 'sub dir'), `${base}/`]);
      expect(sync.code).toBe(0);
      expect((await h.run(['ls', '--raw-names', `${base}/sub~20dir`])).stdout.trim()).toBe(
        '50~25~20done.txt',
      );

      const down = path.join(h.work, `${tag}-down`);
      fs.mkdirSync(down, { recursive: true });
      expect((await h.run(['cp', `${base}/My~20Paper~20draft.pdf`, down])).code).toBe(0);
      expect((await h.run(['cp', `${base}/sub dir`, down])).code).toBe(0);
      expect(fs.readFileSync(path.join(down, 'My Paper draft.pdf'), 'utf8')).toBe('paper');
      expect(fs.readFileSync(path.join(down, 'sub dir', '50% done.txt'), 'utf8')).toBe('half');
    });

    it('with --raw-names a name the server cannot store is refused with the reason', async () => {
      const up = path.join(h.work, `${tag}-raw`);
      writeFiles(up, { 'with space.txt': 'x' });
      const r = await h.run(['cp', '--raw-names', path.join(up, 'with space.txt'), `${base}/`]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/space/);
    });
  });
}
