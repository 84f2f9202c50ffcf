import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/agent/config/index.js';
import { credentialsFor } from '../../src/agent/remote/vospace/connect.js';
import { CAROL, startTestServer, type TestServer } from '../server/helpers.js';

let ts: TestServer;
let cache: string;
const savedCache = process.env['XDG_CACHE_HOME'];

beforeAll(async () => {
  ts = await startTestServer();
  // The daemon's login client caches the registry's answers under $XDG_CACHE_HOME: keep them out of ~/.cache.
  cache = fs.mkdtempSync(path.join(os.tmpdir(), 'vosync-cred-cache-'));
  process.env['XDG_CACHE_HOME'] = cache;
});
afterAll(async () => {
  if (savedCache === undefined) delete process.env['XDG_CACHE_HOME'];
  else process.env['XDG_CACHE_HOME'] = savedCache;
  fs.rmSync(cache, { recursive: true, force: true });
  await ts.close();
});

const passwordConfig = () =>
  parseConfigText(
    [
      `registry: ${ts.base}/reg/resource-caps`,
      'auth: { username: carol }',
      'pairs:',
      '  - local: /tmp/vosync-cred-pair',
      '    remote: vos:carol/data',
    ].join('\n') + '\n',
    'test.yaml',
    { env: {}, platform: 'linux', homedir: '/home/carol' },
  );

describe('credentialsFor with auth.username', () => {
  it("logs in at the registry's login service with $CADC_PASSWORD for a token", async () => {
    // The token the server knows carol by.
    expect(await credentialsFor(passwordConfig(), { CADC_PASSWORD: 'carolpassword' })).toEqual({
      kind: 'token',
      token: CAROL,
    });
  });

  it('refuses a wrong password, and a missing one, as authentication errors', async () => {
    await expect(credentialsFor(passwordConfig(), { CADC_PASSWORD: 'wrong' })).rejects.toMatchObject({
      kind: 'auth',
      message: 'login as carol failed: invalid username/password combination',
    });
    await expect(credentialsFor(passwordConfig(), {})).rejects.toMatchObject({
      kind: 'auth',
      message: expect.stringContaining('$CADC_PASSWORD'),
    });
  });
});
