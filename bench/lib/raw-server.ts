/**
 * The plain HTTP server of the baselines: `PUT /any/path` streams the body into a file under the data
 * directory and answers 201; `GET /any/path` streams the file back. No metadata, no checksums, no fsync:
 * the least a server can do per file, so the benchmarks can say how close vosync gets to it.
 *
 *   node --import ./bench/ts-register.mjs bench/lib/raw-server.ts DATA_DIR
 *
 * Prints "raw server listening on http://127.0.0.1:PORT" when ready; SIGTERM stops it.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

const dataDir = path.resolve(process.argv[2] ?? '.');
fs.mkdirSync(dataDir, { recursive: true });
const made = new Set<string>();

function fileFor(urlPath: string): string | undefined {
  const rel = decodeURIComponent(urlPath.split('?')[0] ?? '').replace(/^\/+/, '');
  if (rel === '' || rel.split('/').some((s) => s === '..' || s === '.')) return undefined;
  return path.join(dataDir, rel);
}

const server = http.createServer((req, res) => {
  const file = fileFor(req.url ?? '/');
  if (!file) {
    res.writeHead(400).end();
    return;
  }
  if (req.method === 'PUT') {
    const dir = path.dirname(file);
    if (!made.has(dir)) {
      fs.mkdirSync(dir, { recursive: true });
      made.add(dir);
    }
    pipeline(req, fs.createWriteStream(file)).then(
      () => res.writeHead(201, { 'content-length': 0 }).end(),
      () => res.writeHead(500).end(),
    );
    return;
  }
  if (req.method === 'GET') {
    fs.stat(file, (err, st) => {
      if (err) {
        res.writeHead(404, { 'content-length': 0 }).end();
        return;
      }
      res.writeHead(200, { 'content-length': st.size, 'content-type': 'application/octet-stream' });
      pipeline(fs.createReadStream(file), res).catch(() => res.destroy());
    });
    return;
  }
  res.writeHead(405, { 'content-length': 0 }).end();
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`raw server listening on http://127.0.0.1:${port}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
