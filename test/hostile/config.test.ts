/**
 * Hostile or broken configuration files: each is refused with a ConfigError whose issues say what is wrong and
 * where (path in the document, line and column when there is one). Nothing is accepted half-way.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  formatConfigIssues,
  loadConfig,
  parseConfigText,
  type ConfigIssue,
} from '../../src/agent/config/index.js';
import { tempDir } from './helpers.js';

const HOST = {
  env: {} as Record<string, string>,
  platform: 'linux' as const,
  homedir: '/home/alice',
  baseDir: '/home/alice/.config/vosync',
};

function refused(text: string): ConfigError {
  try {
    parseConfigText(text, 'hostile.yaml', HOST);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw new Error(`expected a ConfigError, got ${String(e)}`);
  }
  throw new Error('expected the config to be refused');
}

/** The one printed line for an issue at `at` (compiler style: file:line:col: path: message). */
function line(err: ConfigError, at: string): string {
  const issue = err.issues.find((i: ConfigIssue) => i.path === at);
  if (!issue) throw new Error(`no issue at ${at}; got:\n${formatConfigIssues(err.issues)}`);
  return formatConfigIssues([issue], 'hostile.yaml');
}

const pair = (extra = '', local = '/data/a', remote = 'vos:alice/a') =>
  `pairs:\n  - local: ${local}\n    remote: ${remote}\n${extra}`;

const dir = tempDir('config');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('bad configs', () => {
  it('reports a YAML syntax error with its line and column', () => {
    const e = refused('pairs:\n  - local: /data/a\n    remote: vos:alice/a\n   mode: two-way\n');
    expect(formatConfigIssues(e.issues, 'hostile.yaml')).toMatch(/^hostile\.yaml:4:1: YAML syntax error: /);
  });

  it('names an unknown key, where it is, and the key that was probably meant', () => {
    const e = refused(pair('    mdoe: backup\n'));
    expect(line(e, 'pairs[0].mdoe')).toBe(
      "hostile.yaml:4:5: pairs[0].mdoe: unknown key 'mdoe'; expected one of: name, local, remote, mode, ignore, " +
        'conflict, deleteLimits, propagateDeletes, nameEncoding, allowHomeRoot, schedule',
    );
    expect(line(refused('pairz: []\n'), 'pairz')).toBe(
      "hostile.yaml:1:1: pairz: unknown key 'pairz'; did you mean 'pairs'?",
    );
  });

  it.each([
    ['another scheme', 'http://evil.example/a', "unknown scheme 'http:'"],
    ['a climb above the root', 'vos:../../etc', 'path climbs above the service root'],
    ['a name the service cannot hold', '"vos:alice/a b"', "illegal character 'space'"],
    ['a control character', '"vos:alice/a\\0b"', 'control character'],
    ['the service root itself', '"vos:"', 'is the service root'],
  ])('refuses a remote URI with %s', (_label, remote, message) => {
    const e = refused(pair('', '/data/a', remote));
    const l = line(e, 'pairs[0].remote');
    expect(l).toMatch(/^hostile\.yaml:3:13: pairs\[0\]\.remote: /);
    expect(l).toContain(message);
  });

  it('refuses overlapping pairs, locally and remotely', () => {
    const local = refused(
      'pairs:\n  - local: /data/a\n    remote: vos:alice/a\n  - local: /data/a/b\n    remote: vos:alice/b\n',
    );
    expect(line(local, 'pairs[1].local')).toBe(
      "hostile.yaml:4:12: pairs[1].local: local folder /data/a/b is inside the folder of pairs[0] ('a'), /data/a; pairs must not overlap",
    );
    const remote = refused(
      'pairs:\n  - local: /data/a\n    remote: vos:alice/a\n  - local: /data/b\n    remote: vos:alice/a/sub\n',
    );
    expect(line(remote, 'pairs[1].remote')).toContain('overlaps the remote folder of pairs[0]');
  });

  it('refuses negative and out-of-range limits, every one of them at once', () => {
    const e = refused(
      'transfers:\n  concurrency: -4\n  timeoutSeconds: -1\n  retries: -2\ntrash:\n  keepDays: -3\n' +
        pair('    deleteLimits:\n      maxCount: -1\n      maxShare: "-20%"\n'),
    );
    expect(line(e, 'transfers.concurrency')).toBe(
      'hostile.yaml:2:16: transfers.concurrency: expected a number >= 1, found -4',
    );
    expect(line(e, 'transfers.timeoutSeconds')).toContain('expected a number > 0, found -1');
    expect(line(e, 'transfers.retries')).toContain('expected a number >= 0, found -2');
    expect(line(e, 'trash.keepDays')).toContain('expected a number >= 1, found -3');
    expect(line(e, 'pairs[0].deleteLimits.maxCount')).toContain('expected a number >= 0, found -1');
    expect(line(e, 'pairs[0].deleteLimits.maxShare')).toContain('found "-20%"');
  });

  it('stops a YAML alias bomb instead of expanding it', () => {
    let text = 'a: &a ["x","x","x","x","x","x","x","x","x","x"]\n';
    for (const [k, prev] of [
      ['b', 'a'],
      ['c', 'b'],
      ['d', 'c'],
      ['e', 'd'],
      ['f', 'e'],
      ['g', 'f'],
    ])
      text += `${k}: &${k} [${Array(10).fill(`*${prev}`).join(',')}]\n`;
    const e = refused(text);
    expect(formatConfigIssues(e.issues, 'hostile.yaml')).toMatch(/resource exhaustion/);
  });

  it('refuses a pair on the file system root and URLs with non-http schemes', () => {
    expect(line(refused(pair('', '/')), 'pairs[0].local')).toContain('is the root of a file system');
    expect(line(refused('registry: "javascript:alert(1)"\n'), 'registry')).toContain(
      'expected the http(s) URL of a registry resource-caps document',
    );
    expect(line(refused('services:\n  lab: "file:///etc/passwd"\n'), 'services.lab')).toContain(
      'an ivo:// resource identifier',
    );
  });

  it('refuses a config path that is a folder, an oversized file, and a missing file, naming the file', () => {
    const folder = path.join(dir, 'folder.yaml');
    fs.mkdirSync(folder);
    const huge = path.join(dir, 'huge.yaml');
    fs.writeFileSync(huge, `# ${'x'.repeat(2 * 1024 * 1024)}\n`);
    const load = (f: string) => {
      try {
        loadConfig(f);
      } catch (e) {
        if (e instanceof ConfigError) return formatConfigIssues(e.issues, f);
        throw e;
      }
      throw new Error('accepted');
    };
    expect(load(folder)).toBe(`${folder}: ${folder} is not a file`);
    expect(load(huge)).toMatch(/is \d+ bytes; a config file is at most 1 MiB$/);
    expect(load(path.join(dir, 'none.yaml'))).toContain('no config file at');
  });
});
