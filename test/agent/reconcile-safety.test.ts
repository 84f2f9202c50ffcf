import { describe, expect, it } from 'vitest';
import {
  conflictCopyName,
  conflictStamp,
  isConflictCopyName,
  safeHost,
} from '../../src/agent/reconcile/conflict-name.js';
import {
  checkDeleteSafety,
  checkRootGuard,
  countDeletes,
  deleteRecordsAfter,
  DEFAULT_DELETE_LIMITS,
  heldDeletes,
  RECENT_DELETES_WINDOW_MS,
  recentDeletes,
  sumDeletes,
} from '../../src/agent/engine/delete-safety.js';
import type { BaseEntry, ConflictPolicy, LocalEntry, SyncMode } from '../../src/agent/model.js';
import type { PlanAction } from '../../src/agent/reconcile/index.js';
import { brief, NOW, planOf, runTwice, World } from './reconcile-sim.js';

const del = (side: 'local' | 'remote', path: string): PlanAction =>
  side === 'local'
    ? { type: 'deleteLocal', path, expectLocal: { kind: 'file', size: 1, mtimeMs: 1, ino: 1 }, reason: 't' }
    : { type: 'deleteRemote', path, expectRemote: { kind: 'file', size: 1, dateMs: 1 }, reason: 't' };
const deletes = (side: 'local' | 'remote', n: number): PlanAction[] =>
  Array.from({ length: n }, (_, i) => del(side, `f${i}`));

describe('held deletes: what a confirmation covers', () => {
  const upload: PlanAction = {
    type: 'upload',
    path: 'new.txt',
    expectLocal: { kind: 'file', size: 1, mtimeMs: 1, ino: 1 },
    expectRemote: null,
    trashRemoteFirst: false,
    reason: 't',
  };
  const six = deletes('remote', 6);
  it('lists only the deletions, local side first, in path order, whatever order the plan has', () => {
    expect(heldDeletes([del('remote', 'b'), upload, del('local', 'z'), del('remote', 'a')]).paths).toEqual([
      { side: 'local', path: 'z' },
      { side: 'remote', path: 'a' },
      { side: 'remote', path: 'b' },
    ]);
  });
  it.each<{ name: string; other: PlanAction[]; same: boolean }>([
    {
      name: 'the same set in another order, with other actions',
      other: [upload, ...six].reverse(),
      same: true,
    },
    { name: 'one more deletion', other: [...six, del('remote', 'f6')], same: false },
    { name: 'one fewer', other: six.slice(1), same: false },
    { name: 'another file', other: [...six.slice(1), del('remote', 'g')], same: false },
    { name: 'the same path on the other side', other: [...six.slice(1), del('local', 'f0')], same: false },
    // Sets whose joined texts would coincide without a separator.
    { name: 'paths split differently', other: [...six.slice(2), del('remote', 'f0f1')], same: false },
  ])('$name: same digest = $same', ({ other, same }) => {
    expect(heldDeletes(other).digest === heldDeletes(six).digest).toBe(same);
  });
});

