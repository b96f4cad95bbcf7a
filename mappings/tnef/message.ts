/**
 * A TNEF stream as a message: its MAPI properties (attMsgProps), recipients (attRecipTable),
 * the legacy attributes that may stand in for properties (attSubject, attBody, attDateSent,
 * attFrom…) and its attachments, each started by attAttachRendData and filled by attAttachTitle,
 * attAttachData and attAttachment (its MAPI properties: PR_ATTACH_LONG_FILENAME, PR_ATTACH_MIME_TAG,
 * PR_ATTACH_CONTENT_ID, PR_ATTACH_METHOD, PR_ATTACH_DATA_OBJ…) — [MS-OXTNEF] 2.1.3, 2.2.
 *
 * An embedded message (PR_ATTACH_DATA_OBJ, an IID_IMessage object) is a TNEF stream of its own
 * and is parsed the same way (at most MAX_DEPTH levels deep); if it cannot be read, the
 * attachment keeps the raw stream and the reason (`embeddedError`), so the caller can still carry
 * it. Anything wrong with the outer stream throws a TnefError. Pure.
 */
import { PropList } from '../mapi/prop-list.js';
import { codePageEncoding, decode8, readPropBlock, readRecipientRows } from './props.js';
import { ATT, attributeName, LVL_ATTACHMENT, readAttributes, TnefError, type TnefAttribute } from './stream.js';

/** Embedded messages nested deeper than this are not parsed (kept raw, with the reason). */
export const MAX_DEPTH = 8;

/** PR_ATTACH_DATA_OBJ (PT_OBJECT): the attachment's object, interface id first. */
export const PR_ATTACH_DATA_OBJ = 0x3701000d;
/** Interface ids as stored (little-endian GUID bytes, hex). */
export const IID = {
  IMessage: '0703020000000000c000000000000046',
  IStorage: '0b00000000000000c000000000000046',
  IStream: '0c00000000000000c000000000000046',
} as const;

export interface TnefAddress { name?: string; address?: string }

export interface TnefAttachment {
  /** 1-based position in the stream. */
  index: number;
  /** attAttachRendData's attachment type: 1 file, 2 OLE object, 3 picture. */
  renderType?: number;
  /** attAttachTitle: the (often 8.3) file name in the stream's code page. */
  title?: string;
  /** attAttachTransportFilename. */
  transportName?: string;
  /** attAttachData: the bytes of an attachment by value (or an OLE object's storage). */
  data?: Buffer;
  props: PropList;
  /** The parsed embedded message (PR_ATTACH_DATA_OBJ with IID_IMessage). */
  embedded?: TnefMessage;
  /** The embedded message's raw TNEF stream and why it could not be parsed. */
  embeddedRaw?: Buffer;
  embeddedError?: string;
  /** The object of PR_ATTACH_DATA_OBJ when it is not a message (IStorage/IStream: OLE data), without the interface id. */
  object?: Buffer;
}

export interface TnefMessage {
  legacyKey: number;
  /** iconv-lite encoding of the stream's 8-bit strings (attOemCodepage). */
  encoding: string;
  props: PropList;
  recipients: PropList[];
  attachments: TnefAttachment[];
  /** Legacy attributes, used where the MAPI properties are missing. */
  legacy: {
    messageClass?: string;
    subject?: string;
    body?: string;
    dateSent?: Date;
    dateReceived?: Date;
    from?: TnefAddress;
    priority?: number;
  };
}

/** attDateSent & co.: seven 16-bit fields (year, month, day, hour, minute, second, weekday). */
function dtr(data: Buffer): Date | undefined {
  if (data.length < 12) return undefined;
  const f = (i: number) => data.readUInt16LE(i * 2);
  const d = new Date(Date.UTC(f(0), f(1) - 1, f(2), f(3), f(4), f(5)));
  return Number.isNaN(d.getTime()) || f(0) < 1601 ? undefined : d;
}

