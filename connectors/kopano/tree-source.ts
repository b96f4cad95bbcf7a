/**
 * Source `kopano-tree`: the files Kopano's own per-item converters write (kopano-backup
 * --export / the kopano python `eml()`, `ics()`, `vcf()` calls), laid out as
 * `<path>/<login>/<folder path>/<SOURCEKEY>.eml|.ics|.vcf`.
 *
 * - Containers: every directory below the user's directory holding item files; path = the
 *   directory names. Kind: .vcf → contact; .ics → task when the file holds VTODOs only, else event;
 *   .eml → mail (the first item file decides; a file of another kind is a per-item error).
 * - Item id = the file name without extension (the SOURCEKEY); epoch = "kopano-tree" (the file
 *   names are server identities that do not change between exports).
 * - An .ics or .vcf file holding several objects (an export: many events with different UIDs,
 *   several cards) is split by the groupware normalisation stage (mappings/groupware/normalize):
 *   each object is its own item, id "<file id>#<UID>" (stable across runs and deltas), and each
 *   object that cannot be repaired is its own failed item "<file id>#failed-<n>" naming the object
 *   and the reason; the other objects of the file still arrive. A file holding one object keeps
 *   the plain file id.
 * - Order: when the file arrived in the tree (its ctime, ../file-tree/tree-walk.ts `arrivalKey`), then
 *   name, so files added later come after the cursor even when they keep an old mtime (cp -p).
 * - EML bytes go to the target unchanged (INTERNALDATE from the Date header, else the topmost
 *   Received header, else the file's mtime: eml-date.ts; Message-ID from the header); calendar
 *   objects and vCards as the normalisation stage gives them (an unparsable file is a per-item
 *   error naming the file).
 * - The tree is read by the shared safe walk (../file-tree): no link out of the user's directory,
 *   no directory twice, no FIFO or device opened; each file is read only if it is still the
 *   regular file listed. Every entry the walk sees that is not an item — a file of another type
 *   (README.txt, winmail.dat, *.tnef), a second file for the same SOURCEKEY, a refused link, FIFO
 *   or loop — is listed as a skipped item of its directory with the reason, so plan, status and
 *   the report show it. A directory holding only such entries is still a (mail) folder for them.
 */
import { createHash } from 'node:crypto';
import { join, relative } from 'node:path';
import type { Logger } from 'pino';
import { normalizeGroupware, type NormalizeResult } from '../../mappings/groupware/normalize.js';
import type { AccessCheck, Account, Container, ItemKind, SourceConnector, SourceMailbox } from '../../src/model/types.js';
import { parseMessageIdHeader } from '../imap-common/message-id.js';
import { readListedFile } from '../file-tree/listed-file.js';
import { mailboxRoot } from '../file-tree/login-path.js';
import { walkTree, type ListedFile } from '../file-tree/tree-walk.js';
import { emlInternalDate, headerBlock } from './eml-date.js';
import { FileMailbox, type FileContainer, type FileItemRef } from './file-mailbox.js';
import type { ConvertedItem } from './item-content.js';
import { coerceError } from '../../src/util/errors.js';

const EXT = /\.(eml|ics|vcf)$/i;

interface TreeFolder {
  container: FileContainer;
  dir: string;
  files: Map<string, ListedFile>;
  /** Entries seen that are not items, by item id: why, and the order key. */
  ignored: Map<string, { reason: string; orderKey: string }>;
}

/** Why a regular file of the tree is not an item. */
function notAnItem(name: string): string | undefined {
  if (/^winmail\.dat$/i.test(name) || /\.tnef$/i.test(name)) {
    return 'a TNEF file (Outlook rich-text data, "winmail.dat"), not an item of the export: not migrated on its own';
  }
  return EXT.test(name) ? undefined : 'not an .eml, .ics or .vcf file: not an item of the export, not migrated';
}


function kindOfFile(file: ListedFile): ItemKind {
  if (/\.vcf$/i.test(file.name)) return 'contact';
  if (/\.eml$/i.test(file.name)) return 'mail';
  let text: string;
  try {
    text = readListedFile(file).toString('utf8');
  } catch {
    return 'event'; // its read fails by name later
  }
  return /^BEGIN:VTODO\r?$/im.test(text) && !/^BEGIN:VEVENT\r?$/im.test(text) ? 'task' : 'event';
}

