/**
 * Bulk transfer of many small files (10,000 × 4 KiB) to and from a local `vosync serve`, in files per second:
 *
 * - `vosync sync` (the one-shot vsync-like CLI, a child process) up and down;
 * - the sync engine (`syncPair`, the daemon's cycle) uploading a new tree and downloading it into an empty one;
 * - baselines in the same run: one plain HTTP PUT/GET per file against a plain Node HTTP server, one plain PUT/GET
 *   per file against `vosync serve` itself (ARC's /files endpoint), and CADC's `vsync` (up) and `vcp` (down)
 *   when `VSYNC_CMD` is set;
 * - requests per file of each vosync path, counted on a small sample against a logging server;
 * - the client's CPU per file (user + system of the `vosync sync` process, and of CADC's vsync/vcp beside it):
 *   unlike files per second, that ratio holds whatever the server costs, and here the server shares the machine.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Agent, request } from 'undici';
import { SyncIndex } from '../src/agent/store/index-db.js';
import { syncPair, type CycleResult } from '../src/agent/engine/pair-sync.js';
import type { Client } from '../src/vospace/client.js';
import { benchClient, mkdirp, pairConfig, type BenchContext } from './lib/context.js';
import { countFiles, makeTree, timed, type Tree } from './lib/files.js';
import {
  CLI,
  TOKEN,
  USER,
  cliEnv,
  runCommand,
  startRawServer,
  startVosyncServer,
  type ServerProc,
} from './lib/procs.js';
import { atLeast, atMost, figure, type BenchResult, type Figure } from './lib/report.js';
import { vospaceRemote } from '../src/agent/remote/vospace/connect.js';

interface Rates {
  up: number;
  down: number;
}

/** The client process's user + system CPU seconds per file, each way (the server's CPU not included). */
interface CpuPerFile {
  upCpu: number;
  downCpu: number;
}

/** `vosync sync` up: the first run's seconds, and a second run over the unchanged tree (must send nothing). */
interface CliRuns extends Rates, CpuPerFile {
  upSeconds: number;
  againSeconds: number;
  againHashed: number;
}

/** Runs `fn(i)` for i in [0, n) with `streams` workers. */
async function pool(n: number, streams: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(n, streams) }, worker));
}

/** One plain PUT then one plain GET per file, `streams` at a time; returns files/s each way. */
async function plainHttp(
  tree: Tree,
  urlFor: (rel: string) => string,
  downDir: string,
  streams: number,
  headers: Record<string, string> = {},
): Promise<{ up: number; down: number }> {
  const agent = new Agent({ connections: streams, keepAliveTimeout: 30_000 });
  try {
    const n = tree.files.length;
    const up = await timed(() =>
      pool(n, streams, async (i) => {
        const f = tree.files[i]!;
        const body = await fs.promises.readFile(path.join(tree.root, f.rel));
        const res = await request(urlFor(f.rel), { method: 'PUT', body, headers, dispatcher: agent });
        await res.body.dump();
        if (res.statusCode !== 201 && res.statusCode !== 200)
          throw new Error(`PUT ${f.rel}: HTTP ${res.statusCode}`);
      }),
    );
    for (const d of tree.dirs) fs.mkdirSync(path.join(downDir, d), { recursive: true });
    const down = await timed(() =>
      pool(n, streams, async (i) => {
        const f = tree.files[i]!;
        const res = await request(urlFor(f.rel), { method: 'GET', headers, dispatcher: agent });
        const buf = Buffer.from(await res.body.arrayBuffer());
        if (res.statusCode !== 200 || buf.length !== f.size)
          throw new Error(`GET ${f.rel}: HTTP ${res.statusCode}`);
        await fs.promises.writeFile(path.join(downDir, f.rel), buf);
      }),
    );
    return { up: n / up.seconds, down: n / down.seconds };
  } finally {
    await agent.close();
  }
}

