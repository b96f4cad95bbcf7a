/**
 * The TNEF stream ([MS-OXTNEF] 2.1): a signature, the legacy key, then attributes laid end to
 * end. Each attribute is
 *
 *   level (1 byte: 1 message, 2 attachment) · id (4 bytes: type << 16 | attribute) ·
 *   length (4 bytes) · data (length bytes) · checksum (2 bytes: the data's bytes summed mod 65536)
 *
 * `readAttributes` checks all of it and throws a `TnefError` naming the attribute and its offset
 * at the first thing that is wrong (bad signature, a level other than 1/2, a length past the end,
 * a checksum mismatch, stray bytes after the last attribute): a damaged stream is never half-read
 * into a message. Pure; the data of each attribute is a view into the input buffer.
 */

export const TNEF_SIGNATURE = 0x223e9f78;
export const LVL_MESSAGE = 1;
export const LVL_ATTACHMENT = 2;

/** Attribute ids as written (type in the high word), [MS-OXTNEF] 2.1.3.1–2.1.3.3. */
export const ATT = {
  Owner: 0x00060000,
  SentFor: 0x00060001,
  Delegate: 0x00020002,
  DateStart: 0x00030006,
  DateEnd: 0x00030007,
  AidOwner: 0x00050008,
  RequestRes: 0x00040009,
  From: 0x00008000,
  Subject: 0x00018004,
  DateSent: 0x00038005,
  DateRecd: 0x00038006,
  MessageStatus: 0x00068007,
  MessageClass: 0x00078008,
  MessageId: 0x00018009,
  ParentId: 0x0001800a,
  ConversationId: 0x0001800b,
  Body: 0x0002800c,
  Priority: 0x0004800d,
  AttachData: 0x0006800f,
  AttachTitle: 0x00018010,
  AttachMetaFile: 0x00068011,
  AttachCreateDate: 0x00038012,
  AttachModifyDate: 0x00038013,
  DateModified: 0x00038020,
  AttachTransportFilename: 0x00069001,
  AttachRendData: 0x00069002,
  MsgProps: 0x00069003,
  RecipTable: 0x00069004,
  Attachment: 0x00069005,
  TnefVersion: 0x00089006,
  OemCodepage: 0x00069007,
  OriginalMessageClass: 0x00079008,
} as const;

const NAMES = new Map<number, string>(Object.entries(ATT).map(([k, v]) => [v, `att${k}`]));

/** "attAttachData", or the hex id of an attribute this reader does not know. */
export function attributeName(id: number): string {
  return NAMES.get(id) ?? `attribute 0x${id.toString(16).padStart(8, '0')}`;
}

/** A stream that is not TNEF or is damaged; the message says where and what. */
export class TnefError extends Error {
  override readonly name = 'TnefError';
}

export interface TnefAttribute {
  level: typeof LVL_MESSAGE | typeof LVL_ATTACHMENT;
  id: number;
  /** Offset of the attribute's level byte in the stream (for messages naming it). */
  offset: number;
  data: Buffer;
}

export interface TnefStream {
  legacyKey: number;
  attributes: TnefAttribute[];
}

const HEADER = 9; // level + id + length
const CHECKSUM = 2;

/** True when `buf` starts with the TNEF signature. */
export function hasTnefSignature(buf: Buffer): boolean {
  return buf.length >= 4 && buf.readUInt32LE(0) === TNEF_SIGNATURE;
}

function checksum(data: Buffer): number {
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum = (sum + data[i]!) & 0xffff;
  return sum;
}

/** Splits a TNEF stream into its attributes, checking signature, bounds and checksums. */
export function readAttributes(buf: Buffer): TnefStream {
  if (buf.length < 6) throw new TnefError(`not a TNEF stream: ${buf.length} bytes, the signature and key alone take 6`);
  const sig = buf.readUInt32LE(0);
  if (sig !== TNEF_SIGNATURE) throw new TnefError(`not a TNEF stream: signature 0x${sig.toString(16).padStart(8, '0')}, expected 0x223e9f78`);
  const legacyKey = buf.readUInt16LE(4);
  const attributes: TnefAttribute[] = [];
  let at = 6;
  while (at < buf.length) {
    if (buf.length - at < HEADER + CHECKSUM) {
      if (buf.subarray(at).every((b) => b === 0)) break; // zero padding after the last attribute
      throw new TnefError(`truncated TNEF stream: ${buf.length - at} stray bytes at offset ${at}, too few for an attribute`);
    }
    const level = buf[at]!;
    const id = buf.readUInt32LE(at + 1);
    const length = buf.readUInt32LE(at + 5);
    const name = attributeName(id);
    if (level !== LVL_MESSAGE && level !== LVL_ATTACHMENT) {
      throw new TnefError(`damaged TNEF stream: ${name} at offset ${at} has level ${level} (expected 1 or 2)`);
    }
    const dataAt = at + HEADER;
    if (length > buf.length - dataAt - CHECKSUM) {
      throw new TnefError(`truncated TNEF stream: ${name} at offset ${at} declares ${length} bytes, ${Math.max(0, buf.length - dataAt - CHECKSUM)} present`);
    }
    const data = buf.subarray(dataAt, dataAt + length);
    const stored = buf.readUInt16LE(dataAt + length);
    const sum = checksum(data);
    if (stored !== sum) {
      throw new TnefError(`damaged TNEF stream: ${name} at offset ${at} fails its checksum (stored 0x${stored.toString(16)}, computed 0x${sum.toString(16)})`);
    }
    attributes.push({ level, id, offset: at, data });
    at = dataAt + length + CHECKSUM;
  }
  return { legacyKey, attributes };
}
