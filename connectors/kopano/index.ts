/**
 * Source `kopano-backup`: a directory of `kopano-backup` user directories (`<path>/<login>/`),
 * read natively (Berkeley DB hash + pickle readers, no Python, no Kopano server).
 *
 * - Containers: the backup's folders that are not deleted and whose container class is mail,
 *   calendar, contacts or tasks; other folder types (sticky notes, journal…) and unreadable
 *   folders are listed with `skip` and the reason (the plan reports them as not migrated), and
 *   by `skippedContainers()`. Container id = the folder's SOURCEKEY.
 * - Epoch = the folder's SOURCEKEY: it is the server's identity for the folder and stays the
 *   same across incremental backups of the same store, so item ids stay meaningful. (A folder
 *   restored into another store gets a new SOURCEKEY and therefore counts as new.)
 * - Item id = the item's SOURCEKEY (hex). Items marked deleted in `index` are not listed.
 * - Order: by the index's `backup_updated` time, then SOURCEKEY, so items added by a later
 *   incremental backup come after the cursor of an earlier pass.
 * - A mail's INTERNALDATE: delivery time, submit time, the Date / topmost Received of its transport
 *   headers, creation or modification time, else when the backup wrote its `items` file; never the
 *   time of the copy (mappings/mapi/internal-date.ts).
 * - Unreadable or unconvertible items → per-item errors naming the file, folder and item.
 * - The user's directory is `<path>/<login>` with the login taken literally, never a symbolic link
 *   (../file-tree/login-path.ts); inside it the reader follows the safe-tree rules (backup-reader.ts):
 *   a folder directory or file linked out of it, a loop, a FIFO or device is a folder listed as
 *   not migrated with the reason.
 */
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { AccessCheck, Account, Container, SourceConnector, SourceMailbox, SpecialUse } from '../../src/model/types.js';
import { coerceError, FatalError } from '../../src/util/errors.js';
import { mailboxRoot } from '../file-tree/login-path.js';
import { type BackupFolder, type IndexEntry, KopanoUserBackup } from './backup-reader.js';
import { FileMailbox, type FileContainer, type FileItemRef } from './file-mailbox.js';
import { mailFlags } from '../../mappings/mapi/mail-flags.js';
import { type ConvertedItem, convertItem, kindOfContainerClass } from './item-content.js';
import { toMailMessage } from '../../mappings/mapi/to-mail.js';

/** Store properties naming special folders by entry id. */
const SPECIAL_BY_STORE_PROP: [number, SpecialUse][] = [
  [0x35e40102, '\\Sent'], // PR_IPM_SENTMAIL_ENTRYID
  [0x35e30102, '\\Trash'], // PR_IPM_WASTEBASKET_ENTRYID
];
const PR_ENTRYID = 0x0fff0102;

function fileToken(...files: string[]): string {
  return files.map((f) => {
    try {
      const st = lstatSync(f); // the entry itself: a link is never followed
      return `${st.size}:${st.mtimeMs}`;
    } catch {
      return '-'; // absent, or a refused folder entry that is not a directory
    }
  }).join('|');
}

export class KopanoBackupMailbox extends FileMailbox {
  private readonly skipped: { path: string; reason: string }[] = [];
  private containerList: { c: FileContainer; folder: BackupFolder }[] | undefined;

  constructor(readonly backup: KopanoUserBackup, private readonly log: Logger) {
    super();
  }

  async verify(): Promise<AccessCheck> {
    try {
      const n = this.fileContainers().length;
      return { ok: true, checks: [{ name: 'read backup folders', ok: true, detail: `${n} folders in ${this.backup.dir}` }] };
    } catch (err) {
      return { ok: false, checks: [{ name: 'read backup folders', ok: false, detail: coerceError(err).message }] };
    }
  }

  /** Folders not migrated, with the reason (also logged once). */
  skippedContainers(): { path: string; reason: string }[] {
    this.fileContainers();
    return [...this.skipped];
  }

  /** `kopanoAliases` of the user when the backup's user properties carry them (for the directory's alias mapping). */
  aliases(): string[] {
    return this.backup.aliases();
  }

