/**
 * A delete-limit pause, confirmed through a real daemon: the pause shows the deletions it holds back (the API,
 * `vosync status`), and a confirmation covers exactly that set — one more deletion made after it was shown
 * pauses the pair again, naming the new set, and nothing is deleted until that set is confirmed too.
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
  type PairDoc,
  type RunningDaemon,
} from './helpers.js';
import { publishedSchema, validate } from './json-schema.js';

interface Held {
  digest: string;
  local: number;
  remote: number;
  paths: { side: string; path: string }[];
  confirmed: boolean;
}

type WithHeld = PairDoc & { pausedReason: string | null; heldDeletes: Held | null };

let env: Env;

beforeAll(async () => {
  env = await startEnv('deletes');
});

afterAll(async () => {
  await env.close();
});

async function status(d: RunningDaemon): Promise<WithHeld> {
  const r = await d.call('GET', '/status');
  expect(validate(publishedSchema('status'), r.body)).toEqual([]);
  return pairOf(r.body, 'lab') as WithHeld;
}

const names = (h: Held | null) => h?.paths.map((p) => `${p.side}:${p.path}`);

describe('confirming held deletions', () => {
  it('covers exactly the set shown: one more deletion pauses again, naming the new set', async () => {
    const dir = path.join(env.tmp, 'agent');
    const config = writeConfig(env, dir, [{ name: 'lab' }], { remotePoll: '0 0 * * *' });
    const remote = config.pairs[0]!.remote;
    const local = path.join(dir, 'lab');
    for (let i = 0; i < 10; i++) fs.writeFileSync(path.join(local, `f${i}.txt`), `file ${i}`);
    const d = await startDaemon(env, config);
    const printed: string[] = [];
    const onServer = async () => (await env.client.listdir(remote)).filter((n) => n.endsWith('.txt')).sort();
    try {
      await waitUpToDate(d, 'lab');
      // 6 of 10 is over the 50% limit; made while paused by the user, so one cycle sees all six.
      await d.call('POST', '/pause?pair=lab');
      for (let i = 0; i < 6; i++) fs.rmSync(path.join(local, `f${i}.txt`));
      await waitFor('the watcher to notice', async () => (await status(d)).pending['localChanges'] === 6);
      await d.call('POST', '/resume?pair=lab');
      const first = await waitFor('the pause', async () => {
        const p = await status(d);
        return p.state === 'paused' && p.heldDeletes ? p : undefined;
      });
      expect(first.pausedReason).toMatch(/^would delete 6 of 10 synced items on the remote side/);
      expect(names(first.heldDeletes)).toEqual([0, 1, 2, 3, 4, 5].map((i) => `remote:f${i}.txt`));
      expect(first.heldDeletes).toMatchObject({ local: 0, remote: 6, confirmed: false });
      const shown = await runVosync(env, printed, ['status', '--config', config.source]);
      expect(shown.out).toContain(
        'lab: 6 deletions held back, confirm with vosync resume --confirm-deletes lab:\n' +
          '  delete on the server: f0.txt\n',
      );
      expect(shown.out).toContain('  delete on the server: f5.txt\n');

      // One more, after the set was shown, then the confirmation of what was shown.
      fs.rmSync(path.join(local, 'f6.txt'));
      const resumed = await runVosync(env, printed, [
        'resume',
        'lab',
        '--confirm-deletes',
        '--config',
        config.source,
      ]);
      expect(resumed.out).toBe('resumed lab\n  lab: confirmed 6 deletion(s), as vosync status showed them\n');
      const again = await waitFor('the second pause', async () => {
        const p = await status(d);
        return p.state === 'paused' && p.heldDeletes?.digest !== first.heldDeletes!.digest ? p : undefined;
      });
      expect(again.pausedReason).toMatch(
        /^the deletions changed since they were confirmed: would delete 7 of 10 synced items/,
      );
      expect(names(again.heldDeletes)).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `remote:f${i}.txt`));
      expect(again.heldDeletes?.confirmed).toBe(false);
      // The confirmation carried out nothing: every file is still on the server.
      expect(await onServer()).toHaveLength(10);

      // Confirmed as shown this time: carried out.
      await runVosync(env, printed, ['resume', 'lab', '--confirm-deletes', '--config', config.source]);
      const done = (await waitUpToDate(d, 'lab')) as WithHeld;
      expect(done.heldDeletes).toBeNull();
      expect(await onServer()).toEqual(['f7.txt', 'f8.txt', 'f9.txt']);
    } finally {
      await d.stop();
    }
  });
});
