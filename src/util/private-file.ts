/**
 * Files that hold logins, folder names or server texts (reports, --out files, LDIF, routing maps,
 * the audit mirror, lock records, the state database) are created private: mode 0600 unless the
 * caller says otherwise, whatever the umask (the mode is passed to open(2) and set again with
 * fchmod(2), which the umask does not touch).
 *
 * Whole files are written through a temporary file created exclusively beside the destination
 * (O_CREAT|O_EXCL|O_NOFOLLOW, a random name: a file or symlink planted there beforehand makes the
 * open fail instead of being followed), written, fsync'ed and renamed over the destination.
 * rename(2) replaces a symlink at the destination itself and never writes through it, and readers
 * see the old file or the new one, never a part.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

export const PRIVATE_MODE = 0o600;

const EXCLUSIVE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

export interface PrivateFileOptions {
  /** Default 0600. */
  mode?: number;
}

/** `.<name>.<random>.tmp` in the destination's directory (same filesystem, so rename is atomic). */
function tempName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(8).toString('hex')}.tmp`);
}

/** The directory entry of a rename is made durable too; a filesystem that cannot fsync a directory is left alone. */
function syncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    fsyncSync(fd);
  } catch {
    // best effort
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Writes `data` to `file` atomically, created with `mode` (0600) through an exclusive temporary file. */
export async function writePrivateFile(file: string, data: string | Uint8Array, opts: PrivateFileOptions = {}): Promise<void> {
  const mode = opts.mode ?? PRIVATE_MODE;
  const tmp = tempName(file);
  const fh = await open(tmp, EXCLUSIVE, mode);
  try {
    try {
      await fh.chmod(mode);
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  syncDirSync(path.dirname(file));
}

/** The synchronous form of `writePrivateFile`. */
export function writePrivateFileSync(file: string, data: string | Uint8Array, opts: PrivateFileOptions = {}): void {
  const mode = opts.mode ?? PRIVATE_MODE;
  const tmp = tempName(file);
  const fd = openSync(tmp, EXCLUSIVE, mode);
  try {
    try {
      fchmodSync(fd, mode);
      const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  syncDirSync(path.dirname(file));
}

/**
 * Creates an empty `file` with `mode` (0600) when nothing is there; true when it was created.
 * An existing file is left as it is (never opened, so no lock of this process on it is disturbed);
 * a symlink there is not followed (EEXIST: left as it is too).
 */
export function createPrivateFileSync(file: string, opts: PrivateFileOptions = {}): boolean {
  const mode = opts.mode ?? PRIVATE_MODE;
  let fd: number;
  try {
    fd = openSync(file, EXCLUSIVE, mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    fchmodSync(fd, mode);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Appends `data` to `file`, creating it with `mode` (0600) when absent; an existing file keeps its
 * mode. A symlink at `file` is never followed (a planted link would have the lines appended to
 * whatever it points at): an error naming the file.
 */
export async function appendPrivateFile(file: string, data: string, opts: PrivateFileOptions = {}): Promise<void> {
  const mode = opts.mode ?? PRIVATE_MODE;
  let fh;
  try {
    fh = await open(file, EXCLUSIVE | constants.O_APPEND, mode);
    await fh.chmod(mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    try {
      fh = await open(file, constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW);
    } catch (again) {
      if ((again as NodeJS.ErrnoException).code !== 'ELOOP') throw again;
      throw new Error(`${file} is a symbolic link: not appended through it (it could point anywhere). `
        + 'Replace it with a regular file, or point the setting at the real file', { cause: again });
    }
  }
  try {
    await fh.appendFile(data, 'utf8');
  } finally {
    await fh.close();
  }
}
