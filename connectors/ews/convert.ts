/**
 * Reads calendar items, contacts, distribution lists and tasks in full (GetItem AllProperties,
 * plus a recurring master's modified occurrences and a contact's photo) and converts them with
 * mappings/groupware into .ics / .vcf bytes. Every failure is a per-item error naming the item.
 */
import { ConversionError } from '../../mappings/groupware/errors.js';
import { eventToICalendar, taskToICalendar } from '../../mappings/groupware/icalendar.js';
import { contactToVCard, groupToVCard, type VCardVersion } from '../../mappings/groupware/vcard.js';
import type { ItemContent, ItemKind, ItemMeta } from '../../src/model/types.js';
import { coerceError, FatalError, ItemError, isTransient } from '../../src/util/errors.js';
import { messageError, type EwsMessage } from './client.js';
import { ExAddressBook, exAddressesOf } from './addresses.js';
import { attachmentsOf } from './attachments.js';
import { contactFromEws, eventFromEws, groupFromEws, taskFromEws, type ItemContext } from './groupware.js';
import { attr, kid, kids, textOf, type XmlElement } from './xml.js';

export interface GroupwareOptions {
  /** vCard version written for contacts (default 3.0). */
  vcardVersion?: VCardVersion;
  /** The directory's legacyExchangeDN → mail table (from the directory sync), used before ResolveNames. */
  legacyDnTable?: ReadonlyMap<string, string>;
  /** Attachments of calendar items and tasks larger than this are not fetched (a note names them); default 25 MiB. */
  maxAttachmentBytes?: number;
}

export interface GroupwareApi {
  /** GetItem AllProperties (plus `extraProps`, e.g. the zone properties of calendar items). */
  getItems(ids: string[], extraProps?: string[]): Promise<EwsMessage[]>;
  getAttachments(ids: string[]): Promise<EwsMessage[]>;
  /** ResolveNames for one entry: the response message, undefined when it found nothing. */
  resolveName?(entry: string): Promise<XmlElement | undefined>;
  /** The run's EX address book (shared across mailboxes). */
  addressBook?: ExAddressBook;
  /** The zone properties to ask for with calendar items (rq.calendarZoneProps). */
  zoneProps?: string[];
  /** Notes about one converted item (zone taken as UTC, unresolved addresses, attachments left out). */
  onNotes?(itemId: string, notes: string[]): void;
}

const DEFAULT_MAX_ATTACHMENT = 25 * 1024 * 1024;

const ELEMENT_KIND: Record<string, ItemKind> = { CalendarItem: 'event', Contact: 'contact', DistributionList: 'contact', Task: 'task' };

/** The EWS ItemId of an engine item id (groupware ids carry "|ChangeKey"). */
export function ewsId(id: string): string {
  const bar = id.indexOf('|');
  return bar < 0 ? id : id.slice(0, bar);
}

async function occurrencesOf(master: XmlElement, api: GroupwareApi): Promise<Map<string, XmlElement>> {
  const ids = kids(kid(master, 'ModifiedOccurrences'), 'Occurrence').map((o) => attr(kid(o, 'ItemId'), 'Id')).filter((x): x is string => !!x);
  const out = new Map<string, XmlElement>();
  if (ids.length === 0) return out;
  const msgs = await api.getItems(ids);
  msgs.forEach((m, i) => {
    const el = m.ok ? kids(kid(m.el, 'Items'))[0] : undefined;
    if (el) out.set(ids[i] as string, el);
  });
  return out;
}

async function photoOf(contact: XmlElement, api: GroupwareApi): Promise<{ mimeType: string; data: Buffer } | undefined> {
  const att = kids(kid(contact, 'Attachments'), 'FileAttachment').find((a) => textOf(a, 'IsContactPhoto') === 'true');
  const id = attr(kid(att, 'AttachmentId'), 'Id');
  if (!att || !id) return undefined;
  const [m] = await api.getAttachments([id]);
  if (!m?.ok) throw messageError(m ?? { ok: false, code: 'no answer', el: contact }, 'contact photo');
  const file = kids(kid(m.el, 'Attachments'))[0];
  const content = textOf(file, 'Content');
  if (!content) return undefined;
  return { mimeType: (textOf(file, 'ContentType') ?? textOf(att, 'ContentType') ?? 'image/jpeg').trim(), data: Buffer.from(content.replace(/\s+/g, ''), 'base64') };
}

