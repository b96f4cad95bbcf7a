/**
 * The MIME builder: a neutral `MailMessage` (read from PST, .msg or a Kopano backup) → RFC 5322
 * bytes, composed with nodemailer's mail-composer.
 *
 *   const bytes = await buildMime(msg);   // Buffer, CRLF line ends
 *   const flags = mailFlags(msg);         // ['\\Seen', '$Forwarded', 'Work', …]  (see mail-flags.ts)
 *   const internalDate = msg.deliveryTime ?? msg.date;
 *
 * Headers: when the message carries its original transport headers (PR_TRANSPORT_MESSAGE_HEADERS)
 * they are kept as they were (Received, From, Subject, Date, Message-ID, X-…, folding and
 * order included), except MIME-Version and Content-*, which describe the original body structure
 * and are replaced by the rebuilt body's; From/To/Cc/Subject/Date/Message-ID missing from them
 * are added from the message's fields. Without transport headers every header is rebuilt from
 * the fields (RFC 2047 encoded words for non-ASCII text, Bcc kept: it is the sender's copy).
 * A Date or Message-ID the message does not have is left out, never invented.
 *
 * Body: text/plain and text/html as multipart/alternative; without an HTML body, compressed RTF
 * is decompressed and its encapsulated HTML (or text) used; genuine RTF is kept as a text/rtf
 * alternative. Inline images referenced by `cid:` in the HTML go into multipart/related with
 * their Content-ID; attachments by value keep their names (RFC 2231) and MIME types; embedded
 * messages become message/rfc822 parts, built recursively.
 *
 * Deterministic: the same message gives the same bytes (multipart boundaries derive from a hash
 * of the content), so the engine's content-hash recovery finds a copy written before a crash.
 * Memory: one message at a time; its parts are already in memory as Buffers, the output is one
 * more copy. Speed: nodemailer composes the tree (headers, boundaries, encodings); its bytes are
 * written in one synchronous pass (mime-serialize.ts), not through nodemailer's chain of streams.
 */
import { createHash, type Hash } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import type Mail from 'nodemailer/lib/mailer/index.js';
import type { MailAddress, MailAttachment, MailMessage } from '../../src/model/mail-message.js';
import { fieldsNamed, isStructuralField, parseHeaderBlock, serializeFields, splitMessage, type HeaderField } from '../header-block.js';
import { joinParts, serializeMime, type Part } from './mime-serialize.js';
import { decompressRtf, rtfToBody } from './rtf-body.js';
import { coerceError } from '../../src/util/errors.js';

export { mailFlags } from './mail-flags.js';

/** Embedded messages nested deeper than this are attached as they are built so far (a loop guard). */
const MAX_DEPTH = 16;

/** What nodemailer is given for a message without a Message-ID (it is never written). */
const NO_MESSAGE_ID = '<no-message-id@ums-migrate.invalid>';

/** Header fields filled from the message's fields when the transport headers lack them. */
const FILL_FROM_FIELDS = ['From', 'To', 'Cc', 'Subject', 'Date', 'Message-ID'];

/** Builds the RFC 5322 message. Throws an Error saying what is wrong when a part cannot be built. */
export async function buildMime(msg: MailMessage): Promise<Buffer> {
  return build(msg, 0, { write: async (root) => serializeMime(root), everyField: false });
}

/**
 * The same message the way it was built before it was made fast: written by nodemailer's own
 * streams (MimeNode#build), every field given to nodemailer even when the original header's is
 * kept. What mime-serialize.test.ts compares buildMime with.
 */
export async function buildMimeWithStreams(msg: MailMessage): Promise<Buffer> {
  return build(msg, 0, { write: async (root) => [await root.build()], everyField: true });
}

interface Writer {
  /** Writes the compiled tree: the message is the parts one after the other, the first holding (at least) the root's header block. */
  write(root: ReturnType<MailComposer['compile']>): Promise<Part[]>;
  /** Give nodemailer every field, also those the original header has (they are dropped). */
  everyField: boolean;
}

