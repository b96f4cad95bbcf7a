/**
 * .msg source: folders of Outlook .msg files on disk, one directory tree per mailbox
 * (source.directory + source.folders with "{login}"). Read-only.
 *
 * - container: one directory holding .msg files, path = its path below the mailbox's root
 *   (files in the root itself: INBOX, id "."). A directory whose files are all appointments, all
 *   contacts (and lists) or all tasks is a calendar, address book or task list: its items become
 *   iCalendar / vCard (msg-groupware.ts) when `groupware` is on, else it is listed as not migrated
 *   with the hint, as the PST source does. Any other directory is mail: every file is built as a
 *   message with the PST builder (mappings/mapi), whatever its class.
 * - INTERNALDATE from the best evidence the file carries, never the time of the copy: delivery
 *   time, submit time, the Date / topmost Received of its transport headers, creation or last
 *   modification time, else the file's mtime (mappings/mapi/internal-date.ts).
 * - item id: the file name; order: when the entry arrived in the tree (its ctime: ../file-tree
 *   `arrivalKey`), then name; cursor: the last [arrival, name] handed out (../file-tree/ordered-page.ts), so a file added later
 *   is listed by the next pass whatever its name or mtime (a cursor of an earlier version, the
 *   last name, lists the folder again; the engine skips what it copied). epoch: constant
 *   ("msg-1"): a file replaced under the same name is not copied again.
 * - token / change sequence: count, total size and newest mtime of the directory's .msg files, so
 *   an unchanged directory costs one listing.
 * - A .msg file that cannot be read fails alone naming the file. Every other entry of the tree
 *   (a file that is not a .msg, winmail.dat / *.tnef, a link out of the mailbox's directory, a
 *   FIFO, a directory loop: see ../file-tree) is listed as a skipped item of its directory with the
 *   reason, so plan, status and the report show it; a directory holding only such entries is a
 *   (mail) folder for them. Files are read only if they are still the regular file listed.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { buildMime } from '../../mappings/mapi/build-mime.js';
import { mapiInternalDate } from '../../mappings/mapi/internal-date.js';
import { mailFlags } from '../../mappings/mapi/mail-flags.js';
import type {
  AccessCheck, Account, ChangePage, Container, ContainerStats, FlagChanges, ItemContent, ItemKind, ItemMeta, SourceConnector, SourceMailbox,
} from '../../src/model/types.js';
import { ItemError, reasonOf } from '../../src/util/errors.js';
import { uidFromItemId } from '../../mappings/groupware/uid.js';
import { readListedFile } from '../file-tree/listed-file.js';
import { mailboxRoot } from '../file-tree/login-path.js';
import { compareOrdered, orderedPage, type Ordered } from '../file-tree/ordered-page.js';
import { walkTree, type ListedFile } from '../file-tree/tree-walk.js';
import { msgGroupwareContent, msgItemKind } from './msg-groupware.js';
import { readMsg, readMsgItem } from './msg-message.js';

export interface MsgSourceOptions {
  directory: string;
  /** The mailbox's root below `directory`, with "{login}" (default "{login}"). */
  folders: string;
  /** Code page of 8-bit strings in ANSI files that declare none. */
  codepage?: number;
  /** Migrate directories of appointments, contacts or tasks as calendars, address books, task lists. */
  groupware?: boolean;
}

const EPOCH = 'msg-1';
const IS_MSG = /\.msg$/i;

/** Why a regular file of the tree is not an item. */
function notAnItem(name: string): string | undefined {
  if (/^winmail\.dat$/i.test(name) || /\.tnef$/i.test(name)) return 'a TNEF file (Outlook rich-text data, "winmail.dat"), not an Outlook item: not migrated on its own';
  return IS_MSG.test(name) ? undefined : 'not a .msg file: not migrated';
}

/** One directory of the tree: its .msg files and the entries that are not items (by name), and all names in pass order. */
interface MsgDir { id: string; rel: string[]; files: Map<string, ListedFile>; ignored: Map<string, string>; order: Ordered[] }

export class MsgSource implements SourceConnector {
  readonly name = 'msg';
  constructor(private readonly opts: MsgSourceOptions, private readonly log: Logger) {}

