/**
 * Running as a service: `vosync service install|uninstall|status` writes and removes a systemd user unit or a
 * launchd agent in a temporary home, units pass `systemd-analyze verify` (where the tool exists) or an XML
 * check, a vosync on PATH is looked up by the unit at each start (so a node upgrade needs no new unit), linger
 * is checked and explained, the packaged templates are what the builders produce, and the tray plugin
 * scripts run vosync with the right arguments. Service managers are never really called: `run` records what
 * would run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Command } from 'commander';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/common.js';
import {
  launchdPlist,
  registerService,
  systemdUnit,
  unitPath,
  type ServiceHost,
} from '../../src/cli/service-cmd.js';

const REPO = path.join(__dirname, '../..');
const PACKAGING = path.join(REPO, 'packaging');
const NODE = process.execPath;
const SCRIPT = path.join(REPO, 'dist', 'cli', 'main.js');

let tmp: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vosync-service-'));
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

const SYSTEMD_ANALYZE = spawnSync('systemd-analyze', ['--version']).status === 0;

/** systemd's own check: no complaint at all about the unit. */
function verifySystemd(file: string): string {
  const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
  return `${r.status}${r.stdout}${r.stderr}`.trim();
}

interface Run {
  code: number;
  out: string;
  err: string;
  ran: string[];
}

function makeHome(name: string, config = 'pairs: []\n'): { home: string; configFile: string } {
  const home = path.join(tmp, name);
  const configFile = path.join(home, 'my config & more', 'config.yaml');
  fs.mkdirSync(path.dirname(configFile), { recursive: true });
  fs.writeFileSync(configFile, config);
  return { home, configFile };
}

async function service(
  args: string[],
  h: { platform: NodeJS.Platform; home: string; fail?: string; path?: string; linger?: 'yes' | 'no' },
): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const ran: string[] = [];
  let code = -1;
  const sink = (to: string[]) => new Writable({ write: (c, _e, cb) => (to.push(String(c)), cb()) });
  const env = { HOME: h.home, USER: 'alice', ...(h.path ? { PATH: h.path } : {}) };
  const io = {
    stdout: sink(out),
    stderr: sink(err),
    env,
    cwd: h.home,
    now: Date.now,
    setExitCode: (c: number) => (code = c),
  } as unknown as CliIo;
  const host: ServiceHost = {
    platform: h.platform,
    homedir: h.home,
    env,
    uid: 501,
    run: (cmd, a) => {
      const line = [cmd, ...a].join(' ');
      ran.push(line);
      if (h.fail && line.includes(h.fail)) return { status: 1, output: 'Failed to connect to bus' };
      if (line.endsWith('is-enabled vosync.service')) return { status: 0, output: 'enabled' };
      if (line.endsWith('is-active vosync.service')) return { status: 0, output: 'active' };
      if (line.startsWith('loginctl show-user alice'))
        return h.linger ? { status: 0, output: `Linger=${h.linger}` } : { status: 1, output: 'no session' };
      return { status: 0, output: '' };
    },
  };
  const program = new Command('vosync').exitOverride();
  registerService(program, { io, self: [NODE, SCRIPT], host });
  await program.parseAsync(args, { from: 'user' });
  return { code, out: out.join(''), err: err.join(''), ran };
}

