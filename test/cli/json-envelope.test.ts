/**
 * Every command answers `--json` with the one envelope of docs/schemas/cli/envelope.json, on success and on
 * failure (usage errors too): a table of command lines, one or more per command, run in-process against the
 * embedded server, each checked against the schema and for its ok, exit code and error code. A walk over the
 * program's commands makes sure none is missing from the table.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { publishedSchema, validate } from '../status/json-schema.js';
import { startHarness, writeFiles, type Harness, type RunResult } from './helpers.js';

let h: Harness;
let configFile: string;
let badConfig: string;

beforeAll(async () => {
  h = await startHarness('envelope');
  writeFiles(h.work, {
    'up/a.txt': 'alpha',
    'up/b.txt': 'beta',
    'down/.keep': '',
    'synced/c.txt': 'c',
  });
  fs.mkdirSync(path.join(h.home, '.cache'), { recursive: true });
  configFile = path.join(h.tmp, 'config.yaml');
  fs.writeFileSync(
    configFile,
    [
      `registry: ${h.registry}`,
      'auth: { token: alicetoken1 }',
      `state: { dir: ${path.join(h.tmp, 'state')} }`,
      `status: { port: 0, tokenFile: ${path.join(h.tmp, 'status-token')} }`,
      'notifications: { enabled: false }',
      'pairs:',
      `  - { name: synced, local: ${path.join(h.work, 'synced')}, remote: vos:alice/env-synced }`,
      '',
    ].join('\n'),
  );
  badConfig = path.join(h.tmp, 'bad.yaml');
  fs.writeFileSync(badConfig, 'transfers: { concurrency: lots }\npairs: []\n');
});

afterAll(async () => {
  await h.close();
});

interface Case {
  /** The command as the envelope names it. */
  command: string;
  args: () => string[];
  ok: boolean;
  exitCode: number;
  /** error.code, for failures. */
  error?: string;
  /** What the result must hold, where it matters. */
  result?: (r: Record<string, unknown>) => void;
}

const remote = 'vos:alice/env';
const cfg = () => ['--config', configFile];

