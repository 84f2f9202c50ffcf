/**
 * Two machines, one remote folder, as real processes: two `vosync daemon`s (each its own config, state,
 * folder and machine name) sharing one folder of a real `vosync serve`, on Vault and on ARC. The cases of the
 * two-machine issue — names people use (NFD and 250-byte names too), the same file written on both machines
 * at once, a file that keeps growing while it uploads, a node still being uploaded elsewhere — each ending
 * with both folders byte-identical (conflict copies included) and `vosync once` on each finding nothing to do.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { once, startDaemonProc, startWorld, writeConfig, type DaemonProc, type E2eWorld } from './harness.js';

let world: E2eWorld;

beforeAll(async () => {
  world = await startWorld('vosync-e2e-two-');
});

afterAll(async () => {
  await world?.close();
});

/** Every file below a folder with its bytes (NFC names), the pair's private folder left out. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, rel: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (rel === '' && e.name === '.vosync') continue;
      const r = (rel ? `${rel}/${e.name}` : e.name).normalize('NFC');
      if (e.isDirectory()) walk(path.join(dir, e.name), r);
      else out[r] = fs.readFileSync(path.join(dir, e.name)).toString('base64');
    }
  };
  walk(root, '');
  return out;
}

async function until<T>(what: string, check: () => T | undefined | false, timeoutMs = 45_000): Promise<T> {
  const start = Date.now();
  let last: T | undefined | false;
  while (Date.now() - start < timeoutMs) {
    last = check();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Both folders hold the same files and bytes, and the condition holds. */
function identical(a: string, b: string, cond: (files: Record<string, string>) => boolean) {
  return () => {
    const x = snapshot(a);
    return JSON.stringify(x) === JSON.stringify(snapshot(b)) && cond(x) ? x : undefined;
  };
}

const text = (files: Record<string, string>, p: string) =>
  files[p] === undefined ? undefined : Buffer.from(files[p]!, 'base64').toString('utf8');

interface Machine {
  dir: string;
  local: string;
  config: string;
  daemon: DaemonProc;
}

for (const remote of ['vos:alice/two-machines', 'arc:home/alice/two-machines']) {
  describe(`two daemons on ${remote}`, () => {
    let a: Machine;
    let b: Machine;

    beforeAll(async () => {
      const tag = remote.startsWith('vos') ? 'vault' : 'arc';
      const start = async (host: string): Promise<Machine> => {
        const dir = path.join(world.tmp, `${tag}-${host}`);
        const local = path.join(dir, 'folder');
        fs.mkdirSync(local, { recursive: true });
        const config = writeConfig(dir, world.server.baseUrl, [{ name: 'shared', local, remote }], {
          remotePoll: '*/2 * * * * *',
        });
        return { dir, local, config, daemon: await startDaemonProc(config, dir, { VOSYNC_HOST: host }) };
      };
      a = await start('laptop');
      b = await start('desk');
    });

    afterAll(async () => {
      await a?.daemon.kill('SIGKILL');
      await b?.daemon.kill('SIGKILL');
    });

    it('syncs every name people use, both ways', async () => {
      const names = [
        'My Paper draft.pdf',
        'data [1].fits',
        '50% done.txt',
        'notes (v2).md',
        'a#b.txt',
        'Amélie.txt',
        `${'x'.repeat(250)}.txt`,
      ];
      for (const n of names) fs.writeFileSync(path.join(a.local, n), `from the laptop: ${n}`);
      // Written decomposed, as macOS does: one name with its composed spelling.
      fs.writeFileSync(path.join(a.local, 'Cafe\u0301.txt'), 'decomposed');
      fs.writeFileSync(path.join(b.local, 'sub dir [b].txt'), 'from the desk');
      const files = await until(
        'both folders to hold every name',
        identical(a.local, b.local, (f) => Object.keys(f).length === names.length + 2),
      );
      expect(text(files, 'Café.txt')).toBe('decomposed');
      expect(text(files, 'sub dir [b].txt')).toBe('from the desk');
    });

    it('keeps both versions of a file written on both machines at the same moment', async () => {
      fs.writeFileSync(path.join(a.local, 'f.txt'), 'A\n');
      await until(
        'f.txt on both',
        identical(a.local, b.local, (f) => text(f, 'f.txt') === 'A\n'),
      );
      fs.appendFileSync(path.join(a.local, 'f.txt'), 'from the laptop\n');
      fs.appendFileSync(path.join(b.local, 'f.txt'), 'from the desk\n');
      const files = await until(
        'both versions on both machines',
        identical(a.local, b.local, (f) => {
          const versions = Object.keys(f)
            .filter((p) => p === 'f.txt' || p.startsWith('f.conflict-'))
            .map((p) => text(f, p))
            .sort();
          return JSON.stringify(versions) === JSON.stringify(['A\nfrom the desk\n', 'A\nfrom the laptop\n']);
        }),
      );
      expect(Object.keys(files).filter((p) => p.startsWith('f.conflict-'))).toHaveLength(1);
    });

    it('a file that keeps growing while it uploads ends with its last content everywhere, no conflict', async () => {
      const file = path.join(a.local, 'growing.log');
      fs.writeFileSync(file, '');
      const line = 'y'.repeat(64 * 1024) + '\n';
      for (let i = 0; i < 30; i++) {
        fs.appendFileSync(file, `${i} ${line}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const final = fs.readFileSync(file).toString('base64');
      const files = await until(
        'the final content on both',
        identical(a.local, b.local, (f) => f['growing.log'] === final),
      );
      expect(Object.keys(files).filter((p) => p.startsWith('growing.conflict-'))).toEqual([]);
    });

    it('waits for a file another machine is still uploading, and never keeps its empty placeholder', async () => {
      // What the push negotiation leaves on the server before the bytes: an empty, checksum-less node.
      const empty = path.join(world.tmp, 'empty');
      fs.writeFileSync(empty, '');
      await world.client.upload(empty, `${remote}/cube.fits`);
      await new Promise((r) => setTimeout(r, 5000)); // a few remote polls of both daemons
      expect(fs.existsSync(path.join(a.local, 'cube.fits'))).toBe(false);
      expect(fs.existsSync(path.join(b.local, 'cube.fits'))).toBe(false);
      const cube = path.join(world.tmp, 'cube');
      fs.writeFileSync(cube, 'the real cube');
      await world.client.upload(cube, `${remote}/cube.fits`);
      await until(
        'the cube on both',
        identical(a.local, b.local, (f) => text(f, 'cube.fits') === 'the real cube'),
      );
      for (const m of [a, b]) {
        const trash = path.join(m.local, '.vosync', 'trash');
        const trashed = fs.existsSync(trash) ? fs.readdirSync(trash, { recursive: true }).map(String) : [];
        expect(trashed.filter((t) => t.endsWith('cube.fits'))).toEqual([]);
      }
    });

    it('ends with nothing left to do on either machine', async () => {
      await a.daemon.kill('SIGTERM');
      await b.daemon.kill('SIGTERM');
      for (const m of [a, b]) {
        const r = await once(m.config);
        expect(r.out).toMatch(/: 0 action\(s\)/);
        expect(r.code).toBe(0);
      }
      expect(snapshot(a.local)).toEqual(snapshot(b.local));
    });
  });
}
