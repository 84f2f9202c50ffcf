/**
 * Writes a planned cutout: each output header, then its pixels gathered from the source file row by row
 * (axis 1 is contiguous on disk; adjacent unit-step rows are read together), big-endian bytes copied as
 * they are, the data unit padded with zeros to a whole block. Output goes out in chunks as it is made.
 */
import type { FileHandle } from 'node:fs/promises';
import { BLOCK } from './header.js';
import type { AxisPlan, OutputHdu } from './cutout-plan.js';

/** Bytes in hand before they are passed on, and the largest single read. */
const CHUNK = 1024 * 1024;

type Sink = (bytes: Buffer) => Promise<void>;

/** Collects small pieces into chunks for the sink. */
class Chunker {
  private parts: Buffer[] = [];
  private size = 0;

  constructor(private readonly sink: Sink) {}

  async push(b: Buffer): Promise<void> {
    this.parts.push(b);
    this.size += b.length;
    if (this.size >= CHUNK) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.size === 0) return;
    const out = Buffer.concat(this.parts, this.size);
    this.parts = [];
    this.size = 0;
    await this.sink(out);
  }
}

/** Reads contiguous spans, merging each with the next when they touch (up to CHUNK bytes). */
class SpanReader {
  private start = 0;
  private length = 0;

  constructor(
    private readonly fd: FileHandle,
    private readonly out: Chunker,
  ) {}

  async add(start: number, length: number): Promise<void> {
    if (this.length > 0 && start === this.start + this.length && this.length + length <= CHUNK) {
      this.length += length;
      return;
    }
    await this.flush();
    this.start = start;
    this.length = length;
  }

  async flush(): Promise<void> {
    if (this.length === 0) return;
    const buf = Buffer.alloc(this.length);
    await this.fd.read(buf, 0, this.length, this.start);
    this.length = 0;
    await this.out.push(buf);
  }
}

async function writeData(fd: FileHandle, hdu: OutputHdu, out: Chunker): Promise<number> {
  const { source, axes } = hdu;
  if (axes.length === 0 || axes.some((a) => a.count === 0)) return 0;
  const b = source.pixelBytes;
  // Bytes from one pixel to the next along each axis.
  const strides = [b];
  for (const n of source.axes) strides.push(strides[strides.length - 1]! * n);
  const row = axes[0]!;
  const spans = new SpanReader(fd, out);
  const counter = new Array<number>(axes.length).fill(0);
  let written = 0;
  for (;;) {
    let base = source.dataStart;
    for (let k = 1; k < axes.length; k++) {
      const a = axes[k] as AxisPlan;
      base += (a.start + counter[k]! * a.stride) * strides[k]!;
    }
    if (row.stride === 1) {
      await spans.add(base + row.start * b, row.count * b);
    } else {
      await spans.flush();
      await out.push(await gatherRow(fd, base, row, b));
    }
    written += row.count * b;
    let k = 1;
    for (; k < axes.length; k++) {
      if (++counter[k]! < axes[k]!.count) break;
      counter[k] = 0;
    }
    if (k === axes.length) break;
  }
  await spans.flush();
  return written;
}

/** One row of a strided or reversed axis 1: the span it covers read once, its pixels picked out. */
async function gatherRow(fd: FileHandle, base: number, row: AxisPlan, b: number): Promise<Buffer> {
  const last = row.start + (row.count - 1) * row.stride;
  const first = Math.min(row.start, last);
  const span = Buffer.alloc((Math.abs(last - row.start) + 1) * b);
  await fd.read(span, 0, span.length, base + first * b);
  const pixels = Buffer.alloc(row.count * b);
  for (let i = 0; i < row.count; i++) {
    const at = (row.start + i * row.stride - first) * b;
    span.copy(pixels, i * b, at, at + b);
  }
  return pixels;
}

/** Streams the whole cutout (headers and data) to `sink`. */
export async function writeCutout(fd: FileHandle, hdus: OutputHdu[], sink: Sink): Promise<void> {
  const out = new Chunker(sink);
  for (const hdu of hdus) {
    await out.push(hdu.header);
    const bytes = await writeData(fd, hdu, out);
    const pad = (BLOCK - (bytes % BLOCK)) % BLOCK;
    if (pad > 0) await out.push(Buffer.alloc(pad));
  }
  await out.flush();
}
