/**
 * The health rule as a table: each situation the status issue saw reported as "up to date" while it was not,
 * and the words and level it must give instead.
 */
import { describe, expect, it } from 'vitest';
import { actionWords } from '../../src/agent/status/action-words.js';
import { pairHealth, worstLevel, type HealthFacts } from '../../src/agent/status/health.js';

const NOW = new Date(2026, 11, 2, 12, 30, 0).getTime();
const MIN = 60_000;

const healthy: HealthFacts = {
  now: NOW,
  state: 'idle',
  pausedReason: null,
  pending: { uploads: 0, downloads: 0, deletes: 0, other: 0, localChanges: 0 },
  transfers: 0,
  busy: false,
  lastCycleClean: true,
  lastRemotePollOkAt: NOW - 2 * MIN,
  pollIntervalMs: 5 * MIN,
  offlineSince: null,
  conflicts: 0,
  notSynced: 0,
  failing: [],
  diverged: 0,
};

const pending = (o: Partial<HealthFacts['pending']>) => ({ ...healthy.pending, ...o });

describe('pairHealth', () => {
  it.each<{ name: string; facts: Partial<HealthFacts>; level: string; reasons: string[] }>([
    { name: 'nothing to do', facts: {}, level: 'ok', reasons: [] },
    { name: 'an open conflict', facts: { conflicts: 1 }, level: 'attention', reasons: ['1 conflict'] },
    { name: 'files not synced', facts: { notSynced: 3 }, level: 'attention', reasons: ['3 not synced'] },
    {
      name: 'a download failing again and again',
      facts: { failing: [{ path: 'a.fits', message: 'name too long for this disk', attempts: 200 }] },
      level: 'error',
      reasons: ['1 failing (a.fits: name too long for this disk, 200 attempts)'],
    },
    {
      name: 'paused by the delete limit',
      facts: {
        state: 'paused',
        pausedReason: 'delete limit: 600 of 1000 files (run vosync resume --confirm-deletes)',
      },
      level: 'attention',
      reasons: ['paused: delete limit: 600 of 1000 files (run vosync resume --confirm-deletes)'],
    },
    {
      name: 'offline with changes queued',
      facts: {
        state: 'offline',
        offlineSince: new Date(2026, 11, 2, 12, 3, 0).getTime(),
        pending: pending({ localChanges: 13 }),
      },
      level: 'error',
      reasons: ['offline since 12:03, 13 changes queued'],
    },
    {
      name: 'no remote poll for 25 minutes',
      facts: { lastRemotePollOkAt: NOW - 25 * MIN },
      level: 'attention',
      reasons: ['stale: no remote poll for 25 min'],
    },
    {
      name: 'a poll a little late is not stale yet',
      facts: { lastRemotePollOkAt: NOW - 10.5 * MIN },
      level: 'ok',
      reasons: [],
    },
    {
      name: 'a backup whose server copy changed',
      facts: { diverged: 1 },
      level: 'attention',
      reasons: ['1 file changed on the server and not taken back (backup mode)'],
    },
    {
      name: 'a big upload under way',
      facts: { state: 'syncing', transfers: 4, pending: pending({ uploads: 11996 }) },
      level: 'busy',
      reasons: ['syncing: 11996 uploads pending'],
    },
    {
      name: 'local changes seen, no cycle yet',
      facts: { busy: true, pending: pending({ localChanges: 2 }) },
      level: 'busy',
      reasons: ['syncing: 2 local changes pending'],
    },
    {
      name: 'the last cycle left work to redo',
      facts: { lastCycleClean: false },
      level: 'busy',
      reasons: ['syncing: the last cycle left work to redo'],
    },
    {
      name: 'never polled yet',
      facts: { lastRemotePollOkAt: null },
      level: 'attention',
      reasons: ['stale: the server was never polled'],
    },
    {
      name: 'several at once, worst first',
      facts: {
        conflicts: 2,
        notSynced: 1,
        failing: [{ path: null, message: 'QuotaExceeded', attempts: 1 }],
        state: 'error',
      },
      level: 'error',
      reasons: ['1 failing (QuotaExceeded)', '2 conflicts', '1 not synced'],
    },
  ])('$name → $level', ({ facts, level, reasons }) => {
    const h = pairHealth({ ...healthy, ...facts });
    expect(h.level).toBe(level);
    expect(h.reasons).toEqual(reasons);
    expect(h.upToDate).toBe(level === 'ok');
  });

  it('the worst level wins', () => {
    expect(worstLevel([])).toBe('ok');
    expect(worstLevel(['busy', 'ok'])).toBe('busy');
    expect(worstLevel(['attention', 'error', 'busy'])).toBe('error');
  });
});

describe('actions in words', () => {
  it.each([
    ['upload', 'a.txt', 'done', { bytes: 17 }, 'uploaded a.txt (17 B)'],
    ['download', 'big.fits', 'done', { bytes: 1_234_567, ms: 420 }, 'downloaded big.fits (1.2 MB in 0.4 s)'],
    ['deleteRemote', 'b.txt', 'done', {}, 'deleted on the server (kept in the remote trash) b.txt'],
    ['renameLocal', 'a.txt → a.conflict-x.txt', 'done', {}, 'renamed here a.txt → a.conflict-x.txt'],
    [
      'download',
      'c.fits',
      'failed',
      { message: 'PermissionDenied' },
      'download of c.fits failed: PermissionDenied',
    ],
    [
      'mkdirRemote',
      'd',
      'skipped',
      { message: 'changed' },
      'making the folder on the server d put off: changed',
    ],
  ] as const)('%s %s %s', (type, what, result, detail, words) => {
    expect(actionWords(type, what, result, detail)).toBe(words);
  });
});
