import { describe, expect, it } from 'vitest';
import type { LocalEntry, RemoteEntry, SyncMode } from '../../src/agent/model.js';
import {
  decide,
  isPlanEmpty,
  reconcile,
  summarizePlan,
  syncedBase,
  type DownloadAction,
  type Plan,
  type PlanAction,
  type RecordSyncedAction,
  type UploadAction,
} from '../../src/agent/reconcile/index.js';
import { orderActions } from '../../src/agent/reconcile/order.js';
import {
  applyPlan,
  brief,
  HOST,
  inputOf,
  NOW,
  planOf,
  runTwice,
  World,
  type PlanOptions,
} from './reconcile-sim.js';

const COPY = (stem: string, ext = '.txt', n = ''): string =>
  `${stem}.conflict-20240501-134501-${HOST}${n}${ext}`;

/** A world with one unrelated synced file, so it is not a first sync. */
function world(ci = false): World {
  return new World(ci).synced('keep.txt', 'keep');
}

function noticeKinds(plan: Plan): string[] {
  return plan.notices.map((n) => `${n.kind}:${n.path}`);
}

function converges(w: World, o: PlanOptions = {}): Plan {
  const { first, second } = runTwice(w.s, o);
  expect(brief(second)).toEqual([]);
  expect(isPlanEmpty(second)).toBe(true);
  return first;
}

/**
 * As converges, for a plan that sets a remote version aside by a server-side move: the next round fetches it
 * (a listing shows it under its new name; `fetched` is what that round does), then nothing is left to do.
 */
function convergesAfterAside(w: World, fetched: string[], o: PlanOptions = {}): Plan {
  const first = planOf(w.s, o);
  applyPlan(w.s, first);
  const second = planOf(w.s, { ...o, now: (o.now ?? NOW) + 60_000 });
  expect(brief(second)).toEqual(fetched);
  applyPlan(w.s, second);
  expect(brief(planOf(w.s, { ...o, now: (o.now ?? NOW) + 120_000 }))).toEqual([]);
  return first;
}

/** Every file content held on both sides under some name (not in a trash). */
function heldOnBothSides(w: World): Set<string> {
  const contents = (m: Map<string, { content?: string }>): Set<string> =>
    new Set([...m.values()].flatMap((e) => (e.content === undefined ? [] : [e.content])));
  const local = contents(w.s.local);
  return new Set([...contents(w.s.remote)].filter((c) => local.has(c)));
}

// ---- decision table, every row, every mode ------------------------------------------------------------------

interface Row {
  row: string;
  setup: (w: World) => void;
  'two-way': string[];
  backup: string[];
  'mirror-down': string[];
  notices?: Partial<Record<SyncMode, string[]>>;
}

const KEEP_BOTH = ['renameLocal:f.txt>' + COPY('f'), 'upload:' + COPY('f'), 'download:f.txt'];

const ROWS: Row[] = [
  {
    row: 'same / same → nothing',
    setup: (w) => w.synced('f.txt', 'base'),
    'two-way': [],
    backup: [],
    'mirror-down': [],
  },
  {
    row: 'changed / same → upload',
    setup: (w) => w.synced('f.txt', 'base').editLocal('f.txt', 'L'),
    'two-way': ['upload:f.txt'],
    backup: ['upload:f.txt'],
    'mirror-down': ['download:f.txt'],
  },
  {
    row: 'same / changed → download',
    setup: (w) => w.synced('f.txt', 'base').remote('f.txt', 'R'),
    'two-way': ['download:f.txt'],
    backup: [],
    'mirror-down': ['download:f.txt'],
    notices: { backup: ['remote-change-ignored:f.txt'] },
  },
  {
    row: 'changed / changed to the same MD5 → record as synced',
    setup: (w) => w.synced('f.txt', 'base').editLocal('f.txt', 'same').remote('f.txt', 'same'),
    'two-way': ['recordSynced:f.txt'],
    backup: ['recordSynced:f.txt'],
    'mirror-down': ['recordSynced:f.txt'],
  },
  {
    row: 'changed / changed differently → conflict',
    setup: (w) => w.synced('f.txt', 'base').editLocal('f.txt', 'L').remote('f.txt', 'RR'),
    'two-way': KEEP_BOTH,
    backup: ['upload:f.txt'],
    'mirror-down': ['download:f.txt'],
    notices: { 'two-way': ['conflict:f.txt'], backup: ['conflict:f.txt'], 'mirror-down': ['conflict:f.txt'] },
  },
  {
    row: 'deleted / same → delete remote',
    setup: (w) => w.synced('f.txt', 'base').dropLocal('f.txt'),
    'two-way': ['deleteRemote:f.txt'],
    backup: ['forgetBase:f.txt'],
    'mirror-down': ['download:f.txt'],
    notices: { backup: ['local-delete-not-propagated:f.txt'] },
  },
  {
    row: 'deleted / changed → download (edit beats delete)',
    setup: (w) => w.synced('f.txt', 'base').dropLocal('f.txt').remote('f.txt', 'R'),
    'two-way': ['download:f.txt'],
    backup: ['forgetBase:f.txt'],
    'mirror-down': ['download:f.txt'],
    notices: { backup: ['local-delete-not-propagated:f.txt'] },
  },
  {
    row: 'same / deleted → delete local',
    setup: (w) => w.synced('f.txt', 'base').dropRemote('f.txt'),
    'two-way': ['deleteLocal:f.txt'],
    backup: ['upload:f.txt'],
    'mirror-down': ['deleteLocal:f.txt'],
  },
  {
    row: 'changed / deleted → upload (edit beats delete)',
    setup: (w) => w.synced('f.txt', 'base').editLocal('f.txt', 'L').dropRemote('f.txt'),
    'two-way': ['upload:f.txt'],
    backup: ['upload:f.txt'],
    'mirror-down': ['deleteLocal:f.txt'],
  },
  {
    row: 'deleted / deleted → forget base',
    setup: (w) => w.synced('f.txt', 'base').dropLocal('f.txt').dropRemote('f.txt'),
    'two-way': ['forgetBase:f.txt'],
    backup: ['forgetBase:f.txt'],
    'mirror-down': ['forgetBase:f.txt'],
  },
  {
    row: 'new / new, same MD5 → record as synced',
    setup: (w) => w.local('f.txt', 'same').remote('f.txt', 'same'),
    'two-way': ['recordSynced:f.txt'],
    backup: ['recordSynced:f.txt'],
    'mirror-down': ['recordSynced:f.txt'],
  },
  {
    row: 'new / new, different → conflict',
    setup: (w) => w.local('f.txt', 'L').remote('f.txt', 'RR'),
    'two-way': KEEP_BOTH,
    backup: ['upload:f.txt'],
    'mirror-down': ['download:f.txt'],
    notices: { 'two-way': ['conflict:f.txt'], backup: ['conflict:f.txt'], 'mirror-down': ['conflict:f.txt'] },
  },
  {
    row: 'new / absent → upload',
    setup: (w) => w.local('f.txt', 'L'),
    'two-way': ['upload:f.txt'],
    backup: ['upload:f.txt'],
    'mirror-down': [],
    notices: { 'mirror-down': ['local-only-ignored:f.txt'] },
  },
  {
    row: 'absent / new → download',
    setup: (w) => w.remote('f.txt', 'R'),
    'two-way': ['download:f.txt'],
    backup: [],
    'mirror-down': ['download:f.txt'],
  },
];

