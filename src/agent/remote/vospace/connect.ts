/**
 * Connecting the engine to a VOSpace service: the HTTP client the config's registry, auth and limits ask for
 * (logging in with a password when told to), and the Remote of each pair's folder on it.
 */
import fs from 'node:fs';
import { Client } from '../../../vospace/client.js';
import { loginForToken } from '../../../vospace/gms.js';
import { certificateProblem, type Credentials } from '../../../vospace/http.js';
import { NAME_MAPPING, RAW_NAMES } from '../../../vospace/names.js';
import { quotaOf } from '../../../vospace/quota.js';
import { VosError } from '../../../util/errors.js';
import type { Remote, RemoteFolder, RemoteService } from '../port.js';
import { VospaceRemote } from './remote.js';
import { PASSWORD_ENV, type VospaceSettings } from './settings.js';

/** Turns the config's auth section into client credentials (logging in with a password when asked). */
export async function credentialsFor(
  settings: Pick<VospaceSettings, 'auth' | 'registry'>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Credentials> {
  const auth = settings.auth;
  switch (auth.kind) {
    case 'anonymous':
      return { kind: 'anonymous' };
    case 'token':
      return { kind: 'token', token: auth.token };
    case 'tokenFile':
      return { kind: 'token', token: fs.readFileSync(auth.tokenFile, 'utf8').trim() };
    case 'certificate':
      return fs.existsSync(auth.certFile)
        ? { kind: 'certificate', certFile: auth.certFile }
        : { kind: 'anonymous' };
    case 'password': {
      const password = env[PASSWORD_ENV];
      if (!password) throw new VosError('auth', `auth.username is set: put the password in $${PASSWORD_ENV}`);
      const anon = new Client({ registryUrl: settings.registry });
      try {
        return { kind: 'token', token: await loginForToken(anon, auth.username, password) };
      } finally {
        await anon.close();
      }
    }
  }
}

/** The HTTP client the config's registry, services, auth and limits ask for. */
export async function buildClient(settings: VospaceSettings): Promise<Client> {
  return new Client({
    registryUrl: settings.registry,
    schemes: settings.services,
    credentials: await credentialsFor(settings),
    timeoutMs: settings.transfers.timeoutSeconds * 1000,
    // A server out of reach ends the cycle within seconds ("offline"); the pair runner retries cycles itself.
    retry: { retries: settings.transfers.retries, unreachableGiveUpMs: 10_000 },
    connections: Math.max(4, settings.transfers.concurrency * 2),
    requestsPerSecond: settings.transfers.requestsPerSecond,
    bytesPerSecond: settings.transfers.bytesPerSecond,
  });
}

/** The Remote of a pair's folder through a client: its location parsed, its names mapped unless told not to. */
export function vospaceRemote(client: Client, folder: RemoteFolder): VospaceRemote {
  return new VospaceRemote(
    client,
    client.location(folder.remote),
    folder.nameEncoding ? NAME_MAPPING : RAW_NAMES,
    folder.remote,
  );
}

/** A failure in words; a client certificate the service refused says why (expired, or not from it). */
function explainFailure(credentials: Credentials, e: unknown): string {
  const message = (e as Error).message ?? String(e);
  if (!(e instanceof VosError) || e.kind !== 'auth' || credentials.kind !== 'certificate') return message;
  const problem = certificateProblem(credentials.certFile);
  return problem ? `${message} (${problem})` : message;
}

/** A VOSpace service through one client: `owned` clients are closed with it. */
export function vospaceService(client: Client, owned = false): RemoteService {
  return {
    forPair: (folder): Remote => vospaceRemote(client, folder),
    allocation: async (container) => {
      const node = await client.getInfo(container).catch(() => undefined);
      return node ? (quotaOf(node) ?? { quota: undefined, used: undefined }) : undefined;
    },
    explain: (e) => explainFailure(client.session.credentials, e),
    close: async () => {
      if (owned) await client.close();
    },
    destroy: async () => {
      if (owned) await client.destroy();
    },
  };
}

/** Connects to the service the settings name (one client for every pair). */
export async function connectVospace(settings: VospaceSettings): Promise<RemoteService> {
  return vospaceService(await buildClient(settings), true);
}
