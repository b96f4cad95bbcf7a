/**
 * Outlook .msg appointments, contacts and tasks → iCalendar / vCard bytes, through the same pure
 * MAPI mapping as PST items (mappings/mapi/groupware-item.ts). msgreader decodes only the
 * properties it knows, and some binary ones into its own structures, so the raw value of every
 * property is collected with its `propertyObserver` and decoded here by type ([MS-OXMSG] 2.4:
 * fixed-size values in the property stream, variable-size ones in their own streams); named
 * properties are found through msgreader's rawProps (property set + LID → tag). Appointments
 * and tasks carry their attachments (mappings/mapi/item-attachments.ts: recurrence exceptions
 * excluded, over 25 MiB not carried); what is not carried as it is comes back in `warnings`.
 */
import MsgReaderModule, { type FieldsData } from '@kenjiuno/msgreader';
import { contactToVCard, eventToICalendar, groupToVCard, taskToICalendar, type VCardVersion } from '../../mappings/groupware/index.js';
import {
  toCalendarEvent, toContact, toContactGroup, toTask, type MapiGroupwareItem, type MapiPropertyReader, type PropRef, type PropSet,
} from '../../mappings/mapi/groupware-item.js';
import { itemAttachments, type MapiAttachmentRow } from '../../mappings/mapi/item-attachments.js';
import { decodeCodepage, smtpAddress } from '../../mappings/mapi/mapi-values.js';
import { codepageToEncoding, lcidToCodepage } from '../../mappings/mapi/string8.js';

type ReaderClass = typeof MsgReaderModule.default;
const MsgReader: ReaderClass = (MsgReaderModule as unknown as { default?: ReaderClass }).default ?? (MsgReaderModule as unknown as ReaderClass);

const SETS: Record<PropSet, string> = {
  common: '00062008-0000-0000-c000-000000000046', address: '00062004-0000-0000-c000-000000000046',
  appointment: '00062002-0000-0000-c000-000000000046', meeting: '6ed8da90-450b-101b-98da-00aa003f1305',
  task: '00062003-0000-0000-c000-000000000046',
};
const FILETIME_UNIX_EPOCH = 116444736000000000n;

/** Raw values by full tag (id << 16 | type); the first one seen (a variable-size value's stream comes before its property-stream entry). */
type RawValues = Map<number, Buffer>;

interface Parsed { reader: InstanceType<ReaderClass>; fields: FieldsData; raw: WeakMap<object, RawValues> }

function parse(data: Buffer): Parsed {
  const bytes = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
  const raw = new WeakMap<object, RawValues>();
  const reader = new MsgReader(bytes);
  reader.parserConfig = {
    includeRawProps: true,
    propertyObserver: (fields, tag, value) => {
      let m = raw.get(fields);
      if (!m) raw.set(fields, (m = new Map()));
      if (value && !m.has(tag >>> 0)) m.set(tag >>> 0, Buffer.from(value));
    },
  };
  const fields = reader.getFileData();
  if (fields.error) throw new Error(`not an Outlook .msg file: ${fields.error}`);
  return { reader, fields, raw };
}

/** The item kind a .msg file's message class makes: event, contact, task, or mail for anything else. Throws for a file that is not a .msg. */
export function msgItemKind(data: Buffer): 'mail' | 'event' | 'contact' | 'task' {
  const bytes = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
  const fields = new MsgReader(bytes).getFileData();
  if (fields.error) throw new Error(`not an Outlook .msg file: ${fields.error}`);
  const cls = fields.messageClass ?? '';
  if (/^IPM\.Appointment(\.|$)/i.test(cls)) return 'event';
  if (/^IPM\.(Contact|DistList)(\.|$)/i.test(cls)) return 'contact';
  if (/^IPM\.Task(\.|$)/i.test(cls)) return 'task';
  return 'mail';
}

