/**
 * Conformance over real HTTP: SODA on Vault's storage URLs as CADC's minoc answers it — pixel cutouts
 * (`SUB`, every BITPIX, 2-D and 3-D, steps, `*` and flips, clipping, MEF output), `META=true` headers, and
 * the refusals (WCS cutouts, tables, compressed images, non-FITS, bad syntax). FITS files are made in the
 * test and the answers read by the test's own FITS reader; every pixel is predicted from its coordinates.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALICE, BOB, md5b64, negotiate, startTestServer, upload, type TestServer } from './helpers.js';
import {
  card,
  coordinates,
  makeFits,
  pixel,
  readFits,
  stored,
  type Bitpix,
  type ReadHdu,
} from '../support/fits.js';

let ts: TestServer;

beforeAll(async () => {
  ts = await startTestServer();
});

afterAll(async () => {
  await ts.close();
});

/** GET /vault/files/p with SODA parameters: the 303 keeps them, the storage URL answers. */
async function soda(p: string, params: [string, string][], token = ALICE) {
  const query = new URLSearchParams(params).toString();
  const r = await ts.req('GET', `/vault/files/${p}?${query}`, { token });
  expect(r.status, r.text).toBe(303);
  expect(r.headers['location']).toContain(query);
  return ts.req('GET', r.headers['location']!);
}

/** 1-based source coordinates from `a` to `b` (backwards when a > b) every `step`. */
function seq(a: number, b: number, step = 1): number[] {
  const out: number[] = [];
  if (a <= b) for (let i = a; i <= b; i += step) out.push(i);
  else for (let i = a; i >= b; i -= step) out.push(i);
  return out;
}

/** The values a cutout must hold: output pixel (i, j, …) is source pixel (seqs[0][i], seqs[1][j], …). */
function expected(bitpix: Bitpix, seqs: number[][]): number[] {
  return coordinates(seqs.map((s) => s.length)).map((c) =>
    stored(bitpix, pixel(c.map((i, k) => seqs[k]![i - 1]!))),
  );
}

function expectCutoutHeaders(r: { status: number; text: string; headers: Record<string, string> }): void {
  expect(r.status, r.text).toBe(200);
  expect(r.headers['content-type']).toBe('application/fits');
  // As minoc: the bytes are made as they go, so no length or checksum is promised.
  expect(r.headers['content-length']).toBeUndefined();
  expect(r.headers['digest']).toBeUndefined();
}

const WCS_2D = [
  'CRPIX1  =                 10.5 / reference pixel',
  'CRPIX2  =                  8.0',
  'CDELT1  =               -0.001',
  'CDELT2  =                0.001',
  "CTYPE1  = 'RA---TAN'",
  "OBJECT  = 'M31     '           / target",
  "CHECKSUM= 'abcdefghijklmnop'",
  'DATASUM = 1234',
];

