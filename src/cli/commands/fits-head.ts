/**
 * `cp --head` / `cat --head` on ARC: the FITS headers of a remote file, every HDU, one 80-character card per
 * line with `END`, as Vault's storage lists them for SODA `META=true`. ARC has no SODA (CADC's own client
 * refuses `--head` there), so the file is streamed once and its data units skipped.
 */
import type { Readable } from 'node:stream';
import type { Client } from '../../vospace/client.js';
import { VosError } from '../../vospace/errors.js';
import type { NodeLocation } from '../../vospace/location.js';

const BLOCK = 2880;
const CARD = 80;

/** Stops reading a response early; undici reports that as an error nobody needs to hear about. */
function discard(stream: Readable): void {
  stream.on('error', () => undefined);
  stream.destroy();
}

/** Reads forward through one stream, discarding what lies between requested ranges. */
class SequentialSource {
  private pos = 0;
  private buffered = Buffer.alloc(0);
  private readonly it: AsyncIterator<Buffer>;

  constructor(private readonly stream: Readable) {
    stream.on('error', () => undefined);
    this.it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  private async fill(): Promise<boolean> {
    const next = await this.it.next();
    if (next.done) return false;
    this.buffered = Buffer.concat([this.buffered, next.value]);
    return true;
  }

  async read(start: number, length: number): Promise<Buffer> {
    if (start < this.pos) throw new Error('sequential source cannot go back');
    while (this.pos + this.buffered.length < start) {
      this.pos += this.buffered.length;
      this.buffered = Buffer.alloc(0);
      if (!(await this.fill())) return Buffer.alloc(0);
    }
    this.buffered = this.buffered.subarray(start - this.pos);
    this.pos = start;
    while (this.buffered.length < length && (await this.fill()));
    return Buffer.from(this.buffered.subarray(0, length));
  }

  close(): void {
    discard(this.stream);
  }
}

function cardValue(card: string): string {
  return card.slice(10).split('/')[0]!.trim();
}

/** Reads all HDU headers; `what` names the file in errors. */
async function fitsHeaders(src: SequentialSource, size: number, what: string): Promise<string> {
  const lines: string[] = [];
  let offset = 0;
  for (let hdu = 0; offset < size && hdu < 10_000; hdu++) {
    const keys = new Map<string, string>();
    let headerBytes = 0;
    let ended = false;
    while (!ended) {
      const block = await src.read(offset + headerBytes, BLOCK);
      if (block.length < BLOCK) {
        if (hdu === 0) throw new VosError('invalid', `${what}: not a FITS file (no complete header block)`);
        throw new VosError('invalid', `${what}: truncated FITS header in HDU ${hdu}`);
      }
      headerBytes += BLOCK;
      for (let i = 0; i < BLOCK; i += CARD) {
        const card = block.subarray(i, i + CARD).toString('latin1');
        if (hdu === 0 && offset + headerBytes === BLOCK && i === 0 && !card.startsWith('SIMPLE  =')) {
          throw new VosError('invalid', `${what}: not a FITS file`);
        }
        const key = card.slice(0, 8).trim();
        if (key === 'END') {
          lines.push('END'.padEnd(CARD));
          ended = true;
          break;
        }
        lines.push(card);
        if (card[8] === '=') keys.set(key, cardValue(card));
      }
    }
    const num = (k: string, dflt: number) => {
      const v = Number(keys.get(k));
      return keys.has(k) && Number.isFinite(v) ? v : dflt;
    };
    const naxis = num('NAXIS', 0);
    let elements = naxis > 0 ? 1 : 0;
    for (let i = 1; i <= naxis; i++) elements *= num(`NAXIS${i}`, 0);
    const dataBytes = (Math.abs(num('BITPIX', 8)) / 8) * num('GCOUNT', 1) * (num('PCOUNT', 0) + elements);
    offset += headerBytes + Math.ceil(dataBytes / BLOCK) * BLOCK;
  }
  return lines.join('\n') + '\n';
}

/** The headers of a remote file of `size` bytes, read in one pass; `what` names it in errors. */
export async function remoteFitsHeaders(
  client: Client,
  loc: NodeLocation,
  size: number,
  what: string,
): Promise<string> {
  const src = new SequentialSource(await client.openRead(loc));
  try {
    return await fitsHeaders(src, size, what);
  } finally {
    src.close();
  }
}
