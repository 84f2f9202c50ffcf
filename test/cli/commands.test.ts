import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelopeOf, json, startHarness, writeFiles, type Harness } from './helpers.js';
import { md5Hex } from '../../src/util/md5.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness('commands');
});

afterAll(async () => {
  await h.close();
});

const card = (text: string) => text.padEnd(80);
const block = (cards: string[]) => {
  const b = Buffer.alloc(Math.ceil((cards.length * 80) / 2880) * 2880, ' ');
  b.write(cards.join(''), 'latin1');
  return b;
};
const data = (n: number) => Buffer.alloc(Math.ceil(n / 2880) * 2880, 7);

/** A two-HDU FITS file: a 1-D byte image and a 10x10 16-bit image extension. */
function fitsFile(): { bytes: Buffer; headers: string } {
  const primary = [
    card('SIMPLE  =                    T'),
    card('BITPIX  =                    8'),
    card('NAXIS   =                    1'),
    card('NAXIS1  =                 3000 / longer than one block'),
    card('EXTEND  =                    T'),
    card('END'),
  ];
  const ext = [
    card("XTENSION= 'IMAGE   '"),
    card('BITPIX  =                   16'),
    card('NAXIS   =                    2'),
    card('NAXIS1  =                   10'),
    card('NAXIS2  =                   10'),
    card('PCOUNT  =                    0'),
    card('GCOUNT  =                    1'),
    card("OBJECT  = 'M31     '"),
    card('END'),
  ];
  const bytes = Buffer.concat([block(primary), data(3000), block(ext), data(200)]);
  // As CADC's storage lists them for META=true: every card, END included, 80 characters and a newline.
  const headers = [...primary, ...ext].map((c) => `${c}\n`).join('');
  return { bytes, headers };
}

