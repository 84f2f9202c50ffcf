import { describe, expect, it } from 'vitest';
import { MAX_SCOPE_PATHS, scopeOf, topMost } from '../../src/agent/engine/scope.js';

const settledIn =
  (...folders: string[]) =>
  (p: string) =>
    folders.includes(p);

describe('the scope of a watcher batch', () => {
  it.each([
    {
      name: 'a file in a settled folder is planned alone, under its ancestors',
      changed: ['a/b/f.txt'],
      settled: ['a', 'a/b'],
      want: { roots: ['a/b/f.txt'], ancestors: ['a', 'a/b'] },
    },
    {
      name: 'a change under a folder that is not settled widens to the top-most such folder',
      changed: ['new/x/y.txt'],
      settled: ['other'],
      want: { roots: ['new'], ancestors: [] },
    },
    {
      name: 'a folder not on the server yet, inside a settled one, is planned whole',
      changed: ['a/n/f.txt', 'a/g.txt'],
      settled: ['a'],
      want: { roots: ['a/g.txt', 'a/n'], ancestors: ['a'] },
    },
    {
      name: 'paths below another changed path fold into it, and each is taken once',
      changed: ['d/e', 'd', 'd/e/f', 'd b', 'd b'],
      settled: [],
      want: { roots: ['d', 'd b'], ancestors: [] },
    },
    {
      name: 'both ends of a move across folders are in scope',
      changed: ['x/old.txt', 'y/new.txt'],
      settled: ['x', 'y'],
      want: { roots: ['x/old.txt', 'y/new.txt'], ancestors: ['x', 'y'] },
    },
  ])('$name', ({ changed, settled, want }) => {
    expect(scopeOf(changed, settledIn(...settled))).toEqual(want);
  });

  it.each([
    { name: 'nothing changed', changed: [] as string[] },
    { name: 'the root itself changed', changed: ['a.txt', ''] },
    {
      name: 'more paths than a scope takes',
      changed: Array.from({ length: MAX_SCOPE_PATHS + 1 }, (_, i) => `f${i}`),
    },
  ])('looks at the whole pair when $name', ({ changed }) => {
    expect(scopeOf(changed, () => true)).toHaveProperty('whole');
  });

  it('keeps top-most paths only, whatever sorts between a folder and its contents', () => {
    expect(topMost(['a/x', 'a b', 'a', 'a-c/d', 'a-c'])).toEqual(['a', 'a b', 'a-c']);
  });
});
