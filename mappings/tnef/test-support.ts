/**
 * Test helpers: a small TNEF writer ([MS-OXTNEF] layout, the reader's exact inverse) to generate
 * winmail.dat streams — message properties, recipients, legacy attributes, attachments by value,
 * embedded messages (a TNEF stream inside PR_ATTACH_DATA_OBJ), named and multi-valued
 * properties — plus compressed RTF (LZFu, literal runs only) and the usual Outlook message around
 * a winmail.dat.
 */
import { ATT, LVL_ATTACHMENT, LVL_MESSAGE, TNEF_SIGNATURE } from './stream.js';
import { IID } from './message.js';
import { PT, MV_FLAG } from './props.js';

export type WValue = string | number | boolean | bigint | Date | Buffer | WValue[];

export interface WProp {
  /** Full tag (id << 16 | type), e.g. 0x0037001f for PR_SUBJECT in UTF-16. */
  tag: number;
  value: WValue;
  /** For tags ≥ 0x8000: the property set GUID (stored bytes, hex) and the numeric id or the name. */
  named?: { guid: string; id: number | string };
}

export interface WAttachment {
  title?: string;
  data?: Buffer;
  props?: WProp[];
  /** attAttachRendData attachment type (default 1, a file). */
  renderType?: number;
  /** An embedded message: written as PR_ATTACH_DATA_OBJ (IID_IMessage + its TNEF stream), method 5. */
  embedded?: WMessage;
}

export interface WMessage {
  oemCodepage?: number;
  messageClass?: string;
  /** Legacy attributes. */
  subject?: string;
  body?: string;
  dateSent?: Date;
  props?: WProp[];
  recipients?: WProp[][];
  attachments?: WAttachment[];
}

/** Well-known tags the tests use. */
export const TAGS = {
  SUBJECT: 0x0037001f, BODY: 0x1000001f, BODY_A: 0x1000001e, RTF_COMPRESSED: 0x10090102, HTML: 0x10130102, INTERNET_CPID: 0x3fde0003,
  SENDER_NAME: 0x0c1a001f, SENDER_EMAIL: 0x0c1f001f, SENDER_ADDRTYPE: 0x0c1e001f, CLIENT_SUBMIT_TIME: 0x00390040,
  INTERNET_MESSAGE_ID: 0x1035001f, RECIPIENT_TYPE: 0x0c150003, DISPLAY_NAME: 0x3001001f, SMTP_ADDRESS: 0x39fe001f,
  ATTACH_LONG_FILENAME: 0x3707001f, ATTACH_FILENAME_A: 0x3704001e, ATTACH_MIME_TAG: 0x370e001f, ATTACH_CONTENT_ID: 0x3712001f,
  ATTACH_METHOD: 0x37050003, ATTACH_DATA_OBJ: 0x3701000d, ATTACHMENT_HIDDEN: 0x7ffe000b, ATTACH_LONG_PATHNAME: 0x370d001f,
  IMPORTANCE: 0x00170003,
} as const;

const u16 = (n: number) => { const b = Buffer.alloc(2); b.writeUInt16LE(n); return b; };
const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n >>> 0); return b; };
const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
const sz = (b: Buffer) => Buffer.concat([u32(b.length), pad(b)]);

function checksum(data: Buffer): number {
  let s = 0;
  for (const x of data) s = (s + x) & 0xffff;
  return s;
}

/** One attribute; `badChecksum` writes a wrong checksum (a damaged stream). */
export function attribute(level: number, id: number, data: Buffer, opts: { badChecksum?: boolean } = {}): Buffer {
  return Buffer.concat([Buffer.from([level]), u32(id), u32(data.length), data, u16((checksum(data) + (opts.badChecksum ? 1 : 0)) & 0xffff)]);
}

