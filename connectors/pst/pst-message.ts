/**
 * A pst-extractor message → the neutral `MailMessage` the MIME builder (mappings/mapi) takes:
 * transport headers, sender and recipients (SMTP where the file has it), subject and dates,
 * plain/HTML/compressed-RTF bodies, attachments by value, embedded messages (attach method 5,
 * recursively), inline images (Content-ID), read/flag/verb state and categories.
 *
 * Attachments by reference (methods 2, 3, 4, 7) have no content in the file: they become a short
 * text/plain part naming the link, so the reader sees what was attached. A part that cannot be
 * read is an error naming the attachment (the item then fails with that reason; nothing is
 * dropped silently).
 */
import iconv from 'iconv-lite';
// the package index first: its dist modules import each other in a cycle that only resolves from there
import type { PSTAttachment, PSTFile, PSTMessage, PSTRecipient } from 'pst-extractor';
import type { MailAddress, MailAttachment, MailMessage } from '../../src/model/mail-message.js';
import type { MapiTimes } from '../../mappings/mapi/internal-date.js';
import {
  ATT_RENDERED_IN_BODY, ATTACH, decodeHtmlBytes, FLAG_STATUS_FLAGGED, importanceOf, parseMultiValueStrings, PR_ATTACH_DATA, PR_ATTACH_FLAGS,
  PR_ATTACHMENT_HIDDEN, PR_BODY_HTML, PR_CREATION_TIME, PR_FLAG_STATUS, PR_IN_REPLY_TO_ID, PR_INTERNET_CPID, PR_INTERNET_REFERENCES,
  PR_LAST_MODIFICATION_TIME, PR_RTF_COMPRESSED, PR_SENDER_SMTP_ADDRESS, PR_SENT_REPRESENTING_SMTP_ADDRESS, smtpAddress, verbState,
} from '../../mappings/mapi/mapi-values.js';
import { attachmentBytes, attachmentRowCount, loadAttachment, recipientObjects, subnodeMessage } from './pst-objects.js';
import { quietly } from './pst-reader.js';
import { decodeString8, FALLBACK_CODEPAGE, objectCodepage, type PropertyLike } from '../../mappings/mapi/string8.js';
import { coerceError } from '../../src/util/errors.js';

/** Embedded messages deeper than this are not followed (a corrupt file could loop). */
const MAX_DEPTH = 10;

/** pst-extractor internals this module reads (present at run time, absent from its typings). */
interface DescriptorItem { getData(): Buffer; subNodeOffsetIndexIdentifier: number }
export interface Internals {
  pstTableItems: Map<number, PropertyLike & { isExternalValueReference: boolean }> | null;
  localDescriptorItems: Map<number, DescriptorItem> | null;
  descriptorIndexNode: unknown;
  pstFile: PSTFile & { nodeMap: { getId(key: string): number } };
  getIntItem(id: number, defaultValue?: number): number;
  getStringItem(id: number): string;
  getBinaryItem(id: number): Buffer | null;
}

export const internals = (o: PSTMessage | PSTAttachment): Internals => o as unknown as Internals;

/** The raw bytes of a property, inline or in a subnode; undefined when absent. */
export function rawValue(o: Internals, id: number): Buffer | undefined {
  const item = o.pstTableItems?.get(id);
  if (!item) return undefined;
  if (!item.isExternalValueReference) return item.data;
  return o.localDescriptorItems?.get(item.entryValueReference)?.getData();
}

const intProp = (o: Internals, id: number): number | undefined => (o.pstTableItems?.has(id) ? o.getIntItem(id) : undefined);
const stringProp = (o: Internals, id: number): string => (o.pstTableItems?.has(id) ? o.getStringItem(id) : '');
const nonEmpty = (s: string | undefined | null): string | undefined => (s ? s : undefined);
const validDate = (d: Date | null | undefined): Date | undefined => (d && !Number.isNaN(d.getTime()) ? d : undefined);

