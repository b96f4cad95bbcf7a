/**
 * The SQLite state file on disk: created private (0600; SQLite gives the -wal and -shm files the
 * mode of the database file), and recognised as damaged before anything relies on it.
 *
 * SQLite notices a file that is not a database only at its first read, and a truncated copy often
 * only when a query reaches a missing page, in the middle of a run. So opening checks the header
 * (magic string, page size) and, when no -wal file is beside it (no run has it open, nothing is
 * being checkpointed), that the file is as long as the header says. SQLITE_NOTADB and
 * SQLITE_CORRUPT* from opening and migrating are reported the same way.
 *
 * The advice is what is true for this tool: the state file is the only record of what was copied,
 * and a run with a new, empty state copies every message again (the engine re-verifies against the
 * UMS only after a UIDVALIDITY change, not for a folder it has no record of), so the UMS would get
 * duplicates. Hence: restore a backup; starting over (moving the file away) is for when there is none.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { coerceError, FatalError } from '../util/errors.js';

export class StateFileError extends FatalError {
  constructor(readonly file: string, reason: string, options?: { cause?: unknown }) {
    super(
      `state file ${file} is not a SQLite database or is damaged (${reason}). `
      + 'Restore it from a backup (a copy made while no run was going on) and run again. '
      + `Without a backup, move ${file} away (keep it) to start over with a new state file: the next run then copies every message again, `
      + 'so the UMS mailboxes get duplicates (`ums-migrate reconcile` lists them as extra) unless they are emptied first.',
      'STATE_FILE_DAMAGED', options,
    );
  }
}

const MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const HEADER = 100;

/** Refuses a state path that exists and is not a regular file (a directory, a FIFO…), naming it and what state.path must be. */
export function checkStatePath(file: string): void {
  const st = statSync(file, { throwIfNoEntry: false });
  if (st === undefined || st.isFile()) return;
  const what = st.isDirectory() ? 'a directory' : 'not a regular file';
  throw new FatalError(`state file ${file} is ${what}: state.path names the SQLite file itself (e.g. ${join(file, 'state.sqlite')})`, 'CONFIG');
}

/** Throws StateFileError when the file exists and is visibly not an intact SQLite database. An empty file is a new database. */
export function checkStateFile(file: string): void {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (size === 0) return;
  const header = Buffer.alloc(HEADER);
  const fd = openSync(file, 'r');
  let got: number;
  try {
    got = readSync(fd, header, 0, HEADER, 0);
  } finally {
    closeSync(fd);
  }
  if (got < HEADER) throw new StateFileError(file, `SQLITE_NOTADB: ${size} bytes, shorter than a SQLite header`);
  if (!header.subarray(0, MAGIC.length).equals(MAGIC)) throw new StateFileError(file, 'SQLITE_NOTADB: no SQLite header');
  const raw = header.readUInt16BE(16);
  const pageSize = raw === 1 ? 65536 : raw;
  if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) throw new StateFileError(file, `SQLITE_CORRUPT: invalid page size ${raw} in the header`);
  const truncated = truncation(file, header, size, pageSize);
  if (truncated === undefined) return;
  // Another process may be checkpointing this file right now (its last close writes the -wal's
  // pages into it, page 1 first, then deletes the -wal): what looks truncated for a moment is
  // looked at again; a truncated file stays so.
  for (let waited = 0; waited < SETTLE_MS; waited += 50) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    const now = Buffer.alloc(HEADER);
    const fd = openSync(file, 'r');
    let again: number;
    try {
      readSync(fd, now, 0, HEADER, 0);
      again = fstatSync(fd).size;
    } finally {
      closeSync(fd);
    }
    if (truncation(file, now, again, pageSize) === undefined) return;
  }
  throw new StateFileError(file, truncated);
}

/** How long a file that looks truncated is watched before it is called so. */
const SETTLE_MS = 1000;

/** Why the file looks truncated (the header's page count against its size), or undefined; never while a -wal holds pages. */
function truncation(file: string, header: Buffer, size: number, pageSize: number): string | undefined {
  // The page count in the header is valid when the change counter matches "version-valid-for".
  const pages = header.readUInt32BE(28);
  const countValid = pages > 0 && header.readUInt32BE(24) === header.readUInt32BE(92);
  const wal = `${file}-wal`;
  if (existsSync(wal) && statSync(wal).size > 0) return undefined;
  if (size % pageSize !== 0 || (countValid && size < pages * pageSize)) {
    return `SQLITE_CORRUPT: truncated, ${size} bytes where the header says ${countValid ? pages * pageSize : `whole pages of ${pageSize}`}`;
  }
  return undefined;
}

/** The StateFileError for a SQLite error saying the file is not a database or is corrupt; undefined for any other error. */
export function damagedStateError(file: string, err: unknown): StateFileError | undefined {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string' || !/^SQLITE_(NOTADB|CORRUPT)/.test(code)) return undefined;
  return new StateFileError(file, `${code}: ${coerceError(err).message}`, { cause: err });
}
