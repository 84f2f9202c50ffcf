/**
 * Walks the HDUs of a FITS file: each header read block by block up to `END`, the data unit's place and
 * size worked out from BITPIX, NAXISn, PCOUNT and GCOUNT, and what kind of HDU it is (an image this server
 * can cut, or a table, a tile-compressed image, random groups).
 */
import type { FileHandle } from 'node:fs/promises';
import { BLOCK, CARD, FitsError, Header, cardKey } from './header.js';

export type HduKind = 'image' | 'table' | 'compressed' | 'groups';

export interface Hdu {
  /** 0 for the primary HDU. */
  index: number;
  header: Header;
  kind: HduKind;
  /** Where the data unit starts in the file, and its length without padding. */
  dataStart: number;
  dataBytes: number;
  /** NAXIS1…NAXISn (axis 1, the fastest, first). */
  axes: number[];
  /** Bytes per pixel (|BITPIX| / 8). */
  pixelBytes: number;
}

const BITPIXES = new Set([8, 16, 32, 64, -32, -64]);

async function readBlock(fd: FileHandle, at: number): Promise<Buffer | undefined> {
  const buf = Buffer.alloc(BLOCK);
  const { bytesRead } = await fd.read(buf, 0, BLOCK, at);
  return bytesRead === BLOCK ? buf : undefined;
}

/** The header cards from `at` up to `END`, and where the header ends; undefined at the end of the file. */
async function readHeader(
  fd: FileHandle,
  at: number,
  index: number,
): Promise<{ cards: string[]; end: number } | undefined> {
  const cards: string[] = [];
  for (let pos = at; ; pos += BLOCK) {
    const block = await readBlock(fd, pos);
    if (!block) {
      if (pos === at) return undefined;
      throw new FitsError(`the header of HDU ${index} is truncated (no END card)`);
    }
    for (let i = 0; i < BLOCK; i += CARD) {
      const card = block.toString('latin1', i, i + CARD);
      if (cardKey(card) === 'END') return { cards, end: pos + BLOCK };
      cards.push(card);
    }
    if (cards.length > 100_000) throw new FitsError(`the header of HDU ${index} has no END card`);
  }
}

function kindOf(h: Header, index: number): HduKind {
  if (index === 0) return h.value('GROUPS') === true && h.int('NAXIS1', 0) === 0 ? 'groups' : 'image';
  const xtension = (h.string('XTENSION') ?? '').trim().toUpperCase();
  if (xtension === 'IMAGE') return 'image';
  if (xtension === 'BINTABLE' && h.value('ZIMAGE') === true) return 'compressed';
  return 'table';
}

function describeHdu(h: Header, index: number, start: number): Hdu {
  const bitpix = h.int('BITPIX');
  if (!BITPIXES.has(bitpix)) throw new FitsError(`HDU ${index} has an invalid BITPIX ${bitpix}`);
  const naxis = h.int('NAXIS');
  if (naxis < 0 || naxis > 999) throw new FitsError(`HDU ${index} has an invalid NAXIS ${naxis}`);
  const axes: number[] = [];
  for (let i = 1; i <= naxis; i++) {
    const n = h.int(`NAXIS${i}`);
    if (n < 0) throw new FitsError(`HDU ${index} has a negative NAXIS${i}`);
    axes.push(n);
  }
  const kind = kindOf(h, index);
  const pixelBytes = Math.abs(bitpix) / 8;
  const elements = axes.reduce((p, n, i) => (kind === 'groups' && i === 0 ? p : p * n), naxis > 0 ? 1 : 0);
  const pcount = h.int('PCOUNT', 0);
  const gcount = h.int('GCOUNT', 1);
  const dataBytes = naxis === 0 ? 0 : pixelBytes * gcount * (pcount + elements);
  return { index, header: h, kind, dataStart: start, dataBytes, axes, pixelBytes };
}

/** Every HDU of the file; `size` is the file's length. Anything after the last HDU is ignored. */
export async function readHdus(fd: FileHandle, size: number): Promise<Hdu[]> {
  const hdus: Hdu[] = [];
  let at = 0;
  while (at < size) {
    const index = hdus.length;
    const read = await readHeader(fd, at, index);
    if (!read && index === 0) throw new FitsError('not a FITS file (shorter than one header block)');
    if (!read) break;
    const first = read.cards[0] ?? '';
    if (index === 0 && !/^SIMPLE {2}= +T/.test(first))
      throw new FitsError('not a FITS file (no SIMPLE = T card)');
    // Special records after the last extension are allowed by the standard: they end the walk.
    if (index > 0 && cardKey(first) !== 'XTENSION') break;
    const hdu = describeHdu(new Header(read.cards), index, read.end);
    if (hdu.dataStart + hdu.dataBytes > size) {
      throw new FitsError(
        `the data of HDU ${index} is truncated (${size - hdu.dataStart} of ${hdu.dataBytes} bytes)`,
      );
    }
    hdus.push(hdu);
    at = hdu.dataStart + Math.ceil(hdu.dataBytes / BLOCK) * BLOCK;
  }
  return hdus;
}

/** The header of an HDU as CADC's META=true lists it: every card, `END` included, one per line. */
export function headerLines(hdu: Hdu): string {
  return [...hdu.header.cards, 'END'.padEnd(CARD)].map((c) => `${c}\n`).join('');
}