describe('pixel cutouts (SUB)', () => {
  for (const bitpix of [8, 16, 32, 64, -32, -64] as Bitpix[]) {
    it(`BITPIX ${bitpix}: a 2-D window is a simple FITS file with its pixels and a moved WCS`, async () => {
      const name = `img${bitpix}.fits`;
      await upload(ts, 'vault', `alice/${name}`, makeFits([{ bitpix, axes: [20, 15], cards: WCS_2D }]));
      const r = await soda(`alice/${name}`, [['SUB', '[0][3:7,2:5]']]);
      expectCutoutHeaders(r);
      expect(r.headers['content-disposition']).toBe(`inline; filename="img${bitpix}.0__3_7_2_5.fits"`);
      const [hdu, ...more] = readFits(r.body);
      expect(more).toHaveLength(0);
      expect(hdu!.cards[0]!.startsWith('SIMPLE  =')).toBe(true);
      expect(hdu!.get('BITPIX')).toBe(bitpix);
      expect(hdu!.axes).toEqual([5, 4]);
      expect(hdu!.get('CRPIX1')).toBe(8.5);
      expect(hdu!.get('CRPIX2')).toBe(7);
      expect(hdu!.get('CDELT1')).toBe(-0.001);
      expect(hdu!.get('OBJECT')).toBe('M31');
      expect(hdu!.get('CTYPE1')).toBe('RA---TAN');
      expect(hdu!.get('CHECKSUM')).toBeUndefined();
      expect(hdu!.get('DATASUM')).toBeUndefined();
      expect(hdu!.values).toEqual(expected(bitpix, [seq(3, 7), seq(2, 5)]));
    });
  }

  it('a cube in an extension: *, steps and flips, by number or by EXTNAME; CRPIX and CDELT follow', async () => {
    const cube = makeFits([
      { bitpix: 16, axes: [] },
      {
        bitpix: -32,
        axes: [12, 10, 4],
        cards: [
          "EXTNAME = 'SCI     '",
          'CRPIX1  =                  1.0',
          'CRPIX2  =                  1.0',
          'CRPIX3  =                  2.0',
          'CDELT1  =                  2.0',
          'CDELT2  =                  3.0',
          'CDELT3  =                  5.0',
        ],
      },
    ]);
    await upload(ts, 'vault', 'alice/cube.fits', cube);
    const want = expected(-32, [seq(1, 12, 3), seq(10, 1), seq(2, 3)]);
    let first: Buffer | undefined;
    for (const sub of ['[1][*:3,-*,2:3]', '[SCI][*:3,-*,2:3]', '[sci,1][1:12:3,10:1,2:3]']) {
      const r = await soda('alice/cube.fits', [['SUB', sub]]);
      expectCutoutHeaders(r);
      const [hdu] = readFits(r.body);
      expect(hdu!.cards[0]!.startsWith('SIMPLE  =')).toBe(true);
      expect(hdu!.get('XTENSION')).toBeUndefined();
      expect(hdu!.get('EXTNAME')).toBe('SCI');
      expect(hdu!.axes).toEqual([4, 10, 2]);
      expect([hdu!.get('CRPIX1'), hdu!.get('CRPIX2'), hdu!.get('CRPIX3')]).toEqual([1, 10, 1]);
      expect([hdu!.get('CDELT1'), hdu!.get('CDELT2'), hdu!.get('CDELT3')]).toEqual([6, -3, 5]);
      expect(hdu!.values).toEqual(want);
      first ??= r.body;
      expect(r.body.equals(first)).toBe(true);
    }
    // Fewer ranges than axes: the rest whole.
    const plane = readFits((await soda('alice/cube.fits', [['SUB', '[1][2:3]']])).body)[0]!;
    expect(plane.axes).toEqual([2, 10, 4]);
    expect(plane.values).toEqual(expected(-32, [seq(2, 3), seq(1, 10), seq(1, 4)]));
  });

  it('a CD matrix is scaled by column for a stepped axis', async () => {
    const cards = [
      'CRPIX1  =                 50.0',
      'CD1_1   =                 0.25',
      'CD1_2   =                  0.5',
      'CD2_1   =                 -0.5',
      'CD2_2   =                 0.25',
      'CDELT1  =                  9.0',
    ];
    await upload(ts, 'vault', 'alice/cd.fits', makeFits([{ bitpix: 8, axes: [100, 4], cards }]));
    const [hdu] = readFits((await soda('alice/cd.fits', [['SUB', '[11:100:2,*]']])).body);
    expect(hdu!.axes).toEqual([45, 4]);
    expect(hdu!.get('CRPIX1')).toBe((50 - 11) / 2 + 1);
    expect([hdu!.get('CD1_1'), hdu!.get('CD2_1')]).toEqual([0.5, -1]);
    expect([hdu!.get('CD1_2'), hdu!.get('CD2_2')]).toEqual([0.5, 0.25]);
    // With a CD matrix, CDELT is not the scale and stays as it was.
    expect(hdu!.get('CDELT1')).toBe(9);
  });

  it('several SUBs make an MEF in file order, led by the data-less primary; an HDU alone is taken whole', async () => {
    const sci = (ver: number) => ({
      bitpix: 16 as const,
      axes: [8, 8],
      cards: ["EXTNAME = 'SCI     '", `EXTVER  = ${String(ver).padStart(20)}`],
    });
    const mef = makeFits([
      { bitpix: 16, axes: [], cards: ["TELESCOP= 'CFHT    '", 'NEXTEND =                    2'] },
      sci(1),
      sci(2),
    ]);
    await upload(ts, 'vault', 'alice/mef.fits', mef);
    const r = await soda('alice/mef.fits', [
      ['SUB', '[SCI,2][1:4,1:4]'],
      ['SUB', '[1]'],
    ]);
    expectCutoutHeaders(r);
    expect(r.headers['content-disposition']).toBe('inline; filename="mef.SCI_2__1_4_1_4___1.fits"');
    const [primary, one, two, ...rest] = readFits(r.body);
    expect(rest).toHaveLength(0);
    expect(primary!.axes).toEqual([]);
    expect(primary!.get('EXTEND')).toBe(true);
    expect(primary!.get('NEXTEND')).toBe(2);
    expect(primary!.get('TELESCOP')).toBe('CFHT');
    for (const ext of [one!, two!]) {
      expect(ext.cards[0]).toBe(card("XTENSION= 'IMAGE   '           / image extension"));
      expect([ext.get('PCOUNT'), ext.get('GCOUNT')]).toEqual([0, 1]);
    }
    expect([one!.get('EXTVER'), one!.axes]).toEqual([1, [8, 8]]);
    expect(one!.values).toEqual(expected(16, [seq(1, 8), seq(1, 8)]));
    expect([two!.get('EXTVER'), two!.axes]).toEqual([2, [4, 4]]);
    expect(two!.values).toEqual(expected(16, [seq(1, 4), seq(1, 4)]));

    // A single-HDU file cut twice: the first cut is the primary, the second an extension.
    await upload(ts, 'vault', 'alice/flat.fits', makeFits([{ bitpix: 8, axes: [6, 6] }]));
    const two2 = readFits(
      (
        await soda('alice/flat.fits', [
          ['SUB', '[1:2,*]'],
          ['SUB', '[5:6,*]'],
        ])
      ).body,
    );
    expect(two2.map((h) => h.cards[0]!.slice(0, 8))).toEqual(['SIMPLE  ', 'XTENSION']);
    expect(two2[0]!.get('NEXTEND')).toBe(1);
    expect(two2[1]!.values).toEqual(expected(8, [seq(5, 6), seq(1, 6)]));
  });

  it('a cutout bigger than the read and write chunks (whole rows read together) keeps every pixel', async () => {
    await upload(ts, 'vault', 'alice/big.fits', makeFits([{ bitpix: -64, axes: [600, 500] }]));
    const rows = await soda('alice/big.fits', [['SUB', '[*,2:499]']]);
    expectCutoutHeaders(rows);
    expect(readFits(rows.body)[0]!.values).toEqual(expected(-64, [seq(1, 600), seq(2, 499)]));
    const strided = await soda('alice/big.fits', [['SUB', '[600:1:7,*:3]']]);
    expect(readFits(strided.body)[0]!.values).toEqual(expected(-64, [seq(600, 1, 7), seq(1, 500, 3)]));
  });

  it('ranges are clipped to the image; no overlap and unknown HDUs are 400s that say so', async () => {
    await upload(ts, 'vault', 'alice/clip.fits', makeFits([{ bitpix: 16, axes: [20, 10] }]));
    const [hdu] = readFits((await soda('alice/clip.fits', [['SUB', '[15:40,0:3]']])).body);
    expect(hdu!.axes).toEqual([6, 3]);
    expect(hdu!.values).toEqual(expected(16, [seq(15, 20), seq(1, 3)]));
    const none = await soda('alice/clip.fits', [['SUB', '[30:40,*]']]);
    expect(none.status).toBe(400);
    expect(none.text).toMatch(/no overlap/);
    const missing = await soda('alice/clip.fits', [['SUB', '[3][1:2,1:2]']]);
    expect(missing.status).toBe(400);
    expect(missing.text).toContain('no HDU 3');
    const tooMany = await soda('alice/clip.fits', [['SUB', '[1:2,1:2,1:2]']]);
    expect(tooMany.status).toBe(400);
    expect(tooMany.text).toContain('3 pixel ranges');
  });

  it('a FITS content type makes any name cuttable; a Range header is ignored with a cutout', async () => {
    const n = await negotiate(ts, 'vault', 'alice/cube.dat', 'pushToVoSpace');
    const bytes = makeFits([{ bitpix: 32, axes: [5, 5] }]);
    const put = await ts.req('PUT', n.transfer.protocols[0]!.endpoint!, {
      token: ALICE,
      body: bytes,
      headers: { 'Content-Type': 'application/fits', Digest: `md5=${md5b64(bytes)}` },
    });
    expect(put.status).toBe(201);
    const q = new URLSearchParams([['SUB', '[2:3,2:3]']]).toString();
    const r303 = await ts.req('GET', `/vault/files/alice/cube.dat?${q}`, { token: ALICE });
    const r = await ts.req('GET', r303.headers['location']!, { headers: { Range: 'bytes=0-9' } });
    expectCutoutHeaders(r);
    expect(readFits(r.body)[0]!.values).toEqual(expected(32, [seq(2, 3), seq(2, 3)]));
  });
});