const MODES: SyncMode[] = ['two-way', 'backup', 'mirror-down'];
const CASES = ROWS.flatMap((r) => MODES.map((mode) => ({ ...r, mode, expected: r[mode] })));

describe('decision table (one file, every row × every mode)', () => {
  it.each(CASES)('$mode: $row', ({ setup, mode, expected, notices }) => {
    const w = world();
    setup(w);
    const plan = converges(w, { mode });
    expect(brief(plan)).toEqual(expected);
    expect(noticeKinds(plan)).toEqual(notices?.[mode] ?? []);
  });

  it('records the base for "same content" from the current local and remote metadata', () => {
    const w = world().synced('f.txt', 'base').editLocal('f.txt', 'same').remote('f.txt', 'same');
    const plan = planOf(w.s);
    const a = plan.actions[0];
    expect(a?.type).toBe('recordSynced');
    if (a?.type !== 'recordSynced') return;
    const l = w.s.local.get('f.txt');
    const r = w.s.remote.get('f.txt');
    expect(syncedBase(a)).toEqual({
      path: 'f.txt',
      kind: 'file',
      size: 4,
      md5: l?.md5,
      localMtimeMs: l?.mtimeMs,
      localIno: l?.ino,
      remoteDateMs: r?.dateMs,
    });
  });

  it('carries the snapshots the executor re-checks', () => {
    const w = world().synced('f.txt', 'base').editLocal('f.txt', 'L');
    const up = planOf(w.s).actions[0] as UploadAction;
    const l = w.s.local.get('f.txt');
    const r = w.s.remote.get('f.txt');
    expect(up).toMatchObject({
      type: 'upload',
      expectLocal: { kind: 'file', size: 1, mtimeMs: l?.mtimeMs, ino: l?.ino, md5: l?.md5 },
      expectRemote: { kind: 'file', size: 4, dateMs: r?.dateMs, md5: r?.md5 },
      trashRemoteFirst: false,
    });
    expect(up.reason).toBe('changed locally');
  });

  it('shares the observed entries as snapshots instead of copying them (a first sync plans every path)', () => {
    const md5 = 'a'.repeat(32);
    const local = new Map<string, LocalEntry>([
      ['both.txt', { path: 'both.txt', kind: 'file', size: 1, mtimeMs: 5.5, ino: 7, md5 }],
      ['mine.txt', { path: 'mine.txt', kind: 'file', size: 2, mtimeMs: 6.5, ino: 8 }],
    ]);
    const remote = new Map<string, RemoteEntry>([
      ['both.txt', { path: 'both.txt', kind: 'file', size: 1, dateMs: 9, md5 }],
      ['theirs.txt', { path: 'theirs.txt', kind: 'file', size: 3, dateMs: 10 }],
    ]);
    const plan = reconcile({
      local,
      remote,
      base: new Map(),
      mode: 'two-way',
      conflictPolicy: 'keep-both',
      now: 0,
      host: 'h',
      caseInsensitiveLocal: false,
    });
    const at = (p: string) => plan.actions.find((a) => 'path' in a && a.path === p);
    const record = at('both.txt') as RecordSyncedAction;
    expect(record.type).toBe('recordSynced');
    expect(record.expectLocal).toBe(local.get('both.txt'));
    expect(record.expectRemote).toBe(remote.get('both.txt'));
    expect((at('mine.txt') as UploadAction).expectLocal).toBe(local.get('mine.txt'));
    expect((at('theirs.txt') as DownloadAction).expectRemote).toBe(remote.get('theirs.txt'));
    expect(syncedBase(record)).toEqual({
      path: 'both.txt',
      kind: 'file',
      size: 1,
      md5,
      localMtimeMs: 5.5,
      localIno: 7,
      remoteDateMs: 9,
    });
  });

  it('the decide() table has a row for every reachable pair of states', () => {
    expect(decide('changed', 'changed', 'two-way')).toBe('compare');
    expect(decide('deleted', 'same', 'backup')).toBe('forget-local-delete');
    expect(decide('deleted', 'same', 'backup', true)).toBe('deleteRemote');
    expect(decide('new', 'absent', 'mirror-down')).toBe('ignore-local-only');
  });
});

