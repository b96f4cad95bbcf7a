/**
 * The files of a kopano-backup user directory, read by the safe-tree rules of the file sources
 * (../file-tree): a folder directory or file that is a symbolic link out of the user directory
 * (to another user's backup, to /etc) is not followed, a directory reached twice (a loop in the
 * legacy nested layout, a second link) is not read twice, a FIFO, socket or device is never opened,
 * and each file is read only if it is still the regular file judged (O_NOFOLLOW, same inode).
 * A refused folder entry is a folder with `error` (listed as not migrated, with the reason);
 * a refused file is a KopanoReadError naming it. Layout: see backup-reader.ts.
 */
import { lstatSync, readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { openListedFile, readListedFile } from '../file-tree/listed-file.js';
import { confinedFile, judgeEntry, type ListedFile } from '../file-tree/tree-walk.js';
import { BdbHashFile } from './bdb-hash.js';
import { PropList } from './mapi-props.js';
import { decodeStored, field } from './pickle.js';
import { coerceError } from '../../src/util/errors.js';

export const PR_CONTAINER_CLASS = 0x3613001f;

export interface BackupFolder {
  /** The folder's SOURCEKEY (hex, as the directory is named). */
  sourcekey: string;
  dir: string;
  /** The folder's directory relative to the user's backup directory (for error messages). */
  relDir: string;
  /** Path segments from the store root, e.g. ['Inbox', 'Invoices 2020/2021']. */
  path: string[];
  containerClass?: string;
  props: PropList;
  deleted: boolean;
  /** Why the folder itself cannot be read (damaged `path`, `folder` or `index` file; a link out, loop, FIFO or device where a folder or its files should be): it is not migrated. */
  error?: string;
}

/** An item or folder file that cannot be read; names the file and the item. */
export class KopanoReadError extends Error {
  override readonly name = 'KopanoReadError';
}

/** Splits a kopano-backup `path` ("Inbox/Invoices 2020\/2021") into names. */
export function splitFolderPath(path: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    if (c === '\\' && i + 1 < path.length) cur += path[++i];
    else if (c === '/') { out.push(cur); cur = ''; } else cur += c;
  }
  out.push(cur);
  return out.filter((s) => s !== '');
}

export class BackupTree {
  /** The user directory's real path: nothing outside it is read. */
  private readonly realRoot: string;
  /** Where the folder directories are (`folders`, or where a link inside the user directory leads). */
  private readonly foldersDir: string;

  constructor(readonly dir: string) {
    this.realRoot = realpathSync(dir);
    const v = lstatSync(join(dir, 'folders'), { throwIfNoEntry: false }) ? judgeEntry(join(dir, 'folders'), 'folders', this.realRoot, 'folders') : undefined;
    if (v?.type !== 'dir') {
      const why = !v ? 'no folders/' : v.type === 'file' ? 'folders: a file, not a directory' : v.reason;
      throw new KopanoReadError(`${dir}: not a kopano-backup user directory (${why})`);
    }
    this.foldersDir = v.path;
  }

  /** The regular file at `path` (below the user directory) as judged now; undefined when absent; a KopanoReadError when refused. */
  file(path: string, label: string): ListedFile | undefined {
    try {
      return confinedFile(path, this.realRoot, label);
    } catch (err) {
      throw new KopanoReadError(coerceError(err).message);
    }
  }

  /** The hash database `name` of a folder; undefined when absent; a KopanoReadError / BdbError when refused or unreadable. */
  db(folder: BackupFolder, name: 'items' | 'index'): BdbHashFile | undefined {
    return this.openDb(join(folder.dir, name), `${folder.relDir}/${name}`);
  }

  private openDb(path: string, label: string): BdbHashFile | undefined {
    const f = this.file(path, label);
    if (!f) return undefined;
    let fd: number;
    try {
      fd = openListedFile(f);
    } catch (err) {
      throw new KopanoReadError(`${label}: ${coerceError(err).message}`);
    }
    return BdbHashFile.open(f.path, fd);
  }

