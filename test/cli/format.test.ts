// vls's layout is checked in UTC so the expected strings are exact.
process.env['TZ'] = 'UTC';

import { describe, expect, it } from 'vitest';
import { parseChmod } from '../../src/cli/commands/chmod-run.js';
import { permissionProperties } from '../../src/vospace/node.js';
import { PathFilter } from '../../src/cli/commands/path-filter.js';
import { parseTagArgs, propertyUri } from '../../src/cli/commands/tag-run.js';
import { globMatch, splitRemote } from '../../src/cli/commands/targets.js';
import { vlsCreator, vlsDate, vlsLine, vlsSize } from '../../src/cli/commands/vls-format.js';
import { sortOrder } from '../../src/cli/commands/ls-run.js';
import { CliError } from '../../src/cli/common.js';
import type { NodeInfo } from '../../src/vospace/node.js';

const CORE = 'ivo://ivoa.net/vospace/core#';
const GMS = 'ivo://cadc.nrc.ca/gms?';

function node(over: Partial<NodeInfo> = {}): NodeInfo {
  return {
    uri: 'vos://cadc.nrc.ca~vault/u/a.txt',
    path: 'u/a.txt',
    name: 'a.txt',
    kind: 'file',
    size: 12,
    date: Date.UTC(2024, 2, 1, 10, 5, 7, 450),
    md5: undefined,
    creator: 'CN=test user,OU=cadc,O=hia,C=ca',
    isPublic: true,
    readGroups: ['GroupA', 'GroupB'],
    writeGroups: [],
    locked: false,
    target: undefined,
    properties: { [`${CORE}groupread`]: `${GMS}GroupA ${GMS}GroupB` },
    ...over,
  };
}

const NOW_2025 = Date.UTC(2025, 5, 1);

describe('vls long layout', () => {
  it('reproduces the observed vls line byte for byte', () => {
    expect(vlsLine(node(), { long: true, group: false, human: false }, NOW_2025)).toBe(
      '-rw-r--r--  test_user            GroupA GroupB   NONE                              12 Mar 01  2024 a.txt',
    );
  });

  it('has fixed column widths: 11, 1+20, 1+15, 1+15, 1+8, 12+1, date', () => {
    const line = vlsLine(
      node({ locked: true, size: 5 }),
      { long: true, group: false, human: false },
      NOW_2025,
    );
    expect(line.slice(0, 11)).toBe('-rw-r--r-- ');
    expect(line.slice(11, 32)).toBe(' test_user           ');
    expect(line.slice(32, 48)).toBe(' GroupA GroupB  ');
    expect(line.slice(48, 64)).toBe(' NONE           ');
    expect(line.slice(64, 73)).toBe(' LOCKED  ');
    expect(line.slice(73, 86)).toBe('           5 ');
    expect(line.slice(86)).toBe('Mar 01  2024 a.txt');
  });

  it('-g drops the creator; no -l/-g prints only the name; links show their target', () => {
    const link = node({
      kind: 'link',
      name: 'l',
      target: 'vos://cadc.nrc.ca~vault/u/a.txt',
      isPublic: false,
    });
    expect(vlsLine(link, { long: false, group: false, human: false }, NOW_2025)).toBe(
      'l -> vos://cadc.nrc.ca~vault/u/a.txt',
    );
    expect(vlsLine(node(), { long: false, group: true, human: false }, NOW_2025)).toBe(
      '-rw-r--r--  GroupA GroupB   NONE                              12 Mar 01  2024 a.txt',
    );
    expect(vlsLine(link, { long: true, group: false, human: false }, NOW_2025).startsWith('lrw-r-----')).toBe(
      true,
    );
  });

  it('formats dates like vls: time of day this year, the year otherwise (seconds truncated)', () => {
    expect(vlsDate(Date.UTC(2025, 0, 9, 7, 3, 59, 999), NOW_2025)).toBe('Jan 09 07:03 ');
    expect(vlsDate(Date.UTC(2023, 11, 31, 23, 59), NOW_2025)).toBe('Dec 31  2023 ');
  });

  it('formats human sizes like vls -h (round half to even, 0 stays 0)', () => {
    expect(vlsSize(0, true)).toBe('           0 ');
    expect(vlsSize(12, true)).toBe('         12B ');
    expect(vlsSize(1536, true)).toBe('          2K ');
    expect(vlsSize(2560, true)).toBe('          2K ');
    expect(vlsSize(3 * 1024 * 1024, true)).toBe('          3M ');
    expect(vlsSize(5 * 1024 ** 4, true)).toBe('          5T ');
    expect(vlsSize(2 * 1024 ** 5, true)).toBe(`${String(2 * 1024 ** 5).padStart(12)} `);
    expect(vlsSize(123456789, false)).toBe('   123456789 ');
  });

  it('shows the creator as vos does', () => {
    expect(vlsCreator('CN=Jane Doe,OU=cadc')).toBe('jane_doe');
    expect(vlsCreator('alice')).toBe('alice');
    expect(vlsCreator(undefined)).toBe('unknown_000');
  });

  it('sorts like vls: -t/-S descending, -r flips, names ascending by default', () => {
    expect(sortOrder({})).toEqual({ key: 'name', descending: undefined });
    expect(sortOrder({ reverse: true })).toEqual({ key: 'name', descending: true });
    expect(sortOrder({ time: true })).toEqual({ key: 'date', descending: true });
    expect(sortOrder({ Size: true, reverse: true })).toEqual({ key: 'size', descending: false });
  });
});

