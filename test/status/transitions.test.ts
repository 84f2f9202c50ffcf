/**
 * What the status API says while a real daemon syncs with a real server: a change goes pending → syncing →
 * up to date; a server that goes away makes the pair offline (and coming back, up to date again); a file the
 * server refuses for good makes it `error` naming the file; a missed interval makes it `stale`; conflicts and
 * names the server cannot store are reported per file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/server/server.js';
import {
  pairOf,
  startDaemon,
  startEnv,
  waitFor,
  waitSettled,
  waitUpToDate,
  writeConfig,
  type Env,
  type PairDoc,
  type RunningDaemon,
} from './helpers.js';
import { publishedSchema, validate } from './json-schema.js';

let env: Env;

beforeAll(async () => {
  env = await startEnv('transitions');
});

afterAll(async () => {
  await env.close();
});

async function pairStatus(d: RunningDaemon, name: string): Promise<PairDoc> {
  const r = await d.call('GET', '/status');
  expect(validate(publishedSchema('status'), r.body)).toEqual([]);
  return pairOf(r.body, name);
}

async function fileState(
  d: RunningDaemon,
  pair: string,
  rel: string,
): Promise<{ state: string; reason: string | null }> {
  const r = await d.call('GET', `/files?pair=${pair}&path=${encodeURIComponent(rel)}`);
  expect(validate(publishedSchema('file'), r.body)).toEqual([]);
  return r.body as { state: string; reason: string | null };
}

describe('state transitions under real syncs', () => {
  let d: RunningDaemon;
  let dir: string;
  let remote: string;

  beforeAll(async () => {
    dir = path.join(env.tmp, 'flow');
    const config = writeConfig(env, dir, [{ name: 'work' }]);
    remote = config.pairs[0]!.remote;
    d = await startDaemon(env, config);
    await waitUpToDate(d, 'work');
  });

  afterAll(async () => {
    await d.stop();
  });

  it('pending → syncing → up to date', async () => {
    // Paused, the change stays pending for as long as the test looks at it.
    expect((await d.call('POST', '/pause?pair=work')).status).toBe(200);
    fs.writeFileSync(path.join(dir, 'work', 'report.txt'), 'quarterly numbers');
    expect(await fileState(d, 'work', 'report.txt')).toMatchObject({
      state: 'pending-upload',
      reason: 'new locally',
    });
    const noticed = await waitFor('the watcher to notice', async () => {
      const p = await pairStatus(d, 'work');
      return p.pending['localChanges']! > 0 ? p : undefined;
    });
    expect(noticed.upToDate).toBe(false);
    expect(noticed.state).toBe('paused');

    const seen: { state: string; uploads: number; upToDate: boolean }[] = [];
    const stop = d.daemon.status.subscribe((name) => {
      if (name !== 'work') return;
      const v = d.daemon.status.view('work');
      seen.push({ state: v.state, uploads: v.pending.uploads, upToDate: v.upToDate });
    });
    await d.call('POST', '/resume?pair=work');
    const done = await waitUpToDate(d, 'work');
    stop();
    expect(done.pending).toEqual({ uploads: 0, downloads: 0, deletes: 0, other: 0, localChanges: 0 });
    expect(done.lastError).toBeNull();
    // While it synced, the upload was counted as pending; nothing claimed "up to date" before the end.
    const syncing = seen.filter((s) => s.state === 'syncing');
    expect(syncing.length).toBeGreaterThan(0);
    expect(syncing[0]!.uploads).toBe(1);
    expect(
      seen
        .slice(
          0,
          seen.findIndex((s) => s.state === 'syncing'),
        )
        .some((s) => s.upToDate),
    ).toBe(false);
    expect(await fileState(d, 'work', 'report.txt')).toMatchObject({ state: 'synced', reason: null });
    const activity = await d.call('GET', '/activity?pair=work');
    expect((activity.body as { activity: unknown[] }).activity[0]).toMatchObject({
      path: 'report.txt',
      action: 'upload',
      result: 'done',
      bytes: 17,
    });
    expect(await env.client.isfile(`${remote}/report.txt`)).toBe(true);
  });

  it('a remote change is unknown until a listing sees it, then downloaded', async () => {
    await d.call('POST', '/pause?pair=work');
    const src = path.join(env.tmp, 'from-server.txt');
    fs.writeFileSync(src, 'made on the server');
    await env.client.upload(src, `${remote}/from-server.txt`);
    // The pair has not listed the server since: the file is not known yet, so it cannot be called anything.
    expect((await fileState(d, 'work', 'from-server.txt')).state).toBe('unknown');
    await d.call('POST', '/resume?pair=work');
    await waitUpToDate(d, 'work');
    expect(fs.readFileSync(path.join(dir, 'work', 'from-server.txt'), 'utf8')).toBe('made on the server');
    expect((await fileState(d, 'work', 'from-server.txt')).state).toBe('synced');
  });

  it('a permanent refusal is an error that names the file, until it is fixed', async () => {
    await env.client.lock(remote, true);
    fs.writeFileSync(path.join(dir, 'work', 'refused.txt'), 'the server will not take this');
    const failed = await waitFor('the error state', async () => {
      const p = await pairStatus(d, 'work');
      return p.state === 'error' ? p : undefined;
    });
    expect(failed.upToDate).toBe(false);
    expect(failed.errors).toBeGreaterThan(0);
    expect(failed.lastError).toMatchObject({ path: 'refused.txt', transient: false });
    expect(failed.pending['uploads']).toBe(1);
    const errors = await d.call('GET', '/errors?pair=work');
    expect(validate(publishedSchema('errors'), errors.body)).toEqual([]);
    expect((errors.body as { errors: { path: string | null }[] }).errors[0]).toMatchObject({
      path: 'refused.txt',
    });
    const file = await fileState(d, 'work', 'refused.txt');
    expect(file.state).toBe('error');
    expect(file.reason).toBe(failed.lastError!.message);
    // Whole status overall reflects the worst pair.
    expect(((await d.call('GET', '/status')).body as { state: string }).state).toBe('error');

    await env.client.lock(remote, false);
    await d.call('POST', '/rescan?pair=work');
    const fixed = await waitUpToDate(d, 'work');
    expect(fixed.errors).toBe(0);
    expect((await fileState(d, 'work', 'refused.txt')).state).toBe('synced');
    expect((await d.call('GET', '/errors?pair=work')).body).toEqual({ errors: [] });
  });

  it('a conflict is listed and shown on the file', async () => {
    const rel = 'shared.txt';
    fs.writeFileSync(path.join(dir, 'work', rel), 'v1');
    await waitFor('shared.txt synced', async () => (await fileState(d, 'work', rel)).state === 'synced');
    await d.call('POST', '/pause?pair=work');
    fs.writeFileSync(path.join(dir, 'work', rel), 'local v2');
    const src = path.join(env.tmp, 'remote-v2.txt');
    fs.writeFileSync(src, 'remote v2!!');
    await env.client.upload(src, `${remote}/${rel}`);
    await d.call('POST', '/resume?pair=work');
    // An open conflict is never "up to date": it needs a look until the copy is dealt with.
    const open = await waitSettled(d, 'work');
    expect(open.upToDate).toBe(false);
    expect(open.health).toEqual({ level: 'attention', reasons: ['1 conflict'] });
    const c = await d.call('GET', '/conflicts?pair=work');
    expect(validate(publishedSchema('conflicts'), c.body)).toEqual([]);
    const list = (c.body as { conflicts: { path: string; copy: string | null }[] }).conflicts;
    expect(list[0]).toMatchObject({ pair: 'work', path: rel });
    expect((await pairStatus(d, 'work')).conflicts).toBeGreaterThan(0);
    const f = await fileState(d, 'work', rel);
    expect(f.state).toBe('conflict');
    const copy = list[0]!.copy!;
    expect(fs.readFileSync(path.join(dir, 'work', copy), 'utf8')).toBe('local v2');
    // Resolved by the user: the copy merged and deleted. The conflict is gone, everywhere.
    fs.rmSync(path.join(dir, 'work', copy));
    await waitUpToDate(d, 'work');
    expect((await d.call('GET', '/conflicts?pair=work')).body).toEqual({ conflicts: [] });
  });

  it('a name the server cannot store is reported as not synced, not as an error', async () => {
    const before = (await pairStatus(d, 'work')).notSynced;
    // Too long for the server once its spaces are mapped (70 × ~20).
    const long = `${'a b'.repeat(70)}.txt`;
    fs.writeFileSync(path.join(dir, 'work', long), 'too long a name for Vault');
    const p = await waitFor('the not-synced count', async () => {
      const s = await pairStatus(d, 'work');
      const quiet = Object.values(s.pending).every((n) => n === 0) && s.transfers === 0;
      return s.notSynced === before + 1 && s.state === 'idle' && quiet ? s : undefined;
    });
    expect(p.upToDate).toBe(false);
    expect(p.health.reasons).toEqual(['1 not synced']);
    const f = await fileState(d, 'work', long);
    expect(f.state).toBe('ignored');
    expect(f.reason).toContain('name too long for the remote once encoded');
    const list = await d.call('GET', '/not-synced?pair=work');
    expect(validate(publishedSchema('not-synced'), list.body)).toEqual([]);
    const items = (list.body as { items: { path: string }[] }).items;
    expect(items).toHaveLength(before + 1);
    expect(items).toContainEqual({ pair: 'work', path: long, reason: f.reason });
    // Renamed to something the server accepts, it syncs and leaves the list.
    fs.renameSync(path.join(dir, 'work', long), path.join(dir, 'work', 'my notes.txt'));
    await waitFor('the list to shrink', async () => {
      const s = await pairStatus(d, 'work');
      return s.notSynced === before && s.upToDate;
    });
    const after = (await d.call('GET', '/not-synced?pair=work')).body as { items: { path: string }[] };
    expect(after.items.map((i) => i.path)).not.toContain(long);
    expect((await fileState(d, 'work', 'my notes.txt')).state).toBe('synced');
  });
});

describe('a server that goes away', () => {
  it('makes the pair offline, and up to date again once it is back', async () => {
    const own = await startEnv('offline');
    try {
      const dir = path.join(own.tmp, 'agent');
      const d = await startDaemon(own, writeConfig(own, dir, [{ name: 'far' }]));
      try {
        await waitUpToDate(d, 'far');
        const port = own.srv.port;
        await own.srv.close();
        const offline = await waitFor('offline', async () => {
          const p = await pairStatus(d, 'far');
          return p.state === 'offline' ? p : undefined;
        });
        expect(offline.upToDate).toBe(false);
        expect(offline.lastError).toMatchObject({ path: null, transient: true });
        expect(((await d.call('GET', '/status')).body as { upToDate: boolean }).upToDate).toBe(false);
        // A local change while offline stays pending: it is not "synced" just because nothing failed yet.
        fs.writeFileSync(path.join(dir, 'far', 'while-away.txt'), 'written offline');
        expect((await fileState(d, 'far', 'while-away.txt')).state).toBe('pending-upload');

        own.srv = await startServer({
          dataDir: own.serverDir,
          port,
          users: [{ name: 'alice', token: 'alicetoken1' }],
          admin: 'alice',
        });
        const back = await waitUpToDate(d, 'far');
        expect(back.state).toBe('idle');
        expect((await fileState(d, 'far', 'while-away.txt')).state).toBe('synced');
      } finally {
        await d.stop();
      }
    } finally {
      await own.close();
    }
  });
});

describe('stale', () => {
  it('is reported when a pair has not synced within its expected interval', async () => {
    let clock = Date.now();
    const dir = path.join(env.tmp, 'stale');
    // A daily poll: nothing syncs by itself while the test moves the clock.
    const config = writeConfig(env, dir, [{ name: 'slow' }], { remotePoll: '0 0 * * *' });
    const d = await startDaemon(env, config, { now: () => clock });
    try {
      const fresh = await waitUpToDate(d, 'slow');
      expect(fresh.lastSyncOkAt).toBe(clock);
      // Expected every 24 h: two missed days are not yet stale, the third is.
      clock += 2 * 24 * 3600_000;
      const late = await pairStatus(d, 'slow');
      expect(late.state).toBe('idle');
      expect(late.upToDate).toBe(true);
      clock += 2 * 24 * 3600_000;
      const stale = await pairStatus(d, 'slow');
      expect(stale.state).toBe('stale');
      expect(stale.upToDate).toBe(false);
      expect(((await d.call('GET', '/status')).body as { state: string }).state).toBe('stale');
      await d.call('POST', '/rescan?pair=slow');
      const again = await waitUpToDate(d, 'slow');
      expect(again.state).toBe('idle');
      expect(again.lastSyncOkAt).toBe(clock);
    } finally {
      await d.stop();
    }
  });
});
