/**
 * The prepare step as a table: each special case a cycle meets before planning (the agent's own transfers cut
 * short, unreadable or unstorable paths, placeholders, newly ignored paths) is an entry state, with the trees it
 * leaves for the reconciler and the index writes it asks for.
 */
import { describe, expect, it } from 'vitest';
import {
  PLACEHOLDER_GRACE_MS,
  prepare,
  unstorableNames,
  type PrepareInput,
} from '../../src/agent/engine/prepare.js';
import type { BaseEntry, LocalEntry, RemoteEntry } from '../../src/agent/model.js';

const NOW = Date.UTC(2026, 11, 5, 12);
const A = 'a'.repeat(32);
const B = 'b'.repeat(32);
const C = 'c'.repeat(32);

const file = (path: string, md5: string | undefined, size = 3): LocalEntry => ({
  path,
  kind: 'file',
  size,
  mtimeMs: 1000,
  ino: 7,
  ...(md5 ? { md5 } : {}),
});
const dir = (path: string): LocalEntry => ({ path, kind: 'dir', size: 0, mtimeMs: 1000, ino: 8 });
const node = (path: string, md5: string | undefined, size = 3, dateMs = 5000): RemoteEntry => ({
  path,
  kind: 'file',
  size,
  dateMs,
  ...(md5 ? { md5 } : {}),
});
const folder = (path: string): RemoteEntry => ({ path, kind: 'dir', size: 0, dateMs: 5000 });
const base = (path: string, md5: string, extra: Partial<BaseEntry> = {}): BaseEntry => ({
  path,
  kind: 'file',
  size: 3,
  md5,
  localMtimeMs: 1000,
  localIno: 7,
  remoteDateMs: 5000,
  ...extra,
});

function input(
  over: Partial<PrepareInput> & { local?: LocalEntry[]; remote?: RemoteEntry[]; base?: BaseEntry[] },
) {
  const { local = [], remote = [], base: bases = [], ...rest } = over;
  return {
    trees: {
      local: new Map(local.map((e) => [e.path, e])),
      remote: new Map(remote.map((e) => [e.path, e])),
      base: new Map(bases.map((e) => [e.path, e])),
    },
    journals: { downloads: new Map(), moves: new Map(), uploads: new Map(), mkdirs: new Map() },
    freshListing: true,
    unreadable: [],
    nameProblem: (n: string) => (Buffer.byteLength(n) > 255 ? 'node name longer than 255 bytes' : undefined),
    mode: 'two-way',
    placeholders: true,
    placeholderSeen: new Map(),
    now: NOW,
    isIgnored: () => false,
    ...rest,
  } satisfies PrepareInput;
}

const keys = (m: Map<string, unknown>) => [...m.keys()].sort();

