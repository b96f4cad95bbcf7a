/**
 * State of the EWS simulator: mailboxes → folders → items, with a change log per mailbox that
 * gives SyncFolderHierarchy and SyncFolderItems their documented semantics (an opaque SyncState
 * that covers everything up to a point of the log; changes after it collapsed per item into
 * Create / Update / ReadFlagChange / Delete; paging by MaxChangesReturned).
 *
 * Items are kept as EWS XML property elements (`<t:Subject>…</t:Subject>`) so every operation
 * answers with exactly what a test put in; `items.ts` builds those elements from friendly input.
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';

export type ItemElement = 'Message' | 'CalendarItem' | 'Contact' | 'Task' | 'DistributionList';

export interface SimAttachment { id: string; name: string; contentType: string; content: Buffer; isContactPhoto?: boolean }

export interface SimItem {
  id: string;
  version: number;
  folderId: string;
  element: ItemElement;
  /** Property elements by local name (full XML, `t:` prefix), in schema order. */
  fields: Map<string, string>;
  /** RFC 5322 bytes returned as MimeContent (messages). */
  mime?: Buffer;
  /** Answer GetItem for this item with this error code instead (e.g. ErrorMimeContentConversionFailed). */
  failWith?: string;
  /** Not listed by sync or FindItem (reachable by id only). */
  hidden?: boolean;
  /** An occurrence exception's series master: they share its ChangeKey, as on a real Exchange. */
  masterId?: string;
  attachments: SimAttachment[];
}

export interface SimFolder {
  id: string;
  version: number;
  parentId: string | null;
  displayName: string;
  folderClass: string;
  /** DistinguishedFolderId (inbox, sentitems, calendar…) when it is a well-known folder. */
  distinguished?: string;
}

type ItemChange = { seq: number; itemId: string; folderId: string; kind: 'create' | 'update' | 'readflag' | 'delete' };
type FolderChange = { seq: number; folderId: string; kind: 'create' | 'update' | 'delete' };

export interface SimMailbox {
  smtp: string;
  /** Changes whenever the store is reset: older SyncStates become invalid. */
  generation: string;
  folders: Map<string, SimFolder>;
  items: Map<string, SimItem>;
  itemLog: ItemChange[];
  folderLog: FolderChange[];
  seq: number;
}

export type SyncItemEntry =
  | { kind: 'Create' | 'Update'; item: SimItem }
  | { kind: 'ReadFlagChange'; item: SimItem }
  | { kind: 'Delete'; itemId: string };

export type SyncFolderEntry = { kind: 'Create' | 'Update'; folder: SimFolder } | { kind: 'Delete'; folderId: string };

/** Thrown for a SyncState this store did not issue (or issued for another folder/mailbox). */
export class InvalidSyncState extends Error {}

const LOCALIZED: Record<string, Record<string, [string, string]>> = {
  en: {
    inbox: ['Inbox', 'IPF.Note'], sentitems: ['Sent Items', 'IPF.Note'], drafts: ['Drafts', 'IPF.Note'], deleteditems: ['Deleted Items', 'IPF.Note'],
    junkemail: ['Junk Email', 'IPF.Note'], outbox: ['Outbox', 'IPF.Note'], archive: ['Archive', 'IPF.Note'], calendar: ['Calendar', 'IPF.Appointment'],
    contacts: ['Contacts', 'IPF.Contact'], tasks: ['Tasks', 'IPF.Task'], notes: ['Notes', 'IPF.StickyNote'],
  },
  de: {
    inbox: ['Posteingang', 'IPF.Note'], sentitems: ['Gesendete Elemente', 'IPF.Note'], drafts: ['Entwürfe', 'IPF.Note'], deleteditems: ['Gelöschte Elemente', 'IPF.Note'],
    junkemail: ['Junk-E-Mail', 'IPF.Note'], outbox: ['Postausgang', 'IPF.Note'], archive: ['Archiv', 'IPF.Note'], calendar: ['Kalender', 'IPF.Appointment'],
    contacts: ['Kontakte', 'IPF.Contact'], tasks: ['Aufgaben', 'IPF.Task'], notes: ['Notizen', 'IPF.StickyNote'],
  },
  fr: {
    inbox: ['Boîte de réception', 'IPF.Note'], sentitems: ['Éléments envoyés', 'IPF.Note'], drafts: ['Brouillons', 'IPF.Note'], deleteditems: ['Éléments supprimés', 'IPF.Note'],
    junkemail: ['Courrier indésirable', 'IPF.Note'], outbox: ["Boîte d'envoi", 'IPF.Note'], archive: ['Archive', 'IPF.Note'], calendar: ['Calendrier', 'IPF.Appointment'],
    contacts: ['Contacts', 'IPF.Contact'], tasks: ['Tâches', 'IPF.Task'], notes: ['Notes', 'IPF.StickyNote'],
  },
};

