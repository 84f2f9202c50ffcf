/** The daemon's log redaction: secrets go, the words around them stay. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, redactSecrets } from '../../src/agent/log.js';

const WARNING =
  'config: auth.token: the token is stored in a file others can read (mode 644); run chmod 600 /h/c.yaml or use tokenFile';

let dir: string | undefined;

afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function logged(line: string): Promise<string> {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vosync-log-'));
  const file = path.join(dir, 'vosync.log');
  const log = createLogger({ file, console: false });
  log.warn(line);
  const end = Date.now() + 5000;
  while (!(fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes('\n')) && Date.now() < end)
    await new Promise((r) => setTimeout(r, 10));
  log.close();
  return (JSON.parse(fs.readFileSync(file, 'utf8').trim()) as { message: string }).message;
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