export class KopanoTreeMailbox extends FileMailbox {
  private folders: TreeFolder[] | undefined;

  constructor(readonly dir: string, private readonly log: Logger) {
    super();
  }

  async verify(): Promise<AccessCheck> {
    try {
      const folders = this.scan();
      const ignored = folders.reduce((n, f) => n + f.ignored.size, 0);
      const detail = `${folders.length} folders in ${this.dir}${ignored ? `; ${ignored} entries not migrated (listed as skipped, with the reason)` : ''}`;
      return { ok: true, checks: [{ name: 'read export tree', ok: true, detail }] };
    } catch (err) {
      return { ok: false, checks: [{ name: 'read export tree', ok: false, detail: coerceError(err).message }] };
    }
  }

  private scan(): TreeFolder[] {
    if (this.folders) return this.folders;
    const out: TreeFolder[] = [];
    for (const d of walkTree(this.dir)) {
      const where = (name: string) => [...d.rel, name].join('/');
      const files = new Map<string, ListedFile>();
      const ignored = new Map<string, { reason: string; orderKey: string; name: string }>();
      const later: { name: string; reason: string; arrival?: string }[] = [];
      for (const f of d.files) {
        const why = notAnItem(f.name);
        const id = f.name.replace(EXT, '');
        if (why) later.push({ name: f.name, reason: `${where(f.name)}: ${why}`, arrival: f.arrival });
        else if (files.has(id)) later.push({ name: f.name, reason: `${where(f.name)}: a second file for item ${id} (${files.get(id)!.name} is migrated): not migrated`, arrival: f.arrival });
        else files.set(id, f);
      }
      later.push(...d.refused);
      for (const e of later) {
        // a refused "4.eml" keeps the item's id, so the file is copied once it is a regular file again
        const id = EXT.test(e.name) && !files.has(e.name.replace(EXT, '')) ? e.name.replace(EXT, '') : e.name;
        const key = files.has(id) || ignored.has(id) ? `${e.name}#ignored` : id;
        ignored.set(key, { reason: e.reason, orderKey: e.arrival ?? '', name: e.name });
        this.log.warn({ entry: where(e.name), reason: e.reason }, 'kopano-tree: entry not migrated (listed as skipped)');
      }
      const path = d.rel.length ? d.rel : ['INBOX'];
      const first = [...files.values()][0];
      const kind = first ? kindOfFile(first) : 'mail';
      const token = [...[...files.values()].map((f) => `${f.size}:${f.mtime.getTime()}`), ...[...ignored.keys()].map((k) => `-${k}`)].join('|');
      out.push({ dir: d.path, files, ignored, container: { id: d.rel.length ? d.rel.join('/') : '.', path, delimiter: '/', kind, epoch: 'kopano-tree', token } });
    }
    this.folders = out;
    return out;
  }

  fileContainers(): FileContainer[] {
    return this.scan().map((f) => f.container);
  }

  private folder(c: Container): TreeFolder {
    const f = this.scan().find((x) => x.container.id === c.id);
    if (!f) throw new Error(`kopano-tree: folder ${c.path.join('/')} is no longer in ${this.dir}`);
    return f;
  }

  listItems(c: Container): FileItemRef[] {
    const out: FileItemRef[] = [];
    const f = this.folder(c);
    for (const [id, file] of f.files) {
      const key = file.arrival;
      if (/\.eml$/i.test(file.name)) out.push({ id, orderKey: key });
      else for (const part of this.parts(id, file).keys()) out.push({ id: part, orderKey: key });
    }
    for (const [id, e] of f.ignored) out.push({ id, orderKey: e.orderKey, skip: e.reason });
    return out;
  }

  /** The last file split into objects (its items are listed and read one after another). */
  private split: { file: ListedFile; result: NormalizeResult } | undefined;

  private normalized(file: ListedFile): NormalizeResult {
    if (this.split?.file !== file) {
      this.split = { file, result: normalizeGroupware(readListedFile(file), { source: `kopano-tree:${this.where(file)}` }) };
    }
    return this.split.result;
  }

