/**
 * The daemon's log: secrets go and the words around them stay; text lines for people (time, level, pair,
 * what happened with size and time), JSON lines on request; rotation to vosync.log.1, .2…; each line stored
 * once (journal, service, by hand); one summary line per cycle.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ActionEvent } from '../../src/agent/engine/executor.js';
import { createLogger, logRouting, redactSecrets, type Logger } from '../../src/agent/log.js';
import { CycleLog, humanDuration } from '../../src/agent/status/cycle-log.js';

const WARNING =
  'config: auth.token: the token is stored in a file others can read (mode 644); run chmod 600 /h/c.yaml or use tokenFile';

let dir: string | undefined;

afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function tempFile(): string {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vosync-log-'));
  return path.join(dir, 'vosync.log');
}

/** The file's lines once `count` of them are there (the logger writes asynchronously). */
async function linesOf(file: string, count: number): Promise<string[]> {
  const read = () => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
  const end = Date.now() + 5000;
  while (read().length < count && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  return read();
}

async function logged(line: string): Promise<string> {
  const file = tempFile();
  const log = createLogger({ file, console: false, format: 'json' });
  log.warn(line);
  const [first] = await linesOf(file, 1);
  log.close();
  return (JSON.parse(first!) as { message: string }).message;
}

describe('log redaction', () => {
  it('keeps the word after a config path that ends in "token:" (only secrets are replaced)', async () => {
    expect(redactSecrets(WARNING)).toBe(WARNING);
    expect(await logged(WARNING)).toBe(WARNING);
  });

  it('still replaces the secret itself, in every spelling, and nothing after it', async () => {
    const secret = 'eyJhbGciOiJIUzI1NiJ9.c2VjcmV0';
    expect(redactSecrets(`auth.token: ${secret} is wrong`)).toBe('auth.token: <redacted> is wrong');
    expect(redactSecrets(`?token=${secret}&x=1`)).toBe('?token=<redacted>&x=1');
    expect(redactSecrets(`{"token":"${secret}","a":1}`)).toBe('{"token":"<redacted>","a":1}');
    expect(redactSecrets(`token: "hunter"`)).toBe('token: "<redacted>"');
    expect(redactSecrets('password=hunter ok')).toBe('password=<redacted> ok');
    expect(redactSecrets(`Authorization: Bearer ${secret} sent`)).toBe(
      'Authorization: Bearer <redacted> sent',
    );
    expect(await logged(`refused token: ${secret} (expired)`)).toBe('refused token: <redacted> (expired)');
  });
});

const SERVICE_ENV = { VOSYNC_SERVICE: 'launchd' };

describe('log lines for people', () => {
  it('are text by default: local time, level, pair, what happened with size and time', async () => {
    const file = tempFile();
    const log = createLogger({ file, env: SERVICE_ENV });
    log.info('results: uploaded a.txt (1.2 MB in 0.4 s)');
    log.warn('results: offline: cannot reach example.org');
    const lines = await linesOf(file, 2);
    log.close();
    expect(lines[0]).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d INFO {2}results: uploaded a\.txt \(1\.2 MB in 0\.4 s\)$/,
    );
    expect(lines[1]).toMatch(/^\S+ \S+ WARN {2}results: offline: cannot reach example\.org$/);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('are JSON lines in the file with log.format: json', async () => {
    const file = tempFile();
    const log = createLogger({ file, format: 'json', env: SERVICE_ENV });
    log.info('results: uploaded a.txt');
    const [line] = await linesOf(file, 1);
    log.close();
    expect(JSON.parse(line!)).toEqual({
      level: 'info',
      message: 'results: uploaded a.txt',
      timestamp: expect.any(String),
    });
  });

  it('rotate to vosync.log.1, .2 … keeping maxFiles old files', async () => {
    const file = tempFile();
    // 1 kB files: each 100-byte line fills a tenth.
    const log: Logger = createLogger({ file, maxSizeMB: 1 / 1024, maxFiles: 2, env: SERVICE_ENV });
    const body = (n: number) => `line ${String(n).padStart(3, '0')} ${'x'.repeat(70)}`;
    for (let n = 0; n < 35; n++) log.info(body(n));
    const end = Date.now() + 5000;
    while (!fs.readFileSync(file, 'utf8').includes(body(34)) && Date.now() < end)
      await new Promise((r) => setTimeout(r, 10));
    log.close();
    expect(fs.readdirSync(dir!).sort()).toEqual(['vosync.log', 'vosync.log.1', 'vosync.log.2']);
    const newest = fs.readFileSync(file, 'utf8');
    const older = fs.readFileSync(`${file}.1`, 'utf8');
    const oldest = fs.readFileSync(`${file}.2`, 'utf8');
    // Oldest to newest, the kept lines are the last ones logged, in order, none lost between files.
    const kept = [oldest, older, newest].join('').split('\n').filter(Boolean);
    const numbers = kept.map((l) => Number(/line (\d+)/.exec(l)![1]));
    expect(numbers.at(-1)).toBe(34);
    expect(numbers).toEqual(numbers.map((_, i) => 34 - numbers.length + 1 + i));
    // What went past maxFiles is gone.
    expect(numbers[0]).toBeGreaterThan(0);
    for (const f of [newest, older, oldest]) expect(Buffer.byteLength(f)).toBeLessThanOrEqual(1024);
  });

  it('start a new file when the log was removed under them (logrotate, the user), instead of failing', async () => {
    const file = tempFile();
    const log: Logger = createLogger({ file, maxSizeMB: 1 / 1024, maxFiles: 2, env: SERVICE_ENV });
    const line = (n: number) => `line ${n} ${'x'.repeat(80)}`;
    log.info(line(0));
    const written = async (n: number) => {
      const end = Date.now() + 5000;
      while (!(fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes(line(n))) && Date.now() < end)
        await new Promise((r) => setTimeout(r, 10));
    };
    await written(0);
    fs.rmSync(file);
    // Enough to pass maxBytes: the next line rotates a file that is no longer there.
    for (let n = 1; n <= 12; n++) log.info(line(n));
    await written(12);
    log.close();
    expect(fs.readFileSync(file, 'utf8')).toContain(line(12));
  });

  it('are stored once: the journal, or the file under a service, or the terminal and the file by hand', () => {
    expect(logRouting({ journal: true, service: false, format: 'text' })).toEqual({
      console: 'journal',
      file: false,
    });
    expect(logRouting({ journal: true, service: false, format: 'json' })).toEqual({
      console: 'journal',
      file: true,
    });
    expect(logRouting({ journal: false, service: true, format: 'text' })).toEqual({
      console: 'none',
      file: true,
    });
    expect(logRouting({ journal: false, service: false, format: 'text' })).toEqual({
      console: 'text',
      file: true,
    });
  });

  it('under systemd (stderr is the stream JOURNAL_STREAM names) write no text file', async () => {
    const file = tempFile();
    const fd = fs.openSync(path.join(dir!, 'journal-stand-in'), 'w');
    const st = fs.fstatSync(fd);
    const journal = { JOURNAL_STREAM: `${st.dev}:${st.ino}` };
    const log = createLogger({ file, env: journal, stderrFd: fd });
    log.info('not stored twice');
    log.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(fs.existsSync(file)).toBe(false);
    // Another stream than stderr: not the journal, so the file is written.
    const other = createLogger({ file, env: { JOURNAL_STREAM: '1:2' }, console: false });
    other.info('by hand');
    expect(await linesOf(file, 1)).toEqual([expect.stringContaining('INFO  by hand')]);
    other.close();
    fs.closeSync(fd);
  });
});

describe('a cycle in the log', () => {
  const upload = (p: string, size: number): ActionEvent => ({
    action: { type: 'upload', path: p, expectLocal: { size } } as unknown as ActionEvent['action'],
    result: 'done',
    bytes: size,
  });

  it('says each action with size and transfer time, then one summary line', () => {
    let t = 1_000;
    const c = new CycleLog('results', () => t);
    c.transferStarted('a.fits');
    t += 2_500;
    expect(c.action(upload('a.fits', 2_500_000))).toEqual({
      level: 'info',
      line: 'results: uploaded a.fits (2.5 MB in 2.5 s)',
    });
    expect(c.action(upload('b.txt', 17)).line).toBe('results: uploaded b.txt (17 B)');
    const del = {
      action: { type: 'deleteLocal', path: 'old.txt' },
      result: 'done',
    } as unknown as ActionEvent;
    c.action(del);
    const failed = { action: { type: 'download', path: 'x' }, result: 'failed', message: 'PermissionDenied' };
    expect(c.action(failed as unknown as ActionEvent)).toEqual({
      level: 'warn',
      line: 'results: download of x failed: PermissionDenied',
    });
    t += 700;
    expect(c.summary({ conflicts: 1 })).toEqual({
      level: 'warn',
      line:
        'results: cycle done in 3.2 s: 2 uploaded (2.5 MB), 1 deleted (kept in a trash), ' +
        '1 conflict(s) kept as copies, 1 FAILED',
    });
  });

  it('logs paths found already in sync at debug, and counts them in the summary', () => {
    let t = 0;
    const c = new CycleLog('p', () => t);
    const done = (type: string) =>
      ({ action: { type, path: 'x.fits' }, result: 'done' }) as unknown as ActionEvent;
    expect(c.action(done('recordSynced')).level).toBe('debug');
    expect(c.action(done('recordSynced')).level).toBe('debug');
    expect(c.action(done('forgetBase')).level).toBe('debug');
    t = 1200;
    expect(c.summary({ conflicts: 0 })).toEqual({
      level: 'info',
      line: 'p: cycle done in 1.2 s: 2 found already in sync',
    });
  });

  it('a cycle with nothing to do is a debug line', () => {
    let t = 0;
    const c = new CycleLog('p', () => t);
    t = 800;
    expect(c.summary({ conflicts: 0 })).toEqual({
      level: 'debug',
      line: 'p: nothing to do (checked in 0.8 s)',
    });
  });

  it('durations read as people say them', () => {
    expect(humanDuration(420)).toBe('0.4 s');
    expect(humanDuration(42_000)).toBe('42 s');
    expect(humanDuration(184_000)).toBe('3 min 4 s');
    expect(humanDuration(7_500_000)).toBe('2 h 5 min');
  });
});
