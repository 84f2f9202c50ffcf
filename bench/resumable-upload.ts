/**
 * A big upload (2 GiB; `--quick` 16 MiB) by `vosync cp` to a `vosync serve` child, cut three times by injected
 * connection resets and once by SIGKILL of the cp process, then run again to completion: how many bytes reached
 * the server per byte of the file (each byte at most twice is the target), the effective MB/s over the whole
 * ordeal against the same upload uninterrupted, and the stored MD5.
 */
import path from 'node:path';
import { spawn } from 'node:child_process';
import { CLI, TOKEN, USER, cliEnv, runCommand, startVosyncServer } from './lib/procs.js';
import { benchClient, type BenchContext } from './lib/context.js';
import { makeLargeFile } from './lib/files.js';
import { atMost, equalTo, figure, type BenchResult } from './lib/report.js';

interface FaultState {
  stats: { injected: Record<string, number> };
}

interface Control {
  /** Sets the fault spec (or only reads it, without `spec`). */
  faults(spec?: string): Promise<FaultState>;
  received(): Promise<number>;
}

/** The server's test controls (alice is its admin): fault spec and the bytes it has received. */
function control(baseUrl: string): Control {
  const call = async (what: string, body?: string) => {
    const res = await fetch(`${baseUrl}/_vosync/${what}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      ...(body === undefined ? {} : { body }),
    });
    if (res.status !== 200) throw new Error(`/_vosync/${what}: HTTP ${res.status} ${await res.text()}`);
    return res.json();
  };
  return {
    faults: async (spec) => (await call('faults', spec)) as FaultState,
    received: async () => ((await call('stats')) as { bytesReceived: number }).bytesReceived,
  };
}

async function cp(env: NodeJS.ProcessEnv, file: string, target: string): Promise<number> {
  const r = await runCommand(process.execPath, [CLI, 'cp', file, target], { env });
  if (r.code !== 0) throw new Error(`vosync cp ${target}: exit ${r.code}: ${r.stderr}`);
  return r.seconds;
}

/** Starts `vosync cp` and SIGKILLs it once the server has received `bytes` more bytes since `from`. */
async function killedMidway(
  env: NodeJS.ProcessEnv,
  file: string,
  target: string,
  ctl: Control,
  from: number,
  bytes: number,
): Promise<void> {
  const child = spawn(process.execPath, [CLI, 'cp', file, target], {
    env: { ...process.env, ...env },
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    while ((await ctl.received()) - from < bytes) {
      if (child.exitCode !== null) throw new Error('vosync cp finished before it could be killed');
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}

export async function resumableUpload(ctx: BenchContext): Promise<BenchResult> {
  const t0 = performance.now();
  const size = ctx.sizes.resumableBytes;
  const segment = Math.max(1024 * 1024, Math.ceil(size / 32));
  const segments = Math.ceil(size / segment);
  const file = path.join(ctx.work, 'cube.bin');
  ctx.log(`resumable upload: writing ${size} B`);
  const { md5 } = makeLargeFile(file, size);
  const server = await startVosyncServer(path.join(ctx.work, 'server'), { admin: true });
  const ctl = control(server.baseUrl);
  const env = {
    ...cliEnv(server.registryUrl, path.join(ctx.work, 'home')),
    VOSYNC_SEGMENT_THRESHOLD: String(segment),
    VOSYNC_SEGMENT_SIZE: String(segment),
  };
  const client = benchClient(server.registryUrl, path.join(ctx.work, 'cache'));
  let plainSeconds: number;
  let killedAfter: number;
  let seconds: number;
  let sent: number;
  let cuts: number;
  let stored: string | undefined;
  try {
    ctx.log('resumable upload: uninterrupted');
    plainSeconds = await cp(env, file, `vos:${USER}/plain.bin`);
    // Every fifth of the PUTs (start, segments, commit) is cut mid-body, three times in all; in quick mode a
    // little latency per request leaves time for the kill.
    const every = Math.max(2, Math.floor(segments / 5));
    const latency = ctx.quick ? 40 : 0;
    await ctl.faults(`every=${every},max=3,kinds=reset,endpoints=data,methods=PUT,latencyMs=${latency}`);
    const before = await ctl.received();
    const started = performance.now();
    ctx.log('resumable upload: cut three times, killed, resumed');
    await killedMidway(env, file, `vos:${USER}/cube.bin`, ctl, before, Math.floor(size * 0.8));
    killedAfter = (performance.now() - started) / 1000;
    await cp(env, file, `vos:${USER}/cube.bin`);
    seconds = (performance.now() - started) / 1000;
    sent = (await ctl.received()) - before;
    cuts = (await ctl.faults()).stats.injected['reset'] ?? 0;
    await ctl.faults('off');
    stored = (await client.getInfo(`vos:${USER}/cube.bin`)).md5;
  } finally {
    await client.close();
    await server.stop();
  }
  if (stored !== md5) throw new Error(`stored MD5 ${stored}, file MD5 ${md5}`);
  const mb = size / 1e6;
  return {
    name: 'resumable-upload',
    title: 'A big upload cut three times and killed once',
    notes: [
      `${(size / 2 ** 20).toLocaleString('en-US')} MiB of random bytes in ${segments} segments of ` +
        `${(segment / 2 ** 20).toLocaleString('en-US')} MiB (VOSYNC_SEGMENT_SIZE), sent by \`vosync cp\` to a ` +
        '`vosync serve` child. Three segment PUTs are cut mid-body by injected resets (`every=N,max=3`), the cp ' +
        'process is SIGKILLed once 80 % of the file has reached the server, and a second `vosync cp` finishes ' +
        'from the server state. Bytes = what the server read from its connections (headers included). ' +
        `Stored MD5 checked against the file's (${md5}). Baseline: the same upload uninterrupted.`,
      `Killed after ${killedAfter.toFixed(1)} s; the second run took ${(seconds - killedAfter).toFixed(1)} s ` +
        '(it re-reads the prefix the server holds to check its MD5 before going on).',
    ],
    seconds: (performance.now() - t0) / 1000,
    figures: [
      figure({
        key: 'bytesSent.perFileByte',
        label: 'bytes received ÷ file size',
        value: sent / size,
        unit: '×',
        target: atMost(2),
      }),
      figure({ key: 'cuts', label: 'injected cuts', value: cuts, unit: '', target: equalTo(3) }),
      figure({
        key: 'effective.MBps',
        label: 'effective rate, cuts and kill included',
        value: mb / seconds,
        unit: 'MB/s',
        baseline: { label: 'same upload, uninterrupted', value: mb / plainSeconds, unit: 'MB/s' },
      }),
    ],
  };
}