describe('changed vs base', () => {
  it.each([
    { name: 'a touch with the same MD5 is no change', edit: 'base', expected: [] },
    { name: 'a different MD5 is a change', edit: 'BASE', expected: ['upload:f.txt'] },
  ])('$name', ({ edit, expected }) => {
    const w = world().synced('f.txt', 'base').editLocal('f.txt', edit);
    expect(brief(converges(w))).toEqual(expected);
  });

  it('without a local MD5, size + mtime + inode decide', () => {
    const w = world().synced('f.txt', 'base');
    const l = w.s.local.get('f.txt');
    if (!l) throw new Error('setup');
    delete l.md5;
    expect(brief(planOf(w.s))).toEqual([]);
    w.s.local.set('f.txt', { ...l, ino: l.ino + 1 }); // same size/mtime, another inode: treat as changed
    expect(brief(planOf(w.s))).toEqual(['upload:f.txt']);
  });

  it('without a remote MD5, size + date decide; clocks are never compared across sides', () => {
    const w = world().synced('f.txt', 'base', { remoteMd5: false });
    expect(brief(planOf(w.s))).toEqual([]);
    // A remote date far in the past is still a change: only equality with base matters.
    w.remote('f.txt', 'base', { md5: false, dateMs: 5 });
    expect(brief(planOf(w.s))).toEqual(['download:f.txt']);
  });

  it('both changed, same size, remote MD5 unknown: waits instead of making a conflict copy', () => {
    const w = world()
      .synced('f.txt', 'base')
      .editLocal('f.txt', 'LLLL')
      .remote('f.txt', 'RRRR', { md5: false });
    const plan = converges(w);
    expect(brief(plan)).toEqual([]);
    expect(noticeKinds(plan)).toEqual(['content-unknown:f.txt']);
  });

  it('both changed, different sizes, remote MD5 unknown: a conflict', () => {
    const w = world().synced('f.txt', 'base').editLocal('f.txt', 'L').remote('f.txt', 'RRRR', { md5: false });
    expect(brief(converges(w))).toEqual(KEEP_BOTH);
  });
});

// ---- conflict policies --------------------------------------------------------------------------------------

