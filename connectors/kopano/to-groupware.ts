/**
 * Kopano appointments, contacts, distribution lists and tasks → the neutral groupware model
 * (src/model/groupware.ts), through the MAPI mapping shared with the PST and .msg sources
 * (mappings/mapi/groupware-item.ts): this module only hands it the backup's properties (named ones
 * by Kopano's property set ids), recipients, categories and contact photo. Pure.
 *
 * PT_SYSTIME values are UTC instants in the backup; UIDs come from the global object id
 * (mappings/mapi/global-object-id.ts), else "kopano-<sourcekey>".
 */
import type { CalendarEvent, Contact, ContactGroup, Task } from '../../src/model/groupware.js';
import {
  toCalendarEvent as mapEvent, toContact as mapContact, toContactGroup as mapGroup, toTask as mapTask,
  type MapiGroupwareItem, type MapiPropertyReader, type PropRef, type PropSet,
} from '../../mappings/mapi/groupware-item.js';
import type { KopanoItem } from './backup-reader.js';
import { PSETID, propId, type MapiValue, type PropList } from './mapi-props.js';
import { TAG, categories, recipientAddress } from './to-mail.js';

/** PSETID_Meeting {6ED8DA90-450B-101B-98DA-00AA003F1305} as stored. */
export const PSETID_MEETING = '90DAD86E0B451B1098DA00AA003F1305';

const SETS: Record<PropSet, string> = {
  common: PSETID.Common, address: PSETID.Address, appointment: PSETID.Appointment, meeting: PSETID_MEETING, task: PSETID.Task,
};

/** PR_ATTACHMENT_CONTACTPHOTO: the attachment is the contact's picture. */
const PR_ATTACHMENT_CONTACTPHOTO = 0x7fff000b;

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

export const toCalendarEvent = (item: KopanoItem): CalendarEvent => mapEvent(mapiItem(item, 'appointment'));
export const toTask = (item: KopanoItem): Task => mapTask(mapiItem(item, 'task'));
export const toContact = (item: KopanoItem): Contact => mapContact(mapiItem(item, 'contact'));
export const toContactGroup = (item: KopanoItem): ContactGroup => mapGroup(mapiItem(item, 'distribution list'));