describe('delete caps', () => {
  it.each([
    {
      name: '5 of 10 remote deletes is at the 50% limit: ok',
      actions: deletes('remote', 5),
      base: 10,
      verdict: 'ok',
    },
    { name: '6 of 10 remote deletes: pause', actions: deletes('remote', 6), base: 10, verdict: 'pause' },
    { name: '6 of 10 local deletes: pause', actions: deletes('local', 6), base: 10, verdict: 'pause' },
    {
      name: 'sides are counted separately (5 + 5 of 10)',
      actions: [...deletes('local', 5), ...deletes('remote', 5)],
      base: 10,
      verdict: 'ok',
    },
    {
      name: '1,001 deletes of 100,000 exceeds the count cap',
      actions: deletes('remote', 1001),
      base: 100_000,
      verdict: 'pause',
    },
    {
      name: '1,000 deletes of 100,000 is at the count cap',
      actions: deletes('remote', 1000),
      base: 100_000,
      verdict: 'ok',
    },
    { name: 'no deletes with an empty base', actions: [], base: 0, verdict: 'ok' },
  ])('$name', ({ actions, base, verdict }) => {
    expect(checkDeleteSafety({ actions }, base).verdict).toBe(verdict);
  });

  it('explains a pause with counts', () => {
    const v = checkDeleteSafety({ actions: deletes('remote', 6) }, 10);
    expect(v).toMatchObject({ verdict: 'pause', localDeletes: 0, remoteDeletes: 6 });
    if (v.verdict === 'pause')
      expect(v.reason).toBe(
        'would delete 6 of 10 synced items on the remote side (60%, limit 50%) (run vosync resume --confirm-deletes)',
      );
  });

  it.each([
    {
      name: 'recent deletions push a small plan over the share',
      planned: 6,
      recent: 9,
      base: 11,
      verdict: 'pause',
    },
    { name: 'six of twenty alone are within the share', planned: 6, recent: 0, base: 20, verdict: 'ok' },
    {
      name: 'recent deletions push a plan over the count',
      planned: 200,
      recent: 900,
      base: 100_000,
      verdict: 'pause',
    },
    {
      name: 'no planned deletion never pauses, whatever went before',
      planned: 0,
      recent: 900,
      base: 10,
      verdict: 'ok',
    },
  ])('$name', ({ planned, recent, base, verdict }) => {
    const v = checkDeleteSafety(
      { actions: deletes('remote', planned) },
      base,
      {},
      { localDeletes: 0, remoteDeletes: recent },
    );
    expect(v.verdict).toBe(verdict);
  });

  it('says how many of the deletions were recent', () => {
    const share = checkDeleteSafety(
      { actions: deletes('local', 6) },
      11,
      {},
      { localDeletes: 9, remoteDeletes: 0 },
    );
    expect(share.verdict === 'pause' && share.reason).toBe(
      'would delete 15 of 20 synced items on the local side, 9 of them in the last 10 minutes (75%, limit 50%) (run vosync resume --confirm-deletes)',
    );
    const count = checkDeleteSafety(
      { actions: deletes('remote', 200) },
      100_000,
      {},
      { localDeletes: 0, remoteDeletes: 900 },
    );
    expect(count.verdict === 'pause' && count.reason).toBe(
      'would delete 1100 items on the remote side, 900 of them in the last 10 minutes (limit 1000 per 10 minutes) (run vosync resume --confirm-deletes)',
    );
  });

  it.each([
    {
      name: 'a run that deleted adds its record',
      deleted: [2, 1],
      vouched: false,
      want: [
        [5, 0, 0],
        [9, 2, 1],
      ],
    },
    {
      name: 'a run that deleted nothing leaves the records',
      deleted: [0, 0],
      vouched: false,
      want: undefined,
    },
    { name: 'a vouched run starts afresh, itself not counted', deleted: [6, 0], vouched: true, want: [] },
    { name: 'a vouched run that deleted nothing clears them too', deleted: [0, 0], vouched: true, want: [] },
  ])('$name', ({ deleted, vouched, want }) => {
    const recent = [{ at: 5, localDeletes: 0, remoteDeletes: 0 }];
    const [localDeletes, remoteDeletes] = deleted as [number, number];
    const out = deleteRecordsAfter(recent, { localDeletes, remoteDeletes }, 9, vouched);
    expect(out?.map((r) => [r.at, r.localDeletes, r.remoteDeletes])).toEqual(want);
  });

  it('keeps the deletions of the last ten minutes only', () => {
    const at = (ms: number) => ({ at: ms, localDeletes: 1, remoteDeletes: 0 });
    const now = 1_000_000_000;
    const kept = recentDeletes(
      [at(now - RECENT_DELETES_WINDOW_MS), at(now - RECENT_DELETES_WINDOW_MS + 1), at(now), at(now + 1)],
      now,
    );
    expect(kept.map((r) => r.at)).toEqual([now - RECENT_DELETES_WINDOW_MS + 1, now]);
    expect(sumDeletes([...kept, { at: now, localDeletes: 2, remoteDeletes: 5 }])).toEqual({
      localDeletes: 4,
      remoteDeletes: 5,
    });
  });

  it('honours custom limits', () => {
    expect(checkDeleteSafety({ actions: deletes('local', 3) }, 100, { maxDeleteCount: 2 }).verdict).toBe(
      'pause',
    );
    expect(checkDeleteSafety({ actions: deletes('local', 9) }, 10, { maxDeleteShare: 0.9 }).verdict).toBe(
      'ok',
    );
    expect(DEFAULT_DELETE_LIMITS).toEqual({ maxDeleteShare: 0.5, maxDeleteCount: 1000 });
  });

  it('a renamed folder holding most files does not trip the cap (moves are not deletes)', () => {
    const w = new World().synced('keep.txt', 'k').synced('big');
    for (let i = 0; i < 20; i++) w.synced(`big/f${i}`, `c${i}`);
    w.renameLocal('big', 'bigger');
    const plan = planOf(w.s);
    expect(brief(plan)).toEqual(['moveRemote:big>bigger']);
    expect(checkDeleteSafety(plan, w.s.base.size)).toMatchObject({ verdict: 'ok', remoteDeletes: 0 });
  });

  it('deleting most of a folder locally pauses, with the real plan', () => {
    const w = new World().synced('keep.txt', 'k').synced('d');
    for (let i = 0; i < 10; i++) w.synced(`d/f${i}`, `c${i}`);
    w.dropLocal('d');
    const plan = planOf(w.s);
    expect(countDeletes(plan.actions)).toEqual({ localDeletes: 0, remoteDeletes: 11 });
    expect(checkDeleteSafety(plan, w.s.base.size).verdict).toBe('pause');
  });

  it('conflict losers replaced by a transfer are not counted as deletes', () => {
    const w = new World().synced('f', 'base').editLocal('f', 'L').remote('f', 'RR');
    const plan = planOf(w.s, { conflictPolicy: 'local-wins' });
    expect(countDeletes(plan.actions)).toEqual({ localDeletes: 0, remoteDeletes: 0 });
  });
});