  async openMailbox(account: Account): Promise<SourceMailbox> {
    const root = mailboxRoot(this.opts.directory, this.opts.folders, account.login, 'msg');
    return new MsgMailbox(root, this.opts.codepage, this.log.child({ side: 'source' }), this.opts.groupware === true);
  }

  async close(): Promise<void> {}
}

class MsgMailbox implements SourceMailbox {
  constructor(private readonly root: string, private readonly codepage: number | undefined, private readonly log: Logger, private readonly groupware = false) {}

  /** The tree as walked once per mailbox session (a run opens a fresh mailbox). */
  private tree: MsgDir[] | undefined;

  private scan(): MsgDir[] {
    if (this.tree) return this.tree;
    this.tree = walkTree(this.root).map((d) => {
      const files = new Map<string, ListedFile>();
      const ignored = new Map<string, string>();
      const where = (name: string) => [...d.rel, name].join('/');
      for (const f of d.files) {
        const why = notAnItem(f.name);
        if (why) ignored.set(f.name, `${where(f.name)}: ${why}`);
        else files.set(f.name, f);
      }
      for (const r of d.refused) ignored.set(r.name, r.reason);
      for (const [name, reason] of ignored) this.log.warn({ entry: where(name), reason }, '.msg tree: entry not migrated (listed as skipped)');
      const order = [...d.files.map((f) => ({ id: f.name, orderKey: f.arrival })), ...d.refused.map((r) => ({ id: r.name, orderKey: r.arrival ?? '' }))].sort(compareOrdered);
      return { id: d.rel.length ? d.rel.join('/') : '.', rel: d.rel, files, ignored, order };
    });
    return this.tree;
  }

  private folder(c: Container): MsgDir {
    const d = this.scan().find((x) => x.id === c.id);
    if (!d) throw new ItemError(`.msg folder ${c.path.join('/')} is no longer in ${this.root}`, 'CONTAINER_GONE');
    return d;
  }

  async verify(): Promise<AccessCheck> {
    try {
      const list = await this.containers();
      const ignored = this.scan().reduce((n, d) => n + d.ignored.size, 0);
      const detail = `${list.length} folders with .msg files in ${this.root}${ignored ? `; ${ignored} entries not migrated (listed as skipped, with the reason)` : ''}`;
      return { ok: true, checks: [{ name: 'list folders', ok: true, detail }] };
    } catch (err) {
      return { ok: false, checks: [{ name: 'list folders', ok: false, detail: reasonOf(err) }] };
    }
  }

  async containers(): Promise<Container[]> {
    return this.scan().map((d) => {
      const kind = d.files.size > 0 ? this.kindOfDir([...d.files.values()]) : 'mail';
      const skip = kind !== 'mail' && !this.groupware
        ? `a folder of Outlook ${kind === 'event' ? 'appointments' : kind === 'contact' ? 'contacts' : 'tasks'}: not migrated; set "groupware: true" in the msg source config to migrate it (needs a target that takes calendars, address books and task lists)`
        : undefined;
      return { id: d.id, path: d.rel.length ? d.rel : ['INBOX'], delimiter: '/', kind, ...(skip ? { skip } : {}) };
    });
  }

  /** Item kinds of files by path (with size and mtime, so a replaced file is read again). */
  private readonly kinds = new Map<string, { stamp: string; kind: ItemKind }>();

  /** event/contact/task when every file of the directory is of that kind; else mail. An unreadable file counts as mail. */
  private kindOfDir(files: ListedFile[]): ItemKind {
    const seen = new Set<ItemKind>();
    for (const file of files) {
      const stamp = `${file.size}:${file.mtime.getTime()}:${file.ino}`;
      let k = this.kinds.get(file.path);
      if (k?.stamp !== stamp) {
        let kind: ItemKind = 'mail';
        try {
          kind = msgItemKind(readListedFile(file));
        } catch {
          // read (and failed by name) as a message
        }
        k = { stamp, kind };
        this.kinds.set(file.path, k);
      }
      seen.add(k.kind);
      if (seen.size > 1 || seen.has('mail')) return 'mail';
    }
    return [...seen][0] ?? 'mail';
  }

