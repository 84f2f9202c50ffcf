import { Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { TransferProgress } from '../../src/cli/commands/progress.js';
import type { CliIo } from '../../src/cli/common.js';
import { Ctx } from '../../src/cli/ctx.js';

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
    const big = p.fileStarted('big.fits', () => 500_000);
    await sleep(30);
    big.done(1_000_000);
    p.fileStarted('other.fits').done(1_000_000);
    p.stop();
    expect(err()).toContain('2.0 MB/2.0 MB | ');
    expect(err()).toMatch(/\/s \| done \| 2\/2 files/);
    expect(err()).toContain('2/2 files');
    expect(err()).toMatch(/100%/);
    expect(err()).toMatch(/[\d.]+ [kM]B\/s/);
  });

  it('moves within a file as bytes are reported, summing files in flight in parallel', async () => {
    const { io: tio, err } = io(true);
    const p = new TransferProgress(new Ctx(tio, {}, 'vosync sync'), {
      totalBytes: 4_000_000,
      totalFiles: 2,
      delayMs: 0,
    });
    expect(p.shown).toBe(true);
    const a = p.fileStarted('a.fits');
    const b = p.fileStarted('b.fits');
    a.moved(1_000_000);
    b.moved(500_000);
    // The bar redraws every 250 ms: wait for one redraw with both files' bytes so far.
    for (let i = 0; i < 40 && !err().includes('1.5 MB/4.0 MB'); i++) await sleep(50);
    expect(err()).toContain('1.5 MB/4.0 MB');
    // The time left, from the rate so far.
    expect(err()).toMatch(/1\.5 MB\/4\.0 MB \| [\d.]+ [kM]?B\/s \| about \d+ (s|min) left \| 0\/2 files/);
    expect(err()).toContain('0/2 files');
    a.done(2_000_000);
    a.done(2_000_000); // a second report of the same file counts once
    b.moved(1_000_000);
    for (let i = 0; i < 40 && !err().includes('3.0 MB/4.0 MB'); i++) await sleep(50);
    expect(err()).toContain('3.0 MB/4.0 MB | ');
    expect(err()).toContain('1/2 files');
    b.done(2_000_000);
    p.stop();
    expect(err()).toContain('4.0 MB/4.0 MB');
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
      expect(p.shown).toBe(false);
      p.fileStarted('f').done(10);
      p.stop();
      expect(err()).toBe('');
    }
  });
});