describe('root guard', () => {
  const base = (n: number): Map<string, BaseEntry> =>
    new Map(
      Array.from({ length: n }, (_, i): [string, BaseEntry] => [
        `f${i}`,
        { path: `f${i}`, kind: 'file', size: 1, localMtimeMs: 1, localIno: 1, remoteDateMs: 1 },
      ]),
    );
  const local = (paths: [string, 'file' | 'dir'][]): Map<string, LocalEntry> =>
    new Map(paths.map(([p, kind]) => [p, { path: p, kind, size: 0, mtimeMs: 0, ino: 0 }]));

  it.each([
    {
      name: 'empty local, 3 remembered files: pause',
      present: local([]),
      b: 3,
      marker: true,
      verdict: 'pause',
    },
    {
      name: 'empty local, 2 remembered files: ok (small threshold)',
      present: local([]),
      b: 2,
      marker: true,
      verdict: 'ok',
    },
    {
      name: 'only empty folders left, 10 files remembered: pause',
      present: local([['d', 'dir']]),
      b: 10,
      marker: true,
      verdict: 'pause',
    },
    { name: 'one file left: ok', present: local([['f0', 'file']]), b: 10, marker: true, verdict: 'ok' },
    {
      name: 'marker missing: pause',
      present: local([['f0', 'file']]),
      b: 10,
      marker: false,
      verdict: 'pause',
    },
    { name: 'first sync into an empty folder: ok', present: local([]), b: 0, marker: true, verdict: 'ok' },
  ])('$name', ({ present, b, marker, verdict }) => {
    const v = checkRootGuard({ present, base: base(b), rootMarkerPresent: marker });
    expect(v.verdict).toBe(verdict);
    if (v.verdict === 'pause') expect(v.reason).toMatch(/^local folder looks unmounted or emptied/);
  });

  it('words the remote side differently and honours a custom threshold', () => {
    const v = checkRootGuard({ present: new Map(), base: base(5), side: 'remote', emptyThreshold: 10 });
    expect(v.verdict).toBe('ok');
    const w = checkRootGuard({ present: new Map(), base: base(5), side: 'remote' });
    expect(w).toEqual({
      verdict: 'pause',
      reason: 'remote folder looks empty or unreadable: no files now, 5 remembered from the last sync',
    });
  });
});