async function makeRemoteDirs(client: Client, root: string, tree: Tree): Promise<void> {
  await client.mkdir(root, { parents: true });
  const made = new Set<string>();
  for (const d of tree.dirs) {
    const segs = d.split('/');
    for (let i = 1; i <= segs.length; i++) {
      const p = segs.slice(0, i).join('/');
      if (made.has(p)) continue;
      made.add(p);
      await client.mkdir(`${root}/${p}`);
    }
  }
}

/** `vosync sync` up (tree → remote) and down (remote → empty folder), as child processes. */
async function vosyncCli(
  ctx: BenchContext,
  server: ServerProc,
  tree: Tree,
  remote: string,
  downDir: string,
): Promise<CliRuns> {
  const env = cliEnv(server.registryUrl, mkdirp(ctx.work, `home-${path.basename(downDir)}`));
  const n = tree.files.length;
  const j = String(ctx.streams);
  const up = await runCommand(process.execPath, [CLI, 'sync', '-j', j, tree.root + '/', remote], { env });
  const sentUp = /sent (\d+) files/.exec(up.stdout);
  if (up.code !== 0 || Number(sentUp?.[1]) !== n)
    throw new Error(`vosync sync up failed (exit ${up.code}): ${up.stdout}${up.stderr}`);
  // The same command again over the unchanged tree: nothing may be sent, and the MD5 cache means nothing re-hashed.
  const again = await runCommand(
    process.execPath,
    [CLI, 'sync', '--json', '-j', j, tree.root + '/', remote],
    { env },
  );
  const second =
    again.code === 0
      ? (JSON.parse(again.stdout) as { result: { sent: number; failed: number; hashed: number } }).result
      : undefined;
  if (!second || second.sent !== 0 || second.failed !== 0)
    throw new Error(
      `vosync sync up (second run) sent files or failed (exit ${again.code}): ${again.stdout}${again.stderr}`,
    );
  const down = await runCommand(process.execPath, [CLI, 'sync', '-j', j, remote + '/', downDir], { env });
  const got = /received (\d+) files/.exec(down.stdout);
  if (down.code !== 0 || Number(got?.[1]) !== n || countFiles(downDir) !== n)
    throw new Error(`vosync sync down failed (exit ${down.code}): ${down.stdout}${down.stderr}`);
  return {
    up: n / up.seconds,
    down: n / down.seconds,
    upSeconds: up.seconds,
    upCpu: up.cpuSeconds / n,
    downCpu: down.cpuSeconds / n,
    againSeconds: again.seconds,
    againHashed: second.hashed,
  };
}

/** The daemon's cycle: one syncPair uploading a new tree, then one downloading it into an empty folder. */
async function engine(
  ctx: BenchContext,
  client: Client,
  tree: Tree,
  remote: string,
  downDir: string,
): Promise<Rates> {
  const n = tree.files.length;
  const once = async (name: string, local: string): Promise<{ r: CycleResult; seconds: number }> => {
    const index = SyncIndex.open(path.join(ctx.work, `${name}.sqlite`));
    try {
      const t = await timed(() =>
        syncPair({
          pair: pairConfig(name, local, remote),
          remote: vospaceRemote(client, pairConfig(name, local, remote)),
          index,
          now: Date.now,
          host: 'bench',
          concurrency: ctx.streams,
          caseInsensitiveLocal: false,
        }),
      );
      const r = t.value;
      if (r.paused || (r.report?.failed.length ?? 1) > 0)
        throw new Error(`engine ${name}: ${r.paused ?? JSON.stringify(r.report?.failed.slice(0, 3))}`);
      return { r, seconds: t.seconds };
    } finally {
      index.close();
    }
  };
  const up = await once('engine-up', tree.root);
  fs.mkdirSync(downDir, { recursive: true });
  const down = await once('engine-down', downDir);
  if (countFiles(downDir) !== n)
    throw new Error(`engine download: ${countFiles(downDir)} files in ${downDir}, expected ${n}`);
  return { up: n / up.seconds, down: n / down.seconds };
}

