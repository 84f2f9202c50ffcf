import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConfigError,
  DEFAULT_REGISTRY,
  defaultConfigPath,
  defaultStateDir,
  exampleConfigPath,
  expandPath,
  formatConfigIssues,
  loadConfig,
  parseConfigText,
  resolveConfigPath,
  type ConfigIssue,
  type VosyncConfig,
} from '../../src/agent/config/index.js';

const HOME = '/home/alice';
const CONFIG_DIR = '/home/alice/.config/vosync';
const HOST = {
  env: { DATA: '/srv/data' } as Record<string, string>,
  platform: 'linux' as const,
  homedir: HOME,
  baseDir: CONFIG_DIR,
};

function parse(text: string, extra: Partial<typeof HOST> = {}): VosyncConfig {
  return parseConfigText(text, 'test.yaml', { ...HOST, ...extra });
}

/** The issues a text produces; fails the test when the text is accepted. */
function issuesOf(text: string, extra: Partial<typeof HOST> = {}): ConfigIssue[] {
  try {
    parse(text, extra);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error('expected the config to be rejected');
}

function issueAt(issues: ConfigIssue[], p: string): ConfigIssue {
  const found = issues.find((i) => i.path === p);
  if (!found) throw new Error(`no issue at ${p}; got:\n${formatConfigIssues(issues)}`);
  return found;
}

/** Joins lines so tests can state line numbers plainly. */
const yaml = (...lines: string[]): string => lines.join('\n') + '\n';

const MINIMAL = yaml('pairs:', '  - local: ~/data/results', '    remote: vos:alice/results');

describe('valid configs', () => {
  it('fills every default for a minimal config', () => {
    const c = parse(MINIMAL);
    expect(c.registry).toBe(DEFAULT_REGISTRY);
    expect(c.registry).toBe('https://ws-cadc.canfar.net/reg/resource-caps');
    expect(c.services).toEqual({});
    expect(c.auth).toEqual({ kind: 'certificate', certFile: '/home/alice/.ssl/cadcproxy.pem' });
    expect(c.transfers).toEqual({
      concurrency: 4,
      requestsPerSecond: 0,
      bytesPerSecond: 0,
      retries: 5,
      timeoutSeconds: 120,
    });
    expect(c.schedule).toEqual({ remotePoll: '*/5 * * * *', fullRescan: '0 * * * *' });
    expect(c.state.dir).toBe('/home/alice/.local/state/vosync');
    expect(c.log).toEqual({
      level: 'info',
      file: '/home/alice/.local/state/vosync/vosync.log',
      maxSizeMB: 10,
      maxFiles: 5,
      format: 'text',
    });
    expect(c.status).toEqual({ port: 7878, tokenFile: '/home/alice/.config/vosync/status-token' });
    expect(c.trash).toEqual({ keepDays: 30 });
    expect(c.source).toBe('test.yaml');
    expect(c.warnings).toEqual([]);
    expect(c.pairs).toHaveLength(1);
    const pair = c.pairs[0]!;
    expect(pair).toMatchObject({
      name: 'results',
      local: '/home/alice/data/results',
      remote: 'vos:alice/results',
      remoteUri: 'vos://cadc.nrc.ca~vault/alice/results',
      location: { resourceId: 'ivo://cadc.nrc.ca/vault', path: 'alice/results', scheme: 'vos' },
      mode: 'two-way',
      conflict: 'keep-both',
      ignore: [],
      deleteLimits: { maxShare: 0.5, maxCount: 1000 },
      propagateDeletes: false,
      allowHomeRoot: false,
      schedule: { remotePoll: '*/5 * * * *', fullRescan: '0 * * * *' },
    });
  });

  it('accepts an empty file as all defaults with no pairs, and warns about that', () => {
    const c = parse('# nothing yet\n');
    expect(c.pairs).toEqual([]);
    expect(c.transfers.concurrency).toBe(4);
    expect(c.warnings.map((w) => w.path)).toEqual(['pairs']);
  });

  it('treats a section with every line commented out as all defaults', () => {
    const c = parse(yaml('transfers:', '  # concurrency: 8', 'log:') + MINIMAL);
    expect(c.transfers.concurrency).toBe(4);
    expect(c.log.level).toBe('info');
    expect(c.pairs).toHaveLength(1);
  });

  it('reads every option when given', () => {
    const c = parse(
      yaml(
        'registry: http://127.0.0.1:8080/reg/resource-caps',
        'services:',
        '  lab: http://127.0.0.1:8080/vault',
        'auth: { tokenFile: $DATA/token }',
        'transfers: { concurrency: 8, requestsPerSecond: 0, bytesPerSecond: "512KiB", retries: 0, timeoutSeconds: 30 }',
        'schedule: { remotePoll: "*/1 * * * *", fullRescan: "0 0 * * SUN" }',
        'log: { level: debug, file: logs/vosync.log, maxSizeMB: 1.5, maxFiles: 2, format: json }',
        'status: { port: 0, tokenFile: "${DATA}/status.token" }',
        'trash: { keepDays: 7 }',
        'state: { dir: /var/lib/vosync }',
        'pairs:',
        '  - name: lab-data',
        '    local: /srv/lab',
        '    remote: lab:alice/lab',
        '    mode: backup',
        '    conflict: newer-wins',
        '    ignore: ["*.tmp", "scratch/"]',
        '    deleteLimits: { maxShare: "20%", maxCount: 0 }',
        '    propagateDeletes: true',
        '    schedule: { fullRescan: "30 2 * * *" }',
        '  - local: ~/mirror',
        '    remote: vos://cadc.nrc.ca!vault/alice/pub',
        '    mode: mirror-down',
      ),
    );
    expect(c.registry).toBe('http://127.0.0.1:8080/reg/resource-caps');
    expect(c.services).toEqual({ lab: 'http://127.0.0.1:8080/vault' });
    expect(c.auth).toEqual({ kind: 'tokenFile', tokenFile: '/srv/data/token' });
    expect(c.transfers).toEqual({
      concurrency: 8,
      requestsPerSecond: 0,
      bytesPerSecond: 524288,
      retries: 0,
      timeoutSeconds: 30,
    });
    expect(c.log).toEqual({
      level: 'debug',
      file: `${CONFIG_DIR}/logs/vosync.log`,
      maxSizeMB: 1.5,
      maxFiles: 2,
      format: 'json',
    });
    expect(c.status).toEqual({ port: 0, tokenFile: '/srv/data/status.token' });
    expect(c.trash.keepDays).toBe(7);
    expect(c.state.dir).toBe('/var/lib/vosync');
    const [lab, mirror] = c.pairs;
    expect(lab).toMatchObject({
      name: 'lab-data',
      local: '/srv/lab',
      location: { resourceId: 'http://127.0.0.1:8080/vault', path: 'alice/lab', scheme: 'lab' },
      mode: 'backup',
      conflict: 'newer-wins',
      ignore: ['*.tmp', 'scratch/'],
      deleteLimits: { maxShare: 0.2, maxCount: 0 },
      propagateDeletes: true,
      schedule: { remotePoll: '*/1 * * * *', fullRescan: '30 2 * * *' },
    });
    expect(mirror).toMatchObject({
      name: 'mirror',
      local: '/home/alice/mirror',
      mode: 'mirror-down',
      remoteUri: 'vos://cadc.nrc.ca~vault/alice/pub',
      propagateDeletes: false,
    });
  });

  it('accepts byte rates as numbers or sizes with explicit units', () => {
    const rate = (v: string) => parse(yaml(`transfers: { bytesPerSecond: ${v} }`)).transfers.bytesPerSecond;
    expect(rate('1048576')).toBe(1048576);
    expect(rate('"10MB"')).toBe(10_000_000);
    expect(rate('"512 KiB"')).toBe(524288);
    expect(rate('"1.5GB/s"')).toBe(1_500_000_000);
    expect(rate('"2mib"')).toBe(2 * 1024 * 1024);
  });

  it('derives a usable pair name from a folder name with awkward characters', () => {
    const c = parse(yaml('pairs:', '  - local: "~/My Data (2024)"', '    remote: vos:alice/x'));
    expect(c.pairs[0]!.name).toBe('My-Data-2024');
  });

  it('chooses each authentication method', () => {
    expect(parse('auth: { token: " abc.def " }').auth).toEqual({ kind: 'token', token: 'abc.def' });
    expect(parse('auth: { anonymous: true }').auth).toEqual({ kind: 'anonymous' });
    expect(parse('auth: { certificate: certs/me.pem }').auth).toEqual({
      kind: 'certificate',
      certFile: `${CONFIG_DIR}/certs/me.pem`,
    });
    const withUser = parse('auth: { username: alice }');
    expect(withUser.auth).toEqual({ kind: 'password', username: 'alice' });
    expect(withUser.warnings.map((w) => w.path)).toContain('auth.username');
    const withPassword = parse('auth: { username: alice }', { env: { CADC_PASSWORD: 'x' } });
    expect(withPassword.warnings.map((w) => w.path)).not.toContain('auth.username');
  });

  it('lets allowHomeRoot permit the home folder itself', () => {
    const c = parse(
      yaml(
        'state: { dir: /var/lib/vosync }',
        'log: { file: /var/log/vosync.log }',
        'pairs:',
        '  - local: ~',
        '    remote: vos:alice',
        '    allowHomeRoot: true',
      ).replace('local: ~', 'local: "~"'),
    );
    expect(c.pairs[0]!.local).toBe(HOME);
  });

  it('lets a mirror-down pair share a remote folder with an uploading pair', () => {
    const c = parse(
      yaml(
        'pairs:',
        '  - { local: ~/a, remote: vos:alice/data }',
        '  - { local: ~/b, remote: vos:alice/data/sub, mode: mirror-down }',
      ),
    );
    expect(c.pairs.map((p) => p.name)).toEqual(['a', 'b']);
  });

  it('allows the state folder inside a pair when the pair ignores it', () => {
    const text = yaml(
      'state: { dir: ~/work/.state }',
      'log: { file: /var/log/vosync.log }',
      'pairs:',
      '  - local: ~/work',
      '    remote: vos:alice/work',
    );
    expect(issueAt(issuesOf(text), 'state.dir').message).toMatch(/inside the folder of pairs\[0\]/);
    const ok = parse(text + '    ignore: [".state/"]\n');
    expect(ok.state.dir).toBe('/home/alice/work/.state');
  });
});

describe('mistakes are reported with path, position, found and expected', () => {
  it('wrong type', () => {
    const issues = issuesOf(yaml('transfers:', '  concurrency: four', '  retries: 2.5'));
    const c = issueAt(issues, 'transfers.concurrency');
    expect([c.line, c.column]).toEqual([2, 16]);
    expect(c.found).toBe('"four"');
    expect(c.expected).toBe('a number');
    expect(c.message).toBe('expected a number, found "four"');
    expect(issueAt(issues, 'transfers.retries').expected).toBe('a whole number');
  });

  it('unknown key, with a suggestion for a close known key', () => {
    const issues = issuesOf(
      yaml(
        'transfers:',
        '  concurency: 8',
        'pairs:',
        '  - local: ~/x',
        '    remote: vos:a/x',
        '    Max_Count: 3',
      ),
    );
    const typo = issueAt(issues, 'transfers.concurency');
    expect([typo.line, typo.column]).toEqual([2, 3]);
    expect(typo.suggestion).toBe('concurrency');
    expect(typo.message).toContain("did you mean 'concurrency'?");
    // Not a key of a pair, but of the pair's deleteLimits: pointed there.
    expect(issueAt(issues, 'pairs[0].Max_Count').suggestion).toBe('pairs[].deleteLimits.maxCount');
  });

  it('unknown key in the wrong section, a synonym, and one with no near match', () => {
    const issues = issuesOf(
      yaml('concurrency: 3', 'pairs:', '  - folder: ~/x', '    remote: vos:a/x', '    local: ~/x', 'zzz: 1'),
    );
    expect(issueAt(issues, 'concurrency').suggestion).toBe('transfers.concurrency');
    expect(issueAt(issues, 'pairs[0].folder').suggestion).toBe('local');
    const zzz = issueAt(issues, 'zzz');
    expect(zzz.suggestion).toBeUndefined();
    expect(zzz.expected).toContain('pairs');
    expect(zzz.line).toBe(6);
  });

  it('a password in the file is refused with an explanation', () => {
    const issue = issueAt(
      issuesOf(yaml('auth:', '  username: alice', '  password: secret')),
      'auth.password',
    );
    expect(issue.message).toContain('CADC_PASSWORD');
    expect([issue.line, issue.column]).toEqual([3, 3]);
  });

  it('bad enum values, with a suggestion', () => {
    const issues = issuesOf(
      yaml(
        'log: { level: verbose }',
        'pairs:',
        '  - local: ~/x',
        '    remote: vos:a/x',
        '    mode: twoway',
        '    conflict: newer',
      ),
    );
    const mode = issueAt(issues, 'pairs[0].mode');
    expect([mode.line, mode.column]).toEqual([5, 11]);
    expect(mode.expected).toBe('one of two-way, backup, mirror-down');
    expect(mode.suggestion).toBe('two-way');
    expect(issueAt(issues, 'pairs[0].conflict').suggestion).toBe('newer-wins');
    expect(issueAt(issues, 'log.level').expected).toBe('one of error, warn, info, debug');
  });

  it('bad cron expressions, globally and per pair', () => {
    const issues = issuesOf(
      yaml(
        'schedule:',
        '  remotePoll: "61 * * * *"',
        '  fullRescan: "* * *"',
        'pairs:',
        '  - local: ~/x',
        '    remote: vos:a/x',
        '    schedule: { remotePoll: "0 0 31 2 *" }',
      ),
    );
    const poll = issueAt(issues, 'schedule.remotePoll');
    expect([poll.line, poll.column]).toEqual([2, 15]);
    expect(poll.message).toMatch(/minute/);
    expect(poll.expected).toMatch(/cron/);
    expect(issueAt(issues, 'schedule.fullRescan').message).toMatch(/5 or 6 fields/);
    expect(issueAt(issues, 'pairs[0].schedule.remotePoll').line).toBe(7);
  });

  it('an unquoted cron expression is a YAML error with a hint to quote it', () => {
    const issues = issuesOf(yaml('schedule:', '  remotePoll: */5 * * * *'));
    expect(issues).toHaveLength(1);
    expect(issues[0]!.line).toBe(2);
    expect(issues[0]!.message).toMatch(/YAML syntax error/);
    expect(issues[0]!.message).toMatch(/must be in quotes/);
  });

  it('bad remote URIs', () => {
    const issues = issuesOf(
      yaml(
        'pairs:',
        '  - { local: ~/a, remote: "vos:alice/my results" }',
        '  - { local: ~/b, remote: "ftp:alice/b" }',
        '  - { local: ~/c, remote: "vos:" }',
        '  - { local: ~/d, remote: "vos://cadc.nrc.ca~vault/alice/%zz" }',
        '  - { local: ~/e, remote: "/home/alice/e" }',
        '  - { local: "vos:alice/f", remote: "vos:alice/f" }',
      ),
    );
    expect(issueAt(issues, 'pairs[0].remote').message).toMatch(/illegal character 'space'/);
    expect(issueAt(issues, 'pairs[0].remote').line).toBe(2);
    expect(issueAt(issues, 'pairs[1].remote').message).toMatch(/unknown scheme 'ftp:'/);
    expect(issueAt(issues, 'pairs[2].remote').message).toMatch(/service root/);
    expect(issueAt(issues, 'pairs[3].remote').message).toMatch(/percent-encoding/);
    expect(issueAt(issues, 'pairs[4].remote').expected).toMatch(/vos:alice\/results/);
    expect(issueAt(issues, 'pairs[5].local').message).toMatch(/is a remote location/);
    for (const i of issues) expect(i.line).toBeGreaterThan(1);
  });

  it('a registry that is not an http(s) URL', () => {
    const issue = issueAt(issuesOf('registry: ftp://example.org/reg\n'), 'registry');
    expect(issue.message).toBe(
      'expected the http(s) URL of a registry resource-caps document, found "ftp://example.org/reg"',
    );
    expect([issue.line, issue.column]).toEqual([1, 11]);
  });

  it('bad services entries', () => {
    const issues = issuesOf(yaml('services:', '  Lab: http://x/vault', '  ok2: "not a url"'));
    expect(issueAt(issues, 'services.Lab').suggestion).toBe('lab');
    expect(issueAt(issues, 'services.ok2').message).toMatch(/ivo:\/\//);
  });

  it('duplicate pair names, given or derived from folder names', () => {
    const issues = issuesOf(
      yaml(
        'pairs:',
        '  - { name: data, local: ~/a, remote: vos:alice/a }',
        '  - { name: Data, local: ~/b, remote: vos:alice/b }',
        '  - { local: ~/one/results, remote: vos:alice/r1 }',
        '  - { local: ~/two/results, remote: vos:alice/r2 }',
      ),
    );
    const named = issueAt(issues, 'pairs[1].name');
    expect(named.message).toMatch(/'Data' is already used by pairs\[0\]/);
    expect(named.line).toBe(3);
    const derived = issueAt(issues, 'pairs[3].local');
    expect(derived.message).toMatch(/derived from the folder name/);
    expect(issues).toHaveLength(2);
  });

  it('overlapping local folders, and remote folders shared by uploading pairs', () => {
    const issues = issuesOf(
      yaml(
        'pairs:',
        '  - { name: inner, local: ~/data/sub, remote: vos:alice/x }',
        '  - { name: outer, local: ~/data, remote: vos:alice/y }',
        '  - { name: same, local: ~/data/, remote: vos:alice/y/z, mode: backup }',
        '  - { name: sibling, local: ~/data-2, remote: vos:alice/w }',
      ),
    );
    expect(issueAt(issues, 'pairs[0].local').message).toMatch(/inside the folder of pairs\[1\] \('outer'\)/);
    expect(issueAt(issues, 'pairs[2].local').message).toMatch(/also the folder of pairs\[1\]/);
    expect(issueAt(issues, 'pairs[2].remote').message).toMatch(/overlaps the remote folder of pairs\[1\]/);
    // pairs[0] lies inside both pairs[1] and pairs[2]: both are named.
    expect(issues.map((i) => i.path).sort()).toEqual([
      'pairs[0].local',
      'pairs[0].local',
      'pairs[2].local',
      'pairs[2].remote',
    ]);
  });

  it('negative and out-of-range limits', () => {
    const issues = issuesOf(
      yaml(
        'transfers: { concurrency: 0, requestsPerSecond: -1, bytesPerSecond: -5, timeoutSeconds: 0 }',
        'status: { port: 70000 }',
        'trash: { keepDays: 0 }',
        'pairs:',
        '  - local: ~/x',
        '    remote: vos:a/x',
        '    deleteLimits: { maxShare: 1.5, maxCount: -1 }',
      ),
    );
    expect(issueAt(issues, 'transfers.concurrency').expected).toBe('a number >= 1');
    expect(issueAt(issues, 'transfers.requestsPerSecond').found).toBe('-1');
    expect(issueAt(issues, 'transfers.bytesPerSecond').expected).toMatch(/bytes per second/);
    expect(issueAt(issues, 'transfers.timeoutSeconds').expected).toBe('a number > 0');
    expect(issueAt(issues, 'status.port').expected).toBe('a number <= 65535');
    expect(issueAt(issues, 'trash.keepDays').line).toBe(3);
    expect(issueAt(issues, 'pairs[0].deleteLimits.maxShare').found).toBe('1.5');
    const count = issueAt(issues, 'pairs[0].deleteLimits.maxCount');
    expect([count.line, count.column]).toEqual([7, 46]);
    expect(count.expected).toBe('a number >= 0');
  });

  it('YAML syntax errors with line and column', () => {
    const issues = issuesOf(
      yaml('transfers:', '  concurrency: 4', 'pairs: [', '  { local: ~/x }', 'log: {}'),
    );
    expect(issues).toHaveLength(1);
    expect(issues[0]!.message).toMatch(/^YAML syntax error/);
    expect(issues[0]!.line).toBeGreaterThanOrEqual(4);
    const flow = issuesOf(yaml('status: { tokenFile: ${DATA}/t }'));
    expect(flow[0]!.message).toMatch(/in quotes/);
    expect(flow[0]!.line).toBe(1);
    const dup = issuesOf(yaml('log: {}', 'log: {}'));
    expect(dup[0]!.message).toMatch(/unique/);
    expect([dup[0]!.line, dup[0]!.column]).toEqual([2, 1]);
    const tab = issuesOf('pairs:\n\t- local: x\n');
    expect(tab[0]!.line).toBe(2);
  });

  it('an alias to no anchor and a file that is not a mapping', () => {
    const alias = issuesOf(yaml('schedule:', '  remotePoll: *nope'));
    expect(alias[0]!.message).toMatch(/alias \*nope/);
    expect(alias[0]!.line).toBe(2);
    const list = issuesOf(yaml('- a', '- b'));
    expect(list[0]!.path).toBe('');
    expect(list[0]!.message).toMatch(/mapping of settings/);
  });

  it('missing required keys point at the pair', () => {
    const issues = issuesOf(yaml('pairs:', '  - name: x', '    mode: backup'));
    const local = issueAt(issues, 'pairs[0].local');
    expect(local.message).toMatch(/missing required key 'local'/);
    expect([local.line, local.column]).toEqual([2, 5]);
    expect(issueAt(issues, 'pairs[0].remote').message).toMatch(/missing required key 'remote'/);
  });

  it('pair rules: home folder, file-system root, propagateDeletes outside backup, bad name', () => {
    const issues = issuesOf(
      yaml(
        'pairs:',
        '  - { local: "~", remote: vos:alice/home }',
        '  - { local: /, remote: vos:alice/root }',
        '  - { local: ~/x, remote: vos:alice/x, propagateDeletes: false }',
        '  - { name: "bad name", local: ~/y, remote: vos:alice/y }',
        '  - { local: ~, remote: vos:alice/z }',
      ),
    );
    expect(issueAt(issues, 'pairs[0].local').message).toMatch(/whole home folder.*allowHomeRoot/);
    expect(issueAt(issues, 'pairs[1].local').message).toMatch(/root of a file system/);
    expect(issueAt(issues, 'pairs[2].propagateDeletes').message).toMatch(/only applies to mode: backup/);
    expect(issueAt(issues, 'pairs[3].name').message).toMatch(/letters, digits/);
    // A bare ~ is YAML for "empty".
    expect(issueAt(issues, 'pairs[4].local').message).toMatch(/bare ~ means "empty"/);
  });

  it('two authentication methods at once', () => {
    const issue = issueAt(issuesOf(yaml('auth:', '  certificate: ~/c.pem', '  token: abc')), 'auth.token');
    expect(issue.message).toMatch(/choose one way to authenticate; found certificate and token/);
    expect(issue.line).toBe(3);
  });

  it('path expansion problems', () => {
    const issues = issuesOf(
      yaml('pairs:', '  - { local: $NOPE/x, remote: vos:a/x }', '  - { local: ~bob/x, remote: vos:a/y }'),
    );
    expect(issueAt(issues, 'pairs[0].local').message).toMatch(/\$NOPE is not set/);
    expect(issueAt(issues, 'pairs[1].local').message).toMatch(/'~user' paths are not supported/);
  });

  it('reports several mistakes together, in file order', () => {
    const text = yaml(
      'transfers:',
      '  concurrency: -2',
      'schedule:',
      '  remotePoll: "every 5 minutes"',
      'status: { port: "7878" }',
      'pairs:',
      '  - local: ~/a',
      '    remote: vos:alice/a',
      '    mode: both',
      '  - local: ~/a/b',
      '    remote: vos:alice/b',
      '    unknown: 1',
    );
    let error: ConfigError | undefined;
    try {
      parse(text);
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const issues = error!.issues;
    expect(issues.map((i) => [i.path, i.line])).toEqual([
      ['transfers.concurrency', 2],
      ['schedule.remotePoll', 4],
      ['status.port', 5],
      ['pairs[0].mode', 9],
      ['pairs[1].local', 10],
      ['pairs[1].unknown', 12],
    ]);
    expect(error!.message).toMatch(/^test\.yaml: 6 problems in the configuration\n/);
    const lines = formatConfigIssues(issues, 'test.yaml').split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[0]).toBe('test.yaml:2:16: transfers.concurrency: expected a number >= 1, found -2');
  });
});

describe('paths', () => {
  it('default config path per platform', () => {
    expect(defaultConfigPath({ XDG_CONFIG_HOME: '/x/cfg' }, 'linux', HOME)).toBe('/x/cfg/vosync/config.yaml');
    expect(defaultConfigPath({}, 'linux', HOME)).toBe('/home/alice/.config/vosync/config.yaml');
    // XDG: a relative value is ignored.
    expect(defaultConfigPath({ XDG_CONFIG_HOME: 'rel/cfg' }, 'freebsd', HOME)).toBe(
      '/home/alice/.config/vosync/config.yaml',
    );
    expect(defaultConfigPath({ XDG_CONFIG_HOME: '/x/cfg' }, 'darwin', '/Users/alice')).toBe(
      '/Users/alice/Library/Application Support/vosync/config.yaml',
    );
    expect(
      defaultConfigPath({ APPDATA: 'C:\\Users\\alice\\AppData\\Roaming' }, 'win32', 'C:\\Users\\alice'),
    ).toBe('C:\\Users\\alice\\AppData\\Roaming\\vosync\\config.yaml');
    expect(defaultConfigPath({}, 'win32', 'C:\\Users\\alice')).toBe(
      'C:\\Users\\alice\\AppData\\Roaming\\vosync\\config.yaml',
    );
  });

  it('default state dir per platform', () => {
    expect(defaultStateDir({ XDG_STATE_HOME: '/x/state' }, 'linux', HOME)).toBe('/x/state/vosync');
    expect(defaultStateDir({}, 'linux', HOME)).toBe('/home/alice/.local/state/vosync');
    expect(defaultStateDir({}, 'darwin', '/Users/alice')).toBe(
      '/Users/alice/Library/Application Support/vosync/state',
    );
    expect(defaultStateDir({ LOCALAPPDATA: 'D:\\Local' }, 'win32', 'C:\\Users\\alice')).toBe(
      'D:\\Local\\vosync',
    );
    expect(defaultStateDir({}, 'win32', 'C:\\Users\\alice')).toBe('C:\\Users\\alice\\AppData\\Local\\vosync');
  });

  it('--config beats $VOSYNC_CONFIG beats the default', () => {
    const host = { env: { VOSYNC_CONFIG: '/etc/vosync.yaml' }, platform: 'linux' as const, homedir: HOME };
    expect(resolveConfigPath('/tmp/c.yaml', host)).toBe('/tmp/c.yaml');
    expect(resolveConfigPath(undefined, host)).toBe('/etc/vosync.yaml');
    expect(resolveConfigPath(undefined, { ...host, env: {} })).toBe('/home/alice/.config/vosync/config.yaml');
  });

  it('expands ~, $VAR, ${VAR} and $$, and resolves relative paths against the config folder', () => {
    const host = { env: { DATA: '/srv/data' }, platform: 'linux' as const, homedir: HOME };
    expect(expandPath('~/a', host, CONFIG_DIR)).toEqual({ ok: true, path: '/home/alice/a' });
    expect(expandPath('$HOME/a', host, CONFIG_DIR)).toEqual({ ok: true, path: '/home/alice/a' });
    expect(expandPath('${DATA}/b/', host, CONFIG_DIR)).toEqual({ ok: true, path: '/srv/data/b' });
    expect(expandPath('../x/$$y', host, CONFIG_DIR)).toEqual({ ok: true, path: '/home/alice/.config/x/$y' });
    expect(expandPath('$MISSING/x', host, CONFIG_DIR)).toMatchObject({ ok: false });
  });

  it('Windows paths: %VAR%, drive roots and case-insensitive overlap', () => {
    const win = {
      env: { USERPROFILE: 'C:\\Users\\alice' },
      platform: 'win32' as const,
      homedir: 'C:\\Users\\alice',
      baseDir: 'C:\\Users\\alice\\AppData\\Roaming\\vosync',
    };
    const c = parseConfigText(
      yaml('pairs:', '  - { local: "%USERPROFILE%\\\\Data", remote: vos:alice/data }'),
      'win.yaml',
      win,
    );
    expect(c.pairs[0]!.local).toBe('C:\\Users\\alice\\Data');
    expect(c.state.dir).toBe('C:\\Users\\alice\\AppData\\Local\\vosync');
    let issues: ConfigIssue[] = [];
    try {
      parseConfigText(
        yaml(
          'pairs:',
          '  - { local: "C:\\\\", remote: vos:alice/c }',
          '  - { local: "~\\\\data", remote: vos:alice/d }',
          '  - { local: "C:\\\\USERS\\\\Alice\\\\DATA\\\\sub", remote: vos:alice/e }',
        ),
        'win.yaml',
        win,
      );
    } catch (err) {
      issues = (err as ConfigError).issues;
    }
    expect(issueAt(issues, 'pairs[0].local').message).toMatch(/root of a file system/);
    expect(issueAt(issues, 'pairs[2].local').message).toMatch(/inside the folder of pairs\[1\]/);
  });
});

describe('files', () => {
  const dirs: string[] = [];
  const tempDir = (): string => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'vosync-config-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('the shipped example validates, with both example pairs', () => {
    const home = tempDir();
    const c = loadConfig(exampleConfigPath(), { env: {}, platform: 'linux', homedir: home });
    expect(c.pairs.map((p) => [p.name, p.mode, p.location.scheme])).toEqual([
      ['results', 'two-way', 'vos'],
      ['survey-backup', 'backup', 'arc'],
    ]);
    expect(c.pairs[0]!.local).toBe(path.join(home, 'data', 'results'));
    expect(c.pairs[1]!.deleteLimits.maxShare).toBeCloseTo(0.2);
    expect(c.auth).toEqual({ kind: 'certificate', certFile: path.join(home, '.ssl', 'cadcproxy.pem') });
    // Nothing exists in the fresh home: the certificate and folders are warned about, not errors.
    expect(c.warnings.map((w) => w.path).sort()).toEqual([
      'auth.certificate',
      'pairs[0].local',
      'pairs[1].local',
    ]);
    expect(c.warnings.every((w) => typeof w.line === 'number')).toBe(true);
  });

  it('the example documents every option the schema knows', () => {
    const text = fs.readFileSync(exampleConfigPath(), 'utf8');
    for (const key of [
      'registry',
      'services',
      'auth',
      'certificate',
      'token',
      'tokenFile',
      'username',
      'anonymous',
      'transfers',
      'concurrency',
      'requestsPerSecond',
      'bytesPerSecond',
      'retries',
      'timeoutSeconds',
      'schedule',
      'remotePoll',
      'fullRescan',
      'log',
      'level',
      'file',
      'maxSizeMB',
      'maxFiles',
      'status',
      'port',
      'trash',
      'keepDays',
      'state',
      'dir',
      'pairs',
      'name',
      'local',
      'remote',
      'mode',
      'conflict',
      'ignore',
      'deleteLimits',
      'maxShare',
      'maxCount',
      'propagateDeletes',
      'allowHomeRoot',
    ]) {
      expect(text, key).toMatch(new RegExp(`^\\s*#?\\s*-?\\s*${key}:`, 'm'));
    }
  });

  it('relative local paths resolve against the config file folder', () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'results'));
    const file = path.join(dir, 'config.yaml');
    fs.writeFileSync(
      file,
      yaml('auth: { anonymous: true }', 'pairs:', '  - local: results', '    remote: vos:alice/r'),
    );
    const c = loadConfig(file, { env: {}, platform: 'linux', homedir: dir });
    expect(c.source).toBe(file);
    expect(c.pairs[0]!.local).toBe(path.join(dir, 'results'));
    expect(c.status.tokenFile).toBe(path.join(dir, 'status-token'));
    expect(c.warnings).toEqual([]);
  });

  it('warns when an inline token sits in a file others can read', () => {
    const dir = tempDir();
    const file = path.join(dir, 'config.yaml');
    fs.writeFileSync(file, 'auth:\n  token: abc\n', { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    const open = loadConfig(file, { env: {}, platform: 'linux', homedir: dir });
    const w = open.warnings.find((x) => x.path === 'auth.token');
    expect(w?.message).toMatch(/mode 644/);
    expect(w?.line).toBe(2);
    fs.chmodSync(file, 0o600);
    const closed = loadConfig(file, { env: {}, platform: 'linux', homedir: dir });
    expect(closed.warnings.map((x) => x.path)).not.toContain('auth.token');
  });

  it('a missing file is a ConfigError that says how to create one', () => {
    const file = path.join(tempDir(), 'nope.yaml');
    expect(() => loadConfig(file)).toThrow(ConfigError);
    expect(() => loadConfig(file)).toThrow(/vosync config init/);
  });

  it('errors carry the file name and positions', () => {
    const dir = tempDir();
    const file = path.join(dir, 'config.yaml');
    fs.writeFileSync(file, yaml('pairs:', '  - local: ~/x', '    remote: vos:alice/x', '    mode: up'));
    try {
      loadConfig(file, { env: {}, platform: 'linux', homedir: dir });
      throw new Error('accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toContain(
        `${file}:4:11: pairs[0].mode: expected one of two-way, backup, mirror-down`,
      );
    }
  });
});
