/**
 * The Exchange (EWS) source: one SourceMailbox per mailbox, over a transport shared by the run.
 *
 * - Containers (folders.ts): SyncFolderHierarchy below msgfolderroot; well-known folders are recognised by
 *   their DistinguishedFolderId (GetFolder inbox, sentitems…), never by display name, so
 *   localized mailboxes map the same way. Folder class → kind (IPF.Note mail, IPF.Appointment
 *   event, IPF.Contact contact, IPF.Task task); other classes (notes, journal…) are left out.
 * - Cursor = the SyncFolderItems SyncState; the epoch is constant (EWS item ids are stable). An
 *   expired SyncState restarts the listing from the beginning (items already done are skipped).
 * - Mail items: id = ItemId; bytes = MimeContent; IsRead → \Seen, flag → \Flagged,
 *   categories → keywords, DateTimeReceived → internal date.
 * - Calendar/contact/task items: id = ItemId|ChangeKey, so a changed item is a new version that
 *   the engine copies again (the target keys objects by their UID); bytes = .ics / .vcf from
 *   mappings/groupware.
 */
import type { Logger } from 'pino';
import { categoryKeyword } from '../../mappings/keywords.js';
import type { AccessCheck, Account, ChangePage, Container, ContainerStats, FlagChanges, ItemContent, ItemMeta, SourceConnector, SourceMailbox } from '../../src/model/types.js';
import { FatalError, isTransient, ItemError, reasonOf } from '../../src/util/errors.js';
import { Semaphore } from '../../src/util/semaphore.js';
import { EwsTransport, itemLabel, messageError, type EwsEndpoint, type EwsMailboxIdentity, type EwsMessage } from './client.js';
import { ExAddressBook } from './addresses.js';
import { convertGroupware, ewsId, type GroupwareApi, type GroupwareOptions } from './convert.js';
import { listContainers } from './folders.js';
import * as rq from './requests.js';
import { attr, kid, kids, textOf, type XmlElement } from './xml.js';

const EPOCH = 'ews';
/** Items per GetItem request, and the message bytes one request may carry (a bigger message goes alone). */
const READ_BATCH = 10;
const READ_BATCH_BYTES = 16 * 1024 * 1024;

