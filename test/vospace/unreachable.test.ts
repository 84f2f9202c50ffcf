/**
 * A server that cannot be reached at all (nothing listening, no such host) is one kind of error, said with the
 * host and the cause, and given up on after the session's give-up time rather than after every retry.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { VosError } from '../../src/vospace/errors.js';
import { HttpSession } from '../../src/vospace/http.js';

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function failure(p: Promise<unknown>): Promise<VosError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(VosError);
  return e as VosError;
}

describe('a server that cannot be reached', () => {
  it('refused: kind unreachable, host and cause named, given up on at the give-up time', async () => {
    const port = await closedPort();
    const retries: number[] = [];
    const session = new HttpSession({
      retry: { retries: 1000, baseDelayMs: 20, maxDelayMs: 50, unreachableGiveUpMs: 300 },
      onRetry: (r) => retries.push(r.attempt),
    });
    const e = await failure(session.send({ method: 'GET', url: `http://127.0.0.1:${port}/reg` }));
    expect(e.kind).toBe('unreachable');
    expect(e.exitCode).toBe(111);
    expect(e.message).toBe(
      `cannot reach 127.0.0.1:${port}: connection refused (is the server running? is the port right?)`,
    );
    // It did retry, and stopped long before its retry count.
    expect(retries.length).toBeGreaterThan(0);
    expect(retries.length).toBeLessThan(100);
  });

  it('without a give-up time, as many retries as any other failure', async () => {
    const port = await closedPort();
    let retried = 0;
    const session = new HttpSession({
      retry: { retries: 3, baseDelayMs: 1, maxDelayMs: 1 },
      onRetry: () => retried++,
    });
    const e = await failure(session.send({ method: 'GET', url: `http://127.0.0.1:${port}/` }));
    expect(e.kind).toBe('unreachable');
    expect(retried).toBe(3);
  });

  it('no such host: the DNS failure is the same kind, in words', async () => {
    const session = new HttpSession({ retry: { retries: 2, baseDelayMs: 1, unreachableGiveUpMs: 500 } });
    const e = await failure(session.send({ method: 'GET', url: 'http://no-such-host.invalid/reg' }));
    expect(e.kind).toBe('unreachable');
    expect(e.message).toMatch(
      /^cannot reach no-such-host\.invalid: (no such host \(DNS\)|DNS lookup failed)/,
    );
  });
});