/** CADC's `vsync` up and `vcp` down (both single command lines, `streams` threads for vsync). */
async function cadc(
  ctx: BenchContext,
  server: ServerProc,
  client: Client,
  tree: Tree,
  remote: string,
  downDir: string,
): Promise<Rates & CpuPerFile & { downFiles?: number; notes: string[] }> {
  const cmd = ctx.vsyncCmd!;
  const notes: string[] = [];
  const run = (args: string[]) =>
    runCommand(cmd[0]!, [...cmd.slice(1), server.baseUrl, TOKEN, ...args], { discardStdout: true });
  await client.mkdir(remote, { parents: true });
  const n = tree.files.length;
  const up = await run(['vsync', '--nstreams', String(ctx.streams), '--recursive', tree.root, remote]);
  const listed = await countRemote(client, `${remote}/${path.basename(tree.root)}`);
  // vsync reports files it could not write and carries on ("run vsync repeatedly until no errors"): say so.
  const failures = up.stderr.split('\n').filter((l) => /ERROR/.test(l));
  if (up.code !== 0 || failures.length > 0 || listed < n)
    notes.push(
      `CADC vsync exited ${up.code} with ${failures.length} error line(s) and left ${listed} of ${n} files on the ` +
        `server${failures[0] ? `; first error: "${failures[0].trim()}"` : ''}.`,
    );
  // vcp downloads one file at a time; a 1,000-file subset keeps the run short and gives the same per-file rate.
  const subset = ctx.quick
    ? tree.dirs.slice(0, 1)
    : tree.dirs.slice(0, Math.max(1, Math.round(tree.dirs.length / 10)));
  const subsetFiles = tree.files.filter((f) => subset.some((d) => f.rel.startsWith(d + '/'))).length;
  fs.mkdirSync(downDir, { recursive: true });
  let seconds = 0;
  let downCpu = 0;
  for (const d of subset) {
    const r = await run(['vcp', `${remote}/${path.basename(tree.root)}/${d}`, downDir + '/']);
    if (r.code !== 0) throw new Error(`CADC vcp ${d}: exit ${r.code}: ${r.stderr.slice(-2000)}`);
    seconds += r.seconds;
    downCpu += r.cpuSeconds;
  }
  const got = countFiles(downDir);
  if (got !== subsetFiles) throw new Error(`CADC vcp: ${got} files downloaded, expected ${subsetFiles}`);
  notes.push(
    `CADC baseline: \`vsync --nstreams ${ctx.streams} --recursive\` for the upload (all ${n} files); ` +
      `\`vcp\` (recursive, one stream: vsync cannot download) for the download, on ${subsetFiles} of the files ` +
      `(${subset.length} folder(s), one vcp per folder), rate = files ÷ summed wall time.`,
  );
  return {
    up: n / up.seconds,
    down: subsetFiles / seconds,
    upCpu: up.cpuSeconds / n,
    downCpu: downCpu / subsetFiles,
    downFiles: subsetFiles,
    notes,
  };
}

async function countRemote(client: Client, root: string): Promise<number> {
  let n = 0;
  const walk = async (p: string) => {
    for (const c of await client.list(p)) {
      if (c.kind === 'container') await walk(`${p}/${c.name}`);
      else if (c.kind === 'file') n++;
    }
  };
  await walk(root);
  return n;
}

