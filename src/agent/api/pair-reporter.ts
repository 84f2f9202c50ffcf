/**
 * What a pair runner tells the status store while a pair works, beyond its state: local changes noticed, the
 * plan about to run as pending counts and transfers with their sizes, counts going down as actions finish, the
 * transfers in flight, and what is queued while the server cannot be reached (judged from the index with the
 * reconciler's rules, as there is no plan then).
 */
import type { PairConfig } from '../config/index.js';
import type { ActionEvent, TransferEvent } from '../engine/executor.js';
import type { Plan, PlanAction } from '../reconcile/index.js';
import type { SyncIndex } from '../store/index-db.js';
import type { Pending, StatusStore } from '../status/status.js';
import { countPending, transfersLeft } from './file-state.js';
import { pendingKind } from '../status/cycle-outcome.js';

type Phase = 'scanning-local' | 'scanning-remote' | 'planning' | 'syncing';

/** Above this many paths, pending counts are not worked out while a cycle runs. */
export const MAX_COUNTED_PATHS = 10_000;

export class PairReporter {
  constructor(
    private readonly o: {
      pair: PairConfig;
      status: StatusStore;
      index: SyncIndex;
      now: () => number;
    },
  ) {}

  /** Bytes moved so far by each transfer in flight, as the executor reports them. */
  private readonly moved = new Map<string, number>();
  /** Uploads whose bytes landed and were counted done; their 'done' action follows. */
  private readonly landed = new Set<string>();

  /** Local changes the running cycle's scan took over from the watcher's count. */
  private scanned = 0;

  private get name(): string {
    return this.o.pair.name;
  }

  /** The watcher handed over a batch of local changes. */
  noticed(count: number): void {
    if (count > 0) this.o.status.adjustPending(this.name, 'localChanges', count);
  }

  phase(phase: Phase): void {
    const st = this.o.status;
    if (phase === 'scanning-local') {
      // The scan is looking at the noticed changes now.
      const p = st.pair(this.name).pending;
      this.scanned = p.localChanges ?? 0;
      st.update(this.name, { pending: { ...p, localChanges: 0 } });
    }
  }

  /**
   * The plan about to run is what is pending (each action counted as `action` counts it off when done), and its
   * uploads and downloads, with their sizes, are what is left to move.
   */
  planned(plan: Plan): void {
    const pending: Pending = { uploads: 0, downloads: 0, deletes: 0, other: 0 };
    const up = new Map<string, number>();
    const down = new Map<string, number>();
    for (const a of plan.actions) {
      pending[pendingKind(a.type)]++;
      if (a.type === 'upload') up.set(a.path, a.expectLocal.size);
      else if (a.type === 'download') down.set(a.path, a.expectRemote.size);
    }
    this.o.status.update(this.name, { pending: { ...pending, localChanges: 0 } });
    this.o.status.setTransfersLeft(this.name, up, down);
  }

  /**
   * A cycle could not reach the server: what its local scan found is queued. Judged from the index (the scan
   * just recorded the local side; the remote side is the last listing), as pending counts and transfers left.
   */
  offline(): void {
    const st = this.o.status;
    const rec = this.o.index.getPair(this.name);
    const sizes = rec ? this.o.index.treeCounts(rec.id) : undefined;
    if (!rec || !sizes || Math.max(sizes.local, sizes.remote, sizes.base) > MAX_COUNTED_PATHS) {
      // Too big to judge path by path: the changes the scan took over stay counted as noticed.
      const p = st.pair(this.name).pending;
      st.update(this.name, { pending: { ...p, localChanges: (p.localChanges ?? 0) + this.scanned } });
      this.scanned = 0;
      return;
    }
    this.scanned = 0;
    const trees = this.o.index.loadTrees(rec.id);
    st.update(this.name, { pending: { ...countPending(trees, this.o.pair), localChanges: 0 } });
    const left = transfersLeft(trees, this.o.pair);
    st.setTransfersLeft(this.name, left.up, left.down);
  }

  /** A transfer started or moved on: the live list shows it, with its bytes. */
  transfer(e: TransferEvent): void {
    if (e.phase === 'landed') {
      // Its bytes are on the server, verified: no longer left, though its record waits for its date.
      this.landed.add(e.path);
      this.finished(e.path, 'upload');
      return;
    }
    this.moved.set(e.path, e.bytes);
    if (e.phase !== 'started') return;
    this.o.status.beginTransfer(
      { pair: this.name, path: e.path, direction: e.direction, size: e.size, startedAt: this.o.now() },
      () => this.moved.get(e.path) ?? null,
    );
  }

  action(e: ActionEvent): void {
    const a = e.action;
    const path = 'path' in a ? a.path : a.to;
    if (this.landed.delete(path)) return;
    if (e.result === 'done') this.finished(path, a.type);
    else {
      this.moved.delete(path);
      this.o.status.endTransfer(this.name, path);
    }
  }

  private finished(path: string, type: PlanAction['type']): void {
    this.moved.delete(path);
    this.o.status.endTransfer(this.name, path);
    this.o.status.adjustPending(this.name, pendingKind(type), -1);
    this.o.status.transferDone(this.name, path);
  }

  /** Nothing of a finished cycle can still be in flight. */
  cycleEnded(): void {
    this.moved.clear();
    this.landed.clear();
    this.o.status.endTransfers(this.name);
  }
}
