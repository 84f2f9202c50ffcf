/**
 * Two machines, one remote folder, in one process: two pairs (each its own folder and index, its own host
 * name) syncing the same Vault folder of a real embedded server. The cases of the two-machine issue that do
 * not need two daemon processes: every name people use syncs (the name mapping), conflict copies reach both
 * machines. Each case ends with both folders identical and one more cycle on each planning nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncPair, syncUntilStable } from '../../src/agent/engine/pair-sync.js';
import { isPlanEmpty } from '../../src/agent/reconcile/index.js';
import type { RunningServer } from '../../src/server/server.js';
import { startAliceServer, type AliceServer } from '../support/alice-server.js';
import { openPair, type PairFixture } from '../support/pair-fixture.js';
import { vospaceRemote } from '../../src/agent/remote/vospace/connect.js';
import { Client } from '../../src/vospace/client.js';
import { PLACEHOLDER_GRACE_MS } from '../../src/agent/engine/prepare.js';

let server: AliceServer;
let srv: RunningServer;
let tmp: string;
let client: Client;
let n = 0;

beforeAll(async () => {
  server = await startAliceServer('two');
  ({ srv, tmp } = server);
  client = server.client();
});

afterAll(async () => {
  await server.close();
});

/** Two machines on a fresh remote folder; `settings` are further keys of both pairs. */
function machines(settings: Record<string, unknown> = {}): [PairFixture, PairFixture, string] {
  n++;
  const remote = `vos:alice/two${n}`;
  const make = (host: string): PairFixture =>
    openPair({
      name: 'p',
      local: path.join(tmp, `${host}${n}`),
      remote,
      settings,
      indexFile: path.join(tmp, `${host}${n}.sqlite`),
      client,
      clockStart: Date.UTC(2026, 11, 1, 22, 18, 15),
      host,
      concurrency: 4,
    });
  return [make('laptop'), make('desk'), remote];
}

async function settle(...ms: PairFixture[]): Promise<void> {
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
    for (const name of names) a.write(name, `content of ${name}`);
    // macOS writes names decomposed (NFD): one name with its NFC spelling, synced once.
    a.write('Ame\u0301lie-nfd.txt', 'decomposed');
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
    b.write('My Paper draft.pdf', 'edited on the desk');
    fs.rmSync(path.join(b.local, 'data [1].fits'));
    await settle(b, a);
    expect(tree(a.local)['My Paper draft.pdf']).toBe('edited on the desk');
    expect(tree(a.local)['data [1].fits']).toBeUndefined();
  });

  it('reports a name too long once encoded as not synced, once, and syncs the rest', async () => {
    const [a, b] = machines();
    const long = 'a b'.repeat(70) + '.txt';
    a.write(long, 'too long for the server once mapped');
    a.write('fine.txt', 'fine');
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
    const [a] = machines({ nameEncoding: false });
    a.write('with space.txt', 'x');
    const r = await syncPair(a.ctx);
    expect(r.localProblems.map((p) => p.path)).toEqual(['with space.txt']);
    expect(r.localProblems[0]!.message).toMatch(/illegal character 'space'/);
  });

  it('keeps both versions when both machines upload the same file at the same moment', async () => {
    const [a, b] = machines();
    a.write('f.txt', 'A\n');
    await settle(a, b);
    a.write('f.txt', 'A\nfrom the laptop\n');
    b.write('f.txt', 'A\nfrom the desk\n');
    // Both agents check the node, find it unchanged, and upload: VOSpace has no conditional PUT.
    const [ra, rb] = await Promise.all([syncPair(a.ctx), syncPair(b.ctx)]);
    expect(ra.report?.done).toBeGreaterThan(0);
    expect(rb.report?.done).toBeGreaterThan(0);
    await settle(a, b);
    const files = tree(a.local);
    expect(tree(b.local)).toEqual(files);
    expect(Object.values(files).sort()).toEqual(['A\nfrom the desk\n', 'A\nfrom the laptop\n']);
    const copies = Object.keys(files).filter((f) => f.startsWith('f.conflict-'));
    expect(copies).toHaveLength(1);
  });

  it('a file that keeps changing while it uploads converges to its last content, with no conflict copy', async () => {
    const [a, b] = machines();
    a.write('growing.log', 'start\n');
    await settle(a, b);
    const slow = new Client({
      registryUrl: `${srv.baseUrl}/reg/resource-caps`,
      cacheDir: path.join(tmp, 'cache-slow'),
      credentials: { kind: 'token', token: 'alicetoken1' },
      bytesPerSecond: 4 * 1024 * 1024,
    });
    const file = path.join(a.local, 'growing.log');
    try {
      const ctx = { ...a.ctx, remote: vospaceRemote(slow, a.ctx.pair) };
      fs.appendFileSync(file, 'x'.repeat(3 * 1024 * 1024));
      for (let i = 0; i < 3; i++) {
        const cycle = syncPair(ctx);
        // Appended while the previous content is on its way: the server ends up with a version that was
        // never the file's final content, sent by this machine itself.
        await new Promise((r) => setTimeout(r, 250));
        fs.appendFileSync(file, `more ${i}\n`);
        await cycle;
        await syncPair(b.ctx);
      }
      await syncUntilStable(ctx);
    } finally {
      await slow.close();
    }
    await settle(a, b);
    const files = tree(a.local);
    expect(Object.keys(files)).toEqual(['growing.log']);
    expect(files['growing.log']!.endsWith('more 2\n')).toBe(true);
    expect(tree(b.local)).toEqual(files);
  });

  it('waits for a file another machine is still uploading instead of taking its empty placeholder', async () => {
    const [a, b, remote] = machines();
    a.write('seed.txt', 'seed');
    await settle(a, b);
    // The laptop's push negotiation made the node; its bytes are not there yet.
    const empty = path.join(tmp, 'empty');
    fs.writeFileSync(empty, '');
    await client.upload(empty, `${remote}/cube.fits`);
    const held = await syncPair(b.ctx);
    expect(held.waiting).toEqual([{ path: 'cube.fits', reason: expect.stringMatching(/being uploaded/) }]);
    expect(held.clean).toBe(false);
    expect(fs.existsSync(path.join(b.local, 'cube.fits'))).toBe(false);
    // The bytes arrive: the desk downloads them, and no 0-byte version ever went to its trash.
    a.write('cube.fits', 'the real cube');
    await client.upload(path.join(a.local, 'cube.fits'), `${remote}/cube.fits`);
    await settle(a, b);
    expect(tree(b.local)['cube.fits']).toBe('the real cube');
    expect(fs.existsSync(path.join(b.local, '.vosync', 'trash'))).toBe(false);
  });

  it('takes a node that stays empty for the grace time as an empty file', async () => {
    const [, b, remote] = machines();
    const empty = path.join(tmp, 'empty2');
    fs.writeFileSync(empty, '');
    await client.mkdir(remote);
    await client.upload(empty, `${remote}/empty.txt`);
    expect((await syncPair(b.ctx)).waiting).toHaveLength(1);
    b.advance(PLACEHOLDER_GRACE_MS);
    const r = await syncPair(b.ctx);
    expect(r.waiting).toEqual([]);
    expect(tree(b.local)).toEqual({ 'empty.txt': '' });
    expect(b.ctx.index.listMeta(b.ctx.index.getPair('p')!.id)).toEqual({});
  });

  it('puts a conflict copy on both machines', async () => {
    const [a, b] = machines();
    a.write('report.txt', 'v1');
    await settle(a, b);
    a.write('report.txt', 'laptop edit');
    b.write('report.txt', 'desk edit');
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