describe("CADC's client", () => {
  it('its request sequence works as written: /files without parameters, then the storage URL with them', async () => {
    await upload(ts, 'vault', 'alice/py.fits', makeFits([{ bitpix: 16, axes: [9, 9] }]));
    // vos.Client.copy: GET /files (no redirects followed), then requests' params on the Location,
    // quote_plus-encoded (so `*` is %2A and spaces are +).
    const r = await ts.req('GET', '/vault/files/alice/py.fits', { token: ALICE });
    expect(r.status).toBe(303);
    const loc = r.headers['location']!;
    const cut = await ts.req('GET', `${loc}?SUB=%5B0%5D%5B%2A%2C1%3A5%5D`);
    expectCutoutHeaders(cut);
    expect(readFits(cut.body)[0]!.values).toEqual(expected(16, [seq(1, 9), seq(1, 5)]));
    const meta = await ts.req('GET', `${loc}?META=true`);
    expect(meta.text.startsWith(card('SIMPLE  =                    T'))).toBe(true);
    const circle = await ts.req('GET', `${loc}?CIRCLE=10.1+-20.2+0.5`);
    expect(circle.status).toBe(400);
    expect(circle.text).toContain('not supported by this server');
  });
});

describe('headers (META=true)', () => {
  it('lists every card of every HDU, END included, 80 characters and a newline each', async () => {
    const bytes = makeFits([
      { bitpix: 16, axes: [], cards: ["TELESCOP= 'JCMT    '", 'COMMENT a comment card'] },
      { bitpix: -64, axes: [3, 3], cards: ["EXTNAME = 'SCI     '"] },
    ]);
    await upload(ts, 'vault', 'alice/hdr.fits', bytes);
    const r = await soda('alice/hdr.fits', [['META', 'true']]);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/plain');
    expect(r.headers['content-disposition']).toBe('inline; filename="hdr.fits.txt"');
    const want = readFits(bytes)
      .flatMap((h: ReadHdu) => [...h.cards, card('END')])
      .map((c) => `${c}\n`)
      .join('');
    expect(r.text).toBe(want);
    expect(r.text.split('\n').filter((l) => l.startsWith('END '))).toHaveLength(2);
    // META other than `true` is an ordinary download.
    const whole = await soda('alice/hdr.fits', [['META', 'false']]);
    expect(whole.body.equals(bytes)).toBe(true);
    expect(whole.headers['digest']).toBe(`md5=${md5b64(bytes)}`);
  });
});

