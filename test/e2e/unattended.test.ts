/**
 * Unattended use, as cron and scripts see it, with real processes: one agent per state directory, delete
 * limits confirmed without a running daemon (a confirmation covering exactly the deletions shown), and `vosync once`'s report and exit codes (0 done, 1 needs a
 * look, 2 failures, 3 cannot run).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { once, run, startDaemonProc, startWorld, writeConfig, type E2eWorld } from './harness.js';

let world: E2eWorld;

beforeAll(async () => {
  world = await startWorld('vosync-e2e-unattended-');
});

afterAll(async () => {
  await world?.close();
});

function pairDir(name: string, remote: string): { dir: string; local: string; config: string } {
  const dir = path.join(world.tmp, name);
  const local = path.join(dir, 'folder');
  fs.mkdirSync(local, { recursive: true });
  return { dir, local, config: writeConfig(dir, world.server.baseUrl, [{ name, local, remote }]) };
}

async function exitOf(args: string[]): Promise<{ code: number | null; out: string }> {
  const p = run(args);
  const code = await new Promise<number | null>((resolve) => p.child.once('exit', resolve));
  return { code, out: p.output() };
}

describe('unattended use', () => {
  it('runs one agent per state directory: a second daemon or once beside it stops at once', async () => {
    const p = pairDir('locked', 'vos:alice/unattended-locked');
    const d = await startDaemonProc(p.config, p.dir);
    try {
      const second = await exitOf(['daemon', '--config', p.config]);
      expect(second.code).toBe(3);
      expect(second.out).toMatch(new RegExp(`vosync is already running \\(pid ${d.child.pid}\\)`));
      const o = await once(p.config);
      expect(o.code).toBe(3);
      expect(o.out).toMatch(/vosync once: vosync is already running \(pid \d+\).*nothing done/);
    } finally {
      await d.kill('SIGKILL');
    }
    // A lock left by a killed daemon does not block the next run.
    expect((await once(p.config)).code).toBe(0);
  });

  it('confirms a delete-limit pause from cron: once --confirm-deletes, or resume without a daemon', async () => {
    const p = pairDir('limits', 'vos:alice/unattended-limits');
    for (let i = 0; i < 10; i++) fs.writeFileSync(path.join(p.local, `f${i}.txt`), `file ${i}`);
    expect((await once(p.config)).code).toBe(0);
    for (let i = 0; i < 8; i++) fs.rmSync(path.join(p.local, `f${i}.txt`));
    const paused = await once(p.config);
    expect(paused.code).toBe(1);
    expect(paused.out).toMatch(/limits: PAUSED — .*run vosync once --confirm-deletes to go on/);
    // No daemon is running: the confirmation is recorded for the next run.
    const resume = await exitOf(['resume', '--confirm-deletes', '--config', p.config]);
    expect(resume.code).toBe(0);
    expect(resume.out).toMatch(/vosync is not running: confirmation recorded for limits/);
    const done = await once(p.config);
    expect(done.code).toBe(0);
    expect(done.out).toMatch(/8 version\(s\) moved to a trash/);
    expect(done.out).toMatch(/moved to the remote trash: f0\.txt \(kept as \.vosync-trash\//);
    expect(
      (await world.client.listdir('vos:alice/unattended-limits')).filter((n) => n.endsWith('.txt')),
    ).toEqual(['f8.txt', 'f9.txt']);
    // Every deleted version is kept in one trash folder of that run, and can be put back.
    const list = await exitOf(['trash', 'list', '--config', p.config]);
    expect(list.code).toBe(0);
    const rows = list.out.trim().split('\n');
    expect(rows).toHaveLength(8);
    expect(new Set(rows.map((r) => r.split(/\s+/)[1])).size).toBe(1);
    expect(rows.every((r) => / remote /.test(r))).toBe(true);
    const restored = await exitOf(['restore', path.join(p.local, 'f0.txt'), '--config', p.config]);
    expect(restored.code).toBe(0);
    expect(restored.out).toMatch(/^restored f0\.txt from the remote trash \(version \d{8}-\d{6}-\d+/);
    expect(fs.readFileSync(path.join(p.local, 'f0.txt'), 'utf8')).toBe('file 0');
    expect((await exitOf(['restore', path.join(p.local, 'nope.txt'), '--config', p.config])).code).toBe(2);
    expect((await once(p.config)).code).toBe(0);
    expect(await world.client.listdir('vos:alice/unattended-limits')).toContain('f0.txt');
    fs.rmSync(path.join(p.local, 'f0.txt'));
    expect((await once(p.config)).code).toBe(0);
    // The same with --confirm-deletes on once itself.
    for (let i = 8; i < 10; i++) fs.rmSync(path.join(p.local, `f${i}.txt`));
    fs.writeFileSync(path.join(p.local, 'keep.txt'), 'k');
    expect((await once(p.config)).code).toBe(1);
    const confirmed = await exitOf(['once', '--confirm-deletes', '--config', p.config]);
    expect(confirmed.code).toBe(0);
  });

  it('a confirmation covers only the deletions that were shown: resume without a daemon, once', async () => {
    const p = pairDir('exact', 'vos:alice/unattended-exact');
    const onServer = async () =>
      (await world.client.listdir('vos:alice/unattended-exact')).filter((n) => n.endsWith('.txt')).sort();
    for (let i = 0; i < 10; i++) fs.writeFileSync(path.join(p.local, `f${i}.txt`), `file ${i}`);
    expect((await once(p.config)).code).toBe(0);
    for (let i = 0; i < 6; i++) fs.rmSync(path.join(p.local, `f${i}.txt`));
    const shown = await once(p.config);
    expect(shown.code).toBe(1);
    for (let i = 0; i < 6; i++) expect(shown.out).toContain(`\n  would delete on the server: f${i}.txt`);
    // One more deletion after the set was shown: confirming what was shown does not cover it.
    fs.rmSync(path.join(p.local, 'f6.txt'));
    const resume = await exitOf(['resume', '--confirm-deletes', '--config', p.config]);
    expect(resume.out).toMatch(/confirmation recorded for exact \(6 deletion\(s\)\)/);
    const again = await once(p.config);
    expect(again.code).toBe(1);
    expect(again.out).toMatch(
      /exact: PAUSED — the deletions changed since they were confirmed: would delete 7 /,
    );
    expect(again.out).toContain('\n  would delete on the server: f6.txt');
    expect(await onServer()).toHaveLength(10);
    expect((await exitOf(['resume', '--confirm-deletes', '--config', p.config])).code).toBe(0);
    expect((await once(p.config)).code).toBe(0);
    expect(await onServer()).toEqual(['f7.txt', 'f8.txt', 'f9.txt']);

    // once --confirm-deletes confirms what the last run listed, no more.
    for (let i = 0; i < 10; i++) fs.writeFileSync(path.join(p.local, `g${i}.txt`), `file ${i}`);
    expect((await once(p.config)).code).toBe(0);
    for (let i = 0; i < 8; i++) fs.rmSync(path.join(p.local, `g${i}.txt`));
    // Never shown before: this run shows the set and stops.
    const first = await exitOf(['once', '--confirm-deletes', '--config', p.config]);
    expect(first.code).toBe(1);
    expect(first.out).toContain('\n  would delete on the server: g7.txt');
    fs.rmSync(path.join(p.local, 'g8.txt'));
    const second = await exitOf(['once', '--confirm-deletes', '--config', p.config]);
    expect(second.code).toBe(1);
    expect(second.out).toMatch(/the deletions changed since they were confirmed/);
    expect(second.out).toContain('\n  would delete on the server: g8.txt');
    expect(await onServer()).toHaveLength(13);
    const third = await exitOf(['once', '--confirm-deletes', '--config', p.config]);
    expect(third.code).toBe(0);
    expect(await onServer()).toEqual(['f7.txt', 'f8.txt', 'f9.txt', 'g9.txt']);
  });

  it('once --dry-run prints the plan and the pause it would meet, and changes nothing', async () => {
    const p = pairDir('dry', 'vos:alice/unattended-dry');
    for (let i = 0; i < 4; i++) fs.writeFileSync(path.join(p.local, `f${i}.txt`), `file ${i}`);
    const plan = await exitOf(['once', '--dry-run', '--config', p.config]);
    expect(plan.code).toBe(0);
    for (let i = 0; i < 4; i++) expect(plan.out).toContain(`dry: would upload f${i}.txt (6 B)`);
    expect(await world.client.listdir('vos:alice/unattended-dry')).toEqual([]);
    expect((await once(p.config)).code).toBe(0);
    expect((await exitOf(['once', '--dry-run', '--config', p.config])).out).toContain('dry: nothing to do');
    for (let i = 0; i < 3; i++) fs.rmSync(path.join(p.local, `f${i}.txt`));
    const deletes = await exitOf(['once', '--dry-run', '--config', p.config]);
    expect(deletes.out).toContain('dry: would delete on the server (to the remote trash) f0.txt');
    expect(deletes.out).toMatch(/dry: would pause: would delete 3 of 4 synced items on the remote side/);
    // Not recorded as paused, and nothing deleted.
    expect(
      (await world.client.listdir('vos:alice/unattended-dry')).filter((n) => n.endsWith('.txt')),
    ).toHaveLength(4);
    const status = await exitOf(['status', '--config', p.config]);
    expect(status.out).not.toContain('PAUSED');
  });

  it('says conflicts and failures in words, with distinct exit codes', async () => {
    const p = pairDir('words', 'vos:alice/unattended-words');
    fs.writeFileSync(path.join(p.local, 'a.txt'), 'v1');
    expect((await once(p.config)).code).toBe(0);
    fs.writeFileSync(path.join(p.local, 'a.txt'), 'local v2');
    const src = path.join(world.tmp, 'remote-v2');
    fs.writeFileSync(src, 'remote v2!');
    await world.client.upload(src, 'vos:alice/unattended-words/a.txt');
    const c = await once(p.config);
    expect(c.code).toBe(1);
    expect(c.out).toMatch(/words: .*1 conflict\(s\)/);
    expect(c.out).toMatch(/\n {2}conflict: a\.txt: both sides changed/);
    // Resolved from the command line: the local version (the copy) takes the name, on both sides.
    const r = await exitOf(['resolve', path.join(p.local, 'a.txt'), '--keep', 'local', '--config', p.config]);
    expect(r).toMatchObject({ code: 0, out: 'resolved a.txt: kept the local version\n' });
    expect(fs.readdirSync(p.local).filter((n) => n.startsWith('a.'))).toEqual(['a.txt']);
    expect(fs.readFileSync(path.join(p.local, 'a.txt'), 'utf8')).toBe('local v2');
    expect((await once(p.config)).code).toBe(0);
    expect(
      (await world.client.listdir('vos:alice/unattended-words')).filter((n) => n.startsWith('a.')),
    ).toEqual(['a.txt']);
    // A node the server refuses to write: a failure, exit 2.
    await world.client.lock('vos:alice/unattended-words', true);
    try {
      fs.writeFileSync(path.join(p.local, 'b.txt'), 'refused');
      const f = await once(p.config);
      expect(f.code).toBe(2);
      expect(f.out).toMatch(/FAILED[\s\S]*\n {2}failed: b\.txt: /);
    } finally {
      await world.client.lock('vos:alice/unattended-words', false);
    }
  });

  it('exits 3 when the server cannot be reached', async () => {
    const dir = path.join(world.tmp, 'down');
    const local = path.join(dir, 'folder');
    fs.mkdirSync(local, { recursive: true });
    const config = writeConfig(dir, 'http://127.0.0.1:1', [{ name: 'down', local, remote: 'vos:alice/x' }]);
    const o = await once(config);
    expect(o.code).toBe(3);
    expect(o.out).toMatch(/down: CANNOT RUN — /);
  }, 60_000);
});