describe('packaged unit templates', () => {
  const systemdTemplate = systemdUnit({ argv: ['/usr/bin/env', 'vosync', 'daemon'] });
  const launchdTemplate = launchdPlist(
    { argv: ['/usr/bin/env', 'vosync', 'daemon'], path: '/opt/homebrew/bin:/usr/local/bin:/usr/bin:/bin' },
    '/Users/USERNAME/Library/Logs/vosync',
  );
  const files: [string, string][] = [
    [path.join(PACKAGING, 'systemd', 'vosync.service'), systemdTemplate],
    [path.join(PACKAGING, 'launchd', 'io.vosync.daemon.plist'), launchdTemplate],
  ];

  it('are what `vosync service install` writes, for a vosync on PATH', () => {
    if (process.env['UPDATE_PACKAGING'] === '1') for (const [f, text] of files) fs.writeFileSync(f, text);
    for (const [f, text] of files) expect(fs.readFileSync(f, 'utf8')).toBe(text);
  });

  it('pass systemd-analyze verify where it exists, and are well-formed otherwise', () => {
    expect(systemdTemplate).toMatch(/^ExecStart=\/usr\/bin\/env vosync daemon$/m);
    expect(systemdTemplate).toMatch(/^WantedBy=default\.target$/m);
    // `systemctl --user reload vosync` is the daemon's SIGHUP config reload.
    expect(systemdTemplate).toMatch(/^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
    if (SYSTEMD_ANALYZE) expect(verifySystemd(files[0]![0])).toBe('0');
    expect(XMLValidator.validate(launchdTemplate)).toBe(true);
  });
});

describe('vosync service on Linux (systemd user unit)', () => {
  it('install --no-start writes a unit that runs this vosync with the config, and systemd accepts it', async () => {
    const { home, configFile } = makeHome('linux1');
    const r = await service(['service', 'install', '--no-start', '--config', configFile], {
      platform: 'linux',
      home,
    });
    const unit = path.join(home, '.config', 'systemd', 'user', 'vosync.service');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.ran).toEqual([]);
    expect(r.out).toBe(
      `wrote ${unit}\n` +
        'vosync is not on your PATH, so the unit runs this node and this vosync by their paths: ' +
        'run vosync service install again after upgrading or moving either\n' +
        'start it with: systemctl --user daemon-reload && systemctl --user enable --now vosync.service\n',
    );
    const text = fs.readFileSync(unit, 'utf8');
    expect(text).toContain(`ExecStart=${NODE} ${SCRIPT} daemon --config "${configFile}"\n`);
    expect(fs.statSync(unit).mode & 0o777).toBe(0o644);
    if (SYSTEMD_ANALYZE) expect(verifySystemd(unit)).toBe('0');
  });

  it('install starts it with systemctl --user, and says so when that fails', async () => {
    const { home, configFile } = makeHome('linux2');
    const ok = await service(['service', 'install', '--config', configFile], { platform: 'linux', home });
    expect(ok.code).toBe(0);
    expect(ok.ran).toEqual([
      'systemctl --user daemon-reload',
      'systemctl --user enable --now vosync.service',
      'loginctl show-user alice --property=Linger',
    ]);
    expect(ok.out).toContain('vosync now runs at login');
    expect(ok.out).toContain('loginctl enable-linger $USER');
    const bad = await service(['service', 'install', '--config', configFile], {
      platform: 'linux',
      home,
      fail: 'enable',
    });
    expect(bad.code).toBe(1);
    expect(bad.err).toBe(
      'vosync service install: systemctl --user enable --now vosync.service failed: Failed to connect to bus\n',
    );
  });

  it('status reports, uninstall stops and removes', async () => {
    const { home, configFile } = makeHome('linux3');
    const before = await service(['service', 'status'], { platform: 'linux', home });
    expect(before.code).toBe(3);
    expect(before.out).toMatch(/^not installed/);
    await service(['service', 'install', '--no-start', '--config', configFile], { platform: 'linux', home });
    const st = await service(['service', 'status'], { platform: 'linux', home });
    expect(st.code).toBe(0);
    expect(st.out).toContain('is-enabled: enabled\nis-active: active\n');
    const un = await service(['service', 'uninstall'], { platform: 'linux', home });
    expect(un.code).toBe(0);
    expect(un.ran).toEqual([
      'systemctl --user disable --now vosync.service',
      'systemctl --user daemon-reload',
      'systemctl --user daemon-reload',
    ]);
    expect(fs.existsSync(path.join(home, '.config', 'systemd', 'user', 'vosync.service'))).toBe(false);
    expect((await service(['service', 'uninstall'], { platform: 'linux', home })).out).toMatch(
      /^not installed/,
    );
  });

  it('with vosync on PATH, the unit looks it up there at each start: a node upgrade needs no new unit', async () => {
    const { home, configFile } = makeHome('linux5');
    const bin = path.join(home, 'nvm node', 'bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(path.join(bin, 'vosync'), '#!/bin/sh\n', { mode: 0o755 });
    const userPath = `${bin}:relative/bin:/usr/bin`;
    const r = await service(['service', 'install', '--config', configFile], {
      platform: 'linux',
      home,
      path: userPath,
      linger: 'yes',
    });
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('enable-linger');
    const unit = path.join(home, '.config', 'systemd', 'user', 'vosync.service');
    const text = fs.readFileSync(unit, 'utf8');
    // No node or script path pinned: /usr/bin/env finds vosync, whose `#!/usr/bin/env node` finds node.
    expect(text).toContain(`ExecStart=/usr/bin/env vosync daemon --config "${configFile}"\n`);
    expect(text).not.toContain(NODE);
    // The user's PATH as it was (absolute entries only), then the usual folders.
    expect(text).toContain(`Environment="PATH=${bin}:/usr/bin:/usr/local/bin:/bin"\n`);
    expect(unitPath(text)).toBe(`${bin}:/usr/bin:/usr/local/bin:/bin`);
    expect(text).toMatch(/^# Without a login session .*loginctl enable-linger \$USER$/m);
    if (SYSTEMD_ANALYZE) expect(verifySystemd(unit)).toBe('0');

    // status says which vosync the unit will start, and says so when it has gone (node uninstalled).
    const st = await service(['service', 'status'], { platform: 'linux', home, linger: 'no' });
    expect(st.out).toContain(`vosync on the unit's PATH: ${path.join(bin, 'vosync')}\n`);
    expect(st.out).toContain('linger: no — it stops when you log out');
    fs.rmSync(path.join(bin, 'vosync'));
    const gone = await service(['service', 'status'], { platform: 'linux', home });
    expect(gone.out).toContain("vosync is NOT on the unit's PATH any more");
  });

  it('refuses to install a service whose config does not load', async () => {
    const { home, configFile } = makeHome('linux4', 'pairs: [ broken\n');
    const r = await service(['service', 'install', '--no-start', '--config', configFile], {
      platform: 'linux',
      home,
    });
    expect(r.code).toBe(22);
    expect(r.err).toMatch(/^vosync service install: the service would not start: /);
    expect(fs.existsSync(path.join(home, '.config', 'systemd'))).toBe(false);
  });
});

describe('vosync service on macOS (launchd agent) and Windows', () => {
  it('writes a well-formed launch agent and bootstraps it', async () => {
    const { home, configFile } = makeHome('mac');
    const r = await service(['service', 'install', '--config', configFile], { platform: 'darwin', home });
    expect(r.code).toBe(0);
    const file = path.join(home, 'Library', 'LaunchAgents', 'io.vosync.daemon.plist');
    expect(r.ran).toEqual([
      'launchctl bootout gui/501/io.vosync.daemon',
      `launchctl bootstrap gui/501 ${file}`,
    ]);
    const text = fs.readFileSync(file, 'utf8');
    expect(XMLValidator.validate(text)).toBe(true);
    const plist = new XMLParser({ processEntities: true }).parse(text) as {
      plist: { dict: { key: string[]; string: string[]; array: { string: string[] } } };
    };
    expect(plist.plist.dict.array.string).toEqual([NODE, SCRIPT, 'daemon', '--config', configFile]);
    // The daemon knows no one reads its stderr there: it logs to its own rotated file.
    expect(text).toMatch(/<key>VOSYNC_SERVICE<\/key>\s*<string>launchd<\/string>/);
    expect(plist.plist.dict.key).toContain('RunAtLoad');
    expect(plist.plist.dict.string).toContain('io.vosync.daemon');
    expect(fs.existsSync(path.join(home, 'Library', 'Logs', 'vosync'))).toBe(true);
    const un = await service(['service', 'uninstall'], { platform: 'darwin', home });
    expect(un.ran).toEqual(['launchctl bootout gui/501/io.vosync.daemon']);
    expect(fs.existsSync(file)).toBe(false);
  });

  it('prints the Task Scheduler command on Windows instead of pretending', async () => {
    const { home, configFile } = makeHome('win');
    const r = await service(['service', 'install', '--config', configFile], { platform: 'win32', home });
    expect(r.code).toBe(95);
    expect(r.out).toContain('schtasks /Create /TN vosync /SC ONLOGON /RL LIMITED /F /TR "');
    expect(r.out).toContain('packaging/windows/README.md');
    expect(r.ran).toEqual([]);
    expect(fs.readFileSync(path.join(PACKAGING, 'windows', 'README.md'), 'utf8')).toContain(
      'schtasks /Create /TN vosync',
    );
  });
});

describe('tray plugin scripts', () => {
  let fake: string;
  beforeAll(() => {
    // A stand-in for vosync that shows how it was called.
    fake = path.join(tmp, 'fake-vosync');
    fs.writeFileSync(fake, '#!/usr/bin/env bash\necho "called with: $*"\n', { mode: 0o755 });
  });

  for (const [script, flavour] of [
    ['vosync.30s.sh', 'xbar'],
    ['vosync.r.30s.sh', 'argos'],
  ] as const) {
    it(`${script} runs vosync status --tray ${flavour}, with the config when set`, () => {
      const file = path.join(PACKAGING, 'tray', script);
      expect(fs.statSync(file).mode & 0o111).not.toBe(0);
      const run = (env: Record<string, string>) =>
        execFileSync('bash', [file], {
          encoding: 'utf8',
          env: { PATH: process.env['PATH'] ?? '', HOME: tmp, ...env },
        });
      expect(run({ VOSYNC: fake })).toBe(`called with: status --tray ${flavour}\n`);
      expect(run({ VOSYNC: fake, VOSYNC_CONFIG: '/a b/config.yaml' })).toBe(
        `called with: status --tray ${flavour} --config /a b/config.yaml\n`,
      );
      const missing = run({ VOSYNC: path.join(tmp, 'no-such-vosync') });
      expect(missing.split('\n')[0]).toBe('✖ vosync | color=#b3261e');
      expect(missing).toContain('vosync not found');
    });
  }
});
