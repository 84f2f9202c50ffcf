/**
 * Progress through the real API: files and bytes left each way from the moment a plan starts, counting down
 * as transfers finish, with a rate and a time to go that agree with each other; and, with the server gone,
 * the changes queued counted as they are (13 files edited offline say 13, not 0).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/server/server.js';
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
} from './helpers.js';
import { publishedSchema, validate } from './json-schema.js';

interface Progress {
  filesLeft: { up: number; down: number };
  bytesLeft: { up: number; down: number };
  bytesPerSecond: number;
  etaSeconds: number | null;
}

type WithProgress = PairDoc & { progress: Progress };

let env: Env;

beforeAll(async () => {
  env = await startEnv('progress');
});

afterAll(async () => {
  await env.close();
});

describe('progress while a plan runs', () => {
  it('counts files and bytes down from the start, with a rate and a time to go that add up', async () => {
    const dir = path.join(env.tmp, 'up');
    // One transfer at a time through a 300 kB/s cap: each file takes about a second, so every step is seen.
    const config = writeConfig(env, dir, [{ name: 'big' }], { remotePoll: '0 0 * * *', concurrency: 1 });
    const d = await startDaemon(env, config, { bytesPerSecond: 300_000 });
    const printed: string[] = [];
    try {
      await waitUpToDate(d, 'big');
      const sizes = [200_000, 300_000, 400_000];
      const total = sizes.reduce((a, b) => a + b, 0);
      // Written while paused, so the cycle that resumes plans all three at once.
      await d.call('POST', '/pause?pair=big');
      sizes.forEach((n, i) => fs.writeFileSync(path.join(dir, 'big', `f${i}.bin`), Buffer.alloc(n, i)));
      await waitFor('the watcher to notice', async () => {
        const p = pairOf((await d.call('GET', '/status')).body, 'big');
        return p.pending['localChanges'] === 3;
      });
      await d.call('POST', '/resume?pair=big');

      const seen: Progress[] = [];
      let cliLine: string | undefined;
      await waitFor(
        'every upload to finish',
        async () => {
          const r = await d.call('GET', '/status');
          expect(validate(publishedSchema('status'), r.body)).toEqual([]);
          const p = pairOf(r.body, 'big') as WithProgress;
          seen.push(p.progress);
          if (p.progress.filesLeft.up > 0 && p.progress.bytesPerSecond > 0 && !cliLine) {
            const out = (await runVosync(env, printed, ['status', '--config', config.source])).out;
            cliLine = out.split('\n').find((l) => l.includes('left'));
          }
          return p.upToDate && p.progress.filesLeft.up === 0;
        },
        30_000,
      );
      // The plan's three uploads and their bytes were known before the first one finished (before the plan,
      // while the cycle scans, nothing is counted yet).
      seen.splice(
        0,
        seen.findIndex((p) => p.filesLeft.up > 0),
      );
      const first = seen[0]!;
      expect(first.filesLeft).toEqual({ up: 3, down: 0 });
      expect(first.bytesLeft.up).toBeLessThanOrEqual(total);
      expect(first.bytesLeft.up).toBeGreaterThan(total - Math.max(...sizes));
      // Counted down, never up, through every step to nothing.
      for (let i = 1; i < seen.length; i++) {
        expect(seen[i]!.filesLeft.up).toBeLessThanOrEqual(seen[i - 1]!.filesLeft.up);
        expect(seen[i]!.bytesLeft.up).toBeLessThanOrEqual(seen[i - 1]!.bytesLeft.up);
      }
      expect(new Set(seen.map((p) => p.filesLeft.up))).toEqual(new Set([3, 2, 1, 0]));
      // Mid-way the time to go is the bytes left at the rate measured.
      const moving = seen.filter((p) => p.filesLeft.up > 0 && p.bytesPerSecond > 0);
      expect(moving.length).toBeGreaterThan(0);
      for (const p of moving) {
        const bytes = p.bytesLeft.up + p.bytesLeft.down;
        // A file whose bytes are all sent is still left until the server has said so: no time to go then.
        expect(p.etaSeconds).toBe(bytes > 0 ? Math.ceil(bytes / p.bytesPerSecond) : null);
      }
      expect(seen[seen.length - 1]).toMatchObject({ bytesLeft: { up: 0, down: 0 }, etaSeconds: null });
      expect(cliLine).toMatch(
        /^ {2}\s+↑ [1-3] files?, [\d.]+ k?B left · [\d.]+ [kM]?B\/s · about \d+ (s|min)$/,
      );
    } finally {
      await d.stop();
    }
  });
});

describe('progress while offline', () => {
  it('counts the changes queued while the server is away', async () => {
    const own = await startEnv('progress-offline');
    try {
      const dir = path.join(own.tmp, 'agent');
      const config = writeConfig(own, dir, [{ name: 'far' }]);
      const files = Array.from({ length: 13 }, (_, i) => path.join(dir, 'far', `n${i}.txt`));
      for (const f of files) fs.writeFileSync(f, 'first');
      const d = await startDaemon(own, config);
      try {
        await waitUpToDate(d, 'far');
        const port = own.srv.port;
        await own.srv.close();
        await waitFor('offline', async () => {
          const p = pairOf((await d.call('GET', '/status')).body, 'far');
          return p.state === 'offline';
        });
        files.forEach((f, i) => fs.writeFileSync(f, `edited offline ${i}`));
        // Once a cycle has scanned the edits and failed to reach the server, they are still 13 (not 0: the
        // watcher's count was taken over by the scan).
        const queued = await waitFor('the 13 edits queued', async () => {
          const p = pairOf((await d.call('GET', '/status')).body, 'far') as WithProgress;
          const said = /^offline since \d\d:\d\d, 13 changes queued$/.test(p.health.reasons[0] ?? '');
          return said && p.pending['localChanges'] === 0 ? p : undefined;
        });
        expect(queued.state).toBe('offline');
        expect(queued.progress.filesLeft).toEqual({ up: 13, down: 0 });
        expect(queued.progress.bytesLeft.up).toBe(
          files.reduce((a, _, i) => a + `edited offline ${i}`.length, 0),
        );
        expect(queued.pending).toMatchObject({ uploads: 13, localChanges: 0 });

        own.srv = await startServer({
          dataDir: own.serverDir,
          port,
          users: [{ name: 'alice', token: 'alicetoken1' }],
          admin: 'alice',
        });
        const back = (await waitUpToDate(d, 'far')) as WithProgress;
        expect(back.progress.filesLeft).toEqual({ up: 0, down: 0 });
      } finally {
        await d.stop();
      }
    } finally {
      await own.close();
    }
  });
});
