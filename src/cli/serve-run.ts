/** `vosync serve` when it runs (its options are in serve.ts): the flags checked, the server started. */
import { parseUserArg, readUsersFile, type UserSpec } from '../server/auth.js';
import { parseFaultSpec, type FaultSpec } from '../server/faults.js';
import type { ServeOptions } from '../server/server.js';
import { CliError, EXIT, type Ctx } from './common.js';

export interface ServeFlags {
  data: string;
  host: string;
  port: string;
  user: string[];
  usersFile?: string;
  group: string[];
  admin?: string;
  faults?: string;
  tls?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  verbose?: boolean;
}

/** Applies `--group NAME:user1,user2` memberships to the user list. */
function applyGroups(users: UserSpec[], groups: string[]): void {
  for (const g of groups) {
    const [name, members] = g.split(':');
    if (!name || !members) throw new CliError(`--group ${g}: expected NAME:user1,user2`, EXIT.invalid);
    for (const m of members.split(',')) {
      const u = users.find((x) => x.name === m);
      if (!u) throw new CliError(`--group ${g}: unknown user ${m}`, EXIT.invalid);
      u.groups = [...(u.groups ?? []), name];
    }
  }
}

/** Checks the flags and turns them into server options; every problem is a usage error (22) that says what. */
export function serveOptions(flags: ServeFlags): ServeOptions {
  const users = [...(flags.usersFile ? readUsersFile(flags.usersFile) : []), ...flags.user.map(parseUserArg)];
  applyGroups(users, flags.group);
  if (!/^\d{1,5}$/.test(flags.port) || Number(flags.port) > 65535)
    throw new CliError(`--port ${flags.port}: not a port number (0-65535, 0 = any free port)`, EXIT.invalid);
  if (Boolean(flags.tlsCert) !== Boolean(flags.tlsKey))
    throw new CliError('--tls-cert and --tls-key go together', EXIT.invalid);
  if (flags.tls && flags.tlsCert)
    throw new CliError('--tls makes its own certificate: leave out --tls-cert/--tls-key', EXIT.invalid);
  if (flags.admin && !users.some((u) => u.name === flags.admin))
    throw new CliError(
      `--admin ${flags.admin}: not one of the users given with --user or --users-file`,
      EXIT.invalid,
    );
  let faults: FaultSpec | undefined;
  if (flags.faults) {
    try {
      faults = parseFaultSpec(flags.faults);
    } catch (e) {
      throw new CliError(`--faults ${flags.faults}: ${(e as Error).message}`, EXIT.invalid);
    }
  }
  return {
    dataDir: flags.data,
    host: flags.host,
    port: Number(flags.port),
    users,
    ...(flags.admin ? { admin: flags.admin } : {}),
    ...(faults ? { faults } : {}),
    ...(flags.tlsCert && flags.tlsKey ? { tls: { cert: flags.tlsCert, key: flags.tlsKey } } : {}),
    ...(flags.tls ? { tls: 'own' as const } : {}),
    ...(flags.verbose ? { log: (line: string) => process.stderr.write(line + '\n') } : {}),
  };
}

export async function runServe(ctx: Ctx, flags: ServeFlags) {
  // `-v` is also a global option of `vosync`, which claims it wherever it appears on the line.
  const verbose = Boolean(flags.verbose || ctx.flags.verbose);
  // Loaded when used: other commands (the daemon above all) need not carry the server's code.
  const { startServer } = await import('../server/server.js');
  const server = await startServer(serveOptions({ ...flags, verbose }));
  const base = server.baseUrl;
  // One line, so a parent process can read the address from the first line of stdout.
  ctx.out(
    `vosync serve listening on ${base} (vault: ${base}/vault, arc: ${base}/arc, ` +
      `registry: ${base}/reg/resource-caps)\n`,
  );
  if (flags.tls)
    ctx.out(
      `its certificates are signed by ${server.caFile}: trust it with NODE_EXTRA_CA_CERTS=${server.caFile}\n`,
    );
  ctx.result({
    baseUrl: base,
    vault: `${base}/vault`,
    arc: `${base}/arc`,
    registry: `${base}/reg/resource-caps`,
    caFile: server.caFile,
  });
  ctx.finish(0, { oneLine: true });
  let stopping = false;
  const stop = (): void => {
    // A second signal while closing means "now".
    if (stopping) process.exit(1);
    stopping = true;
    server.close().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`vosync serve: error while stopping: ${(e as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
