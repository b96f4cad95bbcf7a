/**
 * .msg source: folders of Outlook .msg files on disk, one directory tree per mailbox
 * (source.directory + source.folders with "{login}"). Read-only.
 *
 * - container: one directory holding .msg files, path = its path below the mailbox's root
 *   (files in the root itself: INBOX, id "."). Every file is built as a message with the PST builder
 *   (mappings/mapi), whatever its class.
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
  AccessCheck, Account, ChangePage, Container, ContainerStats, FlagChanges, ItemContent, ItemMeta, SourceConnector, SourceMailbox,
} from '../../src/model/types.js';
import { FatalError, ItemError, reasonOf } from '../../src/util/errors.js';
import { readMsg } from './msg-message.js';

export interface MsgSourceOptions {
  directory: string;
  /** The mailbox's root below `directory`, with "{login}" (default "{login}"). */
  folders: string;
  /** Code page of 8-bit strings in ANSI files that declare none. */
  codepage?: number;
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
    return new MsgMailbox(root, this.opts.codepage, this.log.child({ side: 'source' }));
  }

  async close(): Promise<void> {}
}

class MsgMailbox implements SourceMailbox {
  constructor(private readonly root: string, private readonly codepage: number | undefined, private readonly log: Logger) {}

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
      if (msgFiles(dir).length > 0) out.push({ id: rel.length ? rel.join('/') : '.', path: rel.length ? rel : ['INBOX'], delimiter: '/', kind: 'mail' });
      const subdirs = readdirSync(dir).filter((n) => kindOf(join(dir, n)) === 'dir').sort();
      for (const n of subdirs) walk([...rel, n]);
    };
    walk([]);
    return out;
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
        const content = await buildMime(readMsg(readFileSync(file), this.codepage));
        yield { meta: { ...meta, size: content.length }, content };
      } catch (err) {
        yield { meta, error: new ItemError(`${file}: ${reasonOf(err)}`, 'MSG_ITEM', { cause: err }) };
      }
    }
  }

  async close(): Promise<void> {}
}
