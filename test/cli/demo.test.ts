/** `vosync demo` (what `npm start` runs): an embedded server, a folder and the daemon, from any directory. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/agent/config/index.js';
import { spawnCli, type CliProc } from '../support/cli-proc.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vosync-demo-'));
let demo: CliProc | undefined;

afterAll(async () => {
  demo?.child.kill('SIGKILL');
  await demo?.exited;
  fs.rmSync(tmp, { recursive: true, force: true });
});

it('writes a configuration that keeps an awkward directory name whole, and syncs its folder', async () => {
  // A '#' starts a YAML comment and ': ' a mapping when written bare.
  const dir = path.join(tmp, "lab #2: Bob's data");
  demo = spawnCli(['demo', '--dir', dir], { PATH: process.env['PATH'] ?? '', HOME: tmp });
  const started = Date.now();
  while (!demo.output().includes('vosync demo is running')) {
    if (Date.now() - started > 20_000) throw new Error(`demo did not start: ${demo.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const config = loadConfig(path.join(dir, 'config.yaml'));
  expect(config.pairs[0]?.local).toBe(path.join(dir, 'folder'));
  expect(config.log.file).toBe(path.join(dir, 'vosync.log'));
  const url = /status: +(\S+)\/status/.exec(demo.output())?.[1];
  const token = fs.readFileSync(path.join(dir, 'status-token'), 'utf8').trim();
  let pair: { upToDate?: boolean } | undefined;
  while (!pair?.upToDate) {
    if (Date.now() - started > 30_000) throw new Error(`demo never synced: ${JSON.stringify(pair)}`);
    await new Promise((r) => setTimeout(r, 200));
    const res = await fetch(`${url}/status`, { headers: { authorization: `Bearer ${token}` } });
    pair = ((await res.json()) as { pairs: { upToDate: boolean }[] }).pairs[0];
  }
  expect(pair.upToDate).toBe(true);
});