/** Requests per file of each vosync path, counted from a logging server's request log on a small sample. */
async function requestsPerFile(ctx: BenchContext): Promise<Record<string, number>> {
  const work = mkdirp(ctx.work, 'requests');
  const tree = makeTree(path.join(work, 'src'), ctx.sizes.requestSample, 2, ctx.sizes.smallFileBytes);
  const server = await startVosyncServer(path.join(work, 'server'), { verbose: true });
  const client = benchClient(server.registryUrl, path.join(work, 'cache'));
  const out: Record<string, number> = {};
  try {
    await client.mkdir(`vos:${USER}/req`);
    // Each step's requests: log lines between two marks, without the fixed per-run cost (registry,
    // capabilities, root checks), which is measured with an empty tree and subtracted.
    const lines = () =>
      server
        .output()
        .split('\n')
        .filter((l) => /^[A-Z]+ \//.test(l)).length;
    const settle = async () => {
      await new Promise((r) => setTimeout(r, 150));
      return lines();
    };
    const n = tree.files.length;
    const count = async (key: string, fn: (t: Tree, tag: string) => Promise<void>, empty: Tree) => {
      let before = await settle();
      await fn(empty, `${key}-empty`);
      const fixed = (await settle()) - before;
      before = await settle();
      await fn(tree, key);
      out[key] = ((await settle()) - before - fixed) / n;
    };
    const emptyTree = { root: mkdirp(work, 'empty'), dirs: [], files: [] };
    await count(
      'cli-up',
      async (t, tag) => {
        const env = cliEnv(server.registryUrl, mkdirp(work, 'home'));
        await runCommand(process.execPath, [CLI, 'sync', '-j', '4', t.root + '/', `vos:${USER}/req/${tag}`], {
          env,
        });
      },
      emptyTree,
    );
    await count(
      'cli-down',
      async (_t, tag) => {
        const env = cliEnv(server.registryUrl, mkdirp(work, 'home'));
        const src = tag.endsWith('-empty') ? 'cli-up-empty' : 'cli-up';
        await runCommand(
          process.execPath,
          [CLI, 'sync', '-j', '4', `vos:${USER}/req/${src}/`, path.join(work, tag)],
          {
            env,
          },
        );
      },
      emptyTree,
    );
    await count(
      'engine-up',
      async (t, tag) => {
        const index = SyncIndex.open(path.join(work, `${tag}.sqlite`));
        try {
          await syncPair({
            pair: pairConfig(tag, t.root, `vos:${USER}/req/${tag}`),
            remote: vospaceRemote(client, pairConfig(tag, t.root, `vos:${USER}/req/${tag}`)),
            index,
            now: Date.now,
            host: 'bench',
            concurrency: 4,
            caseInsensitiveLocal: false,
          });
        } finally {
          index.close();
        }
      },
      emptyTree,
    );
    await count(
      'engine-down',
      async (_t, tag) => {
        const src = tag.endsWith('-empty') ? 'engine-up-empty' : 'engine-up';
        const local = mkdirp(work, tag);
        const index = SyncIndex.open(path.join(work, `${tag}.sqlite`));
        try {
          await syncPair({
            pair: pairConfig(tag, local, `vos:${USER}/req/${src}`),
            remote: vospaceRemote(client, pairConfig(tag, local, `vos:${USER}/req/${src}`)),
            index,
            now: Date.now,
            host: 'bench',
            concurrency: 4,
            caseInsensitiveLocal: false,
          });
        } finally {
          index.close();
        }
      },
      emptyTree,
    );
  } finally {
    await client.close();
    await server.stop();
  }
  return out;
}

export async function smallFiles(ctx: BenchContext): Promise<BenchResult> {
  const t0 = performance.now();
  const { smallFiles: n, smallFileBytes: size } = ctx.sizes;
  const notes: string[] = [];
  const dirCount = ctx.quick ? 4 : 20;
  ctx.log(`small files: writing ${n} × ${size} B`);
  const tree = makeTree(path.join(ctx.work, 'src'), n, dirCount, size);
  notes.push(
    `${n.toLocaleString('en-US')} files × ${size} B in ${dirCount} folders; ${ctx.streams} parallel streams for every ` +
      'client; server and CLI clients are separate processes on the same 2-core machine.',
  );

  const server = await startVosyncServer(path.join(ctx.work, 'server'));
  const client = benchClient(server.registryUrl, path.join(ctx.work, 'cache'), ctx.streams * 2);
  const raw = await startRawServer(path.join(ctx.work, 'raw-data'));
  /** Runs one measurement; a failure becomes a note and leaves its figures empty, the others still run. */
  const attempt = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    ctx.log(`small files: ${what}`);
    try {
      return await fn();
    } catch (e) {
      notes.push(`${what} FAILED: ${(e as Error).message.slice(0, 2000)}`);
      ctx.log(`small files: ${what} failed: ${(e as Error).stack}`);
      return undefined;
    }
  };
  let cli: CliRuns | undefined;
  let eng: Rates | undefined;
  let plain: Rates | undefined;
  let floor: Rates | undefined;
  let cadcRates: Awaited<ReturnType<typeof cadc>> | undefined;
  try {
    plain = await attempt('plain HTTP PUT/GET per file (plain server)', () =>
      plainHttp(tree, (rel) => `${raw.baseUrl}/${rel}`, path.join(ctx.work, 'plain-down'), ctx.streams),
    );
    floor = await attempt('plain HTTP PUT/GET per file (vosync serve, ARC /files)', async () => {
      await makeRemoteDirs(client, `arc:home/${USER}/plain`, tree);
      return plainHttp(
        tree,
        (rel) => `${server.baseUrl}/arc/files/home/${USER}/plain/${rel}`,
        path.join(ctx.work, 'floor-down'),
        ctx.streams,
        { authorization: `Bearer ${TOKEN}` },
      );
    });
    cli = await attempt('vosync sync up/down', () =>
      vosyncCli(ctx, server, tree, `vos:${USER}/small-cli`, path.join(ctx.work, 'cli-down')),
    );
    eng = await attempt('sync engine up/down', () =>
      engine(ctx, client, tree, `vos:${USER}/small-engine`, path.join(ctx.work, 'engine-down')),
    );
    if (ctx.vsyncCmd) {
      cadcRates = await attempt('CADC vsync up, vcp down', () =>
        cadc(ctx, server, client, tree, `vos:${USER}/small-cadc`, path.join(ctx.work, 'cadc-down')),
      );
      if (cadcRates) notes.push(...cadcRates.notes);
    } else {
      notes.push('CADC baseline not measured: VSYNC_CMD is not set.');
    }
  } finally {
    await client.close();
    await server.stop();
    await raw.stop();
  }
  const rpf = (await attempt('requests per file', () => requestsPerFile(ctx))) ?? {};

  const plainUp = plain?.up ? { label: 'plain PUT per file', value: plain.up, unit: 'files/s' } : undefined;
  const plainDown = plain?.down
    ? { label: 'plain GET per file', value: plain.down, unit: 'files/s' }
    : undefined;
  const figures: Figure[] = [
    figure({
      key: 'cli.upload.filesPerSecond',
      label: '`vosync sync` upload',
      value: cli?.up,
      unit: 'files/s',
      ...(plainUp ? { baseline: plainUp } : {}),
      target: atLeast(1000, 'files/s'),
    }),
    figure({
      key: 'cli.download.filesPerSecond',
      label: '`vosync sync` download',
      value: cli?.down,
      unit: 'files/s',
      ...(plainDown ? { baseline: plainDown } : {}),
      target: atLeast(1000, 'files/s'),
    }),
    figure({
      key: 'cli.upload.seconds',
      label: `\`vosync sync\` upload of ${tree.files.length.toLocaleString('en-US')} files, first run`,
      value: cli?.upSeconds,
      unit: 's',
    }),
    figure({
      key: 'cli.again.seconds',
      label: `\`vosync sync\` upload again, nothing changed (0 sent, ${cli?.againHashed ?? '?'} hashed)`,
      value: cli?.againSeconds,
      unit: 's',
    }),
    figure({
      key: 'cli.upload.vsCadc',
      label: '`vosync sync` upload vs CADC `vsync`',
      value: cli?.up,
      unit: 'files/s',
      ...(cadcRates?.up ? { baseline: { label: 'CADC vsync', value: cadcRates.up, unit: 'files/s' } } : {}),
      ratioTarget: atLeast(10),
      ...(cadcRates ? {} : { note: 'VSYNC_CMD not set' }),
    }),
    figure({
      key: 'cli.download.vsCadc',
      label: '`vosync sync` download vs CADC `vcp`',
      value: cli?.down,
      unit: 'files/s',
      ...(cadcRates?.down ? { baseline: { label: 'CADC vcp', value: cadcRates.down, unit: 'files/s' } } : {}),
      ratioTarget: atLeast(10),
      ...(cadcRates ? {} : { note: 'VSYNC_CMD not set' }),
    }),
    figure({
      key: 'cli.upload.cpuMsPerFile',
      label: '`vosync sync` upload, client CPU (user + system) per file',
      value: cli ? cli.upCpu * 1000 : undefined,
      unit: 'ms',
      ...(cadcRates
        ? { baseline: { label: 'CADC vsync', value: cadcRates.upCpu * 1000, unit: 'ms' } }
        : { note: 'VSYNC_CMD not set' }),
      ratioMeaning: 'lower is better',
      ratioTarget: atMost(0.1),
    }),
    figure({
      key: 'cli.download.cpuMsPerFile',
      label: '`vosync sync` download, client CPU (user + system) per file',
      value: cli ? cli.downCpu * 1000 : undefined,
      unit: 'ms',
      ...(cadcRates
        ? { baseline: { label: 'CADC vcp', value: cadcRates.downCpu * 1000, unit: 'ms' } }
        : { note: 'VSYNC_CMD not set' }),
      ratioMeaning: 'lower is better',
      ratioTarget: atMost(0.1),
    }),
    figure({
      key: 'engine.upload.filesPerSecond',
      label: 'sync engine (daemon cycle) upload',
      value: eng?.up,
      unit: 'files/s',
      ...(plainUp ? { baseline: plainUp } : {}),
      target: atLeast(1000, 'files/s'),
    }),
    figure({
      key: 'engine.download.filesPerSecond',
      label: 'sync engine (daemon cycle) download',
      value: eng?.down,
      unit: 'files/s',
      ...(plainDown ? { baseline: plainDown } : {}),
      target: atLeast(1000, 'files/s'),
    }),
    figure({
      key: 'serverFloor.upload.filesPerSecond',
      label: 'one plain PUT per file to `vosync serve` (ARC /files)',
      value: floor?.up,
      unit: 'files/s',
      ...(plainUp ? { baseline: plainUp } : {}),
    }),
    figure({
      key: 'serverFloor.download.filesPerSecond',
      label: 'one plain GET per file from `vosync serve` (ARC /files)',
      value: floor?.down,
      unit: 'files/s',
      ...(plainDown ? { baseline: plainDown } : {}),
    }),
  ];
  // The engine's upload: a negotiation and a PUT per file, the rest shared by the files of a folder (issue 13).
  const requestTargets: Partial<Record<string, ReturnType<typeof atMost>>> = {
    'engine-up': atMost(2.5, 'req'),
  };
  for (const [k, label] of [
    ['cli-up', '`vosync sync` upload'],
    ['cli-down', '`vosync sync` download'],
    ['engine-up', 'sync engine upload'],
    ['engine-down', 'sync engine download'],
  ] as const) {
    const target = requestTargets[k];
    figures.push(
      figure({
        key: `requestsPerFile.${k}`,
        label: `HTTP requests per file, ${label}`,
        value: rpf[k],
        unit: 'req',
        ...(target ? { target } : {}),
      }),
    );
  }
  return {
    name: 'small-files',
    title: 'Bulk small files',
    figures,
    notes,
    seconds: (performance.now() - t0) / 1000,
  };
}
