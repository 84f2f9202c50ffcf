/**
 * Discovery and login: the registry's `resource-caps`, VOSI capabilities and availability for each
 * service, and a username/password login service like CADC's access-control service. (The credential
 * service's own capabilities are in cred.ts.)
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Fault } from './errors.js';
import { first, formParams, readBody, sendText, sendXml } from './http.js';
import type { ServiceName } from './store.js';
import { GMS_RESOURCE_ID } from '../vospace/gms.js';
import { ARC_RESOURCE_ID, VAULT_RESOURCE_ID } from '../vospace/location.js';
import { CRED_RESOURCE_ID } from '../vospace/registry.js';
import { escapeXml } from '../vospace/xml.js';

export const RESOURCE_IDS: Record<ServiceName, string> = {
  vault: VAULT_RESOURCE_ID,
  arc: ARC_RESOURCE_ID,
};

const ANON = '';
const AUTH = [
  'ivo://ivoa.net/sso#cookie',
  'ivo://ivoa.net/sso#tls-with-certificate',
  'ivo://ivoa.net/sso#token',
];

export interface Capability {
  standardID: string;
  path: string;
  use: 'base' | 'full';
  security: string[];
}

function serviceCapabilities(service: ServiceName): Capability[] {
  const all = [ANON, ...AUTH];
  return [
    {
      standardID: 'ivo://ivoa.net/std/VOSI#capabilities',
      path: 'capabilities',
      use: 'full',
      security: [ANON],
    },
    {
      standardID: 'ivo://ivoa.net/std/VOSI#availability',
      path: 'availability',
      use: 'full',
      security: [ANON],
    },
    { standardID: 'ivo://ivoa.net/std/VOSpace/v2.0#nodes', path: 'nodes', use: 'base', security: all },
    { standardID: 'ivo://ivoa.net/std/VOSpace#sync-2.1', path: 'synctrans', use: 'full', security: all },
    {
      standardID: 'ivo://ivoa.net/std/VOSpace/v2.0#transfers',
      path: 'transfers',
      use: 'full',
      security: all,
    },
    { standardID: 'ivo://ivoa.net/std/VOSpace#files-proto', path: 'files', use: 'base', security: all },
    {
      standardID: 'ivo://ivoa.net/std/VOSpace#recursive-delete-proto',
      path: 'async-delete',
      use: 'full',
      security: service === 'vault' ? all : AUTH,
    },
    {
      standardID: 'ivo://ivoa.net/std/VOSpace#recursive-nodeprops-proto',
      path: 'async-setprops',
      use: 'full',
      security: AUTH,
    },
  ];
}

function loginCapabilities(): Capability[] {
  return [
    {
      standardID: 'ivo://ivoa.net/std/VOSI#capabilities',
      path: 'capabilities',
      use: 'full',
      security: [ANON],
    },
    { standardID: 'ivo://ivoa.net/sso#tls-with-password', path: 'login', use: 'full', security: [ANON] },
    { standardID: 'ivo://ivoa.net/std/UMS#login-0.1', path: 'login', use: 'full', security: [ANON] },
  ];
}

export function capabilitiesXml(base: string, caps: Capability[]): string {
  let out =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<vosi:capabilities xmlns:vosi="http://www.ivoa.net/xml/VOSICapabilities/v1.0" ' +
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:vs="http://www.ivoa.net/xml/VODataService/v1.1">\n';
  for (const c of caps) {
    out += `  <capability standardID="${c.standardID}">\n    <interface xsi:type="vs:ParamHTTP" role="std">\n`;
    out += `      <accessURL use="${c.use}">${escapeXml(`${base}/${c.path}`)}</accessURL>\n`;
    for (const s of c.security) {
      out += s === ANON ? '      <securityMethod />\n' : `      <securityMethod standardID="${s}" />\n`;
    }
    out += '    </interface>\n  </capability>\n';
  }
  return out + '</vosi:capabilities>\n';
}

export function sendServiceCapabilities(
  res: ServerResponse,
  service: ServiceName,
  serviceBase: string,
): void {
  sendXml(res, 200, capabilitiesXml(serviceBase, serviceCapabilities(service)));
}

export function sendLoginCapabilities(res: ServerResponse, acBase: string): void {
  sendXml(res, 200, capabilitiesXml(acBase, loginCapabilities()));
}

export function sendAvailability(res: ServerResponse, available: boolean, note: string): void {
  sendXml(
    res,
    200,
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
      '<vosi:availability xmlns:vosi="http://www.ivoa.net/xml/VOSIAvailability/v1.0">\n' +
      `  <vosi:available>${available}</vosi:available>\n  <vosi:note>${escapeXml(note)}</vosi:note>\n` +
      '</vosi:availability>\n',
  );
}

/** The registry file: `resourceID = capabilities URL` lines. */
export function sendResourceCaps(res: ServerResponse, base: string): void {
  sendText(
    res,
    200,
    '# vosync embedded registry\n' +
      `${RESOURCE_IDS.vault} = ${base}/vault/capabilities\n` +
      `${RESOURCE_IDS.arc} = ${base}/arc/capabilities\n` +
      `${GMS_RESOURCE_ID} = ${base}/ac/capabilities\n` +
      `${CRED_RESOURCE_ID} = ${base}/cred/capabilities\n`,
  );
}

/**
 * `POST /ac/login` with form `username`, `password` → the user's token as text/plain; `login` checks the
 * pair (and throttles failures).
 */
export async function handleLogin(
  req: IncomingMessage,
  res: ServerResponse,
  login: (username: string, password: string) => string,
): Promise<void> {
  if (req.method !== 'POST') throw new Fault(405, 'unsupported: HTTP ' + req.method, { Allow: 'POST' });
  const params = formParams((await readBody(req, 8192)).toString('utf8'));
  const username = first(params, 'username');
  const password = first(params, 'password');
  if (!username || !password) throw new Fault(400, 'InvalidArgument: username and password are required');
  const token = login(username, password);
  sendText(res, 200, token, { 'x-vo-authenticated': username, 'x-vo-bearer': token });
}
