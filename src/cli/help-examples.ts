/**
 * Examples for every command's --help (and the man page, which is made from the help): the first thing a
 * person looks for. Keyed by the command as typed after `vosync`; a vostools alias shows its tool's examples
 * under its own name.
 */
import type { Command } from 'commander';
import { commandPath } from './envelope.js';

export const EXAMPLES: Record<string, readonly string[]> = {
  serve: [
    'vosync serve --data ./vospace-data --port 8080 --user alice:alicetoken1 --admin alice',
    'vosync serve --data /tmp/v --user alice:t1 --faults rate=0.2,kinds=error+reset,seed=7',
  ],
  'config check': ['vosync config check', 'vosync config check --config ~/vosync-test.yaml'],
  'config path': ['vosync config path'],
  'config init': ['vosync config init', 'vosync config init --config ./config.yaml'],
  ls: [
    'vosync ls vos:alice/',
    'vosync ls -lh -R arc:home/alice/projects',
    'vosync ls --json "vos:alice/data/*.fits"',
  ],
  info: ['vosync info vos:alice/data/img.fits', 'vosync info --json vos:alice/data/img.fits'],
  cp: [
    'vosync cp mydata.fits vos:alice/data/',
    'vosync cp vos:alice/data/mydata.fits ./',
    "vosync cp -v --exclude '*.tmp' results/ arc:home/alice/results/",
    'vosync cp --head vos:alice/data/img.fits img-header.txt',
  ],
  sync: [
    'vosync sync ./results/ vos:alice/backup/',
    "vosync sync -j 8 --exclude '*.tmp' ./results/ arc:home/alice/backup/",
    'vosync sync vos:alice/backup/ ./restored/',
    'vosync sync --delete --dry-run ./results/ vos:alice/backup/',
  ],
  check: ['vosync check ./results vos:alice/backup', 'vosync check --json ./results vos:alice/backup'],
  mkdir: ['vosync mkdir vos:alice/data', 'vosync mkdir -p arc:home/alice/projects/survey/raw'],
  mv: [
    'vosync mv vos:alice/a.fits vos:alice/b.fits',
    'vosync mv vos:alice/a.fits vos:alice/b.fits vos:alice/dir/',
  ],
  rm: ['vosync rm vos:alice/old.fits', 'vosync rm -R vos:alice/scratch'],
  rmdir: ['vosync rmdir vos:alice/empty-dir'],
  cat: ['vosync cat vos:alice/notes.txt', 'vosync cat --head vos:alice/data/img.fits'],
  ln: ['vosync ln vos:alice/data/img.fits vos:alice/latest.fits'],
  chmod: [
    'vosync chmod o+r vos:alice/public.fits',
    'vosync chmod g+r vos:alice/shared survey',
    'vosync chmod -R g+rw vos:alice/project "survey" "survey-admins"',
  ],
  tag: [
    'vosync tag vos:alice/img.fits',
    'vosync tag vos:alice/img.fits description="survey input"',
    'vosync tag vos:alice/img.fits description',
  ],
  lock: ['vosync lock --lock vos:alice/keep.fits', 'vosync lock vos:alice/keep.fits && echo locked'],
  login: ['vosync login', 'printf %s "$PASSWORD" | vosync login -u alice --password-stdin'],
  logout: ['vosync logout'],
  cert: ['vosync cert --days-valid 10', 'vosync cert --check --warn-days 2'],
  daemon: ['vosync daemon', 'vosync daemon --config ~/vosync-test.yaml -v'],
  once: ['vosync once', 'vosync once --dry-run', 'vosync once --confirm-deletes'],
  demo: ['vosync demo', 'vosync demo --dir /tmp/vosync-demo'],
  status: [
    'vosync status',
    'vosync status --json',
    'vosync status ~/data/results/paper.pdf',
    'vosync status --open',
  ],
  pause: ['vosync pause', 'vosync pause results'],
  resume: ['vosync resume', 'vosync resume results --confirm-deletes'],
  rescan: ['vosync rescan results'],
  log: ['vosync log', 'vosync log -n 200 --pair results'],
  reload: ['vosync reload'],
  'service install': ['vosync service install', 'vosync service install --config ~/other.yaml --no-start'],
  'service uninstall': ['vosync service uninstall'],
  'service status': ['vosync service status'],
  'trash list': ['vosync trash list', 'vosync trash list results'],
  restore: [
    'vosync restore ~/data/results/paper.pdf',
    'vosync restore ~/data/results/paper.pdf --version 20260301-120000-1',
  ],
  resolve: [
    'vosync resolve ~/data/results/paper.pdf --keep remote',
    'vosync resolve ~/data/results/paper.conflict-20260301-120000-laptop.pdf --keep local',
  ],
  'aliases install': ['vosync aliases install', 'vosync aliases install --dir ~/bin --force'],
  'aliases uninstall': ['vosync aliases uninstall', 'vosync aliases uninstall --dir ~/bin'],
  'aliases list': ['vosync aliases list'],
};

/** The examples of `name` (`ls`, `config check`), written for `prog` (`vosync`, or an alias like `vls`). */
export function examplesOf(name: string, prog = 'vosync'): string[] {
  const lines = EXAMPLES[name] ?? [];
  if (prog === 'vosync') return [...lines];
  return lines.map((l) => l.replace(`vosync ${name} `, `${prog} `).replace(`vosync ${name}`, prog));
}

function helpText(lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}

/** Adds the examples to every command of `program` (after its options in --help). */
export function addExamples(program: Command): void {
  for (const cmd of program.commands) {
    const lines = examplesOf(commandPath(cmd));
    if (lines.length > 0) cmd.addHelpText('after', helpText(lines));
    addExamples(cmd);
  }
}

/** The examples of a vostools alias program (`vls --help`), under its own name. */
export function addAliasExamples(cmd: Command, tool: string): void {
  const lines = examplesOf(tool, cmd.name());
  if (lines.length > 0) cmd.addHelpText('after', helpText(lines));
}
