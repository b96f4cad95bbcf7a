/**
 * A parsed TNEF message → the neutral `MailMessage` the MIME builder (mappings/mapi/build-mime)
 * turns into MIME. The message-level mapping (addresses from PR_SENT_REPRESENTING_* / PR_SENDER_*
 * and the recipient table, PR_BODY, PR_BODY_HTML in PR_INTERNET_CPID, PR_RTF_COMPRESSED, dates,
 * Message-ID, importance) is the Kopano reader's (mappings/mapi/to-mail), as both are MAPI
 * property lists; legacy attributes (attSubject, attBody, attDateSent, attFrom, attPriority) fill
 * what the properties lack. Attachments are mapped here, as TNEF carries them its own way:
 *
 * - by value: attAttachData (else PR_ATTACH_DATA_BIN); name PR_ATTACH_LONG_FILENAME, else
 *   PR_ATTACH_FILENAME, PR_DISPLAY_NAME, attAttachTitle, attAttachTransportFilename; type
 *   PR_ATTACH_MIME_TAG (else guessed from the name by the builder); PR_ATTACH_CONTENT_ID kept.
 *   Without any bytes it is an error (the caller then keeps the original message).
 * - embedded message (PR_ATTACH_DATA_OBJ, IID_IMessage): a MailMessage of its own → message/rfc822.
 *   One whose stream cannot be read is kept as its raw TNEF stream (`<name>.tnef`), with a warning.
 * - OLE object (method 6): its bytes kept as they are, with a warning (only Outlook opens them).
 * - by reference (a link, no bytes): a short text/plain note naming the link, with a warning.
 *
 * Pure.
 */
import { TAG, toMailMessage } from '../mapi/to-mail.js';
import type { MailAttachment, MailMessage } from '../../src/model/mail-message.js';
import type { TnefAttachment, TnefMessage } from './message.js';
import { TnefError } from './stream.js';

const ATT_NONE = 0;
const ATT_BY_VALUE = 1;
const ATT_EMBEDDED_MSG = 5;
const ATT_OLE = 6;
const BY_REFERENCE: readonly number[] = [2, 3, 4, 7];
const PR_ATTACH_PATHNAME = 0x3708001f;
const PR_ATTACH_LONG_PATHNAME = 0x370d001f;

export interface TnefMail {
  message: MailMessage;
  /** What is in it, for the note recorded with the item. */
  attachments: number;
  embedded: number;
  /** What is not carried as it was (each names the attachment). */
  warnings: string[];
}

/** Maps a parsed TNEF message; `label` names the stream in warnings and errors (e.g. "winmail.dat"). */
export function tnefToMail(t: TnefMessage, label: string): TnefMail {
  const message = toMailMessage({ sourcekey: '', props: t.props, recipients: t.recipients, attachments: [] });
  const l = t.legacy;
  message.subject ??= l.subject;
  message.bodyText ??= l.body;
  message.date ??= l.dateSent;
  message.deliveryTime ??= l.dateReceived;
  message.from ??= l.from;
  if (message.importance === undefined && l.priority !== undefined) message.importance = l.priority === 1 ? 'high' : l.priority === 3 ? 'low' : undefined;
  const out: TnefMail = { message, attachments: 0, embedded: 0, warnings: [] };
  const attachments: MailAttachment[] = [];
  for (const a of t.attachments) {
    const m = attachment(a, label, out);
    if (m) attachments.push(m);
  }
  message.attachments = attachments;
  return out;
}

function nameOf(a: TnefAttachment): string | undefined {
  const p = a.props;
  const n = p.string(TAG.ATTACH_LONG_FILENAME) ?? p.string(TAG.ATTACH_FILENAME) ?? p.string(TAG.DISPLAY_NAME) ?? a.title ?? a.transportName;
  return n?.trim() || undefined;
}

function attachment(a: TnefAttachment, label: string, out: TnefMail): MailAttachment | undefined {
  const p = a.props;
  const name = nameOf(a);
  const what = `${label}: attachment ${a.index}${name ? ` (${JSON.stringify(name)})` : ''}`;
  const method = p.number(TAG.ATTACH_METHOD) ?? (a.embedded || a.embeddedRaw ? ATT_EMBEDDED_MSG : ATT_BY_VALUE);
  const contentId = p.string(TAG.ATTACH_CONTENT_ID)?.trim().replace(/^<|>$/g, '') || undefined;
  const inline = ((p.number(TAG.ATTACH_FLAGS) ?? 0) & 4) !== 0 || (p.bool(TAG.ATTACHMENT_HIDDEN) === true && contentId !== undefined);
  const base = { filename: name, contentId, inline: inline || undefined };

  if (a.embedded) {
    const inner = tnefToMail(a.embedded, `${label}: attachment ${a.index} (an attached message)`);
    out.warnings.push(...inner.warnings);
    out.attachments++;
    out.embedded++;
    return { ...base, message: inner.message };
  }
  if (a.embeddedRaw) {
    out.warnings.push(`${what}: an attached message that cannot be read (${a.embeddedError ?? 'unknown reason'}): kept as its raw TNEF stream`);
    out.attachments++;
    return { filename: `${(name ?? `attachment-${a.index}`).replace(/\.msg$/i, '')}.tnef`, mimeType: 'application/ms-tnef', data: a.embeddedRaw };
  }
  if (BY_REFERENCE.includes(method)) {
    const path = p.string(PR_ATTACH_LONG_PATHNAME) ?? p.string(PR_ATTACH_PATHNAME) ?? '(no path stored)';
    out.warnings.push(`${what}: a link, not a copy (${path}): a note naming it is attached instead`);
    out.attachments++;
    return {
      filename: `${name ?? `attachment-${a.index}`} (link).txt`, mimeType: 'text/plain',
      data: Buffer.from(`This attachment was a link, not a copy, in the original message:\r\n${name ?? ''}\r\n${path}\r\n`, 'utf8'),
    };
  }
  const data = a.data ?? p.binary(TAG.ATTACH_DATA_BIN) ?? a.object;
  if (!data) {
    if (method === ATT_NONE) return undefined; // a placeholder row without content
    throw new TnefError(`${what} has no data (attach method ${method})`);
  }
  if (method === ATT_OLE || a.renderType === 2) {
    out.warnings.push(`${what}: an OLE object, kept as it is (only Outlook can open it)`);
  }
  out.attachments++;
  return { ...base, filename: name ?? (method === ATT_OLE ? `ole-object-${a.index}.bin` : undefined), mimeType: p.string(TAG.ATTACH_MIME_TAG)?.trim().toLowerCase() || undefined, data };
}
