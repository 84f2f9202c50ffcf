/** Turns zod's issues into messages a person can act on: what was found, what is expected, what was meant. */
import type { z } from 'zod';
import { describeValue, formatPath, makeIssue, type ConfigIssue, type PathSegment } from './issues.js';
import type { IssueParams } from './schema.js';
import { closest, looseForm } from './suggest.js';

/** An issue plus whether its position is the key (unknown keys) rather than the value. */
export interface PendingIssue {
  issue: ConfigIssue;
  atKey: boolean;
}

/** What a field holds, for "missing key" and "wrong type" messages; by structural path. */
const FIELD_EXPECTED: Record<string, string> = {
  pairs: 'a list of pairs, each starting with "- local: …"',
  'pairs[]': 'a pair: a mapping with at least local and remote',
  'pairs[].local': 'the local folder to sync (absolute, ~/…, or relative to the config file)',
  'pairs[].remote': 'the remote folder, e.g. vos:alice/results or arc:projects/x',
  'pairs[].ignore': 'a list of gitignore-style patterns, e.g. ["*.tmp", "scratch/"]',
  services: 'a mapping of scheme: resource ID, e.g. { myvault: "ivo://example.org/vault" }',
  'schedule.remotePoll': 'a cron expression in quotes, e.g. "*/5 * * * *"',
  'schedule.fullRescan': 'a cron expression in quotes, e.g. "0 * * * *"',
  'pairs[].schedule.remotePoll': 'a cron expression in quotes, e.g. "*/5 * * * *"',
  'pairs[].schedule.fullRescan': 'a cron expression in quotes, e.g. "0 * * * *"',
};

/** Keys people write that mean one of ours, by structural path of the object they sit in. */
const SYNONYMS: Record<string, Record<string, string>> = {
  'pairs[]': {
    path: 'local',
    folder: 'local',
    dir: 'local',
    directory: 'local',
    source: 'local',
    uri: 'remote',
    url: 'remote',
    target: 'remote',
    destination: 'remote',
    vospace: 'remote',
    exclude: 'ignore',
    excludes: 'ignore',
    ignores: 'ignore',
    conflicts: 'conflict',
    onconflict: 'conflict',
    maxdelete: 'deleteLimits',
    deletelimit: 'deleteLimits',
    direction: 'mode',
  },
  auth: { cert: 'certificate', certfile: 'certificate', proxycert: 'certificate', user: 'username' },
  transfers: {
    bandwidth: 'bytesPerSecond',
    bwlimit: 'bytesPerSecond',
    ratelimit: 'requestsPerSecond',
    parallel: 'concurrency',
    workers: 'concurrency',
    timeout: 'timeoutSeconds',
  },
  '': { folders: 'pairs', pair: 'pairs', syncs: 'pairs', logging: 'log', api: 'status' },
};

/** Unknown keys that deserve a specific explanation. */
const KEY_ADVICE: Record<string, string> = {
  'auth.password':
    'passwords are never stored in the config file; give only username here and set the CADC_PASSWORD environment variable',
  'pairs[].pollInterval': 'per-pair polling is set with schedule: { remotePoll: "<cron>" }',
  'pairs[].interval': 'per-pair polling is set with schedule: { remotePoll: "<cron>" }',
};

/** `['pairs', 2, 'schedule']` → `pairs[].schedule`. */
export function structuralPath(segments: readonly PathSegment[]): string {
  return formatPath(segments.map((s) => (typeof s === 'number' ? -1 : s))).replace(/\[-1\]/g, '[]');
}

function valueAt(data: unknown, segments: readonly PathSegment[]): unknown {
  let cur = data;
  for (const s of segments) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[s as string];
  }
  return cur;
}

const PATH_KEYS = new Set(['local', 'certificate', 'tokenFile', 'file', 'dir']);

const TYPE_WORDS: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping (key: value entries)',
  record: 'a mapping (key: value entries)',
};

