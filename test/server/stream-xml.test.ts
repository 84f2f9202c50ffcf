/**
 * streamXml over real HTTP: pieces of any size (many small, multi-byte, larger than one write buffer) arrive as
 * exactly the text they join to, chunked, whatever the buffering in between.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, it } from 'vitest';
import { streamXml } from '../../src/server/http.js';

async function served(pieces: string[]): Promise<{ body: string; length: string | null }> {
  const server = http.createServer((_req, res) => void streamXml(res, 200, pieces));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    return { body: await res.text(), length: res.headers.get('content-length') };
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

it('sends small, multi-byte and oversized pieces as the text they join to', async () => {
  const pieces = [
    '<?xml version="1.0"?>\n<a>',
    ...Array.from({ length: 20_000 }, (_, i) => `<b n="${i}">é字😀</b>`),
    'x'.repeat(700 * 1024),
    '字'.repeat(200 * 1024),
    '</a>\n',
  ];
  const { body, length } = await served(pieces);
  expect(length).toBeNull();
  expect(body).toBe(pieces.join(''));
});

it('sends an empty document', async () => {
  expect((await served([])).body).toBe('');
});
