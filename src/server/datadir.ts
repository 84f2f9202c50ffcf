/**
 * The server's data directory as a whole: private to the user running the server (directories 0700, files
 * 0600), used by one server at a time (a lock file naming its pid), and holding the key that signs
 * pre-authorised URLs in a file of its own (the certificate authority's files are user-ca.ts's).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { acquirePidLock, type PidLock } from '../util/pid-lock.js';

export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

const LOCK_FILE = 'serve.lock';
const KEY_FILE = 'preauth.key';
const KEY_HEX = /^[0-9a-f]{64}$/;

/** Creates the data directory, or tightens an existing one: it holds every user's bytes and the key. */
export function prepareDataDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  fs.chmodSync(dir, DIR_MODE);
}

/**
 * Takes the data directory for this server; a second server on the same directory would collect the
 * first one's uploads as crash leftovers. A lock left by a dead process is taken over.
 */
export function lockDataDir(dir: string): PidLock {
  const file = path.join(dir, LOCK_FILE);
  return acquirePidLock(
    file,
    (holder) =>
      `data directory ${dir} is in use by another vosync serve (pid ${holder}); stop that one first, ` +
      `or remove ${file} if pid ${holder} is not a vosync serve`,
  );
}

export function writePrivateFile(file: string, content: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(temp, 'w', FILE_MODE);
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, file);
}

/**
 * The key signing pre-authorised URLs (kept, so URLs survive a restart), in its own 0600 file rather than
 * in the node database that backups and copies of the metadata carry around. A key still kept in the
 * database by an older version (`legacy`) is moved into the file.
 */
export function preauthKey(dir: string, legacy: Buffer | undefined): Buffer {
  const file = path.join(dir, KEY_FILE);
  if (fs.existsSync(file)) {
    fs.chmodSync(file, FILE_MODE);
    const hex = fs.readFileSync(file, 'utf8').trim();
    if (!KEY_HEX.test(hex)) throw new Error(`${file} is not a vosync pre-auth key (64 hex digits)`);
    return Buffer.from(hex, 'hex');
  }
  const key = legacy ?? randomBytes(32);
  writePrivateFile(file, `${key.toString('hex')}\n`);
  return key;
}
