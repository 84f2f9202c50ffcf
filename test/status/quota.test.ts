/**
 * The daemon and a full allocation: the upload the service refuses for space fails for good with the reason
 * "quota exceeded on <allocation>" in the status, and is held back — no request for it cycle after cycle —
 * until its file changes, the allocation changes (quota raised, space freed) or a full rescan tries again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROP } from '../../src/vospace/xml.js';
import {
  pairOf,
  startDaemon,
  startEnv,
  waitFor,
  waitUpToDate,
  writeConfig,
  type Env,
  type RunningDaemon,
} from './helpers.js';

const requests: string[] = [];
let env: Env;
let d: RunningDaemon;
let dir: string;
let remote: string;

beforeAll(async () => {
  env = await startEnv('quota', requests);
  dir = path.join(env.tmp, 'q');
  const config = writeConfig(env, dir, [{ name: 'data' }]);
  remote = config.pairs[0]!.remote;
  d = await startDaemon(env, config);
  await waitUpToDate(d, 'data');
  // alice is the admin: she gives the pair's folder a quota of 10 bytes and fills it past it (Vault lets the
  // upload that crosses the quota through).
  await env.client.setProperties(remote, { [PROP.quota]: '10' });
  fs.writeFileSync(path.join(dir, 'data', 'eleven.txt'), '12345678901');
  await waitUpToDate(d, 'data');
});

afterAll(async () => {
  await d.stop();
  await env.close();
});

/** Uploads tried so far: each starts with a parameter-mode push negotiation (GET /synctrans?TARGET=…). */
const pushes = () => requests.filter((r) => r.startsWith('GET /vault/synctrans?')).length;

/** Waits for `n` more finished cycles of the pair (the daemon polls every second in these tests). */
async function cycles(n: number): Promise<void> {
  const count = () =>
    (fs.readFileSync(d.logFile, 'utf8').match(/data: (cycle done|nothing to do)/g) ?? []).length;
  const target = count() + n;
  await waitFor(`${n} more cycles`, () => count() >= target);
}

async function dataPair() {
  return pairOf((await d.call('GET', '/status')).body, 'data');
}

describe('an upload refused for space', () => {
  it('fails for good with the reason, and is not tried again while nothing changed', async () => {
    const file = path.join(dir, 'data', 'more.txt');
    fs.writeFileSync(file, 'abc');
    const p = await waitFor('the pair in error', async () => {
      const x = await dataPair();
      return x.state === 'error' ? x : undefined;
    });
    const reason = `quota exceeded on ${remote} (11 B of 10 B used)`;
    expect(p.lastError).toMatchObject({ path: 'more.txt', message: reason, transient: false });
    expect(p.health.reasons).toContain(`1 failing (more.txt: ${reason})`);
    const files = await d.call('GET', `/files?pair=data&path=more.txt`);
    expect(files.text).toContain(reason);
    // Held back: cycles go on (remote polls), no push is negotiated for it, the error stands.
    const before = pushes();
    await cycles(3);
    expect(pushes()).toBe(before);
    expect(await dataPair()).toMatchObject({
      state: 'error',
      upToDate: false,
      lastError: { message: reason },
    });
    expect(fs.readFileSync(d.logFile, 'utf8')).toContain('more.txt: upload held back: quota exceeded on');
  });

  it('is tried again once when its file changes, and held again while the allocation is still full', async () => {
    const before = pushes();
    fs.appendFileSync(path.join(dir, 'data', 'more.txt'), 'def');
    await waitFor('one more push', () => pushes() > before);
    await cycles(3);
    expect(pushes()).toBe(before + 1);
    expect((await dataPair()).state).toBe('error');
  });

  it('is tried again on a full rescan', async () => {
    const before = pushes();
    expect((await d.call('POST', '/rescan?pair=data')).status).toBe(200);
    await waitFor('one more push', () => pushes() > before);
    await cycles(2);
    expect(pushes()).toBe(before + 1);
  });

  it('goes through once the admin raises the quota, and the pair is up to date', async () => {
    await env.client.setProperties(remote, { [PROP.quota]: '1000' });
    const p = await waitUpToDate(d, 'data');
    expect(p).toMatchObject({ state: 'idle', errors: 0, health: { reasons: [] } });
    expect((await env.client.getInfo(`${remote}/more.txt`)).size).toBe(6);
  });
});
