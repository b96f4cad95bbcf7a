/**
 * PST source: Outlook PST/OST files on disk, one or more per mailbox (see mailbox-files.ts for
 * the file pattern and the epoch). Read-only; the files are never written.
 *
 * - container: one folder of one file, id "<file>:<folder node id>", path = the folder path
 *   below the IPM subtree (items in the subtree's root itself: a folder named after the store).
 *   Folders of several files with the same path go into the same UMS folder.
 * - label (what `plan` shows): the folder path inside the file ("Deleted Items/SubInbox"), with
 *   the file's name in front when the mailbox has several files ("archive.pst: Inbox").
 * - item id: the message's node id (NID), stable inside the file, so a re-run or resume never
 *   duplicates; cursor: the next position in the folder's entries (pst-reader.ts contentIds: the
 *   contents table's rows, then items only the node index lists, then the inventory check).
 * - Inventory (folder-inventory.ts): a contents-table row without an item id, and items a folder
 *   claims but neither its table nor the node index holds, are items with ids "row:N" and
 *   "inventory" that fail with the reason (status --problems, the report); items found only in
 *   the node index are copied with a warning saying so. Nothing is left out without a word.
 * - epoch: the file's identity (mailbox-files.ts); a PST does not change while it is migrated,
 *   so the change sequence is the epoch too and an unchanged file costs one hash per folder.
 * - Calendar, contact and task folders: with `groupware` on, containers of kind event/contact/task
 *   whose items are iCalendar / vCard bytes (pst-groupware.ts), same item ids; off (the default),
 *   listed with `skip` and how to turn it on. Other non-mail folders (notes, journal, search
 *   folders) are listed with `skip` and their reason (container-class.ts), empty ones too: the
 *   plan shows every folder the file holds. A folder that cannot be read is a container failing
 *   with the error.
 * - A file that cannot be opened (not a PST, truncated, corrupt index) becomes one container
 *   named after the file whose probe fails with the error naming the file and offset; the
 *   mailbox's other files go on. An unreadable item fails alone, naming file, folder and node.
 *
 * Memory: files are read with positioned reads, one message at a time; a listed page keeps its
 * (property-only) message objects until they are read, bodies and attachments are read then.
 */
import { basename, extname } from 'node:path';
import type { Logger } from 'pino';
import { buildMime } from '../../mappings/mapi/build-mime.js';
import { mapiInternalDate } from '../../mappings/mapi/internal-date.js';
import { mailFlags } from '../../mappings/mapi/mail-flags.js';
import { uidFromItemId } from '../../mappings/groupware/uid.js';
import type {
  AccessCheck, Account, ChangePage, Container, ContainerStats, FlagChanges, ItemContent, ItemKind, ItemMeta, SourceConnector, SourceMailbox,
} from '../../src/model/types.js';
import { FatalError, reasonOf } from '../../src/util/errors.js';
import { classifyFolder } from './container-class.js';
import { fileLabel, mailboxEntries, openMailboxFile } from './mailbox-files.js';
import { pstGroupwareContent } from './pst-groupware.js';
import { messageState, pstTimes, toMailMessage } from './pst-message.js';
import { offsetIn } from './extractor-output.js';
import type { ContentEntry } from './folder-inventory.js';
import { PstFileError, PstItemError, quietly, type PstMessageEntry, type PstReader } from './pst-reader.js';

export interface PstSourceOptions {
  directory: string;
  /** File pattern below `directory` with "{login}" (see mailbox-files.ts). */
  files: string;
  /** Code page of 8-bit strings in ANSI files that declare none. */
  codepage?: number;
  /** Also migrate calendar, contact and task folders (iCalendar / vCard items). */
  groupware?: boolean;
}

export class PstSource implements SourceConnector {
  readonly name = 'pst';

  constructor(private readonly opts: PstSourceOptions, private readonly log: Logger) {}

  async openMailbox(account: Account): Promise<SourceMailbox> {
    const mb = new PstMailbox(this.opts, account.login, this.log.child({ side: 'source' }));
    await mb.open();
    return mb;
  }

  async close(): Promise<void> {}
}

interface PstFile {
  path: string;
  label: string;
  reader?: PstReader;
  epoch: string;
  /** The file's modification time: an item's date of last resort (mappings/mapi/internal-date.ts). */
  mtime?: Date;
  /** Why the file (or its folder tree) cannot be read. */
  error?: Error;
}

interface FolderRef { file: PstFile; nodeId: number; path: string[]; error?: Error }

