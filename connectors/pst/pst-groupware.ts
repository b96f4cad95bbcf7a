/**
 * PST appointments, contacts, distribution lists and tasks → iCalendar / vCard bytes: the
 * message's properties are handed to the pure MAPI mapping (mappings/mapi/groupware-item.ts)
 * through a reader over pst-extractor's property table, and the neutral model goes through the
 * shared converters (mappings/groupware). Items of another class in such a folder (a mail left
 * in a calendar) are an error naming the class. Appointments and tasks carry their attachments
 * (mappings/mapi/item-attachments.ts: recurrence exceptions excluded, over 25 MiB not loaded);
 * what is not carried as it is comes back in `warnings`.
 */
import type { PSTMessage } from 'pst-extractor';
import { contactToVCard, eventToICalendar, groupToVCard, taskToICalendar, type VCardVersion } from '../../mappings/groupware/index.js';
import {
  toCalendarEvent, toContact, toContactGroup, toTask, type MapiGroupwareItem, type MapiPropertyReader, type MapiRecipient, type PropRef, type PropSet,
} from '../../mappings/mapi/groupware-item.js';
import { itemAttachments, type MapiAttachmentRow } from '../../mappings/mapi/item-attachments.js';
import type { ItemKind } from '../../src/model/types.js';
import { PR_ATTACH_DATA, PR_ATTACHMENT_HIDDEN, parseMultiValue } from '../../mappings/mapi/mapi-values.js';
import { attachmentCount, internals, messageState, rawValue, recipientAddress, recipientRows, senders, type Internals } from './pst-message.js';
import { attachmentBytes, attachmentSize, loadAttachment } from './pst-objects.js';
import { quietly } from './pst-reader.js';
import { coerceError } from '../../src/util/errors.js';

/** pst-extractor's index of each property set in its GUID table (PSTFile.guidMap). */
const SET_INDEX: Record<PropSet, number> = { common: 1, address: 2, appointment: 4, meeting: 5, task: 10 };

const PT = { SHORT: 0x02, LONG: 0x03, DOUBLE: 0x05, BOOLEAN: 0x0b, STRING8: 0x1e, UNICODE: 0x1f, SYSTIME: 0x40, BINARY: 0x102, MV_BINARY: 0x1102 };
const PR_ATTACHMENT_CONTACTPHOTO = 0x7fff;
const PR_RECIPIENT_TRACKSTATUS = 0x5fff;
const PR_ATTACHMENT_FLAGS = 0x7ffd;
const PT_OBJECT = 0x000d;

/** Typed access to one PST object's properties, tagged and named. */
export function pstPropertyReader(o: Internals): MapiPropertyReader {
  const idOf = (p: PropRef): number => (typeof p === 'number' ? p : o.pstFile.getNameToIdMapItem(p[1], SET_INDEX[p[0]]));
  const typed = (p: PropRef, ...types: number[]): number | undefined => {
    const id = idOf(p);
    const item = id >= 0 ? o.pstTableItems?.get(id) : undefined;
    return item && types.includes(item.entryValueType) ? id : undefined;
  };
  return {
    string: (p) => {
      const id = typed(p, PT.STRING8, PT.UNICODE);
      const s = id === undefined ? undefined : o.getStringItem(id).replace(/\0+$/, '');
      return s ? s : undefined;
    },
    number: (p) => {
      const id = typed(p, PT.SHORT, PT.LONG, PT.DOUBLE);
      if (id === undefined) return undefined;
      return o.pstTableItems?.get(id)?.entryValueType === PT.DOUBLE ? (o as unknown as { getDoubleItem(id: number): number }).getDoubleItem(id) : o.getIntItem(id);
    },
    bool: (p) => {
      const id = typed(p, PT.BOOLEAN);
      return id === undefined ? undefined : (o as unknown as { getBooleanItem(id: number): boolean }).getBooleanItem(id);
    },
    date: (p) => {
      const id = typed(p, PT.SYSTIME);
      const d = id === undefined ? undefined : (o as unknown as { getDateItem(id: number): Date | null }).getDateItem(id);
      return d && !Number.isNaN(d.getTime()) ? d : undefined;
    },
    binary: (p) => {
      const id = typed(p, PT.BINARY);
      return id === undefined ? undefined : rawValue(o, id);
    },
    binaries: (p) => {
      const id = typed(p, PT.MV_BINARY);
      const data = id === undefined ? undefined : rawValue(o, id);
      return data ? parseMultiValue(data) : undefined;
    },
  };
}

/** The contact photo attachment (PR_ATTACHMENT_CONTACTPHOTO), when there is one. */
function contactPhoto(msg: PSTMessage): MapiGroupwareItem['contactPhoto'] {
  for (let i = 0, n = attachmentCount(msg); i < n; i++) {
    const att = quietly(() => loadAttachment(msg, i));
    const o = internals(att);
    const flag = o.pstTableItems?.get(PR_ATTACHMENT_CONTACTPHOTO);
    if (!flag || flag.data.length === 0 || flag.data[0] === 0) continue;
    const data = attachmentBytes(att);
    if (!data) throw new Error(`the contact photo (attachment ${i + 1}) has no data`);
    const mime = att.mimeTag?.trim().toLowerCase();
    return { mimeType: mime?.startsWith('image/') ? mime : undefined, data };
  }
  return undefined;
}

