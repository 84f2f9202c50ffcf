/** The status a finished cycle leaves, as a table: each row a cycle's result and what the status must say. */
import { describe, expect, it } from 'vitest';
import type { ActionFailure, ExecutionReport } from '../../src/agent/engine/executor.js';
import type { CycleResult } from '../../src/agent/engine/pair-sync.js';
import { cycleOutcome, leavesWorkBehind, withCarriedOver } from '../../src/agent/status/cycle-outcome.js';

function report(over: Partial<ExecutionReport> = {}): ExecutionReport {
  return { done: 0, skipped: [], failed: [], bytesUp: 0, bytesDown: 0, aborted: false, trashed: [], ...over };
}

function result(over: Partial<CycleResult> = {}): CycleResult {
  const r: CycleResult = {
    pairId: 1,
    notices: [],
    localProblems: [],
    remoteProblems: [],
    hashedCount: 0,
    waiting: [],
    held: [],
    clean: false,
    report: report(),
    ...over,
  };
  return r;
}

const failure = (over: Partial<ActionFailure>): ActionFailure => ({
  path: 'f',
  type: 'upload',
  kind: 'error',
  message: 'boom',
  transient: false,
  ...over,
});

const none = { uploads: 0, downloads: 0, deletes: 0, other: 0 };

describe('cycleOutcome', () => {
  it.each([
    {
      name: 'a clean cycle with nothing waiting: idle and up to date',
      cycle: result({ clean: true }),
      waiting: false,
      want: { state: 'idle', upToDate: true, retrySoon: false, pending: none },
    },
    {
      name: 'a clean cycle while the watcher holds changes: idle, not up to date',
      cycle: result({ clean: true }),
      waiting: true,
      want: { state: 'idle', upToDate: false, retrySoon: false, pending: none },
    },
    {
      name: 'a permanent failure: error, pending upload, no quick retry',
      cycle: result({ report: report({ failed: [failure({})] }) }),
      waiting: false,
      want: { state: 'error', upToDate: false, retrySoon: false, pending: { ...none, uploads: 1 } },
    },
    {
      name: 'a transfer cut because the server went away: offline, retried soon',
      cycle: result({
        report: report({
          failed: [failure({ type: 'download', transient: true, message: 'connect ECONNREFUSED 127.0.0.1' })],
        }),
      }),
      waiting: false,
      want: { state: 'offline', upToDate: false, retrySoon: true, pending: { ...none, downloads: 1 } },
    },
    {
      name: 'a transient failure of another kind: idle, retried soon',
      cycle: result({ report: report({ failed: [failure({ type: 'deleteRemote', transient: true })] }) }),
      waiting: false,
      want: { state: 'idle', upToDate: false, retrySoon: true, pending: { ...none, deletes: 1 } },
    },
    {
      name: 'a folder that could not be made: pending as other, like moves and bookkeeping',
      cycle: result({ report: report({ failed: [failure({ type: 'mkdirRemote' })] }) }),
      waiting: false,
      want: { state: 'error', upToDate: false, retrySoon: false, pending: { ...none, other: 1 } },
    },
    {
      name: 'an action skipped because the world moved: retried soon',
      cycle: result({ report: report({ skipped: [{ path: 'm', type: 'moveRemote', reason: 'changed' }] }) }),
      waiting: false,
      want: { state: 'idle', upToDate: false, retrySoon: true, pending: { ...none, other: 1 } },
    },
    {
      name: 'a file another machine is still uploading: a pending download, retried soon',
      cycle: result({ waiting: [{ path: 'w', reason: 'being uploaded' }] }),
      waiting: false,
      want: { state: 'idle', upToDate: false, retrySoon: true, pending: { ...none, downloads: 1 } },
    },
    {
      name: 'an upload held back for space: error until it can go',
      cycle: result({ held: [{ path: 'big', reason: 'quota exceeded' }] }),
      waiting: false,
      want: { state: 'error', upToDate: false, retrySoon: false, pending: none },
    },
  ])('$name', ({ cycle, waiting, want }) => {
    expect(cycleOutcome(cycle, waiting)).toMatchObject(want);
  });

  it('lists not-synced files, and words a refusal for space by its allocation', () => {
    const out = cycleOutcome(
      result({
        localProblems: [{ path: 'bad', kind: 'error', message: 'not synced: name too long' }],
        remoteProblems: [{ path: 'far', message: 'not synced: too long for this disk' }],
        report: report({
          failed: [
            failure({
              path: 'q',
              kind: 'quota',
              quota: { container: 'vos:alice', quota: 10, used: 11 },
            }),
          ],
        }),
      }),
      false,
    );
    expect(out.notSynced).toEqual([
      { path: 'bad', reason: 'not synced: name too long' },
      { path: 'far', reason: 'not synced: too long for this disk' },
    ]);
    expect(out.failures).toEqual([
      { path: 'q', message: 'quota exceeded on vos:alice (11 B of 10 B used)', transient: false },
    ]);
  });
});

describe('a scoped cycle carries over what the last result said of the rest of the pair', () => {
  const before = result({
    clean: false,
    report: report({ failed: [failure({ path: 'out/f' }), failure({ path: 'in/g' })] }),
    localProblems: [{ path: 'out/link', kind: 'symlink', message: 'symbolic link not synced' }],
    held: [{ path: 'in/big', reason: 'quota' }],
    notices: [{ kind: 'conflict', path: 'in/c', message: 'both changed' }],
  });

  it('keeps failures and problems outside the scope, and replaces those inside', () => {
    const merged = withCarriedOver(before, result({ clean: true, scope: ['in'] }));
    expect(merged.report?.failed.map((f) => f.path)).toEqual(['out/f']);
    expect(merged.localProblems.map((p) => p.path)).toEqual(['out/link']);
    expect(merged.held).toEqual([]);
    expect(merged.notices).toEqual([]);
    // A failure elsewhere still stands: the pair is not clean, so not up to date.
    expect(merged.clean).toBe(false);
    expect(cycleOutcome(merged, false)).toMatchObject({ state: 'error', upToDate: false });
  });

  it('is clean when neither part leaves anything to do', () => {
    const quiet = result({ clean: true, localProblems: before.localProblems });
    const merged = withCarriedOver(quiet, result({ clean: true, scope: ['in'] }));
    expect(merged.clean).toBe(true);
    expect(cycleOutcome(merged, false)).toMatchObject({ state: 'idle', upToDate: true });
    expect(cycleOutcome(merged, false).notSynced).toEqual([
      { path: 'out/link', reason: 'symbolic link not synced' },
    ]);
  });

  it('leaves a cycle over the whole pair, or a pause, as it is', () => {
    const whole = result({ clean: true });
    expect(withCarriedOver(before, whole)).toBe(whole);
    const paused = result({ paused: 'why', scope: ['in'] });
    expect(withCarriedOver(before, paused)).toBe(paused);
  });

  it.each([
    {
      name: 'a transient failure',
      r: result({ report: report({ failed: [failure({ transient: true })] }) }),
      want: true,
    },
    {
      name: 'a skipped action',
      r: result({ report: report({ skipped: [{ path: 'f', type: 'upload', reason: 'x' }] }) }),
      want: true,
    },
    { name: 'a wait for another machine', r: result({ waiting: [{ path: 'f', reason: 'x' }] }), want: true },
    {
      name: 'a permanent failure only',
      r: result({ report: report({ failed: [failure({})] }) }),
      want: false,
    },
  ])('$name leaves work for a full cycle: $want', ({ r, want }) => {
    expect(leavesWorkBehind(r)).toBe(want);
  });
});
