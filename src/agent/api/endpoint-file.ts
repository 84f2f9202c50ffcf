/**
 * How `vosync status` finds a running daemon: the daemon writes its API address next to the token file
 * (mode 0600) and removes it when it stops. Needed because `status.port: 0` picks a free port.
 */
import fs from 'node:fs';

export interface EndpointRecord {
  url: string;
  port: number;
  pid: number;
  startedAt: number;
}

export function endpointFileFor(tokenFile: string): string {
  return `${tokenFile}.endpoint.json`;
}

export function writeEndpointFile(tokenFile: string, rec: EndpointRecord): void {
  const file = endpointFileFor(tokenFile);
  const tmp = `${file}.${rec.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(rec) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
}

export function readEndpointFile(tokenFile: string): EndpointRecord | undefined {
  try {
    const rec = JSON.parse(fs.readFileSync(endpointFileFor(tokenFile), 'utf8')) as Partial<EndpointRecord>;
    if (typeof rec.url !== 'string' || typeof rec.port !== 'number' || typeof rec.pid !== 'number')
      return undefined;
    return { url: rec.url, port: rec.port, pid: rec.pid, startedAt: rec.startedAt ?? 0 };
  } catch {
    return undefined;
  }
}

/** Removes the file only when it is still ours (a newer daemon may have replaced it). */
export function removeEndpointFile(tokenFile: string, pid: number): void {
  if (readEndpointFile(tokenFile)?.pid === pid) fs.rmSync(endpointFileFor(tokenFile), { force: true });
}

/** Whether a process with this id exists (EPERM: it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
