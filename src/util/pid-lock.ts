/**
 * A lock file naming the pid that holds it, for "one process at a time" on a folder: one `vosync serve` per
 * data directory, one agent (daemon or `vosync once`) per state directory. A lock left by a process that died
 * (a crash, SIGKILL) is taken over.
 */
import fs from 'node:fs';

/** Lock files held by this process: its own pid in a lock is stale unless it is one of these. */
const heldHere = new Set<string>();

export interface PidLock {
  release(): void;
}

/** A lock held by a live process: `holder` is its pid. */
export class LockedError extends Error {
  constructor(
    message: string,
    readonly holder: number,
  ) {
    super(message);
    this.name = 'LockedError';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockHolder(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The pid holding a lock, or undefined when the lock is stale (its process is gone). */
function liveHolder(file: string): number | undefined {
  const pid = lockHolder(file);
  if (pid === undefined) return undefined;
  // After a restart (a container's pid 1, say) the dead holder's pid may be ours.
  if (pid === process.pid) return heldHere.has(file) ? pid : undefined;
  return isAlive(pid) ? pid : undefined;
}

/** Creates the lock with our pid in one step (link of a written temp file), failing if it exists. */
function createLock(file: string): boolean {
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, `${process.pid}\n`, { mode: 0o600 });
  try {
    fs.linkSync(temp, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

/** Takes the lock, or throws a LockedError worded by `inUse` when a live process holds it. */
export function acquirePidLock(file: string, inUse: (holder: number) => string): PidLock {
  for (let attempt = 0; !createLock(file); attempt++) {
    const holder = liveHolder(file);
    if (holder !== undefined) throw new LockedError(inUse(holder), holder);
    if (attempt > 0) throw new Error(`cannot take the lock ${file}: it keeps reappearing`);
    fs.rmSync(file, { force: true });
  }
  heldHere.add(file);
  return {
    release() {
      heldHere.delete(file);
      if (lockHolder(file) === process.pid) fs.rmSync(file, { force: true });
    },
  };
}