/** The id of the container standing for a file that cannot be read. */
const BROKEN = 'unreadable';

class PstMailbox implements SourceMailbox {
  private files: PstFile[] = [];
  private readonly folders = new Map<string, FolderRef>();
  /** Messages of the last listed page per container, until read (saves loading them twice). */
  private readonly listed = new Map<string, Map<string, PstMessageEntry>>();

  constructor(private readonly opts: PstSourceOptions, private readonly login: string, private readonly log: Logger) {}

  async open(): Promise<void> {
    const { listed, refused } = mailboxEntries(this.opts.directory, this.opts.files, this.login);
    if (listed.length === 0 && refused.length === 0) {
      throw new FatalError(`no PST file for ${this.login}: nothing matches ${this.opts.files.split('{login}').join(this.login)} in ${this.opts.directory}`, 'PST_NO_FILE');
    }
    for (const file of listed) {
      const f: PstFile = { path: file.path, label: fileLabel(this.opts.directory, file.path), epoch: '', mtime: file.mtime };
      try {
        // exactly the file listed (a link or another file swapped in since is refused, never read)
        ({ reader: f.reader, epoch: f.epoch } = await openMailboxFile(file, { codepage: this.opts.codepage }));
      } catch (err) {
        f.error = err instanceof PstFileError ? err : new PstFileError(file.path, `cannot read: ${reasonOf(err)}`, undefined, { cause: err });
        this.log.error({ file: f.label, err: f.error.message }, 'PST file cannot be read');
      }
      this.files.push(f);
    }
    // a FIFO, device or link out of the directory matched by the pattern: a container failing with why (never opened)
    for (const r of refused) {
      const f: PstFile = { path: r.path, label: fileLabel(this.opts.directory, r.path), epoch: '', error: new FatalError(r.reason, 'PST_REFUSED') };
      this.log.error({ file: f.label, err: r.reason }, 'PST file refused');
      this.files.push(f);
    }
  }

  async verify(): Promise<AccessCheck> {
    const checks: AccessCheck['checks'] = this.files.map((f) => (f.reader
      ? { name: `open ${f.label}`, ok: true, detail: `${f.reader.format} PST, code page ${f.reader.codepage}` }
      : { name: `open ${f.label}`, ok: false, detail: f.error?.message }));
    try {
      const list = await this.containers();
      const broken = this.files.filter((f) => f.error);
      checks.push({ name: 'list folders', ok: broken.length === 0, detail: broken.length ? broken.map((f) => f.error!.message).join('; ') : `${list.length} folders` });
    } catch (err) {
      checks.push({ name: 'list folders', ok: false, detail: reasonOf(err) });
    }
    return { ok: checks.every((c) => c.ok), checks };
  }

  async containers(): Promise<Container[]> {
    const out: Container[] = [];
    this.folders.clear();
    for (const f of this.files) {
      if (f.reader && !f.error) {
        try {
          out.push(...(await this.fileContainers(f, f.reader)));
          continue;
        } catch (err) {
          f.error = err instanceof Error ? err : new Error(String(err));
          this.log.error({ file: f.label, err: f.error.message }, 'PST folder tree cannot be read');
        }
      }
      // stands for the file in the report; its probe fails with the file's error
      const id = `${f.label}:${BROKEN}`;
      this.folders.set(id, { file: f, nodeId: 0, path: [f.label] });
      out.push({ id, path: [f.label], label: f.label, delimiter: '/', kind: 'mail' });
    }
    return out;
  }

  /** How the plan names a folder: its path in the file, after the file's name when the mailbox has several. */
  private label(f: PstFile, path: string[]): string {
    const inFile = path.join('/');
    return this.files.length > 1 ? `${f.label}: ${inFile}` : inFile;
  }

