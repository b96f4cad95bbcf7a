/**
 * Reader for a `kopano-backup` brick-level backup of one user (`<backup>/<user>/`):
 *
 *   user, store, timestamp      pickles of the user's and store's properties, the backup time
 *   folders/<SK>/path           UTF-8 folder path, "/" between levels, "\/" inside a name
 *   folders/<SK>/folder         pickle {proptag: value} of the folder
 *   folders/<SK>/items          BDB hash: SOURCEKEY hex → zlib(pickle {props, recipients, attachments})
 *   folders/<SK>/index          BDB hash: SOURCEKEY hex → pickle {subject, last_modified, read, …};
 *                               {backup_deleted: t} marks a deleted item, key "folder" a deleted folder
 *   folders/<SK>/folders/<SK>/  the legacy nested layout of 2016–2017 backups (same files)
 *
 * Format as written by kopano-core ECtools/backup/kopano_backup/__init__.py and
 * swig/python/kopano/kopano/item.py (Item._dump). Deleted items stay in `items` (kopano-backup
 * keeps them for restores with --deletes) and are skipped here, as are deleted folders and
 * everything below them.
 *
 * Every file and folder directory is reached through backup-tree.ts (the safe-tree rules of the
 * file sources: no link out of the user directory, no loop, no FIFO or device opened).
 */
import { join } from 'node:path';
import { readListedFile } from '../file-tree/listed-file.js';
import type { BdbHashFile } from './bdb-hash.js';
import { type BackupFolder, BackupTree, KopanoReadError } from './backup-tree.js';
import { PropList } from './mapi-props.js';
import { inflateSync } from 'node:zlib';
import { PyDateTime, type PyValue, decodeStored, field, isZlib } from './pickle.js';
import { coerceError } from '../../src/util/errors.js';

export { type BackupFolder, KopanoReadError, splitFolderPath } from './backup-tree.js';
export const PR_DISPLAY_NAME = 0x3001001f;
/** PR_EMS_AB_PROXY_ADDRESSES: where Kopano publishes `kopanoAliases` ("smtp:alias@…"). */
export const PR_EMS_AB_PROXY_ADDRESSES = 0x800f101f;
export const PR_SMTP_ADDRESS = 0x39fe001f;

export interface IndexEntry {
  sourcekey: string;
  subject?: string;
  lastModified?: PyDateTime;
  /** When kopano-backup last wrote the item (naive local time of the backup host). */
  backupUpdated?: PyDateTime;
  read?: boolean;
  deleted: boolean;
}

export interface KopanoAttachment {
  props: PropList;
  data?: Buffer;
  /** Embedded message (attach method 5). */
  item?: KopanoItem;
}

export interface KopanoItem {
  sourcekey: string;
  props: PropList;
  recipients: PropList[];
  attachments: KopanoAttachment[];
}

const noDamage = (): void => undefined;

function decodeItem(sourcekey: string, v: PyValue, what: string): KopanoItem {
  if (!(v instanceof Map)) throw new KopanoReadError(`${what}: item is not a dict`);
  const props = PropList.fromList(field(v, 'props'), what);
  const recips = field(v, 'recipients') ?? [];
  const atts = field(v, 'attachments') ?? [];
  if (!Array.isArray(recips) || !Array.isArray(atts)) throw new KopanoReadError(`${what}: recipients/attachments are not lists`);
  const recipients = recips.map((r, i) => PropList.fromList(r, `${what} recipient ${i}`));
  const attachments = atts.map((a, i): KopanoAttachment => {
    const w = `${what} attachment ${i}`;
    if (!Array.isArray(a) || a.length < 1) throw new KopanoReadError(`${w}: not a (props, data) pair`);
    const ap = PropList.fromList(a[0], w);
    const data = a[1];
    if (Buffer.isBuffer(data)) return { props: ap, data };
    if (typeof data === 'string') return { props: ap, data: Buffer.from(data, 'latin1') };
    if (data instanceof Map) return { props: ap, item: decodeItem(`${sourcekey}/${i}`, data, w) };
    return { props: ap };
  });
  return { sourcekey, props, recipients, attachments };
}

export class KopanoUserBackup {
  private folderCache: BackupFolder[] | undefined;
  private readonly tree: BackupTree;

  constructor(readonly dir: string) {
    this.tree = new BackupTree(dir);
  }

  /** Reads a pickle file of the user directory (user, store, timestamp); undefined when absent. */
  private pickleFile(name: string): PyValue | undefined {
    const f = this.tree.file(join(this.dir, name), name);
    if (!f || f.size === 0) return undefined;
    try {
      return decodeStored(readListedFile(f), join(this.dir, name));
    } catch (err) {
      throw new KopanoReadError(coerceError(err).message);
    }
  }

  /** Every folder, flat and legacy-nested, deleted ones marked (`deleted`), refused entries as folders with `error`; sorted by path. */
  folders(): BackupFolder[] {
    if (!this.folderCache) {
      const out = this.tree.folders();
      out.sort((a, b) => a.path.join('\u0000').localeCompare(b.path.join('\u0000')));
      this.folderCache = out;
    }
    return this.folderCache;
  }

  userProps(): PropList | undefined {
    const v = this.pickleFile('user');
    return v === undefined ? undefined : PropList.fromDict(v, join(this.dir, 'user'));
  }

  storeProps(): PropList | undefined {
    const v = this.pickleFile('store');
    return v === undefined ? undefined : PropList.fromDict(v, join(this.dir, 'store'));
  }

  /** When the backup ran (naive local time of the backup host). */
  timestamp(): PyDateTime | undefined {
    const v = this.pickleFile('timestamp');
    return v instanceof PyDateTime ? v : undefined;
  }