describe('conflict policies (two-way)', () => {
  const setups = [
    {
      what: 'both changed',
      setup: (w: World) => w.synced('f.txt', 'base').editLocal('f.txt', 'L').remote('f.txt', 'RR'),
    },
    { what: 'new on both', setup: (w: World) => w.local('f.txt', 'L').remote('f.txt', 'RR') },
  ];
  // In two-way mode a policy only picks the version that keeps the name: the other is a conflict copy on both
  // sides, never only in a trash (it may be another machine's work).
  const LOCAL_KEEPS_NAME = [`moveRemote:f.txt>${COPY('f')}`, 'upload:f.txt'];
  const policies = [
    { policy: 'keep-both', expected: KEEP_BOTH, fetched: [], name: 'RR' },
    { policy: 'local-wins', expected: LOCAL_KEEPS_NAME, fetched: [`download:${COPY('f')}`], name: 'L' },
    { policy: 'remote-wins', expected: KEEP_BOTH, fetched: [], name: 'RR' },
  ] as const;

  it.each(setups.flatMap((s) => policies.map((p) => ({ ...s, ...p }))))(
    '$policy, $what',
    ({ setup, policy, expected, fetched, name }) => {
      const w = world();
      setup(w);
      const plan = convergesAfterAside(w, [...fetched], { conflictPolicy: policy });
      expect(brief(plan)).toEqual(expected);
      expect(plan.notices.map((n) => n.kind)).toEqual(['conflict']);
      expect(w.s.local.get('f.txt')?.content).toBe(name);
      expect([...heldOnBothSides(w)]).toEqual(expect.arrayContaining(['L', 'RR']));
      expect([...w.s.localTrash, ...w.s.remoteTrash]).toEqual([]);
    },
  );

  it('keep-both: remote keeps the name, the local version is renamed then uploaded', () => {
    const w = world().synced('dir', undefined).synced('dir/f.txt', 'base');
    w.editLocal('dir/f.txt', 'L').remote('dir/f.txt', 'RR');
    const plan = converges(w);
    const copy = `dir/${COPY('f')}`;
    expect(brief(plan)).toEqual([`renameLocal:dir/f.txt>${copy}`, `upload:${copy}`, 'download:dir/f.txt']);
    expect(plan.notices[0]).toMatchObject({ kind: 'conflict', path: 'dir/f.txt', related: copy });
    expect(w.s.local.get('dir/f.txt')?.content).toBe('RR');
    expect(w.s.local.get(copy)?.content).toBe('L');
    expect(w.s.remote.get(copy)?.content).toBe('L');
    expect((plan.actions[2] as DownloadAction).expectLocal).toBeNull();
  });

  it('keep-both: a taken conflict name gets "-2"', () => {
    const w = world().synced('f.txt', 'base').editLocal('f.txt', 'L').remote('f.txt', 'RR');
    w.remote(COPY('f'), 'older copy');
    const plan = converges(w);
    expect(brief(plan)).toContain(`upload:${COPY('f', '.txt', '-2')}`);
  });

  it('local-wins: the remote version is moved aside on the server (checked first), then the upload', () => {
    const w = world().synced('f.txt', 'base').editLocal('f.txt', 'L').remote('f.txt', 'RR');
    const r = w.s.remote.get('f.txt');
    const [move, up] = planOf(w.s, { conflictPolicy: 'local-wins' }).actions;
    expect(move).toMatchObject({
      type: 'moveRemote',
      purpose: 'conflict-aside',
      expectRemote: { md5: r?.md5 },
    });
    expect(up).toMatchObject({ type: 'upload', path: 'f.txt', expectRemote: null });
    expect((up as UploadAction).trashRemoteFirst).toBeFalsy();
  });

  it.each([
    { name: 'local newer', localMtime: 2_000, remoteDate: 1_000, expected: LOCAL_KEEPS_NAME },
    { name: 'remote newer', localMtime: 1_000, remoteDate: 2_000, expected: KEEP_BOTH },
    { name: 'tie goes to remote', localMtime: 1_000, remoteDate: 1_000, expected: KEEP_BOTH },
  ])('newer-wins: $name', ({ localMtime, remoteDate, expected }) => {
    const w = world().synced('f.txt', 'base');
    w.local('f.txt', 'L', { mtimeMs: localMtime }).remote('f.txt', 'RR', { dateMs: remoteDate });
    const fetched = expected === LOCAL_KEEPS_NAME ? [`download:${COPY('f')}`] : [];
    expect(brief(convergesAfterAside(w, fetched, { conflictPolicy: 'newer-wins' }))).toEqual(expected);
  });

  it.each(['keep-both', 'local-wins', 'remote-wins', 'newer-wins'] as const)(
    '%s: no conflict copy when both sides hold the same content',
    (policy) => {
      const w = world().synced('f.txt', 'base').editLocal('f.txt', 'same').remote('f.txt', 'same');
      w.local('g.txt', 'new').remote('g.txt', 'new');
      expect(brief(converges(w, { conflictPolicy: policy }))).toEqual([
        'recordSynced:f.txt',
        'recordSynced:g.txt',
      ]);
    },
  );

  it('a conflict of a conflict copy does not stack markers', () => {
    const name = COPY('f');
    const w = world().synced(name, 'base').editLocal(name, 'L').remote(name, 'RR');
    const plan = planOf(w.s, { now: Date.UTC(2024, 5, 2, 1, 2, 3) });
    expect(brief(plan)).toContain(`upload:f.conflict-20240602-010203-${HOST}.txt`);
  });
});

// ---- type conflicts -----------------------------------------------------------------------------------------

