/**
 * A small JSON Schema (2020-12) checker for the subset the published schemas use: type, enum, const,
 * anyOf, properties, required, additionalProperties, items, minimum, maximum, $ref to #/$defs.
 * Returns the list of problems (empty = valid), each naming the JSON path.
 */
import fs from 'node:fs';
import path from 'node:path';

type Schema = Record<string, unknown>;

export const SCHEMA_DIR = path.join(__dirname, '../../docs/schemas');

/** One of the published documents, docs/schemas/<name>.json. */
export function publishedSchema(name: string): Schema {
  return JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, `${name}.json`), 'utf8')) as Schema;
}

const KNOWN = new Set([
  '$schema',
  '$id',
  '$defs',
  '$ref',
  'title',
  'description',
  'type',
  'enum',
  'const',
  'anyOf',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'minimum',
  'maximum',
  'default',
  'examples',
  'id',
]);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

export function validate(schema: Schema, value: unknown, root: Schema = schema, at = '$'): string[] {
  for (const k of Object.keys(schema))
    if (!KNOWN.has(k)) return [`${at}: the checker does not know the keyword ${k}`];
  if (typeof schema['$ref'] === 'string') {
    const m = /^#\/\$defs\/(.+)$/.exec(schema['$ref']);
    const target = m ? (root['$defs'] as Record<string, Schema> | undefined)?.[m[1]!] : undefined;
    if (!target) return [`${at}: unresolvable $ref ${schema['$ref']}`];
    return validate(target, value, root, at);
  }
  const problems: string[] = [];
  if (Array.isArray(schema['anyOf'])) {
    const ok = (schema['anyOf'] as Schema[]).some((s) => validate(s, value, root, at).length === 0);
    if (!ok) problems.push(`${at}: matches none of anyOf (${JSON.stringify(value)?.slice(0, 80)})`);
  }
  const type = schema['type'];
  if (type !== undefined) {
    const types = Array.isArray(type) ? (type as string[]) : [type as string];
    const actual = typeOf(value);
    if (!types.some((t) => t === actual || (t === 'number' && actual === 'integer')))
      return [...problems, `${at}: expected ${types.join('|')}, got ${actual}`];
  }
  if (Array.isArray(schema['enum']) && !(schema['enum'] as unknown[]).includes(value))
    problems.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema['enum'])}`);
  if ('const' in schema && schema['const'] !== value)
    problems.push(`${at}: expected ${JSON.stringify(schema['const'])}`);
  if (typeof value === 'number') {
    if (typeof schema['minimum'] === 'number' && value < schema['minimum'])
      problems.push(`${at}: below minimum`);
    if (typeof schema['maximum'] === 'number' && value > schema['maximum'])
      problems.push(`${at}: above maximum`);
  }
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    const props = (schema['properties'] ?? {}) as Record<string, Schema>;
    for (const r of (schema['required'] ?? []) as string[])
      if (!(r in obj)) problems.push(`${at}: missing required property ${r}`);
    for (const [k, v] of Object.entries(obj)) {
      const ps = props[k];
      if (ps) problems.push(...validate(ps, v, root, `${at}.${k}`));
      else if (schema['additionalProperties'] === false) problems.push(`${at}: undocumented property ${k}`);
      else if (typeof schema['additionalProperties'] === 'object')
        problems.push(...validate(schema['additionalProperties'] as Schema, v, root, `${at}.${k}`));
    }
  }
  if (Array.isArray(value) && schema['items'] && typeof schema['items'] === 'object') {
    value.forEach((item, i) =>
      problems.push(...validate(schema['items'] as Schema, item, root, `${at}[${i}]`)),
    );
  }
  return problems;
}