/** Resolves the EX addresses of `els` not known yet; a failed lookup leaves them unresolved (noted per item). */
async function resolveAddresses(els: XmlElement[], api: GroupwareApi): Promise<void> {
  const dns = els.flatMap(exAddressesOf);
  const ask = api.resolveName?.bind(api);
  if (dns.length && api.addressBook && ask) await api.addressBook.resolve(dns, ask);
}

async function convertOne(itemId: string, el: XmlElement, kind: ItemKind, api: GroupwareApi, opts: GroupwareOptions): Promise<string> {
  const elementKind = ELEMENT_KIND[el.localName];
  if (elementKind !== kind) throw new ItemError(`${el.localName} (${textOf(el, 'ItemClass') ?? 'no class'}) in a ${kind} folder is not migrated`, 'EWS_UNSUPPORTED_ITEM');
  const book = api.addressBook ?? new ExAddressBook(opts.legacyDnTable);
  const ctx: ItemContext = { notes: [], resolveEx: (dn) => book.get(dn) };
  try {
    switch (el.localName) {
      case 'CalendarItem': {
        const occurrences = await occurrencesOf(el, api);
        await resolveAddresses([el, ...occurrences.values()], { ...api, addressBook: book });
        const ev = eventFromEws(itemId, el, occurrences, ctx);
        const attachments = await attachmentsOf(el, api, ctx, opts.maxAttachmentBytes ?? DEFAULT_MAX_ATTACHMENT);
        return eventToICalendar(attachments.length ? { ...ev, attachments } : ev);
      }
      case 'Contact': return contactToVCard(contactFromEws(itemId, el, await photoOf(el, api)), opts.vcardVersion);
      case 'DistributionList':
        await resolveAddresses([el], { ...api, addressBook: book });
        return groupToVCard(groupFromEws(itemId, el, ctx), opts.vcardVersion).text;
      default: {
        const task = taskFromEws(itemId, el);
        const attachments = await attachmentsOf(el, api, ctx, opts.maxAttachmentBytes ?? DEFAULT_MAX_ATTACHMENT);
        return taskToICalendar(attachments.length ? { ...task, attachments } : task);
      }
    }
  } finally {
    if (ctx.notes.length) api.onNotes?.(itemId, ctx.notes);
  }
}

/** Converts one batch; yields each item's bytes or its error. Transient failures propagate (the engine retries the read). */
export async function* convertGroupware(batch: ItemMeta[], kind: ItemKind, api: GroupwareApi, opts: GroupwareOptions):
AsyncIterable<ItemContent | { meta: ItemMeta; error: Error }> {
  const msgs = await api.getItems(batch.map((m) => ewsId(m.id)), kind === 'event' ? api.zoneProps : undefined);
  for (const [i, meta] of batch.entries()) {
    const m = msgs[i];
    if (!m || !m.ok) {
      yield { meta, error: m ? messageError(m, 'GetItem') : new ItemError('EWS returned no answer for this item', 'EWS_NO_ANSWER') };
      continue;
    }
    const el = kids(kid(m.el, 'Items'))[0];
    if (!el) { yield { meta, error: new ItemError('GetItem answered without the item', 'EWS_NO_ITEM') }; continue; }
    try {
      const content = Buffer.from(await convertOne(ewsId(meta.id), el, kind, api, opts), 'utf8');
      yield { meta: { ...meta, size: content.length }, content };
    } catch (err) {
      if (isTransient(err) || err instanceof FatalError) throw err;
      const e = coerceError(err);
      yield { meta, error: e instanceof ConversionError ? new ItemError(`cannot convert: ${e.message}`, 'CONVERSION') : e };
    }
  }
}
