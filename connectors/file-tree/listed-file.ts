/**
 * Reading a file exactly as it was listed (tree-walk.ts): between the listing and the read, an
 * entry can be replaced by a symbolic link (to another user's file), a FIFO or another file.
 * So: lstat must still say "regular file", the open does not follow a link (O_NOFOLLOW) and does
 * not wait for a FIFO writer (O_NONBLOCK), and fstat of what was opened must be the device + inode
 * that was listed. Anything else is refused with the reason; nothing is read from it.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync } from 'node:fs';
import { describeSpecial, fsReason, type ListedFile } from './tree-walk.js';

const FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** The whole file; throws an Error naming the file and the reason when it is not the file listed. */
export function readListedFile(file: ListedFile): Buffer {
  const fd = openListedFile(file);
  try {
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * An open file descriptor (read-only) of exactly the file listed, for readers that read parts of
 * it (a database file); the caller closes it. Throws an Error naming the file and the reason.
 */
export function openListedFile(file: ListedFile): number {
  const again = 'it is read again on the next run';
  const st = lstatSync(file.path, { throwIfNoEntry: false });
  if (!st) throw new Error(`${file.path}: removed since it was listed; ${again} if it comes back`);
  if (!st.isFile()) throw new Error(`${file.path}: now ${describeSpecial(st)} (a regular file when it was listed): not read`);
  let fd: number;
  try {
    fd = openSync(file.path, FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new Error(`${file.path}: replaced by a symbolic link since it was listed: not followed, not read`);
    throw new Error(`${file.path}: cannot be opened: ${fsReason(err)}`);
  }
  try {
    const opened = fstatSync(fd);
    if (!opened.isFile()) throw new Error(`${file.path}: opened ${describeSpecial(opened)}, not the regular file listed: not read`);
    if (opened.dev !== file.dev || opened.ino !== file.ino) {
      throw new Error(`${file.path}: replaced by another file since it was listed (device/inode ${opened.dev}/${opened.ino}, listed ${file.dev}/${file.ino}): not read; ${again}`);
    }
    return fd;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}