function fixed(type: number, v: WValue): Buffer {
  switch (type) {
    case PT.SHORT: return pad(u16(Number(v)));
    case PT.BOOLEAN: return pad(u16(v ? 1 : 0));
    case PT.LONG: case PT.ERROR: return u32(Number(v));
    case PT.DOUBLE: case PT.APPTIME: { const b = Buffer.alloc(8); b.writeDoubleLE(Number(v)); return b; }
    case PT.I8: case PT.CURRENCY: { const b = Buffer.alloc(8); b.writeBigInt64LE(BigInt(v as bigint)); return b; }
    case PT.SYSTIME: { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt((v as Date).getTime()) * 10000n + 116444736000000000n); return b; }
    case PT.CLSID: return v as Buffer;
    default: throw new Error(`test writer: type 0x${type.toString(16)} not supported`);
  }
}

function variable(type: number, v: WValue, cp: string): Buffer {
  if (type === PT.UNICODE) return sz(Buffer.from(`${String(v)}\u0000`, 'utf16le'));
  if (type === PT.STRING8) return sz(Buffer.concat([Buffer.from(String(v), cp === 'utf8' ? 'utf8' : 'latin1'), Buffer.alloc(1)]));
  return sz(v as Buffer); // PT_BINARY, PT_OBJECT (the caller puts the interface id first)
}

function prop(p: WProp, cp: string): Buffer {
  const type = p.tag & 0xffff;
  const id = p.tag >>> 16;
  const parts: Buffer[] = [u16(type), u16(id)];
  if (id >= 0x8000) {
    if (!p.named) throw new Error('test writer: a named tag needs `named`');
    parts.push(Buffer.from(p.named.guid, 'hex'));
    if (typeof p.named.id === 'number') parts.push(u32(0), u32(p.named.id));
    else parts.push(u32(1), sz(Buffer.from(`${p.named.id}\u0000`, 'utf16le')));
  }
  const base = type & ~MV_FLAG;
  const isVar = [PT.STRING8, PT.UNICODE, PT.BINARY, PT.OBJECT].includes(base as 0x1e);
  if (type & MV_FLAG) {
    const vs = p.value as WValue[];
    parts.push(u32(vs.length), ...vs.map((v) => (isVar ? variable(base, v, cp) : fixed(base, v))));
  } else if (isVar) parts.push(u32(1), variable(base, p.value, cp));
  else parts.push(fixed(base, p.value));
  return Buffer.concat(parts);
}

/** A property block: count, then the properties. */
export function propBlock(props: WProp[], cp = 'latin1'): Buffer {
  return Buffer.concat([u32(props.length), ...props.map((p) => prop(p, cp))]);
}

function dtr(d: Date): Buffer {
  return Buffer.concat([d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCDay()].map(u16));
}

const str8 = (s: string) => Buffer.concat([Buffer.from(s, 'latin1'), Buffer.alloc(1)]);

/** The attributes of a message, without signature and key (to splice or damage them in tests). */
export function messageAttributes(m: WMessage): Buffer[] {
  const cp = m.oemCodepage === 65001 ? 'utf8' : 'latin1';
  const out: Buffer[] = [attribute(LVL_MESSAGE, ATT.TnefVersion, u32(0x00010000))];
  out.push(attribute(LVL_MESSAGE, ATT.OemCodepage, Buffer.concat([u32(m.oemCodepage ?? 1252), u32(0)])));
  out.push(attribute(LVL_MESSAGE, ATT.MessageClass, str8(m.messageClass ?? 'IPM.Microsoft Mail.Note')));
  if (m.subject !== undefined) out.push(attribute(LVL_MESSAGE, ATT.Subject, str8(m.subject)));
  if (m.dateSent) out.push(attribute(LVL_MESSAGE, ATT.DateSent, dtr(m.dateSent)));
  if (m.body !== undefined) out.push(attribute(LVL_MESSAGE, ATT.Body, str8(m.body)));
  if (m.recipients) out.push(attribute(LVL_MESSAGE, ATT.RecipTable, Buffer.concat([u32(m.recipients.length), ...m.recipients.map((r) => propBlock(r, cp))])));
  if (m.props) out.push(attribute(LVL_MESSAGE, ATT.MsgProps, propBlock(m.props, cp)));
  for (const a of m.attachments ?? []) {
    const rend = Buffer.concat([u16(a.renderType ?? 1), u32(0xffffffff), u16(0), u16(0), u32(0)]);
    out.push(attribute(LVL_ATTACHMENT, ATT.AttachRendData, rend));
    if (a.title !== undefined) out.push(attribute(LVL_ATTACHMENT, ATT.AttachTitle, str8(a.title)));
    if (a.data) out.push(attribute(LVL_ATTACHMENT, ATT.AttachData, a.data));
    const props = [...(a.props ?? [])];
    if (a.embedded) {
      props.push({ tag: TAGS.ATTACH_METHOD, value: 5 });
      props.push({ tag: TAGS.ATTACH_DATA_OBJ, value: Buffer.concat([Buffer.from(IID.IMessage, 'hex'), writeTnef(a.embedded)]) });
    }
    if (props.length > 0) out.push(attribute(LVL_ATTACHMENT, ATT.Attachment, propBlock(props, cp)));
  }
  return out;
}

