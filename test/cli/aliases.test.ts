/** The vostools-named commands (`vls`, `vcp`, …) with vostools' option spellings, run in-process. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOOLS } from '../../src/cli/commands/index.js';
import { startHarness, writeFiles, type Harness } from './helpers.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness('aliases');
});

afterAll(async () => {
  await h.close();
});

const v = (alias: string, args: string[], opts: Parameters<Harness['run']>[1] = {}) =>
  h.run(args, { ...opts, alias });

describe('vostools aliases', () => {
  it('exist for every vostools command and have entry points', () => {
    const aliases = TOOLS.flatMap((t) => (t.alias ? [t.alias] : [])).sort();
    expect(aliases).toEqual(
      [
        'vcat',
        'vchmod',
        'vcp',
        'vln',
        'vlock',
        'vls',
        'vmkdir',
        'vmv',
        'vrm',
        'vrmdir',
        'vsync',
        'vtag',
      ].sort(),
    );
    for (const a of aliases) {
      const src = fs.readFileSync(path.join(__dirname, `../../src/cli/bin/${a}.ts`), 'utf8');
      expect(src).toContain(`runAlias('${a}')`);
    }
  });

  for (const area of ['vos:alice', 'arc:home/alice']) {
    it(`run a vostools-style session on ${area}`, async () => {
      const tag = area.startsWith('vos') ? 'v' : 'a';
      writeFiles(h.work, { [`${tag}.fits`]: 'fits bytes' });
      expect((await v('vmkdir', ['-p', `${area}/al/x`])).code).toBe(0);
      expect((await v('vcp', ['--overwrite', '--quick', `${tag}.fits`, `${area}/al/`])).code).toBe(0);
      const ls = await v('vls', ['-l', '-h', `${area}/al`]);
      expect(ls.code).toBe(0);
      expect(ls.stdout).toMatch(/^-rw------- {2}alice {16}NONE {12}NONE {29}10B .* [av]\.fits\n/m);
      expect((await v('vcat', [`${area}/al/${tag}.fits`])).stdout).toBe('fits bytes');
      expect((await v('vmv', [`${area}/al/${tag}.fits`, `${area}/al/x`])).code).toBe(0);
      expect((await v('vln', [`${area}/al/x/${tag}.fits`, `${area}/al/link`])).code).toBe(0);
      expect((await v('vchmod', ['g+r', `${area}/al/x/${tag}.fits`, 'survey'])).code).toBe(0);
      expect((await v('vtag', [`${area}/al/x/${tag}.fits`, 'title=raw frame'])).code).toBe(0);
      expect((await v('vtag', [`${area}/al/x/${tag}.fits`, 'title'])).stdout).toBe('raw frame\n');
      expect((await v('vrm', [`${area}/al/link`])).code).toBe(0);
      expect((await v('vrmdir', [`${area}/al/x`])).code).toBe(39);
      expect((await v('vrm', ['-R', `${area}/al`])).code).toBe(0);
      expect((await v('vls', [`${area}/al`])).code).toBe(2);
    });
  }

  it('accept vostools common options: --certfile, -w, -d, --vos-debug, --version; -k is refused politely', async () => {
    const anon = await v('vmkdir', ['--certfile', '', 'vos:alice/anon']);
    expect(anon.code).toBe(13);
    expect((await v('vls', ['-w', '-d', '--vos-debug', 'vos:alice'])).code).toBe(0);
    const version = await v('vls', ['--version']);
    expect(version.stdout).toBe('0.1.0\n');
    const k = await v('vls', ['-k', 'vos:alice']);
    expect(k.code).toBe(0);
    expect(k.stderr).toContain('vls: warning: --insecure is not supported');
    const help = await v('vcp', ['--help']);
    expect(help.stdout).toContain('Usage: vcp');
    expect(help.stdout).toContain('--exclude');
    expect((await v('vls', ['--no-such-option', 'vos:alice'])).code).toBe(22);
  });

  it('vlock --lock/--unlock and the status check', async () => {
    writeFiles(h.work, { 'l.txt': 'l' });
    await v('vcp', ['l.txt', 'vos:alice/l.txt']);
    expect((await v('vlock', ['vos:alice/l.txt'])).code).toBe(1);
    expect((await v('vlock', ['--lock', 'vos:alice/l.txt'])).code).toBe(0);
    expect((await v('vlock', ['vos:alice/l.txt'])).code).toBe(0);
    expect((await v('vlock', ['--unlock', 'vos:alice/l.txt'])).code).toBe(0);
  });

  it('errors name the file and use the alias name', async () => {
    const r = await v('vcp', ['vos:alice/not-there.fits', './']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^vcp: vos:alice\/not-there\.fits: /);
  });
});