  private async fileContainers(f: PstFile, reader: PstReader): Promise<Container[]> {
    const out: Container[] = [];
    const special = reader.specialFolders();
    // a folder that cannot be read: a container failing with the error (its probe throws it)
    const onError = (err: PstFileError, at: { path: string[]; nodeId: number }): void => {
      const id = `${f.label}:${at.nodeId}`;
      this.log.error({ file: f.label, folder: at.path.join('/'), err: err.message }, 'PST folder cannot be read');
      this.folders.set(id, { file: f, nodeId: at.nodeId, path: at.path, error: err });
      out.push({ id, path: at.path, label: this.label(f, at.path), delimiter: '/', kind: 'mail' });
    };
    for await (const entry of reader.folders({ onError })) {
      const isRoot = entry.path.length === 0;
      if (isRoot && entry.count === 0) continue; // the top of the tree, not a folder anyone sees
      const path = isRoot ? [reader.storeName || basename(f.path, extname(f.path))] : entry.path;
      const verdict = entry.isSearchFolder
        ? { kind: 'mail' as const, migrate: false, reason: 'search folder: its items live in other folders' }
        : classifyFolder(entry.containerClass, { groupware: this.opts.groupware });
      const id = `${f.label}:${entry.nodeId}`;
      if (entry.onlyInIndex) this.log.warn({ file: f.label, folder: path.join('/') }, 'PST folder missing from its parent\'s hierarchy table: found in the node index');
      this.folders.set(id, { file: f, nodeId: entry.nodeId, path });
      out.push({
        id, path, label: `${this.label(f, path)}${entry.onlyInIndex ? ' (not in its parent\'s folder list; found in the file\'s node index)' : ''}`,
        delimiter: '/', kind: verdict.kind, specialUse: special.get(entry.nodeId),
        ...(verdict.migrate ? {} : { skip: `${verdict.reason} (${entry.count} item${entry.count === 1 ? '' : 's'} in ${f.label})` }),
      });
    }
    return out;
  }

  /** The folder behind a container, or the error of its file. */
  private folder(c: Container): FolderRef & { reader: PstReader } {
    const ref = this.folders.get(c.id);
    if (!ref) throw new FatalError(`${c.id}: no such PST folder (list the containers first)`, 'PST_NO_FOLDER');
    if (ref.nodeId === 0 || !ref.file.reader) throw ref.file.error ?? new FatalError(`${ref.file.path}: cannot be read`, 'PST_FILE');
    if (ref.error) throw ref.error;
    return { ...ref, reader: ref.file.reader };
  }

  /** The folder's entry for an item id (its warning or error), when it is not a plain row of the contents table. */
  private special(reader: PstReader, nodeId: number, id: string): ContentEntry | undefined {
    const inv = reader.inventory(nodeId);
    const row = /^row:(\d+)$/.exec(id);
    let at: number | undefined;
    if (row) at = Number(row[1]);
    else if (id === 'inventory') at = (inv.rows ?? 0) + inv.extras.length;
    else if (inv.extras.includes(Number(id))) at = (inv.rows ?? 0) + inv.extras.indexOf(Number(id));
    if (at === undefined) return undefined;
    const e = reader.contentIds(nodeId, at).next();
    return !e.done && e.value.id === id ? e.value : undefined;
  }

  async stats(c: Container, opts: { withBytes?: boolean } = {}): Promise<ContainerStats> {
    const { file, nodeId, reader } = this.folder(c);
    let count = 0;
    let bytes = 0;
    for (const e of reader.contentIds(nodeId, 0, opts.withBytes)) {
      count++;
      bytes += e.size ?? 0;
    }
    return { count, bytes: opts.withBytes ? bytes : undefined, epoch: file.epoch, token: `${file.epoch}:${count}`, changeSeq: file.epoch };
  }

  async changes(c: Container, cursor: string | null, limit: number): Promise<ChangePage> {
    const { file, nodeId, reader, path } = this.folder(c);
    const start = cursor === null ? 0 : Number(cursor);
    if (!Number.isInteger(start) || start < 0) throw new FatalError(`${c.id}: invalid cursor ${JSON.stringify(cursor)}`, 'PST_CURSOR');
    const items: ItemMeta[] = [];
    const page = new Map<string, PstMessageEntry>();
    let next = start;
    let done = true;
    for (const e of reader.contentIds(nodeId, start)) {
      if (items.length >= limit) { done = false; break; }
      next = e.position + 1;
      if (e.nodeId === undefined) {
        // a difference in the folder's inventory: listed, so the engine records it as failed with the reason when it reads it
        items.push({ id: e.id, size: 0, flags: [] });
        this.log.warn({ file: file.label, folder: path.join('/'), item: e.id, err: e.error }, 'PST folder inventory differs');
        continue;
      }
      try {
        const entry = reader.message(e.nodeId, path, nodeId);
        page.set(e.id, entry);
        items.push(this.meta(entry, c.kind, file.mtime));
      } catch (err) {
        // listed anyway, so the engine records it as failed when it reads it
        items.push({ id: e.id, size: e.size ?? 0, flags: [] });
        this.log.warn({ file: file.label, folder: path.join('/'), item: e.id, err: reasonOf(err) }, 'PST item cannot be read');
      }
    }
    this.listed.set(c.id, page);
    return { epoch: file.epoch, items, cursor: String(next), done };
  }

