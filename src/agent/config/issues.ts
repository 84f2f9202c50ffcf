/** Problems found in a config file, each with where it is and what was expected, and how to print them. */

export type PathSegment = string | number;

export interface ConfigIssue {
  /** Where in the file's structure, e.g. `pairs[1].mode`; '' for the document as a whole. */
  path: string;
  segments: PathSegment[];
  /** 1-based position in the file, when known. */
  line?: number;
  column?: number;
  /** The whole problem in one sentence (includes what was found and expected where that helps). */
  message: string;
  /** What would have been accepted. */
  expected?: string;
  /** What the file has, as written (JSON-ish). */
  found?: string;
  /** A close known key or value ("did you mean …"). */
  suggestion?: string;
}

/** `['pairs', 1, 'deleteLimits', 'maxShare']` → `pairs[1].deleteLimits.maxShare`. */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

export function makeIssue(
  segments: readonly PathSegment[],
  message: string,
  extra: Pick<ConfigIssue, 'expected' | 'found' | 'suggestion' | 'line' | 'column'> = {},
): ConfigIssue {
  const issue: ConfigIssue = { path: formatPath(segments), segments: [...segments], message };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) Object.assign(issue, { [k]: v });
  return issue;
}

/** A short rendering of a YAML value for messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (typeof value === 'string') {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (Array.isArray(value)) return `a list of ${value.length} item${value.length === 1 ? '' : 's'}`;
  if (value instanceof Date) return `a date (${value.toISOString()})`;
  if (typeof value === 'object') return 'a mapping (key: value entries)';
  return typeof value;
}

export function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort(
    (a, b) =>
      (a.line ?? Infinity) - (b.line ?? Infinity) ||
      (a.column ?? 0) - (b.column ?? 0) ||
      a.path.localeCompare(b.path),
  );
}

/** One line per issue, compiler style: `file:line:col: path: message` (no path for whole-file problems). */
export function formatConfigIssues(issues: readonly ConfigIssue[], source?: string): string {
  return issues
    .map((i) => {
      const where = [source, i.line, i.line !== undefined ? i.column : undefined]
        .filter((x) => x !== undefined && x !== '')
        .join(':');
      const what = i.path === '' ? '' : `${i.path}: `;
      return `${where ? where + ': ' : ''}${what}${i.message}`;
    })
    .join('\n');
}

export class ConfigError extends Error {
  constructor(
    readonly issues: ConfigIssue[],
    readonly source: string,
  ) {
    const n = issues.length;
    super(
      `${source}: ${n} problem${n === 1 ? '' : 's'} in the configuration\n${formatConfigIssues(issues, source)}`,
    );
    this.name = 'ConfigError';
  }
}