/** In order: later lines use what earlier ones made. */
const CASES: Case[] = [
  { command: 'login', args: () => ['login', '-u', 'alice'], ok: true, exitCode: 0 },
  { command: 'mkdir', args: () => ['mkdir', '-p', `${remote}/d`], ok: true, exitCode: 0 },
  {
    command: 'mkdir',
    args: () => ['mkdir', 'vos:alice/no/such/parent'],
    ok: false,
    exitCode: 2,
    error: 'not-found',
  },
  { command: 'cp', args: () => ['cp', 'up/a.txt', `${remote}/a.txt`], ok: true, exitCode: 0 },
  {
    command: 'cp',
    args: () => ['cp', 'no-such-file', `${remote}/`],
    ok: false,
    exitCode: 2,
    error: 'local:ENOENT',
  },
  {
    command: 'sync',
    args: () => ['sync', 'up/', `${remote}/tree`],
    ok: true,
    exitCode: 0,
    result: (r) => expect(r['sent']).toBe(2),
  },
  { command: 'check', args: () => ['check', 'up', `${remote}/tree`], ok: true, exitCode: 0 },
  { command: 'check', args: () => ['check', 'down', `${remote}/tree`], ok: true, exitCode: 1 },
  {
    command: 'ls',
    args: () => ['ls', remote],
    ok: true,
    exitCode: 0,
    result: (r) => expect(Array.isArray(r['items'])).toBe(true),
  },
  { command: 'ls', args: () => ['ls', `${remote}/nothing`], ok: false, exitCode: 2, error: 'not-found' },
  { command: 'info', args: () => ['info', `${remote}/a.txt`], ok: true, exitCode: 0 },
  {
    command: 'cat',
    args: () => ['cat', `${remote}/a.txt`],
    ok: true,
    exitCode: 0,
    result: (r) => expect(r['files']).toEqual([{ node: `${remote}/a.txt`, size: 5, text: 'alpha' }]),
  },
  { command: 'tag', args: () => ['tag', `${remote}/a.txt`, 'title=first'], ok: true, exitCode: 0 },
  {
    command: 'tag',
    args: () => ['tag', `${remote}/a.txt`, 'nosuch'],
    ok: false,
    exitCode: 2,
    error: 'not-found',
  },
  { command: 'chmod', args: () => ['chmod', 'o+r', `${remote}/a.txt`], ok: true, exitCode: 0 },
  { command: 'lock', args: () => ['lock', `${remote}/a.txt`], ok: true, exitCode: 1 },
  { command: 'ln', args: () => ['ln', `${remote}/a.txt`, `${remote}/link`], ok: true, exitCode: 0 },
  { command: 'mv', args: () => ['mv', `${remote}/link`, `${remote}/d`], ok: true, exitCode: 0 },
  { command: 'rm', args: () => ['rm', `${remote}/d`], ok: false, exitCode: 21, error: 'is-a-directory' },
  { command: 'rmdir', args: () => ['rmdir', `${remote}/d`], ok: false, exitCode: 39, error: 'not-empty' },
  { command: 'rm', args: () => ['rm', '-R', `${remote}/d`], ok: true, exitCode: 0 },
  { command: 'rmdir', args: () => ['rmdir', `${remote}/tree`], ok: false, exitCode: 39, error: 'not-empty' },
  {
    command: 'cert',
    args: () => ['cert', '--check', '--cert', path.join(h.tmp, 'none.pem')],
    ok: false,
    exitCode: 2,
    error: 'not-found',
  },
  { command: 'logout', args: () => ['logout'], ok: true, exitCode: 0 },
  { command: 'config check', args: () => ['config', 'check', ...cfg()], ok: true, exitCode: 0 },
  {
    command: 'config check',
    args: () => ['config', 'check', '--config', badConfig],
    ok: false,
    exitCode: 2,
    error: 'config',
    result: (r) =>
      expect(r['problems']).toEqual([expect.objectContaining({ path: 'transfers.concurrency', line: 1 })]),
  },
  { command: 'config path', args: () => ['config', 'path'], ok: true, exitCode: 0 },
  {
    command: 'config init',
    args: () => ['config', 'init', '--config', path.join(h.tmp, 'new.yaml')],
    ok: true,
    exitCode: 0,
  },
  {
    command: 'config init',
    args: () => ['config', 'init', ...cfg()],
    ok: false,
    exitCode: 1,
    error: 'exists',
  },
  {
    command: 'once',
    args: () => ['once', '--dry-run', ...cfg()],
    ok: true,
    exitCode: 0,
    result: (r) => expect(r['pairs']).toEqual([{ name: 'synced', plan: [expect.stringContaining('c.txt')] }]),
  },
  {
    command: 'once',
    args: () => ['once', ...cfg()],
    ok: true,
    exitCode: 0,
    result: (r) => expect(r['pairs']).toEqual([expect.objectContaining({ name: 'synced', outcome: 'ok' })]),
  },
  { command: 'trash list', args: () => ['trash', 'list', ...cfg()], ok: true, exitCode: 0 },
  {
    command: 'restore',
    args: () => ['restore', path.join(h.work, 'synced', 'c.txt'), ...cfg()],
    ok: false,
    exitCode: 2,
    error: 'not-found',
  },
  {
    command: 'resolve',
    args: () => ['resolve', path.join(h.work, 'synced', 'c.txt'), '--keep', 'both', ...cfg()],
    ok: false,
    exitCode: 2,
    error: 'not-found',
  },
  // No daemon runs for this config: the daemon's commands say so, as monitoring's "unknown".
  { command: 'status', args: () => ['status', ...cfg()], ok: false, exitCode: 3, error: 'not-running' },
  { command: 'pause', args: () => ['pause', ...cfg()], ok: false, exitCode: 3, error: 'not-running' },
  { command: 'resume', args: () => ['resume', ...cfg()], ok: false, exitCode: 3, error: 'not-running' },
  { command: 'rescan', args: () => ['rescan', ...cfg()], ok: false, exitCode: 3, error: 'not-running' },
  { command: 'log', args: () => ['log', ...cfg()], ok: false, exitCode: 3, error: 'not-running' },
  { command: 'reload', args: () => ['reload', ...cfg()], ok: false, exitCode: 3, error: 'not-running' },
  {
    command: 'daemon',
    args: () => ['daemon', '--config', badConfig],
    ok: false,
    exitCode: 2,
    error: 'config',
  },
  {
    command: 'serve',
    args: () => ['serve', '--data', h.tmp, '--port', 'x'],
    ok: false,
    exitCode: 22,
    error: 'invalid',
  },
  {
    command: 'demo',
    args: () => ['demo', '--dir', path.join(h.work, 'up', 'a.txt')],
    ok: false,
    exitCode: 17,
    error: 'local:EEXIST',
  },
  { command: 'service status', args: () => ['service', 'status'], ok: true, exitCode: 3 },
  { command: 'service uninstall', args: () => ['service', 'uninstall'], ok: true, exitCode: 0 },
  {
    command: 'service install',
    args: () => ['service', 'install', '--no-start', ...cfg()],
    ok: true,
    exitCode: 0,
  },
  { command: 'aliases install', args: () => ['aliases', 'install'], ok: true, exitCode: 0 },
  { command: 'aliases list', args: () => ['aliases', 'list'], ok: true, exitCode: 0 },
  { command: 'aliases uninstall', args: () => ['aliases', 'uninstall'], ok: true, exitCode: 0 },
  // Usage errors: the command as far as the line names one.
  { command: 'ls', args: () => ['ls', '--no-such-option', remote], ok: false, exitCode: 22, error: 'usage' },
  {
    command: 'config check',
    args: () => ['config', 'check', '--bogus'],
    ok: false,
    exitCode: 22,
    error: 'usage',
  },
  { command: 'vosync', args: () => ['no-such-command'], ok: false, exitCode: 22, error: 'usage' },
];

