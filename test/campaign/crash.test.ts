/**
 * The crash campaign's quick version: a real daemon process killed with SIGKILL four times during a two-way
 * sync with edits on both sides, then converged and checked (nothing lost, no spurious conflict, one more sync
 * does nothing). The full version is `npm run crash-campaign` (1,000 files, 50 kills).
 */
import { describe, expect, it } from 'vitest';
import { conflictOriginal } from '../../src/agent/reconcile/conflict-name.js';
import { crashSummary, runCrashCampaign, soonAfterOwnUpload, VersionLedger, type BaseFile } from './crash.js';

describe('crash campaign', () => {
  it('converges with nothing lost and no spurious conflict after repeated SIGKILLs', async () => {
    const r = await runCrashCampaign({ files: 120, kills: 4, seed: 11, maxRunMs: 2500 });
    expect(r.violations, crashSummary(r)).toEqual([]);
    expect(r.kills).toBe(4);
    expect(r.edits).toBeGreaterThan(0);
  }, 240_000);

  it('names the original of a conflict copy', () => {
    expect(conflictOriginal('d1/a (conflicted copy 2026-11-24 010203 host).dat')).toBe('d1/a.dat');
    expect(conflictOriginal('d1/README (conflicted copy 2026-11-24 010203 my-host)')).toBe('d1/README');
    expect(conflictOriginal('d1/a.conflict-20261124-010203-host.dat')).toBe('d1/a.dat');
    expect(conflictOriginal('d1/README.conflict-20261124-010203-my-host')).toBe('d1/README');
    expect(conflictOriginal('.bashrc.conflict-20261124-010203-h-2')).toBe('.bashrc');
  });

  it('owes every version until the user destroys it, and the synced copy an arrival replaces', () => {
    const ledger = new VersionLedger();
    const tree = (entries: [string, string][]) =>
      new Map(entries.map(([p, m]) => [p, { kind: 'file' as const, md5: m }]));
    ledger.add('v1', 'local a');
    ledger.add('w1', 'remote b');
    const synced: BaseFile = { md5: 'v1', size: 2, remoteDateMs: 0, uploaded: false };
    ledger.observe(new Map([['a', synced]]));
    // A new local version of a: the local v1 is destroyed, and the remote v1 (synced) will be overwritten.
    ledger.arrival('a', tree([['a', 'v1']]), tree([['a', 'v1']]));
    ledger.add('v2', 'local a');
    expect(ledger.missing(new Set(['v2', 'w1']))).toEqual([]);
    // The remote's own unsynced edit of b is not replaced by a local arrival there: it stays owed.
    ledger.arrival('b', tree([]), tree([['b', 'w1']]));
    expect(ledger.missing(new Set(['v2'])).map(([m]) => m)).toEqual(['w1']);
  });

  it("expects both versions kept when a remote write is dated just after the agent's own upload", () => {
    const ours: BaseFile = { md5: 'v1', size: 10, remoteDateMs: 1_000_000, uploaded: true };
    expect(soonAfterOwnUpload(ours, { size: 10, dateMs: 1_005_000 })).toBe(true);
    expect(soonAfterOwnUpload(ours, { size: 10, dateMs: 1_000_000 + 60_000 })).toBe(false);
    // Downloaded versions, and files the agent never synced, have no window.
    expect(soonAfterOwnUpload({ ...ours, uploaded: false }, { size: 10, dateMs: 1_005_000 })).toBe(false);
    expect(soonAfterOwnUpload(undefined, { size: 10, dateMs: 1_005_000 })).toBe(false);
  });
});