/** The times a PST item's INTERNALDATE is chosen from (mappings/mapi/internal-date.ts). */
export function pstTimes(msg: PSTMessage): MapiTimes {
  return {
    delivered: validDate(msg.messageDeliveryTime),
    submitted: validDate(msg.clientSubmitTime),
    transportHeaders: nonEmpty(msg.transportMessageHeaders),
    created: validDate(msg.getDateItem(PR_CREATION_TIME)),
    modified: validDate(msg.getDateItem(PR_LAST_MODIFICATION_TIME)),
  };
}

/** Maps one message (and its embedded messages) into the neutral model. */
export function toMailMessage(msg: PSTMessage, depth = 0): MailMessage {
  const o = internals(msg);
  const out: MailMessage = {
    transportHeaders: nonEmpty(msg.transportMessageHeaders),
    subject: msg.subject,
    messageId: nonEmpty(msg.internetMessageId?.trim()),
    inReplyTo: nonEmpty(stringProp(o, PR_IN_REPLY_TO_ID).trim()),
    references: nonEmpty(stringProp(o, PR_INTERNET_REFERENCES).trim()),
    messageClass: msg.messageClass,
    importance: importanceOf(intProp(o, 0x0017)),
    ...messageState(msg),
  };
  Object.assign(out, senders(msg));
  Object.assign(out, recipients(msg));
  const created = validDate(msg.getDateItem(PR_CREATION_TIME)) ?? validDate(msg.getDateItem(PR_LAST_MODIFICATION_TIME));
  out.date = validDate(msg.clientSubmitTime) ?? validDate(msg.messageDeliveryTime) ?? created;
  out.deliveryTime = validDate(msg.messageDeliveryTime) ?? out.date;

  out.bodyText = textBody(o);
  out.bodyHtml = htmlBody(o);
  if (out.bodyHtml === undefined) {
    const rtf = o.pstTableItems?.has(PR_RTF_COMPRESSED) ? o.getBinaryItem(PR_RTF_COMPRESSED) : null;
    if (rtf && rtf.length > 0) out.rtfCompressed = rtf;
  }
  const attachments: MailAttachment[] = [];
  for (let i = 0, n = attachmentCount(msg); i < n; i++) {
    const a = attachment(msg, i, depth);
    if (a) attachments.push(a);
  }
  if (attachments.length) out.attachments = attachments;
  return out;
}

/** Read, flag and verb state and categories: what becomes IMAP flags (cheap: no bodies or attachments read). */
export function messageState(msg: PSTMessage): Pick<MailMessage, 'read' | 'flagged' | 'answered' | 'forwarded' | 'categories'> {
  const o = internals(msg);
  return { read: msg.isRead, flagged: intProp(o, PR_FLAG_STATUS) === FLAG_STATUS_FLAGGED, ...verbState(intProp(o, 0x1081)), categories: categories(o) };
}

/** The attachment table's row count (read once per message, pst-objects.ts); an unreadable table is an error. */
export function attachmentCount(msg: PSTMessage): number {
  try {
    return attachmentRowCount(msg);
  } catch (err) {
    throw new Error(`the attachment table cannot be read: ${coerceError(err).message}`, { cause: err });
  }
}

export function senders(msg: PSTMessage): Pick<MailMessage, 'from' | 'sender'> {
  const o = internals(msg);
  const rep: MailAddress = {
    name: nonEmpty(msg.sentRepresentingName),
    address: smtpAddress(msg.sentRepresentingAddressType, msg.sentRepresentingEmailAddress, stringProp(o, PR_SENT_REPRESENTING_SMTP_ADDRESS)),
  };
  const snd: MailAddress = {
    name: nonEmpty(msg.senderName),
    address: smtpAddress(msg.senderAddrtype, msg.senderEmailAddress, stringProp(o, PR_SENDER_SMTP_ADDRESS)),
  };
  const has = (a: MailAddress): boolean => a.name !== undefined || a.address !== undefined;
  const from = has(rep) ? rep : has(snd) ? snd : undefined;
  // "Sender" only when someone sent on behalf of another address
  const sender = from === rep && snd.address && rep.address && snd.address.toLowerCase() !== rep.address.toLowerCase() ? snd : undefined;
  return { from, sender };
}

