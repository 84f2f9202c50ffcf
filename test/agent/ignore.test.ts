import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ALWAYS_IGNORED,
  DEFAULT_JUNK,
  IGNORE_FILE,
  PAIR_META_DIR,
  createIgnoreMatcher,
  isAlwaysIgnoredName,
} from '../../src/agent/local/ignore.js';
import { TEMP_PREFIX } from '../../src/util/temp-files.js';

let root: string;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'vosync-ignore-'));
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

function write(rel: string, content: string): void {
  const abs = path.join(root, rel);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  fs.writeFileSync(abs, content);
}

describe('built-in rules', () => {
  it('always ignores the pair folder and temp files, at any depth', () => {
    const m = createIgnoreMatcher({ root });
    expect(m.isIgnored(PAIR_META_DIR, true)).toBe(true);
    expect(m.isIgnored(`${PAIR_META_DIR}/trash/x.txt`, false)).toBe(true);
    expect(m.isIgnored(`sub/${PAIR_META_DIR}`, true)).toBe(true);
    expect(m.isIgnored(`${TEMP_PREFIX}abc123`, false)).toBe(true);
    expect(m.isIgnored(`a/b/${TEMP_PREFIX}data.fits`, false)).toBe(true);
    expect(isAlwaysIgnoredName('.vosync')).toBe(true);
    expect(isAlwaysIgnoredName('.vosyncignore')).toBe(false);
    expect(ALWAYS_IGNORED.map((r) => r.pattern)).toEqual([PAIR_META_DIR, `${TEMP_PREFIX}*`]);
  });

  it('ignores editor and OS junk by default and keeps ordinary names', () => {
    const m = createIgnoreMatcher({ root });
    const junk = [
      '.DS_Store',
      'a/.ds_store',
      'Thumbs.db',
      'x/THUMBS.DB',
      'desktop.ini',
      '~$report.docx',
      'papers/~$draft.docx',
      '.~lock.table.ods#',
      '.notes.txt.swp',
      'b/.x.swx',
      '.#main.c',
      '4913',
      'Icon\r',
    ];
    for (const p of junk) expect(m.isIgnored(p, false), p).toBe(true);
    const kept = [
      'data.fits',
      'notes.txt~',
      'swp',
      'a.swpx',
      '49130',
      'thumbs.dbx',
      'report.docx',
      '.vosyncignore',
      'lock.ods#',
    ];
    for (const p of kept) expect(m.isIgnored(p, false), p).toBe(false);
    // The vim probe is a file; a folder of that name (an observation id, say) is kept.
    expect(m.isIgnored('4913', true)).toBe(false);
    expect(m.isIgnored('4913/image.fits', false)).toBe(false);
    expect(DEFAULT_JUNK.length).toBeGreaterThan(10);
  });
});