describe('prepare: the agent’s own writes cut short become bases', () => {
  it.each([
    {
      name: 'a download renamed into place before its commit: the file is that version',
      local: [file('f', undefined)],
      download: { md5: A, size: 3, mtimeMs: 1000, ino: 7, remoteDateMs: 4000 },
      adopted: base('f', A, { remoteDateMs: 4000 }),
    },
    {
      name: 'a download whose file was changed since: no base, the change is the user’s',
      local: [{ ...file('f', undefined), mtimeMs: 2000 }],
      download: { md5: A, size: 3, mtimeMs: 1000, ino: 7, remoteDateMs: 4000 },
      adopted: undefined,
    },
  ])('$name', ({ local, download, adopted }) => {
    const out = prepare(input({ local, journals: journals({ downloads: new Map([['f', download]]) }) }));
    expect(out.outcomes).toEqual(adopted ? [{ path: 'f', base: adopted }] : []);
    expect(out.trees.base.get('f')).toEqual(adopted);
    expect(out.settled.downloads).toEqual(['f']);
  });

  it.each([
    {
      name: 'the server holds a version this machine sent: its base, marked uploaded',
      remote: [node('f', A)],
      bases: [],
      adopted: base('f', A, { uploaded: true }),
    },
    {
      name: 'the server holds another version, and ours sits in a conflict copy: ours is the base (set aside)',
      remote: [node('f', B), node('f.conflict-20261205-120000-other', A)],
      bases: [],
      adopted: base('f', A),
    },
    {
      name: 'the server holds another version only: a change like any other, no base',
      remote: [node('f', C)],
      bases: [],
      adopted: undefined,
    },
    {
      name: 'our push negotiation left an empty node, the bytes never went: ours, of nothing',
      remote: [node('f', undefined, 0)],
      bases: [],
      adopted: { ...base('f', A), size: 0, md5: undefined, localMtimeMs: 0, localIno: 0, uploaded: true },
    },
    {
      name: 'the index already knows that version as synced: nothing to adopt',
      remote: [node('f', A)],
      bases: [base('f', A)],
      adopted: undefined,
    },
  ])('$name', ({ remote, bases, adopted }) => {
    const sent = [{ md5: A, size: 3, mtimeMs: 1000, ino: 7 }];
    const out = prepare(
      input({ remote, base: bases, journals: journals({ uploads: new Map([['f', sent]]) }) }),
    );
    expect(out.outcomes).toEqual(adopted ? [{ path: 'f', base: adopted }] : []);
    expect(out.settled.uploads).toEqual(['f']);
  });

  it('takes no empty node for its own where the remote has no placeholders', () => {
    const sent = [{ md5: A, size: 3, mtimeMs: 1000, ino: 7 }];
    const out = prepare(
      input({
        local: [dir('f')],
        remote: [node('f', undefined, 0)],
        placeholders: false,
        journals: journals({ uploads: new Map([['f', sent]]) }),
      }),
    );
    expect(out.outcomes).toEqual([]);
  });

  it('judges uploads, moves and folders it made only against a fresh listing, and keeps their entries till then', () => {
    const out = prepare(
      input({
        remote: [node('f', A), folder('d')],
        freshListing: false,
        journals: journals({
          uploads: new Map([['f', [{ md5: A, size: 3, mtimeMs: 1000, ino: 7 }]]]),
          mkdirs: new Map([['d', { mtimeMs: 1000, ino: 8 }]]),
          moves: new Map([['x', 'y']]),
        }),
      }),
    );
    expect(out.outcomes).toEqual([]);
    expect(out.settled).toEqual({ downloads: [], moves: [], uploads: [], mkdirs: [] });
  });

  it('a folder it was making, found on the server: its base', () => {
    const out = prepare(
      input({
        remote: [folder('d')],
        journals: journals({ mkdirs: new Map([['d', { mtimeMs: 9, ino: 8 }]]) }),
      }),
    );
    expect(out.outcomes).toEqual([
      {
        path: 'd',
        base: { path: 'd', kind: 'dir', size: 0, localMtimeMs: 9, localIno: 8, remoteDateMs: 5000 },
      },
    ]);
  });

  it('a rename replayed on the server before a crash: the bases of the subtree follow it', () => {
    const out = prepare(
      input({
        remote: [folder('new'), node('new/f', A)],
        base: [{ ...base('old', A), kind: 'dir', size: 0 }, base('old/f', A)],
        journals: journals({ moves: new Map([['old', 'new']]) }),
      }),
    );
    expect(keys(out.trees.base)).toEqual(['new', 'new/f']);
    expect(out.outcomes.filter((o) => o.base === null).map((o) => o.path)).toEqual(['old', 'old/f']);
    expect(out.trees.base.get('new/f')).toEqual(base('new/f', A));
    expect(out.settled.moves).toEqual(['old']);
  });
});

describe('prepare: what is left out of the plan', () => {
  it('an unreadable folder is neither present nor deleted: out of all three trees', () => {
    const out = prepare(
      input({
        local: [dir('u'), file('ok', A)],
        remote: [folder('u'), node('u/x', A), node('ok', A)],
        base: [base('u/x', A), base('ok', A)],
        unreadable: ['u'],
      }),
    );
    expect(keys(out.trees.local)).toEqual(['ok']);
    expect(keys(out.trees.remote)).toEqual(['ok']);
    expect(keys(out.trees.base)).toEqual(['ok']);
  });

  it('a name the remote cannot hold stays local, reported once for its top-most folder', () => {
    const long = 'n'.repeat(300);
    const out = prepare(input({ local: [dir(long), file(`${long}/f`, A), file('ok', A)] }));
    expect(keys(out.trees.local)).toEqual(['ok']);
    expect(out.localProblems).toEqual([
      { path: long, kind: 'error', message: 'not synced: node name longer than 255 bytes' },
    ]);
  });

  it('a remote name this disk cannot hold stays remote, reported', () => {
    const long = 'é'.repeat(200); // 400 bytes
    const out = prepare(input({ remote: [node(long, A)] }));
    expect(out.trees.remote.size).toBe(0);
    expect(out.remoteProblems).toEqual([
      { path: long, message: 'not synced: name too long for this disk (over 255 bytes)' },
    ]);
  });

  it('a newly ignored path is not a deletion: its base is dropped from the plan', () => {
    const out = prepare(
      input({ base: [base('build.o', A), base('keep', A)], isIgnored: (p) => p.endsWith('.o') }),
    );
    expect(keys(out.trees.base)).toEqual(['keep']);
  });
});