/** attFrom: a TRP (type, total length, name length, address length) then name and address. */
function trp(data: Buffer, encoding: string): TnefAddress | undefined {
  if (data.length < 8) return undefined;
  const nameLen = data.readUInt16LE(4);
  const addrLen = data.readUInt16LE(6);
  if (8 + nameLen + addrLen > data.length) return undefined;
  const name = decode8(data.subarray(8, 8 + nameLen), encoding).trim();
  const raw = decode8(data.subarray(8 + nameLen, 8 + nameLen + addrLen), encoding).trim().replace(/^smtp:/i, '');
  const address = raw.includes('@') ? raw : undefined;
  return name || address ? { name: name || undefined, address } : undefined;
}

/** Parses a TNEF stream (winmail.dat) into its message; `depth` counts embedded levels. */
export function parseTnef(buf: Buffer, depth = 0): TnefMessage {
  const stream = readAttributes(buf);
  const oem = stream.attributes.find((a) => a.id === ATT.OemCodepage);
  const encoding = codePageEncoding(oem && oem.data.length >= 4 ? oem.data.readUInt32LE(0) : undefined);
  const msg: TnefMessage = { legacyKey: stream.legacyKey, encoding, props: new PropList([]), recipients: [], attachments: [], legacy: {} };
  const msgProps: PropList['props'] = [];
  let current: TnefAttachment | undefined;
  const where = (a: TnefAttribute) => `${attributeName(a.id)} at offset ${a.offset}`;

  for (const a of stream.attributes) {
    if (a.level === LVL_ATTACHMENT) {
      if (a.id === ATT.AttachRendData || !current) {
        current = { index: msg.attachments.length + 1, props: new PropList([]) };
        msg.attachments.push(current);
      }
      attachmentAttribute(current, a, encoding, where(a), depth);
      continue;
    }
    switch (a.id) {
      case ATT.MsgProps: msgProps.push(...readPropBlock(a.data, encoding, where(a))); break;
      case ATT.RecipTable: msg.recipients.push(...readRecipientRows(a.data, encoding, where(a)).map((r) => new PropList(r))); break;
      case ATT.MessageClass: msg.legacy.messageClass = decode8(a.data, encoding); break;
      case ATT.Subject: msg.legacy.subject = decode8(a.data, encoding); break;
      case ATT.Body: msg.legacy.body = decode8(a.data, encoding); break;
      case ATT.DateSent: msg.legacy.dateSent = dtr(a.data); break;
      case ATT.DateRecd: msg.legacy.dateReceived = dtr(a.data); break;
      case ATT.From: msg.legacy.from = trp(a.data, encoding); break;
      case ATT.Priority: if (a.data.length >= 2) msg.legacy.priority = a.data.readUInt16LE(0); break;
      default: break; // other legacy attributes duplicate MAPI properties or do not matter for MIME
    }
  }
  msg.props = new PropList(msgProps);
  return msg;
}

function attachmentAttribute(att: TnefAttachment, a: TnefAttribute, encoding: string, where: string, depth: number): void {
  switch (a.id) {
    case ATT.AttachRendData:
      if (a.data.length >= 2) att.renderType = a.data.readUInt16LE(0);
      break;
    case ATT.AttachTitle: att.title = decode8(a.data, encoding) || undefined; break;
    case ATT.AttachTransportFilename: att.transportName = decode8(a.data, encoding) || undefined; break;
    case ATT.AttachData: att.data = a.data; break;
    case ATT.Attachment: {
      const props = [...att.props.props, ...readPropBlock(a.data, encoding, where)];
      att.props = new PropList(props);
      const obj = props.find((p) => p.tag === PR_ATTACH_DATA_OBJ)?.value;
      if (Buffer.isBuffer(obj)) object(att, obj, depth);
      break;
    }
    default: break; // attAttachMetaFile (a rendering picture), dates: not needed for MIME
  }
}

function object(att: TnefAttachment, obj: Buffer, depth: number): void {
  const iid = obj.subarray(0, 16).toString('hex');
  const body = obj.subarray(16);
  if (iid !== IID.IMessage) {
    att.object = body;
    return;
  }
  if (depth + 1 > MAX_DEPTH) {
    att.embeddedRaw = body;
    att.embeddedError = `embedded messages nested more than ${MAX_DEPTH} levels deep`;
    return;
  }
  try {
    att.embedded = parseTnef(body, depth + 1);
  } catch (err) {
    if (!(err instanceof TnefError)) throw err;
    att.embeddedRaw = body;
    att.embeddedError = err.message;
  }
}
