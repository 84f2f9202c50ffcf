/**
 * The status API against a real daemon syncing with a real embedded server: authentication (token, Host,
 * Origin), headers, the page sessions, every endpoint's answer checked against its published JSON Schema.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointFileFor, readEndpointFile } from '../../src/agent/api/endpoint-file.js';
import { startEnv, startDaemon, waitUpToDate, writeConfig, type Env, type RunningDaemon } from './helpers.js';
import { publishedSchema, validate } from './json-schema.js';

let env: Env;
let d: RunningDaemon;
let dir: string;

beforeAll(async () => {
  env = await startEnv('api');
  dir = path.join(env.tmp, 'agent');
  // Daily polls: cycles run only when the test causes them, so "up to date" holds while it looks.
  const config = writeConfig(env, dir, [{ name: 'docs', ignore: ['*.tmp'] }, { name: 'photos' }], {
    remotePoll: '0 0 * * *',
  });
  fs.writeFileSync(path.join(dir, 'docs', 'hello.txt'), 'hello');
  d = await startDaemon(env, config);
  await waitUpToDate(d, 'docs');
  await waitUpToDate(d, 'photos');
});

afterAll(async () => {
  await d.stop();
  await env.close();
});

/** A raw request, so Host and Origin can be anything. */
function raw(
  pathAndQuery: string,
  headers: Record<string, string>,
  method = 'GET',
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: d.api.port, path: pathAndQuery, method, headers, setHost: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function expectValid(name: string, body: unknown): void {
  expect(validate(publishedSchema(name), body)).toEqual([]);
}

describe('who may ask', () => {
  it('keeps the token in a 0600 file and advertises only the address next to it', () => {
    expect(fs.statSync(d.config.status.tokenFile).mode & 0o777).toBe(0o600);
    expect(d.token.length).toBeGreaterThanOrEqual(32);
    const ep = readEndpointFile(d.config.status.tokenFile);
    expect(ep).toMatchObject({ url: d.api.url, port: d.api.port, pid: process.pid });
    expect(fs.statSync(endpointFileFor(d.config.status.tokenFile)).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(endpointFileFor(d.config.status.tokenFile), 'utf8')).not.toContain(d.token);
  });

  const DATA = [
    '/status',
    '/activity',
    '/conflicts',
    '/errors',
    '/not-synced',
    '/files?path=x&pair=docs',
    '/nothing-here',
  ];

  it('answers 401 and nothing else without the token, with a wrong one, or with it in the query', async () => {
    for (const p of DATA) {
      for (const token of [null, 'wrong-token', `${d.token}x`]) {
        const r = await d.call('GET', p, { token });
        expect(r.status, `${p} with ${token}`).toBe(401);
        expect(r.body).toEqual({ error: 'unauthorized' });
        expectValid('error', r.body);
      }
      const q = await d.call('GET', `${p}${p.includes('?') ? '&' : '?'}token=${d.token}`, { token: null });
      expect(q.status).toBe(401);
    }
    for (const p of ['/pause', '/resume', '/rescan', '/session']) {
      const r = await d.call('POST', p, { token: null });
      expect(r.status).toBe(401);
      expect(r.text).not.toMatch(/docs|photos|paused/);
    }
    // Nothing was paused by the refused requests.
    const s = await d.call('GET', '/status');
    expect((s.body as { state: string }).state).not.toBe('paused');
  });

  it('refuses a foreign Host (DNS rebinding) or Origin with 403, even with the token', async () => {
    const auth = { authorization: `Bearer ${d.token}` };
    for (const host of [
      'evil.example',
      `evil.example:${d.api.port}`,
      `127.0.0.1:${d.api.port + 1}`,
      '10.0.0.1',
    ]) {
      const r = await raw('/status', { ...auth, host });
      expect(r.status, host).toBe(403);
      expect(JSON.parse(r.text)).toEqual({ error: 'forbidden' });
    }
    const page = await raw('/', { host: 'evil.example' });
    expect(page.status).toBe(403);
    for (const host of [`127.0.0.1:${d.api.port}`, `localhost:${d.api.port}`, 'localhost']) {
      const r = await raw('/status', { ...auth, host });
      expect(r.status, host).toBe(200);
    }
    const cross = await raw('/status', {
      ...auth,
      host: `127.0.0.1:${d.api.port}`,
      origin: 'https://evil.example',
    });
    expect(cross.status).toBe(403);
    const same = await raw('/status', { ...auth, host: `127.0.0.1:${d.api.port}`, origin: d.api.url });
    expect(same.status).toBe(200);
  });

  it('sends no CORS headers and forbids caching on every answer', async () => {
    const answers = [
      await raw('/status', { host: `127.0.0.1:${d.api.port}`, origin: d.api.url }),
      await raw('/status', {
        host: `127.0.0.1:${d.api.port}`,
        origin: d.api.url,
        authorization: `Bearer ${d.token}`,
      }),
      await raw(
        '/status',
        {
          host: `127.0.0.1:${d.api.port}`,
          origin: d.api.url,
          'access-control-request-method': 'POST',
        },
        'OPTIONS',
      ),
      await raw('/', { host: `127.0.0.1:${d.api.port}` }),
      await raw('/app.js', { host: `127.0.0.1:${d.api.port}` }),
      await raw('/status', { host: 'evil.example' }),
    ];
    for (const a of answers) {
      expect(a.headers['cache-control']).toBe('no-store');
      expect(Object.keys(a.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    }
  });

  it('serves the status page without the token, and the page holds no data', async () => {
    const page = await d.call('GET', '/', { token: null });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const script = await d.call('GET', '/app.js', { token: null });
    const style = await d.call('GET', '/app.css', { token: null });
    expect(script.status).toBe(200);
    expect(style.status).toBe(200);
    for (const text of [page.text, script.text, style.text]) {
      expect(text).not.toContain('hello.txt');
      expect(text).not.toContain(dir);
      expect(text).not.toContain(d.token);
    }
  });
});

describe('page sessions', () => {
  it('trade a one-time code from the link for a session token, once', async () => {
    const s = await d.call('POST', '/session');
    expect(s.status).toBe(200);
    expectValid('session', s.body);
    const link = (s.body as { url: string }).url;
    expect(link.startsWith(`${d.api.url}/#code=`)).toBe(true);
    expect(link).not.toContain(d.token);
    const code = new URL(link).hash.slice('#code='.length);

    const redeem = () =>
      d.call('POST', '/session/redeem', {
        token: null,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code }),
      });
    const first = await redeem();
    expect(first.status).toBe(200);
    expectValid('redeemed', first.body);
    const session = (first.body as { token: string }).token;
    expect(session).not.toBe(d.token);

    const second = await redeem();
    expect(second.status).toBe(401);
    expect(second.body).toEqual({ error: 'unauthorized' });

    const status = await d.call('GET', '/status', { token: session });
    expect(status.status).toBe(200);
    // A page session cannot mint new links.
    expect((await d.call('POST', '/session', { token: session })).status).toBe(403);
  });

  it('refuse codes that were never issued, and bodies that are not JSON', async () => {
    const r = await d.call('POST', '/session/redeem', {
      token: null,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: 'made-up' }),
    });
    expect(r.status).toBe(401);
    const form = await d.call('POST', '/session/redeem', {
      token: null,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'code=x',
    });
    expect(form.status).toBe(415);
  });
});

