import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SERVER_HEADER } from '../../src/server/http.js';
import { VERSION } from '../../src/util/version.js';
import { HttpSession } from '../../src/vospace/http.js';
import http from 'node:http';

describe('VERSION', () => {
  it("is package.json's version", () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    expect(VERSION).toMatch(/^\d+\.\d+\.\d+/);
    expect(VERSION).toBe(pkg.version);
  });

  it('is the version the embedded server and the client give in their headers', async () => {
    expect(SERVER_HEADER).toBe(`vosync-serve/${VERSION}`);
    let agent: string | undefined;
    const server = http.createServer((req, res) => {
      agent = req.headers['user-agent'];
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      const session = new HttpSession({});
      const res = await session.send({ method: 'GET', url: `http://127.0.0.1:${port}/` });
      await res.body.dump();
      await session.close();
      expect(agent).toBe(`vosync/${VERSION}`);
    } finally {
      server.close();
    }
  });
});
