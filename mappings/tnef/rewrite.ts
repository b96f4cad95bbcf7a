/**
 * Rewrites a message whose content hides in application/ms-tnef (winmail.dat) into ordinary MIME.
 *
 * - Every header of the message is kept; only the TNEF part is replaced, every other part keeps
 *   its bytes. The TNEF's body and attachments are built by the MIME builder (mappings/mapi/
 *   build-mime: text + HTML as multipart/alternative, HTML de-encapsulated from compressed RTF,
 *   genuine RTF as a text/rtf alternative, attachment names RFC 2231-encoded, inline images by
 *   Content-ID, attached messages as message/rfc822).
 * - Outlook sends "text/plain + winmail.dat" in a multipart/mixed: that leading text part is the
 *   plain rendering of the TNEF body, so it becomes the text alternative of the rebuilt body
 *   (never shown twice); when the message then holds nothing else, the rebuilt body replaces the
 *   multipart (outer headers + rebuilt body). Attachments of a TNEF part in a multipart/mixed
 *   become siblings of the other parts.
 * - `keep-original` adds the TNEF stream itself as an attachment (its bytes unchanged).
 * - Parts under multipart/signed or multipart/encrypted (a signature would break) and inside
 *   attached messages (message/rfc822) are left alone.
 * - All or nothing: if any TNEF part cannot be decoded (damaged stream, attachment without
 *   data, unknown transfer encoding…), the message is left exactly as it was and the reason is
 *   returned, naming the part.
 *
 * Deterministic: the output depends only on the input bytes and the mode (the builder derives its
 * boundaries from the content and invents no Date or Message-ID), so a crashed run's copy is
 * found again by its content hash.
 */
import { buildMime } from '../mapi/build-mime.js';
import { isStructuralField, serializeFields, splitMessage } from '../header-block.js';
import { decompressRtf, rtfToBody } from '../mapi/rtf-body.js';
import type { MailMessage } from '../../src/model/mail-message.js';
import { parseTnef } from './message.js';
import { decodedBody, decodedText, parseEntity, type MimeEntity } from './mime-entity.js';
import { hasTnefSignature } from './stream.js';
import { tnefToMail } from './to-mail.js';
import { coerceError } from '../../src/util/errors.js';

export type TnefMode = 'replace' | 'keep-original';

export type TnefRewrite =
  /** No TNEF part: the message is not touched. */
  | { kind: 'none' }
  /** Converted: the new bytes and what was done (first the summary, then what was not carried as it was). */
  | { kind: 'converted'; content: Buffer; notes: string[] }
  /** A TNEF part is there but the message is left as it was: why. */
  | { kind: 'kept'; warnings: string[] };

// the spellings seen in the wild ("application/ms-tnef", "MS-TNEF", "Winmail.dat", "WinMail.dat"…)
const NEEDLES = ['tnef', 'TNEF', 'Tnef', 'winmail', 'WINMAIL', 'Winmail', 'WinMail'].map((s) => Buffer.from(s));

/** A cheap first look: false when the bytes cannot hold a TNEF part (no "tnef"/"winmail" anywhere). */
export function mayHoldTnef(raw: Buffer): boolean {
  return NEEDLES.some((n) => raw.indexOf(n) >= 0);
}

/** The outer fields that describe the old body (replaced by the rebuilt body's); Content-Class, Content-Language… stay. */
const BODY_FIELDS = new Set(['mime-version', 'content-type', 'content-transfer-encoding', 'content-disposition', 'content-md5']);
const TNEF_TYPES = new Set(['application/ms-tnef', 'application/vnd.ms-tnef']);
const OPAQUE = new Set(['multipart/signed', 'multipart/encrypted']);

function isTnefPart(raw: Buffer, e: MimeEntity): boolean {
  if (e.children) return false;
  if (TNEF_TYPES.has(e.type)) return true;
  // some gateways label winmail.dat application/octet-stream: only with the TNEF signature inside
  if (e.type !== 'application/octet-stream' || !/^winmail\.dat$/i.test(e.filename ?? '')) return false;
  try {
    return hasTnefSignature(decodedBody(raw, e));
  } catch {
    return false;
  }
}

/** A TNEF part, its parent and every multipart around it (innermost first). */
interface Found { part: MimeEntity; parent?: MimeEntity; ancestors: MimeEntity[] }

