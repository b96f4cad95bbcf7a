/**
 * The MIME structure of a raw message as byte ranges, so a rewrite can replace one part and
 * leave every other byte where it was. Headers are read with the MIME builder's header-block
 * parser (mappings/header-block) on a latin1 view, so raw 8-bit header bytes survive a
 * round trip. Multipart bodies are split at delimiter lines (RFC 2046 5.1.1: "--boundary" at the
 * start of a line, optional "--", optional white space, line end); the line break before a
 * delimiter belongs to the delimiter. A multipart without its closing delimiter ends where the
 * entity ends (as mail clients read it); one with no delimiter at all has no children.
 * Pure; nesting is limited to MAX_NESTING levels (deeper parts are left as leaves).
 */
import iconv from 'iconv-lite';
import libmime from 'libmime';
import { fieldValue, parseHeaderBlock, type HeaderField } from '../header-block.js';

const MAX_NESTING = 32;
const CR = 0x0d;
const LF = 0x0a;

export interface MimeChild {
  /** Where this child's delimiter starts (the line break before "--boundary", or "--" at the body's start). */
  delimiter: number;
  entity: MimeEntity;
}

export interface MimeEntity {
  start: number;
  /** First byte of the body (after the empty line); equals `end` for an entity without body. */
  bodyStart: number;
  end: number;
  header: HeaderField[];
  /** Lower-case "type/subtype"; text/plain when absent. */
  type: string;
  params: Record<string, string>;
  /** Lower-case Content-Transfer-Encoding; "7bit" when absent. */
  encoding: string;
  /** Lower-case disposition type ("attachment", "inline") when given. */
  disposition?: string;
  /** The file name from Content-Disposition (filename) or Content-Type (name), RFC 2231/2047 decoded. */
  filename?: string;
  boundary?: string;
  children?: MimeChild[];
}

/** Offset of the empty line ending the header block at `start` ([at, length of the break run]), or undefined. */
function headerEnd(buf: Buffer, start: number, end: number): { at: number; len: number } | undefined {
  if (buf[start] === LF) return { at: start, len: 1 };
  if (buf[start] === CR && buf[start + 1] === LF) return { at: start, len: 2 };
  for (let i = buf.indexOf(LF, start); i >= 0 && i < end; i = buf.indexOf(LF, i + 1)) {
    if (buf[i + 1] === LF) return { at: i + 1, len: 1 };
    if (buf[i + 1] === CR && buf[i + 2] === LF) return { at: i + 1, len: 2 };
  }
  return undefined;
}

function parsed(header: HeaderField[], name: string): { value: string; params: Record<string, string> } | undefined {
  const v = fieldValue(header, name);
  if (v === undefined) return undefined;
  const p = libmime.parseHeaderValue(v);
  const params: Record<string, string> = {};
  for (const [k, x] of Object.entries(p.params ?? {})) params[k.toLowerCase()] = String(x);
  return { value: p.value.trim().toLowerCase(), params };
}

function decodeName(s: string | undefined): string | undefined {
  if (s === undefined) return undefined;
  try {
    return libmime.decodeWords(s).trim() || undefined;
  } catch {
    return s.trim() || undefined;
  }
}

/** Parses the entity in `buf[start, end)` (the whole message by default). */
export function parseEntity(buf: Buffer, start = 0, end = buf.length, depth = 0): MimeEntity {
  const h = headerEnd(buf, start, end);
  const bodyStart = h ? h.at + h.len : end;
  const header = parseHeaderBlock(buf.subarray(start, h ? h.at : end).toString('latin1'));
  const ct = parsed(header, 'Content-Type');
  const cd = parsed(header, 'Content-Disposition');
  const type = ct && /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(ct.value) ? ct.value : 'text/plain';
  const e: MimeEntity = {
    start, bodyStart, end, header, type, params: ct?.params ?? {},
    encoding: (fieldValue(header, 'Content-Transfer-Encoding') ?? '7bit').trim().toLowerCase(),
    disposition: cd?.value || undefined,
    filename: decodeName(cd?.params.filename ?? ct?.params.name),
  };
  const boundary = e.params.boundary;
  if (type.startsWith('multipart/') && boundary && depth < MAX_NESTING) {
    e.boundary = boundary;
    e.children = splitMultipart(buf, bodyStart, end, boundary).map((c) => ({ delimiter: c.delimiter, entity: parseEntity(buf, c.start, c.end, depth + 1) }));
  }
  return e;
}

/** The children's ranges of a multipart body; none when it has no delimiter line. */
function splitMultipart(buf: Buffer, from: number, end: number, boundary: string): { delimiter: number; start: number; end: number }[] {
  const dash = Buffer.from(`--${boundary}`, 'latin1');
  const delims: { delimiter: number; after: number; close: boolean }[] = [];
  for (let i = buf.indexOf(dash, from); i >= 0 && i + dash.length <= end; i = buf.indexOf(dash, i + 1)) {
    const lineStart = i === from || buf[i - 1] === LF;
    if (!lineStart) continue;
    let j = i + dash.length;
    const close = buf[j] === 0x2d && buf[j + 1] === 0x2d;
    if (close) j += 2;
    while (j < end && (buf[j] === 0x20 || buf[j] === 0x09)) j++;
    let after: number;
    if (j >= end) after = end;
    else if (buf[j] === LF) after = j + 1;
    else if (buf[j] === CR && buf[j + 1] === LF) after = j + 2;
    else continue; // a longer boundary that starts with this one, or text after it
    const delimiter = i === from ? i : buf[i - 2] === CR ? i - 2 : i - 1;
    delims.push({ delimiter, after, close });
    if (close) break;
  }
  const out: { delimiter: number; start: number; end: number }[] = [];
  for (let k = 0; k < delims.length; k++) {
    const d = delims[k]!;
    if (d.close) break;
    const next = delims[k + 1];
    out.push({ delimiter: d.delimiter, start: d.after, end: next ? Math.max(d.after, next.delimiter) : end });
  }
  return out;
}

/** Quoted-printable → bytes (soft line breaks removed, invalid escapes kept as written). */
function decodeQp(s: string): Buffer {
  const text = s.replace(/=\r?\n/g, '');
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3d && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      out.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(c & 0xff);
  }
  return Buffer.from(out);
}

/** The entity's body bytes with its transfer encoding undone; throws for an encoding it does not know. */
export function decodedBody(buf: Buffer, e: MimeEntity): Buffer {
  const raw = buf.subarray(e.bodyStart, e.end);
  switch (e.encoding) {
    case 'base64': return Buffer.from(raw.toString('latin1'), 'base64'); // Node skips line breaks and stray characters
    case 'quoted-printable': return decodeQp(raw.toString('latin1'));
    case '7bit': case '8bit': case 'binary': return raw;
    default: throw new Error(`unknown Content-Transfer-Encoding ${JSON.stringify(e.encoding)}`);
  }
}

/** A text part's content as a string (its charset, US-ASCII read as UTF-8 when absent); undefined for a charset iconv-lite does not know. */
export function decodedText(buf: Buffer, e: MimeEntity): string | undefined {
  const charset = (e.params.charset ?? 'utf-8').trim().toLowerCase();
  const enc = charset === 'us-ascii' || charset === 'ascii' ? 'utf8' : charset;
  if (!iconv.encodingExists(enc)) return undefined;
  return iconv.decode(decodedBody(buf, e), enc);
}
