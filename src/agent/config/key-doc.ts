/** The words the generated config reference (docs/config-reference.md) gives each key of the schema. */

/** What the generated reference (docs/config-reference.md) says of a key. */
export interface KeyDoc {
  [key: string]: unknown;
  description: string;
  /** The value's kind, where the schema alone cannot say it (a path, a cron expression). */
  kind?: string;
  /** The default in words, where it is not a plain value. */
  default?: string;
}

export const PATH = "a path: absolute, ~/…, or relative to the config file's folder";
export const CRON = 'a cron expression (quoted)';

export function doc(description: string, kind?: string): KeyDoc {
  return kind ? { description, kind } : { description };
}
