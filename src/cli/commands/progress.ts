/**
 * The progress bar of cp and sync: bytes, percentage and rate on stderr, only on a terminal and only once a
 * copy has run for a couple of seconds, so short copies and scripts see nothing.
 */
import cliProgress from 'cli-progress';
import type { Ctx } from '../common.js';
import { humanBytes } from '../common.js';

export interface ProgressOptions {
  totalBytes: number;
  totalFiles: number;
  /** How long a copy must run before the bar appears. */
  delayMs?: number;
}

export class TransferProgress {
  private bar: cliProgress.SingleBar | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private doneBytes = 0;
  private doneFiles = 0;
  private current = '';
  private probe: (() => number) | undefined;
  private readonly started: number;
  private readonly enabled: boolean;

  constructor(
    private readonly ctx: Ctx,
    private readonly opts: ProgressOptions,
  ) {
    this.started = ctx.io.now();
    this.enabled = Boolean(ctx.io.stderr.isTTY) && !ctx.json;
    if (this.enabled) {
      this.timer = setTimeout(() => this.show(), opts.delayMs ?? 2000);
      this.timer.unref();
    }
  }

  private bytesNow(): number {
    let inFlight = 0;
    try {
      inFlight = this.probe?.() ?? 0;
    } catch {
      inFlight = 0;
    }
    return Math.min(this.opts.totalBytes, this.doneBytes + inFlight);
  }

  private payload() {
    const seconds = Math.max(0.001, (this.ctx.io.now() - this.started) / 1000);
    const bytes = this.bytesNow();
    return {
      bytes: humanBytes(bytes),
      totalBytes: humanBytes(this.opts.totalBytes),
      rate: `${humanBytes(Math.round(bytes / seconds))}/s`,
      files: `${this.doneFiles}/${this.opts.totalFiles}`,
      file: this.current.length > 40 ? '…' + this.current.slice(-39) : this.current,
    };
  }

  private show(): void {
    this.bar = new cliProgress.SingleBar(
      {
        stream: this.ctx.io.stderr as unknown as NodeJS.WriteStream,
        format: '{bar} {percentage}% | {bytes}/{totalBytes} | {rate} | {files} files | {file}',
        hideCursor: true,
        clearOnComplete: false,
        barsize: 24,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(Math.max(1, this.opts.totalBytes), this.bytesNow(), this.payload());
    this.ticker = setInterval(() => this.bar?.update(this.bytesNow(), this.payload()), 250);
    this.ticker.unref();
  }

  /** A file starts; `probe` may report bytes moved so far (e.g. the size of a download's temp file). */
  fileStarted(label: string, probe?: () => number): void {
    this.current = label;
    this.probe = probe;
  }

  fileDone(bytes: number): void {
    this.probe = undefined;
    this.doneBytes += bytes;
    this.doneFiles++;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.ticker) clearInterval(this.ticker);
    if (this.bar) {
      this.bar.update(this.bytesNow(), this.payload());
      this.bar.stop();
    }
  }
}