const b64 = (s: string): string => Buffer.from(s).toString('base64');

export class EwsSimStore {
  readonly mailboxes = new Map<string, SimMailbox>();
  private counter = 0;

  /** Creates a mailbox with the well-known folders, named in `locale` (en, de, fr). */
  addMailbox(smtp: string, locale: keyof typeof LOCALIZED = 'en'): SimMailbox {
    const mbx: SimMailbox = {
      smtp: smtp.toLowerCase(), generation: b64(`${smtp}:${Date.now()}:${this.counter++}`).slice(0, 12),
      folders: new Map(), items: new Map(), itemLog: [], folderLog: [], seq: 0,
    };
    this.mailboxes.set(mbx.smtp, mbx);
    const root: SimFolder = { id: this.newId('F', mbx), version: 1, parentId: null, displayName: 'Top of Information Store', folderClass: 'IPF.Note', distinguished: 'msgfolderroot' };
    mbx.folders.set(root.id, root);
    for (const [dist, [name, cls]] of Object.entries(LOCALIZED[locale] ?? LOCALIZED.en as Record<string, [string, string]>)) {
      this.addFolder(mbx.smtp, name, { parentId: root.id, folderClass: cls, distinguished: dist });
    }
    return mbx;
  }

  mailbox(smtp: string): SimMailbox | undefined {
    return this.mailboxes.get(smtp.toLowerCase());
  }

  private must(smtp: string): SimMailbox {
    const m = this.mailbox(smtp);
    if (!m) throw new Error(`ews-sim: no mailbox ${smtp}`);
    return m;
  }

  private newId(kind: 'F' | 'I' | 'A', mbx: SimMailbox): string {
    // Shaped like real EWS ids (long base64), unique across the store.
    return b64(`${kind}\u0000${mbx.smtp}\u0000${++this.counter}\u0000${'x'.repeat(24)}`);
  }

  root(smtp: string): SimFolder {
    return [...this.must(smtp).folders.values()].find((f) => f.distinguished === 'msgfolderroot') as SimFolder;
  }

  /** The folder with this DistinguishedFolderId, or the folder with this display-name path below the root. */
  folder(smtp: string, ref: string | string[]): SimFolder {
    const mbx = this.must(smtp);
    if (typeof ref === 'string') {
      const f = [...mbx.folders.values()].find((x) => x.distinguished === ref);
      if (!f) throw new Error(`ews-sim: no folder ${ref} in ${smtp}`);
      return f;
    }
    let cur = this.root(smtp);
    for (const name of ref) {
      const next = [...mbx.folders.values()].find((x) => x.parentId === cur.id && x.displayName === name);
      if (!next) throw new Error(`ews-sim: no folder ${ref.join('/')} in ${smtp}`);
      cur = next;
    }
    return cur;
  }

  addFolder(smtp: string, displayName: string, opts: { parentId?: string; folderClass?: string; distinguished?: string } = {}): SimFolder {
    const mbx = this.must(smtp);
    const f: SimFolder = {
      id: this.newId('F', mbx), version: 1, parentId: opts.parentId ?? this.root(smtp).id, displayName,
      folderClass: opts.folderClass ?? 'IPF.Note', distinguished: opts.distinguished,
    };
    mbx.folders.set(f.id, f);
    mbx.folderLog.push({ seq: ++mbx.seq, folderId: f.id, kind: 'create' });
    return f;
  }

