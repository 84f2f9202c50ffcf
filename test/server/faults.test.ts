/**
 * Fault injection: the spec language, the seeded decisions, and every fault kind as a client sees it over
 * real HTTP (in-process server), plus the admin-only control API on a server run as a child process.
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from 'undici';
import {
  FAULT_KINDS,
  FaultInjector,
  formatFaultSpec,
  parseFaultSpec,
  type EndpointClass,
  type FaultKind,
} from '../../src/server/faults.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import {
  call,
  eventually,
  expectStatus,
  filesUnder,
  negotiatePush,
  spawnServe,
  stopServe,
  tempDir,
  uploader,
  type ServeProcess,
} from './fault-helpers.js';
import { HTTPSPUT, transferXml, vosUri, md5b64 } from './helpers.js';

const ALICE = 'alicetoken1';
const BOB = 'bobtoken12';
const USERS = [
  { name: 'alice', token: ALICE },
  { name: 'bob', token: BOB },
];

describe('parseFaultSpec', () => {
  it('has everything off by default', () => {
    const s = parseFaultSpec('');
    expect(s.rate).toBe(0);
    expect(s.kinds).toEqual([...FAULT_KINDS]);
    expect(s.endpoints).toEqual(['nodes', 'transfers', 'data']);
    expect(s.methods).toEqual([]);
  });

  it('reads every key', () => {
    const s = parseFaultSpec(
      'rate=0.2,kinds=error+unavailable+reset+truncate+stall,endpoints=nodes+transfers+data,seed=7,' +
        'retryAfter=1,stallMs=2000,latencyMs=0,methods=GET+PUT',
    );
    expect(s).toEqual({
      rate: 0.2,
      kinds: ['error', 'unavailable', 'reset', 'truncate', 'stall'],
      endpoints: ['nodes', 'transfers', 'data'],
      methods: ['GET', 'PUT'],
      seed: 7,
      retryAfterSeconds: 1,
      stallMs: 2000,
      latencyMs: 0,
      every: 0,
      max: 0,
    });
  });

  it('accepts | as list separator, spaces, an ms suffix on durations and lower-case methods', () => {
    const s = parseFaultSpec(
      ' rate = 1 , kinds=reset|stall , endpoints=registry , stallMs=50ms, latencyMs=5ms, methods=get|head',
    );
    expect(s.rate).toBe(1);
    expect(s.kinds).toEqual(['reset', 'stall']);
    expect(s.endpoints).toEqual(['registry']);
    expect(s.stallMs).toBe(50);
    expect(s.latencyMs).toBe(5);
    expect(s.methods).toEqual(['GET', 'HEAD']);
  });

  it('round-trips through formatFaultSpec', () => {
    const text =
      'rate=0.3,kinds=error+stall,endpoints=data,seed=9,retryAfter=4,stallMs=10,latencyMs=2,methods=PUT,every=3,max=2';
    const s = parseFaultSpec(text);
    expect(parseFaultSpec(formatFaultSpec(s))).toEqual(s);
  });

  it.each([
    ['rate', /expected key=value/],
    ['rate=2', /rate must be a number in \[0, 1\]/],
    ['rate=-0.1', /rate must be/],
    ['rate=', /rate must be/],
    ['rate=abc', /rate must be/],
    ['rate=0.5ms', /rate must be/],
    ['rate=0x1', /rate must be/],
    ['kinds=boom', /unknown fault kind 'boom'/],
    ['kinds=', /no fault kind given/],
    ['kinds=error+', undefined],
    ['endpoints=storage', /unknown endpoint class 'storage'/],
    ['endpoints=', /no endpoint class given/],
    ['methods=FETCH', /unknown HTTP method 'FETCH'/],
    ['methods=', /no HTTP method given/],
    ['seed=1.5', /seed must be an integer/],
    ['seed=-1', /seed must be an integer/],
    ['seed=4294967296', /seed must be an integer/],
    ['retryAfter=1.5', /retryAfter must be an integer/],
    ['retryAfter=4000', /retryAfter must be an integer in \[0, 3600\]/],
    ['stallMs=700000', /stallMs must be a number in \[0, 600000\]/],
    ['latencyMs=x', /latencyMs must be/],
    ['every=1.5', /every must be an integer/],
    ['max=-1', /max must be an integer/],
    ['color=red', /unknown key 'color'/],
  ])('%s', (text, error) => {
    if (error) expect(() => parseFaultSpec(text)).toThrow(error);
    else expect(parseFaultSpec(text).kinds).toEqual(['error']);
  });
});

describe('FaultInjector decisions', () => {
  const CLASSES: EndpointClass[] = ['nodes', 'transfers', 'data', 'registry'];
  const METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'];
  /** A fixed, varied request sequence (independent of the injector's generator). */
  const sequence = Array.from({ length: 2000 }, (_, i) => ({
    cls: CLASSES[(i * 7) % CLASSES.length]!,
    method: METHODS[(i * 11) % METHODS.length]!,
  }));
  const run = (spec: string): (FaultKind | undefined)[] => {
    const f = new FaultInjector();
    f.configure(parseFaultSpec(spec));
    return sequence.map((r) => f.decide(r.cls, r.method));
  };

  it('injects nothing until configured', () => {
    const f = new FaultInjector();
    expect(sequence.map((r) => f.decide(r.cls, r.method)).filter(Boolean)).toEqual([]);
    expect(f.stats.requests).toBe(sequence.length);
    expect(Object.values(f.stats.injected)).toEqual([0, 0, 0, 0, 0]);
  });

  it('makes the same decisions for the same seed and request sequence, other ones for another seed', () => {
    const spec =
      'rate=0.3,kinds=error+unavailable+reset+truncate+stall,endpoints=nodes+transfers+data+registry';
    const a = run(`${spec},seed=7`);
    expect(run(`${spec},seed=7`)).toEqual(a);
    expect(run(`${spec},seed=8`)).not.toEqual(a);
  });

  it('restarts the sequence on configure and stops on disable', () => {
    const f = new FaultInjector();
    const spec = parseFaultSpec('rate=0.5,seed=3');
    f.configure(spec);
    const first = sequence.slice(0, 200).map((r) => f.decide(r.cls, r.method));
    f.configure(spec);
    expect(sequence.slice(0, 200).map((r) => f.decide(r.cls, r.method))).toEqual(first);
    f.disable();
    expect(sequence.map((r) => f.decide(r.cls, r.method)).filter(Boolean)).toEqual([]);
  });

  it('hits roughly `rate` of the affected requests, with every configured kind', () => {
    const f = new FaultInjector();
    f.configure(parseFaultSpec('rate=0.2,endpoints=nodes+transfers+data+registry,seed=11'));
    const got = sequence.map((r) => f.decide(r.cls, r.method));
    const hits = got.filter(Boolean).length;
    expect(hits).toBeGreaterThan(sequence.length * 0.15);
    expect(hits).toBeLessThan(sequence.length * 0.25);
    for (const k of FAULT_KINDS) expect(f.stats.injected[k]).toBeGreaterThan(0);
    expect(Object.values(f.stats.injected).reduce((a, b) => a + b, 0)).toBe(hits);
  });

  it('leaves other endpoint classes and methods alone', () => {
    const f = new FaultInjector();
    f.configure(parseFaultSpec('rate=1,kinds=error,endpoints=data,methods=PUT+DELETE'));
    for (const r of sequence) {
      const expected =
        r.cls === 'data' && (r.method === 'PUT' || r.method === 'DELETE') ? 'error' : undefined;
      expect(f.decide(r.cls, r.method)).toBe(expected);
    }
  });

  it('every=N faults exactly every N-th affected request, and max=N stops after N faults', () => {
    const d = run('every=3,kinds=reset,endpoints=data,methods=PUT');
    const affected = sequence
      .map((r, i) => ({ ...r, i }))
      .filter((r) => r.cls === 'data' && r.method === 'PUT');
    expect(affected.length).toBeGreaterThan(9);
    const hits = d.map((k, i) => (k ? i : -1)).filter((i) => i >= 0);
    expect(hits).toEqual(affected.filter((_, n) => (n + 1) % 3 === 0).map((r) => r.i));
    expect(d.filter(Boolean).every((k) => k === 'reset')).toBe(true);
    const capped = run('every=3,max=2,kinds=reset,endpoints=data,methods=PUT');
    expect(capped.map((k, i) => (k ? i : -1)).filter((i) => i >= 0)).toEqual(hits.slice(0, 2));
    expect(run('rate=1,max=4,endpoints=data').filter(Boolean)).toHaveLength(4);
  });

  it('applies latency only to the listed endpoint classes', () => {
    const f = new FaultInjector();
    f.configure(parseFaultSpec('latencyMs=40,endpoints=data'));
    expect(f.latencyFor('data')).toBe(40);
    expect(f.latencyFor('nodes')).toBe(0);
  });
});

