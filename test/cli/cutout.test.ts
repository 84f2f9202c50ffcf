/**
 * Cutouts end to end: `vosync cp`/`cat` and the vcp/vcat aliases with vcp's pixel and circle suffixes and
 * `--head`, against the embedded server over real HTTP — what goes on the wire (the SODA query CADC's client
 * sends), what lands locally, how names with brackets stay reachable, and the errors.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, writeFiles, type Harness } from './helpers.js';
import { card, coordinates, makeFits, pixel, readFits, stored } from '../support/fits.js';

let h: Harness;
const IMG = makeFits([
  { bitpix: 16, axes: [], cards: ["TELESCOP= 'CFHT    '"] },
  { bitpix: 16, axes: [30, 20], cards: ["EXTNAME = 'SCI     '", 'CRPIX1  =                 15.0'] },
]);
const dir = () => path.join(h.work, 'cut');

beforeAll(async () => {
  h = await startHarness('cutout');
  writeFiles(dir(), { 'img.fits': IMG, 'img2.fits': IMG });
  for (const area of ['vos:alice/cut', 'arc:home/alice/cut']) {
    expect((await h.run(['mkdir', '-p', area])).code).toBe(0);
    const up = await h.run(['cp', 'cut/img.fits', 'cut/img2.fits', `${area}/`]);
    expect(up.code, up.stderr).toBe(0);
  }
});

afterAll(async () => {
  await h.close();
});

/** The 16-bit values of source columns x1..x2 and rows y1..y2 of the SCI image. */
function window(x1: number, x2: number, y1: number, y2: number): number[] {
  return coordinates([x2 - x1 + 1, y2 - y1 + 1]).map(([i, j]) =>
    stored(16, pixel([x1 + i! - 1, y1 + j! - 1])),
  );
}

const META = readFits(IMG)
  .flatMap((hdu) => [...hdu.cards, card('END')])
  .map((c) => `${c}\n`)
  .join('');

describe('cp with a pixel cutout', () => {
  it('writes the cutout, asking the storage with SUB= exactly as CADC’s client does', async () => {
    const r = await h.run(['-d', 'cp', 'vos:alice/cut/img.fits[1][1:10,1:10]', 'out.fits']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /GET \S+\/vault\/data\/\S+\/alice\/cut\/img\.fits\?SUB=%5B1%5D%5B1%3A10%2C1%3A10%5D /,
    );
    const [hdu] = readFits(fs.readFileSync(path.join(h.work, 'out.fits')));
    expect(hdu!.axes).toEqual([10, 10]);
    expect(hdu!.get('EXTNAME')).toBe('SCI');
    expect(hdu!.get('CRPIX1')).toBe(15);
    expect(hdu!.values).toEqual(window(1, 10, 1, 10));
  });

  it('the vcp alias takes the same syntax; into a directory the file is named as vcp names it', async () => {
    fs.mkdirSync(path.join(h.work, 'into'), { recursive: true });
    const r = await h.run(['vos:alice/cut/img.fits[1][5:6,2:4]', 'into/'], { alias: 'vcp' });
    expect(r.code, r.stderr).toBe(0);
    const got = readFits(fs.readFileSync(path.join(h.work, 'into', 'img.fits[1][5:6,2:4]')))[0]!;
    expect(got.values).toEqual(window(5, 6, 2, 4));
  });

  it('a wildcard with a cutout cuts every match', async () => {
    fs.mkdirSync(path.join(h.work, 'many'), { recursive: true });
    const r = await h.run(['cp', 'vos:alice/cut/*.fits[SCI][28:30,*]', 'many/']);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readdirSync(path.join(h.work, 'many')).sort()).toEqual([
      'img.fits[SCI][28:30,*]',
      'img2.fits[SCI][28:30,*]',
    ]);
    const got = readFits(fs.readFileSync(path.join(h.work, 'many', 'img2.fits[SCI][28:30,*]')))[0]!;
    expect(got.values).toEqual(window(28, 30, 1, 20));
  });
});