async function build(msg: MailMessage, depth: number, writer: Writer): Promise<Buffer> {
  const body = resolveBody(msg);
  const attachments: Mail.Attachment[] = [];
  for (const [i, att] of (msg.attachments ?? []).entries()) {
    attachments.push(await attachment(att, i, body.html, depth, writer));
  }
  const hash = createHash('sha256');
  feedHash(hash, msg, body, attachments);

  // with the original transport headers, only the fields they lack are taken from the rebuilt
  // header (see below): the others are not given to nodemailer at all (a 200-recipient To: is
  // not encoded only to be dropped)
  const original = msg.transportHeaders ? parseHeaderBlock(msg.transportHeaders) : [];
  const kept = original.filter((f) => !isStructuralField(f.name));
  const all = kept.length === 0 || writer.everyField;
  const rebuild = (name: string): boolean => all || fieldsNamed(kept, name).length === 0;
  const options: Mail.Options & { baseBoundary: string; boundaryPrefix: string } = {
    from: rebuild('From') ? address(msg.from) : undefined,
    sender: all ? address(msg.sender) : undefined,
    replyTo: all ? addresses(msg.replyTo) : undefined,
    to: rebuild('To') ? addresses(msg.to) : undefined,
    cc: rebuild('Cc') ? addresses(msg.cc) : undefined,
    bcc: all ? addresses(msg.bcc) : undefined,
    subject: rebuild('Subject') ? headerText(msg.subject) : undefined,
    date: rebuild('Date') ? validDate(msg.date) : undefined,
    // nodemailer makes a random one when none is given (crypto per message), dropped below: a fixed stand-in is dropped the same way
    messageId: (rebuild('Message-ID') ? msg.messageId || undefined : undefined) ?? NO_MESSAGE_ID,
    inReplyTo: all ? msg.inReplyTo || undefined : undefined,
    references: all ? msg.references || undefined : undefined,
    headers: all ? priorityHeaders(msg.importance) : undefined,
    text: body.text,
    html: body.html,
    alternatives: body.rtf ? [{ contentType: 'text/rtf', content: body.rtf, contentTransferEncoding: 'quoted-printable' }] : undefined,
    attachments,
    baseBoundary: hash.digest('hex').slice(0, 24),
    boundaryPrefix: '----=_ums',
    disableFileAccess: true,
    disableUrlAccess: true,
  };
  if (options.text === undefined && options.html === undefined) options.text = '';
  const root = new MailComposer(options).compile();
  root.keepBcc = true;
  const [first, ...rest] = await writer.write(root);
  const built = splitMessage(first as Buffer);
  // nodemailer invents a Date and a Message-ID when none is given: leave them out instead
  const invented = new Set([...(options.date ? [] : ['date']), ...(options.messageId !== NO_MESSAGE_ID ? [] : ['message-id'])]);
  const rebuilt = built.header.filter((f) => !invented.has(f.name.toLowerCase()));

  let header: HeaderField[];
  if (kept.length > 0) {
    header = kept;
    for (const name of FILL_FROM_FIELDS) {
      if (fieldsNamed(header, name).length === 0) header.push(...fieldsNamed(rebuilt, name));
    }
    header.push(...rebuilt.filter((f) => isStructuralField(f.name)));
  } else {
    header = rebuilt;
  }
  return joinParts([Buffer.from(serializeFields(header), 'utf8'), built.body, ...rest]);
}

interface Body { text?: string; html?: string; rtf?: Buffer }

/** Picks the bodies: HTML and text as given; compressed RTF fills what is missing. */
function resolveBody(msg: MailMessage): Body {
  const body: Body = { text: msg.bodyText ?? undefined, html: msg.bodyHtml || undefined };
  if (!msg.rtfCompressed || msg.rtfCompressed.length === 0 || body.html !== undefined) return body;
  let rtf: Buffer;
  try {
    rtf = decompressRtf(msg.rtfCompressed);
  } catch (err) {
    // the plain text body carries the same words: do without the formatting
    if (body.text) return body;
    throw new Error(`the message's only body (compressed RTF) cannot be read: ${coerceError(err).message}`);
  }
  const r = rtfToBody(rtf);
  if (r.kind === 'html') body.html = r.html;
  else if (r.kind === 'text') body.text ??= r.text;
  else body.rtf = r.rtf;
  return body;
}

