/** The pure parts of the status API: page sessions, file verdicts and pending counts, status in words. */
import { pairHealth, worstLevel } from '../../src/agent/status/health.js';
import { describe, expect, it } from 'vitest';
import { countPending, locateFile, verdictFor } from '../../src/agent/api/file-state.js';
import {
  duration,
  healthCode,
  humanSummary,
  progressWords,
  trayOutput,
} from '../../src/agent/api/present.js';
import type { StatusDoc } from '../../src/agent/api/schemas.js';
import { SessionStore } from '../../src/agent/api/sessions.js';
import { parseConfigText } from '../../src/agent/config/index.js';
import type { BaseEntry, LocalEntry, RemoteEntry } from '../../src/agent/model.js';

describe('page sessions', () => {
  it('a code works once and only until it expires; a session until it expires', () => {
    let now = 1_000_000;
    const s = new SessionStore({ now: () => now, codeTtlMs: 1000, sessionTtlMs: 5000 });
    const a = s.issueCode();
    expect(a.expiresAt).toBe(now + 1000);
    const session = s.redeem(a.code)!;
    expect(session.expiresAt).toBe(now + 5000);
    expect(s.redeem(a.code)).toBeUndefined();
    expect(s.isSession(session.token)).toBe(true);
    expect(s.isSession(a.code)).toBe(false);
    const late = s.issueCode();
    now += 1000;
    expect(s.redeem(late.code)).toBeUndefined();
    now += 3999;
    expect(s.isSession(session.token)).toBe(true);
    now += 1;
    expect(s.isSession(session.token)).toBe(false);
  });
});

const L = (path: string, size: number, mtimeMs: number, md5?: string): LocalEntry => ({
  path,
  kind: 'file',
  size,
  mtimeMs,
  ino: 1,
  ...(md5 ? { md5 } : {}),
});
const R = (path: string, size: number, dateMs: number, md5?: string): RemoteEntry => ({
  path,
  kind: 'file',
  size,
  dateMs,
  ...(md5 ? { md5 } : {}),
});
const B = (path: string, size: number, md5: string): BaseEntry => ({
  path,
  kind: 'file',
  size,
  md5,
  localMtimeMs: 10,
  localIno: 1,
  remoteDateMs: 20,
});

describe('file verdicts follow the decision table of each mode', () => {
  const twoWay = { mode: 'two-way' as const, propagateDeletes: false, conflict: 'keep-both' as const };
  const backup = { ...twoWay, mode: 'backup' as const };
  const mirror = { ...twoWay, mode: 'mirror-down' as const };
  const base = B('f', 3, 'aaa');

  it('two-way', () => {
    expect(
      verdictFor({ local: L('f', 3, 10, 'aaa'), remote: R('f', 3, 20, 'aaa'), base }, twoWay).state,
    ).toBe('synced');
    expect(verdictFor({ local: L('f', 4, 11, 'bbb'), remote: R('f', 3, 20, 'aaa'), base }, twoWay)).toEqual({
      state: 'pending-upload',
      reason: 'changed locally',
    });
    expect(
      verdictFor({ local: L('f', 3, 10, 'aaa'), remote: R('f', 5, 30, 'ccc'), base }, twoWay).state,
    ).toBe('pending-download');
    expect(verdictFor({ remote: R('f', 3, 20, 'aaa'), base }, twoWay).state).toBe('pending-delete');
    expect(
      verdictFor({ local: L('f', 4, 11, 'bbb'), remote: R('f', 5, 30, 'ccc'), base }, twoWay).state,
    ).toBe('conflict');
    expect(
      verdictFor({ local: L('f', 3, 11, 'ddd'), remote: R('f', 3, 30, 'ddd'), base }, twoWay).state,
    ).toBe('pending-check');
    expect(verdictFor({ local: L('f', 1, 1) }, twoWay)).toEqual({
      state: 'pending-upload',
      reason: 'new locally',
    });
    expect(verdictFor({}, twoWay).state).toBe('unknown');
  });

  it('backup and mirror-down leave one side alone', () => {
    expect(verdictFor({ remote: R('f', 3, 20) }, backup).state).toBe('remote-only');
    expect(verdictFor({ local: L('f', 3, 10, 'aaa'), remote: R('f', 5, 30, 'ccc'), base }, backup)).toEqual({
      state: 'synced',
      reason: 'changed on the server; backup mode does not download it',
    });
    expect(verdictFor({ local: L('f', 1, 1) }, mirror).state).toBe('local-only');
    expect(
      verdictFor({ local: L('f', 4, 11, 'bbb'), remote: R('f', 3, 20, 'aaa'), base }, mirror).state,
    ).toBe('pending-download');
  });

  it('pending counts add up per kind of action', () => {
    const trees = {
      local: new Map([
        ['new', L('new', 1, 1)],
        ['edited', L('edited', 4, 11, 'bbb')],
        ['same', L('same', 3, 10, 'aaa')],
      ]),
      remote: new Map([
        ['edited', R('edited', 3, 20, 'aaa')],
        ['same', R('same', 3, 20, 'aaa')],
        ['gone-locally', R('gone-locally', 3, 20, 'aaa')],
        ['from-server', R('from-server', 2, 5)],
      ]),
      base: new Map([
        ['edited', B('edited', 3, 'aaa')],
        ['same', B('same', 3, 'aaa')],
        ['gone-locally', B('gone-locally', 3, 'aaa')],
      ]),
    };
    expect(countPending(trees, twoWay)).toEqual({ uploads: 2, downloads: 1, deletes: 1, other: 0 });
    expect(countPending(trees, backup)).toEqual({ uploads: 2, downloads: 0, deletes: 0, other: 1 });
  });
});