const schema = publishedSchema('cli/envelope');

function check(c: Case, r: RunResult): void {
  const where = `${c.args().join(' ')}\n--- stdout:\n${r.stdout}\n--- stderr:\n${r.stderr}`;
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(r.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(`not one JSON document: ${where}`);
  }
  expect(validate(schema, doc), where).toEqual([]);
  expect(doc, where).toMatchObject({ ok: c.ok, command: c.command, exitCode: c.exitCode });
  expect(r.code, where).toBe(c.exitCode);
  if (!c.ok) expect((doc['error'] as { code: string }).code, where).toBe(c.error);
  // The words of a failure go to stderr as well, for people.
  if (!c.ok) expect(r.stderr, where).not.toBe('');
  if (c.result) c.result(doc['result'] as Record<string, unknown>);
}

/** Every command a user can run (the leaves of the program's tree), as the envelope names them. */
function leafCommands(cmd: Command, prefix = ''): string[] {
  return cmd.commands.flatMap((c) => {
    const name = prefix ? `${prefix} ${c.name()}` : c.name();
    return c.commands.length > 0 ? leafCommands(c, name) : [name];
  });
}

describe('--json on every command', () => {
  it('the table covers every command of the program', () => {
    const table = new Set(CASES.map((c) => c.command));
    for (const name of leafCommands(buildProgram())) expect(table.has(name), name).toBe(true);
  });

  it('every line prints one envelope valid against the schema, with the right ok, exit code and error', async () => {
    for (const c of CASES) {
      const env = c.command === 'login' ? { CADC_PASSWORD: 'alice-pw' } : {};
      check(c, await h.run(['--json', ...c.args()], { env }));
    }
  });

  it('the schema tells a wrong document from a right one', () => {
    const good = { ok: false, command: 'ls', exitCode: 2, error: { code: 'not-found', message: 'x' } };
    expect(validate(schema, good)).toEqual([]);
    expect(validate(schema, { ...good, error: undefined })).not.toEqual([]);
    expect(validate(schema, { ok: true, command: 'ls', exitCode: 0 })).not.toEqual([]);
    expect(validate(schema, { ok: true, command: 'ls', exitCode: 0, result: {}, extra: 1 })).not.toEqual([]);
  });

  it('the vostools aliases use the same envelope', async () => {
    const r = await h.run(['--json', `${remote}/a.txt`], { alias: 'vls' });
    expect(validate(schema, JSON.parse(r.stdout))).toEqual([]);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, command: 'vls', exitCode: 0 });
  });

  it('a long-running command prints its envelope on one line as soon as it runs (serve)', async () => {
    const child = spawn(
      process.execPath,
      [
        path.resolve('dist/cli/main.js'),
        'serve',
        '--json',
        '--data',
        path.join(h.tmp, 'served'),
        '--port',
        '0',
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    try {
      const first = await new Promise<string>((resolve) =>
        createInterface({ input: child.stdout! }).once('line', resolve),
      );
      const doc = JSON.parse(first) as { result: { baseUrl: string } };
      expect(validate(schema, doc)).toEqual([]);
      expect(doc).toMatchObject({ ok: true, command: 'serve', exitCode: 0 });
      expect(doc.result.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