  /** `fileMtime`: the PST's modification time, the date of last resort (never the day of the copy). */
  private meta(entry: PstMessageEntry, kind: ItemKind, fileMtime: Date | undefined, subjects = false): ItemMeta {
    const date = mapiInternalDate(pstTimes(entry.raw), fileMtime)?.date;
    // groupware items carry no IMAP flags; their size is known once converted
    if (kind !== 'mail') return { id: String(entry.nodeId), size: entry.size, internalDate: date, flags: [], ...(subjects ? { subject: entry.subject } : {}) };
    return {
      id: String(entry.nodeId), size: entry.size, internalDate: date, flags: mailFlags(messageState(entry.raw)),
      messageId: entry.internetMessageId?.trim() || undefined, ...(subjects ? { subject: entry.subject } : {}),
    };
  }

  async flagChanges(c: Container, sinceSeq: string | null): Promise<FlagChanges> {
    const { file } = this.folder(c);
    // a PST cannot change without its epoch changing: same sequence, nothing changed
    if (sinceSeq === file.epoch) return { epoch: file.epoch, items: [], complete: false };
    const { items } = await this.lookup(c, (await this.allIds(c)).ids);
    return { epoch: file.epoch, items: items.map((i) => ({ id: i.id, flags: i.flags })), complete: true };
  }

  async allIds(c: Container): Promise<{ epoch: string; ids: string[] }> {
    const { file, nodeId, reader } = this.folder(c);
    return { epoch: file.epoch, ids: [...reader.contentIds(nodeId)].map((e) => e.id) };
  }

  async lookup(c: Container, ids: string[], opts: { subjects?: boolean } = {}): Promise<{ epoch: string; items: ItemMeta[] }> {
    const { file, nodeId, path, reader } = this.folder(c);
    const here = new Set((await this.allIds(c)).ids);
    const items: ItemMeta[] = [];
    for (const id of ids) {
      if (!here.has(id)) continue;
      if (!/^\d+$/.test(id)) { items.push({ id, size: 0, flags: [] }); continue; } // an inventory difference (see changes)
      try {
        items.push(this.meta(reader.message(Number(id), path, nodeId), c.kind, file.mtime, opts.subjects));
      } catch (err) {
        items.push({ id, size: 0, flags: [] });
        this.log.warn({ file: file.label, item: id, err: reasonOf(err) }, 'PST item cannot be read');
      }
    }
    return { epoch: file.epoch, items };
  }

  async *read(c: Container, items: ItemMeta[]): AsyncIterable<ItemContent | { meta: ItemMeta; error: Error }> {
    const { file, nodeId, path, reader } = this.folder(c);
    const page = this.listed.get(c.id);
    for (const meta of items) {
      try {
        const special = this.special(reader, nodeId, meta.id);
        if (special?.error) throw new PstItemError(file.path, nodeId, path, special.error);
        const entry = page?.get(meta.id) ?? reader.message(Number(meta.id), path, nodeId);
        page?.delete(meta.id);
        let content: Buffer;
        let warnings: string[] | undefined;
        try {
          // (pst-extractor's log line of a value it cannot read is dropped: the error itself is reported)
          if (c.kind === 'mail') content = await buildMime(quietly(() => toMailMessage(entry.raw)));
          else ({ content, warnings } = pstGroupwareContent(c.kind, entry.raw, entry.messageClass || '(no class)', uidFromItemId(`pst:${file.label}:${entry.nodeId}`)));
        } catch (err) {
          // a damaged block met while reading the bodies or attachments: named with its offset
          const why = /damaged (data block|index page) /.test(reasonOf(err)) ? `${reasonOf(err).replace(/^.*?Error: (?=damaged)/, '')}` : reasonOf(err);
          throw new PstItemError(file.path, entry.nodeId, path, c.kind === 'mail' ? `${entry.messageClass} ${why}` : why, offsetIn(err), { cause: err });
        }
        if (special?.warning) warnings = [...(warnings ?? []), special.warning];
        yield { meta: { ...meta, size: content.length }, content, ...(warnings ? { warnings } : {}) };
      } catch (err) {
        yield { meta, error: err instanceof Error ? err : new Error(String(err)) };
      }
    }
  }

  async close(): Promise<void> {
    for (const f of this.files) f.reader?.close();
    this.listed.clear();
  }
}