describe('locating a file', () => {
  const config = parseConfigText(
    'pairs:\n  - name: a\n    local: /data/a\n    remote: vos:x/a\n  - name: ab\n    local: /data/ab\n    remote: vos:x/ab\n',
    'test.yaml',
  );
  it('picks the pair whose folder holds the path, with a POSIX relative path', () => {
    expect(locateFile(config.pairs, { path: '/data/ab/x/y.txt' })).toMatchObject({
      rel: 'x/y.txt',
      pair: { name: 'ab' },
    });
    expect(locateFile(config.pairs, { path: '/data/a/z' })).toMatchObject({ rel: 'z', pair: { name: 'a' } });
    expect(locateFile(config.pairs, { path: '/data/b' })).toMatchObject({ status: 404 });
    expect(locateFile(config.pairs, { path: '/data/a' })).toMatchObject({ status: 404 });
    expect(locateFile(config.pairs, { pair: 'a', path: './sub//f' })).toMatchObject({ rel: 'sub/f' });
    expect(locateFile(config.pairs, { pair: 'a', path: 'sub/../../etc' })).toMatchObject({ status: 400 });
  });
});

const NOTHING_LEFT: StatusDoc['pairs'][number]['progress'] = {
  filesLeft: { up: 0, down: 0 },
  bytesLeft: { up: 0, down: 0 },
  bytesPerSecond: 0,
  etaSeconds: null,
};

describe('progress in words', () => {
  const left = (o: Partial<typeof NOTHING_LEFT>) => ({ ...NOTHING_LEFT, ...o });
  it.each([
    { p: NOTHING_LEFT, words: undefined },
    {
      p: left({
        filesLeft: { up: 120, down: 0 },
        bytesLeft: { up: 3.4e9, down: 0 },
        bytesPerSecond: 12e6,
        etaSeconds: 284,
      }),
      words: '↑ 120 files, 3.4 GB left · 12.0 MB/s · about 5 min',
    },
    {
      p: left({ filesLeft: { up: 1, down: 2 }, bytesLeft: { up: 500, down: 2e6 } }),
      words: '↑ 1 file, 500 B left · ↓ 2 files, 2.0 MB left',
    },
    // Files left of no bytes (empty files): no time to go is made up.
    { p: left({ filesLeft: { up: 0, down: 3 }, bytesPerSecond: 10 }), words: '↓ 3 files, 0 B left · 10 B/s' },
  ])('$words', ({ p, words }) => {
    expect(progressWords(p)).toBe(words);
  });

  it.each([
    [0, '0 s'],
    [59, '59 s'],
    [60, '1 min'],
    [284, '5 min'],
    [3599, '1 h'],
    [3600 + 600, '1 h 10 min'],
    [9 * 3600 + 1800, '9 h 30 min'],
    [30 * 3600, '30 h'],
  ])('%i s is %s', (s, words) => {
    expect(duration(s)).toBe(words);
  });
});

