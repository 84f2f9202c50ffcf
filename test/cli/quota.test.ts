/**
 * An upload refused for space, as the command line tells it: exit 27 (EFBIG) and one line naming the file,
 * the allocation that is full and how full it is; no empty node left behind. Vault refuses at negotiation once
 * nothing is left (the upload that crosses the quota goes through); ARC refuses the write itself.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './helpers.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness('quota');
  fs.writeFileSync(path.join(h.work, 'eleven.txt'), '12345678901');
  fs.writeFileSync(path.join(h.work, 'three.txt'), 'abc');
});

afterAll(async () => {
  await h.close();
});

/** A folder with a quota of `bytes`, set by alice, the harness's admin (`vtag` sets core#quota). */
async function folderWithQuota(remote: string, bytes: number): Promise<void> {
  expect((await h.run(['mkdir', remote])).code).toBe(0);
  const tag = await h.run(['tag', remote, `quota=${bytes}`]);
  expect(tag.code, tag.stderr).toBe(0);
}

describe('quota exceeded', () => {
  it('vault: the push after the quota is used up exits 27 naming the allocation and how full it is', async () => {
    await folderWithQuota('vos:alice/q', 10);
    expect((await h.run(['cp', 'eleven.txt', 'vos:alice/q/'])).code).toBe(0);
    const r = await h.run(['three.txt', 'vos:alice/q/'], { alias: 'vcp' });
    expect(r.code, r.stderr).toBe(27);
    expect(r.stderr).toBe(
      'vcp: vos:alice/q/three.txt: quota exceeded on vos:alice/q (11 B of 10 B used; the file is 3 B)\n',
    );
    // Vault created the node before refusing; the client took its empty placeholder away.
    expect((await h.run(['ls', 'vos:alice/q'])).stdout).toBe('eleven.txt\n');
  });

  it('arc: a write over the quota exits 27 and says so, the size used unknown (no container sizes)', async () => {
    await folderWithQuota('arc:home/alice/q', 10);
    const r = await h.run(['cp', 'eleven.txt', 'arc:home/alice/q/']);
    expect(r.code).toBe(27);
    expect(r.stderr).toBe(
      'vosync cp: arc:home/alice/q/eleven.txt: quota exceeded on arc:home/alice/q (quota 10 B; the file is 11 B)\n',
    );
    expect((await h.run(['ls', 'arc:home/alice/q'])).stdout).toBe('');
    expect((await h.run(['cp', 'three.txt', 'arc:home/alice/q/'])).code).toBe(0);
  });

  it('ls -l shows a Vault folder with the bytes stored below it, as vls does, and -S sorts on it', async () => {
    expect((await h.run(['mkdir', 'vos:alice/sized'])).code).toBe(0);
    expect((await h.run(['cp', 'three.txt', 'vos:alice/sized/'])).code).toBe(0);
    const long = await h.run(['ls', '-l', 'vos:alice/']);
    // … size, date (`Mon DD HH:MM` or `Mon DD  YYYY`), name.
    const sizeOf = (name: string) =>
      long.stdout
        .split('\n')
        .map((l) => / (\d+) \w{3} [ \d]\d [ \d:]{5} (\S+)$/.exec(l))
        .find((m) => m?.[2] === name)?.[1];
    expect([sizeOf('q'), sizeOf('sized')]).toEqual(['11', '3']);
    const bySize = await h.run(['ls', '-S', 'vos:alice/']);
    expect(bySize.stdout.split('\n').filter((n) => n === 'q' || n === 'sized')).toEqual(['q', 'sized']);
  });
});
