/**
 * `cp --head` / `cat --head`: the FITS headers of a remote file, every HDU, one 80-character card per line.
 * CADC's Vault produces these server-side (SODA META=true); here they are read client-side: with byte
 * ranges only the header blocks are fetched, and on services without ranges (ARC) the file is streamed once
 * and the data units are skipped.
 */
import type { Readable } from 'node:stream';
import type { Client } from '../../vospace/client.js';
import { VosError } from '../../vospace/errors.js';
import type { NodeLocation } from '../../vospace/location.js';

const BLOCK = 2880;
const CARD = 80;

export interface ByteSource {
  /** Up to `length` bytes from `start` (fewer at the end of the file). */
  read(start: number, length: number): Promise<Buffer>;
  close(): void;
}

/** Stops reading a response early; undici reports that as an error nobody needs to hear about. */
function discard(stream: Readable): void {
  stream.on('error', () => undefined);
  stream.destroy();
}

async function take(stream: Readable, length: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let have = 0;
  for await (const chunk of stream) {
    const b = chunk as Buffer;
    chunks.push(b);
    have += b.length;
    if (have >= length) break;
  }
  discard(stream);
  return Buffer.concat(chunks).subarray(0, length);
}

/** Reads forward through one stream, discarding what lies between requested ranges. */
class SequentialSource implements ByteSource {
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

/** Byte ranges where the service honours them (Vault), else one sequential pass (ARC). */
export function remoteByteSource(client: Client, loc: NodeLocation): ByteSource {
  let sequential: SequentialSource | undefined;
  let ranges: boolean | undefined;
  return {
    async read(start, length) {
      ranges ??= (await client.endpoints(loc)).vaultLike;
      if (!ranges && !sequential) sequential = new SequentialSource(await client.openRead(loc));
      if (!sequential) {
        try {
          return await take(await client.openRead(loc, { start, end: start + length - 1 }), length);
        } catch (e) {
          if (!(e instanceof VosError && e.kind === 'unsupported')) throw e;
          sequential = new SequentialSource(await client.openRead(loc));
        }
      }
      return sequential.read(start, length);
    },
    close() {
      sequential?.close();
    },
  };
}

function cardValue(card: string): string {
  return card.slice(10).split('/')[0]!.trim();
}

/** Reads all HDU headers; `what` names the file in errors. */
export async function fitsHeaders(src: ByteSource, size: number, what: string): Promise<string> {
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
          lines.push('END');
          ended = true;
          break;
        }
        lines.push(card.trimEnd());
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