function findTnef(raw: Buffer, e: MimeEntity, ancestors: MimeEntity[], out: Found[], sealed: string[]): void {
  if (isTnefPart(raw, e)) {
    out.push({ part: e, parent: ancestors[0], ancestors });
    return;
  }
  if (!e.children) return;
  if (OPAQUE.has(e.type)) {
    const inside: Found[] = [];
    for (const c of e.children) findTnef(raw, c.entity, [e, ...ancestors], inside, sealed);
    if (inside.length > 0) sealed.push(`a TNEF part inside ${e.type} is left as it is (rewriting it would break the signature or encryption)`);
    return;
  }
  for (const c of e.children) findTnef(raw, c.entity, [e, ...ancestors], out, sealed);
}

const partLabel = (e: MimeEntity) => `TNEF part ${JSON.stringify(e.filename ?? 'winmail.dat')}`;

function isInlineText(e: MimeEntity): boolean {
  return !e.children && e.type === 'text/plain' && e.disposition !== 'attachment' && e.filename === undefined
    && (e.params.format ?? '').toLowerCase() !== 'flowed';
}

function bodyDescription(m: MailMessage): string {
  if (m.bodyHtml) return 'HTML body';
  if (m.rtfCompressed && m.rtfCompressed.length > 0) {
    try {
      const kind = rtfToBody(decompressRtf(m.rtfCompressed)).kind;
      return kind === 'html' ? 'HTML body (from RTF)' : kind === 'text' ? 'text body (from RTF)' : 'RTF body (as text/rtf)';
    } catch {
      return 'RTF body';
    }
  }
  return m.bodyText ? 'text body' : 'no body';
}

const hasBody = (m: MailMessage) => !!(m.bodyHtml || m.bodyText || (m.rtfCompressed && m.rtfCompressed.length > 0));

/** The built entity (its Content-* fields and body), parsed. */
interface Built { bytes: Buffer; entity: MimeEntity }

async function build(m: MailMessage): Promise<Built> {
  const { header, body } = splitMessage(await buildMime(m));
  const fields = Buffer.from(serializeFields(header.filter((f) => isStructuralField(f.name) && f.name.toLowerCase() !== 'mime-version')), 'utf8');
  const bytes = Buffer.concat([fields, body]);
  const entity = parseEntity(bytes);
  return { bytes, entity };
}

interface Edit { start: number; end: number; bytes: Buffer }

/** True when a line of `buf` starts with "--boundary" (a delimiter of the multipart around it). */
function hasDelimiter(buf: Buffer, boundary: string): boolean {
  const d = `--${boundary}`;
  for (let i = buf.indexOf(d); i >= 0; i = buf.indexOf(d, i + 1)) if (i === 0 || buf[i - 1] === 0x0a) return true;
  return false;
}