/**
 * The recipient rows, read once (pst-objects.ts): pst-extractor's getRecipient(i) re-reads the
 * whole recipient table on every call (quadratic: 40 s for a few hundred Bcc). An unreadable
 * table is an error (pst-extractor logs it and goes on as if there were none).
 */
export function recipientRows(msg: PSTMessage): PSTRecipient[] {
  return recipientObjects(msg);
}

/** A recipient's name and SMTP address (when it has one). */
export function recipientAddress(r: PSTRecipient): MailAddress {
  return { name: nonEmpty(r.displayName), address: smtpAddress(r.addrType, r.emailAddress, r.smtpAddress) };
}

function recipients(msg: PSTMessage): Pick<MailMessage, 'to' | 'cc' | 'bcc'> {
  const lists: Record<number, MailAddress[]> = { 1: [], 2: [], 3: [] };
  for (const r of recipientRows(msg)) {
    const entry = recipientAddress(r);
    if (entry.name === undefined && entry.address === undefined) continue;
    (lists[r.recipientType] ?? lists[1]!).push(entry);
  }
  const some = (l: MailAddress[]): MailAddress[] | undefined => (l.length ? l : undefined);
  return { to: some(lists[1]!), cc: some(lists[2]!), bcc: some(lists[3]!) };
}

/** PidNameKeywords (named property "Keywords", PT_MV_UNICODE or PT_MV_STRING8). */
function categories(o: Internals): string[] | undefined {
  const id = o.pstFile.nodeMap.getId('Keywords');
  if (id < 0) return undefined;
  const item = o.pstTableItems?.get(id);
  const data = item ? rawValue(o, id) : undefined;
  if (!item || !data) return undefined;
  if (item.entryValueType !== 0x101f && item.entryValueType !== 0x101e) return undefined;
  const list = parseMultiValueStrings(data, item.entryValueType === 0x101f, (b) => decode8(o, b)).filter((c) => c.trim() !== '');
  return list.length ? list : undefined;
}

/** 8-bit string bytes in the object's code page, else the store's (the resolver openPst installs). */
function decode8(o: Internals, bytes: Buffer): string {
  const encoding = o.pstFile.string8Codepage?.(o.pstTableItems as never);
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return encoding ? iconv.decode(bytes.subarray(0, end), encoding) : decodeString8(bytes, objectCodepage(o.pstTableItems) ?? FALLBACK_CODEPAGE);
}

/**
 * PR_BODY, read here rather than with pst-extractor's getter, which logs an unreadable value and
 * returns '' (the message would lose its text silently); an unreadable body is an error.
 */
function textBody(o: Internals): string | undefined {
  const item = o.pstTableItems?.get(0x1000);
  if (!item) return undefined;
  const bytes = rawValue(o, 0x1000);
  if (!bytes) throw new Error('the text body cannot be read (its data node is missing)');
  if (item.entryValueType === 0x001f) return nonEmpty(bytes.toString('utf16le').replace(/\0+$/, ''));
  if (item.entryValueType === 0x001e) return nonEmpty(decode8(o, bytes));
  return undefined;
}

/** PR_HTML: a string, or (usually) bytes in PR_INTERNET_CPID. */
function htmlBody(o: Internals): string | undefined {
  const item = o.pstTableItems?.get(PR_BODY_HTML);
  if (!item) return undefined;
  if (item.entryValueType === 0x001f || item.entryValueType === 0x001e) return nonEmpty(o.getStringItem(PR_BODY_HTML));
  const bytes = rawValue(o, PR_BODY_HTML);
  if (!bytes || bytes.length === 0) return undefined;
  return nonEmpty(decodeHtmlBytes(bytes, intProp(o, PR_INTERNET_CPID)));
}

/**
 * The message inside an attach-method-5 attachment. PR_ATTACH_DATA_OBJ holds the NID of a
 * subnode of the attachment: the embedded message's property context, with its own subnodes
 * (recipients, attachments). pst-extractor 1.12's own getter gives up on attachments read from
 * a message (it wants a descriptor node the attachment does not have); the parent message's
 * node stands in for it here (only used to name the object).
 */
