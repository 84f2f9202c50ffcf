/**
 * The cutout grammar: which path suffixes are cutouts (as CADC's vcp tells them), how `SUB` values parse
 * (as CADC's SODA reads them), the clear errors for malformed ones, and the query a data URL gets.
 */
import { describe, expect, it } from 'vitest';
import {
  CutoutSyntaxError,
  parseSub,
  splitCutout,
  withView,
  type DataView,
  type ExtensionSlice,
} from '../../src/vospace/cutout.js';

describe('splitCutout', () => {
  const cases: [string, string, DataView | undefined][] = [
    ['vos:a/f.fits[1][1:10,1:10]', 'vos:a/f.fits', { kind: 'pixels', sub: '[1][1:10,1:10]' }],
    ['vos:a/f.fits[3][1:100,1:100]', 'vos:a/f.fits', { kind: 'pixels', sub: '[3][1:100,1:100]' }],
    ['vos:a/f.fits[1:10,1:10]', 'vos:a/f.fits', { kind: 'pixels', sub: '[1:10,1:10]' }],
    ['vos:a/f.fits[2]', 'vos:a/f.fits', { kind: 'pixels', sub: '[2]' }],
    ['vos:a/f.fits[0][*,100:400]', 'vos:a/f.fits', { kind: 'pixels', sub: '[0][*,100:400]' }],
    ['vos:a/f.fits[1][-*,10:1]', 'vos:a/f.fits', { kind: 'pixels', sub: '[1][-*,10:1]' }],
    ['vos:a/f.fits[1][1:100:4,*:2]', 'vos:a/f.fits', { kind: 'pixels', sub: '[1][1:100:4,*:2]' }],
    ['vos:a/c.fits[1][1:10,1:10,2:3]', 'vos:a/c.fits', { kind: 'pixels', sub: '[1][1:10,1:10,2:3]' }],
    ['vos:a/f.fits[SCI,2][1:10, 1:10]', 'vos:a/f.fits', { kind: 'pixels', sub: '[SCI,2][1:10,1:10]' }],
    ['vos:a/f.fits[SCI][*]', 'vos:a/f.fits', { kind: 'pixels', sub: '[SCI][*]' }],
    [
      'vos://cadc.nrc.ca!vault/a/f.fits[1]',
      'vos://cadc.nrc.ca!vault/a/f.fits',
      { kind: 'pixels', sub: '[1]' },
    ],
    ['vos:a/*.fits[1][1:5,1:5]', 'vos:a/*.fits', { kind: 'pixels', sub: '[1][1:5,1:5]' }],
    [
      'vos:a/f.fits(10.5,-20.25,0.5)',
      'vos:a/f.fits',
      { kind: 'circle', ra: '10.5', dec: '-20.25', radius: '0.5' },
    ],
    ['vos:a/f.fits(10.5, +20, .5)', 'vos:a/f.fits', { kind: 'circle', ra: '10.5', dec: '+20', radius: '.5' }],
    // Not cutouts: names that only contain brackets or parentheses.
    ['vos:a/data[old]', 'vos:a/data[old]', undefined],
    ['vos:a/f[1].fits', 'vos:a/f[1].fits', undefined],
    ['vos:a/report(1)', 'vos:a/report(1)', undefined],
    ['vos:a/f.fits(10,20)', 'vos:a/f.fits(10,20)', undefined],
    ['vos:a/f.fits~5B1~5D', 'vos:a/f.fits~5B1~5D', undefined],
    ['vos:a/x[ab][cd]', 'vos:a/x[ab][cd]', undefined],
    // Only the last [EXT][RANGES] pair is the cutout.
    ['vos:a/x[ab][1][2:3]', 'vos:a/x[ab]', { kind: 'pixels', sub: '[1][2:3]' }],
  ];
  for (const [arg, path, view] of cases) {
    it(`${arg} → ${path}${view ? ' + a cutout' : ''}`, () => {
      expect(splitCutout(arg)).toEqual(view ? { path, view } : { path });
    });
  }

  const bad: [string, RegExp][] = [
    ['vos:a/f.fits[1][1:10,,1:10]', /bad pixel range '' in \[1\]\[1:10,,1:10\]/],
    ['vos:a/f.fits[1][1:10:0]', /bad step in '1:10:0'/],
    ['vos:a/f.fits[1][2][3]', /expected at most \[EXT\]\[RANGES\]/],
    ['vos:a/f.fits[]', /bad extension ''/],
    ['vos:a/f.fits[1][+5:10]', /bad pixel range '\+5:10'/],
    ['vos:a/f.fits(ten,20,1)', /bad circle cutout '\(ten,20,1\)': expected \(RA,DEC,RADIUS\) in degrees/],
    ['vos:a/f.fits(400,20,1)', /RA must be 0 to 360 degrees/],
    ['vos:a/f.fits(10,-95,1)', /DEC must be -90 to 90 degrees/],
    ['vos:a/f.fits(10,20,0)', /the radius must be more than 0/],
  ];
  for (const [arg, message] of bad) {
    it(`${arg} is refused clearly`, () => {
      expect(() => splitCutout(arg)).toThrow(CutoutSyntaxError);
      expect(() => splitCutout(arg)).toThrow(message);
    });
  }
});