describe('first sync (empty base, data on both sides)', () => {
  /** Both sides hold overlapping trees: identical, different, file-vs-folder, and one-sided items. */
  function firstSyncWorld(): World {
    return new World()
      .local('same.txt', 'S')
      .remote('same.txt', 'S')
      .local('differs.txt', 'mine')
      .remote('differs.txt', 'theirs')
      .local('shape', 'a file')
      .remote('shape')
      .remote('shape/in.txt', 'I')
      .local('d')
      .local('d/local-only.txt', 'L')
      .remote('d')
      .remote('d/remote-only.txt', 'R');
  }
  const cases: { mode: SyncMode; policy: ConflictPolicy }[] = [];
  for (const mode of ['two-way', 'backup', 'mirror-down'] as const) {
    for (const policy of ['keep-both', 'local-wins', 'remote-wins', 'newer-wins'] as const)
      cases.push({ mode, policy });
  }

  it.each(cases)(
    '$mode / $policy: nothing is deleted or overwritten, and it converges',
    ({ mode, policy }) => {
      const w = firstSyncWorld();
      const { first, second } = runTwice(w.s, { mode, conflictPolicy: policy });
      expect(first.firstSync).toBe(true);
      for (const a of first.actions) {
        expect(a.type).not.toBe('deleteLocal');
        expect(a.type).not.toBe('deleteRemote');
        if (a.type === 'upload') expect(a.expectRemote).toBeNull();
        if (a.type === 'download' || a.type === 'mkdirLocal') expect(a.expectLocal).toBeNull();
        if (a.type === 'mkdirRemote') expect(a.expectRemote).toBeNull();
      }
      expect(w.s.localTrash).toEqual([]);
      expect(w.s.remoteTrash).toEqual([]);
      expect(checkDeleteSafety(first, 0).verdict).toBe('ok');
      expect(brief(second)).toEqual([]);
      // Identical files are adopted without a transfer.
      expect(brief(first)).toContain('recordSynced:same.txt');
    },
  );

  it('two-way: conflicting items keep both, whatever the policy', () => {
    const plan = planOf(firstSyncWorld().s, { conflictPolicy: 'local-wins' });
    expect(plan.notices.filter((n) => n.kind === 'conflict').map((n) => n.related)).toEqual([
      'differs.conflict-20240501-134501-testhost.txt',
      'shape.conflict-20240501-134501-testhost',
    ]);
  });

  it('backup: the remote version is moved aside on the remote', () => {
    const plan = planOf(firstSyncWorld().s, { mode: 'backup' });
    expect(brief(plan)).toContain('moveRemote:differs.txt>differs.conflict-20240501-134501-testhost.txt');
  });
});

describe('conflict-copy names', () => {
  const free = (): boolean => false;
  it.each([
    { path: 'report.txt', expected: 'report.conflict-20240501-134501-host.txt' },
    { path: 'a/b/data.tar.gz', expected: 'a/b/data.tar.conflict-20240501-134501-host.gz' },
    { path: '.bashrc', expected: '.bashrc.conflict-20240501-134501-host' },
    { path: 'dir/Makefile', expected: 'dir/Makefile.conflict-20240501-134501-host' },
    { path: 'ends.', expected: 'ends..conflict-20240501-134501-host' },
  ])('$path', ({ path, expected }) => {
    expect(conflictCopyName(path, { now: NOW, host: 'host', isTaken: free })).toBe(expected);
  });

  it('folders keep dots in their names', () => {
    expect(conflictCopyName('x/v1.2', { now: NOW, host: 'host', isDir: true, isTaken: free })).toBe(
      'x/v1.2.conflict-20240501-134501-host',
    );
  });

  it('counts up while the name is taken', () => {
    const taken = new Set(['r.conflict-20240501-134501-h.txt', 'r.conflict-20240501-134501-h-2.txt']);
    expect(conflictCopyName('r.txt', { now: NOW, host: 'h', isTaken: (c) => taken.has(c) })).toBe(
      'r.conflict-20240501-134501-h-3.txt',
    );
  });

  it('replaces an existing marker instead of stacking another', () => {
    const old = 'r.conflict-20230102-030405-h.txt';
    expect(isConflictCopyName(old)).toBe(true);
    expect(isConflictCopyName('r.txt')).toBe(false);
    expect(isConflictCopyName('r (conflicted copy 2023-01-02 030405 h).txt')).toBe(true);
    expect(isConflictCopyName('README.conflict-20230102-030405-h')).toBe(true);
    expect(conflictCopyName(old, { now: NOW, host: 'h', isTaken: free })).toBe(
      'r.conflict-20240501-134501-h.txt',
    );
  });

  it('uses UTC and a file-name-safe host', () => {
    expect(conflictStamp(Date.UTC(2030, 11, 31, 23, 59, 58))).toBe('20301231-235958');
    expect(safeHost('lab/pc (2)')).toBe('lab-pc-2');
    expect(safeHost('laptop.example.org')).toBe('laptop');
    expect(safeHost('Ma Bécane')).toBe('Ma-B-cane');
    expect(safeHost('…')).toBe('host');
    expect(safeHost('  ')).toBe('host');
  });
});
