import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nativeModuleProblem, openDatabase } from '../../src/util/sqlite.js';

describe('opening SQLite', () => {
  it.each([
    ['Could not locate the bindings file. Tried:\n → /x/build/better_sqlite3.node', false],
    [
      "The module '/x/better_sqlite3.node' was compiled against a different Node.js version using NODE_MODULE_VERSION 115. This version of Node.js requires NODE_MODULE_VERSION 127.",
      true,
    ],
    ['/x/better_sqlite3.node: invalid ELF header', false],
  ])('names the fix for a native module that will not load: %s', (message, otherNode) => {
    const problem = nativeModuleProblem(new Error(message));
    expect(problem).toContain('run "npm rebuild better-sqlite3"');
    expect(problem?.includes('for another version of Node')).toBe(otherNode);
  });

  it('leaves other errors alone', () => {
    expect(nativeModuleProblem(new Error('SQLITE_CANTOPEN: unable to open database file'))).toBeUndefined();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vosync-sqlite-'));
    try {
      expect(() => openDatabase(path.join(dir, 'no', 'such', 'dir', 'x.sqlite'))).toThrow(
        /directory does not exist|unable to open/,
      );
      const db = openDatabase(path.join(dir, 'ok.sqlite'));
      expect(db.prepare('SELECT 1 AS one').get()).toEqual({ one: 1 });
      db.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