/** Consecutive batches of at most READ_BATCH items and READ_BATCH_BYTES (by the listed sizes). */
function batches(items: ItemMeta[]): ItemMeta[][] {
  const out: ItemMeta[][] = [];
  let cur: ItemMeta[] = [];
  let bytes = 0;
  for (const m of items) {
    if (cur.length > 0 && (cur.length >= READ_BATCH || bytes + m.size > READ_BATCH_BYTES)) { out.push(cur); cur = []; bytes = 0; }
    cur.push(m);
    bytes += m.size;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** The source connector: shares the transport (caps, token) across mailboxes. */
export class EwsSource implements SourceConnector {
  readonly name = 'ews';
  private readonly transport: EwsTransport;

  /** EX (legacyExchangeDN) → SMTP answers, shared by the run's mailboxes. */
  readonly addressBook: ExAddressBook;

  constructor(ep: EwsEndpoint, private readonly log: Logger, private readonly perMailbox: number, private readonly opts: GroupwareOptions = {}) {
    this.transport = new EwsTransport(ep, log);
    this.addressBook = new ExAddressBook(opts.legacyDnTable);
  }

  get requests(): number {
    return this.transport.requests;
  }

  /** Observes retries (see EwsTransport.onRetry). */
  set onRetry(fn: EwsTransport['onRetry']) {
    this.transport.onRetry = fn;
  }

  async openMailbox(account: Account): Promise<SourceMailbox> {
    return new EwsMailbox(this.transport, { smtp: account.login, password: account.password }, new Semaphore(this.perMailbox), this.log.child({ mailbox: account.login }), this.opts, this.addressBook);
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}


export class EwsMailbox implements SourceMailbox {
  constructor(
    private readonly t: EwsTransport, private readonly who: EwsMailboxIdentity, private readonly cap: Semaphore,
    private readonly log: Logger, private readonly opts: GroupwareOptions, private readonly addressBook = new ExAddressBook(opts.legacyDnTable),
  ) {}

  private call(body: string): Promise<EwsMessage[]> {
    return this.t.call(this.who, this.cap, body);
  }

  /** One-message operations: the message, or the operation's error thrown. */
  private async one(body: string, what: string): Promise<XmlElement> {
    const [m] = await this.call(body);
    if (!m) throw new Error(`${what}: empty EWS response`);
    if (!m.ok) throw m.code === 'ErrorInvalidSyncStateData' ? new ExpiredSyncState() : messageError(m, what);
    return m.el;
  }

  async verify(): Promise<AccessCheck> {
    const checks: AccessCheck['checks'] = [];
    try {
      const [root, inbox] = await this.call(rq.getFolder([{ distinguished: 'msgfolderroot' }, { distinguished: 'inbox' }], 'IdOnly'));
      checks.push({ name: this.t.ep.impersonation ? 'login and impersonation' : 'login', ok: true });
      checks.push({ name: 'mailbox root', ok: root?.ok === true, detail: root?.ok ? undefined : root?.code });
      checks.push({ name: 'inbox', ok: inbox?.ok === true, detail: inbox?.ok ? undefined : inbox?.code });
      const folders = await this.containers();
      checks.push({ name: 'list folders', ok: true, detail: `${folders.length} folders` });
    } catch (err) {
      checks.push({ name: 'login', ok: false, detail: reasonOf(err) });
    }
    return { ok: checks.every((c) => c.ok), checks };
  }

  containers(): Promise<Container[]> {
    return listContainers({ call: (b) => this.call(b), one: (b, w) => this.one(b, w) }, this.who.smtp, this.log);
  }

  async stats(c: Container, opts: { withBytes?: boolean } = {}): Promise<ContainerStats> {
    const el = await this.one(rq.getFolder([{ id: c.id }], 'Default', { size: opts.withBytes }), `folder ${c.path.join('/')}`);
    const f = kids(kid(el, 'Folders'))[0];
    // A calendar's TotalCount can include changed occurrences listed as items of their own, which
    // go with their series master (metaOf): counted from a listing, so the count is what is listed
    // (a calendar is small; mail folders keep the folder's count).
    const own = c.kind === 'event' ? (await this.listing(c, ['calendar:CalendarItemType', 'item:Size'])).filter((e) => occurrenceType(e) === undefined) : undefined;
    const count = own ? own.length : Number(textOf(f, 'TotalCount') ?? 0);
    // No cheap change token exists in EWS: every pass asks SyncFolderItems (one request when nothing changed).
    const token = `${count}:${Date.now()}:${Math.random()}`;
    const stats: ContainerStats = { count, epoch: EPOCH, token };
    // the listing has the sizes anyway: no second listing when they are asked for
    if (own) stats.bytes = own.reduce((n, e) => n + Number(textOf(e, 'Size') ?? 0), 0);
    else if (opts.withBytes) {
      // The folder's size property (Exchange 2010+) saves a listing of every item on each pass.
      const size = kids(f, 'ExtendedProperty').find((p) => Number(attr(kid(p, 'ExtendedFieldURI'), 'PropertyTag')) === rq.FOLDER_SIZE_TAG);
      const bytes = Number(textOf(size, 'Value'));
      stats.bytes = size && Number.isFinite(bytes) ? bytes : (await this.listing(c, ['item:Size'])).reduce((n, e) => n + Number(textOf(e, 'Size') ?? 0), 0);
    }
    return stats;
  }

  /** Every item of a folder (FindItem, paged). */
  private async listing(c: Container, fieldUris: string[]): Promise<XmlElement[]> {
    const out: XmlElement[] = [];
    for (let offset = 0; ;) {
      const el = await this.one(rq.findItems(c.id, offset, 1000, fieldUris), `listing ${c.path.join('/')}`);
      const root = kid(el, 'RootFolder');
      const items = kids(kid(root, 'Items'));
      out.push(...items);
      if (attr(root, 'IncludesLastItemInRange') !== 'false' || items.length === 0) break;
      offset = Number(attr(root, 'IndexedPagingOffset') ?? offset + items.length);
    }
    return out;
  }

  private metaOf(c: Container, el: XmlElement): ItemMeta | undefined {
    const idEl = kid(el, 'ItemId');
    const id = attr(idEl, 'Id');
    if (!id) return undefined;
    const type = occurrenceType(el);
    if (type !== undefined) {
      // Never a separate event sharing the series UID: the master carries it (ModifiedOccurrences → RECURRENCE-ID).
      this.log.debug({ folder: c.path.join('/'), item: id, type }, 'occurrence listed on its own: migrated with its series master');
      return undefined;
    }
    if (c.kind !== 'mail') {
      return { id: `${id}|${attr(idEl, 'ChangeKey') ?? ''}`, size: Number(textOf(el, 'Size') ?? 0) || 0, flags: [] };
    }
    const received = textOf(el, 'DateTimeReceived');
    const date = received ? new Date(received) : undefined;
    const messageId = textOf(el, 'InternetMessageId')?.trim();
    return {
      id, size: Number(textOf(el, 'Size') ?? 0) || 0, flags: flagsOf(el),
      ...(date && !Number.isNaN(date.getTime()) ? { internalDate: date } : {}),
      ...(messageId ? { messageId } : {}),
    };
  }

  async changes(c: Container, cursor: string | null, limit: number): Promise<ChangePage> {
    const fields = rq.listingProps(c.kind);
    let el: XmlElement;
    try {
      el = await this.one(rq.syncFolderItems(c.id, cursor, Math.min(512, Math.max(1, limit)), fields), `sync ${c.path.join('/')}`);
    } catch (err) {
      if (!(err instanceof ExpiredSyncState) || cursor === null) throw err;
      this.log.warn({ folder: c.path.join('/') }, 'SyncState no longer valid: listing the folder from the start (items already copied are skipped)');
      return this.changes(c, null, limit);
    }
    const items: ItemMeta[] = [];
    // Mail folders continued from a SyncState: what went away and what was re-flagged since, so
    // the engine needs no scan of the folder (pagedDeltas). Groupware versions are item ids of
    // their own (id|ChangeKey): those folders are still scanned.
    const deltas = cursor !== null && c.kind === 'mail' ? { deleted: [] as string[], flagged: [] as { id: string; flags: string[] }[] } : undefined;
    const readChanged: string[] = [];
    for (const ch of kids(kid(el, 'Changes'))) {
      const changedId = attr(kid(ch, 'ItemId'), 'Id');
      if (ch.localName === 'Delete' && changedId) deltas?.deleted.push(changedId);
      if (ch.localName === 'ReadFlagChange' && changedId) readChanged.push(changedId);
      if (ch.localName !== 'Create' && ch.localName !== 'Update') continue;
      const item = kids(ch)[0];
      const meta = item ? this.metaOf(c, item) : undefined;
      if (!meta) continue;
      items.push(meta);
      if (ch.localName === 'Update') deltas?.flagged.push({ id: meta.id, flags: meta.flags });
    }
    if (c.kind !== 'mail') await this.fillChangeKeys(c, items);
    if (deltas && readChanged.length > 0) deltas.flagged.push(...(await this.currentFlags(readChanged)));
    const next = textOf(el, 'SyncState');
    if (!next) throw new Error(`sync ${c.path.join('/')}: no SyncState in the answer`);
    return { epoch: EPOCH, items, cursor: next, done: textOf(el, 'IncludesLastItemInRange') !== 'false', ...deltas };
  }

  /** Mail folders: a continued SyncFolderItems listing carries the deletions and flag changes since its SyncState. */
  pagedDeltas(c: Container): boolean {
    return c.kind === 'mail';
  }

  /** The whole flag set of mail items whose read state changed (ReadFlagChange names only IsRead); items gone meanwhile are left out. */
  private async currentFlags(ids: string[]): Promise<{ id: string; flags: string[] }[]> {
    const out: { id: string; flags: string[] }[] = [];
    for (let i = 0; i < ids.length; i += 50) {
      const msgs = await this.call(rq.getItems(ids.slice(i, i + 50), { base: 'IdOnly', fieldUris: ['message:IsRead', 'item:Flag', 'item:Categories'] }));
      for (const m of msgs) {
        const item = m.ok ? kids(kid(m.el, 'Items'))[0] : undefined;
        const id = attr(kid(item, 'ItemId'), 'Id');
        if (item && id) out.push({ id, flags: flagsOf(item) });
      }
    }
    return out;
  }

  /** Exchange lists a Create without its ChangeKey at times: the version part of a groupware id is asked for (one GetItem IdOnly per 50). */
  private async fillChangeKeys(c: Container, items: ItemMeta[]): Promise<void> {
    const missing = items.filter((m) => m.id.endsWith('|'));
    for (let i = 0; i < missing.length; i += 50) {
      const batch = missing.slice(i, i + 50);
      const msgs = await this.call(rq.getItems(batch.map((m) => ewsId(m.id)), { base: 'IdOnly' }));
      batch.forEach((m, j) => {
        const key = attr(kid(kids(kid(msgs[j]?.el, 'Items'))[0], 'ItemId'), 'ChangeKey');
        if (key) m.id = `${ewsId(m.id)}|${key}`;
        else this.log.warn({ folder: c.path.join('/'), item: m.id, code: msgs[j]?.code }, 'no ChangeKey for a listed item: its version is not tracked');
      });
    }
  }

  async flagChanges(c: Container, _since: string | null): Promise<FlagChanges> {
    if (c.kind !== 'mail') return { epoch: EPOCH, items: [], complete: false };
    const list = await this.listing(c, ['message:IsRead', 'item:Flag', 'item:Categories']);
    return { epoch: EPOCH, items: list.flatMap((e) => { const id = attr(kid(e, 'ItemId'), 'Id'); return id ? [{ id, flags: flagsOf(e) }] : []; }), complete: true };
  }

  async allIds(c: Container): Promise<{ epoch: string; ids: string[] }> {
    const list = await this.listing(c, c.kind === 'event' ? ['calendar:CalendarItemType'] : []);
    return { epoch: EPOCH, ids: list.flatMap((e) => { const m = this.metaOf(c, e); return m ? [m.id] : []; }) };
  }

  async lookup(c: Container, ids: string[]): Promise<{ epoch: string; items: ItemMeta[] }> {
    const items: ItemMeta[] = [];
    const fields = rq.listingProps(c.kind);
    for (let i = 0; i < ids.length; i += 50) {
      const batch = ids.slice(i, i + 50);
      const msgs = await this.call(rq.getItems(batch.map(ewsId), { base: 'IdOnly', fieldUris: fields }));
      msgs.forEach((m, j) => {
        const item = m.ok ? kids(kid(m.el, 'Items'))[0] : undefined;
        const meta = item ? this.metaOf(c, item) : undefined;
        // A changed groupware item is a new version (new id): the old one is gone.
        if (meta && meta.id === (c.kind === 'mail' ? ewsId(batch[j] as string) : batch[j])) items.push(meta);
      });
    }
    return { epoch: EPOCH, items };
  }

  async *read(c: Container, items: ItemMeta[]): AsyncIterable<ItemContent | { meta: ItemMeta; error: Error }> {
    const readBatch = (batch: ItemMeta[]) => (c.kind === 'mail' ? this.readMail(batch) : convertGroupware(batch, c.kind, this.groupwareApi(c), this.opts));
    for (const batch of batches(items)) {
      try {
        yield* readBatch(batch);
      } catch (err) {
        if (batch.length === 1 || isTransient(err) || err instanceof FatalError) throw err;
        // An answer for the batch that cannot be read (one item's data made it malformed XML): each
        // item alone, so only the bad one fails, by its id. (Items already yielded are skipped by the engine.)
        for (const meta of batch) {
          try {
            yield* readBatch([meta]);
          } catch (e) {
            if (isTransient(e) || e instanceof FatalError) throw e;
            yield { meta, error: new ItemError(`${itemLabel(meta.id)}: ${reasonOf(e)}`, 'EWS_UNREADABLE') };
          }
        }
      }
    }
  }

  private groupwareApi(c: Container): GroupwareApi {
    const folder = c.path.join('/');
    return {
      getItems: (ids, extra) => this.call(rq.getItems(ids, { base: 'AllProperties', fieldUris: extra })),
      getAttachments: (ids) => this.call(rq.getAttachments(ids)),
      resolveName: async (dn) => {
        const [m] = await this.call(rq.resolveNames(dn));
        // ErrorNameResolutionNoResults: nobody by that DN (left unresolved); several results come as a Warning with the set.
        return m && m.code !== 'ErrorNameResolutionNoResults' && kid(m.el, 'ResolutionSet') ? m.el : undefined;
      },
      addressBook: this.addressBook,
      zoneProps: rq.calendarZoneProps(this.t.ep.version),
      onNotes: (itemId, notes) => this.log.warn({ folder, item: itemId, notes }, 'item converted with notes'),
    };
  }

  private async *readMail(batch: ItemMeta[]): AsyncIterable<ItemContent | { meta: ItemMeta; error: Error }> {
    const msgs = await this.call(rq.getItems(batch.map((m) => m.id), { base: 'IdOnly', mime: true, fieldUris: rq.MAIL_PROPS }));
    for (const [j, meta] of batch.entries()) {
      const m = msgs[j];
      if (!m) { yield { meta, error: new ItemError(`EWS returned no answer for ${itemLabel(meta.id)}`, 'EWS_NO_ANSWER') }; continue; }
      if (!m.ok) { yield { meta, error: messageError(m, `GetItem of ${itemLabel(meta.id)}`) }; continue; }
      const item = kids(kid(m.el, 'Items'))[0];
      const mime = textOf(item, 'MimeContent');
      if (!item || mime === undefined || mime.trim() === '') {
        yield { meta, error: new ItemError(`${itemLabel(meta.id)} has no MimeContent (${item?.localName ?? 'nothing'} ${textOf(item, 'ItemClass') ?? ''}): cannot be exported as a message`.replace(/ \)/, ')'), 'EWS_NO_MIME') };
        continue;
      }
      const content = Buffer.from(mime.replace(/\s+/g, ''), 'base64');
      const fresh = this.metaFromItem(meta, item);
      yield { meta: { ...fresh, size: content.length }, content };
    }
  }

  private metaFromItem(meta: ItemMeta, item: XmlElement): ItemMeta {
    const received = textOf(item, 'DateTimeReceived');
    const date = received ? new Date(received) : undefined;
    return { ...meta, flags: kid(item, 'IsRead') ? flagsOf(item) : meta.flags, ...(date && !Number.isNaN(date.getTime()) ? { internalDate: date } : {}) };
  }

  async close(): Promise<void> {}
}

/** 'Occurrence' or 'Exception' for a single or changed occurrence of a series listed as an item (it goes with its series master); else undefined. */
function occurrenceType(el: XmlElement): 'Occurrence' | 'Exception' | undefined {
  const type = textOf(el, 'CalendarItemType')?.trim();
  return type === 'Occurrence' || type === 'Exception' ? type : undefined;
}

/** IsRead → \Seen, Flag → \Flagged, categories → keywords (sanitised for IMAP). */
export function flagsOf(el: XmlElement): string[] {
  const flags: string[] = [];
  if (textOf(el, 'IsRead') === 'true') flags.push('\\Seen');
  if (textOf(el, 'Flag', 'FlagStatus') === 'Flagged') flags.push('\\Flagged');
  for (const s of kids(kid(el, 'Categories'), 'String')) {
    const k = categoryKeyword(s.textContent ?? '');
    if (k && !flags.includes(k)) flags.push(k);
  }
  return flags;
}

class ExpiredSyncState extends Error {
  constructor() {
    super('ErrorInvalidSyncStateData');
  }
}