  /** A file's path below the user's directory (the link's own path for a link inside the tree). */
  private where(file: ListedFile): string {
    return relative(this.dir, file.link ?? file.path);
  }

  /** Item id → what it is in the file: object `n` or failure `n`. One object or failure alone keeps the file's id. */
  private parts(fileId: string, file: ListedFile): Map<string, { object?: number; failure?: number }> {
    const out = new Map<string, { object?: number; failure?: number }>();
    let r: NormalizeResult;
    try {
      r = this.normalized(file);
    } catch {
      out.set(fileId, {}); // the file cannot be read: one item, failing by name
      return out;
    }
    if (r.objects.length + r.failures.length === 1) {
      out.set(fileId, r.objects.length === 1 ? { object: 0 } : { failure: 0 });
      return out;
    }
    r.objects.forEach((o, i) => out.set(`${fileId}#${uidKey(o.uid)}`, { object: i }));
    r.failures.forEach((_f, i) => out.set(`${fileId}#failed-${i + 1}`, { failure: i }));
    return out;
  }

  /** Exact: the files are copied as they are. */
  protected override async totalBytes(c: Container, ids: string[]): Promise<number> {
    const f = this.folder(c);
    let bytes = 0;
    for (const id of ids) bytes += f.files.get(id)?.size ?? 0;
    return bytes;
  }

  async *convert(c: Container, ids: string[]): AsyncIterable<{ id: string; result: ConvertedItem | Error }> {
    const f = this.folder(c);
    for (const id of ids) {
      const fileId = f.files.has(id) ? id : id.replace(/#[^#]*$/, '');
      const file = f.files.get(fileId);
      const where = file ? this.where(file) : relative(this.dir, join(f.dir, fileId));
      try {
        if (!file) throw new Error('not in the export');
        if (/\.eml$/i.test(file.name)) {
          const content = readListedFile(file);
          if (c.kind !== 'mail') throw new Error(`a message in a ${c.kind} folder`);
          const headers = headerBlock(content);
          if (!/^[\x21-\x39\x3b-\x7e]+:/.test(headers.toString('latin1'))) throw new Error('not an RFC 5322 message (no header at the start)');
          const internalDate = emlInternalDate(headers, file.mtime).date;
          yield { id, result: { content, flags: [], internalDate, messageId: parseMessageIdHeader(headers) } };
          continue;
        }
        const part = this.parts(fileId, file).get(id);
        if (!part) throw new Error(`object ${id.slice(fileId.length + 1)} is no longer in the file`);
        const r = this.normalized(file);
        const failure = part.failure !== undefined ? r.failures[part.failure] : undefined;
        if (failure) throw new Error(failure.what === `kopano-tree:${where}` ? failure.reason : `${failure.what}: ${failure.reason}`);
        const object = r.objects[part.object ?? -1];
        if (!object) throw new Error('object not found in the file');
        // A VTODO of a mixed export may go into a calendar (CalDAV calendars hold both unless the server says otherwise).
        if ((object.kind === 'contact') !== (c.kind === 'contact')) throw new Error(`${object.kind === 'contact' ? 'a vCard' : object.kind === 'task' ? 'a VTODO' : 'a VEVENT'} (UID ${object.uid}) in a ${c.kind} folder`);
        yield { id, result: { content: Buffer.from(object.text, 'utf8'), flags: [], internalDate: file.mtime } };
      } catch (err) {
        yield { id, result: new Error(`${where} (folder ${c.path.join('/')}): ${coerceError(err).message}`) };
      }
    }
  }
}

/** A UID as part of an item id: as it is when short and plain, else a hash (ids are stored and shown). */
function uidKey(uid: string): string {
  return /^[A-Za-z0-9._@=+-]{1,100}$/.test(uid) ? uid : `h-${createHash('sha256').update(uid, 'utf8').digest('hex').slice(0, 32)}`;
}

export class KopanoTreeSource implements SourceConnector {
  readonly name = 'kopano-tree';

  constructor(private readonly root: string, private readonly log: Logger) {}

  async openMailbox(account: Account): Promise<SourceMailbox> {
    return new KopanoTreeMailbox(mailboxRoot(this.root, '{login}', account.login, 'kopano-tree'), this.log.child({ side: 'source', mailbox: account.login }));
  }

  async close(): Promise<void> {}
}