describe('prepare: empty nodes without a checksum', () => {
  it.each([
    { mode: 'two-way' as const, placeholders: true, kept: false },
    { mode: 'backup' as const, placeholders: true, kept: false },
    { mode: 'mirror-down' as const, placeholders: true, kept: true },
    { mode: 'two-way' as const, placeholders: false, kept: true },
  ])(
    'over a local file never synced, one a cut upload left is planned over ($mode, placeholders $placeholders): kept $kept',
    ({ mode, placeholders, kept }) => {
      const out = prepare(
        input({ local: [file('f', A)], remote: [node('f', undefined, 0)], mode, placeholders }),
      );
      expect(out.trees.remote.has('f')).toBe(kept);
    },
  );

  it('a new one is held back as another machine’s upload in progress, marked since now', () => {
    const out = prepare(input({ remote: [node('f', undefined, 0)] }));
    expect(out.trees.remote.has('f')).toBe(false);
    expect(out.waiting.map((w) => w.path)).toEqual(['f']);
    expect([...out.placeholderSeen]).toEqual([['f', NOW]]);
  });

  it('one still empty after the grace time is an empty file: planned, and its mark forgotten', () => {
    const seen = new Map([['f', NOW - PLACEHOLDER_GRACE_MS]]);
    const out = prepare(input({ remote: [node('f', undefined, 0)], placeholderSeen: seen }));
    expect(out.trees.remote.has('f')).toBe(true);
    expect(out.waiting).toEqual([]);
    expect(out.placeholderSeen.size).toBe(0);
  });

  it('a mark whose node filled up or went away is forgotten; without a fresh listing every mark stays', () => {
    const seen = new Map([['gone', NOW - 1000]]);
    expect(prepare(input({ placeholderSeen: seen })).placeholderSeen.size).toBe(0);
    expect([...prepare(input({ placeholderSeen: seen, freshListing: false })).placeholderSeen]).toEqual([
      ['gone', NOW - 1000],
    ]);
  });

  it('leaves the trees it was given unchanged', () => {
    const given = input({
      local: [file('f', A)],
      remote: [node('f', undefined, 0), node('g', undefined, 0)],
    });
    prepare(given);
    expect(keys(given.trees.remote)).toEqual(['f', 'g']);
  });
});

describe('names the remote cannot hold', () => {
  const problem = (n: string) => (n.includes('*') ? `'${n}' holds a star` : undefined);
  it.each([
    { paths: [], want: [] },
    { paths: ['a', 'a/b.txt'], want: [] },
    { paths: ['z*.txt', 'a', 'a/b*.txt'], want: ['a/b*.txt', 'z*.txt'] },
    // A folder's problem covers everything below it, whatever order the paths come in.
    { paths: ['d*/x*/y.txt', 'd*', 'd*/x*', 'ok/e*'], want: ['d*', 'ok/e*'] },
    // A path whose folder is not among the paths is still judged segment by segment.
    { paths: ['p*/q/r.txt'], want: ['p*'] },
  ])('$paths → $want', ({ paths, want }) => {
    const got = unstorableNames(paths, problem);
    expect(got.map((g) => g.path)).toEqual(want);
    for (const g of got) expect(g.problem).toBe(problem(g.path.split('/').pop()!));
  });
});

function journals(over: Partial<PrepareInput['journals']>): PrepareInput['journals'] {
  return { downloads: new Map(), moves: new Map(), uploads: new Map(), mkdirs: new Map(), ...over };
}
