import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelopeOf, json, startHarness, type Harness } from './helpers.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness('check');
});

afterAll(async () => {
  await h.close();
});

describe('vosync check', () => {
  it('compares by name, size and MD5, copies nothing, exits 1 on any difference', async () => {
    const dir = path.join(h.work, 'compare');
    fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'same.txt'), 'same');
    fs.writeFileSync(path.join(dir, 'My Paper.pdf'), 'a mapped name');
    fs.writeFileSync(path.join(dir, 'sub', 'edited.txt'), 'four');
    fs.writeFileSync(path.join(dir, 'sized.txt'), 'short');
    expect((await h.run(['sync', dir + '/', 'vos:alice/compare'])).code).toBe(0);
    expect((await h.run(['check', dir, 'vos:alice/compare'])).stdout).toBe(
      'check: 4 identical, 0 differ, 0 only here, 0 only on the server\n',
    );

    fs.writeFileSync(path.join(dir, 'sub', 'edited.txt'), 'FOUR'); // same size, other bytes
    fs.writeFileSync(path.join(dir, 'sized.txt'), 'longer now');
    fs.writeFileSync(path.join(dir, 'new here.txt'), 'local only');
    fs.writeFileSync(path.join(h.work, 'there.txt'), 'remote only');
    expect((await h.run(['cp', path.join(h.work, 'there.txt'), 'vos:alice/compare/there.txt'])).code).toBe(0);
    const r = await h.run(['check', dir, 'vos:alice/compare']);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')).toEqual([
      'only here: new here.txt',
      'differs: sized.txt (10 B here, 5 B there)',
      'differs: sub/edited.txt (same size, different MD5)',
      'only on the server: there.txt',
      'check: 2 identical, 2 differ, 1 only here, 1 only on the server',
      '',
    ]);
    // Nothing was copied either way.
    expect(fs.existsSync(path.join(dir, 'there.txt'))).toBe(false);
    expect((await h.run(['ls', 'vos:alice/compare'])).stdout).not.toContain('new');

    const j = await h.run(['check', '--json', dir, 'vos:alice/compare']);
    // The comparison was done (ok); that the sides differ is the answer, in the exit code.
    expect(envelopeOf(j)).toMatchObject({ ok: true, command: 'check', exitCode: 1 });
    const doc = json<{ identical: number; differences: { verdict: string }[] }>(j);
    expect(doc.identical).toBe(2);
    expect(doc.differences.map((d) => d.verdict).sort()).toEqual([
      'differs',
      'differs',
      'only-here',
      'only-there',
    ]);
  });

  it('refuses a local path that is no folder and a remote argument that is not remote', async () => {
    const file = path.join(h.work, 'plain.txt');
    fs.writeFileSync(file, 'x');
    expect((await h.run(['check', file, 'vos:alice'])).code).toBe(20);
    expect((await h.run(['check', h.work, 'alice/x'])).code).toBe(22);
  });
});
