/**
 * The published JSON Schemas (docs/schemas/*.json) are exactly what the code's response schemas say, and the
 * checker the endpoint tests use can tell a valid document from an invalid one.
 * Regenerate the files after changing src/agent/api/schemas.ts: UPDATE_SCHEMAS=1 npx vitest run test/status/schemas.test.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonSchemas } from '../../src/agent/api/schemas.js';
import { publishedSchema, SCHEMA_DIR as DIR, validate } from './json-schema.js';

describe('published response schemas', () => {
  const generated = jsonSchemas();

  it('match the code, one file per response, and are named in docs/status-api.md', () => {
    if (process.env['UPDATE_SCHEMAS'] === '1') {
      fs.mkdirSync(DIR, { recursive: true });
      for (const [name, doc] of Object.entries(generated))
        fs.writeFileSync(path.join(DIR, `${name}.json`), JSON.stringify(doc, null, 2) + '\n');
    }
    const files = fs
      .readdirSync(DIR)
      .filter((f) => f.endsWith('.json'))
      .sort();
    expect(files).toEqual(
      Object.keys(generated)
        .map((n) => `${n}.json`)
        .sort(),
    );
    const doc = fs.readFileSync(path.join(__dirname, '../../docs/status-api.md'), 'utf8');
    for (const [name, schema] of Object.entries(generated)) {
      expect(publishedSchema(name)).toEqual(schema);
      expect(doc).toContain(`schemas/${name}.json`);
    }
  });

  it('are checked by a checker that rejects wrong documents', () => {
    const status = publishedSchema('status');
    const good = {
      state: 'idle',
      upToDate: true,
      health: { level: 'ok', reasons: [] },
      version: '0.1.0',
      startedAt: 1,
      now: 2,
      config: { file: '/c.yaml', loadedAt: 1, reloadError: null, restartNeeded: [] },
      pairs: [],
    };
    expect(validate(status, good)).toEqual([]);
    expect(validate(status, { ...good, state: 'sleeping' })).toEqual([
      expect.stringContaining('"sleeping" is not one of'),
    ]);
    expect(validate(status, { ...good, extra: 1 })).toEqual(['$: undocumented property extra']);
    const { version: _v, ...missing } = good;
    expect(validate(status, missing)).toEqual(['$: missing required property version']);
    expect(validate(status, { ...good, now: -5 })).toEqual(['$.now: below minimum']);
    expect(validate(publishedSchema('error'), { error: 3 })).toEqual([
      '$.error: expected string, got integer',
    ]);
  });
});
