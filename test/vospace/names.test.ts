/**
 * The name mapping between local names and VOSpace node names: golden examples (a storage format, so they
 * never change), and fast-check properties over arbitrary Unicode for both directions of the bijection.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeName,
  decodePath,
  encodeName,
  encodePath,
  isRemoteSafeChar,
  needsEncoding,
} from '../../src/vospace/names.js';
import { nodeNameProblem } from '../../src/vospace/uri.js';

/** CADC's Python client accepts exactly these names (vos.py's legal set), here without `*`. */
const PYTHON_LEGAL = /^[\p{L}\p{N}_\-=+!,;:@&$.~]+$/u;

const GOLDEN: [local: string, remote: string][] = [
  ['report.txt', 'report.txt'],
  ['My Paper draft.pdf', 'My~20Paper~20draft.pdf'],
  ['data [1].fits', 'data~20~5B1~5D.fits'],
  ['50% done.txt', '50~25~20done.txt'],
  ['notes (v2).md', 'notes~20~28v2~29.md'],
  ['a#b.txt', 'a~23b.txt'],
  ['what?', 'what~3F'],
  ['star*.fits', 'star~2A.fits'],
  ['Amélie.txt', 'Amélie.txt'],
  ['Ame\u0301lie.txt', 'Amélie.txt'],
  ['星系.fits', '星系.fits'],
  ['smile 😀', 'smile~20~F0~9F~98~80'],
  ['tab\there', 'tab~09here'],
  ['back\\slash', 'back~5Cslash'],
  ["it's", 'it~27s'],
  ['file~', 'file~'],
  ['~tmp', '~tmp'],
  ['a~b', 'a~b'],
  ['~41', '~41'],
  ['~7E', '~7E'],
  ['~20', '~7E20'],
  ['~~20', '~~7E20'],
  ['~7E20', '~7E7E20'],
  ['~C2~A0', '~7EC2~A0'],
  ['x.conflict-20261201-221815-laptop.txt', 'x.conflict-20261201-221815-laptop.txt'],
];

/** Local names: any Unicode without `/` or NUL (and not `.` or `..`), with tildes and hex digits made likely. */
const localName = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }) },
      {
        weight: 3,
        arbitrary: fc.constantFrom('~', '~2', '~20', '~7E', '~C2', '~A0', 'E', '7', ' ', 'é', 'e\u0301'),
      },
      { weight: 1, arbitrary: fc.constantFrom('A', 'F', '0', '9', '.', '-', '*', '%') },
    ),
    { minLength: 1, maxLength: 12 },
  )
  .map((parts) =>
    parts
      .join('')
      .replaceAll('/', '_')
      .replaceAll('\u0000', '_')
      .replace(/[\uD800-\uDFFF]/g, '_'),
  )
  .filter((n) => n !== '.' && n !== '..');

/** Remote names over the safe alphabet, with escape-looking runs made likely. */
const remoteName = fc
  .array(
    fc.oneof(
      {
        weight: 3,
        arbitrary: fc.constantFrom(
          '~',
          '~7E',
          '~20',
          '~C2',
          '~A0',
          '~2F',
          '~00',
          '~41',
          '~e9',
          'A',
          '0',
          '7E',
          'a',
          '.',
          'é',
        ),
      },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 2 }) },
    ),
    { minLength: 1, maxLength: 12 },
  )
  .map((parts) => [...parts.join('')].filter(isRemoteSafeChar).join(''))
  .filter((r) => r.length > 0);

describe('name mapping', () => {
  it.each(GOLDEN)('%j ⇄ %j', (local, remote) => {
    expect(encodeName(local)).toBe(remote);
    expect(decodeName(remote)).toBe(local.normalize('NFC'));
  });

  it('leaves names the remote can hold exactly as they are', () => {
    for (const n of ['a.txt', 'Ünïcödé', 'x=1,y=2;z:@&$+!', 'README', '.hidden', 'v1.2.3~'])
      expect(needsEncoding(n)).toBe(false);
    expect(needsEncoding('a b')).toBe(true);
  });

  it('local → remote → local gives the name back (in NFC) for any Unicode name', () => {
    fc.assert(
      fc.property(localName, (name) => {
        expect(decodeName(encodeName(name))).toBe(name.normalize('NFC'));
      }),
      { numRuns: 3000 },
    );
  });

  it('makes only names that CADC services and its Python client accept', () => {
    fc.assert(
      fc.property(localName, (name) => {
        const remote = encodeName(name);
        expect(remote).toMatch(PYTHON_LEGAL);
        if (Buffer.byteLength(remote) <= 255) expect(nodeNameProblem(remote)).toBeUndefined();
      }),
      { numRuns: 3000 },
    );
  });

  it('remote → local → remote gives any remote name back unchanged (names vosync never made too)', () => {
    fc.assert(
      fc.property(remoteName, (remote) => {
        const local = decodeName(remote);
        // Names whose decoded form is not NFC are one name with their NFC spelling (see names.ts).
        fc.pre(local === local.normalize('NFC'));
        expect(local.includes('/') || local.includes('\u0000')).toBe(false);
        expect(encodeName(local)).toBe(remote);
      }),
      { numRuns: 3000 },
    );
  });

  it('is injective: two different local names never share a remote name', () => {
    fc.assert(
      fc.property(localName, localName, (a, b) => {
        fc.pre(a.normalize('NFC') !== b.normalize('NFC'));
        expect(encodeName(a)).not.toBe(encodeName(b));
      }),
      { numRuns: 2000 },
    );
  });

  it('maps paths segment by segment', () => {
    expect(encodePath('My Docs/a b.txt')).toBe('My~20Docs/a~20b.txt');
    expect(decodePath('My~20Docs/a~20b.txt')).toBe('My Docs/a b.txt');
    expect(encodePath('')).toBe('');
  });
});
