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
 * - item id: the file name; cursor: the last name handed out (names sorted); epoch: constant
 *   ("msg-1"): a file replaced under the same name is not copied again.
 * - token / change sequence: count, total size and newest mtime of the directory's .msg files, so
 *   an unchanged directory costs one listing.
 * - A file that is not a .msg, or cannot be read, fails alone naming the file.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { buildMime } from '../../mappings/mapi/build-mime.js';
import { internalDate, mailFlags } from '../../mappings/mapi/mail-flags.js';
import type {
  AccessCheck, Account, ChangePage, Container, ContainerStats, FlagChanges, ItemContent, ItemKind, ItemMeta, SourceConnector, SourceMailbox,
} from '../../src/model/types.js';
import { FatalError, ItemError, reasonOf } from '../../src/util/errors.js';
import { uidFromItemId } from '../../mappings/groupware/uid.js';
import { msgGroupwareContent, msgItemKind } from './msg-groupware.js';
import { readMsg } from './msg-message.js';

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

/** 'file', 'dir' or undefined, following symbolic links. */
function kindOf(p: string): 'file' | 'dir' | undefined {
  try {
    const st = statSync(p);
    return st.isFile() ? 'file' : st.isDirectory() ? 'dir' : undefined;
  } catch {
    return undefined;
  }
}

/** The .msg files of a directory, sorted by name. */
function msgFiles(dir: string): string[] {
  return readdirSync(dir).filter((n) => IS_MSG.test(n) && kindOf(join(dir, n)) === 'file').sort();
}

export class MsgSource implements SourceConnector {
  readonly name = 'msg';
  constructor(private readonly opts: MsgSourceOptions, private readonly log: Logger) {}

  async openMailbox(account: Account): Promise<SourceMailbox> {
    const login = account.login;
    if (/[/\\\0]/.test(login) || login === '.' || login === '..') {
      throw new FatalError(`source login ${JSON.stringify(login)} cannot name a directory`, 'MSG_LOGIN');
    }
    const root = join(this.opts.directory, this.opts.folders.split('{login}').join(login));
    try {
      if (!statSync(root).isDirectory()) throw new Error('not a directory');
    } catch (err) {
      throw new FatalError(`no .msg folder for ${login}: ${root}: ${reasonOf(err)}`, 'MSG_NO_FOLDER');
    }
    return new MsgMailbox(root, this.opts.codepage, this.log.child({ side: 'source' }), this.opts.groupware === true);
  }

  async close(): Promise<void> {}
}

class MsgMailbox implements SourceMailbox {
  constructor(private readonly root: string, private readonly codepage: number | undefined, private readonly log: Logger, private readonly groupware = false) {}

  private dir(c: Container): string {
    return c.id === '.' ? this.root : join(this.root, ...c.id.split('/'));
  }

  private files(c: Container): string[] {
    return msgFiles(this.dir(c));
  }

  async verify(): Promise<AccessCheck> {
    try {
      const list = await this.containers();
      return { ok: true, checks: [{ name: 'list folders', ok: true, detail: `${list.length} folders with .msg files in ${this.root}` }] };
    } catch (err) {
      return { ok: false, checks: [{ name: 'list folders', ok: false, detail: reasonOf(err) }] };
    }
  }

  async containers(): Promise<Container[]> {
    const out: Container[] = [];
    const walk = (rel: string[]): void => {
      const dir = join(this.root, ...rel);
      const files = msgFiles(dir);
      if (files.length > 0) {
        const kind = this.kindOfDir(dir, files);
        const path = rel.length ? rel : ['INBOX'];
        const skip = kind !== 'mail' && !this.groupware
          ? `a folder of Outlook ${kind === 'event' ? 'appointments' : kind === 'contact' ? 'contacts' : 'tasks'}: not migrated; set "groupware: true" in the msg source config to migrate it (needs a target that takes calendars, address books and task lists)`
          : undefined;
        out.push({ id: rel.length ? rel.join('/') : '.', path, delimiter: '/', kind, ...(skip ? { skip } : {}) });
      }
      const subdirs = readdirSync(dir).filter((n) => kindOf(join(dir, n)) === 'dir').sort();
      for (const n of subdirs) walk([...rel, n]);
    };
    walk([]);
    return out;
  }

  /** Item kinds of files by path (with size and mtime, so a replaced file is read again). */
  private readonly kinds = new Map<string, { stamp: string; kind: ItemKind }>();

