/** `vosync login` and `logout` when they run (their options are in login.ts); the password prompt. */
import fs from 'node:fs';
import { loginForToken } from '../../vospace/gms.js';
import { CliError, EXIT, tokenFilePath, writePrivateFile, type Ctx } from '../common.js';
import { Prompter, askSecret } from './prompt.js';

export interface PasswordOptions {
  user?: string;
  passwordStdin?: boolean;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Username and password from the options, $CADC_USERNAME/$CADC_PASSWORD, stdin, or the terminal. */
export async function usernameAndPassword(
  ctx: Ctx,
  opts: PasswordOptions,
): Promise<{ user: string; password: string }> {
  const env = ctx.io.env;
  let user = opts.user || env['CADC_USERNAME'];
  if (!user) {
    if (!ctx.io.stdin.isTTY) {
      throw new CliError('no username: pass -u NAME or set CADC_USERNAME', EXIT.invalid);
    }
    const p = new Prompter(ctx.io);
    user = (await p.ask('CADC username: '))?.trim();
    p.close();
    if (!user) throw new CliError('no username given', EXIT.invalid);
  }
  let password: string | undefined;
  if (opts.passwordStdin) password = (await readAll(ctx.io.stdin)).replace(/\r?\n$/, '');
  else password = env['CADC_PASSWORD'];
  if (!password) {
    password = await askSecret(
      ctx.io,
      `Password for ${user}: `,
      'set CADC_PASSWORD, use --password-stdin, or run on a terminal',
    );
  }
  if (!password) throw new CliError('empty password', EXIT.invalid);
  return { user, password };
}

export async function runLogin(ctx: Ctx, opts: PasswordOptions) {
  const { user, password } = await usernameAndPassword(ctx, opts);
  const token = await loginForToken(ctx.client({ credentials: { kind: 'anonymous' } }), user, password);
  const file = tokenFilePath(ctx.io.env);
  writePrivateFile(file, token + '\n');
  ctx.result({ user, tokenFile: file });
  if (!ctx.json) ctx.io.stderr.write(`logged in as ${user}; token saved in ${file}\n`);
}

export async function runLogout(ctx: Ctx) {
  const file = tokenFilePath(ctx.io.env);
  const existed = fs.existsSync(file);
  fs.rmSync(file, { force: true });
  ctx.result({ removed: existed ? file : null });
  if (!ctx.json) ctx.io.stderr.write(existed ? `removed ${file}\n` : 'not logged in\n');
}
