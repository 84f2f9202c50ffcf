/**
 * `vosync status` (summary, --json, --tray, --open), `pause`, `resume`, `rescan`, run in-process through the
 * real CLI against a real daemon; exit codes follow the monitoring convention (0 ok, 1 warning, 2 critical,
 * 3 unknown). The API token never appears in anything printed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  pairOf,
  runVosync,
  startDaemon,
  startEnv,
  waitFor,
  waitUpToDate,
  writeConfig,
  type Env,
  type RunningDaemon,
} from './helpers.js';
import { publishedSchema, validate } from './json-schema.js';

let env: Env;
let d: RunningDaemon;
let dir: string;
let configFile: string;
const printed: string[] = [];

const vosync = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => runVosync(env, printed, args, extraEnv);

beforeAll(async () => {
  env = await startEnv('cli');
  dir = path.join(env.tmp, 'agent');
  // Daily polls: cycles run only when the test causes them, so "up to date" holds while it looks.
  const config = writeConfig(env, dir, [{ name: 'notes' }, { name: 'data' }], { remotePoll: '0 0 * * *' });
  configFile = config.source;
  fs.writeFileSync(path.join(dir, 'notes', 'a.txt'), 'a');
  d = await startDaemon(env, config);
  await waitUpToDate(d, 'notes');
  await waitUpToDate(d, 'data');
});

afterAll(async () => {
  // Whatever the commands printed, the API token was never part of it.
  expect(printed.join('\n')).not.toContain(d.token);
  await d.stop();
  await env.close();
});

describe('vosync status', () => {
  it('summarises every pair and exits 0 when all is up to date', async () => {
    const r = await vosync(['status', '--config', configFile]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe('vosync 0.1.0: up to date (2 folders)');
    expect(r.out).toMatch(/^ {2}notes +UP TO DATE +last sync \d+ s ago$/m);
    expect(r.out).toContain(`${path.join(dir, 'notes')} ⇄ vos:alice/agent-notes (two-way)`);
  });

  it('prints the GET /status document with --json', async () => {
    const r = await vosync(['status', '--json', '--config', configFile]);
    expect(r.code).toBe(0);
    const envelope = JSON.parse(r.out) as { result: unknown };
    // The CLI's one envelope around the API's document: both as published.
    expect(validate(publishedSchema('cli/envelope'), envelope)).toEqual([]);
    expect(envelope).toMatchObject({ ok: true, command: 'status', exitCode: 0 });
    const doc = envelope.result;
    expect(validate(publishedSchema('status'), doc)).toEqual([]);
    expect(pairOf(doc, 'notes').upToDate).toBe(true);
    // The global --json before the command means the same.
    const g = await vosync(['--json', 'status', '--config', configFile]);
    expect(JSON.parse(g.out)).toMatchObject({ result: { state: 'idle' } });
  });

  it('pause, resume and rescan drive the daemon, and the exit code follows the health', async () => {
    const p = await vosync(['pause', 'data', '--config', configFile]);
    expect(p).toMatchObject({ code: 0, out: 'paused data\n' });
    const warn = await vosync(['status', '--config', configFile]);
    expect(warn.code).toBe(1);
    expect(warn.out).toMatch(/^vosync 0\.1\.0: paused/);
    expect(warn.out).toMatch(/^ {2}data +PAUSED +paused by the user/m);
    const r = await vosync(['resume', '--config', configFile]);
    expect(r).toMatchObject({ code: 0, out: 'resumed all 2 pair(s)\n' });
    await waitUpToDate(d, 'data');
    const s = await vosync(['rescan', 'notes', '--config', configFile]);
    expect(s).toMatchObject({ code: 0, out: 'rescan of notes started\n' });
    await waitUpToDate(d, 'notes');
    const bad = await vosync(['pause', 'nope', '--config', configFile]);
    expect(bad.code).toBe(2);
    expect(bad.err).toBe('vosync pause: no pair named nope\n');
  });

  it('exits 2 and names the file when a pair is in error', async () => {
    const remote = d.config.pairs.find((p) => p.name === 'notes')!.remote;
    await env.client.lock(remote, true);
    try {
      fs.writeFileSync(path.join(dir, 'notes', 'blocked.txt'), 'no');
      await waitFor(
        'error',
        async () => pairOf((await d.call('GET', '/status')).body, 'notes').state === 'error',
      );
      const r = await vosync(['status', '--config', configFile]);
      expect(r.code).toBe(2);
      expect(r.out).toMatch(/^ {2}notes +ERROR +1 failing \(blocked\.txt: .*PermissionDenied\)/m);
      expect(r.out).toMatch(/^Errors \(need you\):\n {2}notes: blocked\.txt: /m);
      const j = await vosync(['status', '--json', '--config', configFile]);
      expect(j.code).toBe(2);
    } finally {
      await env.client.lock(remote, false);
      await d.call('POST', '/rescan?pair=notes');
      await waitUpToDate(d, 'notes');
    }
  });

  it('answers for single paths: synced, not synced and why, with --json', async () => {
    const file = path.join(dir, 'notes', 'per-file.txt');
    fs.writeFileSync(file, 'one');
    await waitFor('per-file.txt synced', async () => {
      const r = await vosync(['status', file, '--config', configFile]);
      return r.out === `${file}: synced\n` ? r : undefined;
    });
    const long = path.join(dir, 'notes', `${'a b'.repeat(70)}.txt`);
    fs.writeFileSync(long, 'x');
    const r = await waitFor('the long name reported', async () => {
      const x = await vosync(['status', file, long, '--config', configFile]);
      return x.out.includes('not synced: name too long') ? x : undefined;
    });
    expect(r.code).toBe(1);
    expect(r.out.split('\n')[1]).toMatch(/: ignored \(not synced: name too long for the remote once encoded/);
    const j = await vosync(['status', '--json', file, '--config', configFile]);
    expect(JSON.parse(j.out)).toMatchObject({
      result: { files: [{ path: 'per-file.txt', state: 'synced' }] },
    });
    fs.rmSync(long);
    await waitUpToDate(d, 'notes');
  });

  it('prints the last actions in plain words', async () => {
    const r = await vosync(['log', '--pair', 'notes', '--config', configFile]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}notes {2}uploaded per-file\.txt \(3 B\)$/m);
    expect(r.out).not.toMatch(/mkdirRemote|recordSynced/);
  });

  it('lists what is not synced, and why', async () => {
    // Too long for the server once its spaces are mapped (70 × ~20): cannot be stored under any name.
    const long = path.join(dir, 'data', `${'a b'.repeat(70)}.txt`);
    fs.writeFileSync(long, 'x');
    await waitFor('not synced', async () => {
      const p = pairOf((await d.call('GET', '/status')).body, 'data');
      const quiet = Object.values(p.pending).every((n) => n === 0) && p.transfers === 0;
      return p.notSynced === 1 && p.state === 'idle' && quiet ? p : undefined;
    });
    // Something not synced is never "up to date": it needs a look, and the exit code says so.
    const r = await vosync(['status', '--config', configFile]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^ {2}data +NEEDS A LOOK +1 not synced · last sync/m);
    expect(r.out).toMatch(
      /\nNot synced:\n {2}data: (a b){70}\.txt: not synced: name too long for the remote once encoded \(354 bytes/,
    );
    // Gone from the folder, gone from the list: up to date again.
    fs.rmSync(long);
    await waitUpToDate(d, 'data');
  });

  it('--open prints a one-time link to the status page, not the token', async () => {
    const r = await vosync(['status', '--open', '--config', configFile]);
    expect(r.code).toBe(0);
    const link = /http:\/\/127\.0\.0\.1:\d+\/#code=[\w-]+/.exec(r.out)?.[0];
    expect(link).toBeDefined();
    expect(link!.startsWith(d.api.url)).toBe(true);
    const code = link!.split('#code=')[1]!;
    const redeem = () =>
      d.call('POST', '/session/redeem', {
        token: null,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code }),
      });
    expect((await redeem()).status).toBe(200);
    expect((await redeem()).status).toBe(401);
  });

  it('exits 3 when the daemon cannot be asked', async () => {
    const other = writeConfig(env, path.join(env.tmp, 'never-started'), [{ name: 'x' }]);
    const r = await vosync(['status', '--config', other.source]);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/^vosync status: no status token at .*status-token: the daemon has never run/);
    // A token but nobody listening on the configured port.
    fs.writeFileSync(other.status.tokenFile, 'x'.repeat(43) + '\n', { mode: 0o600 });
    const cfg = fs.readFileSync(other.source, 'utf8').replace('port: 0', 'port: 1');
    fs.writeFileSync(other.source, cfg);
    const r2 = await vosync(['status', '--config', other.source]);
    expect(r2.code).toBe(3);
    expect(r2.err).toMatch(/the daemon is not answering at http:\/\/127\.0\.0\.1:1 /);
  });
});

describe('vosync status --tray', () => {
  /** The argv a tray menu line would run, from xbar's shell= and paramN= attributes. */
  function xbarArgv(line: string): string[] {
    const attrs = [...line.split(' | ')[1]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)];
    const get = (k: string) => attrs.find((m) => m[1] === k)?.[2];
    const argv = [get('shell')!];
    for (let i = 1; get(`param${i}`) !== undefined; i++) argv.push(get(`param${i}`)!);
    return argv;
  }

  it('prints an xbar menu whose items run vosync', async () => {
    const r = await vosync(['status', '--tray', '--config', configFile]);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toBe('✓ vosync');
    expect(lines[1]).toBe('---');
    expect(lines[2]).toBe('vosync: up to date');
    expect(lines.some((l) => /^notes: up to date — last sync \d+ s ago$/.test(l))).toBe(true);
    const pause = lines.find((l) => l.startsWith('Pause all | '))!;
    expect(pause).toContain('terminal=false refresh=true');
    const argv = xbarArgv(pause);
    expect(argv).toEqual(['/opt/vosync/bin/vosync', 'pause', '--config', configFile]);
    // Run what the menu item would run.
    expect((await vosync(argv.slice(1))).code).toBe(0);
    const paused = await vosync(['status', '--tray', 'xbar', '--config', configFile]);
    const pl = paused.out.split('\n');
    expect(pl[0]).toBe('⏸ vosync | color=#9a6400');
    const resume = pl.find((l) => l.startsWith('Resume all | '))!;
    expect((await vosync(xbarArgv(resume).slice(1))).code).toBe(0);
    await waitUpToDate(d, 'notes');
    await waitUpToDate(d, 'data');
    const open = xbarArgv(pl.find((l) => l.startsWith('Open status page | '))!);
    expect(open.slice(1)).toEqual(['status', '--open', '--config', configFile]);
  });

  it('prints an Argos menu with shell-quoted bash commands', async () => {
    const r = await vosync(['status', '--tray', 'argos', '--config', configFile]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      `Rescan all | bash='"/opt/vosync/bin/vosync" "rescan" "--config" "${configFile}"' terminal=false refresh=true`,
    );
  });

  it('says the daemon is not running, and exits 0 so the tray shows it', async () => {
    const other = writeConfig(env, path.join(env.tmp, 'tray-down'), [{ name: 'y' }]);
    const r = await vosync(['status', '--tray', '--config', other.source]);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe('✖ vosync | color=#b3261e');
    expect(lines[2]).toMatch(/^vosync is not running: no status token/);
    expect(lines[3]).toMatch(
      /^Start the daemon \| shell="\/opt\/vosync\/bin\/vosync" param1="daemon" param2="--config"/,
    );
    const bad = await vosync(['status', '--tray', 'kde', '--config', other.source]);
    expect(bad.code).toBe(22);
  });
});
