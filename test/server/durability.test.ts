/**
 * Acceptance: "A server under a 2,000-file upload through its API with faults on keeps every acknowledged
 * byte, and a restart loses nothing" — plus the same promise across a SIGKILL of a server process.
 *
 * The client side keeps, per file, the contents the server may legitimately hold: the last acknowledged
 * one, plus any attempt started after it that could have been committed without an answer reaching us.
 * Attempts that can never be committed (a body cut short by the client, a Digest that does not match)
 * are not added, so the previous acknowledged content must survive them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFaultSpec, FAULT_KINDS } from '../../src/server/faults.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { PROP } from '../../src/vospace/xml.js';
import {
  abortedPut,
  download,
  eachLimited,
  expectStatus,
  filesUnder,
  isAck,
  putOnce,
  putUrl,
  spawnServe,
  stopServe,
  tempDir,
  uploadUntilAcked,
  uploader,
  type ServeProcess,
  type Uploader,
} from './fault-helpers.js';
import { nodeXml, readNode, vosUri, type Service, md5b64 } from './helpers.js';
import { md5Hex } from '../../src/util/md5.js';

const ALICE = 'alicetoken1';
const USERS = [{ name: 'alice', token: ALICE }];
const CONTAINERS: Record<Service, string> = { vault: 'alice/dur', arc: 'home/alice/dur' };
const FAULTS =
  'rate=0.2,kinds=error+unavailable+reset+truncate+stall,endpoints=nodes+transfers+data,retryAfter=0,stallMs=50';

/** mulberry32: reproducible "random" contents, so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function contents(rand: () => number, min = 1024, max = 8192): Buffer {
  const b = Buffer.alloc(min + Math.floor(rand() * (max - min)));
  for (let i = 0; i < b.length; i += 4)
    b.writeUInt32LE(Math.floor(rand() * 2 ** 32), Math.min(i, b.length - 4));
  return b;
}

interface Tracked {
  svc: Service;
  path: string;
  /** Contents the server may hold: the last acknowledged one and attempts started after it. */
  allowed: Buffer[];
  acked: boolean;
}

class Ledger {
  readonly files = new Map<string, Tracked>();

  track(svc: Service, p: string): Tracked {
    const key = `${svc}:${p}`;
    let t = this.files.get(key);
    if (!t) {
      t = { svc, path: p, allowed: [], acked: false };
      this.files.set(key, t);
    }
    return t;
  }

  /** An attempt with these bytes may reach the server. */
  attempt(t: Tracked, bytes: Buffer): void {
    if (!t.allowed.some((b) => b.equals(bytes))) t.allowed.push(bytes);
  }

  /** The server acknowledged these bytes: nothing older can be current any more. */
  ack(t: Tracked, bytes: Buffer): void {
    t.allowed = [bytes];
    t.acked = true;
  }
}

/** Uploads until acknowledged, keeping the ledger up to date. */
async function write(
  u: Uploader,
  ledger: Ledger,
  t: Tracked,
  bytes: Buffer,
  signal?: AbortSignal,
): Promise<void> {
  await uploadUntilAcked(u, t.svc, t.path, bytes, {
    onAttempt: () => ledger.attempt(t, bytes),
    ...(signal ? { signal } : {}),
  });
  ledger.ack(t, bytes);
}

/** Retries a step that must eventually get through the faults (negotiation, container creation). */
async function persist<T>(what: string, fn: () => Promise<T>): Promise<T> {
  let last: unknown;
  for (let i = 0; i < 50; i++) {
    try {
      return await fn();
    } catch (e) {
      last = e;
    }
  }
  throw new Error(`${what}: ${(last as Error).message}`);
}

async function makeContainers(base: string): Promise<void> {
  for (const svc of ['vault', 'arc'] as const) {
    const p = CONTAINERS[svc];
    await expectStatus(201, 'PUT', `${base}/${svc}/nodes/${p}`, {
      token: ALICE,
      body: nodeXml(vosUri(svc, p), 'ContainerNode'),
      headers: { 'content-type': 'text/xml' },
    });
  }
}

interface Listed {
  length: number;
  md5: string | undefined;
}

/** Child DataNodes of a container with their length and MD5 properties, by node path. */
async function listing(base: string, svc: Service): Promise<Map<string, Listed>> {
  const r = await expectStatus(200, 'GET', `${base}/${svc}/nodes/${CONTAINERS[svc]}?detail=max`, {
    token: ALICE,
  });
  const out = new Map<string, Listed>();
  for (const c of readNode(r.body.toString('utf8')).children) {
    const name = c.uri.slice(c.uri.lastIndexOf('/') + 1);
    out.set(`${CONTAINERS[svc]}/${name}`, {
      length: Number(c.props[PROP.length]?.value ?? NaN),
      md5: c.props[PROP.md5]?.value,
    });
  }
  return out;
}