  /** event/contact/task when every file of the directory is of that kind; else mail. An unreadable file counts as mail. */
  private kindOfDir(dir: string, files: string[]): ItemKind {
    const seen = new Set<ItemKind>();
    for (const n of files) {
      const file = join(dir, n);
      const st = statSync(file);
      const stamp = `${st.size}:${st.mtimeMs}`;
      let k = this.kinds.get(file);
      if (k?.stamp !== stamp) {
        let kind: ItemKind = 'mail';
        try {
          kind = msgItemKind(readFileSync(file));
        } catch {
          // read (and failed by name) as a message
        }
        k = { stamp, kind };
        this.kinds.set(file, k);
      }
      seen.add(k.kind);
      if (seen.size > 1 || seen.has('mail')) return 'mail';
    }
    return [...seen][0] ?? 'mail';
  }

  async stats(c: Container, opts: { withBytes?: boolean } = {}): Promise<ContainerStats> {
    let bytes = 0;
    let newest = 0;
    const names = this.files(c);
    for (const n of names) {
      const st = statSync(join(this.dir(c), n));
      bytes += st.size;
      newest = Math.max(newest, st.mtimeMs);
    }
    const token = `${names.length}:${bytes}:${Math.floor(newest)}`;
    return { count: names.length, bytes: opts.withBytes ? bytes : undefined, epoch: EPOCH, token, changeSeq: token };
  }

  /** Metadata of one file (reads and parses it). */
  private meta(c: Container, name: string, subjects = false): ItemMeta {
    const file = join(this.dir(c), name);
    try {
      const msg = readMsg(readFileSync(file), this.codepage);
      return {
        id: name, size: statSync(file).size, internalDate: internalDate(msg), flags: mailFlags(msg), messageId: msg.messageId,
        ...(subjects ? { subject: msg.subject } : {}),
      };
    } catch (err) {
      this.log.warn({ file, err: reasonOf(err) }, '.msg file cannot be read');
      return { id: name, size: 0, flags: [] };
    }
  }

  async changes(c: Container, cursor: string | null, limit: number): Promise<ChangePage> {
    const rest = this.files(c).filter((n) => cursor === null || n > cursor);
    const page = rest.slice(0, limit);
    return { epoch: EPOCH, items: page.map((n) => this.meta(c, n)), cursor: page.at(-1) ?? cursor ?? '', done: rest.length <= limit };
  }

  async flagChanges(c: Container, _sinceSeq: string | null): Promise<FlagChanges> {
    return { epoch: EPOCH, items: this.files(c).map((n) => ({ id: n, flags: this.meta(c, n).flags })), complete: true };
  }

  async allIds(c: Container): Promise<{ epoch: string; ids: string[] }> {
    return { epoch: EPOCH, ids: this.files(c) };
  }

  async lookup(c: Container, ids: string[], opts: { subjects?: boolean } = {}): Promise<{ epoch: string; items: ItemMeta[] }> {
    const here = new Set(this.files(c));
    return { epoch: EPOCH, items: ids.filter((id) => here.has(id)).map((id) => this.meta(c, id, opts.subjects)) };
  }

  async *read(c: Container, items: ItemMeta[]): AsyncIterable<ItemContent | { meta: ItemMeta; error: Error }> {
    for (const meta of items) {
      const file = join(this.dir(c), meta.id);
      try {
        if (c.kind !== 'mail') {
          const data = readFileSync(file);
          const out = msgGroupwareContent(data, file, uidFromItemId(`msg:${[...c.path, meta.id].join('/')}`), { codepage: this.codepage });
          if (!out || out.kind !== c.kind) throw new Error(`a ${out?.kind ?? 'message'} in a folder of ${c.kind === 'event' ? 'appointments' : `${c.kind}s`}`);
          yield { meta: { ...meta, size: out.content.length }, content: out.content, ...(out.warnings ? { warnings: out.warnings } : {}) };
          continue;
        }
        const content = await buildMime(readMsg(readFileSync(file), this.codepage));
        yield { meta: { ...meta, size: content.length }, content };
      } catch (err) {
        yield { meta, error: new ItemError(`${file}: ${reasonOf(err)}`, 'MSG_ITEM', { cause: err }) };
      }
    }
  }

  async close(): Promise<void> {}
}
