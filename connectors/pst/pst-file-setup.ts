/**
 * What happens before a PSTFile reads anything: the file opened as a descriptor (a regular file,
 * no symbolic link followed) and the library's reads routed through the page cache and the fast
 * readers.
 */
import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import type { PSTFile } from 'pst-extractor';
import { describeSpecial } from '../file-tree/tree-walk.js';
import { messageOf } from './extractor-output.js';
import { readNameToIdMap } from './name-map.js';
import { installNdb } from './ndb-install.js';
import { addPageCache } from './page-cache.js';
import { PstFileError, type PstFormat } from './pst-header.js';
import { loadFolder, loadStore } from './pst-objects.js';
import { NID_ROOT_FOLDER } from './pst-store.js';

/** `file` opened for reading without following a symbolic link (O_NOFOLLOW) or waiting on a FIFO; it must be a regular file. */
export function openRegularFile(file: string): number {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw new PstFileError(file, 'a symbolic link: not followed, not read');
    throw new PstFileError(file, `cannot read: ${messageOf(err)}`, undefined, { cause: err });
  }
  const st = fstatSync(fd);
  if (!st.isFile()) {
    closeSync(fd);
    throw new PstFileError(file, `${describeSpecial(st)}, not a regular file: not read`);
  }
  return fd;
}

/**
 * Set-up of a PSTFile before its first index read: the page cache, the fast node and table
 * readers (ndb.ts, ltp.ts) under its own look-ups, and the named-property map, the message store
 * and the root folder read with them (pst-objects.ts).
 */
export function fastReads(pst: PSTFile, format: PstFormat): void {
  addPageCache(pst);
  if (!installNdb(pst, format)) return;
  const own = pst as unknown as { processNameToIDMap(): void; getMessageStore(): unknown; getRootFolder(): unknown };
  own.processNameToIDMap = () => readNameToIdMap(pst);
  own.getMessageStore = () => loadStore(pst);
  own.getRootFolder = () => loadFolder(pst, NID_ROOT_FOLDER);
}