/**
 * Checks every tracked file against what the server serves now: bytes, Digest and node properties must
 * describe one of the allowed contents. Files never acknowledged may be absent or empty.
 */
async function verify(base: string, ledger: Ledger): Promise<{ checked: number }> {
  const u = uploader(base, ALICE, 8);
  const listed = { vault: await listing(base, 'vault'), arc: await listing(base, 'arc') };
  const problems: string[] = [];
  let checked = 0;
  await eachLimited([...ledger.files.values()], 8, async (t) => {
    const props = listed[t.svc].get(t.path);
    if (!t.acked && (!props || props.length === 0)) return;
    checked++;
    const r = await download(u, t.svc, t.path);
    if (r.bodyError || r.status !== 200) {
      problems.push(`${t.svc}:${t.path}: GET → ${r.status} ${r.bodyError?.message ?? ''}`);
      return;
    }
    if (!t.allowed.some((b) => b.equals(r.body))) {
      problems.push(
        `${t.svc}:${t.path}: ${r.body.length} bytes (md5 ${md5Hex(r.body)}) match no allowed content`,
      );
      return;
    }
    if (r.headers['digest'] !== `md5=${md5b64(r.body)}`)
      problems.push(`${t.svc}:${t.path}: Digest header wrong`);
    if (props?.length !== r.body.length || props.md5 !== md5Hex(r.body)) {
      problems.push(`${t.svc}:${t.path}: properties ${JSON.stringify(props)} do not describe the bytes`);
    }
    if (t.path.endsWith('0.bin')) {
      // A sample read node by node as well, not only through the container listing.
      const node = readNode(
        (
          await expectStatus(200, 'GET', `${base}/${t.svc}/nodes/${t.path}`, { token: ALICE })
        ).body.toString(),
      );
      if (
        node.props[PROP.length]?.value !== String(r.body.length) ||
        node.props[PROP.md5]?.value !== md5Hex(r.body)
      )
        problems.push(`${t.svc}:${t.path}: node properties do not describe the bytes`);
    }
  });
  await u.dispatcher.close();
  expect(problems.slice(0, 20)).toEqual([]);
  return { checked };
}

/** After a start: no temp files, and one blob per non-empty DataNode (no orphans, none missing). */
async function expectCleanStorage(base: string, dataDir: string): Promise<void> {
  expect(filesUnder(path.join(dataDir, 'tmp'))).toEqual([]);
  let nonEmpty = 0;
  for (const svc of ['vault', 'arc'] as const) {
    for (const n of (await listing(base, svc)).values()) if (n.length > 0) nonEmpty++;
  }
  expect(filesUnder(path.join(dataDir, 'blobs')).length).toBe(nonEmpty);
}

