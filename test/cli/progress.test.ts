import { Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { TransferProgress } from '../../src/cli/commands/progress.js';
import { Ctx, type CliIo } from '../../src/cli/common.js';

function io(tty: boolean): { io: CliIo; err: () => string } {
  const chunks: string[] = [];
  const stderr = new Writable({
    write(c, _e, cb) {
      chunks.push(String(c));
      cb();
    },
  }) as CliIo['stderr'];
  if (tty)
    Object.assign(stderr, {
      isTTY: true,
      columns: 120,
      cursorTo: () => true,
      clearLine: () => true,
      moveCursor: () => true,
    });
  let t = 0;
  return {
    io: {
      stdout: new Writable({ write: (_c, _e, cb) => cb() }),
      stderr,
      stdin: Readable.from([]) as CliIo['stdin'],
      env: {},
      cwd: '/',
      now: () => (t += 500),
      setExitCode: () => undefined,
    },
    err: () => chunks.join(''),
  };
}

describe('transfer progress', () => {
  it('draws bytes, rate and file counts on a terminal once the copy has run for a while', async () => {
    const { io: tio, err } = io(true);
    const p = new TransferProgress(new Ctx(tio, {}, 'vosync cp'), {
      totalBytes: 2_000_000,
      totalFiles: 2,
      delayMs: 0,
    });
    p.fileStarted('big.fits', () => 500_000);
    await sleep(30);
    p.fileDone(1_000_000);
    p.fileStarted('other.fits');
    p.fileDone(1_000_000);
    p.stop();
    expect(err()).toContain('2.0 MB/2.0 MB');
    expect(err()).toContain('2/2 files');
    expect(err()).toMatch(/100%/);
    expect(err()).toMatch(/[\d.]+ [kM]B\/s/);
  });

  it('stays silent when stderr is not a terminal or output is JSON', async () => {
    for (const [tty, json] of [
      [false, false],
      [true, true],
    ] as const) {
      const { io: tio, err } = io(tty);
      const p = new TransferProgress(new Ctx(tio, { json }, 'vosync cp'), {
        totalBytes: 10,
        totalFiles: 1,
        delayMs: 0,
      });
      await sleep(30);
      p.fileDone(10);
      p.stop();
      expect(err()).toBe('');
    }
  });
});
