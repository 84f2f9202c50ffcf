/** Questions on the terminal: y/n confirmations (cp -i) and passwords without echo (login, cert). */
import readline from 'node:readline';
import { CliError, EXIT, type CliIo } from '../common.js';

/** Reads answers line by line from the run's stdin; one instance per command run. */
export class Prompter {
  private lines: AsyncIterator<string> | undefined;
  private rl: readline.Interface | undefined;

  constructor(private readonly io: CliIo) {}

  async ask(question: string): Promise<string | undefined> {
    this.io.stderr.write(question);
    if (!this.lines) {
      this.rl = readline.createInterface({ input: this.io.stdin, terminal: false });
      this.lines = this.rl[Symbol.asyncIterator]();
    }
    const next = await this.lines.next();
    return next.done ? undefined : next.value;
  }

  close(): void {
    this.rl?.close();
  }
}

/** Reads a secret from a terminal without echoing it; refuses when stdin is not a terminal. */
export async function askSecret(io: CliIo, question: string, hint: string): Promise<string> {
  const stdin = io.stdin;
  if (!stdin.isTTY || !stdin.setRawMode) {
    throw new CliError(`no password: ${hint}`, EXIT.invalid);
  }
  io.stderr.write(question);
  stdin.setRawMode(true);
  stdin.resume();
  try {
    return await new Promise<string>((resolve, reject) => {
      let value = '';
      const onData = (chunk: Buffer | string) => {
        for (const ch of chunk.toString('utf8')) {
          if (ch === '\r' || ch === '\n' || ch === '\u0004') {
            stdin.off('data', onData);
            io.stderr.write('\n');
            resolve(value);
            return;
          }
          if (ch === '\u0003') {
            stdin.off('data', onData);
            io.stderr.write('\n');
            reject(new CliError('interrupted', EXIT.interrupted));
            return;
          }
          if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
          else value += ch;
        }
      };
      stdin.on('data', onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
  }
}
