/**
 * Concurrent writes from two machines (VOSpace has no conditional PUT): a remote version dated within the
 * window after this agent's own upload may not have seen it, so both are kept. A table over the pure rule and
 * the plans it leads to.
 */
import { describe, expect, it } from 'vitest';
import type { BaseEntry, LocalEntry, RemoteEntry } from '../../src/agent/model.js';
import { reconcile } from '../../src/agent/reconcile/index.js';
import { CONCURRENT_WINDOW_MS, possiblyConcurrent } from '../../src/agent/reconcile/compare.js';

const T = Date.UTC(2026, 11, 1, 22, 18, 15);
const MiB = 1_048_576;

const base = (o: Partial<BaseEntry> = {}): BaseEntry => ({
  path: 'f.txt',
  kind: 'file',
  size: 10,
  md5: 'a'.repeat(32),
  localMtimeMs: 1,
  localIno: 1,
  remoteDateMs: T,
  uploaded: true,
  ...o,
});
const remote = (o: Partial<RemoteEntry> = {}): RemoteEntry => ({
  path: 'f.txt',
  kind: 'file',
  size: 10,
  md5: 'b'.repeat(32),
  dateMs: T + 2,
  ...o,
});
const local: LocalEntry = { path: 'f.txt', kind: 'file', size: 10, mtimeMs: 1, ino: 1, md5: 'a'.repeat(32) };

describe('possiblyConcurrent', () => {
  it.each([
    { name: '2 ms after our upload', b: base(), r: remote(), expected: true },
    {
      name: 'at the end of the window',
      b: base(),
      r: remote({ dateMs: T + CONCURRENT_WINDOW_MS }),
      expected: true,
    },
    {
      name: 'after the window',
      b: base(),
      r: remote({ dateMs: T + CONCURRENT_WINDOW_MS + 1 }),
      expected: false,
    },
    {
      name: 'a big file: its transfer time is allowed for',
      b: base(),
      r: remote({ size: 100 * MiB, dateMs: T + CONCURRENT_WINDOW_MS + 60_000 }),
      expected: true,
    },
    { name: 'dated before our upload', b: base(), r: remote({ dateMs: T - 1 }), expected: false },
    { name: 'our base came from a download', b: base({ uploaded: false }), r: remote(), expected: false },
    {
      name: 'base without the flag (older index)',
      b: base({ uploaded: undefined }),
      r: remote(),
      expected: false,
    },
    { name: 'a folder', b: base({ kind: 'dir' }), r: remote({ kind: 'dir' }), expected: false },
  ])('$name → $expected', ({ b, r, expected }) => {
    expect(possiblyConcurrent(r, b)).toBe(expected);
  });
});

describe('plans for a remote change right after our own upload', () => {
  const plan = (
    mode: 'two-way' | 'backup' | 'mirror-down',
    conflictPolicy = 'keep-both' as const,
    b = base(),
  ) =>
    reconcile({
      local: new Map([['f.txt', local]]),
      remote: new Map([['f.txt', remote()]]),
      base: new Map([['f.txt', b]]),
      mode,
      conflictPolicy,
      now: T + 60_000,
      host: 'laptop',
      caseInsensitiveLocal: false,
    });
  const brief = (p: ReturnType<typeof plan>) =>
    p.actions.map((a) => ('path' in a ? `${a.type}:${a.path}` : `${a.type}:${a.from}>${a.to}`));

  it('two-way keeps both, whatever the conflict policy: ours as a conflict copy that is uploaded too', () => {
    for (const policy of ['keep-both', 'remote-wins', 'local-wins', 'newer-wins'] as const) {
      const p = plan('two-way', policy as 'keep-both');
      expect(brief(p)).toEqual([
        'renameLocal:f.txt>f.conflict-20261201-221915-laptop.txt',
        'upload:f.conflict-20261201-221915-laptop.txt',
        'download:f.txt',
      ]);
      expect(p.notices.map((n) => [n.kind, n.message])).toEqual([
        ['conflict', expect.stringMatching(/written on another machine at the same time/)],
      ]);
    }
  });

  it('a change long after our upload is downloaded as usual', () => {
    expect(brief(plan('two-way', 'keep-both', base({ remoteDateMs: T - 3_600_000 })))).toEqual([
      'download:f.txt',
    ]);
  });

  it('not when our version sits in a remote conflict copy: another machine saw it and set it aside', () => {
    const aside: RemoteEntry = {
      ...remote(),
      path: 'f.conflict-20261201-221816-desk.txt',
      md5: 'a'.repeat(32),
    };
    const p = reconcile({
      local: new Map([['f.txt', local]]),
      remote: new Map([
        ['f.txt', remote()],
        [aside.path, aside],
      ]),
      base: new Map([['f.txt', base()]]),
      mode: 'two-way',
      conflictPolicy: 'keep-both',
      now: T + 60_000,
      host: 'laptop',
      caseInsensitiveLocal: false,
    });
    expect(brief(p)).toEqual(['download:f.conflict-20261201-221816-desk.txt', 'download:f.txt']);
    expect(p.notices).toEqual([]);
  });

  it('mirror-down follows the server as usual', () => {
    expect(brief(plan('mirror-down'))).toEqual(['download:f.txt']);
  });
});