  renameFolder(smtp: string, folderId: string, displayName: string): void {
    const mbx = this.must(smtp);
    const f = mbx.folders.get(folderId);
    if (!f) throw new Error(`ews-sim: no folder ${folderId}`);
    f.displayName = displayName;
    f.version++;
    mbx.folderLog.push({ seq: ++mbx.seq, folderId, kind: 'update' });
  }

  addItem(smtp: string, folderId: string, element: ItemElement, fields: Map<string, string>, extra: Partial<Pick<SimItem, 'mime' | 'failWith' | 'hidden' | 'attachments' | 'masterId'>> = {}): SimItem {
    const mbx = this.must(smtp);
    if (!mbx.folders.has(folderId)) throw new Error(`ews-sim: no folder ${folderId}`);
    const item: SimItem = { id: this.newId('I', mbx), version: 1, folderId, element, fields, attachments: [], ...extra };
    item.attachments = item.attachments.map((a) => ({ ...a, id: a.id || this.newId('A', mbx) }));
    mbx.items.set(item.id, item);
    if (!item.hidden) mbx.itemLog.push({ seq: ++mbx.seq, itemId: item.id, folderId, kind: 'create' });
    return item;
  }

  /** Replaces or adds property elements; `readOnly` marks a change of IsRead only (a ReadFlagChange). */
  updateItem(smtp: string, itemId: string, fields: Record<string, string | undefined>, opts: { mime?: Buffer; readOnly?: boolean } = {}): SimItem {
    const mbx = this.must(smtp);
    const item = mbx.items.get(itemId);
    if (!item) throw new Error(`ews-sim: no item ${itemId}`);
    for (const [k, v] of Object.entries(fields)) {
      if (v === undefined) item.fields.delete(k);
      else item.fields.set(k, v);
    }
    if (opts.mime) item.mime = opts.mime;
    item.version++;
    if (!item.hidden) mbx.itemLog.push({ seq: ++mbx.seq, itemId, folderId: item.folderId, kind: opts.readOnly ? 'readflag' : 'update' });
    return item;
  }

  deleteItem(smtp: string, itemId: string): void {
    const mbx = this.must(smtp);
    const item = mbx.items.get(itemId);
    if (!item) throw new Error(`ews-sim: no item ${itemId}`);
    mbx.items.delete(itemId);
    if (!item.hidden) mbx.itemLog.push({ seq: ++mbx.seq, itemId, folderId: item.folderId, kind: 'delete' });
  }

  /**
   * ChangeKeys as Exchange writes them: 40 base64 characters whose first 8 bytes name the item
   * type (CalendarItem "DwAAABYAAAA…", Message "CQAAABYAAAA…", Contact "EQAAABYAAAA…", Task
   * "EwAAABYAAAA…", folders "AQAAABYAAAA…"); an occurrence exception has its master's.
   */
  changeKey(x: { id: string; version: number; element?: ItemElement; masterId?: string }): string {
    const master = x.masterId ? [...this.mailboxes.values()].map((m) => m.items.get(x.masterId as string)).find(Boolean) : undefined;
    const src = master ?? x;
    const type = { CalendarItem: 0x0f, Message: 0x09, Contact: 0x11, DistributionList: 0x11, Task: 0x13 }[src.element ?? 'Message'] ?? 0x09;
    const prefix = Buffer.from([x.element === undefined ? 0x01 : type, 0, 0, 0, 0x16, 0, 0, 0]);
    return Buffer.concat([prefix, createHash('sha1').update(`${src.id}:${src.version}`).digest().subarray(0, 22)]).toString('base64');
  }

  /** The X.500 legacyExchangeDN of a mailbox (what EX addresses carry). */
  legacyDn(smtp: string): string {
    return `/O=SIM/OU=EXCHANGE ADMINISTRATIVE GROUP (FYDIBOHF23SPDLT)/CN=RECIPIENTS/CN=${createHash('sha1').update(smtp.toLowerCase()).digest('hex').slice(0, 32).toUpperCase()}-${(smtp.split('@')[0] ?? '').toUpperCase()}`;
  }

  items(smtp: string, folderId: string): SimItem[] {
    return [...this.must(smtp).items.values()].filter((i) => i.folderId === folderId && !i.hidden);
  }

  // --- SyncState: gzip + base64 of "scope|generation|seq|check" (real ones start "H4sI") -----

