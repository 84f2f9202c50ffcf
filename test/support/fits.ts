/**
 * FITS files made in tests, and a reader for the answers: written here from the standard (2880-byte
 * blocks, 80-character cards, big-endian data) independently of src/server/fits, so the tests check the
 * server against the format rather than against itself. Pixel values come from a formula of their
 * 1-based coordinates, so a cutout's every pixel can be predicted.
 */

export type Bitpix = 8 | 16 | 32 | 64 | -32 | -64;

export interface ImageSpec {
  bitpix: Bitpix;
  /** NAXIS1…NAXISn; empty for a header-only HDU. */
  axes: number[];
  /** Extra cards as `KEY     = value` text (padded to 80 here). */
  cards?: string[];
}

export type HduSpec = ImageSpec | { table: 'BINTABLE' | 'COMPRESSED' };

export const card = (text: string): string => text.padEnd(80).slice(0, 80);

const num = (key: string, v: number | string) => card(`${key.padEnd(8)}= ${String(v).padStart(20)}`);

/** The pixel value at 1-based coordinates, fitting every BITPIX (0–255). */
export function pixel(coords: number[]): number {
  return coords.reduce((v, c, i) => v + c * [1, 17, 101, 7][i % 4]!, 0) % 251;
}

function encode(bitpix: Bitpix, values: number[]): Buffer {
  const b = Math.abs(bitpix) / 8;
  const out = Buffer.alloc(values.length * b);
  values.forEach((v, i) => {
    if (bitpix === 8) out.writeUInt8(v, i);
    else if (bitpix === 16) out.writeInt16BE(v - 100, i * 2);
    else if (bitpix === 32) out.writeInt32BE(v * 100_000, i * 4);
    else if (bitpix === 64) out.writeBigInt64BE(BigInt(v) * 10_000_000_000n, i * 8);
    else if (bitpix === -32) out.writeFloatBE(v + 0.5, i * 4);
    else out.writeDoubleBE(v / 4, i * 8);
  });
  return out;
}

/** The value `pixel()` gives, as a BITPIX stores it (so decoded answers compare with it). */
export function stored(bitpix: Bitpix, v: number): number {
  return { 8: v, 16: v - 100, 32: v * 100_000, 64: v * 1e10, [-32]: v + 0.5, [-64]: v / 4 }[bitpix];
}

/** Every pixel's coordinates in FITS order (axis 1 fastest). */
export function coordinates(axes: number[]): number[][] {
  const total = axes.reduce((p, n) => p * n, axes.length > 0 ? 1 : 0);
  const out: number[][] = [];
  for (let i = 0; i < total; i++) {
    let rest = i;
    out.push(
      axes.map((n) => {
        const c = (rest % n) + 1;
        rest = Math.floor(rest / n);
        return c;
      }),
    );
  }
  return out;
}

function pad(b: Buffer, fill: number): Buffer {
  const size = Math.ceil(b.length / 2880) * 2880;
  return Buffer.concat([b, Buffer.alloc(size - b.length, fill)]);
}

function headerBlock(cards: string[]): Buffer {
  return pad(Buffer.from([...cards, card('END')].join(''), 'latin1'), 0x20);
}

/** A FITS file of these HDUs (the first is the primary; a table cannot be first). */
export function makeFits(hdus: HduSpec[]): Buffer {
  const parts: Buffer[] = [];
  hdus.forEach((h, index) => {
    if ('table' in h) {
      const rows = 3;
      const cards = [
        card("XTENSION= 'BINTABLE'"),
        num('BITPIX', 8),
        num('NAXIS', 2),
        num('NAXIS1', 4),
        num('NAXIS2', rows),
        num('PCOUNT', 0),
        num('GCOUNT', 1),
        num('TFIELDS', 1),
        card("TFORM1  = '1J      '"),
        ...(h.table === 'COMPRESSED' ? [card('ZIMAGE  =                    T')] : []),
      ];
      parts.push(headerBlock(cards), pad(Buffer.alloc(4 * rows, 1), 0));
      return;
    }
    const cards = [
      index === 0 ? card('SIMPLE  =                    T') : card("XTENSION= 'IMAGE   '"),
      num('BITPIX', h.bitpix),
      num('NAXIS', h.axes.length),
      ...h.axes.map((n, i) => num(`NAXIS${i + 1}`, n)),
      ...(index === 0 ? [card('EXTEND  =                    T')] : [num('PCOUNT', 0), num('GCOUNT', 1)]),
      ...(h.cards ?? []).map(card),
    ];
    parts.push(headerBlock(cards));
    if (h.axes.length > 0) parts.push(pad(encode(h.bitpix, coordinates(h.axes).map(pixel)), 0));
  });
  return Buffer.concat(parts);
}

export interface ReadHdu {
  cards: string[];
  /** A keyword's value: numbers as numbers, 'quoted' strings unquoted, T/F as booleans. */
  get(key: string): number | string | boolean | undefined;
  axes: number[];
  bitpix: Bitpix;
  /** The decoded data values in FITS order. */
  values: number[];
}

function value(cardText: string): number | string | boolean | undefined {
  if (cardText.slice(8, 10) !== '= ') return undefined;
  const t = cardText.slice(10).trim();
  if (t.startsWith("'")) return t.slice(1, t.indexOf("'", 1)).trimEnd();
  const token = t.split('/')[0]!.trim();
  if (token === 'T' || token === 'F') return token === 'T';
  return Number(token);
}

function decode(bitpix: Bitpix, data: Buffer, count: number): number[] {
  const b = Math.abs(bitpix) / 8;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const at = i * b;
    if (bitpix === 8) out.push(data.readUInt8(at));
    else if (bitpix === 16) out.push(data.readInt16BE(at));
    else if (bitpix === 32) out.push(data.readInt32BE(at));
    else if (bitpix === 64) out.push(Number(data.readBigInt64BE(at)));
    else if (bitpix === -32) out.push(data.readFloatBE(at));
    else out.push(data.readDoubleBE(at));
  }
  return out;
}

/** Reads every HDU of an image-only FITS file, checking the block structure on the way. */
export function readFits(buf: Buffer): ReadHdu[] {
  if (buf.length % 2880 !== 0) throw new Error(`FITS length ${buf.length} is not whole blocks`);
  const hdus: ReadHdu[] = [];
  let at = 0;
  while (at < buf.length) {
    const cards: string[] = [];
    for (;;) {
      const c = buf.toString('latin1', at, at + 80);
      at += 80;
      if (c.startsWith('END ')) break;
      cards.push(c);
    }
    at = Math.ceil(at / 2880) * 2880;
    const get = (key: string) => {
      const c = cards.find((x) => x.slice(0, 8).trimEnd() === key);
      return c === undefined ? undefined : value(c);
    };
    const bitpix = get('BITPIX') as Bitpix;
    const axes = Array.from({ length: get('NAXIS') as number }, (_, i) => get(`NAXIS${i + 1}`) as number);
    const count = axes.reduce((p, n) => p * n, axes.length > 0 ? 1 : 0);
    const bytes = count * (Math.abs(bitpix) / 8);
    const values = decode(bitpix, buf.subarray(at, at + bytes), count);
    at += Math.ceil(bytes / 2880) * 2880;
    hdus.push({ cards, get, axes, bitpix, values });
  }
  return hdus;
}