describe('faults over HTTP', () => {
  let dir: string;
  let srv: RunningServer;
  const big = Buffer.alloc(200_000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
  const ARC_FILE = '/arc/files/home/alice/big.bin';

  const configure = (spec: string): void => srv.faults.configure(parseFaultSpec(spec));
  const url = (p: string): string => srv.baseUrl + p;

  beforeAll(async () => {
    dir = tempDir('faults');
    srv = await startServer({ dataDir: path.join(dir, 'data'), port: 0, users: USERS, admin: 'alice' });
    await expectStatus(201, 'PUT', url(ARC_FILE), {
      token: ALICE,
      body: big,
      headers: { digest: `md5=${md5b64(big)}` },
    });
    const u = uploader(srv.baseUrl, ALICE, 1);
    const ep = await negotiatePush(u, 'vault', 'alice/big.bin');
    await expectStatus(201, 'PUT', ep, { body: big, dispatcher: u.dispatcher });
  });
  afterEach(() => srv.faults.disable());
  afterAll(async () => {
    await srv.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const arcContent = async (): Promise<Buffer> =>
    (await expectStatus(200, 'GET', url(ARC_FILE), { token: ALICE })).body;
  const tmpFiles = (): string[] => filesUnder(path.join(dir, 'data', 'tmp'));

  it('are off by default', async () => {
    for (let i = 0; i < 30; i++) {
      await expectStatus(200, 'GET', url('/vault/nodes/alice'), { token: ALICE });
      const r = await expectStatus(200, 'GET', url(ARC_FILE), { token: ALICE });
      expect(r.body.equals(big)).toBe(true);
    }
    expect(srv.faults.stats.requests).toBeGreaterThanOrEqual(60);
    expect(Object.values(srv.faults.stats.injected)).toEqual([0, 0, 0, 0, 0]);
  });

  it('error: 500 with a CADC-style text/plain body', async () => {
    configure('rate=1,kinds=error');
    const r = await call('GET', url('/vault/nodes/alice'), { token: ALICE });
    expect(r.status).toBe(500);
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
    expect(r.body.toString()).toBe('InternalFault: injected fault\n');
    expect(Number(r.headers['content-length'])).toBe(r.body.length);
    expect(srv.faults.stats.injected.error).toBe(1);
  });

  it('unavailable: 503 with the configured Retry-After', async () => {
    configure('rate=1,kinds=unavailable,retryAfter=7');
    const r = await call('PUT', url(ARC_FILE), { token: ALICE, body: 'x' });
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('7');
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
    expect(r.body.toString()).toMatch(/^temporary unavailable: /);
    srv.faults.disable();
    expect((await arcContent()).equals(big)).toBe(true);
  });

  it('reset on a download: the client gets the headers, part of the body, then a connection error', async () => {
    configure('rate=1,kinds=reset,endpoints=data,methods=GET');
    const r = await call('GET', url(ARC_FILE), { token: ALICE });
    expect(r.status).toBe(200);
    expect(Number(r.headers['content-length'])).toBe(big.length);
    expect(r.bodyError).toBeDefined();
    expect(r.body.length).toBeLessThan(big.length);
    expect(big.subarray(0, r.body.length).equals(r.body)).toBe(true);
  });

  it('truncate: half the promised bytes, then the connection closes', async () => {
    configure('rate=1,kinds=truncate,endpoints=data');
    const r = await call('GET', url(ARC_FILE), { token: ALICE });
    expect(r.status).toBe(200);
    expect(Number(r.headers['content-length'])).toBe(big.length);
    expect(r.body.length).toBe(big.length / 2);
    expect(r.body.equals(big.subarray(0, big.length / 2))).toBe(true);
    expect(r.bodyError).toBeDefined();
  });

  it('truncate on the Vault storage URL behind the 303 as well', async () => {
    const first = await expectStatus(303, 'GET', url('/vault/files/alice/big.bin'), { token: ALICE });
    configure('rate=1,kinds=truncate,endpoints=data');
    const r = await call('GET', first.headers['location']!);
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(big.length / 2);
    expect(r.bodyError).toBeDefined();
  });

  it('stall: no more bytes after half the body (a client timeout fires first)', async () => {
    configure('rate=1,kinds=stall,endpoints=data,stallMs=20000');
    const r = await call('GET', url(ARC_FILE), { token: ALICE, timeoutMs: 300 });
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(big.length / 2);
    expect(r.bodyError?.code).toBe('UND_ERR_BODY_TIMEOUT');
  });

  it('stall: the server drops the connection after stallMs', async () => {
    configure('rate=1,kinds=stall,endpoints=data,stallMs=150');
    const started = performance.now();
    const r = await call('GET', url(ARC_FILE), { token: ALICE, timeoutMs: 10_000 });
    expect(r.body.length).toBe(big.length / 2);
    expect(r.bodyError).toBeDefined();
    expect(r.bodyError?.code).not.toBe('UND_ERR_BODY_TIMEOUT');
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
  });

  it('cuts a response without a body before its headers (303, HEAD), so it never looks complete', async () => {
    configure('rate=1,kinds=truncate,endpoints=data');
    await expect(call('GET', url('/vault/files/alice/big.bin'), { token: ALICE })).rejects.toThrow();
    await expect(call('HEAD', url(ARC_FILE), { token: ALICE })).rejects.toThrow();
    configure('rate=1,kinds=reset,endpoints=transfers');
    const xml = transferXml(vosUri('vault', 'alice/new.bin', '!'), 'pushToVoSpace', {
      protocols: [{ uri: HTTPSPUT }],
    });
    await expect(
      call('POST', url('/vault/synctrans'), {
        token: ALICE,
        body: xml,
        headers: { 'content-type': 'text/xml' },
      }),
    ).rejects.toThrow();
    // A body is cut at half, whatever the status.
    configure('rate=1,kinds=truncate,endpoints=transfers');
    const r = await call('POST', url('/vault/synctrans'), {
      token: ALICE,
      body: '<not-a-transfer/>',
      headers: { 'content-type': 'text/xml' },
    });
    expect(r.status).toBe(400);
    expect(r.body.length).toBe(Math.floor(Number(r.headers['content-length']) / 2));
    expect(r.bodyError).toBeDefined();
  });

  it('never leaves a cut connection for reuse: the next request on the same keep-alive pool works', async () => {
    const pool = new Agent({ connections: 1, pipelining: 1 });
    try {
      for (const kind of ['truncate', 'reset', 'stall'] as const) {
        await expectStatus(200, 'GET', url('/vault/nodes/alice'), { token: ALICE, dispatcher: pool });
        configure(`rate=1,kinds=${kind},endpoints=data,stallMs=50`);
        await call('HEAD', url(ARC_FILE), { token: ALICE, dispatcher: pool }).then(
          () => expect.fail(`HEAD with ${kind} completed`),
          () => undefined,
        );
        srv.faults.disable();
        const r = await expectStatus(200, 'GET', url(ARC_FILE), { token: ALICE, dispatcher: pool });
        expect(r.body.equals(big)).toBe(true);
      }
    } finally {
      await pool.close();
    }
  });

  it('adds latency to the affected classes only', async () => {
    configure('latencyMs=200,endpoints=nodes');
    let started = performance.now();
    await expectStatus(200, 'GET', url('/vault/nodes/alice'), { token: ALICE });
    expect(performance.now() - started).toBeGreaterThanOrEqual(195);
    configure('latencyMs=20000,endpoints=data');
    started = performance.now();
    // Would time out (client limit 5 s) if the data class's latency were applied here.
    await expectStatus(200, 'GET', url('/vault/nodes/alice'), { token: ALICE, timeoutMs: 5000 });
  });

  it('respects the endpoints filter', async () => {
    configure('rate=1,kinds=error,endpoints=data');
    await expectStatus(200, 'GET', url('/vault/nodes/alice'), { token: ALICE });
    await expectStatus(200, 'GET', url('/reg/resource-caps'));
    expect((await call('GET', url(ARC_FILE), { token: ALICE })).status).toBe(500);

    configure('rate=1,kinds=error,endpoints=transfers');
    expect(
      (
        await call('POST', url('/vault/synctrans'), {
          token: ALICE,
          body: '<x/>',
          headers: { 'content-type': 'text/xml' },
        })
      ).status,
    ).toBe(500);
    await expectStatus(200, 'GET', url(ARC_FILE), { token: ALICE });

    configure('rate=1,kinds=error,endpoints=registry');
    for (const p of ['/reg/resource-caps', '/vault/capabilities', '/arc/availability', '/ac/capabilities']) {
      expect((await call('GET', url(p))).status).toBe(500);
    }
    await expectStatus(200, 'GET', url('/vault/nodes/alice'), { token: ALICE });
  });

  it('respects the methods filter', async () => {
    configure('rate=1,kinds=error,endpoints=data+nodes,methods=PUT');
    await expectStatus(200, 'GET', url('/vault/nodes/alice'), { token: ALICE });
    await expectStatus(200, 'GET', url(ARC_FILE), { token: ALICE });
    expect((await call('PUT', url(ARC_FILE), { token: ALICE, body: 'new' })).status).toBe(500);
    expect((await arcContent()).equals(big)).toBe(true);
  });

  it('is deterministic over HTTP: same seed and requests → same answers on two servers', async () => {
    const spec = 'rate=0.5,kinds=error+unavailable,endpoints=nodes+data,seed=42';
    const statuses = async (s: RunningServer): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < 40; i++) {
        const p = i % 3 === 0 ? ARC_FILE : '/vault/nodes/alice';
        out.push((await call('GET', s.baseUrl + p, { token: ALICE })).status);
      }
      return out;
    };
    const other = await startServer({
      dataDir: path.join(dir, 'data2'),
      port: 0,
      users: USERS,
      admin: 'alice',
    });
    try {
      await expectStatus(201, 'PUT', other.baseUrl + ARC_FILE, { token: ALICE, body: big });
      srv.faults.configure(parseFaultSpec(spec));
      other.faults.configure(parseFaultSpec(spec));
      const a = await statuses(srv);
      expect(await statuses(other)).toEqual(a);
      expect(new Set(a)).toEqual(new Set([200, 500, 503]));
      other.faults.configure(parseFaultSpec(spec.replace('seed=42', 'seed=43')));
      expect(await statuses(other)).not.toEqual(a);
    } finally {
      await other.close();
    }
  });

  describe('upload sabotage', () => {
    const fresh = Buffer.alloc(300_000, 0x5a);

    it('reset cuts the upload mid-body: nothing is committed and no temp file stays', async () => {
      configure('rate=1,kinds=reset,endpoints=data,methods=PUT');
      const r = await call('PUT', url(ARC_FILE), {
        token: ALICE,
        body: fresh,
        headers: { digest: `md5=${md5b64(fresh)}` },
      }).catch((e: Error) => e);
      expect(r instanceof Error || r.status !== 201).toBe(true);
      srv.faults.disable();
      expect((await arcContent()).equals(big)).toBe(true);
      expect(await eventually(() => tmpFiles().length === 0)).toBe(true);
    });

    it('reset with added latency still cuts the body before the handler can commit it', async () => {
      // The whole (small) body arrives while the latency is applied: the cut must already be armed.
      configure('rate=1,kinds=reset,endpoints=data,methods=PUT,latencyMs=150');
      const small = Buffer.from('small body that arrives in one segment');
      const r = await call('PUT', url(ARC_FILE), { token: ALICE, body: small }).catch((e: Error) => e);
      expect(r instanceof Error || r.status !== 201).toBe(true);
      srv.faults.disable();
      expect((await arcContent()).equals(big)).toBe(true);
      expect(await eventually(() => tmpFiles().length === 0)).toBe(true);
    });

    it('reset on a Vault storage URL keeps the previous content too', async () => {
      const u = uploader(srv.baseUrl, ALICE, 1);
      const ep = await negotiatePush(u, 'vault', 'alice/big.bin');
      configure('rate=1,kinds=reset,endpoints=data,methods=PUT');
      const r = await call('PUT', ep, { body: fresh, dispatcher: u.dispatcher }).catch((e: Error) => e);
      expect(r instanceof Error || r.status !== 201).toBe(true);
      srv.faults.disable();
      const first = await expectStatus(303, 'GET', url('/vault/files/alice/big.bin'), { token: ALICE });
      expect((await expectStatus(200, 'GET', first.headers['location']!)).body.equals(big)).toBe(true);
      expect(await eventually(() => tmpFiles().length === 0)).toBe(true);
    });

    it('stall holds the upload half-received, then drops it; nothing is committed', async () => {
      configure('rate=1,kinds=stall,endpoints=data,methods=PUT,stallMs=200');
      const r = await call('PUT', url(ARC_FILE), { token: ALICE, body: fresh }).catch((e: Error) => e);
      expect(r instanceof Error || r.status !== 201).toBe(true);
      srv.faults.disable();
      expect((await arcContent()).equals(big)).toBe(true);
      expect(await eventually(() => tmpFiles().length === 0)).toBe(true);
    });

    it('truncate lets the upload commit and loses the answer (the ambiguous acknowledgement)', async () => {
      const other = Buffer.from('committed but never acknowledged');
      await expectStatus(201, 'PUT', url('/arc/files/home/alice/ambiguous.txt'), {
        token: ALICE,
        body: 'before',
      });
      configure('rate=1,kinds=truncate,endpoints=data,methods=PUT');
      await expect(
        call('PUT', url('/arc/files/home/alice/ambiguous.txt'), { token: ALICE, body: other }),
      ).rejects.toThrow();
      srv.faults.disable();
      const r = await expectStatus(200, 'GET', url('/arc/files/home/alice/ambiguous.txt'), { token: ALICE });
      expect(r.body.equals(other)).toBe(true);
    });
  });

  describe('control API', () => {
    const ctl = (p: string): string => url(`/_vosync/${p}`);

    it('requires the admin: anonymous and other users 403, a bad token 401', async () => {
      expect((await call('GET', ctl('faults'))).status).toBe(403);
      expect((await call('POST', ctl('faults'), { body: 'rate=1' })).status).toBe(403);
      expect((await call('POST', ctl('faults'), { token: BOB, body: 'rate=1' })).status).toBe(403);
      expect((await call('POST', ctl('state'), { token: BOB, body: 'Offline' })).status).toBe(403);
      const bad = await call('GET', ctl('faults'), { token: 'not-a-token' });
      expect(bad.status).toBe(401);
      expect(bad.headers['www-authenticate']).toBeDefined();
      expect(srv.faults.current().rate).toBe(0);
    });

    it('turns faults on and off and reports spec and stats', async () => {
      const on = await expectStatus(200, 'POST', ctl('faults'), {
        token: ALICE,
        body: 'rate=1,kinds=unavailable,endpoints=nodes,retryAfter=2',
      });
      expect(on.headers['content-type']).toBe('application/json');
      expect(JSON.parse(on.body.toString())).toMatchObject({ spec: { rate: 1, kinds: ['unavailable'] } });
      expect((await call('GET', url('/vault/nodes/alice'), { token: ALICE })).status).toBe(503);
      const got = JSON.parse(
        (await expectStatus(200, 'GET', ctl('faults'), { token: ALICE })).body.toString(),
      );
      expect(got.stats.injected.unavailable).toBe(1);
      const bad = await call('POST', ctl('faults'), { token: ALICE, body: 'rate=5' });
      expect(bad.status).toBe(400);
      expect(bad.body.toString()).toMatch(/^InvalidArgument: fault spec: rate must be/);
      expect(srv.faults.current().rate).toBe(1);
      await expectStatus(200, 'POST', ctl('faults'), { token: ALICE, body: 'off' });
      await expectStatus(200, 'GET', url('/vault/nodes/alice'), { token: ALICE });
    });

    it('reports the bytes received from clients, to the admin only', async () => {
      expect((await call('GET', ctl('stats'), { token: BOB })).status).toBe(403);
      const before = JSON.parse(
        (await expectStatus(200, 'GET', ctl('stats'), { token: ALICE })).body.toString(),
      );
      const body = Buffer.alloc(100_000, 1);
      await expectStatus(201, 'PUT', url('/arc/files/home/alice/counted.bin'), { token: ALICE, body });
      const after = JSON.parse(
        (await expectStatus(200, 'GET', ctl('stats'), { token: ALICE })).body.toString(),
      );
      expect(after.bytesReceived - before.bytesReceived).toBeGreaterThanOrEqual(body.length);
      expect(after.bytesReceived - before.bytesReceived).toBeLessThan(body.length + 4096);
      expect(srv.bytesReceived()).toBeGreaterThanOrEqual(after.bytesReceived);
    });

    it('switches the service state', async () => {
      try {
        await expectStatus(200, 'POST', ctl('state'), { token: ALICE, body: 'ReadOnly' });
        expect((await expectStatus(200, 'GET', ctl('state'), { token: ALICE })).body.toString()).toBe(
          'state: ReadOnly\n',
        );
        const w = await call('PUT', url(ARC_FILE), { token: ALICE, body: 'x' });
        expect(w.status).toBe(503);
        expect(w.headers['retry-after']).toBe('180');
        await expectStatus(200, 'GET', url(ARC_FILE), { token: ALICE });
        expect((await call('POST', ctl('state'), { token: ALICE, body: 'Sideways' })).status).toBe(400);
      } finally {
        await expectStatus(200, 'POST', ctl('state'), { token: ALICE, body: 'ReadWrite' });
      }
    });
  });
});

describe('faults on a server run as a child process', () => {
  let dir: string;
  let child: ServeProcess | undefined;

  beforeAll(() => {
    dir = tempDir('faults-cli');
  });
  afterEach(async () => {
    if (child) await stopServe(child);
    child = undefined;
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const serve = (extra: string[] = []): Promise<ServeProcess> =>
    spawnServe([
      '--data',
      path.join(dir, 'data'),
      '--port',
      '0',
      '--user',
      `alice:${ALICE}`,
      '--user',
      `bob:${BOB}`,
      '--admin',
      'alice',
      ...extra,
    ]);

  it('starts with --faults and is toggled through the control API', async () => {
    child = await serve(['--faults', 'rate=1,kinds=unavailable,endpoints=nodes,retryAfter=3']);
    const nodes = `${child.baseUrl}/vault/nodes/alice`;
    const r = await call('GET', nodes, { token: ALICE });
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('3');

    expect((await call('POST', `${child.baseUrl}/_vosync/faults`, { token: BOB, body: 'off' })).status).toBe(
      403,
    );
    expect((await call('GET', nodes, { token: ALICE })).status).toBe(503);

    await expectStatus(200, 'POST', `${child.baseUrl}/_vosync/faults`, { token: ALICE, body: 'off' });
    await expectStatus(200, 'GET', nodes, { token: ALICE });

    await expectStatus(200, 'POST', `${child.baseUrl}/_vosync/faults`, {
      token: ALICE,
      body: 'rate=1,kinds=error,endpoints=nodes',
    });
    expect((await call('GET', nodes, { token: ALICE })).status).toBe(500);
    const stats = JSON.parse(
      (await expectStatus(200, 'GET', `${child.baseUrl}/_vosync/faults`, { token: ALICE })).body.toString(),
    );
    expect(stats.spec.kinds).toEqual(['error']);
    expect(stats.stats.injected.error).toBe(1);
  });

  it('cuts a download of a child server (truncate) and the state API works there too', async () => {
    child = await serve();
    const file = `${child.baseUrl}/arc/files/home/alice/f.bin`;
    const bytes = Buffer.alloc(50_000, 7);
    await expectStatus(201, 'PUT', file, { token: ALICE, body: bytes });
    await expectStatus(200, 'POST', `${child.baseUrl}/_vosync/faults`, {
      token: ALICE,
      body: 'rate=1,kinds=truncate,endpoints=data,methods=GET',
    });
    const r = await call('GET', file, { token: ALICE });
    expect(r.body.length).toBe(25_000);
    expect(r.bodyError).toBeDefined();
    await expectStatus(200, 'POST', `${child.baseUrl}/_vosync/state`, { token: ALICE, body: 'Offline' });
    const off = await call('PUT', file, { token: ALICE, body: 'x' });
    expect(off.status).toBe(503);
    expect(off.headers['retry-after']).toBe('180');
  });
});