describe('--head and cat', () => {
  it('cp --head and cat --head give the headers (META=true on Vault, read directly on ARC)', async () => {
    const cp = await h.run(['-d', 'cp', '--head', 'vos:alice/cut/img.fits', 'img.hdr']);
    expect(cp.code, cp.stderr).toBe(0);
    expect(cp.stderr).toContain('/alice/cut/img.fits?META=true ');
    expect(fs.readFileSync(path.join(h.work, 'img.hdr'), 'latin1')).toBe(META);
    for (const node of ['vos:alice/cut/img.fits', 'arc:home/alice/cut/img.fits']) {
      const cat = await h.run(['--head', node], { alias: 'vcat' });
      expect(cat.code, cat.stderr).toBe(0);
      expect(cat.stdout).toBe(META);
    }
  });

  it('cat with a cutout writes the cutout’s FITS bytes', async () => {
    const r = await h.run(['cat', 'vos:alice/cut/img.fits[1][-*:10,20]']);
    expect(r.code, r.stderr).toBe(0);
    const [hdu] = readFits(r.out);
    expect(hdu!.axes).toEqual([3, 1]);
    expect(hdu!.values).toEqual([30, 20, 10].map((x) => stored(16, pixel([x, 20]))));
  });
});

describe('names and errors', () => {
  it('names that contain brackets stay reachable: a bracket that is no cutout, or the escaped spelling', async () => {
    writeFiles(path.join(h.work, 'odd'), { 'notes[old].txt': 'old notes', 'f.fits[1]': 'literal name' });
    const up = await h.run(['cp', 'odd/notes[old].txt', 'odd/f.fits[1]', 'vos:alice/cut/']);
    expect(up.code, up.stderr).toBe(0);
    expect((await h.run(['cat', 'vos:alice/cut/notes[old].txt'])).stdout).toBe('old notes');
    expect((await h.run(['cat', 'vos:alice/cut/f.fits~5B1~5D'])).stdout).toBe('literal name');
    // Written plainly it is a cutout of f.fits, as in vcp, and there is no f.fits.
    const asCutout = await h.run(['cat', 'vos:alice/cut/f.fits[1]']);
    expect(asCutout.code).toBe(2);
    expect(asCutout.stderr).toContain('vos:alice/cut/f.fits');
  });

  const bad: [string, string[], number, RegExp][] = [
    [
      'a malformed range',
      ['cp', 'vos:alice/cut/img.fits[1][1:10,,2]', 'bad.fits'],
      22,
      /bad pixel range '' in \[1\]\[1:10,,2\]/,
    ],
    [
      'a bad circle',
      ['cp', 'vos:alice/cut/img.fits(10,95,1)', 'bad.fits'],
      22,
      /DEC must be -90 to 90 degrees/,
    ],
    [
      '--head with a cutout',
      ['cp', '--head', 'vos:alice/cut/img.fits[1]', 'bad.fits'],
      22,
      /--head gives the headers of whole files/,
    ],
    [
      'a cutout of a directory',
      ['cp', 'vos:alice/cut[1][1:2]', 'bad.fits'],
      21,
      /is a directory; a cutout applies to a file/,
    ],
    [
      'a cutout to a remote place',
      ['cp', 'vos:alice/cut/img.fits[1]', 'vos:alice/x.fits'],
      22,
      /cutouts are copied to local files only/,
    ],
    [
      'a circle (the server has no WCS)',
      ['cp', 'vos:alice/cut/img.fits(10.5,-20.25,0.1)', 'bad.fits'],
      95,
      /CIRCLE cutouts are not supported by this server/,
    ],
    [
      'a cutout on ARC',
      ['cp', 'arc:home/alice/cut/img.fits[1][1:2,1:2]', 'bad.fits'],
      95,
      /the ARC service does not support cutouts or header operations/,
    ],
    ['a file that is not FITS', ['cat', 'vos:alice/cut/notes~5Bold~5D.txt[0]'], 22, /not a fits file/],
  ];
  for (const [what, args, code, message] of bad) {
    it(`${what}: exit ${code}, a clear message, nothing written`, async () => {
      const r = await h.run(args);
      expect(r.code, r.stderr).toBe(code);
      expect(r.stderr).toMatch(message);
      expect(fs.readdirSync(h.work).filter((n) => n.includes('bad.fits'))).toEqual([]);
    });
  }
});
