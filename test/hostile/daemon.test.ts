/**
 * The daemon as a real process (`node dist/cli/main.js daemon`, so run `npm run build` first) against the hostile
 * double: the files it keeps for itself are its user's only, and SIGTERM stops it promptly whatever the server
 * does.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { run, type Proc } from '../e2e/harness.js';
import { HostileServer, endlessPaging } from './hostile-server.js';
import { TOKEN, tempDir } from './helpers.js';

let hs: HostileServer;
let root: string;
let n = 0;
let proc: Proc | undefined;

beforeAll(async () => {
  hs = await HostileServer.start();
  root = tempDir('daemon');
});

afterEach(async () => {
  await proc?.kill('SIGKILL');
  proc = undefined;
  hs.reset();
});

afterAll(async () => {
  await hs.close();
  fs.rmSync(root, { recursive: true, force: true });
});

interface Setup {
  dir: string;
  local: string;
  state: string;
  log: string;
  cache: string;
  config: string;
}

/** A config for one pair `alice/pair` ↔ `<dir>/local`, with state, log and cache inside `<dir>`. */
function setup(timeoutSeconds = 5): Setup {
  const dir = path.join(root, `d${++n}`);
  const s: Setup = {
    dir,
    local: path.join(dir, 'local'),
    state: path.join(dir, 'state'),
    log: path.join(dir, 'logs', 'vosync.log'),
    cache: path.join(dir, 'cache'),
    config: path.join(dir, 'config.yaml'),
  };
  fs.mkdirSync(s.local, { recursive: true });
  const lines = [
    `registry: ${hs.registryUrl}`,
    'auth:',
    `  token: ${TOKEN}`,
    'transfers:',
    '  retries: 1',
    `  timeoutSeconds: ${timeoutSeconds}`,
    'status:',
    '  port: 0',
    `  tokenFile: ${path.join(dir, 'status-token')}`,
    'state:',
    `  dir: ${s.state}`,
    'log:',
    `  file: ${s.log}`,
    'pairs:',
    '  - name: p',
    `    local: ${s.local}`,
    '    remote: vos:alice/pair',
  ];
  fs.writeFileSync(s.config, lines.join('\n') + '\n', { mode: 0o600 });
  return s;
}

function daemon(s: Setup): Proc {
  proc = run(['daemon', '--config', s.config], { XDG_CACHE_HOME: s.cache });
  return proc;
}

const mode = (p: string): string => (fs.statSync(p).mode & 0o777).toString(8);

async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; output:\n${proc?.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("the daemon's own files", () => {
  it('keeps its state folder 0700 and its index, log and registry cache 0600 (existing ones tightened)', async () => {
    const s = setup();
    hs.file('alice/pair/a.txt', 'from the server');
    // Left by an older version, with the umask's modes.
    fs.mkdirSync(s.state, { mode: 0o755 });
    fs.chmodSync(s.state, 0o755);
    fs.mkdirSync(path.dirname(s.log));
    fs.writeFileSync(s.log, '', { mode: 0o644 });
    fs.chmodSync(s.log, 0o644);
    const p = daemon(s);
    await p.waitFor(/vosync daemon running/);
    await until(() => fs.existsSync(path.join(s.local, 'a.txt')), 'the first sync');
    const index = path.join(s.state, 'index.sqlite');
    const cached = fs
      .readdirSync(s.cache, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.join(e.parentPath, e.name));
    expect(cached.length).toBeGreaterThanOrEqual(2); // resource-caps and the capabilities
    const modes = Object.fromEntries(
      [s.state, index, `${index}-wal`, `${index}-shm`, s.log, ...cached].map((f) => [
        path.relative(s.dir, f),
        mode(f),
      ]),
    );
    expect(modes).toEqual(
      Object.fromEntries(Object.keys(modes).map((k) => [k, k === 'state' ? '700' : '600'])),
    );
    expect(mode(path.join(s.cache, 'vosync', 'registry'))).toBe('700');
    expect(await p.kill('SIGTERM')).toBe(0);
  });
});

describe('SIGTERM', () => {
  it('stops the daemon within a few seconds while the server pages a listing for ever', async () => {
    const s = setup();
    hs.put('alice/pair', { kind: 'dir' });
    hs.script = endlessPaging('alice/pair', { advance: true });
    const p = daemon(s);
    await p.waitFor(/vosync daemon running/);
    // Well into the listing (default limits: it would run to 10 million children).
    await until(() => hs.seen('/vault/nodes/alice/pair?limit=').length >= 3, 'the endless listing');
    const started = Date.now();
    const code = await p.kill('SIGTERM');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(code).toBe(0);
    expect(p.output()).toMatch(/received SIGTERM/);
    expect(p.output()).not.toMatch(/sync failed/);
  });

  it('cuts off a download that stalls past the shutdown grace, and still exits within a few seconds', async () => {
    const s = setup(60); // the stall alone would not time out before the test does
    hs.file('alice/pair/big.bin', Buffer.alloc(1024 * 1024, 1));
    hs.script = (_req, res, { url }) => {
      if (!url.pathname.startsWith('/data/')) return false;
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': String(1024 * 1024),
      });
      res.write(Buffer.alloc(1000, 1)); // then nothing, for ever
      return true;
    };
    const p = daemon(s);
    await p.waitFor(/vosync daemon running/);
    await until(() => fs.readdirSync(s.local).some((f) => f.startsWith('.vosync-tmp-')), 'the download');
    const started = Date.now();
    const code = await p.kill('SIGTERM');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(code).toBe(0);
    expect(fs.existsSync(path.join(s.local, 'big.bin'))).toBe(false);
  });
});