  async stats(c: Container, opts: { withBytes?: boolean } = {}): Promise<ContainerStats> {
    const d = this.folder(c);
    let bytes = 0;
    let newest = 0;
    for (const f of d.files.values()) {
      bytes += f.size;
      newest = Math.max(newest, f.mtime.getTime());
    }
    const token = `${d.order.length}:${bytes}:${Math.floor(newest)}${d.ignored.size ? `:${d.ignored.size}` : ''}`;
    const notMigrated = [...d.ignored].map(([id, reason]) => ({ id, reason }));
    return { count: d.order.length, bytes: opts.withBytes ? bytes : undefined, epoch: EPOCH, token, changeSeq: token, ...(notMigrated.length ? { notMigrated } : {}) };
  }

  /** Metadata of one entry (reads and parses a .msg file). */
  private meta(c: Container, name: string, subjects = false): ItemMeta {
    const d = this.folder(c);
    const skip = d.ignored.get(name);
    if (skip !== undefined) return { id: name, size: 0, flags: [], skip };
    const file = d.files.get(name)!;
    try {
      const { message: msg, times } = readMsgItem(readListedFile(file), this.codepage);
      return {
        id: name, size: file.size, internalDate: mapiInternalDate(times, file.mtime)?.date, flags: mailFlags(msg), messageId: msg.messageId,
        ...(subjects ? { subject: msg.subject } : {}),
      };
    } catch (err) {
      this.log.warn({ file: file.path, err: reasonOf(err) }, '.msg file cannot be read');
      return { id: name, size: 0, flags: [] };
    }
  }

  async changes(c: Container, cursor: string | null, limit: number): Promise<ChangePage> {
    const { page, cursor: next, done } = orderedPage(this.folder(c).order, cursor, limit);
    return { epoch: EPOCH, items: page.map((e) => this.meta(c, e.id)), cursor: next, done };
  }

  async flagChanges(c: Container, _sinceSeq: string | null): Promise<FlagChanges> {
    return { epoch: EPOCH, items: [...this.folder(c).files.keys()].map((n) => ({ id: n, flags: this.meta(c, n).flags })), complete: true };
  }

  async allIds(c: Container): Promise<{ epoch: string; ids: string[] }> {
    return { epoch: EPOCH, ids: this.folder(c).order.map((e) => e.id) };
  }

  async lookup(c: Container, ids: string[], opts: { subjects?: boolean } = {}): Promise<{ epoch: string; items: ItemMeta[] }> {
    const here = new Set(this.folder(c).order.map((e) => e.id));
    return { epoch: EPOCH, items: ids.filter((id) => here.has(id)).map((id) => this.meta(c, id, opts.subjects)) };
  }

  async *read(c: Container, items: ItemMeta[]): AsyncIterable<ItemContent | { meta: ItemMeta; error: Error }> {
    const d = this.folder(c);
    for (const meta of items) {
      const file = d.files.get(meta.id);
      const where = join(this.root, ...d.rel, meta.id);
      try {
        if (!file) throw new Error(d.ignored.get(meta.id) ?? 'no longer in the folder');
        const data = readListedFile(file);
        if (c.kind !== 'mail') {
          const out = msgGroupwareContent(data, file.path, uidFromItemId(`msg:${[...c.path, meta.id].join('/')}`), { codepage: this.codepage });
          if (!out || out.kind !== c.kind) throw new Error(`a ${out?.kind ?? 'message'} in a folder of ${c.kind === 'event' ? 'appointments' : `${c.kind}s`}`);
          yield { meta: { ...meta, size: out.content.length }, content: out.content, ...(out.warnings ? { warnings: out.warnings } : {}) };
          continue;
        }
        const content = await buildMime(readMsg(data, this.codepage));
        yield { meta: { ...meta, size: content.length }, content };
      } catch (err) {
        yield { meta, error: new ItemError(`${where}: ${reasonOf(err)}`, 'MSG_ITEM', { cause: err }) };
      }
    }
  }

  async close(): Promise<void> {}
}