describe('file vs folder', () => {
  /** Local file "p", remote folder "p" with contents; both new (not a first sync). */
  const fileVsDir = (w: World): World =>
    w.local('p', 'L').remote('p').remote('p/a.txt', 'A').remote('p/sub').remote('p/sub/b', 'B');
  /** Local folder "p" with contents, remote file "p"; both new. */
  const dirVsFile = (w: World): World =>
    w.local('p').local('p/a.txt', 'A').local('p/sub').local('p/sub/b', 'B').remote('p', 'RR');
  const copyOf = (p: string): string => `${p}.conflict-20240501-134501-${HOST}`;

  it.each([
    {
      name: 'keep-both, local file vs remote folder',
      setup: fileVsDir,
      policy: 'keep-both',
      expected: [
        `renameLocal:p>${copyOf('p')}`,
        'mkdirLocal:p',
        'mkdirLocal:p/sub',
        'download:p/a.txt',
        'download:p/sub/b',
        `upload:${copyOf('p')}`,
      ],
    },
    {
      name: 'keep-both, local folder vs remote file: the renamed folder is uploaded under its new name',
      setup: dirVsFile,
      policy: 'keep-both',
      expected: [
        `renameLocal:p>${copyOf('p')}`,
        `mkdirRemote:${copyOf('p')}`,
        `mkdirRemote:${copyOf('p')}/sub`,
        'download:p',
        `upload:${copyOf('p')}/a.txt`,
        `upload:${copyOf('p')}/sub/b`,
      ],
    },
    {
      name: 'local-wins, local file vs remote folder: the folder is moved aside on the server, then fetched',
      setup: fileVsDir,
      policy: 'local-wins',
      expected: [`moveRemote:p>${copyOf('p')}`, 'upload:p'],
      fetched: [
        `mkdirLocal:${copyOf('p')}`,
        `mkdirLocal:${copyOf('p')}/sub`,
        `download:${copyOf('p')}/a.txt`,
        `download:${copyOf('p')}/sub/b`,
      ],
    },
    {
      name: 'remote-wins, local file vs remote folder: as keep-both',
      setup: fileVsDir,
      policy: 'remote-wins',
      expected: [
        `renameLocal:p>${copyOf('p')}`,
        'mkdirLocal:p',
        'mkdirLocal:p/sub',
        'download:p/a.txt',
        'download:p/sub/b',
        `upload:${copyOf('p')}`,
      ],
    },
    {
      name: 'local-wins, local folder vs remote file: the file is moved aside on the server, then fetched',
      setup: dirVsFile,
      policy: 'local-wins',
      expected: [
        `moveRemote:p>${copyOf('p')}`,
        'mkdirRemote:p',
        'mkdirRemote:p/sub',
        'upload:p/a.txt',
        'upload:p/sub/b',
      ],
      fetched: [`download:${copyOf('p')}`],
    },
  ] as const)('$name', (row) => {
    const { setup, policy, expected } = row;
    const w = world();
    setup(w);
    const before = [
      ...[...w.s.local.values()].map((e) => e.content),
      ...[...w.s.remote.values()].map((e) => e.content),
    ].filter((c) => c !== undefined);
    const fetched: readonly string[] = ('fetched' in row ? row.fetched : undefined) ?? [];
    const plan = convergesAfterAside(w, [...fetched], { conflictPolicy: policy });
    expect(brief(plan)).toEqual(expected);
    expect(plan.notices.map((n) => n.kind)).toEqual(['conflict']);
    const after = [
      ...[...w.s.local.values()].map((e) => e.content),
      ...[...w.s.remote.values()].map((e) => e.content),
      ...w.s.localTrash,
      ...w.s.remoteTrash,
    ];
    for (const c of before) expect(after).toContain(c);
  });

  it('a synced file replaced by a folder remotely (local unchanged): the folder wins, file to the trash', () => {
    const w = world().synced('p', 'base').dropRemote('p').remote('p').remote('p/x', 'X');
    const plan = converges(w);
    expect(brief(plan)).toEqual(['mkdirLocal:p', 'download:p/x']);
    expect(plan.actions[0]).toMatchObject({ expectLocal: { kind: 'file' } });
    expect(w.s.localTrash).toEqual(['base']);
  });

  it('a synced clean folder replaced by a file locally: the file wins, folder contents to the remote trash', () => {
    const w = world().synced('p').synced('p/x', 'X').dropLocal('p').local('p', 'F');
    const plan = converges(w);
    expect(brief(plan)).toEqual(['deleteRemote:p/x', 'upload:p']);
    expect(plan.actions[1]).toMatchObject({ trashRemoteFirst: true, expectRemote: { kind: 'dir' } });
  });

  it('a folder replaced by a file locally while its remote contents changed: a conflict, keep both', () => {
    const w = world().synced('p').synced('p/x', 'X').dropLocal('p').local('p', 'F').remote('p/x', 'X2');
    const plan = converges(w);
    expect(brief(plan)).toEqual([
      `renameLocal:p>${copyOf('p')}`,
      'mkdirLocal:p',
      'download:p/x',
      `upload:${copyOf('p')}`,
    ]);
  });

  it('backup: a remote file-to-folder change of an unchanged local file is left alone', () => {
    const w = world().synced('p', 'base').dropRemote('p').remote('p').remote('p/x', 'X');
    const plan = converges(w, { mode: 'backup' });
    expect(brief(plan)).toEqual([]);
    expect(noticeKinds(plan)).toEqual(['remote-change-ignored:p']);
  });

  it('mirror-down: a local file-to-folder change is undone, the folder goes to the local trash', () => {
    const w = world().synced('p', 'base').dropLocal('p').local('p').local('p/new', 'N');
    const plan = converges(w, { mode: 'mirror-down' });
    expect(brief(plan)).toEqual(['deleteLocal:p/new', 'download:p']);
    expect(w.s.localTrash).toEqual(['N']);
  });
});

// ---- folders and modes --------------------------------------------------------------------------------------

