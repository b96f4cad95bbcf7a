/**
 * A MAPI item (properties, recipients, attachments: a Kopano item, a TNEF message) → the neutral
 * `MailMessage` the MIME builder in mappings/mapi turns into RFC 5322. Pure.
 *
 * Addresses: SMTP address types are used as they are; for EX/ZARAFA entries the SMTP address
 * property (PR_*_SMTP_ADDRESS, PR_SMTP_ADDRESS) is taken. HTML bodies (PR_HTML, binary) are
 * decoded with the message's PR_INTERNET_CPID code page (iconv-lite). Categories come from the
 * named property PS_PUBLIC_STRINGS "Keywords".
 */
import iconv from 'iconv-lite';
import type { MailAddress, MailAttachment, MailMessage } from '../../src/model/mail-message.js';
import { flatEntryListAddresses } from './entry-ids.js';
import { PSETID, type MapiAttachment, type MapiItem, type PropList } from './prop-list.js';

export const TAG = {
  MESSAGE_CLASS: 0x001a001f,
  SUBJECT: 0x0037001f,
  IMPORTANCE: 0x00170003,
  SENSITIVITY: 0x00360003,
  CLIENT_SUBMIT_TIME: 0x00390040,
  SENT_REPRESENTING_NAME: 0x0042001f,
  SENT_REPRESENTING_ADDRTYPE: 0x0064001f,
  SENT_REPRESENTING_EMAIL: 0x0065001f,
  TRANSPORT_HEADERS: 0x007d001f,
  REPLY_RECIPIENT_ENTRIES: 0x004f0102,
  SENDER_NAME: 0x0c1a001f,
  SENDER_ADDRTYPE: 0x0c1e001f,
  SENDER_EMAIL: 0x0c1f001f,
  RECIPIENT_TYPE: 0x0c150003,
  DELIVERY_TIME: 0x0e060040,
  MESSAGE_FLAGS: 0x0e070003,
  BODY: 0x1000001f,
  RTF_COMPRESSED: 0x10090102,
  HTML: 0x10130102,
  HTML_TEXT: 0x1013001f,
  INTERNET_MESSAGE_ID: 0x1035001f,
  INTERNET_REFERENCES: 0x1039001f,
  IN_REPLY_TO: 0x1042001f,
  ICON_INDEX: 0x10800003,
  LAST_VERB: 0x10810003,
  FLAG_STATUS: 0x10900003,
  DISPLAY_NAME: 0x3001001f,
  ADDRTYPE: 0x3002001f,
  EMAIL_ADDRESS: 0x3003001f,
  CREATION_TIME: 0x30070040,
  LAST_MODIFICATION_TIME: 0x30080040,
  ATTACH_DATA_BIN: 0x37010102,
  ATTACH_FILENAME: 0x3704001f,
  ATTACH_METHOD: 0x37050003,
  ATTACH_LONG_FILENAME: 0x3707001f,
  ATTACH_MIME_TAG: 0x370e001f,
  ATTACH_CONTENT_ID: 0x3712001f,
  ATTACH_FLAGS: 0x37140003,
  SMTP_ADDRESS: 0x39fe001f,
  INTERNET_CPID: 0x3fde0003,
  SENDER_SMTP_ADDRESS: 0x5d01001f,
  SENT_REPRESENTING_SMTP_ADDRESS: 0x5d02001f,
  ATTACHMENT_HIDDEN: 0x7ffe000b,
} as const;

const MSGFLAG_READ = 0x01;
const FLAG_STATUS_FLAGGED = 2;
const ATT_BY_VALUE = 1;
const ATT_EMBEDDED_MSG = 5;
const ATT_MHTML_REF = 4;

function addr(name: string | undefined, type: string | undefined, email: string | undefined, smtp: string | undefined): MailAddress | undefined {
  const address = smtp || ((type ?? 'SMTP').toUpperCase() === 'SMTP' ? email : undefined) || (email?.includes('@') ? email : undefined);
  if (!name && !address) return undefined;
  return { name: name || undefined, address: address || undefined };
}

export function recipientAddress(r: PropList): MailAddress | undefined {
  return addr(r.string(TAG.DISPLAY_NAME), r.string(TAG.ADDRTYPE), r.string(TAG.EMAIL_ADDRESS), r.string(TAG.SMTP_ADDRESS));
}

/** Text of a binary HTML body in the message's code page (default UTF-8). */
export function decodeCodePage(bytes: Buffer, cpid: number | undefined): string {
  const enc = cpid === undefined || cpid === 65001 ? 'utf8' : cpid === 20127 ? 'ascii' : cpid === 28591 ? 'latin1' : `cp${cpid}`;
  return iconv.encodingExists(enc) ? iconv.decode(bytes, enc) : bytes.toString('utf8');
}

