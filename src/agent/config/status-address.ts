/**
 * Where a config's daemon answers, read leniently: `vosync reload` must reach the running daemon even when
 * the file now has mistakes elsewhere (that is when the user most needs to hear about them).
 */
import fs from 'node:fs';
import { parseDocument } from 'yaml';
import { DEFAULTS } from './types.js';
import { expandPath, type HostContext } from './paths.js';
import { pathApi } from '../../util/platform-paths.js';

export function statusSettingsOf(file: string, host: HostContext): { port: number; tokenFile: string } {
  const p = pathApi(host.platform);
  const baseDir = p.dirname(file);
  let port: number = DEFAULTS.status.port;
  let tokenFile = p.join(baseDir, DEFAULTS.status.tokenFileName);
  let status: unknown;
  try {
    status = (parseDocument(fs.readFileSync(file, 'utf8')).toJS() as { status?: unknown } | null)?.status;
  } catch {
    status = undefined;
  }
  if (status && typeof status === 'object') {
    const s = status as { port?: unknown; tokenFile?: unknown };
    if (typeof s.port === 'number' && Number.isInteger(s.port) && s.port >= 0 && s.port <= 65535)
      port = s.port;
    if (typeof s.tokenFile === 'string') {
      const expanded = expandPath(s.tokenFile, host, baseDir);
      if (expanded.ok) tokenFile = expanded.path;
    }
  }
  return { port, tokenFile };
}