describe('refusals', () => {
  beforeAll(async () => {
    await upload(
      ts,
      'vault',
      'alice/r.fits',
      makeFits([{ bitpix: 8, axes: [4, 4] }, { table: 'BINTABLE' }, { table: 'COMPRESSED' }]),
    );
    await upload(ts, 'vault', 'alice/notes.txt', 'not fits');
    await upload(ts, 'vault', 'alice/fake.fits', Buffer.from('SIMPLE? no'));
  });

  const cases: [string, string, [string, string][], RegExp][] = [
    [
      'a circle (no WCS here)',
      'alice/r.fits',
      [['CIRCLE', '10.5 -20.25 0.5']],
      /^OperationNotSupported: CIRCLE cutouts are not supported by this server/,
    ],
    [
      'a polygon',
      'alice/r.fits',
      [['POLYGON', '1 2 3 4 5 6']],
      /POLYGON cutouts are not supported by this server/,
    ],
    [
      'META with SUB',
      'alice/r.fits',
      [
        ['META', 'true'],
        ['SUB', '[0]'],
      ],
      /Conflicting SODA parameters found: \[META, SUB\]/,
    ],
    [
      'two shapes',
      'alice/r.fits',
      [
        ['CIRCLE', '1 2 3'],
        ['POS', 'CIRCLE 1 2 3'],
      ],
      /Conflicting SODA parameters found: \[CIRCLE, POS\]/,
    ],
    ['a table HDU', 'alice/r.fits', [['SUB', '[1]']], /^OperationNotSupported: \[1\]: HDU 1 is a table/],
    [
      'a compressed image',
      'alice/r.fits',
      [['SUB', '[2][1:2]']],
      /HDU 2 is a tile-compressed image; compressed images are not supported/,
    ],
    ['a malformed range', 'alice/r.fits', [['SUB', '[0][a:b]']], /^InvalidArgument: bad pixel range 'a:b'/],
    ['a zero step', 'alice/r.fits', [['SUB', '[1:4:0]']], /^InvalidArgument: bad step/],
    [
      'a file that is not FITS by name',
      'alice/notes.txt',
      [['SUB', '[0]']],
      /^InvalidArgument: not a fits file: vos:\/\/cadc.nrc.ca~vault\/alice\/notes.txt/,
    ],
    [
      'a .fits file that is not FITS',
      'alice/fake.fits',
      [['META', 'true']],
      /^InvalidArgument: not a FITS file/,
    ],
  ];
  for (const [what, p, params, text] of cases) {
    it(`${what} is a 400 that says why`, async () => {
      const r = await soda(p, params);
      expect(r.status).toBe(400);
      expect(r.text).toMatch(text);
    });
  }

  it('reading is checked as for any GET, and a storage URL stays bound to its file', async () => {
    const denied = await ts.req('GET', `/vault/files/alice/r.fits?SUB=${encodeURIComponent('[0]')}`, {
      token: BOB,
    });
    expect(denied.status).toBe(403);
    const r = await ts.req('GET', `/vault/files/alice/r.fits?SUB=${encodeURIComponent('[0]')}`, {
      token: ALICE,
    });
    const other = r.headers['location']!.replace('/alice/r.fits', '/alice/img8.fits');
    expect((await ts.req('GET', other)).status).toBe(403);
  });

  it('ARC serves the whole file whatever the query says, as cavern does', async () => {
    const bytes = makeFits([{ bitpix: 8, axes: [4, 4] }]);
    await upload(ts, 'arc', 'home/alice/a.fits', bytes);
    const r = await ts.req(
      'GET',
      `/arc/files/home/alice/a.fits?SUB=${encodeURIComponent('[0][1:2,1:2]')}&META=true`,
      { token: ALICE },
    );
    expect(r.status).toBe(200);
    expect(r.body.equals(bytes)).toBe(true);
  });
});