  private encodeState(mbx: SimMailbox, scope: string, seq: number): string {
    const body = `${scope}|${mbx.generation}|${seq}`;
    return gzipSync(Buffer.from(`${body}|${createHash('sha1').update(body).digest('hex').slice(0, 8)}`)).toString('base64');
  }

  private decodeState(mbx: SimMailbox, scope: string, state: string | undefined): number {
    if (state === undefined || state === '') return 0;
    let parts: string[];
    try {
      parts = gunzipSync(Buffer.from(state, 'base64')).toString('utf8').split('|');
    } catch {
      throw new InvalidSyncState('invalid sync state');
    }
    const [sc, gen, seq, check] = parts;
    const body = `${sc}|${gen}|${seq}`;
    if (parts.length !== 4 || sc !== scope || gen !== mbx.generation || check !== createHash('sha1').update(body).digest('hex').slice(0, 8)) {
      throw new InvalidSyncState('invalid sync state');
    }
    return Number(seq);
  }

  /** SyncFolderItems: changes after `state` in `folderId`, at most `max`, and the state after them. */
  syncItems(smtp: string, folderId: string, state: string | undefined, max: number): { entries: SyncItemEntry[]; state: string; includesLast: boolean } {
    const mbx = this.must(smtp);
    const since = this.decodeState(mbx, `i:${folderId}`, state);
    const per = new Map<string, { created: boolean; kinds: Set<string>; last: number }>();
    for (const c of mbx.itemLog) {
      if (c.folderId !== folderId || c.seq <= since) continue;
      const p = per.get(c.itemId) ?? { created: false, kinds: new Set<string>(), last: 0 };
      if (c.kind === 'create') p.created = true;
      p.kinds.add(c.kind);
      p.last = c.seq;
      per.set(c.itemId, p);
    }
    const ordered: { entry: SyncItemEntry; last: number }[] = [];
    for (const [itemId, p] of [...per.entries()].sort((a, b) => a[1].last - b[1].last)) {
      const item = mbx.items.get(itemId);
      const exists = item !== undefined && item.folderId === folderId;
      if (!exists) {
        if (!p.created) ordered.push({ entry: { kind: 'Delete', itemId }, last: p.last });
      } else if (p.created) ordered.push({ entry: { kind: 'Create', item }, last: p.last });
      else if ([...p.kinds].every((k) => k === 'readflag')) ordered.push({ entry: { kind: 'ReadFlagChange', item }, last: p.last });
      else ordered.push({ entry: { kind: 'Update', item }, last: p.last });
    }
    const page = ordered.slice(0, Math.max(1, max));
    const includesLast = page.length === ordered.length;
    const upTo = includesLast ? mbx.seq : (page[page.length - 1] as { last: number }).last;
    return { entries: page.map((p) => p.entry), state: this.encodeState(mbx, `i:${folderId}`, upTo), includesLast };
  }

  /** SyncFolderHierarchy below `rootId`: folder changes after `state` (parents before children). */
  syncFolders(smtp: string, rootId: string, state: string | undefined): { entries: SyncFolderEntry[]; state: string } {
    const mbx = this.must(smtp);
    const since = this.decodeState(mbx, `h:${rootId}`, state);
    const below = (f: SimFolder): boolean => {
      for (let p = f.parentId; p; p = mbx.folders.get(p)?.parentId ?? null) if (p === rootId) return true;
      return false;
    };
    const per = new Map<string, { created: boolean; last: number }>();
    for (const c of mbx.folderLog) {
      if (c.seq <= since) continue;
      const p = per.get(c.folderId) ?? { created: false, last: c.seq };
      if (c.kind === 'create') p.created = true;
      per.set(c.folderId, p);
    }
    const entries: SyncFolderEntry[] = [];
    for (const [folderId, p] of per) {
      const f = mbx.folders.get(folderId);
      if (!f) { if (!p.created) entries.push({ kind: 'Delete', folderId }); continue; }
      if (!below(f)) continue;
      entries.push({ kind: p.created ? 'Create' : 'Update', folder: f });
    }
    return { entries, state: this.encodeState(mbx, `h:${rootId}`, mbx.seq) };
  }
}