export function categories(props: PropList): string[] | undefined {
  const v = props.named(PSETID.PublicStrings, 'Keywords');
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;
}

function attachment(a: MapiAttachment): MailAttachment {
  const p = a.props;
  const method = p.number(TAG.ATTACH_METHOD) ?? ATT_BY_VALUE;
  const filename = p.string(TAG.ATTACH_LONG_FILENAME) ?? p.string(TAG.ATTACH_FILENAME) ?? p.string(TAG.DISPLAY_NAME);
  const contentId = p.string(TAG.ATTACH_CONTENT_ID)?.replace(/^<|>$/g, '') || undefined;
  const inline = ((p.number(TAG.ATTACH_FLAGS) ?? 0) & ATT_MHTML_REF) !== 0 || (p.bool(TAG.ATTACHMENT_HIDDEN) === true && contentId !== undefined);
  const out: MailAttachment = { filename, mimeType: p.string(TAG.ATTACH_MIME_TAG), contentId, inline: inline || undefined };
  if (method === ATT_EMBEDDED_MSG && a.item) out.message = toMailMessage(a.item);
  else out.data = a.data ?? p.binary(TAG.ATTACH_DATA_BIN) ?? Buffer.alloc(0);
  return out;
}

/** Maps an item; `read` (from the backup index) is used only when PR_MESSAGE_FLAGS is absent. */
export function toMailMessage(item: MapiItem, opts: { read?: boolean } = {}): MailMessage {
  const p = item.props;
  const to: MailAddress[] = [];
  const cc: MailAddress[] = [];
  const bcc: MailAddress[] = [];
  for (const r of item.recipients) {
    const a = recipientAddress(r);
    if (!a) continue;
    const type = r.number(TAG.RECIPIENT_TYPE) ?? 1;
    (type === 2 ? cc : type === 3 ? bcc : to).push(a);
  }
  const html = p.binary(TAG.HTML);
  const verb = p.number(TAG.LAST_VERB);
  const icon = p.number(TAG.ICON_INDEX);
  const importance = p.number(TAG.IMPORTANCE);
  const flags = p.number(TAG.MESSAGE_FLAGS);
  const from = addr(p.string(TAG.SENT_REPRESENTING_NAME), p.string(TAG.SENT_REPRESENTING_ADDRTYPE), p.string(TAG.SENT_REPRESENTING_EMAIL), p.string(TAG.SENT_REPRESENTING_SMTP_ADDRESS))
    ?? addr(p.string(TAG.SENDER_NAME), p.string(TAG.SENDER_ADDRTYPE), p.string(TAG.SENDER_EMAIL), p.string(TAG.SENDER_SMTP_ADDRESS));
  const sender = addr(p.string(TAG.SENDER_NAME), p.string(TAG.SENDER_ADDRTYPE), p.string(TAG.SENDER_EMAIL), p.string(TAG.SENDER_SMTP_ADDRESS));
  const sameSender = sender && from && sender.address?.toLowerCase() === from.address?.toLowerCase();
  const replyEntries = p.binary(TAG.REPLY_RECIPIENT_ENTRIES);
  const replyTo = replyEntries ? flatEntryListAddresses(replyEntries) : [];
  return {
    transportHeaders: p.string(TAG.TRANSPORT_HEADERS) || undefined,
    from,
    sender: sameSender ? undefined : sender,
    replyTo: replyTo.length ? replyTo : undefined,
    to, cc, bcc,
    subject: p.string(TAG.SUBJECT),
    date: p.date(TAG.CLIENT_SUBMIT_TIME),
    deliveryTime: p.date(TAG.DELIVERY_TIME),
    messageId: p.string(TAG.INTERNET_MESSAGE_ID),
    inReplyTo: p.string(TAG.IN_REPLY_TO),
    references: p.string(TAG.INTERNET_REFERENCES),
    bodyText: p.string(TAG.BODY),
    bodyHtml: html ? decodeCodePage(html, p.number(TAG.INTERNET_CPID)) : p.string(TAG.HTML_TEXT),
    rtfCompressed: p.binary(TAG.RTF_COMPRESSED),
    attachments: item.attachments.map(attachment),
    read: flags !== undefined ? (flags & MSGFLAG_READ) !== 0 : opts.read ?? false,
    flagged: p.number(TAG.FLAG_STATUS) === FLAG_STATUS_FLAGGED,
    answered: verb === 102 || verb === 103 || icon === 261,
    forwarded: verb === 104 || icon === 262,
    categories: categories(p),
    messageClass: p.string(TAG.MESSAGE_CLASS),
    importance: importance === 0 ? 'low' : importance === 2 ? 'high' : importance === 1 ? 'normal' : undefined,
  };
}
