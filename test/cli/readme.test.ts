/**
 * Runs every example of README's "Command-line tools" section as written — shell blocks through bash with
 * the built `vosync` on PATH (the `v…` names come from the README's own `vosync aliases install`), the
 * TypeScript block through node importing 'vosync' — against `vosync serve` (plus a stand-in for CADC's
 * credential service, which the server lacks). Also: the README is written for people who install from
 * npm, and every file it links is one the package ships (others are linked by URL).
 */
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/server.js';

const ROOT = path.resolve(__dirname, '../..');
const MARKER = '<!-- cli-example -->';

/** Runs a child process without blocking the event loop (the server under test lives in this process). */
function run(cmd: string, args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      args,
      { cwd: work, env, encoding: 'utf8', timeout: 120_000 },
      (err, stdout, stderr) => {
        const status = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ status, stdout, stderr });
      },
    );
    child.stdin?.end();
  });
}

interface Example {
  lang: 'sh' | 'ts';
  code: string;
}

function readmeSection(): string {
  const text = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = text.indexOf('\n## Command-line tools');
  if (start < 0) throw new Error('README has no "Command-line tools" section');
  const next = text.indexOf('\n## ', start + 1);
  return text.slice(start, next < 0 ? undefined : next);
}

function examples(section: string): Example[] {
  const out: Example[] = [];
  const re = new RegExp(`${MARKER}\\n\`\`\`(sh|ts)\\n([\\s\\S]*?)\`\`\`\\n`, 'g');
  for (const m of section.matchAll(re)) out.push({ lang: m[1] as 'sh' | 'ts', code: m[2]! });
  return out;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** `npm test` builds first; a lone run of this file rebuilds dist/ when sources are newer. */
function ensureBuilt(): void {
  const marker = path.join(ROOT, 'dist/cli/bin/vls.js');
  const built = fs.existsSync(marker) ? fs.statSync(marker).mtimeMs : 0;
  if (built >= newestMtime(path.join(ROOT, 'src'))) return;
  spawnSync(
    process.execPath,
    [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: ROOT,
      stdio: 'ignore',
    },
  );
  if (!fs.existsSync(marker)) throw new Error('build failed: dist/cli/bin/vls.js missing');
}

const section = readmeSection();
const blocks = examples(section);

let tmp: string;
let work: string;
let env: NodeJS.ProcessEnv;
let srv: RunningServer;

beforeAll(async () => {
  ensureBuilt();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vosync-readme-'));
  work = path.join(tmp, 'work');
  const home = path.join(tmp, 'home');
  const bin = path.join(tmp, 'bin');
  for (const d of [work, home, bin]) fs.mkdirSync(d, { recursive: true });
  srv = await startServer({
    dataDir: path.join(tmp, 'server'),
    users: [{ name: 'alice', token: 'alicetoken1', password: 'alice-pw' }],
    admin: 'admin',
  });
  // What `npm install -g vosync` installs: the vosync command alone.
  fs.writeFileSync(
    path.join(bin, 'vosync'),
    `#!/bin/sh\nexec "${process.execPath}" "${path.join(ROOT, 'dist/cli/main.js')}" "$@"\n`,
    { mode: 0o755 },
  );
  // `import … from 'vosync'` resolves to this checkout, as it would after `npm install vosync`.
  fs.mkdirSync(path.join(work, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(work, 'node_modules/vosync'), 'dir');
  env = {
    // ~/.local/bin, where `vosync aliases install` puts the v… launchers, is on a usual PATH.
    PATH: [bin, path.join(home, '.local', 'bin'), process.env['PATH'] ?? ''].join(path.delimiter),
    HOME: home,
    VOSYNC_REGISTRY: `${srv.baseUrl}/reg/resource-caps`,
    CADC_USERNAME: 'alice',
    CADC_PASSWORD: 'alice-pw',
  };
});

afterAll(async () => {
  await srv?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('README command-line examples', () => {
  it('marks every code block of the section as an example the test runs', () => {
    const fences = section.match(/^```\w+$/gm) ?? [];
    expect(blocks.length).toBeGreaterThanOrEqual(10);
    expect(blocks.length).toBe(fences.length);
    expect(blocks.some((b) => b.lang === 'ts')).toBe(true);
  });

  blocks.forEach((b, i) => {
    const title = b.code.split('\n').find((l) => l.trim() !== '' && !l.startsWith('import')) ?? '';
    it(`example ${i + 1} (${b.lang}): ${title.slice(0, 60)}`, async () => {
      let r;
      if (b.lang === 'sh') {
        r = await run('bash', ['-e', '-o', 'pipefail', '-c', b.code]);
      } else {
        const file = path.join(work, `example-${i + 1}.mjs`);
        fs.writeFileSync(file, b.code);
        r = await run(process.execPath, [file]);
      }
      expect(r.status, `${b.code}\n--- stdout:\n${r.stdout}\n--- stderr:\n${r.stderr}`).toBe(0);
      if (b.code.includes('no-such-file')) expect(r.stdout).toContain('exit code 2');
      if (b.code.includes('vosync cert --check')) expect(r.stdout).toContain('is valid until');
      if (b.lang === 'ts') expect(r.stdout).toContain('Size: 3 bytes');
      if (b.code.includes('vsync vos:alice/backup/ ./restored/')) {
        expect(fs.readFileSync(path.join(work, 'restored/answer.txt'), 'utf8')).toBe('42\n');
        expect(r.stdout).toContain('would copy 0 files, skipped 2, failed 0');
      }
    }, 240_000);
  });
});

describe('the README for people who install from npm', () => {
  const text = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

  it('covers installing, a quick start, the service, logs, troubleshooting, migration and uninstalling', () => {
    for (const heading of [
      '## Install',
      '## Quick start',
      '## Run as a service',
      '## Logs',
      '## Troubleshooting',
      '## Migrating from vostools',
      '## Uninstall',
      '## JSON output',
    ])
      expect(text).toContain(`\n${heading}`);
    for (const words of [
      'npm install -g vosync',
      'npx vosync',
      'vosync aliases install',
      'loginctl enable-linger',
      'npm uninstall -g vosync',
    ])
      expect(text).toContain(words);
  });

  it('links only files the npm package ships, or URLs', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      files: string[];
      repository: { url: string };
      homepage: string;
      bugs: { url: string };
    };
    expect(pkg.repository.url).toMatch(/^git\+https:\/\//);
    expect(pkg.homepage).toMatch(/^https:\/\//);
    expect(pkg.bugs.url).toMatch(/^https:\/\//);
    // npm always ships README, LICENSE and package.json.
    const shipped = (p: string) =>
      ['README.md', 'LICENSE', 'package.json'].includes(p) ||
      pkg.files.some((f) => p === f || p.startsWith(`${f}/`));
    const links = [...text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)]
      .map((m) => m[1]!)
      .filter((l) => !/^[a-z]+:/.test(l));
    expect(links.length).toBeGreaterThan(4);
    for (const l of links) {
      expect(fs.existsSync(path.join(ROOT, l)), l).toBe(true);
      expect(shipped(l), `${l} is not in package.json's files`).toBe(true);
    }
  });
});
