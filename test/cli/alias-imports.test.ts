/**
 * The vostools aliases start fast because they load only the command-line tools: not the daemon, its config
 * (zod, yaml), its log (winston) or the embedded server. Walks the static imports from `vls`'s entry.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

/** Every module and package `entry` loads before it runs (type-only imports and dynamic imports excluded). */
function staticImports(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>([entry]);
  const packages = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.shift()!;
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(
      /^(?:import|export)\s+(?!type\b)[^'";]*?from\s+'([^']+)'|^import\s+'([^']+)'/gm,
    )) {
      const spec = m[1] ?? m[2]!;
      if (spec.startsWith('.')) {
        const target = path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts'));
        if (!files.has(target)) {
          files.add(target);
          queue.push(target);
        }
      } else if (!spec.startsWith('node:')) {
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
      }
    }
  }
  return { files, packages };
}

describe('what vls loads', () => {
  it('the command-line tools only: no daemon, config, log library or server', () => {
    const { files, packages } = staticImports(path.join(SRC, 'cli/bin/vls.ts'));
    const rel = [...files].map((f) => path.relative(SRC, f));
    expect(rel).toContain('cli/commands/ls.ts');
    expect(
      rel.filter((f) => f.startsWith('server/') || f === 'agent/daemon.ts' || f.startsWith('agent/config/')),
    ).toEqual([]);
    for (const heavy of ['zod', 'yaml', 'winston', 'node-cron'])
      expect(packages.has(heavy), heavy).toBe(false);
    expect(packages.has('undici')).toBe(true);
  });
});
