/** The '/'-joined relative path helpers the agent, the client and the server share (root = ''). */
import { describe, expect, it } from 'vitest';
import { joinPath, nameOf, parentOf } from '../../src/util/rel-path.js';

describe('relative paths', () => {
  it('splits a path into its parent and its name, the root being the empty path', () => {
    expect(parentOf('a/b/c.txt')).toBe('a/b');
    expect(parentOf('top.txt')).toBe('');
    expect(parentOf('')).toBe('');
    expect(nameOf('a/b/c.txt')).toBe('c.txt');
    expect(nameOf('top.txt')).toBe('top.txt');
    expect(nameOf('')).toBe('');
  });

  it('joins a name to a parent, with no slash at the root', () => {
    expect(joinPath('', 'x')).toBe('x');
    expect(joinPath('a/b', 'x y')).toBe('a/b/x y');
    for (const p of ['a/b/c', 'top', 'dir/with: colon #hash'])
      expect(joinPath(parentOf(p), nameOf(p))).toBe(p);
  });
});
