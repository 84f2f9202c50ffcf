/**
 * The client under a server whose answers the network cuts short or breaks (bugs the simulation once found when
 * it ran on the embedded server): metadata reads and transfer negotiations are retried, and what fails reaches
 * the caller as a typed error, never as a raw socket error; an upload's precondition is honoured.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFaultSpec } from '../../src/server/faults.js';
import type { Client } from '../../src/vospace/client.js';
import { VosError } from '../../src/vospace/errors.js';
import { startAliceServer, type AliceServer } from '../support/alice-server.js';
import { md5Hex } from '../../src/util/md5.js';

let s: AliceServer;
let user: Client;

beforeAll(async () => {
  s = await startAliceServer('cut-answers');
  user = s.client({ retry: { retries: 8, baseDelayMs: 0, maxDelayMs: 0, maxRetryAfterMs: 5000 } });
});

afterAll(async () => {
  await s.close();
});

describe('answers cut short', () => {
  it('metadata reads whose body the network cuts short are retried, not thrown as socket errors', async () => {
    await user.mkdir('vos:alice/reg-cut/d', { parents: true });
    const client = s.client({ retry: { retries: 6, baseDelayMs: 0, maxDelayMs: 0, maxRetryAfterMs: 0 } });
    try {
      await client.getInfo('vos:alice/reg-cut'); // discovery before the faults
      s.srv.faults.configure(
        parseFaultSpec('rate=0.5,kinds=reset+truncate+stall,endpoints=nodes,methods=GET,seed=11,stallMs=20'),
      );
      for (let i = 0; i < 20; i++) {
        expect((await client.getInfo('vos:alice/reg-cut/d')).kind).toBe('container');
        expect(await client.list('vos:alice/reg-cut')).toHaveLength(1);
      }
      const injected = s.srv.faults.stats.injected;
      expect(injected.reset + injected.truncate + injected.stall).toBeGreaterThan(10);
    } finally {
      s.srv.faults.disable();
      await client.close();
    }
  });

  it('an ARC listing cut short part way is read again from the start: every child once', async () => {
    const names = Array.from({ length: 40 }, (_, i) => `c${String(i).padStart(2, '0')}`);
    await user.mkdir('arc:home/alice/reg-cut', { parents: true });
    for (const name of names) await user.mkdir(`arc:home/alice/reg-cut/${name}`);
    const client = s.client({ retry: { retries: 8, baseDelayMs: 0, maxDelayMs: 0, maxRetryAfterMs: 0 } });
    try {
      await client.getInfo('arc:home/alice/reg-cut'); // discovery before the faults
      s.srv.faults.configure(
        parseFaultSpec('rate=0.5,kinds=reset+truncate,endpoints=nodes,methods=GET,seed=7'),
      );
      for (let i = 0; i < 10; i++) {
        const listed = (await client.list('arc:home/alice/reg-cut')).map((n) => n.name);
        expect([...listed].sort()).toEqual(names);
      }
      expect(s.srv.faults.stats.injected.truncate).toBeGreaterThan(2);
    } finally {
      s.srv.faults.disable();
      await client.close();
    }
  });

  it('a transfer negotiation whose answer is cut short is negotiated again', async () => {
    const client = s.client({ retry: { retries: 6, baseDelayMs: 0, maxDelayMs: 0, maxRetryAfterMs: 0 } });
    const file = path.join(s.tmp, 'reg-negotiate.txt');
    fs.writeFileSync(file, 'negotiated through broken answers');
    try {
      await client.mkdir('vos:alice/reg-negotiate', { parents: true });
      s.srv.faults.configure(
        parseFaultSpec('rate=0.5,kinds=reset+truncate,endpoints=transfers,methods=GET,seed=5'),
      );
      for (let i = 0; i < 8; i++) await client.upload(file, `vos:alice/reg-negotiate/f${i}`);
      const injected = s.srv.faults.stats.injected;
      expect(injected.reset + injected.truncate).toBeGreaterThan(3);
    } finally {
      s.srv.faults.disable();
      await client.close();
    }
    for (let i = 0; i < 8; i++) {
      expect((await user.getInfo(`vos:alice/reg-negotiate/f${i}`)).md5).toBe(
        md5Hex('negotiated through broken answers'),
      );
    }
  });

  it('a failed negotiation or a delete whose answer is cut short fails with a typed error, not a socket error', async () => {
    // Seed 55: an upload below a remote file (the server refuses the transfer) under faults failed with a raw
    // ECONNRESET, which the engine takes for a permanent failure.
    const client = s.client({ retry: { retries: 2, baseDelayMs: 0, maxDelayMs: 0, maxRetryAfterMs: 0 } });
    const file = path.join(s.tmp, 'reg-typed.txt');
    fs.writeFileSync(file, 'x');
    const errors: unknown[] = [];
    try {
      await client.mkdir('vos:alice/reg-typed', { parents: true });
      await client.upload(file, 'vos:alice/reg-typed/blocker');
      for (let i = 0; i < 6; i++) await client.upload(file, `vos:alice/reg-typed/gone${i}`);
      s.srv.faults.configure(
        parseFaultSpec('rate=0.5,kinds=reset+truncate,endpoints=transfers+nodes,methods=GET+DELETE,seed=3'),
      );
      for (let i = 0; i < 6; i++) {
        await client.upload(file, 'vos:alice/reg-typed/blocker/child').catch((e: unknown) => errors.push(e));
        await client.delete(`vos:alice/reg-typed/gone${i}`).catch((e: unknown) => errors.push(e));
      }
      const injected = s.srv.faults.stats.injected;
      expect(injected.reset + injected.truncate).toBeGreaterThan(5);
    } finally {
      s.srv.faults.disable();
      await client.close();
    }
    expect(errors.length).toBeGreaterThanOrEqual(6); // every upload below a file fails
    for (const e of errors) expect(e).toBeInstanceOf(VosError);
  });

  it('client.upload refuses, and writes nothing, when the precondition rejects the node it finds', async () => {
    const file = path.join(s.tmp, 'reg-pre.txt');
    fs.writeFileSync(file, 'theirs');
    await user.mkdir('vos:alice/reg-pre', { parents: true });
    await user.upload(file, 'vos:alice/reg-pre/x.txt');
    fs.writeFileSync(file, 'mine');
    const err = await user
      .upload(file, 'vos:alice/reg-pre/x.txt', { precondition: (now) => now === undefined })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VosError);
    expect((err as VosError).kind).toBe('conflict');
    expect((await user.getInfo('vos:alice/reg-pre/x.txt')).md5).toBe(md5Hex('theirs'));
  });
});