for (const area of ['vos:alice', 'arc:home/alice']) {
  const tag = area.startsWith('vos') ? 'vault' : 'arc';
  describe(`command-line tools on ${area}`, () => {
    const base = `${area}/cli`;
    const local = () => path.join(h.work, tag);

    it('mkdir -p, ls and ls -l / -R / --json', async () => {
      fs.mkdirSync(local(), { recursive: true });
      expect((await h.run(['mkdir', '-p', `${base}/a/b`])).code).toBe(0);
      expect((await h.run(['mkdir', '-p', `${base}/a/b`])).code).toBe(0);
      const dup = await h.run(['mkdir', `${base}/a`]);
      expect(dup.code).toBe(17);
      expect(dup.stderr).toContain(`${base}/a`);
      const missing = await h.run(['mkdir', `${base}/nope/x`]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('nope');

      writeFiles(local(), { 'one.txt': 'one\n', 'two.fits': Buffer.alloc(3000, 1) });
      expect((await h.run(['cp', `${tag}/one.txt`, `${tag}/two.fits`, `${base}/a/`])).code).toBe(0);

      const names = await h.run(['ls', `${base}/a`]);
      expect(names.code).toBe(0);
      expect(names.stdout.split('\n').filter(Boolean).sort()).toEqual(['b', 'one.txt', 'two.fits']);

      const long = await h.run(['ls', '-l', `${base}/a/one.txt`]);
      expect(long.stdout).toMatch(
        /^-rw------- {2}alice {16}NONE {12}NONE {31}4 \w{3} \d\d [ \d]\d[:\d]\d\d? one\.txt\n$/,
      );
      const cols = long.stdout.replace(/\n$/, '');
      expect(cols.slice(73, 86)).toBe('           4 ');
      expect(cols.endsWith(' one.txt')).toBe(true);

      const human = await h.run(['ls', '-lh', `${base}/a/two.fits`]);
      expect(human.stdout.slice(73, 86)).toBe('          3K ');

      const rec = await h.run(['ls', '-R', base]);
      expect(rec.code).toBe(0);
      expect(rec.stdout).toContain(`\n${base}/a:\n`);
      expect(rec.stdout).toContain(`\n${base}/a/b:\n`);

      const listed = await h.run(['ls', '--json', `${base}/a`]);
      expect(envelopeOf(listed)).toMatchObject({ ok: true, command: 'ls', exitCode: 0 });
      const js = json<{
        items: { kind: string; children: { name: string; size: number; md5: string }[] }[];
      }>(listed);
      expect(js.items[0]!.kind).toBe('container');
      const one = js.items[0]!.children.find((c) => c.name === 'one.txt')!;
      expect(one.size).toBe(4);
      expect(one.md5).toBe(md5Hex('one\n'));

      const glob = await h.run(['ls', `${base}/a/*.fits`]);
      expect(glob.stdout).toBe('two.fits\n');
      const noMatch = await h.run(['ls', `${base}/a/*.nothing`]);
      expect(noMatch.code).toBe(2);
      expect(noMatch.stderr).toContain('*.nothing: no match');
    });

    it('cp copies files and directories both ways, with vcp destination rules', async () => {
      writeFiles(local(), {
        'tree/x.txt': 'x',
        'tree/sub/y.txt': 'yy',
        'tree/sub/empty.dat': '',
        'tree/skip.tmp': 'tmp',
      });
      const up = await h.run(['cp', '--exclude', '.tmp', `${tag}/tree`, `${base}/up`]);
      expect(up.code, up.stderr).toBe(0);
      expect((await h.run(['ls', `${base}/up`])).stdout.split('\n').filter(Boolean).sort()).toEqual([
        'sub',
        'x.txt',
      ]);
      // An existing directory receives the source inside it.
      expect((await h.run(['cp', `${tag}/tree`, `${base}/up`])).code).toBe(0);
      expect((await h.run(['ls', `${base}/up/tree/sub`])).stdout).toContain('y.txt');

      const down = await h.run(['cp', '--json', `${base}/up`, `${tag}/back`]);
      expect(down.code, down.stderr).toBe(0);
      const summary = json<{ copied: { destination: string }[]; failed: unknown[] }>(down);
      expect(envelopeOf(down).ok).toBe(true);
      expect(summary.failed).toEqual([]);
      expect(fs.readFileSync(path.join(local(), 'back/sub/y.txt'), 'utf8')).toBe('yy');
      expect(fs.statSync(path.join(local(), 'back/sub/empty.dat')).size).toBe(0);
      expect(fs.readFileSync(path.join(local(), 'back/tree/x.txt'), 'utf8')).toBe('x');

      // File into the current directory, like `vcp vos:…/file ./`.
      const here = path.join(local(), 'here');
      fs.mkdirSync(here);
      expect((await h.run(['cp', `${base}/up/x.txt`, './'], { cwd: here })).code).toBe(0);
      expect(fs.readFileSync(path.join(here, 'x.txt'), 'utf8')).toBe('x');
      // Wildcards in remote sources.
      expect((await h.run(['cp', `${base}/up/sub/*.txt`, here])).code).toBe(0);
      expect(fs.readFileSync(path.join(here, 'y.txt'), 'utf8')).toBe('yy');
    });

    it('cp reports failures naming the file, with documented exit codes', async () => {
      const missing = await h.run(['cp', `${tag}/does-not-exist.txt`, `${base}/`]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('does-not-exist.txt');
      const remoteMissing = await h.run(['cp', `${base}/nothing.txt`, `${tag}/x`]);
      expect(remoteMissing.code).toBe(2);
      expect(remoteMissing.stderr).toContain(`${base}/nothing.txt`);
      const noDir = await h.run(['cp', `${tag}/one.txt`, `${base}/missing-dir/`]);
      expect(noDir.code).toBe(2);
      expect(noDir.stderr).toContain('missing-dir/: no such directory');
      const local2 = await h.run(['cp', `${tag}/one.txt`, `${tag}/copy.txt`]);
      expect(local2.code).toBe(22);
      // Too long for the server once its spaces are mapped (~20 each).
      const badName = `${'bad name'.repeat(30)}.txt`;
      writeFiles(local(), { [badName]: 'x' });
      const bad = await h.run(['cp', `${tag}/${badName}`, `${base}/`]);
      expect(bad.code).toBe(22);
      expect(bad.stderr).toContain('longer than 255 bytes');
      const anon = await h.run(['cp', `${tag}/one.txt`, `${base}/anon.txt`], {
        env: { VOSYNC_TOKEN: undefined, VOSYNC_REGISTRY: h.registry },
      });
      expect(anon.code).toBe(13);
      expect(anon.stderr).toContain('anon.txt');
    });

    it('cp --ignore keeps going and exits 1; -i asks before overwriting', async () => {
      writeFiles(local(), { 'ig/ok.txt': 'ok', 'ig/zz.txt': 'zz' });
      await h.run(['mkdir', `${base}/ig`]);
      await h.run(['mkdir', `${base}/ig/zz.txt`]);
      const r = await h.run([
        'cp',
        '--ignore',
        '--json',
        `${tag}/ig/ok.txt`,
        `${tag}/ig/zz.txt`,
        `${base}/ig`,
      ]);
      expect(r.code).toBe(1);
      const doc = json<{ copied: unknown[]; failed: { source: string }[] }>(r);
      expect(doc.copied).toHaveLength(1);
      expect(doc.failed.map((f) => f.source)).toEqual([`${tag}/ig/zz.txt`]);

      writeFiles(local(), { 'ig/ok.txt': 'changed' });
      const no = await h.run(['cp', '-i', `${tag}/ig/ok.txt`, `${base}/ig/ok.txt`], { stdin: 'n\n' });
      expect(no.code).toBe(0);
      expect(no.stderr).toContain(`File ${base}/ig/ok.txt exists.  Overwrite? (y/n): `);
      expect((await h.run(['cat', `${base}/ig/ok.txt`])).stdout).toBe('ok');
      await h.run(['cp', '-i', `${tag}/ig/ok.txt`, `${base}/ig/ok.txt`], { stdin: 'y\n' });
      expect((await h.run(['cat', `${base}/ig/ok.txt`])).stdout).toBe('changed');
    });

    it('cat writes bytes unchanged and fails for directories and missing nodes', async () => {
      const bytes = Buffer.from([0, 1, 2, 255, 10, 13, 0x80]);
      writeFiles(local(), { 'bin.dat': bytes });
      await h.run(['cp', `${tag}/bin.dat`, `${base}/bin.dat`]);
      const r = await h.run(['cat', `${base}/bin.dat`]);
      expect(r.code).toBe(0);
      expect(r.out.equals(bytes)).toBe(true);
      expect((await h.run(['cat', `${base}/a`])).code).toBe(21);
      const gone = await h.run(['cat', '-q', `${base}/gone`]);
      expect(gone.code).toBe(2);
      expect(gone.stderr).toBe('');
    });

    it('--head copies and prints only the FITS headers of every HDU', async () => {
      const f = fitsFile();
      writeFiles(local(), { 'img.fits': f.bytes });
      expect((await h.run(['cp', `${tag}/img.fits`, `${base}/img.fits`])).code).toBe(0);
      const cat = await h.run(['cat', '--head', `${base}/img.fits`]);
      expect(cat.code, cat.stderr).toBe(0);
      expect(cat.stdout).toBe(f.headers);
      expect((await h.run(['cp', '--head', `${base}/img.fits`, `${tag}/img.hdr`])).code).toBe(0);
      expect(fs.readFileSync(path.join(local(), 'img.hdr'), 'utf8')).toBe(f.headers);
      const notFits = await h.run(['cat', '--head', `${base}/a/one.txt`]);
      expect(notFits.code).toBe(22);
      expect(notFits.stderr).toMatch(/not a FITS file/i);
      expect((await h.run(['cp', '--head', `${tag}/img.fits`, `${base}/x.hdr`])).code).toBe(22);
    });

    it('mv renames and moves into directories; rm, rm -R and rmdir', async () => {
      writeFiles(local(), { 'm.txt': 'move me' });
      await h.run(['cp', `${tag}/m.txt`, `${base}/m.txt`]);
      await h.run(['mkdir', `${base}/mdir`]);
      expect((await h.run(['mv', `${base}/m.txt`, `${base}/m2.txt`])).code).toBe(0);
      expect((await h.run(['mv', `${base}/m2.txt`, `${base}/mdir`])).code).toBe(0);
      expect((await h.run(['cat', `${base}/mdir/m2.txt`])).stdout).toBe('move me');
      expect((await h.run(['mv', `${base}/nothing`, `${base}/mdir`])).code).toBe(2);
      expect((await h.run(['mv', `${tag}/m.txt`, `${base}/mdir`])).code).toBe(22);

      const dirNoR = await h.run(['rm', `${base}/mdir`]);
      expect(dirNoR.code).toBe(21);
      expect(dirNoR.stderr).toContain(`${base}/mdir is a directory`);
      const notEmpty = await h.run(['rmdir', `${base}/mdir`]);
      expect(notEmpty.code).toBe(39);
      expect((await h.run(['rmdir', `${base}/mdir/m2.txt`])).code).toBe(20);
      expect((await h.run(['rm', `${base}/mdir/m2.txt`])).code).toBe(0);
      expect((await h.run(['rmdir', `${base}/mdir`])).code).toBe(0);
      await h.run(['mkdir', '-p', `${base}/deep/er/est`]);
      expect((await h.run(['rm', '-R', `${base}/deep`])).code).toBe(0);
      expect((await h.run(['ls', `${base}/deep`])).code).toBe(2);
      expect((await h.run(['rm', `${base}/deep`])).code).toBe(2);
    });

    it('ln makes links that ls -l shows and cat follows', async () => {
      const r = await h.run(['ln', `${base}/a/one.txt`, `${base}/link1`]);
      expect(r.code, r.stderr).toBe(0);
      const l = await h.run(['ls', '-l', `${base}/link1`]);
      expect(l.stdout).toMatch(
        /^lrw------- {2}.* link1 -> vos:\/\/cadc\.nrc\.ca~(vault|arc)\/.*a\/one\.txt\n$/,
      );
      expect((await h.run(['cat', `${base}/link1`])).stdout).toBe('one\n');
      expect((await h.run(['ln', `${base}/a/one.txt`, `${base}/link1`])).code).toBe(17);
    });

    it('chmod, tag and info change and show properties', async () => {
      const node = `${base}/a/one.txt`;
      expect((await h.run(['chmod', 'o+r', node])).code).toBe(0);
      expect((await h.run(['chmod', 'g+rw', node, 'survey extra', 'survey'])).code).toBe(0);
      const l = await h.run(['ls', '-l', node]);
      expect(l.stdout.startsWith('-rw-rw-r--  alice                survey extra    survey          ')).toBe(
        true,
      );
      expect((await h.run(['chmod', 'g-rw', node])).code).toBe(0);
      expect((await h.run(['chmod', 'o-r', node])).code).toBe(0);
      expect((await h.run(['ls', '-l', node])).stdout.startsWith('-rw-------')).toBe(true);
      expect((await h.run(['chmod', 'g+r', node])).code).toBe(22);

      expect((await h.run(['tag', node, 'description=first file', 'ivo://example.org/p#q=good'])).code).toBe(
        0,
      );
      expect((await h.run(['tag', node, 'description'])).stdout).toBe('first file\n');
      const all = await h.run(['tag', node]);
      expect(all.stdout).toContain('description=first file\n');
      expect(all.stdout).toContain('ivo://example.org/p#q=good\n');
      expect((await h.run(['tag', node, '--remove', 'description'])).code).toBe(0);
      expect((await h.run(['tag', node, 'description'])).code).toBe(2);

      const info = json<{
        results: { ok: boolean; result: { md5: string; kind: string; properties: Record<string, string> } }[];
      }>(await h.run(['info', '--json', node]));
      expect(info.results[0]!.result.md5).toBe(md5Hex('one\n'));
      expect(info.results[0]!.result.properties['ivo://example.org/p#q']).toBe('good');
      const text = await h.run(['info', node]);
      expect(text.stdout).toContain(`location: ${node}\n`);
      expect(text.stdout).toContain('type: file\n');
    });

    it('chmod -R and tag -R reach everything below a directory', async () => {
      expect((await h.run(['chmod', '-R', 'g+r', `${base}/a`, 'survey'])).code).toBe(0);
      const l = await h.run(['ls', '-g', `${base}/a`]);
      for (const line of l.stdout.trim().split('\n')) expect(line.slice(11, 27)).toBe(' survey         ');
      expect((await h.run(['tag', '-R', `${base}/a`, 'ivo://example.org/p#batch=7'])).code).toBe(0);
      expect((await h.run(['tag', `${base}/a/b`, 'ivo://example.org/p#batch'])).stdout).toBe('7\n');
    });
  });
}

describe('locks (Vault honours them)', () => {
  it('lock, report, refuse writes naming the node, unlock', async () => {
    const node = 'vos:alice/cli/locked.txt';
    writeFiles(h.work, { 'locked.txt': 'v1' });
    await h.run(['cp', 'locked.txt', node]);
    expect((await h.run(['lock', node])).code).toBe(1);
    expect((await h.run(['lock', '--lock', node])).code).toBe(0);
    const state = await h.run(['lock', node]);
    expect(state.code).toBe(0);
    expect(state.stdout).toBe(`${node} is locked\n`);
    expect((await h.run(['ls', '-l', node])).stdout.slice(64, 73)).toBe(' LOCKED  ');
    writeFiles(h.work, { 'locked.txt': 'v2' });
    const refused = await h.run(['cp', 'locked.txt', node]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${node} is locked; unlock it first`);
    const rm = await h.run(['rm', node]);
    expect(rm.code).toBe(13);
    expect((await h.run(['lock', '--unlock', node])).code).toBe(0);
    expect((await h.run(['cp', 'locked.txt', node])).code).toBe(0);
    expect((await h.run(['lock', '--json', node])).stdout).toContain('"locked": false');
  });
});

describe('locks on ARC', () => {
  it('says the service does not support them instead of pretending', async () => {
    writeFiles(h.work, { 'arclock.txt': 'x' });
    await h.run(['cp', 'arclock.txt', 'arc:home/alice/arclock.txt']);
    const r = await h.run(['lock', '--lock', 'arc:home/alice/arclock.txt']);
    expect(r.code).toBe(95);
    expect(r.stderr).toContain('arc:home/alice/arclock.txt: the service does not support locks');
    expect((await h.run(['lock', 'arc:home/alice/arclock.txt'])).code).toBe(1);
  });
});

describe('global behaviour', () => {
  it('usage errors exit 22, --version and --help exit 0', async () => {
    expect((await h.run(['ls'])).code).toBe(22);
    expect((await h.run(['ls', '--bogus', 'vos:alice'])).code).toBe(22);
    expect((await h.run(['ls', 'local/path'])).code).toBe(22);
    const v = await h.run(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout).toBe('0.1.0\n');
    const help = await h.run(['ls', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('-h, --human');
  });

  it('errors in --json mode are one JSON document with the exit code', async () => {
    const r = await h.run(['ls', '--json', 'vos:alice/none/such']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({
      ok: false,
      command: 'ls',
      exitCode: 2,
      error: { code: 'not-found', message: expect.stringContaining('vos:alice/none/such') },
    });
  });

  it('another user’s private area is permission denied (13), bad names are invalid (22)', async () => {
    writeFiles(h.work, { 'private.txt': 'mine' });
    expect((await h.run(['cp', 'private.txt', 'vos:alice/private.txt'])).code).toBe(0);
    const r = await h.run(['cat', 'vos:alice/private.txt'], { env: { VOSYNC_TOKEN: 'bobtoken12' } });
    expect(r.code).toBe(13);
    expect(r.stderr).toContain('vos:alice/private.txt');
    const w = await h.run(['mkdir', 'vos:alice/bobs'], { env: { VOSYNC_TOKEN: 'bobtoken12' } });
    expect(w.code).toBe(13);
    expect((await h.run(['mkdir', 'vos:alice/has space'])).code).toBe(22);
    expect((await h.run(['ls', 'nosuchscheme:x/y'])).code).toBe(22);
  });

  it('a server that cannot be reached: one line naming the host and the cause, exit 111', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    const r = await h.run(['ls', 'vos:alice'], {
      env: { VOSYNC_REGISTRY: `http://127.0.0.1:${port}/reg/resource-caps` },
    });
    expect(r.code).toBe(111);
    expect(r.stderr).toBe(
      `vosync ls: cannot reach 127.0.0.1:${port}: connection refused (is the server running? is the port right?)\n`,
    );
  });

  it('-d prints every HTTP exchange (method, URL, status, time, bytes) with grants and tokens kept out', async () => {
    fs.writeFileSync(path.join(h.work, 'debug.txt'), 'seen by -d');
    expect((await h.run(['cp', path.join(h.work, 'debug.txt'), 'vos:alice/debug.txt'])).code).toBe(0);
    const r = await h.run(['cat', '-d', 'vos:alice/debug.txt']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /HTTP GET http:\/\/127\.0\.0\.1:\d+\/vault\/nodes\/alice\/debug\.txt\?limit=0 → 200 in \d+ ms \(\d+ bytes\)/,
    );
    expect(r.stderr).toMatch(/HTTP GET \S+\/data\/…\/alice\/debug\.txt → 200 in \d+ ms \(10 bytes\)/);
    expect(r.stderr).not.toContain('alicetoken1');
  });

  it('--bwlimit takes rclone-style rates and refuses what is not one', async () => {
    fs.writeFileSync(path.join(h.work, 'bw.txt'), 'x'.repeat(4096));
    const ok = await h.run(['cp', '-d', '--bwlimit', '10M', path.join(h.work, 'bw.txt'), 'vos:alice/bw.txt']);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain('bandwidth limit: 10485760 bytes/s');
    const bad = await h.run(['cp', '--bwlimit', 'fast', path.join(h.work, 'bw.txt'), 'vos:alice/bw.txt']);
    expect(bad.code).toBe(22);
    expect(bad.stderr).toContain('--bwlimit fast: expected a whole number of bytes per second');
  });

  it('a registry URL that is not one names the value and where it came from', async () => {
    const env = await h.run(['ls', 'vos:alice'], { env: { VOSYNC_REGISTRY: 'notaurl' } });
    expect(env.code).toBe(22);
    expect(env.stderr).toContain('registry URL "notaurl" (from VOSYNC_REGISTRY) is not an http(s) URL');
    const flag = await h.run(['ls', '--registry', 'ftp://x/reg', 'vos:alice']);
    expect(flag.code).toBe(22);
    expect(flag.stderr).toContain('registry URL "ftp://x/reg" (from --registry) is not an http(s) URL');
  });

  it('-k is refused politely and the command still runs with verification on', async () => {
    const r = await h.run(['ls', '-k', 'vos:alice']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('--insecure is not supported: TLS certificates are always verified');
  });
});
