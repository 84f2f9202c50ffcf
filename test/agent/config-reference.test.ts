/**
 * docs/config-reference.md is generated from the config schema and up to date, and every key the schema
 * accepts is described in it. `npm run docs:config` (UPDATE_DOCS=1) rewrites the file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostContext } from '../../src/agent/config/paths.js';
import { configReference } from '../../src/agent/config/reference.js';
import { buildSchemas } from '../../src/agent/config/schema.js';

const FILE = path.join(__dirname, '../../docs/config-reference.md');

describe('the config reference', () => {
  const text = configReference();

  it('is what the schema generates (run npm run docs:config after changing the schema)', () => {
    if (process.env['UPDATE_DOCS'] === '1') fs.writeFileSync(FILE, text);
    expect(fs.readFileSync(FILE, 'utf8')).toBe(text);
  });

  it('describes every key of every section, with a kind', () => {
    const { knownKeys } = buildSchemas({ host: hostContext(), baseDir: '/', schemes: {} });
    for (const [section, keys] of Object.entries(knownKeys)) {
      const title = section === '' ? '## Top level' : `## ${section}`;
      const at = text.indexOf(`\n${title}`);
      expect(at, section).toBeGreaterThan(0);
      const part = text.slice(at, text.indexOf('\n## ', at + 1) >>> 0);
      for (const key of keys)
        expect(part, `${section}.${key}`).toMatch(
          new RegExp(`^\\| \`${key}\` \\| [^|\\s][^|]* \\| [^|\\s]`, 'm'),
        );
    }
    expect(text).toContain('| `format` | ');
    expect(text).toContain('one of `two-way`, `backup`, `mirror-down`');
  });
});
