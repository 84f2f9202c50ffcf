/**
 * Which local paths a pair never syncs. Three layers, later ones winning (gitignore semantics, `ignore` package):
 *
 * 1. ALWAYS_IGNORED — vosync's own state and partial downloads. Syncing them would be unsafe (the trash would
 *    sync itself, a half-written download would be uploaded), so no pattern can re-include them.
 * 2. DEFAULT_JUNK — editor and OS droppings. Ignored by default; an explicit negation such as `!Thumbs.db` in the
 *    config or a `.vosyncignore` re-includes one. (Overriding only ever makes vosync sync *more* of the user's
 *    own files; it can never expose vosync's state.)
 * 3. User rules: the pair's config patterns, then `.vosyncignore` at the pair root (both relative to the root),
 *    then `.vosyncignore` files in subfolders (relative to their folder). Deeper files override shallower ones.
 *
 * As in git, nothing inside an ignored folder can be re-included. Matching is case-sensitive (git's default on
 * Linux) except for the Windows junk names. Paths are relative POSIX in NFC; patterns are normalised to NFC.
 *
 * Nested `.vosyncignore` files are read lazily and cached; after any `.vosyncignore` changes (the watcher
 * reports its path) call `reload()` and run a full rescan. The reconciler must also skip ignored paths in the
 * remote and base trees, so that newly ignoring a path never reads as a deletion.
 */
import fs from 'node:fs';
import ignore, { type Ignore } from 'ignore';
import { absOf, toNfc } from './names.js';
import { TEMP_PREFIX } from '../../util/temp-files.js';
import { joinPath, parentOf } from '../../util/rel-path.js';

/** The pair's own folder at its root: trash, root marker, anything else vosync keeps beside the user's files. */
export const PAIR_META_DIR = '.vosync';
/** Per-folder ignore file, gitignore syntax. */
export const IGNORE_FILE = '.vosyncignore';

/** How a built-in rule tests a name (the last path segment). */
export type NameTest =
  | { exact: string }
  /** Case-insensitive exact name (Windows and macOS junk is written in varying case); lower-case here. */
  | { exactFold: string }
  | { prefix: string; suffix?: string }
  | { suffix: string };

export interface BuiltinRule {
  /** The rule in gitignore syntax, for people. */
  pattern: string;
  why: string;
  test: NameTest;
  /** Applies to files only (a folder of that name is kept). */
  filesOnly?: boolean;
}

/** Never synced, in any folder, whatever the patterns say. */
export const ALWAYS_IGNORED: readonly BuiltinRule[] = [
  {
    pattern: PAIR_META_DIR,
    why: "vosync's own state (local trash, root marker); never synced, also when it belongs to a nested pair",
    test: { exact: PAIR_META_DIR },
  },
  {
    pattern: `${TEMP_PREFIX}*`,
    why: 'partial downloads in progress; renamed into place when complete and verified',
    test: { prefix: TEMP_PREFIX },
  },
];

/** Ignored by default, re-includable with an explicit `!pattern`. */
export const DEFAULT_JUNK: readonly BuiltinRule[] = [
  { pattern: '.DS_Store', why: 'macOS Finder view settings', test: { exactFold: '.ds_store' } },
  { pattern: 'Icon\\r', why: 'macOS custom folder icon', test: { exact: 'Icon\r' } },
  { pattern: '.Spotlight-V100', why: 'macOS Spotlight index', test: { exact: '.Spotlight-V100' } },
  { pattern: '.Trashes', why: 'macOS volume trash', test: { exact: '.Trashes' } },
  { pattern: '.fseventsd', why: 'macOS file-system event log', test: { exact: '.fseventsd' } },
  { pattern: '.TemporaryItems', why: 'macOS temporary items', test: { exact: '.TemporaryItems' } },
  { pattern: 'Thumbs.db', why: 'Windows thumbnail cache', test: { exactFold: 'thumbs.db' } },
  { pattern: 'ehthumbs.db', why: 'Windows Media Center thumbnails', test: { exactFold: 'ehthumbs.db' } },
  { pattern: 'desktop.ini', why: 'Windows folder settings', test: { exactFold: 'desktop.ini' } },
  { pattern: '$RECYCLE.BIN', why: 'Windows recycle bin', test: { exactFold: '$recycle.bin' } },
  {
    pattern: 'System Volume Information',
    why: 'Windows volume metadata',
    test: { exactFold: 'system volume information' },
  },
  { pattern: '~$*', why: 'Microsoft Office owner/lock files', test: { prefix: '~$' } },
  { pattern: '.~lock.*#', why: 'LibreOffice lock files', test: { prefix: '.~lock.', suffix: '#' } },
  { pattern: '*.swp', why: 'vim swap files', test: { suffix: '.swp' } },
  { pattern: '*.swx', why: 'vim swap files', test: { suffix: '.swx' } },
  { pattern: '.#*', why: 'Emacs lock files', test: { prefix: '.#' } },
  {
    pattern: '4913',
    why: 'vim writes and deletes this file to probe whether a folder is writable (files only)',
    test: { exact: '4913' },
    filesOnly: true,
  },
];

