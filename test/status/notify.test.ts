/**
 * Desktop notifications from a real daemon: the notifier is a real program (a script named by
 * `notifications.command`) that appends what it was asked to show to a file. A new conflict is said once,
 * a pause by the delete limits is said, a pause by the user is not, and switched off nothing is said.
 * Also where each platform's notifier is found.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notifyCommand } from '../../src/agent/status/notify-send.js';
import { pairOf, startDaemon, startEnv, waitFor, waitUpToDate, writeConfig, type Env } from './helpers.js';

let env: Env;

beforeAll(async () => {
  env = await startEnv('notify');
});

afterAll(async () => {
  await env.close();
});

/** A notifier script that appends "title | message" lines to `log`. */
function fakeNotifier(dir: string, log: string): string {
  const script = path.join(dir, 'notifier.sh');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(script, `#!/bin/sh\nprintf '%s | %s\\n' "$1" "$2" >> '${log}'\n`, { mode: 0o755 });
  return script;
}

/** The notes written so far; a line still being appended (or a file just created) is not one yet. */
const lines = (log: string) =>
  fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').slice(0, -1).filter(Boolean) : [];

describe('notifications from the daemon', () => {
  it('say a new conflict once and a safety pause, not a pause by the user', async () => {
    const dir = path.join(env.tmp, 'on');
    const log = path.join(env.tmp, 'on-notes.txt');
    const script = fakeNotifier(path.join(env.tmp, 'bin'), log);
    const config = writeConfig(env, dir, [{ name: 'lab' }], {
      remotePoll: '0 0 * * *',
      extra: { notifications: { command: script } },
    });
    const local = path.join(dir, 'lab');
    for (let i = 0; i < 10; i++) fs.writeFileSync(path.join(local, `f${i}.txt`), `file ${i}`);
    const d = await startDaemon(env, config);
    try {
      await waitUpToDate(d, 'lab');
      // A conflict copy arriving (as if from another machine).
      fs.writeFileSync(path.join(local, 'm31.conflict-20261201-221815-desk.txt'), 'the other version');
      await waitFor('the conflict note', () => lines(log).length === 1);
      expect(lines(log)).toEqual([
        'vosync: a conflict in lab | both versions kept: m31.conflict-20261201-221815-desk.txt',
      ]);
      // Looked at again by a full cycle: still one note.
      const before = pairOf((await d.call('GET', '/status')).body, 'lab').lastSyncOkAt!;
      await d.call('POST', '/rescan?pair=lab');
      await waitFor('the rescan to finish', async () => {
        const p = pairOf((await d.call('GET', '/status')).body, 'lab');
        return p.state === 'idle' && p.lastSyncOkAt! > before && p.conflicts === 1;
      });
      // Paused by the user: the user knows.
      await d.call('POST', '/pause?pair=lab');
      for (let i = 0; i < 6; i++) fs.rmSync(path.join(local, `f${i}.txt`));
      await waitFor('the watcher to notice', async () => {
        const p = pairOf((await d.call('GET', '/status')).body, 'lab');
        return p.pending['localChanges'] === 6;
      });
      expect(lines(log)).toHaveLength(1);
      // Paused by the delete limits: said.
      await d.call('POST', '/resume?pair=lab');
      await waitFor('the pause note', () => lines(log).length === 2);
      expect(lines(log)[1]).toMatch(
        /^vosync: lab is paused \| would delete 6 of 11 synced items on the remote side/,
      );
    } finally {
      await d.stop();
    }
  });

  it('say nothing when switched off, and switched on, only what is new', async () => {
    const dir = path.join(env.tmp, 'off');
    const log = path.join(env.tmp, 'off-notes.txt');
    const script = fakeNotifier(path.join(env.tmp, 'bin-off'), log);
    const config = writeConfig(env, dir, [{ name: 'quiet' }], {
      remotePoll: '0 0 * * *',
      extra: { notifications: { enabled: false, command: script } },
    });
    const d = await startDaemon(env, config);
    try {
      await waitUpToDate(d, 'quiet');
      fs.writeFileSync(path.join(dir, 'quiet', 'a.conflict-20261201-221815-desk.txt'), 'x');
      await waitFor('the conflict to be seen', async () => {
        const p = pairOf((await d.call('GET', '/status')).body, 'quiet');
        return p.conflicts === 1 && p.state === 'idle';
      });
      // Switched on by a reload: what happened meanwhile is not repeated, what comes next is said. Were the
      // first conflict said while off, its line would be in the file before this one.
      fs.writeFileSync(
        config.source,
        fs.readFileSync(config.source, 'utf8').replace('enabled: false', 'enabled: true'),
      );
      expect((await d.daemon.reload()).applied).toContain('notifications');
      fs.writeFileSync(path.join(dir, 'quiet', 'b.conflict-20261201-221816-desk.txt'), 'y');
      await waitFor('the note of the second conflict', () => lines(log).length > 0);
      expect(lines(log)).toEqual([
        'vosync: a conflict in quiet | both versions kept: b.conflict-20261201-221816-desk.txt',
      ]);
    } finally {
      await d.stop();
    }
  });
});

describe('the notifier of each platform', () => {
  it('is the configured program, osascript on macOS, notify-send where a desktop runs and it exists', () => {
    const bin = path.join(env.tmp, 'path-bin');
    fs.mkdirSync(bin, { recursive: true });
    const env0 = { PATH: bin };
    expect(notifyCommand({ command: '/my/notifier', env: env0, platform: 'linux' }, 'T', 'M')).toEqual([
      '/my/notifier',
      ['T', 'M'],
    ]);
    expect(notifyCommand({ env: env0, platform: 'darwin' }, 'vosync: "x"', 'a\\b')).toEqual([
      'osascript',
      ['-e', 'display notification "a\\\\b" with title "vosync: \\"x\\""'],
    ]);
    // No desktop, or no notify-send: nothing to run.
    expect(notifyCommand({ env: env0, platform: 'linux' }, 'T', 'M')).toBeUndefined();
    expect(notifyCommand({ env: { ...env0, DISPLAY: ':0' }, platform: 'linux' }, 'T', 'M')).toBeUndefined();
    fs.writeFileSync(path.join(bin, 'notify-send'), '#!/bin/sh\n', { mode: 0o755 });
    expect(
      notifyCommand({ env: { ...env0, WAYLAND_DISPLAY: 'wayland-0' }, platform: 'linux' }, 'T', 'M'),
    ).toEqual([path.join(bin, 'notify-send'), ['--app-name=vosync', 'T', 'M']]);
    expect(notifyCommand({ env: { ...env0, DISPLAY: ':0' }, platform: 'win32' }, 'T', 'M')).toBeUndefined();
  });
});