describe('parseSub (CADC SODA semantics)', () => {
  const all = { kind: 'all', flip: false, step: 1 } as const;
  const cases: [string, ExtensionSlice][] = [
    [
      '[1][1:10,5]',
      {
        hdu: { index: 1 },
        ranges: [
          { kind: 'span', from: 1, to: 10, step: 1 },
          { kind: 'span', from: 5, to: 5, step: 1 },
        ],
      },
    ],
    ['[1:10,*]', { hdu: { index: 0 }, ranges: [{ kind: 'span', from: 1, to: 10, step: 1 }, all] }],
    ['[*:2]', { hdu: { index: 0 }, ranges: [{ kind: 'all', flip: false, step: 2 }] }],
    ['[2]', { hdu: { index: 2 }, ranges: [] }],
    ['[SCI]', { hdu: { name: 'SCI' }, ranges: [] }],
    ['[SCI,0][-*]', { hdu: { name: 'SCI', version: 1 }, ranges: [{ kind: 'all', flip: true, step: 1 }] }],
    // As CADC reads it: `[5,6]` names EXTNAME 5, EXTVER 6 — write [0][5,6] for the pixel.
    [
      '[0][5,6]',
      {
        hdu: { index: 0 },
        ranges: [
          { kind: 'span', from: 5, to: 5, step: 1 },
          { kind: 'span', from: 6, to: 6, step: 1 },
        ],
      },
    ],
    ['[1][10:1:3]', { hdu: { index: 1 }, ranges: [{ kind: 'span', from: 10, to: 1, step: 3 }] }],
  ];
  for (const [spec, slice] of cases) {
    it(spec, () => expect(parseSub(spec)).toEqual(slice));
  }
  it('refuses three groups and stray text', () => {
    expect(() => parseSub('[1][2][3]')).toThrow(/expected \[EXT\]\[X1:X2,Y1:Y2,…\]/);
    expect(() => parseSub('1:10')).toThrow(CutoutSyntaxError);
    expect(() => parseSub('[1][1:2]x')).toThrow(CutoutSyntaxError);
  });
});

describe('withView', () => {
  it('adds SODA parameters as CADC’s client encodes them', () => {
    const url = 'https://h/data/tok/a/f.fits';
    expect(withView(url, { kind: 'pixels', sub: '[1][1:10,1:20]' })).toBe(
      `${url}?SUB=%5B1%5D%5B1%3A10%2C1%3A20%5D`,
    );
    expect(withView(url, { kind: 'circle', ra: '10.1', dec: '-20.2', radius: '0.5' })).toBe(
      `${url}?CIRCLE=10.1+-20.2+0.5`,
    );
    expect(withView(`${url}?x=1`, { kind: 'headers' })).toBe(`${url}?x=1&META=true`);
  });
});
