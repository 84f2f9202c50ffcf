/** What a config reload changes, rule by rule (src/agent/config/diff.ts), over configs parsed from real YAML. */
import { describe, expect, it } from 'vitest';
import { parseConfigText, type VosyncConfig } from '../../src/agent/config/index.js';
import { diffConfigs, isNoChange } from '../../src/agent/config/diff.js';

const HOST = {
  env: {},
  platform: 'linux' as const,
  homedir: '/home/alice',
  baseDir: '/home/alice/.config/vosync',
};

const BASE = `
registry: https://ws.example.org/reg/resource-caps
auth:
  token: abc
transfers:
  concurrency: 4
log:
  level: info
pairs:
  - name: notes
    local: /home/alice/notes
    remote: vos:alice/notes
  - name: data
    local: /home/alice/data
    remote: vos:alice/data
    mode: backup
`;

const parse = (text: string): VosyncConfig => parseConfigText(text, 'test.yaml', HOST);

/** BASE with one line replaced (or appended when `from` is empty). */
function edited(from: string, to: string): VosyncConfig {
  if (from === '') return parse(BASE + to);
  if (!BASE.includes(from)) throw new Error(`BASE has no ${from}`);
  return parse(BASE.replace(from, to));
}

describe('diffConfigs', () => {
  const base = parse(BASE);

  it('the same file changes nothing', () => {
    const c = diffConfigs(base, parse(BASE));
    expect(isNoChange(c)).toBe(true);
    expect(c).toEqual({
      pairsAdded: [],
      pairsRemoved: [],
      pairsRestarted: [],
      clientChanged: false,
      applied: [],
      restartNeeded: [],
    });
  });

  const rows: {
    what: string;
    next: VosyncConfig;
    restarted: string[];
    client: boolean;
    applied: string[];
    restartNeeded?: string[];
  }[] = [
    {
      what: 'a pair mode',
      next: edited('mode: backup', 'mode: mirror-down'),
      restarted: ['data'],
      client: false,
      applied: ['pairs.data'],
    },
    {
      what: 'a pair ignore list',
      next: edited('    mode: backup', '    mode: backup\n    ignore: ["*.tmp"]'),
      restarted: ['data'],
      client: false,
      applied: ['pairs.data'],
    },
    {
      what: 'the global poll schedule (merged into every pair)',
      next: edited('', 'schedule:\n  remotePoll: "*/2 * * * *"\n'),
      restarted: ['notes', 'data'],
      client: false,
      applied: ['pairs.notes', 'pairs.data'],
    },
    {
      what: 'concurrency (read at every cycle)',
      next: edited('concurrency: 4', 'concurrency: 8'),
      restarted: [],
      client: false,
      applied: ['transfers.concurrency'],
    },
    {
      what: 'a bandwidth cap (client-level): new client, every pair restarted',
      next: edited('concurrency: 4', 'concurrency: 4\n  bytesPerSecond: 1000000'),
      restarted: ['notes', 'data'],
      client: true,
      applied: ['transfers.bytesPerSecond'],
    },
    {
      what: 'the token',
      next: edited('token: abc', 'token: xyz'),
      restarted: ['notes', 'data'],
      client: true,
      applied: ['auth'],
    },
    {
      what: 'the registry',
      next: edited('ws.example.org', 'ws2.example.org'),
      restarted: ['notes', 'data'],
      client: true,
      applied: ['registry'],
    },
    {
      what: 'the log level',
      next: edited('level: info', 'level: debug'),
      restarted: [],
      client: false,
      applied: ['log.level'],
    },
    {
      what: 'the trash age',
      next: edited('', 'trash:\n  keepDays: 3\n'),
      restarted: [],
      client: false,
      applied: ['trash.keepDays'],
    },
    {
      what: 'the status port (start-up only)',
      next: edited('', 'status:\n  port: 9000\n'),
      restarted: [],
      client: false,
      applied: [],
      restartNeeded: ['status.port'],
    },
    {
      what: 'the state folder and log file (start-up only)',
      next: edited('', 'state:\n  dir: /srv/vosync\n'),
      restarted: [],
      client: false,
      applied: [],
      // The default log file lives in the state folder, so it moves too.
      restartNeeded: ['state.dir', 'log.file'],
    },
  ];

  for (const row of rows) {
    it(`changing ${row.what}`, () => {
      const c = diffConfigs(base, row.next);
      expect(c.pairsRestarted).toEqual(row.restarted);
      expect(c.clientChanged).toBe(row.client);
      expect(c.applied).toEqual(row.applied);
      expect(c.restartNeeded).toEqual(row.restartNeeded ?? []);
      expect(c.pairsAdded).toEqual([]);
      expect(c.pairsRemoved).toEqual([]);
      expect(isNoChange(c)).toBe(false);
    });
  }

  it('pairs added and removed by name', () => {
    const next = parse(
      BASE.replace('  - name: notes\n    local: /home/alice/notes\n    remote: vos:alice/notes\n', '') +
        '  - name: papers\n    local: /home/alice/papers\n    remote: arc:home/alice/papers\n',
    );
    const c = diffConfigs(base, next);
    expect(c.pairsAdded).toEqual(['papers']);
    expect(c.pairsRemoved).toEqual(['notes']);
    expect(c.pairsRestarted).toEqual([]);
    expect(c.applied).toEqual(['pairs.papers (new)', 'pairs.notes (removed)']);
  });

  it('a removed pair is not restarted even when the client changes', () => {
    const next = parse(
      BASE.replace('token: abc', 'token: new').replace(
        '  - name: notes\n    local: /home/alice/notes\n    remote: vos:alice/notes\n',
        '',
      ),
    );
    const c = diffConfigs(base, next);
    expect(c.pairsRemoved).toEqual(['notes']);
    expect(c.pairsRestarted).toEqual(['data']);
  });
});
