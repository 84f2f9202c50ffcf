/**
 * Keeps a download's bytes inside the pair root while folders may be swapped for symbolic links at any moment:
 * the destination's folder is checked before the temp file is touched, once it is open, and right before the
 * rename, and the temp file must still be the very file that was opened (Node has no openat/renameat, so the
 * checks close the window as far as paths allow).
 */
import fs from 'node:fs';
import path from 'node:path';
import { assertNoLinkOnTheWay } from './trash.js';
import { isSameFileAt, type TempGuard } from '../../util/temp-files.js';
import { VosError } from '../../util/errors.js';

/** Throws a `local` error unless the folder of `relPath` is reached through real folders and lies in `root`. */
export function assertInsideRoot(root: string, relPath: string): void {
  assertNoLinkOnTheWay(root, relPath);
  const folder = path.dirname(path.join(root, ...relPath.split('/')));
  let real: string;
  try {
    real = fs.realpathSync(folder);
  } catch (e) {
    // A folder that is not there holds nothing: whatever would be written there fails on its own.
    if (['ENOENT', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '')) return;
    throw e;
  }
  const realRoot = fs.realpathSync(root);
  if (real !== realRoot && !real.startsWith(realRoot + path.sep)) {
    throw new VosError(
      'local',
      `${relPath}: not written, because its folder leads to ${real}, outside the pair`,
    );
  }
}

/** The checks of one download to `relPath` below `root`. */
export class DownloadConfinement {
  private opened: { dev: number; ino: number } | undefined;

  constructor(
    private readonly root: string,
    private readonly relPath: string,
  ) {}

  /** For fetchToTemp: the folder before the temp file is touched; once open, the folder and the file's identity. */
  readonly guard: TempGuard = (temp, fd) => {
    assertInsideRoot(this.root, this.relPath);
    if (fd === undefined) return;
    const st = fs.fstatSync(fd);
    if (!isSameFileAt(temp, st))
      throw new VosError(
        'local',
        `${this.relPath}: not written, because ${temp} was replaced while it was opened`,
      );
    this.opened = { dev: st.dev, ino: st.ino };
  };

  /** Right before the rename: the folder still inside the pair, and `temp` still the file that was written. */
  beforeRename(temp: string): void {
    assertInsideRoot(this.root, this.relPath);
    if (this.opened && !isSameFileAt(temp, this.opened))
      throw new VosError(
        'local',
        `${this.relPath}: not written, because ${temp} is no longer the downloaded file`,
      );
  }

  /** Removes the temp file, only if its name still leads to the file that was written (never a stranger's). */
  discard(temp: string): void {
    if (this.opened && isSameFileAt(temp, this.opened)) fs.rmSync(temp, { force: true });
  }
}
