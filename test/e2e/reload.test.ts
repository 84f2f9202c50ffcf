/**
 * Config reload in a real daemon process: SIGHUP starts a pair added to the file; a broken file sent by SIGHUP
 * or `vosync reload` changes nothing and is reported (exit code, status); the daemon keeps syncing throughout.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Client } from '../../src/vospace/client.js';
import {
  once,
  run,
  startDaemonProc,
  status,
  waitSynced,
  writeConfig,
  startWorld,
  type DaemonProc,
  type E2eWorld,
  type PairSpec,
  type ServerProc,
} from './harness.js';

let world: E2eWorld;
let tmp: string;
let server: ServerProc;
let client: Client;

beforeAll(async () => {
  world = await startWorld('vosync-e2e-reload-');
  ({ tmp, server, client } = world);
});

afterAll(async () => {
  await world?.close();
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, d: DaemonProc): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${d.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The node once its upload is complete (a push first creates an empty node, then the bytes arrive). */
async function uploaded(uri: string) {
  const info = await client.tryGetInfo(uri);
  return info?.md5 !== undefined && info.size > 0 ? info : undefined;
}

async function cli(args: string[]): Promise<{ code: number | null; out: string }> {
  const p = run(args);
  const code = await new Promise<number | null>((resolve) => p.child.once('exit', resolve));
  return { code, out: p.output() };
}

it('SIGHUP and `vosync reload` apply a good file and refuse a broken one without stopping', async () => {
  const dir = path.join(tmp, 'agent');
  fs.mkdirSync(dir, { recursive: true });
  const pair = (name: string): PairSpec => {
    const local = path.join(tmp, name);
    fs.mkdirSync(local, { recursive: true });
    return { name, local, remote: `vos:alice/reload-${name}` };
  };
  const a = pair('a');
  const b = pair('b');
  fs.writeFileSync(path.join(a.local, 'a1.txt'), 'a1');
  fs.writeFileSync(path.join(b.local, 'b1.txt'), 'b1');
  const configFile = writeConfig(dir, server.baseUrl, [a]);
  const d = await startDaemonProc(configFile, dir);
  try {
    await waitSynced(d, 'a');
    expect(await client.tryGetInfo('vos:alice/reload-b/b1.txt')).toBeUndefined();

    // A pair added to the file starts on SIGHUP.
    writeConfig(dir, server.baseUrl, [a, b]);
    d.child.kill('SIGHUP');
    const info = await until('b1.txt on the server', () => uploaded('vos:alice/reload-b/b1.txt'), d);
    expect(info.size).toBe(2);
    await waitSynced(d, 'b');
    expect((await status(d)).pairs.map((p) => p.name)).toEqual(['a', 'b']);

    // A broken file: SIGHUP changes nothing; the status says why; `vosync reload` exits 1 with the lines.
    const good = fs.readFileSync(configFile, 'utf8');
    fs.writeFileSync(configFile, good.replace('concurrency: 4', 'concurrency: lots'));
    d.child.kill('SIGHUP');
    const refused = await until(
      'the refusal in the status',
      async () => {
        const s = (await status(d)) as unknown as { config: { reloadError: { errors: string[] } | null } };
        return s.config.reloadError ?? undefined;
      },
      d,
    );
    expect(refused.errors.join('\n')).toMatch(/config\.yaml:5:\d+: transfers\.concurrency: /);
    const r = await cli(['reload', '--config', configFile]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('problem(s); the daemon keeps its previous config');
    expect(r.out).toContain('transfers.concurrency');
    const st = await cli(['status', '--config', configFile]);
    expect(st.code).toBe(1);
    expect(st.out).toContain('config reload refused');
    // Still running both pairs with the old settings.
    fs.writeFileSync(path.join(b.local, 'b2.txt'), 'b2!');
    const b2 = await until('b2.txt on the server', () => uploaded('vos:alice/reload-b/b2.txt'), d);
    expect(b2.size).toBe(3);

    // Mended: the reload goes through and the warning is gone.
    fs.writeFileSync(configFile, good);
    const ok = await cli(['reload', '--config', configFile]);
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.out).toContain(`reloaded ${configFile}`);
    const after = (await status(d)) as unknown as { config: { reloadError: unknown } };
    expect(after.config.reloadError).toBeNull();
    await waitSynced(d, 'a');
    await waitSynced(d, 'b');
  } finally {
    await d.kill('SIGTERM');
  }
  const o = await once(configFile);
  expect(o.code).toBe(0);
  expect(o.out).toMatch(/^a: 0 action\(s\)/m);
  expect(o.out).toMatch(/^b: 0 action\(s\)/m);
});