  private list(): { c: FileContainer; folder: BackupFolder }[] {
    if (!this.containerList) {
      const store = this.backup.storeProps();
      const out: { c: FileContainer; folder: BackupFolder }[] = [];
      for (const f of this.backup.folders()) {
        if (f.deleted) continue;
        const kind = kindOfContainerClass(f.containerClass);
        const path = f.path.join('/');
        const token = fileToken(join(f.dir, 'items'), join(f.dir, 'index'));
        if (!kind || f.error) {
          const reason = f.error ? `unreadable folder: ${f.error}` : `folder type ${f.containerClass ?? '(none)'} is not migrated (${this.countOf(f)} items)`;
          this.skipped.push({ path, reason });
          this.log.warn({ folder: path, containerClass: f.containerClass }, 'kopano-backup: folder skipped: %s', reason);
          // Listed with `skip`, so the plan and the report show it as not migrated.
          out.push({ c: { id: f.sourcekey, path: f.path, delimiter: '/', kind: kind ?? 'mail', skip: reason, epoch: f.sourcekey, token }, folder: f });
          continue;
        }
        const entryId = f.props.binary(PR_ENTRYID);
        const specialUse = entryId && store
          ? SPECIAL_BY_STORE_PROP.find(([tag]) => store.binary(tag)?.equals(entryId))?.[1]
          : undefined;
        out.push({
          c: {
            id: f.sourcekey, path: f.path, delimiter: '/', kind, specialUse,
            epoch: f.sourcekey, token,
          },
          folder: f,
        });
      }
      this.containerList = out;
    }
    return this.containerList;
  }

  private countOf(folder: BackupFolder): number | string {
    try {
      return this.backup.itemIds(folder).length;
    } catch {
      return 'unknown number of';
    }
  }

  fileContainers(): FileContainer[] {
    return this.list().map((x) => x.c);
  }

  private folderOf(c: Container): BackupFolder {
    const hit = this.list().find((x) => x.c.id === c.id);
    if (!hit) throw new FatalError(`kopano-backup: folder ${c.path.join('/')} is no longer in ${this.backup.dir}`, 'CONTAINER_GONE');
    return hit.folder;
  }

  private readonly indexes = new Map<string, Map<string, IndexEntry>>();

  /** A damaged index or items file: logged; the items it hides fail one by one when read. */
  private damaged(folder: BackupFolder, reason: string): void {
    this.log.warn({ folder: folder.path.join('/'), reason }, 'kopano-backup: damaged backup file, reading what is left');
  }

  /** The folder's index, decoded once per mailbox session. */
  private index(folder: BackupFolder): Map<string, IndexEntry> {
    let index = this.indexes.get(folder.sourcekey);
    if (!index) {
      index = this.backup.index(folder, (reason) => this.damaged(folder, reason));
      this.indexes.set(folder.sourcekey, index);
    }
    return index;
  }

  listItems(c: Container): FileItemRef[] {
    const folder = this.folderOf(c);
    const index = this.index(folder);
    return this.backup.itemIds(folder, index, (reason) => this.damaged(folder, reason)).map((id) => ({ id, orderKey: index.get(id)?.backupUpdated?.naiveIso() ?? '' }));
  }

  protected override subjectOf(c: Container, id: string): string | undefined {
    return this.index(this.folderOf(c)).get(id)?.subject;
  }

  /**
   * Estimate: the decompressed size of the stored items (MAPI properties and attachment bytes),
   * close to the MIME size without building it; exact sizes come with each listed page.
   */
  protected override async totalBytes(c: Container, ids: string[]): Promise<number> {
    return this.backup.storedSize(this.folderOf(c), ids);
  }

  /** Flags straight from the MAPI properties (no MIME build); groupware items have none. */
  protected override async flagsOf(c: Container, ids: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (c.kind !== 'mail') return new Map(ids.map((id) => [id, []]));
    const folder = this.folderOf(c);
    const index = this.index(folder);
    for (const r of this.backup.readItems(folder, ids)) out.set(r.id, r.item ? mailFlags(toMailMessage(r.item, { read: index.get(r.id)?.read })) : []);
    return out;
  }

  async *convert(c: Container, ids: string[]): AsyncIterable<{ id: string; result: ConvertedItem | Error }> {
    const folder = this.folderOf(c);
    const index = this.index(folder);
    const storedAt = this.backup.storedAt(folder);
    for (const r of this.backup.readItems(folder, ids)) {
      if (r.error || !r.item) {
        yield { id: r.id, result: new Error(`${r.error?.message ?? `${folder.relDir}/items[${r.id}]: unreadable`} (folder ${folder.path.join('/')})`, { cause: r.error }) };
        continue;
      }
      try {
        yield { id: r.id, result: await convertItem(r.item, c.kind, { read: index.get(r.id)?.read, storedAt }) };
      } catch (err) {
        yield { id: r.id, result: new Error(`${folder.relDir}/items[${r.id}] (folder ${folder.path.join('/')}): ${coerceError(err).message}`) };
      }
    }
  }
}

export class KopanoBackupSource implements SourceConnector {
  readonly name = 'kopano-backup';

  constructor(private readonly root: string, private readonly log: Logger) {}

  async openMailbox(account: Account): Promise<SourceMailbox> {
    const dir = mailboxRoot(this.root, '{login}', account.login, 'kopano-backup');
    return new KopanoBackupMailbox(new KopanoUserBackup(dir), this.log.child({ side: 'source', mailbox: account.login }));
  }

  async close(): Promise<void> {}
}
