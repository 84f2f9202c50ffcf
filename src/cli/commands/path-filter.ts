/**
 * --include / --exclude for cp and sync. vostools treats patterns as comma-separated substrings of the
 * destination path; vosync keeps that for plain patterns and reads patterns containing `*`, `?` or `[` as
 * globs with gitignore rules, matched against the path relative to the copied directory. A file matching an
 * exclude pattern is skipped; when include patterns are given only files matching one of them are copied
 * (include wins over exclude, as in vcp). Directories are pruned only by exclude patterns.
 */
import ignore from 'ignore';
import { hasGlob } from './targets.js';

export interface FilterSpec {
  exclude: string[];
  include: string[];
  /** vsync's --include: regular expressions searched in the destination path. */
  includeRegex?: string[];
}

export interface FilterSubject {
  /** Path relative to the copied directory, '/'-separated ('' for the top). */
  rel: string;
  /** The full destination as the user would write it (`vos:alice/dir/a.txt`, `/home/a/dir/a.txt`). */
  full: string;
  isDir: boolean;
}

type Ignore = ReturnType<typeof ignore>;

interface Matcher {
  substrings: string[];
  globs: Ignore | undefined;
  regexes: RegExp[];
}

function matcher(patterns: string[], regexes: string[] = []): Matcher {
  const globs = patterns.filter(hasGlob);
  return {
    substrings: patterns.filter((p) => !hasGlob(p)),
    globs: globs.length > 0 ? ignore().add(globs) : undefined,
    regexes: regexes.map((r) => new RegExp(r, 'u')),
  };
}

function matches(m: Matcher, s: FilterSubject): boolean {
  // A directory's path ends in '/', so `build/` matches the directory `build` itself.
  const full = s.isDir && !s.full.endsWith('/') ? `${s.full}/` : s.full;
  if (m.substrings.some((p) => full.includes(p))) return true;
  if (m.regexes.some((r) => r.test(s.full))) return true;
  if (m.globs && s.rel !== '') {
    const rel = s.rel.replace(/^\/+/, '');
    if (m.globs.ignores(s.isDir ? `${rel}/` : rel)) return true;
  }
  return false;
}

export class PathFilter {
  private readonly ex: Matcher;
  private readonly inc: Matcher;
  private readonly hasInclude: boolean;

  constructor(spec: FilterSpec) {
    this.ex = matcher(spec.exclude);
    this.inc = matcher(spec.include, spec.includeRegex);
    this.hasInclude = spec.include.length > 0 || (spec.includeRegex?.length ?? 0) > 0;
  }

  get active(): boolean {
    return this.hasInclude || this.ex.substrings.length > 0 || this.ex.globs !== undefined;
  }

  /** True when the file or directory should be left out. */
  skips(s: FilterSubject): boolean {
    const included = this.hasInclude && matches(this.inc, s);
    if (s.isDir) return !included && matches(this.ex, s);
    if (this.hasInclude) return !included;
    return matches(this.ex, s);
  }
}