/** A property reader over one object's (message, recipient) raw values. */
export function msgPropertyReader(fields: FieldsData, values: RawValues, codepage: number | undefined): MapiPropertyReader {
  const named = new Map<string, number>();
  for (const p of fields.rawProps ?? []) {
    if (p.propertySet && p.propertyLid && p.propertyTag) named.set(`${p.propertySet}:${parseInt(p.propertyLid, 16)}`, parseInt(p.propertyTag.slice(0, 4), 16));
  }
  const idOf = (p: PropRef): number | undefined => (typeof p === 'number' ? p : named.get(`${SETS[p[0]]}:${p[1]}`));
  const get = (p: PropRef, type: number): Buffer | undefined => {
    const id = idOf(p);
    return id === undefined ? undefined : values.get(((id << 16) | type) >>> 0);
  };
  return {
    string: (p) => {
      const u = get(p, 0x001f);
      const s = u ? u.toString('utf16le') : (() => {
        const b = get(p, 0x001e);
        return b ? decodeCodepage(b, codepage ?? 1252) ?? b.toString('latin1') : undefined;
      })();
      const t = s?.replace(/\0+$/, '');
      return t ? t : undefined;
    },
    number: (p) => {
      const l = get(p, 0x0003) ?? get(p, 0x0002);
      if (l) return l.length >= 4 ? l.readInt32LE(0) : l.readInt16LE(0);
      const d = get(p, 0x0005);
      return d && d.length >= 8 ? d.readDoubleLE(0) : undefined;
    },
    bool: (p) => {
      const b = get(p, 0x000b);
      return b && b.length ? b[0] !== 0 : undefined;
    },
    date: (p) => {
      const b = get(p, 0x0040);
      if (!b || b.length < 8) return undefined;
      const ticks = b.readBigUInt64LE(0);
      if (ticks === 0n) return undefined;
      const d = new Date(Number((ticks - FILETIME_UNIX_EPOCH) / 10000n));
      return Number.isNaN(d.getTime()) ? undefined : d;
    },
    binary: (p) => get(p, 0x0102),
    // multi-valued binaries are spread over several streams msgreader does not hand out
    binaries: () => undefined,
  };
}

function codepageOf(f: FieldsData, fallback: number | undefined): number | undefined {
  if (f.messageCodepage !== undefined && codepageToEncoding(f.messageCodepage)) return f.messageCodepage;
  if (f.messageLocaleId !== undefined) return lcidToCodepage(f.messageLocaleId) ?? fallback;
  return fallback;
}

/** The message's attachment rows as the pure attachment mapping sees them. */
function attachmentRows(p: Parsed, codepage: number | undefined): MapiAttachmentRow[] {
  return (p.fields.attachments ?? []).map((a): MapiAttachmentRow => {
    const ap = msgPropertyReader(a, p.raw.get(a) ?? new Map(), codepage);
    const method = ap.number(0x3705) ?? (a.innerMsgContent ? 5 : undefined);
    return {
      method,
      name: a.fileName || a.fileNameShort || ap.string(0x3001) || a.name || undefined,
      mimeType: a.attachMimeTag || undefined,
      hidden: a.attachmentHidden ?? ap.bool(0x7ffe),
      flags: ap.number(0x7ffd),
      contactPhoto: ap.bool(0x7fff) === true,
      embeddedClass: a.innerMsgContentFields?.messageClass || undefined,
      path: ap.string(0x370d) ?? ap.string(0x3708),
      size: a.contentLength,
      read: () => (a.dataId === undefined && !a.innerMsgContent ? ap.binary(0x3701) : Buffer.from(p.reader.getAttachment(a).content)),
    };
  });
}