describe('vchmod grammar', () => {
  it('maps o/g modes and positional group arguments', () => {
    expect(parseChmod('o+r', [])).toEqual({ public: true });
    expect(parseChmod('o-r', [])).toEqual({ public: false });
    expect(parseChmod('g+rw', ['G1 G2', 'G3'])).toEqual({ readGroups: ['G1', 'G2'], writeGroups: ['G3'] });
    expect(parseChmod('g+wr', ['W', 'R'])).toEqual({ writeGroups: ['W'], readGroups: ['R'] });
    expect(parseChmod('og+r', ['G'])).toEqual({ public: true, readGroups: ['G'] });
    expect(parseChmod('g-rw', [])).toEqual({ readGroups: [], writeGroups: [] });
    expect(permissionProperties(parseChmod('g+r', ['survey']))).toEqual({
      [`${CORE}groupread`]: `${GMS}survey`,
    });
    expect(permissionProperties(parseChmod('g-w', []))).toEqual({ [`${CORE}groupwrite`]: null });
  });

  it('refuses malformed modes and wrong group counts with exit 22', () => {
    for (const [mode, groups] of [
      ['a+r', []],
      ['g+x', ['G']],
      ['g+rw', ['G']],
      ['g-r', ['G']],
      ['o+r', ['G']],
      ['o+w', []],
    ] as [string, string[]][]) {
      let err: unknown;
      try {
        parseChmod(mode, groups);
      } catch (e) {
        err = e;
      }
      expect(err, mode).toBeInstanceOf(CliError);
      expect((err as CliError).exitCode).toBe(22);
    }
  });
});

describe('vtag arguments', () => {
  it('expands core names, keeps URIs, and treats key= as removal', () => {
    expect(propertyUri('description')).toBe(`${CORE}description`);
    expect(propertyUri('ivo://x.org/p#q')).toBe('ivo://x.org/p#q');
    expect(parseTagArgs(['description=hi there', 'ivo://x.org/p#q=', 'title=a=b'], false)).toEqual({
      [`${CORE}description`]: 'hi there',
      'ivo://x.org/p#q': null,
      [`${CORE}title`]: 'a=b',
    });
    expect(parseTagArgs(['description'], true)).toEqual({ [`${CORE}description`]: null });
    expect(() => parseTagArgs(['novalue'], false)).toThrow(CliError);
  });
});

describe('include/exclude', () => {
  const s = (rel: string, isDir = false) => ({ rel, full: `vos:u/dest/${rel}`, isDir });

  it('treats plain patterns as substrings of the destination (vcp) and wildcards as gitignore globs', () => {
    const f = new PathFilter({ exclude: ['.tmp', '*.log', 'build/'], include: [] });
    expect(f.skips(s('a.tmp'))).toBe(true);
    expect(f.skips(s('sub/x.log'))).toBe(true);
    expect(f.skips(s('build', true))).toBe(true);
    expect(f.skips(s('data.fits'))).toBe(false);
  });

  it('lets include win over exclude and restrict files but never prune directories', () => {
    const f = new PathFilter({ exclude: ['*.fits'], include: ['keep*.fits'] });
    expect(f.skips(s('keep1.fits'))).toBe(false);
    expect(f.skips(s('other.fits'))).toBe(true);
    expect(f.skips(s('notes.txt'))).toBe(true);
    expect(f.skips(s('sub', true))).toBe(false);
    const r = new PathFilter({ exclude: [], include: [], includeRegex: ['\\.fits$'] });
    expect(r.skips(s('x.fits'))).toBe(false);
    expect(r.skips(s('x.txt'))).toBe(true);
  });
});

describe('remote wildcards', () => {
  it('matches the last component like a shell, hiding dot files', () => {
    expect(globMatch('*.fits', 'a.fits')).toBe(true);
    expect(globMatch('*.fits', '.a.fits')).toBe(false);
    expect(globMatch('.*', '.hidden')).toBe(true);
    expect(globMatch('f?[0-9].txt', 'fa7.txt')).toBe(true);
    expect(globMatch('f[!a]*', 'fa')).toBe(false);
    expect(splitRemote('vos:alice/data/*.fits')).toEqual({ parent: 'vos:alice/data', last: '*.fits' });
    expect(splitRemote('vos:*.txt')).toEqual({ parent: 'vos:', last: '*.txt' });
  });
});
