/**
 * vosync's version, read once from package.json: it is two folders above this module both in src/util (tests,
 * the bench's TypeScript hook) and in dist/util (the installed package, which always ships package.json).
 */
import fs from 'node:fs';

export const VERSION: string = (
  JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
