/**
 * The daemon's status store lives as long as the daemon: what it keeps must not grow with the files its cycles
 * went through (a first sync of 100,000 files reports an action for each).
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { StatusStore } from '../../src/agent/status/status.js';

const ACTIONS = 20_000;

describe('the status store', () => {
  it('keeps a bounded activity list, nothing per file, however many actions went through', () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const store = new StatusStore(() => 0, 'test');
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < ACTIONS; i++) {
      store.recordActivity({
        at: i,
        pair: 'work',
        path: `folder-${i % 100}/file-${i}.dat`,
        action: 'found already in sync',
        result: 'done',
        bytes: i % 2,
        message: null,
      });
    }
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(store.activity).toHaveLength(500);
    expect(store.activity.at(-1)?.path).toBe(`folder-99/file-${ACTIONS - 1}.dat`);
    // The last 500 items are ~100 KB; a record per file, as there once was, added ~300 B a file (6 MB here).
    expect(grown).toBeLessThan(1_000_000);
  });
});
