/**
 * CADC's group and login service (GMS): the registry id that locates it, the URI prefix that node permissions
 * write group names with, and its login form, which trades a username and password for a token.
 */
import type { Client } from './client.js';
import { VosError, httpError } from './errors.js';
import { STANDARD, selectInterface } from './registry.js';

export const GMS_RESOURCE_ID = 'ivo://cadc.nrc.ca/gms';
/** `ivo://cadc.nrc.ca/gms?survey` is how a node's group properties name the group `survey`. */
export const GMS_PREFIX = `${GMS_RESOURCE_ID}?`;

/** A login service answers with the token alone; anything longer is not one. */
const MAX_TOKEN_RESPONSE = 64 * 1024;

/** POSTs the login form of the registry's GMS; returns the token. The password is sent, never logged. */
export async function loginForToken(
  client: Pick<Client, 'registry' | 'session'>,
  user: string,
  password: string,
): Promise<string> {
  const caps = await client.registry.capabilities(GMS_RESOURCE_ID);
  const url =
    selectInterface(caps, STANDARD.login, 'anonymous') ??
    selectInterface(caps, STANDARD.loginLegacy, 'anonymous');
  if (!url) throw new VosError('unsupported', `${GMS_RESOURCE_ID} offers no login service`);
  const res = await client.session.send({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/plain' },
    body: new URLSearchParams({ username: user, password }).toString(),
    retry: false,
  });
  const text = await client.session.text(res, MAX_TOKEN_RESPONSE);
  if (res.status === 401 || res.status === 403) {
    throw new VosError('auth', `login as ${user} failed: invalid username/password combination`);
  }
  if (res.status !== 200) throw httpError(res.status, text, `login as ${user}`);
  const token = text.trim();
  if (token === '' || /\s/.test(token))
    throw new VosError('protocol', `login as ${user}: the service returned no token`);
  return token;
}