async function attachment(att: MailAttachment, index: number, html: string | undefined, depth: number, writer: Writer): Promise<Mail.Attachment> {
  const label = `attachment ${index + 1}${att.filename ? ` (${JSON.stringify(att.filename)})` : ''}`;
  if (att.message) {
    let content: Buffer;
    try {
      content = depth >= MAX_DEPTH
        ? Buffer.from(`Subject: embedded message nested more than ${MAX_DEPTH} levels deep\r\n\r\n`)
        : await build(att.message, depth + 1, writer);
    } catch (err) {
      throw new Error(`${label}, an embedded message: ${coerceError(err).message}`);
    }
    return {
      contentType: 'message/rfc822',
      filename: emlName(att.filename || safeName(att.message.subject) || 'message'),
      content,
      contentDisposition: att.inline ? 'inline' : 'attachment',
    };
  }
  if (!att.data) throw new Error(`${label} has no content (neither data nor an embedded message)`);
  const referenced = att.contentId !== undefined && html !== undefined && html.includes(`cid:${att.contentId}`);
  return {
    filename: att.filename || `attachment-${index + 1}${att.mimeType ? '' : '.bin'}`,
    content: att.data,
    contentType: att.mimeType || undefined,
    // only parts the HTML refers to go into multipart/related; other Content-IDs stay as headers
    cid: referenced ? att.contentId : undefined,
    headers: !referenced && att.contentId ? { 'Content-ID': `<${att.contentId}>` } : undefined,
    contentDisposition: att.inline || referenced ? 'inline' : 'attachment',
  };
}

/** An embedded message's file name ends in .eml (an Outlook ".msg" name would mislead: the part is MIME). */
function emlName(name: string): string {
  return /\.eml$/i.test(name) ? name : `${name.replace(/\.msg$/i, '')}.eml`;
}

/** A file-name-safe rendering of a subject for an embedded message's .eml name. */
function safeName(subject: string | undefined): string {
  return (subject ?? '').replace(/[\\/:*?"<>|\p{Cc}]/gu, '_').trim().slice(0, 120);
}

/**
 * nodemailer's address object; a recipient known only by name (an unresolved Exchange address)
 * becomes an empty RFC 5322 group, `Name:;`, so the name is not lost.
 */
function address(a: MailAddress | undefined): Mail.Address | string | undefined {
  if (!a || (!a.address && !a.name)) return undefined;
  if (!a.address) return `"${headerText(a.name)!.replace(/["\\]/g, '\\$&')}":;`;
  return { name: headerText(a.name) ?? '', address: a.address };
}

/**
 * A Subject or display name without control characters (tab and line breaks aside, which
 * nodemailer folds): nodemailer writes pure-ASCII text as it is, so an ESC or BEL from the source
 * item would stand raw in the header and reach a terminal mail reader.
 */
function headerText(s: string | undefined): string | undefined {
  // eslint-disable-next-line no-control-regex
  return s?.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, '');
}

function addresses(list: MailAddress[] | undefined): (Mail.Address | string)[] | undefined {
  const out = (list ?? []).map(address).filter((a): a is Mail.Address | string => a !== undefined);
  return out.length ? out : undefined;
}

/** Importance as the headers Outlook and Thunderbird read (normal: none). */
function priorityHeaders(importance: MailMessage['importance']): Record<string, string> | undefined {
  if (importance === 'high') return { 'X-Priority': '1 (Highest)', Importance: 'High' };
  if (importance === 'low') return { 'X-Priority': '5 (Lowest)', Importance: 'Low' };
  return undefined;
}

function validDate(d: Date | undefined): Date | undefined {
  return d && !Number.isNaN(d.getTime()) ? d : undefined;
}

/** Everything that ends up in the output, so the boundaries derived from it are unique and stable. */
function feedHash(hash: Hash, msg: MailMessage, body: Body, attachments: Mail.Attachment[]): void {
  hash.update(JSON.stringify([msg.subject, msg.messageId, msg.date?.getTime(), body.text, body.html]));
  if (body.rtf) hash.update(body.rtf);
  for (const a of attachments) {
    hash.update(JSON.stringify([a.filename, a.contentType, a.cid]));
    if (Buffer.isBuffer(a.content)) hash.update(a.content);
  }
}