function unknownKey(
  parent: PathSegment[],
  key: string,
  knownKeys: Record<string, readonly string[]>,
): PendingIssue {
  const where = structuralPath(parent);
  const known = knownKeys[where] ?? [];
  const segments = [...parent, key];
  const advice = KEY_ADVICE[`${where === '' ? '' : where + '.'}${key}`];
  const expected = `one of: ${known.join(', ')}`;
  if (advice)
    return { issue: makeIssue(segments, `unknown key '${key}': ${advice}`, { expected }), atKey: true };

  let suggestion = closest(key, known);
  const synonym = SYNONYMS[where]?.[looseForm(key)];
  if (!suggestion && synonym && known.includes(synonym)) suggestion = synonym;
  if (suggestion)
    return {
      issue: makeIssue(segments, `unknown key '${key}'; did you mean '${suggestion}'?`, {
        expected,
        suggestion,
      }),
      atKey: true,
    };

  // A known key in the wrong section, e.g. `concurrency` at the top instead of under `transfers`.
  // Sub-sections of the current object are the likeliest home, so they are tried first.
  const isChild = (other: string) => (where === '' ? !other.includes('.') : other.startsWith(`${where}.`));
  const sections = Object.entries(knownKeys).sort(([a], [b]) => Number(isChild(b)) - Number(isChild(a)));
  for (const [other, keys] of sections) {
    if (other === where) continue;
    const match = keys.find((k) => looseForm(k) === looseForm(key));
    if (match) {
      const full = `${other}.${match}`;
      const home = other === 'pairs[]' ? 'each entry of pairs' : `the '${other}' section`;
      return {
        issue: makeIssue(segments, `unknown key '${key}' here; it belongs in ${home} ('${full}')`, {
          expected,
          suggestion: full,
        }),
        atKey: true,
      };
    }
  }
  return {
    issue: makeIssue(segments, `unknown key '${key}'; expected ${expected}`, { expected }),
    atKey: true,
  };
}

export function convertZodIssue(
  zi: z.core.$ZodIssue,
  input: unknown,
  knownKeys: Record<string, readonly string[]>,
): PendingIssue[] {
  const segments: PathSegment[] = zi.path.map((s) => (typeof s === 'number' ? s : String(s)));
  const value = valueAt(input, segments);
  const found = describeValue(value);
  const where = structuralPath(segments);
  const leaf = segments[segments.length - 1];

  switch (zi.code) {
    case 'unrecognized_keys':
      return zi.keys.map((k) => unknownKey(segments, k, knownKeys));
    case 'invalid_type': {
      const expected = FIELD_EXPECTED[where] ?? TYPE_WORDS[zi.expected] ?? zi.expected;
      if (value === undefined && typeof leaf === 'string')
        return [
          {
            issue: makeIssue(segments, `missing required key '${leaf}': ${expected}`, { expected }),
            atKey: false,
          },
        ];
      if (where === '')
        return [
          {
            issue: makeIssue(segments, `expected the file to hold a mapping of settings, found ${found}`, {
              expected: 'a mapping of settings',
              found,
            }),
            atKey: false,
          },
        ];
      // YAML reads a bare `~` as "empty", which surprises people writing a home-folder path.
      const tilde =
        value === null && PATH_KEYS.has(String(leaf))
          ? ' (a bare ~ means "empty" in YAML; write "~/folder")'
          : '';
      return [
        {
          issue: makeIssue(segments, `expected ${expected}, found ${found}${tilde}`, { expected, found }),
          atKey: false,
        },
      ];
    }
    case 'invalid_value': {
      const options = zi.values.map((v) => String(v));
      const expected = `one of ${options.join(', ')}`;
      const suggestion = typeof value === 'string' ? closest(value, options) : undefined;
      const tail = suggestion ? `; did you mean '${suggestion}'?` : '';
      return [
        {
          issue: makeIssue(segments, `expected ${expected}, found ${found}${tail}`, {
            expected,
            found,
            suggestion,
          }),
          atKey: false,
        },
      ];
    }
    case 'too_small':
    case 'too_big': {
      const small = zi.code === 'too_small';
      const bound = Number(small ? zi.minimum : zi.maximum);
      const op = small ? (zi.inclusive ? '>=' : '>') : zi.inclusive ? '<=' : '<';
      let expected: string;
      if (zi.origin === 'string')
        expected = small && bound <= 1 ? 'a non-empty text' : `text of length ${op} ${bound}`;
      else if (zi.origin === 'array') expected = `a list with ${op} ${bound} items`;
      else expected = `a number ${op} ${bound}`;
      return [
        {
          issue: makeIssue(segments, `expected ${expected}, found ${found}`, { expected, found }),
          atKey: false,
        },
      ];
    }
    case 'custom': {
      const params = (zi.params ?? {}) as IssueParams;
      // Refinements written as "expected …" get the value that failed them.
      const message =
        zi.message.startsWith('expected ') && !zi.message.includes(', found ')
          ? `${zi.message}, found ${found}`
          : zi.message;
      return [
        {
          issue: makeIssue(segments, message, {
            expected: params.expected,
            found,
            suggestion: params.suggestion,
          }),
          atKey: false,
        },
      ];
    }
    case 'invalid_format':
      return [{ issue: makeIssue(segments, `${zi.message}, found ${found}`, { found }), atKey: false }];
    default:
      return [{ issue: makeIssue(segments, `${zi.message}, found ${found}`, { found }), atKey: false }];
  }
}
