/**
 * vosync(1), made from the same help the commands print (usage, description, arguments, options,
 * examples), so the manual cannot drift from `--help`. `npm run build` writes it to dist/man/vosync.1
 * (write-man.ts), which package.json's "man" ships.
 */
import type { Command, Help } from 'commander';
import { commandPath } from './envelope.js';
import { examplesOf } from './help-examples.js';
import { EXIT } from './common.js';

/** roff text: backslashes and leading dots or quotes would be read as requests. */
function roff(s: string): string {
  return s
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .split('\n')
    .map((l) => (/^[.']/.test(l) ? `\\&${l}` : l))
    .join('\n');
}

/** Leaf commands first by their place in the program (`config check` after `config`). */
function leaves(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => (c.commands.length > 0 ? leaves(c) : [c]));
}

function optionsSection(help: Help, cmd: Command): string[] {
  const lines: string[] = [];
  for (const a of help.visibleArguments(cmd)) {
    lines.push('.TP', `.I ${roff(help.argumentTerm(a))}`, roff(help.argumentDescription(a)));
  }
  for (const o of help.visibleOptions(cmd)) {
    if (o.long === '--help') continue;
    lines.push('.TP', `.B ${roff(help.optionTerm(o))}`, roff(help.optionDescription(o)));
  }
  return lines;
}

function examplesSection(lines: string[]): string[] {
  if (lines.length === 0) return [];
  return ['.PP', 'Examples:', '.PP', '.RS', '.nf', ...lines.map(roff), '.fi', '.RE'];
}

const EXIT_WORDS: [number, string][] = [
  [EXIT.ok, 'success'],
  [EXIT.failure, 'some files failed, a node is locked, a check found differences'],
  [EXIT.notFound, 'not found; for once: an action failed'],
  [3, 'status, service status: the daemon cannot be asked; once: cannot run'],
  [EXIT.io, 'I/O or integrity error'],
  [EXIT.transient, 'the service stayed unavailable after retries'],
  [EXIT.permission, 'permission denied, not authenticated, expired certificate'],
  [EXIT.exists, 'already exists'],
  [EXIT.invalid, 'invalid input: a usage error, bad options or names'],
  [111, 'cannot reach the service (refused, DNS, no route, TLS not trusted)'],
];

/** The whole page, in man(7) roff. */
export function manPage(program: Command, version: string, date: string): string {
  const help = program.createHelp();
  const out: string[] = [
    `.TH VOSYNC 1 "${date}" "vosync ${version}" "User Commands"`,
    '.SH NAME',
    'vosync \\- sync agent, command\\-line tools and embedded server for CANFAR Vault (vos:) and ARC (arc:)',
    '.SH SYNOPSIS',
    '.B vosync',
    '[\\fIglobal options\\fR] \\fIcommand\\fR [\\fIoptions\\fR] [\\fIarguments\\fR]',
    '.SH DESCRIPTION',
    roff(program.description()),
    '.PP',
    roff(
      'Every command prints one JSON document with --json (docs/schemas/cli/envelope.json). ' +
        "The vostools names (vls, vcp, …) are installed on request by 'vosync aliases install'.",
    ),
    '.SH GLOBAL OPTIONS',
    ...optionsSection(help, program),
    '.SH COMMANDS',
  ];
  for (const cmd of leaves(program)) {
    const name = commandPath(cmd);
    out.push(`.SS "vosync ${roff(name)}"`);
    out.push(roff(`Usage: ${help.commandUsage(cmd)}`));
    out.push('.PP', roff(help.commandDescription(cmd)));
    out.push(...optionsSection(help, cmd));
    out.push(...examplesSection(examplesOf(name)));
  }
  out.push('.SH EXIT STATUS');
  for (const [code, words] of EXIT_WORDS) out.push('.TP', `.B ${code}`, roff(words));
  out.push(
    '.SH FILES',
    '.TP',
    '.I ~/.config/vosync/config.yaml',
    roff('the daemon\'s config (see "vosync config path"; macOS and Windows differ)'),
    '.TP',
    '.I ~/.config/vosync/token',
    roff('the token saved by vosync login (mode 0600)'),
    '.TP',
    '.I ~/.local/state/vosync/vosync.log',
    roff("the daemon's log, rotated to vosync.log.1 …"),
    '.SH SEE ALSO',
    roff('The README (https://github.com/vosync/vosync#readme), vosync COMMAND --help.'),
    '',
  );
  return out.join('\n');
}
