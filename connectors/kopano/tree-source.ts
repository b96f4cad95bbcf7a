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
 * - Order: file modification time, then name, so files exported later come after the cursor.
 * - EML bytes go to the target unchanged (INTERNALDATE from the Date header, Message-ID from
 *   the header); calendar objects and vCards as the normalisation stage gives them (an
 *   unparsable file is a per-item error naming the file).
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Logger } from 'pino';
import { normalizeGroupware, type NormalizeResult } from '../../mappings/groupware/normalize.js';
import type { AccessCheck, Account, Container, ItemKind, SourceConnector, SourceMailbox } from '../../src/model/types.js';
import { parseMessageIdHeader } from '../imap-common/message-id.js';
import { FileMailbox, type FileContainer, type FileItemRef } from './file-mailbox.js';
import { userDir } from './index.js';
import type { ConvertedItem } from './item-content.js';

const EXT = /\.(eml|ics|vcf)$/i;

interface TreeFolder {
  container: FileContainer;
  dir: string;
  files: Map<string, string>;
}

/** The header block of a message (up to the first empty line). */
function headerBlock(eml: Buffer): Buffer {
  const crlf = eml.indexOf('\r\n\r\n');
  const lf = eml.indexOf('\n\n');
  const end = [crlf, lf].filter((i) => i >= 0).sort((a, b) => a - b)[0];
  return end === undefined ? eml : eml.subarray(0, end + 1);
}

function headerDate(headers: Buffer): Date | undefined {
  const m = /^date:[ \t]*(.*(?:\r?\n[ \t].*)*)/im.exec(headers.toString('latin1'));
  if (!m?.[1]) return undefined;
  const d = new Date(m[1].replace(/\r?\n[ \t]+/g, ' ').replace(/\s*\([^)]*\)\s*$/, '').trim());
  return Number.isNaN(d.getTime()) ? undefined : d;
}

function kindOfFile(file: string): ItemKind {
  if (/\.vcf$/i.test(file)) return 'contact';
  if (/\.eml$/i.test(file)) return 'mail';
  const text = readFileSync(file, 'utf8');
  return /^BEGIN:VTODO\r?$/im.test(text) && !/^BEGIN:VEVENT\r?$/im.test(text) ? 'task' : 'event';
}

export class KopanoTreeMailbox extends FileMailbox {
  private folders: TreeFolder[] | undefined;

  constructor(readonly dir: string, private readonly log: Logger) {
    super();
  }

  async verify(): Promise<AccessCheck> {
    try {
      const n = this.fileContainers().length;
      return { ok: true, checks: [{ name: 'read export tree', ok: true, detail: `${n} folders in ${this.dir}` }] };
    } catch (err) {
      return { ok: false, checks: [{ name: 'read export tree', ok: false, detail: (err as Error).message }] };
    }
  }

  private scan(): TreeFolder[] {
    if (this.folders) return this.folders;
    const out: TreeFolder[] = [];
    const walk = (dir: string): void => {
      const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
      const files = new Map<string, string>();
      for (const e of entries) {
        if (e.isDirectory()) continue;
        if (!EXT.test(e.name)) {
          this.log.warn({ file: join(dir, e.name) }, 'kopano-tree: file ignored (not .eml, .ics or .vcf)');
          continue;
        }
        const id = e.name.replace(EXT, '');
        if (files.has(id)) this.log.warn({ file: join(dir, e.name) }, 'kopano-tree: second file for the same item ignored');
        else files.set(id, join(dir, e.name));
      }
      if (files.size > 0) {
        const path = relative(this.dir, dir).split(/[\\/]/).filter((s) => s !== '');
        const kind = kindOfFile([...files.values()][0]!);
        const token = [...files.values()].map((f) => { const s = statSync(f); return `${s.size}:${s.mtimeMs}`; }).join('|');
        out.push({ dir, files, container: { id: path.join('/'), path, delimiter: '/', kind, epoch: 'kopano-tree', token } });
      }
      for (const e of entries) if (e.isDirectory()) walk(join(dir, e.name));
    };
    walk(this.dir);
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
    for (const [id, file] of this.folder(c).files) {
      const orderKey = String(Math.floor(statSync(file).mtimeMs)).padStart(16, '0');
      if (/\.eml$/i.test(file)) out.push({ id, orderKey });
      else for (const part of this.parts(id, file).keys()) out.push({ id: part, orderKey });
    }
    return out;
  }

  /** The last file split into objects (its items are listed and read one after another). */
  private split: { file: string; mtimeMs: number; result: NormalizeResult } | undefined;

  private normalized(file: string): NormalizeResult {
    const mtimeMs = statSync(file).mtimeMs;
    if (this.split?.file !== file || this.split.mtimeMs !== mtimeMs) {
      this.split = { file, mtimeMs, result: normalizeGroupware(readFileSync(file), { source: `kopano-tree:${relative(this.dir, file)}` }) };
    }
    return this.split.result;
  }

  /** Item id → what it is in the file: object `n` or failure `n`. One object or failure alone keeps the file's id. */
  private parts(fileId: string, file: string): Map<string, { object?: number; failure?: number }> {
    const r = this.normalized(file);
    const out = new Map<string, { object?: number; failure?: number }>();
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
    for (const id of ids) {
      const file = f.files.get(id);
      if (file) bytes += statSync(file).size;
    }
    return bytes;
  }

  async *convert(c: Container, ids: string[]): AsyncIterable<{ id: string; result: ConvertedItem | Error }> {
    const f = this.folder(c);
    for (const id of ids) {
      const fileId = f.files.has(id) ? id : id.replace(/#[^#]*$/, '');
      const file = f.files.get(fileId);
      const where = relative(this.dir, file ?? join(f.dir, fileId));
      try {
        if (!file) throw new Error('not in the export');
        if (/\.eml$/i.test(file)) {
          const content = readFileSync(file);
          if (c.kind !== 'mail') throw new Error(`a message in a ${c.kind} folder`);
          const headers = headerBlock(content);
          if (!/^[\x21-\x39\x3b-\x7e]+:/.test(headers.toString('latin1'))) throw new Error('not an RFC 5322 message (no header at the start)');
          yield { id, result: { content, flags: [], internalDate: headerDate(headers), messageId: parseMessageIdHeader(headers) } };
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
        yield { id, result: { content: Buffer.from(object.text, 'utf8'), flags: [], internalDate: statSync(file).mtime } };
      } catch (err) {
        yield { id, result: new Error(`${where} (folder ${c.path.join('/')}): ${(err as Error).message}`) };
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
    return new KopanoTreeMailbox(userDir(this.root, account.login, 'kopano-tree'), this.log.child({ side: 'source', mailbox: account.login }));
  }

  async close(): Promise<void> {}
}
