import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { exampleConfigPath } from '../../src/agent/config/index.js';
import type { CliIo } from '../../src/cli/common.js';
import { registerConfig } from '../../src/cli/config-cmd.js';
import { checkConfigFile } from '../../src/cli/config-run.js';

interface Captured {
  out: string;
  err: string;
  exitCode: number;
}

const dirs: string[] = [];
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'vosync-config-cmd-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** Runs `vosync <args>` through a fresh program with the config commands, capturing output and exit code. */
async function run(args: string[], home: string, env: Record<string, string> = {}): Promise<Captured> {
  const captured: Captured = { out: '', err: '', exitCode: 0 };
  const sink = (key: 'out' | 'err') =>
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        captured[key] += chunk.toString();
        cb();
      },
    });
  const io: CliIo = {
    stdout: sink('out'),
    stderr: sink('err'),
    stdin: Readable.from([]),
    env: { HOME: home, ...env },
    cwd: home,
    now: Date.now,
    setExitCode: (c) => (captured.exitCode = c),
  };
  const program = new Command().exitOverride().configureOutput({
    writeOut: (t) => (captured.out += t),
    writeErr: (t) => (captured.err += t),
  });
  registerConfig(program, io);
  await program.parseAsync(['node', 'vosync', ...args]);
  return captured;
}

describe('vosync config', () => {
  it('check: a valid file prints the pairs and exits 0', async () => {
    const home = tempDir();
    fs.mkdirSync(path.join(home, 'data'));
    const file = path.join(home, 'config.yaml');
    fs.writeFileSync(
      file,
      [
        'auth: { anonymous: true }',
        'pairs:',
        '  - { name: results, local: ~/data, remote: vos:alice/results, ignore: ["*.tmp"] }',
        '  - { local: ~/data2, remote: arc:projects/x, mode: backup, deleteLimits: { maxShare: "10%" } }',
        '',
      ].join('\n'),
    );
    const r = await run(['config', 'check', '--config', file], home);
    expect(r.exitCode).toBe(0);
    expect(r.err).toBe('');
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toBe(`config OK: 2 pairs (${file})`);
    expect(lines[1]).toBe(
      '  results: ~/data <-> vos:alice/results (two-way, conflicts: keep-both, delete limit: 50% / 1000, 1 ignore pattern)',
    );
    expect(lines[2]).toBe('  data2: ~/data2 -> arc:projects/x (backup, delete limit: 10% / 1000)');
    // ~/data2 does not exist: a warning, not an error.
    expect(lines[3]).toBe('1 warning:');
    expect(lines[4]).toContain(
      `${file}:4:14: pairs[1].local: local folder ${path.join(home, 'data2')} does not exist`,
    );
  });

  it('check: a broken file prints every problem with its position and exits 2', async () => {
    const home = tempDir();
    const file = path.join(home, 'config.yaml');
    fs.writeFileSync(
      file,
      ['transfers:', '  concurency: 2', 'pairs:', '  - local: ~/x', '    mode: sideways', ''].join('\n'),
    );
    const r = await run(['config', 'check', '--config', file], home);
    expect(r.exitCode).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain(`${file}: 3 problems in the configuration`);
    expect(r.err).toContain(
      `${file}:2:3: transfers.concurency: unknown key 'concurency'; did you mean 'concurrency'?`,
    );
    expect(r.err).toContain(`${file}:4:5: pairs[0].remote: missing required key 'remote'`);
    expect(r.err).toContain(
      `${file}:5:11: pairs[0].mode: expected one of two-way, backup, mirror-down, found "sideways"`,
    );
  });

  it('check: a missing file exits 2 and points to config init', async () => {
    const home = tempDir();
    const r = await run(['config', 'check'], home, { XDG_CONFIG_HOME: path.join(home, 'cfg') });
    expect(r.exitCode).toBe(2);
    expect(r.err).toContain(path.join(home, 'cfg', 'vosync', 'config.yaml'));
    expect(r.err).toContain('vosync config init');
  });

  it('path: prints the default location, or $VOSYNC_CONFIG', async () => {
    const home = tempDir();
    expect((await run(['config', 'path'], home)).out).toBe(
      path.join(home, '.config', 'vosync', 'config.yaml') + '\n',
    );
    expect((await run(['config', 'path'], home, { XDG_CONFIG_HOME: '/etc/xdg' })).out).toBe(
      '/etc/xdg/vosync/config.yaml\n',
    );
    expect((await run(['config', 'path'], home, { VOSYNC_CONFIG: '/srv/v.yaml' })).out).toBe('/srv/v.yaml\n');
  });

  it('init: writes the example privately, never overwrites, and the result checks out', async () => {
    const home = tempDir();
    const first = await run(['config', 'init'], home);
    const file = path.join(home, '.config', 'vosync', 'config.yaml');
    expect(first.exitCode).toBe(0);
    expect(first.out).toContain(`wrote ${file}`);
    expect(fs.readFileSync(file, 'utf8')).toBe(fs.readFileSync(exampleConfigPath(), 'utf8'));
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);

    fs.writeFileSync(file, 'pairs: []\n');
    const second = await run(['config', 'init', '--config', file], home);
    expect(second.exitCode).toBe(1);
    expect(second.err).toContain('already exists');
    expect(fs.readFileSync(file, 'utf8')).toBe('pairs: []\n');

    const other = path.join(home, 'elsewhere', 'vosync.yaml');
    expect((await run(['config', 'init', '--config', other], home)).exitCode).toBe(0);
    const check = checkConfigFile(other, { env: {}, platform: 'linux', homedir: home });
    expect(check.ok).toBe(true);
    expect(check.exitCode).toBe(0);
    expect(check.text).toMatch(/^config OK: 2 pairs/);
  });
});