describe('durability of acknowledged uploads under faults', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('durability');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps every acknowledged byte of a 2,000-file upload with faults on, and a restart loses nothing', async () => {
    const dataDir = path.join(dir, 'inproc');
    let srv: RunningServer = await startServer({ dataDir, port: 0, users: USERS, admin: 'alice' });
    const ledger = new Ledger();
    const rand = prng(20_240_601);
    try {
      await makeContainers(srv.baseUrl);
      srv.faults.configure(parseFaultSpec(`${FAULTS},seed=7`));
      const u = uploader(srv.baseUrl, ALICE, 16);

      // 1. 2,000 new files: 1,200 through Vault's negotiated storage URLs, 800 through ARC's direct PUT.
      const initial = Array.from({ length: 2000 }, (_, i) => {
        const svc: Service = i % 5 < 3 ? 'vault' : 'arc';
        return {
          t: ledger.track(svc, `${CONTAINERS[svc]}/f${String(i).padStart(4, '0')}.bin`),
          bytes: contents(rand),
        };
      });
      await eachLimited(initial, 16, ({ t, bytes }) => write(u, ledger, t, bytes));
      expect([...ledger.files.values()].every((t) => t.acked)).toBe(true);

      const pick = (from: number, count: number): Tracked[] =>
        initial.slice(from, from + count).map((x) => x.t);

      // 2. Valid overwrites (other sizes) must replace the content once acknowledged.
      await eachLimited(pick(0, 150), 16, (t) => write(u, ledger, t, contents(rand, 100, 20_000)));

      // 3. Overwrites the client abandons mid-body: the previous content must survive.
      let aborted = 0;
      await eachLimited(pick(150, 100), 16, async (t) => {
        const url = await persist('negotiation', () => putUrl(u, t.svc, t.path));
        const next = contents(rand);
        await abortedPut(url, next, {
          authorization: `Bearer ${ALICE}`,
          digest: `md5=${md5b64(next)}`,
        });
        aborted++;
      });
      expect(aborted).toBe(100);

      // 4. Overwrites whose Digest does not match the body: 412, and the previous content stays.
      let rejected = 0;
      await eachLimited(pick(250, 100), 16, async (t) => {
        const next = contents(rand);
        for (let i = 0; i < 50; i++) {
          const url = await persist('negotiation', () => putUrl(u, t.svc, t.path));
          const r = await putOnce(u, url, next, Buffer.from('something else')).catch(() => undefined);
          if (r && isAck(r, next)) throw new Error(`${t.path}: a body with a wrong Digest was acknowledged`);
          if (r?.status === 412 && !r.bodyError) {
            expect(r.body.toString()).toMatch(/checksum mismatch/);
            rejected++;
            return;
          }
        }
        throw new Error(`${t.path}: never got a 412 through the faults`);
      });
      expect(rejected).toBe(100);

      // 5. Two writers racing on the same nodes: the survivor is one of the two acknowledged contents.
      const races = pick(350, 20);
      await Promise.all(
        races.map(async (t) => {
          const a = contents(rand);
          const b = contents(rand);
          await Promise.all([write(u, ledger, t, a), write(u, ledger, t, b)]);
          t.allowed = [a, b];
        }),
      );

      // The faults really happened, of every kind.
      for (const k of FAULT_KINDS) expect(srv.faults.stats.injected[k]).toBeGreaterThan(0);
      expect(u.retries).toBeGreaterThan(100);
      await u.dispatcher.close();

      // 6. Restart on the same data directory, faults off, and check everything.
      await srv.close();
      srv = await startServer({ dataDir, port: 0, users: USERS, admin: 'alice' });
      await expectCleanStorage(srv.baseUrl, dataDir);
      const listedCount =
        (await listing(srv.baseUrl, 'vault')).size + (await listing(srv.baseUrl, 'arc')).size;
      expect(listedCount).toBe(2000);
      const { checked } = await verify(srv.baseUrl, ledger);
      expect(checked).toBe(2000);
    } finally {
      await srv.close();
    }
  }, 120_000);

  it('keeps every acknowledged byte across a SIGKILL of the server process, and cleans up after it', async () => {
    const dataDir = path.join(dir, 'killed');
    const args = ['--data', dataDir, '--port', '0', '--user', `alice:${ALICE}`, '--admin', 'alice'];
    let child: ServeProcess = await spawnServe(args);
    const ledger = new Ledger();
    const rand = prng(99);
    try {
      await makeContainers(child.baseUrl);
      await expectStatus(200, 'POST', `${child.baseUrl}/_vosync/faults`, {
        token: ALICE,
        body: FAULTS.replace('rate=0.2', 'rate=0.1') + ',seed=11',
      });
      const u = uploader(child.baseUrl, ALICE, 16);
      const first = Array.from({ length: 300 }, (_, i) => {
        const svc: Service = i % 2 === 0 ? 'vault' : 'arc';
        return { t: ledger.track(svc, `${CONTAINERS[svc]}/k${i}.bin`), bytes: contents(rand) };
      });
      await eachLimited(first, 16, ({ t, bytes }) => write(u, ledger, t, bytes));

      // New files and overwrites in flight; the server is killed after 100 of them were acknowledged.
      const second = [
        ...Array.from({ length: 300 }, (_, i) => {
          const svc: Service = i % 2 === 0 ? 'vault' : 'arc';
          return { t: ledger.track(svc, `${CONTAINERS[svc]}/n${i}.bin`), bytes: contents(rand) };
        }),
        ...first.slice(0, 200).map(({ t }) => ({ t, bytes: contents(rand) })),
      ].sort(() => rand() - 0.5);
      const stop = new AbortController();
      let acked = 0;
      const kill = (): void => {
        if (!stop.signal.aborted) {
          child.proc.kill('SIGKILL');
          stop.abort();
        }
      };
      await eachLimited(second, 16, async ({ t, bytes }) => {
        try {
          await write(u, ledger, t, bytes, stop.signal);
          if (++acked === 100) kill();
        } catch (e) {
          if (!stop.signal.aborted) throw e;
        }
      });
      expect(stop.signal.aborted).toBe(true);
      expect((await child.exited).signal).toBe('SIGKILL');
      await u.dispatcher.destroy();

      // Crash leftovers the restart must clean: whatever the kill left, plus one of each planted here.
      fs.mkdirSync(path.join(dataDir, 'blobs', 'ff'), { recursive: true });
      fs.writeFileSync(path.join(dataDir, 'blobs', 'ff', 'ff'.repeat(16)), 'orphan');
      fs.writeFileSync(path.join(dataDir, 'tmp', 'half-written-upload'), 'partial');

      child = await spawnServe(args);
      await expectCleanStorage(child.baseUrl, dataDir);
      const ackedFiles = [...ledger.files.values()].filter((t) => t.acked).length;
      expect(ackedFiles).toBeGreaterThan(300);
      const { checked } = await verify(child.baseUrl, ledger);
      expect(checked).toBeGreaterThanOrEqual(ackedFiles);
    } finally {
      await stopServe(child);
    }
  }, 120_000);
});
