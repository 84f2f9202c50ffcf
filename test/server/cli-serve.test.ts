/**
 * The `vosync serve` start-up contract, run as a real child process (the built CLI): address and the one
 * listening line, provisioned user areas, clean stops on SIGINT/SIGTERM, argument errors, and the service
 * states (ReadOnly / Offline) as clients see them.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PROP } from '../../src/vospace/xml.js';
import {
  call,
  expectStatus,
  negotiatePush,
  runCli,
  spawnServe,
  stopServe,
  tempDir,
  uploader,
  type ServeProcess,
} from './fault-helpers.js';
import { nodeXml, readNode, vosUri } from './helpers.js';

const ALICE = 'alicetoken1';
const BOB = 'bobtoken12';

/** Resolves true when a TCP connection to host:port succeeds, false when it is refused. */
function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** True when this process can bind the port on 127.0.0.1 (i.e. nobody holds it any more). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

describe('vosync serve', () => {
  let dir: string;
  let child: ServeProcess | undefined;
  let n = 0;
  const dataDir = (): string => path.join(dir, `data${++n}`);
  const userArgs = ['--user', `alice:${ALICE}`, '--user', `bob:${BOB}`];

  beforeAll(() => {
    dir = tempDir('cli-serve');
  });
  afterEach(async () => {
    if (child) await stopServe(child, 'SIGKILL');
    child = undefined;
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('binds 127.0.0.1 by default and prints one line with its URL', async () => {
    child = await spawnServe(['--data', dataDir(), '--port', '0', ...userArgs]);
    expect(child.stdout[0]).toContain(`http://127.0.0.1:${child.port}`);
    expect(child.baseUrl).toBe(`http://127.0.0.1:${child.port}`);
    await expectStatus(200, 'GET', `${child.baseUrl}/reg/resource-caps`);
    // 127.0.0.2 is loopback too: only a server bound to all addresses would answer there.
    expect(await canConnect('127.0.0.2', child.port)).toBe(false);
    expect(await canConnect('127.0.0.1', child.port)).toBe(true);
    expect(child.stdout.filter((l) => l !== '')).toHaveLength(1);
  });

  it('creates vos:<name> and arc:home/<name> for every user, owned by that user', async () => {
    child = await spawnServe(['--data', dataDir(), '--port', '0', ...userArgs]);
    const base = child.baseUrl;
    for (const [user, token, other] of [
      ['alice', ALICE, BOB],
      ['bob', BOB, ALICE],
    ] as const) {
      for (const [svc, area] of [
        ['vault', user],
        ['arc', `home/${user}`],
      ] as const) {
        const node = readNode(
          (await expectStatus(200, 'GET', `${base}/${svc}/nodes/${area}`, { token })).body.toString(),
        );
        expect(node.type).toBe('vos:ContainerNode');
        expect(node.props[PROP.creator]?.value).toBe(user);
        const child1 = `${area}/made-by-owner`;
        await expectStatus(201, 'PUT', `${base}/${svc}/nodes/${child1}`, {
          token,
          body: nodeXml(vosUri(svc, child1), 'ContainerNode'),
          headers: { 'content-type': 'text/xml' },
        });
        const intruder = `${area}/made-by-other`;
        const denied = await call('PUT', `${base}/${svc}/nodes/${intruder}`, {
          token: other,
          body: nodeXml(vosUri(svc, intruder), 'ContainerNode'),
          headers: { 'content-type': 'text/xml' },
        });
        expect(denied.status).toBe(403);
      }
      await expectStatus(201, 'PUT', `${base}/arc/files/home/${user}/x.txt`, { token, body: 'mine' });
      expect(
        (await call('PUT', `${base}/arc/files/home/${user}/y.txt`, { token: other, body: 'no' })).status,
      ).toBe(403);
    }
  });

  it.each(['SIGINT', 'SIGTERM'] as const)(
    'stops cleanly on %s: exit code 0 and the port is released',
    async (sig) => {
      const s = await spawnServe(['--data', dataDir(), '--port', '0', ...userArgs]);
      child = s;
      await expectStatus(201, 'PUT', `${s.baseUrl}/arc/files/home/alice/a.txt`, { token: ALICE, body: 'x' });
      s.proc.kill(sig);
      const exit = await s.exited;
      expect(exit).toEqual({ code: 0, signal: null });
      expect(await portFree(s.port)).toBe(true);
      expect(s.stderr()).toBe('');
    },
  );

  it('keeps the data over a stop and start on the same directory', async () => {
    const data = dataDir();
    child = await spawnServe(['--data', data, '--port', '0', ...userArgs]);
    await expectStatus(201, 'PUT', `${child.baseUrl}/arc/files/home/alice/keep.txt`, {
      token: ALICE,
      body: 'kept',
    });
    await stopServe(child, 'SIGTERM');
    child = await spawnServe(['--data', data, '--port', '0', ...userArgs]);
    const r = await expectStatus(200, 'GET', `${child.baseUrl}/arc/files/home/alice/keep.txt`, {
      token: ALICE,
    });
    expect(r.body.toString()).toBe('kept');
  });

  it('exits at once when another vosync serve holds the data directory, naming its pid', async () => {
    const data = dataDir();
    child = await spawnServe(['--data', data, '--port', '0', ...userArgs]);
    const started = Date.now();
    const second = runCli(['serve', '--data', data, '--port', '0', ...userArgs]);
    expect(await second.exited).toEqual({ code: 1, signal: null });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(second.stdout).toEqual([]);
    expect(second.stderr()).toContain(
      `vosync serve: data directory ${data} is in use by another vosync serve (pid ${child.proc.pid})`,
    );
    // The first one is untouched.
    await expectStatus(200, 'GET', `${child.baseUrl}/vault/nodes/alice`, { token: ALICE });
  });

  it('logs requests to stderr with -v, without credentials or pre-authorised tokens', async () => {
    child = await spawnServe(['--data', dataDir(), '--port', '0', ...userArgs, '-v']);
    await expectStatus(201, 'PUT', `${child.baseUrl}/arc/files/home/alice/l.txt`, {
      token: ALICE,
      body: 'x',
    });
    const u = uploader(child.baseUrl, ALICE, 1);
    const ep = await negotiatePush(u, 'vault', 'alice/l.txt');
    await expectStatus(201, 'PUT', ep, { body: 'y', dispatcher: u.dispatcher });
    await u.dispatcher.close();
    const grant = /\/data\/([^/]+)\//.exec(ep)?.[1];
    expect(grant).toBeDefined();
    await stopServe(child, 'SIGTERM');
    const log = child.stderr();
    expect(log).toMatch(/PUT \/arc\/files\/home\/alice\/l\.txt 201/);
    expect(log).toMatch(/PUT \/vault\/data\/<token>\/alice\/l\.txt 201/);
    expect(log).not.toContain(ALICE);
    expect(log).not.toContain(grant!);
  });

  describe.concurrent('bad arguments exit non-zero with a clear message', () => {
    const cases: [string, string[], RegExp][] = [
      ['a user without token', ['--user', 'alice'], /--user alice.*token/],
      ['a short token', ['--user', 'alice:short'], /token must be at least 8 characters/],
      ['a bad user name', ['--user', 'al ice:tokentoken'], /user name must match/],
      [
        'a port out of range',
        ['--user', `alice:${ALICE}`, '--port', '70000'],
        /--port 70000: not a port number/,
      ],
      [
        'a port that is not a number',
        ['--user', `alice:${ALICE}`, '--port', 'http'],
        /--port http: not a port number/,
      ],
      [
        'a bad fault spec',
        ['--user', `alice:${ALICE}`, '--faults', 'rate=2'],
        /--faults rate=2: fault spec: rate must be/,
      ],
      ['an unknown fault key', ['--user', `alice:${ALICE}`, '--faults', 'speed=1'], /unknown key 'speed'/],
      [
        'a certificate without key',
        ['--user', `alice:${ALICE}`, '--tls-cert', 'c.pem'],
        /--tls-cert and --tls-key go together/,
      ],
      [
        'a key without certificate',
        ['--user', `alice:${ALICE}`, '--tls-key', 'k.pem'],
        /--tls-cert and --tls-key go together/,
      ],
      [
        'unreadable TLS files',
        ['--user', `alice:${ALICE}`, '--tls-cert', 'nope.pem', '--tls-key', 'nope.key'],
        /cannot read TLS certificate nope\.pem/,
      ],
      [
        'an admin who is not a user',
        ['--user', `alice:${ALICE}`, '--admin', 'carol'],
        /--admin carol: not one of the users/,
      ],
      [
        'a group with an unknown member',
        ['--user', `alice:${ALICE}`, '--group', 'survey:zed'],
        /unknown user zed/,
      ],
    ];

    it.each(cases)('%s', async (_name, args, message) => {
      const data = dataDir();
      const run = runCli(['serve', '--data', data, ...args]);
      const exit = await run.exited;
      expect(exit.code).not.toBe(0);
      expect(exit.code).not.toBeNull();
      expect(run.stderr()).toMatch(message);
      expect(run.stdout.filter((l) => l !== '')).toEqual([]);
      // Nothing is created for a start that cannot succeed.
      expect(fs.existsSync(data)).toBe(false);
    });

    it('a missing --data', async () => {
      const run = runCli(['serve', '--user', `alice:${ALICE}`]);
      expect((await run.exited).code).not.toBe(0);
      expect(run.stderr()).toMatch(/--data/);
    });

    it('a port already in use', async () => {
      const holder = net.createServer();
      await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
      try {
        const port = (holder.address() as net.AddressInfo).port;
        const run = runCli([
          'serve',
          '--data',
          dataDir(),
          '--user',
          `alice:${ALICE}`,
          '--port',
          String(port),
        ]);
        expect((await run.exited).code).not.toBe(0);
        expect(run.stderr()).toMatch(/EADDRINUSE/);
      } finally {
        holder.close();
      }
    });
  });

  describe('service state', () => {
    it('ReadOnly: writes get 503 + Retry-After 180, reads work; Offline: everything 503', async () => {
      child = await spawnServe(['--data', dataDir(), '--port', '0', ...userArgs, '--admin', 'alice']);
      const base = child.baseUrl;
      const file = `${base}/arc/files/home/alice/s.txt`;
      await expectStatus(201, 'PUT', file, { token: ALICE, body: 'state' });
      const ep = await (async () => {
        await expectStatus(201, 'PUT', `${base}/vault/nodes/alice/v.txt`, {
          token: ALICE,
          body: nodeXml(vosUri('vault', 'alice/v.txt'), 'DataNode'),
          headers: { 'content-type': 'text/xml' },
        });
        return `${base}/vault/files/alice/v.txt`;
      })();

      // Only the admin changes the state (through the service's availability endpoint here).
      const form = { 'content-type': 'application/x-www-form-urlencoded' };
      expect(
        (
          await call('POST', `${base}/vault/availability`, {
            token: BOB,
            body: 'state=ReadOnly',
            headers: form,
          })
        ).status,
      ).toBe(403);
      await expectStatus(200, 'POST', `${base}/vault/availability`, {
        token: ALICE,
        body: 'state=ReadOnly',
        headers: form,
      });

      for (const [method, url, body] of [
        ['PUT', file, 'new'],
        ['PUT', `${base}/vault/nodes/alice/d`, nodeXml(vosUri('vault', 'alice/d'), 'ContainerNode')],
        ['DELETE', `${base}/vault/nodes/alice/v.txt`, undefined],
        ['POST', `${base}/vault/synctrans`, '<x/>'],
      ] as const) {
        const r = await call(method, url, { token: ALICE, ...(body !== undefined ? { body } : {}) });
        expect(r.status, `${method} ${url}`).toBe(503);
        expect(r.headers['retry-after']).toBe('180');
        expect(r.headers['content-type']).toMatch(/^text\/plain/);
      }
      expect((await expectStatus(200, 'GET', file, { token: ALICE })).body.toString()).toBe('state');
      await expectStatus(200, 'GET', `${base}/vault/nodes/alice`, { token: ALICE });
      await expectStatus(204, 'GET', ep, { token: ALICE });
      expect((await expectStatus(200, 'GET', `${base}/vault/availability`)).body.toString()).toMatch(
        /<vosi:available>true<\/vosi:available>[\s\S]*ReadOnly/,
      );

      await expectStatus(200, 'POST', `${base}/_vosync/state`, { token: ALICE, body: 'Offline' });
      for (const url of [file, `${base}/vault/nodes/alice`]) {
        const r = await call('GET', url, { token: ALICE });
        expect(r.status).toBe(503);
        expect(r.headers['retry-after']).toBe('180');
      }
      expect((await expectStatus(200, 'GET', `${base}/vault/availability`)).body.toString()).toMatch(
        /<vosi:available>false<\/vosi:available>/,
      );
      // Discovery keeps answering, so clients learn why.
      await expectStatus(200, 'GET', `${base}/vault/capabilities`);

      await expectStatus(200, 'POST', `${base}/_vosync/state`, { token: ALICE, body: 'ReadWrite' });
      await expectStatus(201, 'PUT', file, { token: ALICE, body: 'writable again' });
    });
  });
});
