/**
 * `vosync aliases`: npm installs `vosync` alone; the vostools names are launchers written on request into a
 * folder, never over another program's file without --force (and then kept aside and put back by
 * uninstall), with a word about which `vls` on PATH runs. The launchers really run vosync's entry points.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALIASES, LAUNCHER_MARKER, aliasBinDir, launcherText } from '../../src/cli/alias-install.js';
import { envelopeOf, json, startHarness, type Harness } from './helpers.js';

const ROOT = path.resolve(__dirname, '../..');

let h: Harness;
let dir: string;
let vostools: string;
let pathVar: string;

/** What pip's vostools would have put on PATH: a script of its own. */
const FOREIGN = '#!/bin/sh\necho "vostools $0"\n';

beforeAll(async () => {
  h = await startHarness('alias-install');
  dir = path.join(h.tmp, 'bin');
  vostools = path.join(h.tmp, 'conda', 'bin');
  fs.mkdirSync(vostools, { recursive: true });
  fs.writeFileSync(path.join(vostools, 'vls'), FOREIGN, { mode: 0o755 });
  // vostools' vls comes before the launchers' folder; vcp already lives in that folder.
  pathVar = `${vostools}:${dir}:${process.env['PATH'] ?? ''}`;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'vcp'), FOREIGN, { mode: 0o755 });
  if (!fs.existsSync(path.join(aliasBinDir(), 'vls.js')))
    execFileSync(
      process.execPath,
      [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
      {
        cwd: ROOT,
      },
    );
});

afterAll(async () => {
  await h.close();
});

const aliases = (args: string[]) => h.run(['aliases', ...args, '--dir', dir], { env: { PATH: pathVar } });

describe('installing vosync', () => {
  it('puts only `vosync` on PATH: npm can never clash with, or hide, vostools', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    expect(pkg.bin).toEqual({ vosync: 'dist/cli/main.js' });
  });
});

describe('vosync aliases', () => {
  it('install writes every launcher but leaves another program’s file alone, and says what runs', async () => {
    const r = await aliases(['install', '--json']);
    expect(r.code).toBe(17);
    const doc = envelopeOf<{ installed: string[]; kept: { alias: string }[] }>(r);
    expect(doc).toMatchObject({ ok: false, error: { code: 'exists' } });
    expect(doc.result!.kept.map((k) => k.alias)).toEqual(['vcp']);
    expect(doc.result!.installed).toEqual(ALIASES.filter((a) => a !== 'vcp'));
    expect(fs.readFileSync(path.join(dir, 'vcp'), 'utf8')).toBe(FOREIGN);
    expect(r.stderr).toContain(`${path.join(dir, 'vcp')} belongs to another program: left as it is`);

    const text = await aliases(['install']);
    expect(text.stdout).toContain(`vls: ${path.join(vostools, 'vls')} comes first on PATH and runs instead`);
    expect(text.stdout).toContain('vcp: ' + path.join(dir, 'vcp') + ' comes first on PATH');
    for (const a of ALIASES.filter((x) => x !== 'vcp')) {
      const file = path.join(dir, a);
      expect(fs.readFileSync(file, 'utf8')).toContain(LAUNCHER_MARKER);
      expect(fs.statSync(file).mode & 0o111).not.toBe(0);
    }
  });

  it('the launchers run vosync’s entry points (the vostools options and names)', () => {
    const out = execFileSync(path.join(dir, 'vmkdir'), ['--help'], { encoding: 'utf8' });
    expect(out).toContain('Usage: vmkdir');
    expect(execFileSync(path.join(dir, 'vls'), ['--version'], { encoding: 'utf8' })).toBe('0.1.0\n');
  });

  it('a launcher falls back to node on PATH when the node it was written with is gone', () => {
    const file = path.join(h.tmp, 'vrm-old-node');
    fs.writeFileSync(
      file,
      launcherText('vrm', { platform: 'linux', node: '/gone/node', binDir: aliasBinDir() }),
      {
        mode: 0o755,
      },
    );
    const env = { PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin` };
    expect(execFileSync(file, ['--version'], { encoding: 'utf8', env })).toBe('0.1.0\n');
    const gone = path.join(h.tmp, 'vrm-gone');
    fs.writeFileSync(
      gone,
      launcherText('vrm', { platform: 'linux', node: process.execPath, binDir: '/gone' }),
      {
        mode: 0o755,
      },
    );
    let message = '';
    try {
      execFileSync(gone, [], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      message = String((e as { stderr: string }).stderr);
    }
    expect(message).toContain('vrm: vosync is no longer at /gone/vrm.js: run vosync aliases install again');
  });

  it('--force puts vosync’s in place, keeping the other file; uninstall removes only ours and puts it back', async () => {
    const forced = await aliases(['install', '--force']);
    expect(forced.code).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'vcp.vosync-saved'), 'utf8')).toBe(FOREIGN);
    expect(fs.readFileSync(path.join(dir, 'vcp'), 'utf8')).toContain(LAUNCHER_MARKER);

    const listed = await aliases(['list']);
    expect(listed.stdout).toMatch(/^vcp +installed +runs: .*\/bin\/vcp \(vosync\)$/m);
    expect(listed.stdout).toMatch(/^vls +installed +runs: .*conda\/bin\/vls \(another program\)$/m);

    const un = await aliases(['uninstall', '--json']);
    expect(un.code).toBe(0);
    expect(json<{ removed: string[]; restored: string[] }>(un)).toEqual({
      dir,
      removed: [...ALIASES],
      restored: ['vcp'],
    });
    expect(fs.readdirSync(dir).sort()).toEqual(['vcp']);
    expect(fs.readFileSync(path.join(dir, 'vcp'), 'utf8')).toBe(FOREIGN);
    expect(fs.readFileSync(path.join(vostools, 'vls'), 'utf8')).toBe(FOREIGN);
  });

  it('says when the folder is not on PATH', async () => {
    const other = path.join(h.tmp, 'elsewhere');
    const r = await h.run(['aliases', 'install', '--dir', other], { env: { PATH: '/usr/bin:/bin' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${other} is not on your PATH`);
    expect((await h.run(['aliases', 'uninstall', '--dir', other])).code).toBe(0);
    expect(fs.readdirSync(other)).toEqual([]);
  });
});