  /**
   * The user's e-mail aliases (Kopano's `kopanoAliases`), from the proxy addresses in the user
   * properties when the backup has them: "smtp:" entries other than the primary address.
   */
  aliases(): string[] {
    const props = this.userProps();
    if (!props) return [];
    const primary = props.string(PR_SMTP_ADDRESS)?.toLowerCase();
    const proxies = props.get(PR_EMS_AB_PROXY_ADDRESSES);
    if (!Array.isArray(proxies)) return [];
    const out: string[] = [];
    for (const p of proxies) {
      if (typeof p !== 'string') continue;
      const m = /^smtp:(.+)$/i.exec(p);
      const addr = (m ? m[1]! : p.includes(':') ? '' : p).trim();
      if (addr && addr.toLowerCase() !== primary && !out.some((a) => a.toLowerCase() === addr.toLowerCase())) out.push(addr);
    }
    return out;
  }

  /**
   * The folder's index (deletion marks, subjects); the "folder" marker itself is left out. Damaged
   * parts (a broken bucket chain, an undecodable record) are reported to `onDamage` and skipped.
   */
  index(folder: BackupFolder, onDamage: (reason: string) => void = noDamage): Map<string, IndexEntry> {
    const out = new Map<string, IndexEntry>();
    const db = this.tree.db(folder, 'index');
    if (!db) return out;
    try {
      for (const { key: k, value } of db.readableEntries((e) => onDamage(e.message))) {
        const key = k.toString('utf8');
        if (key === 'folder') continue;
        let d: PyValue;
        try {
          d = decodeStored(value, `${folder.relDir}/index[${key}]`);
        } catch (err) {
          onDamage(coerceError(err).message);
          continue;
        }
        const subject = field(d, 'subject');
        const lm = field(d, 'last_modified');
        const read = field(d, 'read');
        const updated = field(d, 'backup_updated');
        out.set(key, {
          sourcekey: key,
          subject: typeof subject === 'string' ? subject : Buffer.isBuffer(subject) ? subject.toString('utf8') : undefined,
          lastModified: lm instanceof PyDateTime ? lm : undefined,
          backupUpdated: updated instanceof PyDateTime ? updated : undefined,
          read: typeof read === 'boolean' ? read : undefined,
          deleted: field(d, 'backup_deleted') !== undefined,
        });
      }
    } finally {
      db.close();
    }
    return out;
  }

  /**
   * SOURCEKEYs of the live items, sorted: those in `items` plus those the index lists as live
   * (an item whose `items` pages are lost is still listed, so reading it reports the damage),
   * minus those the index marks deleted.
   */
  itemIds(folder: BackupFolder, index = this.index(folder), onDamage: (reason: string) => void = noDamage): string[] {
    const ids = new Set<string>();
    for (const [sk, e] of index) if (!e.deleted) ids.add(sk);
    const db = this.tree.db(folder, 'items');
    if (db) {
      try {
        for (const { key } of db.readableEntries((e) => onDamage(e.message))) {
          const sk = key.toString('utf8');
          if (!index.get(sk)?.deleted) ids.add(sk);
        }
      } finally {
        db.close();
      }
    }
    return [...ids].sort();
  }

  /** When the backup last wrote the folder's `items` file (its mtime); undefined when it has none or it is refused. */
  storedAt(folder: BackupFolder): Date | undefined {
    try {
      return this.tree.file(join(folder.dir, 'items'), `${folder.relDir}/items`)?.mtime;
    } catch {
      return undefined; // a refused items file: the folder is not migrated (backup-tree.ts)
    }
  }

  /** Sum of the decompressed sizes of the given stored items (unreadable ones count 0). */
  storedSize(folder: BackupFolder, ids: string[]): number {
    const db = this.tree.db(folder, 'items');
    if (!db) return 0;
    let total = 0;
    try {
      for (const id of ids) {
        try {
          const v = db.get(id);
          if (v) total += isZlib(v) ? inflateSync(v).length : v.length;
        } catch {
          // counted as 0; reading the item reports the damage
        }
      }
    } finally {
      db.close();
    }
    return total;
  }

  /** Reads items one by one from one open `items` file; an unreadable item yields its error. */
  *readItems(folder: BackupFolder, ids: string[]): Generator<{ id: string; item?: KopanoItem; error?: Error }> {
    let db: BdbHashFile | undefined;
    try {
      db = this.tree.db(folder, 'items');
      if (!db) throw new KopanoReadError('no items file');
    } catch (err) {
      const m = coerceError(err).message;
      for (const id of ids) yield { id, error: new KopanoReadError(m.startsWith(`${folder.relDir}/items`) ? m : `${folder.relDir}/items: ${m}`) };
      return;
    }
    try {
      for (const id of ids) {
        const what = `${folder.relDir}/items[${id}]`;
        try {
          const value = db.get(id);
          if (!value) throw new KopanoReadError(`${what}: not in the backup`);
          yield { id, item: decodeItem(id, decodeStored(value, what), what) };
        } catch (err) {
          const e = coerceError(err);
          yield { id, error: e instanceof KopanoReadError ? e : new KopanoReadError(e.message.startsWith(folder.relDir) || e.message.includes(what) ? e.message : `${what}: ${e.message}`) };
        }
      }
    } finally {
      db.close();
    }
  }

  readItem(folder: BackupFolder, id: string): KopanoItem {
    for (const r of this.readItems(folder, [id])) {
      if (r.error) throw r.error;
      if (r.item) return r.item;
    }
    throw new KopanoReadError(`${folder.relDir}/items[${id}]: not in the backup`);
  }
}
