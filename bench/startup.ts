/**
 * Start-up of the command line: `vosync --version`, `vls --help` and `vosync ls --help`, each timed as a whole
 * process (spawn to exit) against `node -e 0`, run in turn with it so the machine's drift hits both alike.
 * Medians of the wall times; the target is on the ratio.
 */
import path from 'node:path';
import { type BenchContext } from './lib/context.js';
import { median } from './lib/files.js';
import { CLI, REPO, runCommand } from './lib/procs.js';
import { atMost, figure, type BenchResult, type Figure } from './lib/report.js';

const COMMANDS: { key: string; label: string; args: string[] }[] = [
  { key: 'version', label: '`vosync --version`', args: [CLI, '--version'] },
  {
    key: 'vlsHelp',
    label: '`vls --help`',
    args: [path.join(REPO, 'dist', 'cli', 'bin', 'vls.js'), '--help'],
  },
  { key: 'lsHelp', label: '`vosync ls --help`', args: [CLI, 'ls', '--help'] },
];

async function wallSeconds(args: string[]): Promise<number> {
  const r = await runCommand(process.execPath, args, { discardStdout: true });
  if (r.code !== 0) throw new Error(`node ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
  return r.seconds;
}

export async function startup(ctx: BenchContext): Promise<BenchResult> {
  const t0 = performance.now();
  const runs = ctx.quick ? 3 : 20;
  const figures: Figure[] = [];
  for (const c of COMMANDS) {
    ctx.log(`startup: ${c.label} against node -e 0, ${runs} runs each`);
    // One untimed run of each warms the page cache.
    await wallSeconds(c.args);
    await wallSeconds(['-e', '0']);
    const cmd: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < runs; i++) {
      cmd.push(await wallSeconds(c.args));
      bare.push(await wallSeconds(['-e', '0']));
    }
    figures.push(
      figure({
        key: `${c.key}.seconds`,
        label: c.label,
        value: median(cmd),
        unit: 's',
        baseline: { label: 'node -e 0', value: median(bare), unit: 's' },
        ratioMeaning: 'lower is better',
        ratioTarget: atMost(2.5),
      }),
    );
  }
  return {
    name: 'startup',
    title: 'Command-line start-up',
    figures,
    notes: [
      `Whole processes, spawn to exit, medians of ${runs} runs each, the command and \`node -e 0\` in turn; ` +
        'the built CLI (dist/).',
    ],
    seconds: (performance.now() - t0) / 1000,
  };
}
