/**
 * Every command's --help ends with examples (the vostools aliases' under their own names), and the man
 * page, made from the same help, lists every command with its options and examples; the build writes it
 * where package.json's "man" says.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { TOOLS } from '../../src/cli/commands/index.js';
import { commandPath } from '../../src/cli/envelope.js';
import { EXAMPLES } from '../../src/cli/help-examples.js';
import { manPage } from '../../src/cli/man-page.js';
import { buildProgram } from '../../src/cli/program.js';
import { startHarness } from './helpers.js';

const ROOT = path.resolve(__dirname, '../..');

function leaves(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => (c.commands.length > 0 ? leaves(c) : [c]));
}

const commands = leaves(buildProgram()).map(commandPath);

describe('--help', () => {
  it('has examples for every command, and none for a command that does not exist', async () => {
    expect(commands.length).toBeGreaterThan(35);
    expect(Object.keys(EXAMPLES).sort()).toEqual([...commands].sort());
    const h = await startHarness('help');
    try {
      for (const name of commands) {
        const r = await h.run([...name.split(' '), '--help']);
        expect(r.code, name).toBe(0);
        expect(r.stdout, name).toContain(`\nExamples:\n  $ ${EXAMPLES[name]![0]}\n`);
      }
      for (const t of TOOLS.filter((x) => x.alias)) {
        const r = await h.run(['--help'], { alias: t.alias! });
        expect(r.stdout, t.alias).toMatch(new RegExp(`\\nExamples:\\n {2}\\$ ${t.alias} `));
        expect(r.stdout, t.alias).not.toContain('$ vosync');
      }
    } finally {
      await h.close();
    }
  });
});

describe('the man page', () => {
  const page = manPage(buildProgram(), '0.1.0', '2026-01-01');

  it('lists every command with its usage, options and examples', () => {
    for (const name of commands) {
      const at = page.indexOf(`.SS "vosync ${name.replace(/-/g, '\\-')}"`);
      expect(at, name).toBeGreaterThan(0);
      const section = page.slice(at, page.indexOf('.SS ', at + 1) >>> 0);
      expect(section, name).toContain(`Usage: vosync ${name.replace(/-/g, '\\-')}`);
      expect(section, name).toContain('Examples:');
    }
    expect(page).toMatch(/^\.TH VOSYNC 1 "2026-01-01" "vosync 0\.1\.0"/);
    expect(page).toContain('.B \\-\\-dry\\-run');
    expect(page).toContain('.SH EXIT STATUS');
  });

  it('is built where package.json says, and shipped', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      man: string[];
      files: string[];
      scripts: Record<string, string>;
    };
    expect(pkg.man).toEqual(['./dist/man/vosync.1']);
    expect(pkg.files).toContain('dist');
    expect(pkg.scripts['build']).toContain('write-man.js');
    const built = path.join(ROOT, 'dist/man/vosync.1');
    // `npm test` builds first (npm run build for this file alone); the built page lists the same commands.
    const text = fs.readFileSync(built, 'utf8');
    for (const name of commands) expect(text, name).toContain(`.SS "vosync ${name.replace(/-/g, '\\-')}"`);
  });
});
