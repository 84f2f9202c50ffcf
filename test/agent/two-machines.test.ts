/**
 * Two machines, one remote folder, in one process: two pairs (each its own folder and index, its own host
 * name) syncing the same Vault folder of a real embedded server. The cases of the two-machine issue that do
 * not need two daemon processes: every name people use syncs (the name mapping), conflict copies reach both
 * machines. Each case ends with both folders identical and one more cycle on each planning nothing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText, type PairConfig } from '../../src/agent/config.js';
import { SyncIndex } from '../../src/agent/index-db.js';
import { syncPair, syncUntilStable, type PairContext } from '../../src/agent/pair-sync.js';
import { isPlanEmpty } from '../../src/agent/reconcile.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { Client } from '../../src/vospace/client.js';

let srv: RunningServer;
let tmp: string;
let client: Client;
let n = 0;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vosync-two-'));
  srv = await startServer({
    dataDir: path.join(tmp, 'server'),
    users: [{ name: 'alice', token: 'alicetoken1' }],
  });
  client = new Client({
    registryUrl: `${srv.baseUrl}/reg/resource-caps`,
    cacheDir: path.join(tmp, 'cache'),
    credentials: { kind: 'token', token: 'alicetoken1' },
  });
});

afterAll(async () => {
  await client.close();
  await srv.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface Machine {
  local: string;
  ctx: PairContext;
}

/** Two machines on a fresh remote folder. */
function machines(extra = ''): [Machine, Machine, string] {
  n++;
  const remote = `vos:alice/two${n}`;
  const make = (host: string): Machine => {
    const local = path.join(tmp, `${host}${n}`);
    fs.mkdirSync(local, { recursive: true });
    const cfg = parseConfigText(
      `pairs:\n  - name: p\n    local: ${local}\n    remote: ${remote}\n${extra}`,
      'test.yaml',
    );
    const index = SyncIndex.open(path.join(tmp, `${host}${n}.sqlite`));
    let clock = Date.UTC(2026, 11, 1, 22, 18, 15);
    return {
      local,
      ctx: {
        pair: cfg.pairs[0] as PairConfig,
        client,
        index,
        now: () => (clock += 1000),
        host,
        concurrency: 4,
        caseInsensitiveLocal: false,
      },
    };
  };
  return [make('laptop'), make('desk'), remote];
}

async function settle(...ms: Machine[]): Promise<void> {
  for (let round = 0; round < 2; round++) for (const m of ms) await syncUntilStable(m.ctx);
  for (const m of ms) {
    const again = await syncPair(m.ctx);
    expect(again.plan && isPlanEmpty(again.plan), `${m.ctx.host} plans more`).toBe(true);
  }
}

/** Every file below a folder (NFC names) with its content, the pair's private folder left out. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (rel === '' && e.name === '.vosync') continue;
      const r = (rel === '' ? e.name : `${rel}/${e.name}`).normalize('NFC');
      if (e.isDirectory()) walk(path.join(d, e.name), r);
      else out[r] = fs.readFileSync(path.join(d, e.name), 'utf8');
    }
  };
  walk(dir, '');
  return out;
}

const put = (m: Machine, rel: string, content: string) => {
  fs.mkdirSync(path.dirname(path.join(m.local, rel)), { recursive: true });
  fs.writeFileSync(path.join(m.local, rel), content);
};

describe('two machines sharing one remote folder', () => {
  it('syncs every name people use, mapped to names CADC can store and back', async () => {
    const [a, b, remote] = machines();
    const names = [
      'My Paper draft.pdf',
      'data [1].fits',
      '50% done.txt',
      'notes (v2).md',
      'a#b.txt',
      'Amélie.txt',
      'sub dir/inner file?.txt',
      'x'.repeat(250) + '.txt',
      '~20 literal.txt',
    ];
    for (const name of names) put(a, name, `content of ${name}`);
    // macOS writes names decomposed (NFD): one name with its NFC spelling, synced once.
    put(a, 'Ame\u0301lie-nfd.txt', 'decomposed');
    await settle(a, b);
    expect(tree(b.local)).toEqual(tree(a.local));
    expect(Object.keys(tree(b.local))).toHaveLength(names.length + 1);
    const onServer = await client.listdir(remote);
    expect(onServer).toContain('My~20Paper~20draft.pdf');
    expect(onServer).toContain('data~20~5B1~5D.fits');
    expect(onServer).toContain('Amélie-nfd.txt');
    expect(onServer).toContain('~7E20~20literal.txt');
    expect(await client.listdir(`${remote}/sub~20dir`)).toEqual(['inner~20file~3F.txt']);
    // Edits and deletes of mapped names travel too.
    put(b, 'My Paper draft.pdf', 'edited on the desk');
    fs.rmSync(path.join(b.local, 'data [1].fits'));
    await settle(b, a);
    expect(tree(a.local)['My Paper draft.pdf']).toBe('edited on the desk');
    expect(tree(a.local)['data [1].fits']).toBeUndefined();
  });

  it('reports a name too long once encoded as not synced, once, and syncs the rest', async () => {
    const [a, b] = machines();
    const long = 'a b'.repeat(70) + '.txt';
    put(a, long, 'too long for the server once mapped');
    put(a, 'fine.txt', 'fine');
    const first = await syncPair(a.ctx);
    expect(first.localProblems).toEqual([
      expect.objectContaining({
        path: long,
        message: expect.stringMatching(/name too long for the remote once encoded/),
      }),
    ]);
    await settle(a, b);
    expect(tree(b.local)).toEqual({ 'fine.txt': 'fine' });
    expect(fs.existsSync(path.join(a.local, long))).toBe(true);
  });

  it('keeps names as they are with nameEncoding off: such files stay local and are reported', async () => {
    const [a] = machines('    nameEncoding: false\n');
    put(a, 'with space.txt', 'x');
    const r = await syncPair(a.ctx);
    expect(r.localProblems.map((p) => p.path)).toEqual(['with space.txt']);
    expect(r.localProblems[0]!.message).toMatch(/illegal character 'space'/);
  });

  it('puts a conflict copy on both machines', async () => {
    const [a, b] = machines();
    put(a, 'report.txt', 'v1');
    await settle(a, b);
    put(a, 'report.txt', 'laptop edit');
    put(b, 'report.txt', 'desk edit');
    await syncUntilStable(b.ctx);
    await settle(a, b);
    const files = tree(a.local);
    expect(tree(b.local)).toEqual(files);
    const copies = Object.keys(files).filter((f) => f.startsWith('report.conflict-'));
    expect(copies).toEqual([expect.stringMatching(/^report\.conflict-\d{8}-\d{6}-laptop\.txt$/)]);
    expect(files['report.txt']).toBe('desk edit');
    expect(files[copies[0]!]).toBe('laptop edit');
  });
});