describe('folders', () => {
  it('new local folder: created remotely before its contents', () => {
    const w = world().local('d').local('d/e').local('d/e/f.txt', 'F');
    expect(brief(converges(w))).toEqual(['mkdirRemote:d', 'mkdirRemote:d/e', 'upload:d/e/f.txt']);
  });

  it('folder deleted locally: children deleted remotely before the folder', () => {
    const w = world()
      .synced('d')
      .synced('d/e')
      .synced('d/e/f.txt', 'F')
      .synced('d/g.txt', 'G')
      .dropLocal('d');
    expect(brief(converges(w))).toEqual([
      'deleteRemote:d/e/f.txt',
      'deleteRemote:d/e',
      'deleteRemote:d/g.txt',
      'deleteRemote:d',
    ]);
  });

  it('folder deleted remotely while a file inside changed locally: the folder is kept (edit beats delete)', () => {
    const w = world().synced('d').synced('d/a.txt', 'A').synced('d/b.txt', 'B').dropRemote('d');
    w.editLocal('d/b.txt', 'B2');
    expect(brief(converges(w))).toEqual(['deleteLocal:d/a.txt', 'mkdirRemote:d', 'upload:d/b.txt']);
  });

  it('folder deleted locally while something new appeared inside remotely: re-created locally', () => {
    const w = world().synced('d').synced('d/a.txt', 'A').dropLocal('d').remote('d/new.txt', 'N');
    expect(brief(converges(w))).toEqual(['deleteRemote:d/a.txt', 'mkdirLocal:d', 'download:d/new.txt']);
  });

  it('folders new on both sides are recorded without transfer', () => {
    const w = world().local('d').remote('d');
    expect(brief(converges(w))).toEqual(['recordSynced:d']);
  });

  it('backup: a local folder deletion is not propagated by default', () => {
    const w = world().synced('d').synced('d/a.txt', 'A').dropLocal('d');
    const plan = converges(w, { mode: 'backup' });
    expect(brief(plan)).toEqual(['forgetBase:d', 'forgetBase:d/a.txt']);
    expect(noticeKinds(plan)).toEqual(['local-delete-not-propagated:d']);
    expect(w.s.remote.has('d/a.txt')).toBe(true);
  });

  it('backup with propagateLocalDeletes: deletes remotely, but keeps a folder holding remote-only files', () => {
    const w = world().synced('d').synced('d/a.txt', 'A').synced('e').synced('e/b.txt', 'B');
    w.dropLocal('d').dropLocal('e').remote('e/other.txt', 'O');
    const plan = converges(w, { mode: 'backup', propagateLocalDeletes: true });
    expect(brief(plan)).toEqual([
      'deleteRemote:d/a.txt',
      'deleteRemote:d',
      'deleteRemote:e/b.txt',
      'forgetBase:e',
    ]);
    expect(noticeKinds(plan)).toEqual(['delete-cancelled:e']);
  });

  it('backup: remote deletion is not pushed back, the local folder is uploaded again', () => {
    const w = world().synced('d').synced('d/a.txt', 'A').dropRemote('d');
    expect(brief(converges(w, { mode: 'backup' }))).toEqual(['mkdirRemote:d', 'upload:d/a.txt']);
  });

  it('backup: remote-only files are neither downloaded nor reported', () => {
    const w = world().remote('d').remote('d/x', 'X');
    const plan = converges(w, { mode: 'backup' });
    expect(brief(plan)).toEqual([]);
    expect(plan.notices).toEqual([]);
  });

  it('mirror-down: remote folder deletion deletes locally (to the trash), local-only files are kept', () => {
    const w = world().synced('d').synced('d/a.txt', 'A').synced('e').synced('e/b.txt', 'B');
    w.dropRemote('d').dropRemote('e').local('e/mine.txt', 'M');
    const plan = converges(w, { mode: 'mirror-down' });
    expect(brief(plan)).toEqual([
      'deleteLocal:d/a.txt',
      'deleteLocal:d',
      'deleteLocal:e/b.txt',
      'forgetBase:e',
    ]);
    expect(noticeKinds(plan)).toEqual(['delete-cancelled:e', 'local-only-ignored:e/mine.txt']);
    expect(w.s.localTrash.sort()).toEqual(['A', 'B']);
  });

  it('mirror-down: a new local folder is reported once, not per file', () => {
    const w = world().local('mine').local('mine/a', 'A').local('mine/b', 'B');
    const plan = converges(w, { mode: 'mirror-down' });
    expect(brief(plan)).toEqual([]);
    expect(noticeKinds(plan)).toEqual(['local-only-ignored:mine']);
  });

  it('mirror-down: local edits are moved to the trash and the remote version downloaded', () => {
    const w = world().synced('f.txt', 'base').editLocal('f.txt', 'mine');
    const plan = converges(w, { mode: 'mirror-down' });
    expect(plan.actions[0]).toMatchObject({ type: 'download', expectLocal: { size: 4 } });
    expect(w.s.localTrash).toEqual(['mine']);
    expect(w.s.local.get('f.txt')?.content).toBe('base');
  });

  it('backup: both changed, the remote version goes to the remote trash before the upload', () => {
    const w = world().synced('f.txt', 'base').editLocal('f.txt', 'mine').remote('f.txt', 'theirs');
    const plan = converges(w, { mode: 'backup', conflictPolicy: 'remote-wins' });
    expect(plan.actions[0]).toMatchObject({ type: 'upload', trashRemoteFirst: true });
    expect(w.s.remoteTrash).toEqual(['theirs']);
  });
});

// ---- case clashes -------------------------------------------------------------------------------------------

describe('case-insensitive local disk', () => {
  it('two remote names differing only in case: one is downloaded, the other skipped with a notice', () => {
    const w = world(true).remote('A.txt', 'upper').remote('a.txt', 'lower');
    const plan = converges(w);
    expect(brief(plan)).toEqual(['download:A.txt']);
    expect(plan.notices).toMatchObject([{ kind: 'case-clash', path: 'a.txt', related: 'A.txt' }]);
  });

  it('the same on a case-sensitive disk downloads both', () => {
    const w = world(false).remote('A.txt', 'upper').remote('a.txt', 'lower');
    expect(brief(converges(w))).toEqual(['download:A.txt', 'download:a.txt']);
  });

  it('a synced local file keeps its name when a case variant appears remotely', () => {
    const w = world(true).synced('a.txt', 'mine').remote('A.txt', 'theirs');
    const plan = converges(w);
    expect(brief(plan)).toEqual([]);
    expect(noticeKinds(plan)).toEqual(['case-clash:A.txt']);
    expect(w.s.local.get('a.txt')?.content).toBe('mine');
  });

  it('local and remote new names differing only in case: the local one is uploaded, the remote one left alone', () => {
    const w = world(true).local('foo', 'L').remote('Foo', 'R');
    const plan = converges(w);
    expect(brief(plan)).toEqual(['upload:foo']);
    expect(noticeKinds(plan)).toEqual(['case-clash:Foo']);
  });

  it('folders differing only in case: nothing is downloaded into the second one', () => {
    const w = world(true).remote('Dir').remote('Dir/x', 'X').remote('dir').remote('dir/y', 'Y');
    const plan = converges(w);
    expect(brief(plan)).toEqual(['mkdirLocal:Dir', 'download:Dir/x']);
    expect(noticeKinds(plan)).toEqual(['case-clash:dir']);
  });

  it('a remote case-only rename is replayed as a local rename', () => {
    const w = world(true).synced('a.txt', 'same').renameRemote('a.txt', 'A.txt');
    expect(brief(converges(w))).toEqual(['renameLocal:a.txt>A.txt']);
    expect([...w.s.local.keys()]).toContain('A.txt');
  });

  it('a local case-only rename is replayed as a remote move', () => {
    const w = world(true).synced('a.txt', 'same').renameLocal('a.txt', 'A.txt');
    expect(brief(converges(w))).toEqual(['moveRemote:a.txt>A.txt']);
  });

  it('a remote case change with new content: old name deleted locally first, then the new one downloaded', () => {
    const w = world(true).synced('a.txt', 'old').dropRemote('a.txt').remote('A.txt', 'new content');
    expect(brief(converges(w))).toEqual(['deleteLocal:a.txt', 'download:A.txt']);
  });
});