/** The MAPI view of a .msg file's message. */
function msgGroupwareItem(p: Parsed, label: string, fallbackUid: string, codepage: number | undefined): MapiGroupwareItem {
  const f = p.fields;
  const cp = codepageOf(f, codepage);
  const props = msgPropertyReader(f, p.raw.get(f) ?? new Map(), cp);
  const recipients = (f.recipients ?? []).map((r) => {
    const rp = msgPropertyReader(r, p.raw.get(r) ?? new Map(), cp);
    return {
      name: r.name || undefined, email: smtpAddress(r.addressType, r.email, r.smtpAddress),
      type: r.recipType === 'cc' ? 2 : r.recipType === 'bcc' ? 3 : 1, flags: rp.number(0x5ffd), trackStatus: rp.number(0x5fff),
    };
  });
  // PR_SENT_REPRESENTING_ADDRTYPE / _EMAIL_ADDRESS / _SMTP_ADDRESS / _NAME, else the sender
  const organizerEmail = smtpAddress(props.string(0x0064), props.string(0x0065), props.string(0x5d02))
    ?? smtpAddress(f.senderAddressType, f.senderEmail, f.senderSmtpAddress);
  const organizerName = props.string(0x0042) ?? (f.senderName || undefined);
  const photo = (f.attachments ?? []).find((a) => msgPropertyReader(a, p.raw.get(a) ?? new Map(), cp).bool(0x7fff) === true);
  const photoData = photo ? Buffer.from(p.reader.getAttachment(photo).content) : undefined;
  const keywords = (f.rawProps ?? []).find((r) => r.propertyName === 'Keywords')?.value;
  return {
    label, fallbackUid, props, recipients,
    organizer: organizerEmail || organizerName ? { email: organizerEmail, name: organizerName } : undefined,
    categories: Array.isArray(keywords) ? keywords.filter((k): k is string => typeof k === 'string' && k.trim() !== '') : undefined,
    contactPhoto: photoData && photoData.length ? { mimeType: photo?.attachMimeTag?.startsWith('image/') ? photo.attachMimeTag : undefined, data: photoData } : undefined,
  };
}

/**
 * A .msg appointment, contact, distribution list or task as .ics / .vcf bytes, by its message
 * class; undefined for other classes (mail: built as MIME by the caller). Throws an Error
 * naming `label` and the reason.
 */
export function msgGroupwareContent(
  data: Buffer, label: string, fallbackUid: string, opts: { codepage?: number; vcardVersion?: VCardVersion; maxAttachmentBytes?: number } = {},
): { kind: 'event' | 'contact' | 'task'; content: Buffer; warnings?: string[] } | undefined {
  const p = parse(data);
  const cls = p.fields.messageClass ?? '';
  const item = (): MapiGroupwareItem => msgGroupwareItem(p, label, fallbackUid, opts.codepage);
  const withAttachments = (): { item: MapiGroupwareItem; warnings?: string[] } => {
    const base = item();
    const a = itemAttachments(label, attachmentRows(p, codepageOf(p.fields, opts.codepage)), opts.maxAttachmentBytes);
    return { item: { ...base, attachments: a.attachments }, warnings: a.warnings.length ? a.warnings : undefined };
  };
  if (/^IPM\.Appointment(\.|$)/i.test(cls)) {
    const { item: it, warnings } = withAttachments();
    return { kind: 'event', content: Buffer.from(eventToICalendar(toCalendarEvent(it)), 'utf8'), warnings };
  }
  if (/^IPM\.Task(\.|$)/i.test(cls)) {
    const { item: it, warnings } = withAttachments();
    return { kind: 'task', content: Buffer.from(taskToICalendar(toTask(it)), 'utf8'), warnings };
  }
  if (/^IPM\.DistList(\.|$)/i.test(cls)) return { kind: 'contact', content: Buffer.from(groupToVCard(toContactGroup(item()), opts.vcardVersion).text, 'utf8') };
  if (/^IPM\.Contact(\.|$)/i.test(cls)) return { kind: 'contact', content: Buffer.from(contactToVCard(toContact(item()), opts.vcardVersion), 'utf8') };
  return undefined;
}
