/**
 * Config reload (`vosync reload`, the same code SIGHUP runs) against a real daemon, its status API and a real
 * embedded server: pairs added start, pairs removed stop with both sides left as they were, changed pairs
 * restart keeping a user's pause, and a file with mistakes changes nothing but is reported with its lines.
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
const vosync = (args: string[]) => runVosync(env, printed, args);

beforeAll(async () => {
  env = await startEnv('reload');
  dir = path.join(env.tmp, 'cfg');
  const config = writeConfig(env, dir, [{ name: 'first' }], { remotePoll: '0 0 * * *' });
  configFile = config.source;
  fs.writeFileSync(path.join(dir, 'first', 'one.txt'), 'one');
  d = await startDaemon(env, config);
  await waitUpToDate(d, 'first');
});

afterAll(async () => {
  expect(printed.join('\n')).not.toContain(d.token);
  await d.stop();
  await env.close();
});

const remoteText = async (uri: string): Promise<string | undefined> => {
  const info = await env.client.tryGetInfo(uri);
  if (!info) return undefined;
  const chunks: Buffer[] = [];
  for await (const c of await env.client.openRead(uri)) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
};

async function status(): Promise<Record<string, unknown>> {
  const r = await d.call('GET', '/status');
  expect(validate(publishedSchema('status'), r.body)).toEqual([]);
  return r.body as Record<string, unknown>;
}

describe('vosync reload', () => {
  it('starts a pair added to the file', async () => {
    writeConfig(env, dir, [{ name: 'first' }, { name: 'second' }], { remotePoll: '0 0 * * *' });
    fs.writeFileSync(path.join(dir, 'second', 'two.txt'), 'two');
    const r = await vosync(['reload', '--config', configFile]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toBe(`reloaded ${configFile}\n  started: second\n`);
    expect(await waitFor('two.txt on the server', () => remoteText('vos:alice/cfg-second/two.txt'))).toBe(
      'two',
    );
    await waitUpToDate(d, 'second');
    expect(d.daemon.config.pairs.map((p) => p.name)).toEqual(['first', 'second']);
  });

  it('refuses a file with mistakes, keeps running as before and says where the mistakes are', async () => {
    const good = fs.readFileSync(configFile, 'utf8');
    const lines = good.split('\n');
    const modeLine = lines.findIndex((l) => l.includes('mode: two-way')) + 1;
    fs.writeFileSync(configFile, good.replace('mode: two-way', 'mode: sideways'));
    try {
      const r = await vosync(['reload', '--config', configFile]);
      expect(r.code).toBe(1);
      expect(r.out).toBe('');
      expect(r.err).toContain(`${configFile} has 1 problem(s); the daemon keeps its previous config:`);
      expect(r.err).toMatch(new RegExp(`${configFile}:${modeLine}:\\d+: pairs\\[0\\]\\.mode: .*sideways`));
      const s = await status();
      const config = s['config'] as { reloadError: { errors: string[] } | null; file: string };
      expect(config.file).toBe(configFile);
      expect(config.reloadError?.errors.join('\n')).toContain('sideways');
      // Health says "look at me" and why, while both pairs keep syncing with the old settings.
      const st = await vosync(['status', '--config', configFile]);
      expect(st.code).toBe(1);
      expect(st.out).toContain('config reload refused (1 problem), still running the previous config:');
      fs.writeFileSync(path.join(dir, 'first', 'still.txt'), 'still syncing');
      expect(
        await waitFor('still.txt on the server', () => remoteText('vos:alice/cfg-first/still.txt')),
      ).toBe('still syncing');
      expect(d.daemon.config.pairs.map((p) => p.mode)).toEqual(['two-way', 'two-way']);
    } finally {
      fs.writeFileSync(configFile, good);
    }
  });

  it('stops a removed pair leaving both sides alone, restarts a changed one keeping its pause', async () => {
    await vosync(['pause', 'second', '--config', configFile]);
    // "first" leaves the file; "second" gets an ignore rule; the trash keeps files for 7 days instead of 30.
    writeConfig(env, dir, [{ name: 'second', ignore: ['*.tmp'] }], { remotePoll: '0 0 * * *' });
    fs.appendFileSync(configFile, 'trash:\n  keepDays: 7\n');
    const r = await vosync(['reload', '--config', configFile]);
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      `reloaded ${configFile}\n  stopped: first (their folders are left as they are)\n` +
        '  restarted: second\n  applied: trash.keepDays\n',
    );
    const s = await status();
    expect((s['pairs'] as { name: string }[]).map((p) => p.name)).toEqual(['second']);
    expect((s['config'] as { reloadError: unknown }).reloadError).toBeNull();
    expect(pairOf(s, 'second').state).toBe('paused');
    // Nothing of the removed pair was touched, and it no longer syncs.
    expect(fs.readFileSync(path.join(dir, 'first', 'one.txt'), 'utf8')).toBe('one');
    expect(await remoteText('vos:alice/cfg-first/one.txt')).toBe('one');
    fs.writeFileSync(path.join(dir, 'first', 'after.txt'), 'not synced any more');
    await vosync(['resume', 'second', '--config', configFile]);
    await waitUpToDate(d, 'second');
    expect(await env.client.tryGetInfo('vos:alice/cfg-first/after.txt')).toBeUndefined();
    // The restarted pair runs with its new ignore rule.
    fs.writeFileSync(path.join(dir, 'second', 'skip.tmp'), 'ignored');
    fs.writeFileSync(path.join(dir, 'second', 'keep.txt'), 'kept');
    expect(await waitFor('keep.txt', () => remoteText('vos:alice/cfg-second/keep.txt'))).toBe('kept');
    await waitUpToDate(d, 'second');
    expect(await env.client.tryGetInfo('vos:alice/cfg-second/skip.tmp')).toBeUndefined();
  });

  it('reports settings that wait for a restart and leaves them as they run', async () => {
    const before = d.daemon.config.status;
    fs.writeFileSync(configFile, fs.readFileSync(configFile, 'utf8').replace('  port: 0', '  port: 7999'));
    const r = await vosync(['reload', '--config', configFile]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('  restart the daemon to apply: status.port\n');
    expect(d.daemon.config.status).toEqual(before);
    const s = await status();
    expect((s['config'] as { restartNeeded: string[] }).restartNeeded).toEqual(['status.port']);
    // A second reload of the same file changes nothing more.
    const again = await vosync(['reload', '--config', configFile]);
    expect(again.out).toBe(
      `reloaded ${configFile}\n  nothing changed\n  restart the daemon to apply: status.port\n`,
    );
  });

  it('cannot be asked without the token', async () => {
    const r = await d.call('POST', '/reload', { token: null });
    expect(r.status).toBe(401);
  });
});
