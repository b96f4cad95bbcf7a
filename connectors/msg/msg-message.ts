/**
 * An Outlook .msg file (@kenjiuno/msgreader) → the neutral `MailMessage` the MIME builder takes:
 * the same property model as PST, so the same rules (see connectors/pst/pst-message.ts): transport
 * headers, sender and recipients (SMTP where stored), bodies (HTML bytes in PR_INTERNET_CPID,
 * compressed RTF), attachments, embedded messages (recursively), read state.
 *
 * 8-bit strings of ANSI files are decoded in the file's code page: PR_MESSAGE_CODEPAGE, else the
 * ANSI code page of PR_MESSAGE_LOCALE_ID, else the caller's default (msgreader itself would read
 * them as ASCII): the file is read once to find it and once more with it.
 */
import MsgReaderModule, { type FieldsData } from '@kenjiuno/msgreader';
import type { MapiTimes } from '../../mappings/mapi/internal-date.js';
import type { MailAddress, MailAttachment, MailMessage } from '../../src/model/mail-message.js';
import { decodeHtmlBytes, smtpAddress } from '../../mappings/mapi/mapi-values.js';
import { codepageToEncoding, lcidToCodepage } from '../../mappings/mapi/string8.js';
import { coerceError } from '../../src/util/errors.js';

// the package is CommonJS with `exports.default = MsgReader`: under ESM the class is one level down
type ReaderClass = typeof MsgReaderModule.default;
type Reader = InstanceType<ReaderClass>;
const MsgReader: ReaderClass = (MsgReaderModule as unknown as { default?: ReaderClass }).default ?? (MsgReaderModule as unknown as ReaderClass);

const MSGFLAG_READ = 0x1;
const MAX_DEPTH = 10;

const nonEmpty = (s: string | undefined | null): string | undefined => (s ? s : undefined);
const date = (s: string | undefined): Date | undefined => {
  const d = s ? new Date(s) : undefined;
  return d && !Number.isNaN(d.getTime()) ? d : undefined;
};

/** The code page for the file's 8-bit strings, if it tells (or the default). */
function codepageOf(f: FieldsData, fallback: number | undefined): number | undefined {
  if (f.messageCodepage !== undefined && codepageToEncoding(f.messageCodepage)) return f.messageCodepage;
  if (f.messageLocaleId !== undefined) return lcidToCodepage(f.messageLocaleId) ?? fallback;
  return fallback;
}

/** Reads a .msg file. Throws an Error saying what is wrong when it is not one. */
export function readMsg(data: Buffer, defaultCodepage?: number): MailMessage {
  return readMsgItem(data, defaultCodepage).message;
}

/** Reads a .msg file: the message and the times its INTERNALDATE is chosen from (mappings/mapi/internal-date.ts). */
export function readMsgItem(data: Buffer, defaultCodepage?: number): { message: MailMessage; times: MapiTimes } {
  const bytes = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
  let reader: Reader = new MsgReader(bytes);
  let fields = reader.getFileData();
  if (fields.error) throw new Error(`not an Outlook .msg file: ${fields.error}`);
  const encoding = codepageToEncoding(codepageOf(fields, defaultCodepage) ?? 0);
  if (encoding) {
    reader = new MsgReader(bytes);
    reader.parserConfig = { ansiEncoding: encoding };
    fields = reader.getFileData();
  }
  const times: MapiTimes = {
    delivered: date(fields.messageDeliveryTime), submitted: date(fields.clientSubmitTime), transportHeaders: nonEmpty(fields.headers),
    created: date(fields.creationTime), modified: date(fields.lastModificationTime),
  };
  return { message: toMailMessage(reader, fields, 0), times };
}

function toMailMessage(reader: Reader, f: FieldsData, depth: number): MailMessage {
  const to: MailAddress[] = [];
  const cc: MailAddress[] = [];
  const bcc: MailAddress[] = [];
  for (const r of f.recipients ?? []) {
    const a: MailAddress = { name: nonEmpty(r.name), address: smtpAddress(r.addressType, r.email, r.smtpAddress) };
    if (a.name === undefined && a.address === undefined) continue;
    (r.recipType === 'cc' ? cc : r.recipType === 'bcc' ? bcc : to).push(a);
  }
  const from: MailAddress = { name: nonEmpty(f.senderName), address: smtpAddress(f.senderAddressType, f.senderEmail, f.senderSmtpAddress ?? f.sentRepresentingSmtpAddress) };
  const submitted = date(f.clientSubmitTime);
  const delivered = date(f.messageDeliveryTime);
  const msg: MailMessage = {
    transportHeaders: nonEmpty(f.headers),
    subject: f.subject,
    from: from.name !== undefined || from.address !== undefined ? from : undefined,
    to: to.length ? to : undefined,
    cc: cc.length ? cc : undefined,
    bcc: bcc.length ? bcc : undefined,
    date: submitted ?? delivered ?? date(f.creationTime),
    deliveryTime: delivered ?? submitted,
    messageId: nonEmpty(f.messageId?.trim()),
    messageClass: f.messageClass,
    bodyText: nonEmpty(f.body),
    bodyHtml: nonEmpty(f.bodyHtml) ?? (f.html && f.html.length ? decodeHtmlBytes(Buffer.from(f.html), f.internetCodepage) : undefined),
    rtfCompressed: f.compressedRtf && f.compressedRtf.length ? Buffer.from(f.compressedRtf) : undefined,
    read: ((f.messageFlags ?? 0) & MSGFLAG_READ) !== 0,
  };
  const attachments: MailAttachment[] = [];
  for (const [i, a] of (f.attachments ?? []).entries()) {
    const name = nonEmpty(a.fileName) ?? nonEmpty(a.fileNameShort) ?? nonEmpty(a.name);
    try {
      if (a.innerMsgContent) {
        if (!a.innerMsgContentFields) throw new Error('the embedded message is missing');
        if (depth >= MAX_DEPTH) throw new Error(`embedded messages nested more than ${MAX_DEPTH} deep`);
        attachments.push({ filename: name, message: toMailMessage(reader, a.innerMsgContentFields, depth + 1) });
        continue;
      }
      const content = reader.getAttachment(a);
      attachments.push({
        filename: name ?? nonEmpty(content.fileName), mimeType: nonEmpty(a.attachMimeTag?.trim().toLowerCase()),
        contentId: nonEmpty(a.pidContentId?.trim().replace(/^<|>$/g, '')), inline: a.attachmentHidden === true,
        data: Buffer.from(content.content),
      });
    } catch (err) {
      throw new Error(`attachment ${i + 1}${name ? ` (${JSON.stringify(name)})` : ''}: ${coerceError(err).message}`, { cause: err });
    }
  }
  if (attachments.length) msg.attachments = attachments;
  return msg;
}