// ---- rename detection ---------------------------------------------------------------------------------------

describe('rename and move detection', () => {
  it.each([
    {
      name: 'file renamed locally (same inode)',
      setup: (w: World) => w.synced('a.txt', 'A').renameLocal('a.txt', 'b.txt'),
      expected: ['moveRemote:a.txt>b.txt'],
    },
    {
      name: 'file moved into a new local folder: folder first, then the move',
      setup: (w: World) => w.synced('a.txt', 'A').local('new').renameLocal('a.txt', 'new/a.txt'),
      expected: ['mkdirRemote:new', 'moveRemote:a.txt>new/a.txt'],
    },
    {
      name: 'file copied then deleted (new inode, same MD5)',
      setup: (w: World) => w.synced('a.txt', 'A').dropLocal('a.txt').local('b.txt', 'A'),
      expected: ['moveRemote:a.txt>b.txt'],
    },
    {
      name: 'ambiguous: two identical files renamed, no guessing',
      setup: (w: World) =>
        w
          .synced('a1', 'A')
          .synced('a2', 'A')
          .dropLocal('a1')
          .dropLocal('a2')
          .local('b1', 'A')
          .local('b2', 'A'),
      expected: ['deleteRemote:a1', 'deleteRemote:a2', 'upload:b1', 'upload:b2'],
    },
    {
      name: 'two identical files, renamed keeping inodes: inodes disambiguate',
      setup: (w: World) =>
        w.synced('a1', 'A').synced('a2', 'A').renameLocal('a1', 'b1').renameLocal('a2', 'b2'),
      expected: ['moveRemote:a1>b1', 'moveRemote:a2>b2'],
    },
    {
      name: 'remote changed at the old path: no move',
      setup: (w: World) => w.synced('a.txt', 'A').renameLocal('a.txt', 'b.txt').remote('a.txt', 'A2'),
      expected: ['download:a.txt', 'upload:b.txt'],
    },
    {
      name: 'folder renamed as a whole: one move',
      setup: (w: World) =>
        w.synced('d').synced('d/x', 'X').synced('d/s').synced('d/s/y', 'Y').renameLocal('d', 'e'),
      expected: ['moveRemote:d>e'],
    },
    {
      name: 'folder renamed and one file edited inside: no folder move, per-file moves + upload',
      setup: (w: World) =>
        w.synced('d').synced('d/x', 'X').synced('d/y', 'Y').renameLocal('d', 'e').editLocal('e/y', 'Y2'),
      expected: ['deleteRemote:d/y', 'mkdirRemote:e', 'moveRemote:d/x>e/x', 'deleteRemote:d', 'upload:e/y'],
    },
    {
      name: 'file moved out of a folder that was then deleted: move before the folder delete',
      setup: (w: World) => w.synced('d').synced('d/x', 'X').renameLocal('d/x', 'x').dropLocal('d'),
      expected: ['moveRemote:d/x>x', 'deleteRemote:d'],
    },
    {
      name: 'renamed remotely: replayed as a local rename',
      setup: (w: World) => w.synced('d').synced('d/x', 'X').renameRemote('d', 'e'),
      expected: ['renameLocal:d>e'],
    },
    {
      name: 'renamed remotely without a remote MD5: delete + download',
      setup: (w: World) => w.synced('x', 'X', { remoteMd5: false }).renameRemote('x', 'y'),
      expected: ['deleteLocal:x', 'download:y'],
    },
  ])('$name', ({ setup, expected }) => {
    const w = world();
    setup(w);
    expect(brief(converges(w))).toEqual(expected);
  });

  it.each([
    { mode: 'backup', propagate: false, expected: ['upload:b.txt', 'forgetBase:a.txt'] },
    { mode: 'backup', propagate: true, expected: ['moveRemote:a.txt>b.txt'] },
    { mode: 'mirror-down', propagate: false, expected: ['download:a.txt'] },
  ] as const)('$mode (propagate=$propagate): local rename', ({ mode, propagate, expected }) => {
    const w = world().synced('a.txt', 'A').renameLocal('a.txt', 'b.txt');
    expect(brief(converges(w, { mode, propagateLocalDeletes: propagate }))).toEqual(expected);
  });

  it('the move carries both snapshots', () => {
    const w = world().synced('a.txt', 'A').renameLocal('a.txt', 'b.txt');
    const plan = planOf(w.s);
    expect(plan.actions[0]).toMatchObject({
      type: 'moveRemote',
      purpose: 'local-rename',
      expectRemote: { md5: w.s.remote.get('a.txt')?.md5 },
      expectLocal: { ino: w.s.local.get('b.txt')?.ino },
    });
  });
});