/** The signature and legacy key. */
export function tnefHead(key = 0x1234): Buffer {
  return Buffer.concat([u32(TNEF_SIGNATURE), u16(key)]);
}

/** A complete TNEF stream. */
export function writeTnef(m: WMessage): Buffer {
  return Buffer.concat([tnefHead(), ...messageAttributes(m)]);
}

/** PR_RTF_COMPRESSED in the LZFu format with literal runs only (what any decompressor reads). */
export function lzfu(rtf: string): Buffer {
  const raw = Buffer.from(rtf, 'latin1');
  const chunks: Buffer[] = [];
  for (let i = 0; i < raw.length; i += 8) chunks.push(Buffer.from([0]), raw.subarray(i, i + 8));
  const data = Buffer.concat(chunks);
  const header = Buffer.alloc(16);
  header.writeUInt32LE(data.length + 12, 0);
  header.writeUInt32LE(raw.length, 4);
  header.writeUInt32LE(0x75465a4c, 8); // "LZFu"
  return Buffer.concat([header, data]);
}

/** RTF with encapsulated HTML (\fromhtml1), as Outlook stores an HTML body in PR_RTF_COMPRESSED. */
export function htmlInRtf(html: string): string {
  const body = [...html].map((ch) => {
    const c = ch.charCodeAt(0);
    if (c > 0x7f) return `\\u${c}?`;
    if (ch === '{' || ch === '}' || ch === '\\') return `\\${ch}`;
    return ch;
  }).join('');
  return `{\\rtf1\\ansi\\ansicpg1252\\fromhtml1 \\deff0{\\fonttbl{\\f0\\fswiss Arial;}}{\\*\\htmltag64 ${body}}}`;
}

/** The usual Outlook message: headers, a text/plain part and winmail.dat (base64, 76 columns). */
export function outlookMessage(tnef: Buffer, opts: { text?: string; headers?: string; tnefType?: string; name?: string } = {}): Buffer {
  const b64 = tnef.toString('base64').replace(/.{1,76}/g, '$&\r\n');
  const headers = opts.headers ?? 'From: "Jörg" <joerg@example.de>\r\nTo: ivan@example.ru\r\nSubject: =?utf-8?Q?Gr=C3=BC=C3=9Fe?=\r\n'
    + 'Date: Tue, 02 Mar 2021 10:00:00 +0100\r\nMessage-ID: <tnef-1@example.de>\r\nX-Custom: kept\r\n'
    + 'Content-Language: de-DE\r\nContent-Class: urn:content-classes:message\r\nX-MS-Has-Attach: yes\r\nX-MS-TNEF-Correlator: <00000000@example.de>\r\n';
  const name = opts.name ?? 'winmail.dat';
  return Buffer.from(`${headers}MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="outer-b"\r\n\r\n`
    + 'This is a multi-part message in MIME format.\r\n\r\n--outer-b\r\n'
    + `Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${opts.text ?? 'Hallo, Grüße aus dem Text.'}\r\n\r\n`
    + `--outer-b\r\nContent-Type: ${opts.tnefType ?? 'application/ms-tnef'}; name="${name}"\r\nContent-Transfer-Encoding: base64\r\n`
    + `Content-Disposition: attachment; filename="${name}"\r\n\r\n${b64}\r\n--outer-b--\r\n`, 'utf8');
}
