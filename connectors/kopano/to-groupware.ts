/**
 * Kopano appointments, contacts, distribution lists and tasks → the neutral groupware model
 * (src/model/groupware.ts), through the MAPI mapping shared with the PST and .msg sources
 * (mappings/mapi/groupware-item.ts): this module only hands it the backup's properties (named ones
 * by Kopano's property set ids), recipients, categories and contact photo. Pure.
 *
 * PT_SYSTIME values are UTC instants in the backup; UIDs come from the global object id
 * (mappings/mapi/global-object-id.ts), else "kopano-<sourcekey>". Appointments and tasks carry
 * their attachments (mappings/mapi/item-attachments.ts: recurrence exceptions excluded, over
 * 25 MiB not carried); each one not carried as it is is reported to `warn` (and left in the item
 * as a short note naming it).
 */
import type { CalendarEvent, Contact, ContactGroup, Task } from '../../src/model/groupware.js';
import {
  toCalendarEvent as mapEvent, toContact as mapContact, toContactGroup as mapGroup, toTask as mapTask,
  type MapiGroupwareItem, type MapiPropertyReader, type PropRef, type PropSet,
} from '../../mappings/mapi/groupware-item.js';
import { itemAttachments, type MapiAttachmentRow } from '../../mappings/mapi/item-attachments.js';
import type { KopanoAttachment, KopanoItem } from './backup-reader.js';
import { PSETID, propId, type MapiValue, type PropList } from './mapi-props.js';
import { TAG, categories, recipientAddress } from '../../mappings/mapi/to-mail.js';

/** PSETID_Meeting {6ED8DA90-450B-101B-98DA-00AA003F1305} as stored. */
export const PSETID_MEETING = '90DAD86E0B451B1098DA00AA003F1305';

const SETS: Record<PropSet, string> = {
  common: PSETID.Common, address: PSETID.Address, appointment: PSETID.Appointment, meeting: PSETID_MEETING, task: PSETID.Task,
};

/** PR_ATTACHMENT_CONTACTPHOTO: the attachment is the contact's picture. */
const PR_ATTACHMENT_CONTACTPHOTO = 0x7fff000b;
const PR_ATTACHMENT_FLAGS = 0x7ffd0003;
const PR_ATTACH_LONG_PATHNAME = 0x370d001f;
const PR_ATTACH_PATHNAME = 0x3708001f;
const PR_MESSAGE_CLASS = 0x001a001f;

function attachmentRow(a: KopanoAttachment): MapiAttachmentRow {
  const p = a.props;
  const data = a.data ?? p.binary(TAG.ATTACH_DATA_BIN);
  return {
    method: p.number(TAG.ATTACH_METHOD),
    name: p.string(TAG.ATTACH_LONG_FILENAME) ?? p.string(TAG.ATTACH_FILENAME) ?? p.string(TAG.DISPLAY_NAME),
    mimeType: p.string(TAG.ATTACH_MIME_TAG),
    hidden: p.bool(TAG.ATTACHMENT_HIDDEN),
    flags: p.number(PR_ATTACHMENT_FLAGS),
    contactPhoto: p.bool(PR_ATTACHMENT_CONTACTPHOTO) === true,
    embeddedClass: a.item?.props.string(PR_MESSAGE_CLASS),
    path: p.string(PR_ATTACH_LONG_PATHNAME) ?? p.string(PR_ATTACH_PATHNAME),
    size: data?.length,
    read: () => data,
  };
}

/** Typed access to a Kopano property list by property id or named property. */
export function kopanoPropertyReader(p: PropList): MapiPropertyReader {
  const value = (ref: PropRef): MapiValue | undefined => (typeof ref === 'number'
    ? p.props.find((x) => !x.named && propId(x.tag) === ref)?.value
    : p.named(SETS[ref[0]], ref[1]));
  return {
    string: (r) => { const v = value(r); return typeof v === 'string' && v !== '' ? v : undefined; },
    number: (r) => { const v = value(r); return typeof v === 'number' ? v : undefined; },
    bool: (r) => { const v = value(r); return typeof v === 'boolean' ? v : undefined; },
    date: (r) => { const v = value(r); return v instanceof Date && !Number.isNaN(v.getTime()) ? v : undefined; },
    binary: (r) => { const v = value(r); return Buffer.isBuffer(v) ? v : undefined; },
    binaries: (r) => { const v = value(r); return Array.isArray(v) ? v.filter((x): x is Buffer => Buffer.isBuffer(x)) : undefined; },
  };
}

function mapiItem(item: KopanoItem, what: string): MapiGroupwareItem {
  const p = item.props;
  const email = p.string(0x5d02001f) ?? (p.string(TAG.SENT_REPRESENTING_ADDRTYPE)?.toUpperCase() === 'SMTP' ? p.string(TAG.SENT_REPRESENTING_EMAIL) : undefined);
  const name = p.string(TAG.SENT_REPRESENTING_NAME);
  const photo = item.attachments.find((a) => a.props.bool(PR_ATTACHMENT_CONTACTPHOTO) === true && a.data && a.data.length > 0);
  return {
    label: `${what} ${item.sourcekey}`,
    fallbackUid: `kopano-${item.sourcekey}`,
    props: kopanoPropertyReader(p),
    categories: categories(p),
    organizer: email || name ? { email, name } : undefined,
    recipients: item.recipients.flatMap((r) => {
      const a = recipientAddress(r);
      return a ? [{ email: a.address, name: a.name, type: r.number(TAG.RECIPIENT_TYPE), flags: r.number(0x5ffd0003), trackStatus: r.number(0x5fff0003) }] : [];
    }),
    contactPhoto: photo?.data ? { mimeType: photo.props.string(TAG.ATTACH_MIME_TAG), data: photo.data } : undefined,
  };
}

/** The item's user attachments; `warn` hears of each one not carried as it is. */
function withAttachments(item: KopanoItem, what: string, warn: (message: string) => void): MapiGroupwareItem {
  const base = mapiItem(item, what);
  const a = itemAttachments(base.label, item.attachments.map(attachmentRow));
  for (const w of a.warnings) warn(w);
  return { ...base, attachments: a.attachments };
}

/** Warnings go to stderr unless the caller takes them (never silent). */
const stderrWarn = (message: string): void => { process.emitWarning(message, 'KopanoAttachmentWarning'); };

export const toCalendarEvent = (item: KopanoItem, warn: (message: string) => void = stderrWarn): CalendarEvent =>
  mapEvent(withAttachments(item, 'appointment', warn));
export const toTask = (item: KopanoItem, warn: (message: string) => void = stderrWarn): Task => mapTask(withAttachments(item, 'task', warn));
export const toContact = (item: KopanoItem): Contact => mapContact(mapiItem(item, 'contact'));
export const toContactGroup = (item: KopanoItem): ContactGroup => mapGroup(mapiItem(item, 'distribution list'));
