/**
 * Start-up cost is what a command loads: `--help`, `--version` and the vostools aliases load commander and
 * the commands' definitions only; a command's body, the VOSpace client (undici, the XML parser), the agent
 * (its config: zod, yaml; its log: winston; SQLite) and the server come when a command runs. Runs the built
 * CLI with a loader hook that lists every module it loads.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve('.');
const HOOK = path.join(ROOT, 'test/support/module-list.mjs');

/** The repository-relative paths (`dist/…`, `node_modules/…`) of what `node FILE ARGS…` loads. */
function loaded(file: string, args: string[]): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vosync-imports-'));
  try {
    const list = path.join(dir, 'modules.txt');
    const r = spawnSync(process.execPath, ['--import', HOOK, path.join(ROOT, file), ...args], {
      env: { ...process.env, VOSYNC_MODULE_LIST: list, HOME: dir },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    return fs
      .readFileSync(list, 'utf8')
      .split('\n')
      .filter((u) => u.startsWith('file:'))
      .map((u) => path.relative(ROOT, new URL(u).pathname));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const HEAVY = [
  /^dist\/server\//,
  /^dist\/agent\//,
  /^dist\/cli\/ctx\.js$/,
  /^dist\/cli\/.*-run\.js$/,
  /^dist\/vospace\/(client|http|xml|node|registry)\.js$/,
  /^node_modules\/(zod|yaml|winston|undici|better-sqlite3|fast-xml-parser|node-cron|cli-progress|p-queue)\//,
];

describe('what a command loads before it runs', () => {
  it.each([
    ['dist/cli/main.js', ['--version']],
    ['dist/cli/main.js', ['--help']],
    ['dist/cli/main.js', ['ls', '--help']],
    ['dist/cli/main.js', ['daemon', '--help']],
    ['dist/cli/main.js', ['serve', '--help']],
    ['dist/cli/bin/vls.js', ['--help']],
    ['dist/cli/bin/vcp.js', ['--help']],
    ['dist/cli/bin/vsync.js', ['--version']],
  ])('%s %s: commander and the definitions, none of the bodies', (file, args) => {
    const mods = loaded(file, args);
    expect(mods.some((m) => m.startsWith('node_modules/commander/'))).toBe(true);
    expect(mods.filter((m) => HEAVY.some((re) => re.test(m)))).toEqual([]);
  });

  it('a command that runs loads its body (the hook sees what is imported late)', () => {
    const mods = loaded('dist/cli/main.js', ['config', 'path']);
    expect(mods).toContain('dist/cli/config-run.js');
    expect(mods.some((m) => m.startsWith('node_modules/yaml/'))).toBe(true);
  });
});