describe('status in words', () => {
  const bare = (
    name: string,
    state: StatusDoc['state'],
    extra: Partial<StatusDoc['pairs'][number]> = {},
  ) => ({
    name,
    local: `/d/${name}`,
    remote: `vos:u/${name}`,
    mode: 'two-way',
    state,
    pausedReason: null,
    heldDeletes: null,
    pending: { uploads: 0, downloads: 0, deletes: 0, other: 0, localChanges: 0 },
    conflicts: 0,
    errors: 0,
    bytesPerSecond: 0,
    lastSyncOkAt: 1000,
    lastRemotePollOkAt: 1000,
    lastError: null,
    upToDate: state === 'idle',
    notSynced: 0,
    transfers: 0,
    progress: NOTHING_LEFT,
    ...extra,
  });
  /** A pair as the daemon would show it: its health judged by the real rule from its own fields. */
  const judged = (p: ReturnType<typeof bare>): StatusDoc['pairs'][number] => {
    const health = pairHealth({
      now: 61_000,
      state: p.state,
      pausedReason: p.pausedReason,
      pending: p.pending,
      transfers: p.transfers,
      busy: false,
      lastCycleClean: p.upToDate,
      lastRemotePollOkAt: p.lastRemotePollOkAt,
      pollIntervalMs: 300_000,
      offlineSince: null,
      conflicts: p.conflicts,
      notSynced: p.notSynced,
      failing: [],
      diverged: 0,
    });
    return { ...p, upToDate: health.upToDate, health };
  };
  const pair = (...args: Parameters<typeof bare>) => judged(bare(...args));
  const doc = (pairs: StatusDoc['pairs']): StatusDoc => ({
    state: pairs[0]?.state ?? 'idle',
    upToDate: pairs.every((p) => p.upToDate),
    health: {
      level: worstLevel(pairs.map((p) => p.health.level)),
      reasons: pairs.flatMap((p) => p.health.reasons),
    },
    version: '9.9',
    startedAt: 0,
    now: 61_000,
    config: { file: '/c.yaml', loadedAt: 0, reloadError: null, restartNeeded: [] },
    pairs,
  });

  it('the summary and the tray say what is left to move, the tray title all pairs together', () => {
    const s = doc([
      pair('a', 'syncing', {
        transfers: 1,
        bytesPerSecond: 1e6,
        progress: {
          filesLeft: { up: 3, down: 0 },
          bytesLeft: { up: 3e6, down: 0 },
          bytesPerSecond: 1e6,
          etaSeconds: 3,
        },
      }),
      pair('b', 'syncing', {
        progress: {
          filesLeft: { up: 0, down: 2 },
          bytesLeft: { up: 0, down: 117e6 },
          bytesPerSecond: 1e6,
          etaSeconds: 117,
        },
      }),
    ]);
    const text = humanSummary(s, { errors: [], conflicts: [], notSynced: [] }).split('\n');
    expect(text.slice(1, 7)).toEqual([
      '  a  SYNCING          syncing: 1 transfer in flight · last sync 1 min ago',
      '     ↑ 3 files, 3.0 MB left · 1.0 MB/s · about 3 s',
      '     /d/a ⇄ vos:u/a (two-way)',
      '  b  SYNCING          syncing · last sync 1 min ago',
      '     ↓ 2 files, 117 MB left · 1.0 MB/s · about 2 min',
      '     /d/b ⇄ vos:u/b (two-way)',
    ]);
    const tray = trayOutput(s, { flavour: 'xbar', self: ['/bin/vosync'], common: [] }).split('\n');
    // 120 MB left at 2 MB/s: a minute to go.
    expect(tray[0]).toBe('↻ vosync ↑3 ↓2 · 1 min');
    expect(tray).toContain('b: ↓ 2 files, 117 MB left · 1.0 MB/s · about 2 min');
  });

  it('the tray offers to allow the deletions a delete-limit pause holds back, per pair, until confirmed', () => {
    const held = {
      digest: 'd',
      local: 0,
      remote: 2,
      paths: [
        { side: 'remote' as const, path: 'x' },
        { side: 'remote' as const, path: 'y' },
      ],
      confirmed: false,
    };
    const paused = pair('data', 'paused', { pausedReason: 'would delete 2 items', heldDeletes: held });
    const tray = trayOutput(doc([paused, pair('b', 'idle')]), {
      flavour: 'xbar',
      self: ['/bin/vosync'],
      common: [],
    }).split('\n');
    expect(tray).toContain(
      'data: allow the 2 deletion(s) held back | shell="/bin/vosync" param1="resume" param2="data" param3="--confirm-deletes" terminal=false refresh=true',
    );
    expect(tray.some((l) => l.startsWith('Resume all | '))).toBe(true);
    const confirmed = pair('data', 'paused', { heldDeletes: { ...held, confirmed: true } });
    const after = trayOutput(doc([confirmed]), { flavour: 'xbar', self: ['/bin/vosync'], common: [] });
    expect(after).not.toContain('allow the');
  });

  it('exit codes: ok, warning, critical', () => {
    expect(healthCode(doc([pair('a', 'idle'), pair('b', 'syncing')]))).toBe(0);
    expect(healthCode(doc([pair('a', 'idle'), pair('b', 'stale')]))).toBe(1);
    expect(healthCode(doc([pair('a', 'paused'), pair('b', 'offline')]))).toBe(2);
  });

  it('the summary names the failing file; tray text cannot break the menu format', () => {
    const s = doc([
      pair('a|b', 'error', {
        upToDate: false,
        errors: 1,
        lastError: {
          at: 1,
          pair: 'a|b',
          path: 'x.fits',
          message: 'line one\nline two | more',
          transient: false,
        },
        pending: { uploads: 2, downloads: 0, deletes: 0, other: 0, localChanges: 0 },
      }),
    ]);
    const text = humanSummary(s, { errors: [], conflicts: [], notSynced: [] });
    expect(text).toContain('a|b  ERROR            x.fits: line one line two | more · last sync 1 min ago');
    const tray = trayOutput(s, { flavour: 'xbar', self: ['/bin/vosync'], common: [] }).split('\n');
    expect(tray[0]).toBe('✖ vosync | color=#b3261e');
    expect(tray[3]).toBe('a¦b: error — x.fits: line one line two ¦ more');
  });

  it('a refused config reload is a warning, said in the summary and the tray; a pending restart is said too', () => {
    const refused: StatusDoc = {
      ...doc([pair('a', 'idle')]),
      config: {
        file: '/c.yaml',
        loadedAt: 0,
        reloadError: { at: 5, errors: ['/c.yaml:3:9: pairs[0].mode: expected one of …', '/c.yaml:9:1: x'] },
        restartNeeded: [],
      },
    };
    expect(healthCode(refused)).toBe(1);
    const text = humanSummary(refused, { errors: [], conflicts: [], notSynced: [] }).split('\n');
    expect(text[1]).toBe(
      '  config reload refused (2 problems), still running the previous config: /c.yaml:3:9: pairs[0].mode: expected one of …',
    );
    const tray = trayOutput(refused, { flavour: 'xbar', self: ['/bin/vosync'], common: [] }).split('\n');
    expect(tray[3]).toMatch(/^config reload refused \(2 problems\).* \| color=#9a6400$/);
    const restart: StatusDoc = {
      ...doc([pair('a', 'idle')]),
      config: { file: '/c.yaml', loadedAt: 0, reloadError: null, restartNeeded: ['status.port'] },
    };
    expect(healthCode(restart)).toBe(0);
    expect(humanSummary(restart, { errors: [], conflicts: [], notSynced: [] })).toContain(
      '  config: restart the daemon to apply status.port\n',
    );
  });
});