describe('every endpoint answers with its documented schema', () => {
  it('GET /status', async () => {
    const r = await d.call('GET', '/status');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expectValid('status', r.body);
    const body = r.body as { state: string; upToDate: boolean; pairs: { name: string; local: string }[] };
    expect(body.state).toBe('idle');
    expect(body.upToDate).toBe(true);
    expect(body.pairs.map((p) => p.name)).toEqual(['docs', 'photos']);
    expect(body.pairs[0]!.local).toBe(path.join(dir, 'docs'));
  });

  it('GET /activity, /conflicts, /errors, with pair filters and limits', async () => {
    const a = await d.call('GET', '/activity');
    expectValid('activity', a.body);
    const items = (a.body as { activity: { pair: string; path: string; action: string; result: string }[] })
      .activity;
    expect(items).toContainEqual(
      expect.objectContaining({ pair: 'docs', path: 'hello.txt', action: 'upload', result: 'done' }),
    );
    const onlyPhotos = await d.call('GET', '/activity?pair=photos');
    expect(
      (onlyPhotos.body as { activity: { pair: string }[] }).activity.every((x) => x.pair === 'photos'),
    ).toBe(true);
    expect(
      ((await d.call('GET', '/activity?limit=1')).body as { activity: unknown[] }).activity,
    ).toHaveLength(1);
    expect((await d.call('GET', '/activity?limit=zero')).status).toBe(400);
    expect((await d.call('GET', '/activity?pair=nope')).status).toBe(404);

    const n = await d.call('GET', '/not-synced');
    expectValid('not-synced', n.body);
    expect(n.body).toEqual({ items: [] });

    const c = await d.call('GET', '/conflicts');
    expectValid('conflicts', c.body);
    const e = await d.call('GET', '/errors?pair=docs');
    expectValid('errors', e.body);
    expect(e.body).toEqual({ errors: [] });
  });

  it('GET /files by absolute path or by pair and relative path', async () => {
    const byAbs = await d.call(
      'GET',
      `/files?path=${encodeURIComponent(path.join(dir, 'docs', 'hello.txt'))}`,
    );
    expect(byAbs.status).toBe(200);
    expectValid('file', byAbs.body);
    expect(byAbs.body).toMatchObject({ pair: 'docs', path: 'hello.txt', state: 'synced', reason: null });
    expect(byAbs.body).toMatchObject({ local: { kind: 'file', size: 5 }, remote: { kind: 'file', size: 5 } });

    const byPair = await d.call('GET', '/files?pair=docs&path=hello.txt');
    expect(byPair.body).toEqual(byAbs.body);

    fs.writeFileSync(path.join(dir, 'docs', 'scratch.tmp'), 'x');
    const ignored = await d.call('GET', '/files?pair=docs&path=scratch.tmp');
    expectValid('file', ignored.body);
    expect(ignored.body).toMatchObject({ state: 'ignored', reason: 'matches an ignore rule' });

    const missing = await d.call('GET', '/files?pair=docs&path=never-was.txt');
    expect(missing.body).toMatchObject({ state: 'unknown' });

    expect((await d.call('GET', '/files')).status).toBe(400);
    expect((await d.call('GET', '/files?path=relative/x')).status).toBe(400);
    expect((await d.call('GET', `/files?path=${encodeURIComponent(env.tmp)}`)).status).toBe(404);
    expect((await d.call('GET', '/files?pair=docs&path=../escape')).status).toBe(400);
    const outside = await d.call('GET', '/files?pair=nope&path=a');
    expect(outside.status).toBe(404);
    expectValid('error', outside.body);
  });

  it('POST /pause, /resume, /rescan per pair and for all, answering with the status', async () => {
    const paused = await d.call('POST', '/pause?pair=photos');
    expect(paused.status).toBe(200);
    expectValid('status', paused.body);
    const states = (b: unknown) =>
      Object.fromEntries(
        (b as { pairs: { name: string; state: string }[] }).pairs.map((p) => [p.name, p.state]),
      );
    expect(states(paused.body)).toMatchObject({ photos: 'paused' });
    expect(states(paused.body)['docs']).not.toBe('paused');
    expect((paused.body as { state: string }).state).toBe('paused');

    const all = await d.call('POST', '/pause');
    expect(states(all.body)).toEqual({ docs: 'paused', photos: 'paused' });
    const resumed = await d.call('POST', '/resume');
    expectValid('status', resumed.body);
    expect(Object.values(states(resumed.body))).not.toContain('paused');
    await waitUpToDate(d, 'docs');
    await waitUpToDate(d, 'photos');

    const rescan = await d.call('POST', '/rescan?pair=docs');
    expect(rescan.status).toBe(200);
    expectValid('status', rescan.body);
    await waitUpToDate(d, 'docs');
    expect((await d.call('POST', '/rescan?pair=nope')).status).toBe(404);
    expect((await d.call('GET', '/pause')).status).toBe(404);
  });

  it('never writes the token to the log', () => {
    expect(fs.readFileSync(d.logFile, 'utf8')).not.toContain(d.token);
  });
});
