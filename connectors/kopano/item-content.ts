/**
 * What one Kopano item becomes in the target: RFC 5322 bytes for mail (MIME builder of
 * mappings/mapi), iCalendar for appointments and tasks, vCard for contacts (mappings/groupware).
 * Which one is decided by the container's kind and checked against the item's message class;
 * an item that does not fit its container, or an unknown class, is a per-item error.
 */
import { buildMime, mailFlags } from '../../mappings/mapi/build-mime.js';
import { mapiInternalDate } from '../../mappings/mapi/internal-date.js';
import { eventToICalendar, taskToICalendar } from '../../mappings/groupware/icalendar.js';
import { contactToVCard, groupToVCard } from '../../mappings/groupware/vcard.js';
import type { ItemKind } from '../../src/model/types.js';
import type { KopanoItem } from './backup-reader.js';
import { TAG, toMailMessage } from '../../mappings/mapi/to-mail.js';
import { toCalendarEvent, toContact, toContactGroup, toTask } from './to-groupware.js';

export interface ConvertedItem {
  content: Buffer;
  flags: string[];
  internalDate?: Date;
  messageId?: string;
  /** What could not be carried into `content` (attachments not carried as they are): recorded with the item. */
  warnings?: string[];
}

/** Container class (PR_CONTAINER_CLASS) → item kind; undefined: a folder type not migrated. */
export function kindOfContainerClass(cls: string | undefined): ItemKind | undefined {
  const c = (cls ?? 'IPF.Note').toLowerCase();
  if (c === 'ipf' || c === 'ipf.note' || c.startsWith('ipf.note.') || c === 'ipf.imap') return 'mail';
  if (c === 'ipf.appointment' || c.startsWith('ipf.appointment.')) return 'event';
  if (c === 'ipf.contact' || c.startsWith('ipf.contact.')) return 'contact';
  if (c === 'ipf.task' || c.startsWith('ipf.task.')) return 'task';
  return undefined;
}

/** Message classes of the groupware kinds; mail takes every other IPM.* and REPORT.* class. */
const GROUPWARE_CLASSES: Record<Exclude<ItemKind, 'mail'>, string[]> = { event: ['ipm.appointment'], contact: ['ipm.contact', 'ipm.distlist'], task: ['ipm.task'] };
/** Outlook item types no target here stores (sticky notes, journal) and the groupware ones. */
const UNSUPPORTED = ['ipm.stickynote', 'ipm.activity', ...Object.values(GROUPWARE_CLASSES).flat()];

const hasClass = (c: string, p: string): boolean => c === p || c.startsWith(`${p}.`);

export function classFits(kind: ItemKind, cls: string): boolean {
  const c = cls.toLowerCase();
  if (kind !== 'mail') return GROUPWARE_CLASSES[kind].some((p) => hasClass(c, p));
  return (hasClass(c, 'ipm') || hasClass(c, 'report')) && !UNSUPPORTED.some((p) => hasClass(c, p));
}

/**
 * `read`: the index's read state when the item has no flags; `storedAt`: when the backup wrote the
 * item (its `items` file's mtime), the last evidence for a mail's INTERNALDATE
 * (mappings/mapi/internal-date.ts: delivery, submit, transport headers, creation, modification).
 */
export async function convertItem(item: KopanoItem, kind: ItemKind, opts: { read?: boolean; storedAt?: Date } = {}): Promise<ConvertedItem> {
  const cls = item.props.string(TAG.MESSAGE_CLASS) ?? (kind === 'mail' ? 'IPM.Note' : '');
  if (!classFits(kind, cls)) throw new Error(`message class ${JSON.stringify(cls)} is not migrated into a ${kind} container`);
  const modified = item.props.date(TAG.LAST_MODIFICATION_TIME);
  switch (kind) {
    case 'mail': {
      const msg = toMailMessage(item, opts);
      const date = mapiInternalDate({
        delivered: msg.deliveryTime, submitted: msg.date, transportHeaders: msg.transportHeaders, created: item.props.date(TAG.CREATION_TIME), modified,
      }, opts.storedAt);
      return { content: await buildMime(msg), flags: mailFlags(msg), internalDate: date?.date, messageId: msg.messageId };
    }
    case 'event': {
      const warnings: string[] = [];
      const content = Buffer.from(eventToICalendar(toCalendarEvent(item, (w) => warnings.push(w))), 'utf8');
      return { content, flags: [], internalDate: modified, ...(warnings.length ? { warnings } : {}) };
    }
    case 'task': {
      const warnings: string[] = [];
      const content = Buffer.from(taskToICalendar(toTask(item, (w) => warnings.push(w))), 'utf8');
      return { content, flags: [], internalDate: modified, ...(warnings.length ? { warnings } : {}) };
    }
    case 'contact':
      if (hasClass(cls.toLowerCase(), 'ipm.distlist')) return { content: Buffer.from(groupToVCard(toContactGroup(item)).text, 'utf8'), flags: [], internalDate: modified };
      return { content: Buffer.from(contactToVCard(toContact(item)), 'utf8'), flags: [], internalDate: modified };
  }
}