/** True for a name no pattern may re-include (vosync's own folder, temp files). */
export function isAlwaysIgnoredName(name: string): boolean {
  return name === PAIR_META_DIR || name.startsWith(TEMP_PREFIX);
}

/**
 * Compiles rules into one name test. Runs for every file of every scan, so the common case (no rule can match)
 * costs one Map lookup and a few character comparisons.
 */
export function compileNameRules(
  rules: readonly BuiltinRule[],
): (name: string, isDir: boolean) => BuiltinRule | undefined {
  const exact = new Map<string, BuiltinRule>();
  const fold = new Map<string, BuiltinRule>();
  const affixes: BuiltinRule[] = [];
  for (const rule of rules) {
    if ('exact' in rule.test) exact.set(rule.test.exact, rule);
    else if ('exactFold' in rule.test) fold.set(rule.test.exactFold, rule);
    else affixes.push(rule);
  }
  const foldLengths = new Set([...fold.keys()].map((k) => k.length));
  const firstChars = new Set(
    affixes.flatMap((r) => ('prefix' in r.test ? [r.test.prefix.charCodeAt(0)] : [])),
  );
  const suffixOf = (t: NameTest) => ('suffix' in t ? t.suffix : undefined);
  const lastChars = new Set(
    affixes.flatMap((r) => {
      const suffix = suffixOf(r.test);
      return suffix ? [suffix.charCodeAt(suffix.length - 1)] : [];
    }),
  );
  const applies = (rule: BuiltinRule | undefined, isDir: boolean) =>
    rule !== undefined && !(isDir && rule.filesOnly) ? rule : undefined;
  return (name, isDir) => {
    const hit = applies(exact.get(name), isDir);
    if (hit) return hit;
    if (foldLengths.has(name.length)) {
      const folded = applies(fold.get(name.toLowerCase()), isDir);
      if (folded) return folded;
    }
    if (!firstChars.has(name.charCodeAt(0)) && !lastChars.has(name.charCodeAt(name.length - 1)))
      return undefined;
    for (const rule of affixes) {
      const t = rule.test as { prefix?: string; suffix?: string };
      if (t.prefix !== undefined && !name.startsWith(t.prefix)) continue;
      if (t.suffix !== undefined && !name.endsWith(t.suffix)) continue;
      if (applies(rule, isDir)) return rule;
    }
    return undefined;
  };
}

const junkRule = compileNameRules(DEFAULT_JUNK);

export interface IgnoreMatcher {
  /** Whether a path (relative POSIX, NFC) is ignored, its parent folders included. */
  isIgnored(relPath: string, isDir: boolean): boolean;
  /**
   * Fast path for walkers that never descend into ignored folders: like `isIgnored`, but assumes the parent
   * (`parentRel`, `''` at the root) is not ignored. `relPath` must equal `joinPath(parentRel, name)`.
   */
  isIgnoredChild(parentRel: string, name: string, relPath: string, isDir: boolean): boolean;
  /** Re-reads every `.vosyncignore` (and forgets cached decisions). */
  reload(): void;
  /** Problems met while reading ignore files (unreadable, not a regular file). */
  readonly warnings: readonly string[];
}

export interface IgnoreMatcherOptions {
  /** Absolute pair root, used to read `.vosyncignore` files. */
  root: string;
  /** The pair's patterns from config, gitignore syntax, relative to the pair root. */
  configPatterns?: readonly string[];
  /** Read `.vosyncignore` in subfolders too (default true). */
  nestedIgnoreFiles?: boolean;
}

