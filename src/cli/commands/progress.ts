/**
 * The progress bar of cp and sync: bytes, percentage, rate and time left on stderr, only on a terminal and
 * only once a copy has run for half a second, so short copies and scripts see nothing.
 */
import cliProgress from 'cli-progress';
import type { Ctx } from '../common.js';
import { duration } from '../../agent/api/present.js';
import { etaSeconds } from '../../agent/status/progress.js';
import { humanBytes } from '../../util/bytes.js';

export interface ProgressOptions {
  totalBytes: number;
  totalFiles: number;
  /** How long a copy must run before the bar appears. */
  delayMs?: number;
}

/** One file's share of the bar: bytes moved so far while it runs, then its size when it is done. */
export interface FileProgress {
  /** Bytes of this file moved so far (for the library's `onProgress` callbacks). */
  moved(bytes: number): void;
  done(bytes: number): void;
}

export class TransferProgress {
  private bar: cliProgress.SingleBar | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private doneBytes = 0;
  private doneFiles = 0;
  private current = '';
  /** Files in flight (several with parallel streams): how to read each one's bytes so far. */
  private readonly running = new Set<() => number>();
  private readonly started: number;
  private readonly enabled: boolean;

  constructor(
    private readonly ctx: Ctx,
    private readonly opts: ProgressOptions,
  ) {
    this.started = ctx.io.now();
    this.enabled = Boolean(ctx.io.stderr.isTTY) && !ctx.json;
    if (this.enabled) {
      this.timer = setTimeout(() => this.show(), opts.delayMs ?? 500);
      this.timer.unref();
    }
  }

  /** Whether a bar may be drawn at all (a terminal, no --json): callers skip byte counting otherwise. */
  get shown(): boolean {
    return this.enabled;
  }

  private bytesNow(): number {
    let inFlight = 0;
    for (const read of this.running) {
      try {
        inFlight += read();
      } catch {
        // a temp file not there yet: nothing moved
      }
    }
    return Math.min(this.opts.totalBytes, this.doneBytes + inFlight);
  }

  private payload() {
    const seconds = Math.max(0.001, (this.ctx.io.now() - this.started) / 1000);
    const bytes = this.bytesNow();
    const rate = bytes / seconds;
    const eta = etaSeconds(this.opts.totalBytes - bytes, rate);
    return {
      bytes: humanBytes(bytes),
      totalBytes: humanBytes(this.opts.totalBytes),
      rate: `${humanBytes(Math.round(rate))}/s`,
      // Not `eta`: cli-progress fills that token itself, with its own estimate.
      left:
        eta === null ? (bytes >= this.opts.totalBytes ? 'done' : 'starting') : `about ${duration(eta)} left`,
      files: `${this.doneFiles}/${this.opts.totalFiles}`,
      file: this.current.length > 40 ? '…' + this.current.slice(-39) : this.current,
    };
  }

  private show(): void {
    this.bar = new cliProgress.SingleBar(
      {
        stream: this.ctx.io.stderr as unknown as NodeJS.WriteStream,
        format: '{bar} {percentage}% | {bytes}/{totalBytes} | {rate} | {left} | {files} files | {file}',
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

  /**
   * A file starts. Its bytes so far come from `probe` when given (e.g. the size of a download's temp file),
   * else from what the handle's `moved` was last told.
   */
  fileStarted(label: string, probe?: () => number): FileProgress {
    this.current = label;
    let moved = 0;
    const read = probe ?? (() => moved);
    this.running.add(read);
    let finished = false;
    return {
      moved: (bytes) => {
        moved = bytes;
      },
      done: (bytes) => {
        if (finished) return;
        finished = true;
        this.running.delete(read);
        this.doneBytes += bytes;
        this.doneFiles++;
      },
    };
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