describe('user rules', () => {
  it('applies config patterns with gitignore semantics', () => {
    const m = createIgnoreMatcher({
      root,
      configPatterns: ['*.tmp', 'build/', '/top.log', 'cache/**/*.bin'],
    });
    expect(m.isIgnored('x.tmp', false)).toBe(true);
    expect(m.isIgnored('deep/er/x.tmp', false)).toBe(true);
    expect(m.isIgnored('build', true)).toBe(true);
    expect(m.isIgnored('build/out.o', false)).toBe(true);
    expect(m.isIgnored('src/build/out.o', false)).toBe(true);
    expect(m.isIgnored('build', false)).toBe(false); // dir-only pattern, this is a file
    expect(m.isIgnored('top.log', false)).toBe(true);
    expect(m.isIgnored('sub/top.log', false)).toBe(false); // anchored to the root
    expect(m.isIgnored('cache/a/b/c.bin', false)).toBe(true);
    expect(m.isIgnored('cache/a/b/c.txt', false)).toBe(false);
    expect(m.isIgnored('keep.txt', false)).toBe(false);
  });

  it('reads .vosyncignore at the root and in subfolders, deeper files overriding', () => {
    write(IGNORE_FILE, '# comment\n*.log\nscratch/\n');
    write(`obs/${IGNORE_FILE}`, '!keep.log\n*.fits.gz\n');
    const m = createIgnoreMatcher({ root });
    expect(m.isIgnored('run.log', false)).toBe(true);
    expect(m.isIgnored('obs/run.log', false)).toBe(true);
    expect(m.isIgnored('obs/keep.log', false)).toBe(false);
    expect(m.isIgnored('keep.log', false)).toBe(true); // the negation only applies below obs/
    expect(m.isIgnored('obs/a/image.fits.gz', false)).toBe(true);
    expect(m.isIgnored('image.fits.gz', false)).toBe(false);
    expect(m.isIgnored('scratch', true)).toBe(true);
    expect(m.isIgnored('x/scratch/file', false)).toBe(true);
    expect(m.warnings).toEqual([]);
  });

  it('can leave nested .vosyncignore files out', () => {
    write(`obs/${IGNORE_FILE}`, '*.fits\n');
    const m = createIgnoreMatcher({ root, nestedIgnoreFiles: false });
    expect(m.isIgnored('obs/a.fits', false)).toBe(false);
  });

  it('lets a negation re-include junk but never the pair folder or temp files', () => {
    write(IGNORE_FILE, `!Thumbs.db\n!${PAIR_META_DIR}\n!${PAIR_META_DIR}/\n!${TEMP_PREFIX}*\n`);
    const m = createIgnoreMatcher({ root, configPatterns: ['!*.swp'] });
    expect(m.isIgnored('Thumbs.db', false)).toBe(false);
    expect(m.isIgnored('.a.swp', false)).toBe(false);
    expect(m.isIgnored('.DS_Store', false)).toBe(true);
    expect(m.isIgnored(PAIR_META_DIR, true)).toBe(true);
    expect(m.isIgnored(`${PAIR_META_DIR}/marker`, false)).toBe(true);
    expect(m.isIgnored(`${TEMP_PREFIX}1`, false)).toBe(true);
  });

  it('cannot re-include a file inside an ignored folder', () => {
    write(IGNORE_FILE, 'private/\n!private/ok.txt\n');
    const m = createIgnoreMatcher({ root });
    expect(m.isIgnored('private/ok.txt', false)).toBe(true);
    expect(m.isIgnored('private/sub/ok.txt', false)).toBe(true);
  });

  it('picks up an edited .vosyncignore on reload', () => {
    write(IGNORE_FILE, '*.a\n');
    const m = createIgnoreMatcher({ root });
    expect(m.isIgnored('x.a', false)).toBe(true);
    expect(m.isIgnored('x.b', false)).toBe(false);
    write(IGNORE_FILE, '*.b\n');
    expect(m.isIgnored('x.a', false)).toBe(true); // cached until reload
    m.reload();
    expect(m.isIgnored('x.a', false)).toBe(false);
    expect(m.isIgnored('x.b', false)).toBe(true);
  });

  it('does not read a .vosyncignore that is not a regular file, and says so', () => {
    fs.mkdirSync(path.join(root, IGNORE_FILE));
    const m = createIgnoreMatcher({ root });
    expect(m.isIgnored('x.log', false)).toBe(false);
    expect(m.warnings.join('\n')).toContain('not a regular file');
  });

  it('matches Unicode names whatever normalisation the pattern was written in', () => {
    const nfd = 'e\u0301toile.fits';
    write(IGNORE_FILE, `${nfd}\n`);
    const m = createIgnoreMatcher({ root });
    expect(m.isIgnored('\u00e9toile.fits', false)).toBe(true);
  });

  it('gives the same answer through the walker fast path as through isIgnored', () => {
    write(IGNORE_FILE, '*.tmp\n!keep.tmp\nbig/\n');
    write(`a/${IGNORE_FILE}`, '*.txt\n');
    const m = createIgnoreMatcher({ root, configPatterns: ['/rootonly'] });
    const cases: [string, string, boolean][] = [
      ['', 'x.tmp', false],
      ['', 'keep.tmp', false],
      ['', 'rootonly', false],
      ['a', 'rootonly', false],
      ['a', 'notes.txt', false],
      ['a', 'b', true],
      ['a/b', 'notes.txt', false],
      ['', 'notes.txt', false],
      ['', 'big', true],
      ['', 'big', false],
      ['a', 'Thumbs.db', false],
      ['a', '4913', true],
    ];
    for (const [parent, name, isDir] of cases) {
      const rel = parent === '' ? name : `${parent}/${name}`;
      expect(m.isIgnoredChild(parent, name, rel, isDir), rel).toBe(m.isIgnored(rel, isDir));
    }
    expect(m.isIgnored('a/b/notes.txt', false)).toBe(true);
    expect(m.isIgnored('x.tmp', false)).toBe(true);
    expect(m.isIgnored('keep.tmp', false)).toBe(false);
  });
});