/** One folder's user rules. `prefix` is the folder ('' = root); rules match paths relative to it. */
interface Level {
  prefix: string;
  patterns: string[];
  ig: Ignore;
  /** Tests since `ig` was built: node-ignore caches every tested path, so it is rebuilt now and then. */
  uses: number;
}

const REBUILD_AFTER = 20_000;

export function createIgnoreMatcher(options: IgnoreMatcherOptions): IgnoreMatcher {
  const root = options.root;
  const nested = options.nestedIgnoreFiles ?? true;
  const configPatterns = (options.configPatterns ?? []).map((p) => toNfc(p));
  const warnings: string[] = [];
  /** Folder -> the levels that apply to its children, root first. */
  let levelsCache = new Map<string, readonly Level[]>();
  /** Folder -> ignored? (for the ancestor check of `isIgnored`). */
  let dirCache = new Map<string, boolean>();

  function makeLevel(prefix: string, patterns: string[]): Level {
    return { prefix, patterns, ig: ignore({ ignorecase: false }).add(patterns), uses: 0 };
  }

  function readIgnoreFile(dirRel: string): string[] | undefined {
    const file = absOf(root, joinPath(dirRel, IGNORE_FILE));
    try {
      const st = fs.lstatSync(file, { throwIfNoEntry: false });
      if (!st) return undefined;
      if (!st.isFile()) {
        warnings.push(`${joinPath(dirRel, IGNORE_FILE)}: not a regular file, not read`);
        return undefined;
      }
      return fs
        .readFileSync(file, 'utf8')
        .split(/\r?\n/)
        .map((line) => toNfc(line));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') {
        warnings.push(`${joinPath(dirRel, IGNORE_FILE)}: ${(error as Error).message}`);
      }
      return undefined;
    }
  }

  function rootLevels(): readonly Level[] {
    const patterns = [...configPatterns, ...(readIgnoreFile('') ?? [])].filter((p) => p.trim() !== '');
    return patterns.length > 0 ? [makeLevel('', patterns)] : [];
  }

  function levelsFor(dirRel: string): readonly Level[] {
    const cached = levelsCache.get(dirRel);
    if (cached) return cached;
    let levels: readonly Level[];
    if (dirRel === '') {
      levels = rootLevels();
    } else {
      const inherited = levelsFor(parentOf(dirRel));
      const own = nested ? readIgnoreFile(dirRel)?.filter((p) => p.trim() !== '') : undefined;
      levels = own && own.length > 0 ? [...inherited, makeLevel(dirRel, own)] : inherited;
    }
    levelsCache.set(dirRel, levels);
    return levels;
  }

  function testLevel(
    level: Level,
    relPath: string,
    isDir: boolean,
  ): { ignored: boolean; unignored: boolean } {
    if (++level.uses > REBUILD_AFTER) {
      level.ig = ignore({ ignorecase: false }).add(level.patterns);
      level.uses = 0;
    }
    const sub = level.prefix === '' ? relPath : relPath.slice(level.prefix.length + 1);
    return level.ig.test(isDir ? `${sub}/` : sub);
  }

  function decide(parentRel: string, name: string, relPath: string, isDir: boolean): boolean {
    if (isAlwaysIgnoredName(name)) return true;
    let verdict = junkRule(name, isDir) !== undefined;
    for (const level of levelsFor(parentRel)) {
      const t = testLevel(level, relPath, isDir);
      if (t.ignored) verdict = true;
      else if (t.unignored) verdict = false;
    }
    return verdict;
  }

  function dirIgnored(dirRel: string): boolean {
    if (dirRel === '') return false;
    const cached = dirCache.get(dirRel);
    if (cached !== undefined) return cached;
    const parent = parentOf(dirRel);
    const name = parent === '' ? dirRel : dirRel.slice(parent.length + 1);
    const result = dirIgnored(parent) || decide(parent, name, dirRel, true);
    dirCache.set(dirRel, result);
    return result;
  }

  return {
    isIgnored(relPath, isDir) {
      if (relPath === '') return false;
      const parent = parentOf(relPath);
      if (dirIgnored(parent)) return true;
      const name = parent === '' ? relPath : relPath.slice(parent.length + 1);
      return isDir ? dirIgnored(relPath) : decide(parent, name, relPath, false);
    },
    isIgnoredChild(parentRel, name, relPath, isDir) {
      return decide(parentRel, name, relPath, isDir);
    },
    reload() {
      warnings.length = 0;
      levelsCache = new Map();
      dirCache = new Map();
    },
    warnings,
  };
}
