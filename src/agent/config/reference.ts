/**
 * docs/config-reference.md, made from the config schema itself: every key of every section with what it
 * does, the kind of value and the default, so the reference cannot drift from what the daemon accepts.
 * test/agent/config-reference.test.ts checks the file is up to date (`npm run docs:config` rewrites it).
 */
import type { z } from 'zod';
import type { KeyDoc } from './key-doc.js';
import { hostContext } from './paths.js';
import { buildSchemas } from './schema.js';

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  defaultValue?: unknown;
  entries?: Record<string, string>;
}

const defOf = (s: z.ZodType) => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The value's schema under its wrappers (optional, default, preprocess, transforms), and its default. */
function unwrap(s: z.ZodType): { core: z.ZodType; defaultValue?: unknown } {
  let cur = s;
  let defaultValue: unknown;
  for (let i = 0; i < 20; i++) {
    const d = defOf(cur);
    if (d.type === 'default' && defaultValue === undefined) defaultValue = d.defaultValue;
    if (['default', 'optional', 'prefault', 'nullable'].includes(d.type) && d.innerType) cur = d.innerType;
    else if (d.type === 'pipe' && d.in && d.out) cur = defOf(d.in).type === 'transform' ? d.out : d.in;
    else break;
  }
  return defaultValue === undefined ? { core: cur } : { core: cur, defaultValue };
}

function kindOf(core: z.ZodType, anchor: string | undefined): string {
  const d = defOf(core);
  if (anchor) return `section, see [${anchor}](#${anchor.replace(/[^a-z]/gi, '').toLowerCase()})`;
  if (d.type === 'enum' && d.entries)
    return `one of ${Object.values(d.entries)
      .map((v) => `\`${v}\``)
      .join(', ')}`;
  if (d.type === 'boolean') return '`true` or `false`';
  if (d.type === 'number') return 'a number';
  if (d.type === 'string') return 'text';
  return d.type;
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function defaultWords(meta: KeyDoc | undefined, value: unknown): string {
  if (meta?.default !== undefined) return meta.default;
  if (value === undefined) return '—';
  return `\`${typeof value === 'string' ? value : JSON.stringify(value)}\``;
}

const TITLES: Record<string, string> = {
  '': 'Top level',
  'pairs[]': 'pairs[] (each pair)',
  'pairs[].deleteLimits': 'pairs[].deleteLimits',
  'pairs[].schedule': 'pairs[].schedule',
};

export function configReference(): string {
  // The host only shapes path defaults, which the reference states in words.
  const { sections } = buildSchemas({
    host: hostContext({ env: {}, platform: 'linux', homedir: '/home/you' }),
    baseDir: '/home/you/.config/vosync',
    schemes: {},
  });
  const out: string[] = [
    '# Configuration reference',
    '',
    '<!-- Generated from src/agent/config/schema.ts by `npm run docs:config`; do not edit by hand. -->',
    '',
    "Every key of the daemon's YAML config (`vosync config path` says where it is, `vosync config init` writes a " +
      'commented example, `vosync config check` validates one). Unknown keys are errors; a section left empty ' +
      'takes its defaults. Paths may start with `~/` and use `$VARIABLES`; relative paths are taken from the ' +
      "config file's folder. `vosync reload` applies changes, except `status.*`, `state.dir` and the log file " +
      'settings, which need a restart.',
  ];
  for (const [name, obj] of Object.entries(sections)) {
    out.push(
      '',
      `## ${TITLES[name] ?? name}`,
      '',
      '| key | what it does | value | default |',
      '|---|---|---|---|',
    );
    for (const [key, field] of Object.entries(obj.shape as Record<string, z.ZodType>)) {
      const meta = field.meta() as KeyDoc | undefined;
      const child = name === '' ? key : name === 'pairs[]' ? `pairs[].${key}` : undefined;
      const anchor =
        child && child in sections ? child : key === 'pairs' && name === '' ? 'pairs[]' : undefined;
      const { core, defaultValue } = unwrap(field);
      const kind = meta?.kind ?? kindOf(core, anchor);
      out.push(
        `| \`${key}\` | ${cell(meta?.description ?? '')} | ${cell(kind)} | ${cell(defaultWords(meta, defaultValue))} |`,
      );
    }
  }
  return out.join('\n') + '\n';
}