function embeddedMessage(parent: PSTMessage, att: PSTAttachment): PSTMessage {
  const o = internals(att);
  const ref = o.pstTableItems?.get(PR_ATTACH_DATA);
  if (!ref) throw new Error('the embedded message is missing (no PR_ATTACH_DATA_OBJ)');
  if (ref.entryValueType !== 0x000d) {
    const viaLibrary = quietly(() => att.embeddedPSTMessage);
    if (!viaLibrary) throw new Error(`the embedded message is stored in an unsupported way (type 0x${ref.entryValueType.toString(16)})`);
    return viaLibrary;
  }
  const nid = ref.data.readUInt32LE(0);
  const node = o.localDescriptorItems?.get(nid);
  if (!node) throw new Error(`the embedded message's node ${nid} is missing`);
  return quietly(() => subnodeMessage(internals(parent).pstFile, node as never, internals(parent).descriptorIndexNode as never));
}

function attachment(msg: PSTMessage, index: number, depth: number): MailAttachment | undefined {
  let att: PSTAttachment;
  try {
    att = loadAttachment(msg, index);
  } catch (err) {
    throw new Error(`attachment ${index + 1} cannot be read: ${coerceError(err).message}`, { cause: err });
  }
  const o = internals(att);
  const filename = nonEmpty(att.longFilename) ?? nonEmpty(att.filename) ?? nonEmpty(att.displayName);
  const label = `attachment ${index + 1}${filename ? ` (${JSON.stringify(filename)})` : ''}`;
  try {
    const base: MailAttachment = {
      filename,
      mimeType: nonEmpty(att.mimeTag?.trim().toLowerCase()),
      contentId: nonEmpty(att.contentId?.trim().replace(/^<|>$/g, '')),
      inline: ((intProp(o, PR_ATTACH_FLAGS) ?? 0) & ATT_RENDERED_IN_BODY) !== 0 || (intProp(o, PR_ATTACHMENT_HIDDEN) ?? 0) !== 0,
    };
    switch (att.attachMethod) {
      case ATTACH.EMBEDDED_MSG: {
        if (depth >= MAX_DEPTH) throw new Error(`embedded messages nested more than ${MAX_DEPTH} deep`);
        const inner = embeddedMessage(msg, att);
        // always an attachment: Outlook hides an NDR's returned message, but it is what the reader needs
        return { filename: base.filename, message: toMailMessage(inner, depth + 1) };
      }
      case ATTACH.BY_REFERENCE: case ATTACH.BY_REF_RESOLVE: case ATTACH.BY_REF_ONLY: case ATTACH.BY_WEB_REFERENCE: {
        const target = nonEmpty(att.longPathname) ?? nonEmpty(att.pathname) ?? '(no path stored)';
        return {
          filename: `${filename ?? 'attachment'} (link).txt`, mimeType: 'text/plain',
          data: Buffer.from(`This attachment was a link, not a copy, in the original mailbox:\r\n${filename ?? ''}\r\n${target}\r\n`, 'utf8'),
        };
      }
      case ATTACH.OLE: {
        // PR_ATTACH_DATA_OBJ: the NID of a subnode holding an OLE compound file
        const ref = o.pstTableItems?.get(PR_ATTACH_DATA);
        const data = ref && ref.entryValueType === 0x000d ? o.localDescriptorItems?.get(ref.data.readUInt32LE(0))?.getData() : rawValue(o, PR_ATTACH_DATA);
        if (!data) throw new Error('the OLE object has no data');
        return { ...base, filename: filename ?? `ole-object-${index + 1}.bin`, mimeType: base.mimeType ?? 'application/octet-stream', data };
      }
      default: {
        const data = attachmentBytes(att);
        if (!data) {
          if (att.attachMethod === ATTACH.NONE) return undefined; // a placeholder row without content
          throw new Error(`no data (attach method ${att.attachMethod})`);
        }
        return { ...base, data };
      }
    }
  } catch (err) {
    throw new Error(`${label}: ${coerceError(err).message}`, { cause: err });
  }
}