/** Converts one TNEF part; returns the edits to the message (or the whole new message) and the notes. */
async function convert(raw: Buffer, f: Found, mode: TnefMode, only: boolean, top: MimeEntity): Promise<{ edits: Edit[]; whole?: Buffer; notes: string[] }> {
  const stream = decodedBody(raw, f.part);
  const mail = tnefToMail(parseTnef(stream), f.part.filename ?? 'winmail.dat');
  const src = mail.message;
  const m: MailMessage = { bodyText: src.bodyText, bodyHtml: src.bodyHtml, rtfCompressed: src.rtfCompressed, attachments: [...(src.attachments ?? [])] };
  if (!hasBody(m) && m.attachments!.length === 0) throw new Error('it holds no body and no attachment to convert');
  const described = bodyDescription(m);

  // Outlook's "text/plain + winmail.dat": the text part is the plain rendering of the same body.
  const p = f.parent;
  const first = p?.children?.[0]?.entity;
  let merged: MimeEntity | undefined;
  if (p && only && p.type === 'multipart/mixed' && first && first !== f.part && isInlineText(first) && hasBody(m)) {
    const text = decodedText(raw, first);
    if (text !== undefined) {
      if (text.trim() !== '' || !m.bodyText) m.bodyText = text;
      merged = first;
    }
  }
  if (mode === 'keep-original') m.attachments!.push({ filename: f.part.filename ?? 'winmail.dat', mimeType: 'application/ms-tnef', data: stream });

  const built = await build(m);
  const n = mail.attachments;
  const notes = [
    `converted from TNEF (${f.part.filename ?? 'winmail.dat'}): ${described}${merged ? ' with the plain text part as its text alternative' : ''}, `
      + `${n} attachment${n === 1 ? '' : 's'}${mail.embedded === 1 ? ' (1 of them an attached message)' : mail.embedded > 1 ? ` (${mail.embedded} of them attached messages)` : ''}`
      + `${mode === 'keep-original' ? `; ${f.part.filename ?? 'winmail.dat'} kept as an attachment` : ''}`,
    ...mail.warnings,
  ];

  const rest = (p?.children ?? []).filter((c) => c.entity !== merged && c.entity !== f.part);
  if (!p || (p === top && p.type === 'multipart/mixed' && rest.length === 0)) {
    // the rebuilt body is the message's body: outer headers (MIME-Version, Content-* replaced) + it
    const kept = top.header.filter((h) => !BODY_FIELDS.has(h.name.toLowerCase()));
    const version = top.header.find((h) => h.name.toLowerCase() === 'mime-version')?.raw ?? 'MIME-Version: 1.0';
    const head = Buffer.from(kept.map((h) => `${h.raw}\r\n`).join('') + `${version}\r\n`, 'latin1');
    return { edits: [], whole: Buffer.concat([head, built.bytes]), notes };
  }
  const edits: Edit[] = [];
  if (merged) {
    const kids = p.children!;
    const i = kids.findIndex((c) => c.entity === merged);
    edits.push({ start: kids[i]!.delimiter, end: kids[i + 1]!.delimiter, bytes: Buffer.alloc(0) });
  }
  let replacement = built.bytes;
  let pieces = [built.bytes];
  if (p.type === 'multipart/mixed') {
    const e = built.entity;
    if (e.type === 'multipart/mixed' && e.children && e.children.length > 0) {
      let kids = e.children.map((c) => c.entity);
      const lead = kids[0]!;
      if (!hasBody(m) && lead.type === 'text/plain' && decodedBody(built.bytes, lead).length === 0) kids = kids.slice(1);
      const sep = Buffer.from(`\r\n--${p.boundary}\r\n`, 'latin1');
      pieces = kids.map((k) => built.bytes.subarray(k.start, k.end));
      replacement = Buffer.concat(pieces.flatMap((k, i) => (i === 0 ? [k] : [sep, k])));
    }
  }
  // the new bytes sit inside the multiparts around the TNEF part: none of their delimiters may occur in them
  const clash = f.ancestors.find((a) => a.boundary !== undefined && pieces.some((x) => hasDelimiter(x, a.boundary!)));
  if (clash) throw new Error(`the rebuilt parts contain the delimiter of the ${clash.type} around them ("--${clash.boundary}")`);
  edits.push({ start: f.part.start, end: f.part.end, bytes: replacement });
  return { edits, notes };
}

/** Rewrites the TNEF parts of `raw` (see the module comment). Never throws for a message's content. */
export async function rewriteTnef(raw: Buffer, mode: TnefMode): Promise<TnefRewrite> {
  if (!mayHoldTnef(raw)) return { kind: 'none' };
  const top = parseEntity(raw);
  const found: Found[] = [];
  const sealed: string[] = [];
  findTnef(raw, top, [], found, sealed);
  if (found.length === 0) return sealed.length > 0 ? { kind: 'kept', warnings: sealed } : { kind: 'none' };
  const edits: Edit[] = [];
  const notes: string[] = [];
  for (const f of found) {
    try {
      const onlyInParent = found.filter((x) => x.parent === f.parent).length === 1;
      const r = await convert(raw, f, mode, onlyInParent, top);
      if (r.whole) return { kind: 'converted', content: r.whole, notes: [...r.notes, ...sealed] };
      edits.push(...r.edits);
      notes.push(...r.notes);
    } catch (err) {
      return { kind: 'kept', warnings: [`${partLabel(f.part)} not converted, the message is copied unchanged: ${coerceError(err).message}`, ...sealed] };
    }
  }
  edits.sort((a, b) => a.start - b.start);
  const pieces: Buffer[] = [];
  let at = 0;
  for (const e of edits) {
    pieces.push(raw.subarray(at, e.start), e.bytes);
    at = e.end;
  }
  pieces.push(raw.subarray(at));
  return { kind: 'converted', content: Buffer.concat(pieces), notes: [...notes, ...sealed] };
}