// ---- order and determinism ----------------------------------------------------------------------------------

describe('plan order', () => {
  it('is the same whatever the order of the input maps', () => {
    const w = world()
      .synced('d')
      .synced('d/a', 'A')
      .local('n')
      .local('n/b', 'B')
      .remote('r')
      .remote('r/c', 'C');
    w.dropLocal('d').editLocal('keep.txt', 'K2');
    const forward = reconcile(inputOf(w.s));
    const reversed = reconcile({
      ...inputOf(w.s),
      local: new Map([...w.s.local].reverse()),
      remote: new Map([...w.s.remote].reverse()),
      base: new Map([...w.s.base].reverse()),
    });
    expect(reversed).toEqual(forward);
  });

  it('does not mutate its input', () => {
    const w = world().synced('a.txt', 'A').renameLocal('a.txt', 'b.txt').remote('c', 'C');
    const snapshot = JSON.stringify([[...w.s.local], [...w.s.remote], [...w.s.base]]);
    reconcile(inputOf(w.s));
    expect(JSON.stringify([[...w.s.local], [...w.s.remote], [...w.s.base]])).toBe(snapshot);
  });

  it('summarizePlan counts actions per type', () => {
    const w = world().local('a', 'A').local('b', 'B').remote('c', 'C');
    const plan = planOf(w.s);
    expect(summarizePlan(plan)).toMatchObject({ upload: 2, download: 1, deleteLocal: 0 });
    applyPlan(w.s, plan);
    expect(isPlanEmpty(planOf(w.s))).toBe(true);
  });

  it('uses the injected clock and host for conflict names', () => {
    const w = world().synced('f.txt', 'base').editLocal('f.txt', 'L').remote('f.txt', 'RR');
    const plan = planOf(w.s, { now: NOW + 3_600_000, host: 'other' });
    expect(brief(plan)).toContain('upload:f.conflict-20240501-144501-other.txt');
  });
});

describe('orderActions dependency rules (synthetic plans the rank order alone would get wrong)', () => {
  const file = { kind: 'file' as const, size: 1, mtimeMs: 1, ino: 1 };
  const dir = { kind: 'dir' as const, size: 0, mtimeMs: 1, ino: 2 };
  const rdir = { kind: 'dir' as const, size: 0, dateMs: 1 };
  const order = (actions: PlanAction[], ci = false): string[] =>
    brief({
      actions: orderActions(actions, ci ? (p) => p.toLowerCase() : (p) => p),
      notices: [],
      firstSync: false,
    });

  it('a path is freed before a rename lands there', () => {
    const plan: PlanAction[] = [
      { type: 'renameLocal', from: 'x', to: 'p', purpose: 'remote-rename', expectLocal: file, reason: 't' },
      { type: 'deleteLocal', path: 'p', expectLocal: file, reason: 't' },
    ];
    expect(order(plan)).toEqual(['deleteLocal:p', 'renameLocal:x>p']);
  });

  it('a child is moved out before its folder is renamed away', () => {
    const plan: PlanAction[] = [
      { type: 'renameLocal', from: 'd', to: 'd2', purpose: 'conflict-copy', expectLocal: dir, reason: 't' },
      { type: 'renameLocal', from: 'd/x', to: 'x', purpose: 'remote-rename', expectLocal: file, reason: 't' },
    ];
    expect(order(plan)).toEqual(['renameLocal:d/x>x', 'renameLocal:d>d2']);
  });

  it('after a case-only folder rename, removals inside it come after the rename', () => {
    const plan: PlanAction[] = [
      { type: 'deleteLocal', path: 'a/f', expectLocal: file, reason: 't' },
      { type: 'renameLocal', from: 'A', to: 'a', purpose: 'remote-rename', expectLocal: dir, reason: 't' },
    ];
    expect(order(plan, true)).toEqual(['renameLocal:A>a', 'deleteLocal:a/f']);
  });

  it('a moved folder lands before anything inside it is deleted', () => {
    const plan: PlanAction[] = [
      { type: 'deleteRemote', path: 'n/x', expectRemote: { kind: 'file', size: 1, dateMs: 1 }, reason: 't' },
      {
        type: 'moveRemote',
        from: 'o',
        to: 'n',
        purpose: 'local-rename',
        expectRemote: rdir,
        expectLocal: dir,
        reason: 't',
      },
    ];
    expect(order(plan)).toEqual(['moveRemote:o>n', 'deleteRemote:n/x']);
  });

  it('reports a cycle instead of returning a wrong order', () => {
    const plan: PlanAction[] = [
      { type: 'renameLocal', from: 'a', to: 'b', purpose: 'conflict-copy', expectLocal: file, reason: 't' },
      { type: 'renameLocal', from: 'b', to: 'a', purpose: 'conflict-copy', expectLocal: file, reason: 't' },
    ];
    expect(() => order(plan)).toThrow(/dependency cycle/);
  });
});