/** One attachment row as the pure attachment mapping sees it; its bytes are read only on demand. */
function attachmentRow(msg: PSTMessage, i: number): MapiAttachmentRow {
  let att;
  try {
    att = quietly(() => loadAttachment(msg, i));
  } catch (err) {
    throw new Error(`attachment ${i + 1} cannot be read: ${coerceError(err).message}`, { cause: err });
  }
  const o = internals(att);
  const flag = (id: number): boolean => { const d = o.pstTableItems?.get(id)?.data; return !!d && d.length > 0 && d[0] !== 0; };
  const method = o.pstTableItems?.has(0x3705) ? att.attachMethod : undefined;
  const size = method === 6 ? null : quietly(() => attachmentSize(att));
  return {
    method,
    name: att.longFilename || att.filename || att.displayName || undefined,
    mimeType: att.mimeTag || undefined,
    hidden: flag(PR_ATTACHMENT_HIDDEN),
    flags: o.pstTableItems?.has(PR_ATTACHMENT_FLAGS) ? o.getIntItem(PR_ATTACHMENT_FLAGS) : undefined,
    contactPhoto: flag(PR_ATTACHMENT_CONTACTPHOTO),
    path: att.longPathname || att.pathname || undefined,
    size: size ?? undefined,
    read: () => {
      if (method === 6) {
        // an OLE object: PR_ATTACH_DATA_OBJ names a subnode holding the compound file
        const ref = o.pstTableItems?.get(PR_ATTACH_DATA);
        return ref?.entryValueType === PT_OBJECT ? o.localDescriptorItems?.get(ref.data.readUInt32LE(0))?.getData() : rawValue(o, PR_ATTACH_DATA);
      }
      return size === null ? undefined : attachmentBytes(att) ?? undefined;
    },
  };
}

/** The user's attachments of an appointment or task, and what is not carried as it is. */
export function pstItemAttachments(msg: PSTMessage, label: string, maxBytes?: number): ReturnType<typeof itemAttachments> {
  const rows: MapiAttachmentRow[] = [];
  for (let i = 0, n = attachmentCount(msg); i < n; i++) rows.push(attachmentRow(msg, i));
  return itemAttachments(label, rows, maxBytes);
}

/** The MAPI view of a PST message. `label` names it in errors; `fallbackUid` is its UID when it has no global object id. */
export function pstGroupwareItem(msg: PSTMessage, label: string, fallbackUid: string, withPhoto = false): MapiGroupwareItem {
  const o = internals(msg);
  const recipients: MapiRecipient[] = recipientRows(msg).map((r) => {
    const a = recipientAddress(r);
    const ro = r as unknown as Internals;
    return {
      name: a.name, email: a.address, type: r.recipientType, flags: r.recipientFlags,
      trackStatus: ro.pstTableItems?.has(PR_RECIPIENT_TRACKSTATUS) ? ro.getIntItem(PR_RECIPIENT_TRACKSTATUS) : undefined,
    };
  });
  const from = senders(msg).from;
  return {
    label, fallbackUid, props: pstPropertyReader(o), recipients,
    categories: messageState(msg).categories,
    organizer: from ? { name: from.name, email: from.address } : undefined,
    contactPhoto: withPhoto ? contactPhoto(msg) : undefined,
  };
}

/** Message classes each groupware folder kind converts. */
const CLASSES: Record<Exclude<ItemKind, 'mail'>, RegExp> = {
  event: /^IPM\.(Appointment|OLE\.CLASS\.\{00061055-0000-0000-C000-000000000046\})(\.|$)/i,
  contact: /^IPM\.(Contact|DistList)(\.|$)/i,
  task: /^IPM\.Task(\.|$)/i,
};

export interface GroupwareOutput {
  content: Buffer;
  /** Members of a distribution list that could not be written (no address). */
  skipped?: string[];
  /** Attachments not carried as they are (over the size limit, links, attached messages), each naming the item and why. */
  warnings?: string[];
}

/**
 * One item of a calendar, contact or task folder as .ics / .vcf bytes. Throws an Error starting
 * with `label` and naming the reason (the caller adds file, folder and node).
 */
export function pstGroupwareContent(kind: Exclude<ItemKind, 'mail'>, msg: PSTMessage, label: string, fallbackUid: string, vcardVersion: VCardVersion = '3.0'): GroupwareOutput {
  try {
    return convert(kind, msg, label, fallbackUid, vcardVersion);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(reason.startsWith(`${label}:`) ? reason : `${label}: ${reason}`, { cause: err });
  }
}

function convert(kind: Exclude<ItemKind, 'mail'>, msg: PSTMessage, label: string, fallbackUid: string, vcardVersion: VCardVersion): GroupwareOutput {
  const cls = msg.messageClass || '(no class)';
  if (!CLASSES[kind].test(cls)) throw new Error(`${cls} item in a ${kind === 'event' ? 'calendar' : kind === 'contact' ? 'contacts' : 'task'} folder: not ${kind === 'event' ? 'an appointment' : `a ${kind}`}`);
  const withAttachments = (): { item: MapiGroupwareItem; warnings?: string[] } => {
    const a = pstItemAttachments(msg, label);
    return { item: { ...pstGroupwareItem(msg, label, fallbackUid), attachments: a.attachments }, warnings: a.warnings.length ? a.warnings : undefined };
  };
  switch (kind) {
    case 'event': {
      const { item, warnings } = withAttachments();
      return { content: Buffer.from(eventToICalendar(toCalendarEvent(item)), 'utf8'), warnings };
    }
    case 'task': {
      const { item, warnings } = withAttachments();
      return { content: Buffer.from(taskToICalendar(toTask(item)), 'utf8'), warnings };
    }
    case 'contact': {
      if (/^IPM\.DistList/i.test(cls)) {
        const g = groupToVCard(toContactGroup(pstGroupwareItem(msg, label, fallbackUid)), vcardVersion);
        return { content: Buffer.from(g.text, 'utf8'), skipped: g.skipped.length ? g.skipped : undefined };
      }
      return { content: Buffer.from(contactToVCard(toContact(pstGroupwareItem(msg, label, fallbackUid, true)), vcardVersion), 'utf8') };
    }
  }
}
