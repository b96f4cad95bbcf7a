/**
 * Reads a small file a config names (a secret, a CA certificate) only when it is what it should
 * be: a regular file of bounded size. `/dev/zero` would be read until memory runs out, a FIFO or
 * `/dev/stdin` would block the process forever, a directory gives EISDIR only after opening.
 */
import { readFileSync, statSync } from 'node:fs';

export class NotRegularFileError extends Error {}

/** The file's bytes; throws NotRegularFileError naming the file when it is not a regular file or larger than `maxBytes`. */
export function readRegularFile(file: string, maxBytes: number): Buffer {
  const st = statSync(file);
  if (!st.isFile()) {
    const kind = st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO (named pipe)' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : st.isSocket() ? 'a socket' : 'not a regular file';
    throw new NotRegularFileError(`${file} is ${kind}, not a regular file; not read`);
  }
  if (st.size > maxBytes) throw new NotRegularFileError(`${file} is ${st.size} bytes, more than the ${maxBytes} such a file can be; not read`);
  return readFileSync(file);
}
