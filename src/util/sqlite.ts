/**
 * Opening an SQLite database through better-sqlite3, whose native part is built at install time: when that
 * build is missing or was made for another Node, say so in one line with the fix instead of the module's
 * own dozen lines of searched paths.
 */
import Database from 'better-sqlite3';

const NATIVE_TROUBLE =
  /Could not locate the bindings file|NODE_MODULE_VERSION|invalid ELF header|wrong ELF class|dlopen/;

/** The one-line explanation for a failure to load better-sqlite3's native module, or undefined for others. */
export function nativeModuleProblem(e: unknown): string | undefined {
  const message = (e as Error)?.message ?? '';
  if (!NATIVE_TROUBLE.test(message)) return undefined;
  const version = /NODE_MODULE_VERSION \d+/.test(message) ? ' for another version of Node' : '';
  return (
    `the SQLite module (better-sqlite3) is not built${version} for this Node ${process.version}: ` +
    'run "npm rebuild better-sqlite3" where vosync is installed'
  );
}

export function openDatabase(file: string, options?: Database.Options): Database.Database {
  try {
    return new Database(file, options);
  } catch (e) {
    const problem = nativeModuleProblem(e);
    if (problem) throw new Error(problem, { cause: e });
    throw e;
  }
}