  /**
   * Every folder directory below `folders/` (and the legacy `<SK>/folders/` below them), deleted
   * ones marked (`deleted`), refused entries as folders with `error`, unsorted. Every
   * directory is known by device + inode: one reached a second time (a loop, a second link) is
   * refused, not read twice; real directories are read before linked ones, so a folder keeps its
   * real SOURCEKEY.
   */
  folders(): BackupFolder[] {
    /** `parent`: the folder path a refused entry is listed under (its parent folder's, for the nested layout). */
    interface Dir { kind: 'folders' | 'folder'; name: string; relDir: string; path: string; st: Stats; deleted: boolean; parent: string[] }
    const out: BackupFolder[] = [];
    const seen = new Map<string, string>();
    const real: Dir[] = [{ kind: 'folders', name: 'folders', relDir: 'folders', path: this.foldersDir, st: statSync(this.foldersDir), deleted: false, parent: [] }];
    const linked: Dir[] = [];
    const refuse = (d: Omit<Dir, 'kind' | 'st'>, error: string) => {
      // keyed by where it is (unique; two refused entries may share a name in different directories)
      out.push({ sourcekey: d.relDir, dir: d.path, relDir: d.relDir, path: [...d.parent, d.name], props: new PropList([]), deleted: d.deleted, error });
    };
    /** Queues the directory `path` (judged as the walk judges entries), or lists it as refused. */
    const queue = (kind: Dir['kind'], d: Omit<Dir, 'kind' | 'st'>) => {
      const v = judgeEntry(d.path, d.name, this.realRoot, d.relDir);
      if (v.type === 'dir') (v.link ? linked : real).push({ ...d, kind, path: v.path, st: v.st });
      else refuse(d, v.type === 'refused' ? v.reason : `${d.relDir}: a file where kopano-backup writes a directory: not read`);
    };
    for (let d = real.shift() ?? linked.shift(); d; d = real.shift() ?? linked.shift()) {
      const key = `${d.st.dev}:${d.st.ino}`;
      const first = seen.get(key);
      if (first !== undefined) {
        refuse(d, `${d.relDir}: the same directory as ${first} (a directory loop, or a second link or bind mount to it): not read twice`);
        continue;
      }
      seen.set(key, d.relDir);
      if (d.kind === 'folders') {
        for (const name of readdirSync(d.path).sort()) queue('folder', { name, relDir: `${d.relDir}/${name}`, path: join(d.path, name), deleted: d.deleted, parent: d.parent });
        continue;
      }
      const folder = this.readFolder(d.name, d.path, d.relDir, d.deleted);
      out.push(folder);
      const subs = join(d.path, 'folders');
      if (lstatSync(subs, { throwIfNoEntry: false })) queue('folders', { name: `${d.name}/folders`, relDir: `${d.relDir}/folders`, path: subs, deleted: folder.deleted, parent: folder.path });
    }
    return out;
  }

  /** One folder directory: its path, properties, deletion mark; the first problem as `error` (its files are judged, never followed out of the user directory). */
  private readFolder(name: string, dir: string, relDir: string, parentDeleted: boolean): BackupFolder {
    let error: string | undefined;
    const fileOf = (file: string): ListedFile | undefined => {
      try {
        return this.file(join(dir, file), `${relDir}/${file}`);
      } catch (err) {
        error ??= coerceError(err).message;
        return undefined;
      }
    };
    const pathFile = fileOf('path');
    let path = [name];
    if (pathFile) {
      try {
        path = splitFolderPath(readListedFile(pathFile).toString('utf8').trim());
      } catch (err) {
        error ??= coerceError(err).message;
      }
    } else {
      error ??= `${relDir}: folder without a path file`;
    }
    let props = new PropList([]);
    const folderFile = fileOf('folder');
    if (folderFile) {
      try {
        props = PropList.fromDict(decodeStored(readListedFile(folderFile), `${relDir}/folder`), `${relDir}/folder`);
      } catch (err) {
        error ??= coerceError(err).message;
      }
    }
    fileOf('items'); // a refused items file makes the folder unreadable now, not item by item later
    let deleted = parentDeleted;
    try {
      deleted ||= this.folderDeleted(join(dir, 'index'), `${relDir}/index`);
    } catch (err) {
      const m = coerceError(err).message;
      error ??= m.startsWith(`${relDir}/index`) ? m : `${relDir}/index: ${m}`;
    }
    return { sourcekey: name, dir, relDir, path, containerClass: props.string(PR_CONTAINER_CLASS), props, deleted, error };
  }

  private folderDeleted(indexPath: string, label: string): boolean {
    const db = this.openDb(indexPath, label);
    if (!db) return false;
    try {
      const marker = db.get('folder');
      if (!marker) return false;
      return field(decodeStored(marker, `${label}[folder]`), 'backup_deleted') !== undefined;
    } finally {
      db.close();
    }
  }
}
