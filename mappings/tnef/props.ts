/**
 * MAPI property blocks inside TNEF ([MS-OXTNEF] 2.1.3.4–2.1.3.5): the data of attMsgProps,
 * attAttachment and each row of attRecipTable.
 *
 *   count (4) · { type (2) · id (2) · [name, when id >= 0x8000] · value } × count
 *   name  = GUID (16) · kind (4) · { lid (4) | length (4) · UTF-16LE name (length bytes) · pad to 4 }
 *   value = fixed-size types: the value, padded to 4 bytes (PT_SHORT/PT_BOOLEAN: 2 + 2)
 *           PT_STRING8 / PT_UNICODE / PT_BINARY / PT_OBJECT and every multi-valued type:
 *           count (4) · { size (4) · data · pad to 4 } × count   (fixed-size MV values: no size)
 *   PT_OBJECT data starts with the interface id (16 bytes, counted in size).
 *
 * Values come out as MAPI property lists (mappings/mapi/prop-list: tag, value, named id), the
 * shape the Kopano reader gives too, so one MAPI → MailMessage mapping (mappings/mapi/to-mail)
 * serves both. PT_STRING8 is decoded with the stream's code page (attOemCodepage). Anything out of bounds, an unknown
 * property type or an unknown name kind throws a TnefError naming the block, the property and
 * the offset. Pure.
 */
import iconv from 'iconv-lite';
import type { MapiProp, MapiValue } from '../mapi/prop-list.js';
import { TnefError } from './stream.js';

export const PT = {
  SHORT: 0x0002, LONG: 0x0003, FLOAT: 0x0004, DOUBLE: 0x0005, CURRENCY: 0x0006, APPTIME: 0x0007,
  ERROR: 0x000a, BOOLEAN: 0x000b, OBJECT: 0x000d, I8: 0x0014, STRING8: 0x001e, UNICODE: 0x001f,
  SYSTIME: 0x0040, CLSID: 0x0048, BINARY: 0x0102,
} as const;
export const MV_FLAG = 0x1000;

const FIXED: Readonly<Record<number, number>> = {
  [PT.SHORT]: 2, [PT.BOOLEAN]: 2, [PT.LONG]: 4, [PT.FLOAT]: 4, [PT.ERROR]: 4, [PT.DOUBLE]: 8, [PT.APPTIME]: 8,
  [PT.CURRENCY]: 8, [PT.I8]: 8, [PT.SYSTIME]: 8, [PT.CLSID]: 16,
};
const VARIABLE: readonly number[] = [PT.STRING8, PT.UNICODE, PT.BINARY, PT.OBJECT];

const FILETIME_UNIX_EPOCH = 116444736000000000n;

/** iconv-lite's name for a Windows code page (attOemCodepage, PR_INTERNET_CPID); CP1252 when unknown. */
export function codePageEncoding(cp: number | undefined): string {
  if (cp === undefined || cp === 0) return 'cp1252';
  if (cp === 65001) return 'utf8';
  if (cp === 20127) return 'ascii';
  if (cp === 28591) return 'latin1';
  const name = `cp${cp}`;
  return iconv.encodingExists(name) ? name : 'cp1252';
}

/** Text of an 8-bit string in `encoding`, up to its first NUL. */
export function decode8(bytes: Buffer, encoding: string): string {
  const nul = bytes.indexOf(0);
  return iconv.decode(nul < 0 ? bytes : bytes.subarray(0, nul), encoding);
}

/** UTF-16LE text up to its first NUL (an odd last byte is ignored). */
export function decode16(bytes: Buffer): string {
  const s = bytes.subarray(0, bytes.length & ~1).toString('utf16le');
  const nul = s.indexOf('\u0000');
  return nul < 0 ? s : s.slice(0, nul);
}

const hex = (n: number, w: number) => `0x${n.toString(16).padStart(w, '0')}`;

/** A bounds-checked little-endian cursor over one block. */
class Cursor {
  at = 0;
  constructor(private readonly buf: Buffer, private readonly what: string) {}

  fail(why: string): never {
    throw new TnefError(`damaged TNEF properties: ${this.what}: ${why}`);
  }
  get remaining(): number { return this.buf.length - this.at; }
  need(n: number, what: string): void {
    if (n > this.remaining) this.fail(`${what} at offset ${this.at} needs ${n} bytes, ${this.remaining} left`);
  }
  bytes(n: number, what: string): Buffer {
    this.need(n, what);
    const b = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return b;
  }
  u16(what: string): number { return this.bytes(2, what).readUInt16LE(0); }
  u32(what: string): number { return this.bytes(4, what).readUInt32LE(0); }
  pad(n: number): void {
    const p = (4 - (n % 4)) % 4;
    this.at = Math.min(this.buf.length, this.at + p);
  }
}

function fixedValue(type: number, b: Buffer): MapiValue {
  switch (type) {
    case PT.SHORT: return b.readInt16LE(0);
    case PT.BOOLEAN: return b.readUInt16LE(0) !== 0;
    case PT.LONG: return b.readInt32LE(0);
    case PT.ERROR: return b.readUInt32LE(0);
    case PT.FLOAT: return b.readFloatLE(0);
    case PT.DOUBLE:
    case PT.APPTIME: return b.readDoubleLE(0);
    case PT.CURRENCY:
    case PT.I8: return b.readBigInt64LE(0);
    case PT.SYSTIME: return new Date(Number((b.readBigUInt64LE(0) - FILETIME_UNIX_EPOCH) / 10000n));
    default: return Buffer.from(b); // PT_CLSID
  }
}

function variableValue(type: number, b: Buffer, encoding: string): MapiValue {
  if (type === PT.STRING8) return decode8(b, encoding);
  if (type === PT.UNICODE) return decode16(b);
  return b; // PT_BINARY, PT_OBJECT (interface id first)
}

function readName(c: Cursor, tag: string): NonNullable<MapiProp['named']> {
  const guid = c.bytes(16, `${tag}: name GUID`).toString('hex').toUpperCase();
  const kind = c.u32(`${tag}: name kind`);
  if (kind === 0) return { guid, kind: 'id', id: c.u32(`${tag}: name id`) };
  if (kind !== 1) c.fail(`${tag}: name kind ${kind} (expected 0 or 1) at offset ${c.at - 4}`);
  const len = c.u32(`${tag}: name length`);
  const name = decode16(c.bytes(len, `${tag}: name`));
  c.pad(len);
  return { guid, kind: 'string', id: name };
}

function readValues(c: Cursor, type: number, encoding: string, tag: string): MapiValue {
  const base = type & ~MV_FLAG;
  const multi = (type & MV_FLAG) !== 0;
  const fixed = FIXED[base];
  if (fixed === undefined && !VARIABLE.includes(base)) c.fail(`${tag}: unknown property type ${hex(type, 4)} at offset ${c.at}`);
  if (!multi && fixed !== undefined) {
    const v = fixedValue(base, c.bytes(fixed, `${tag}: value`));
    c.pad(fixed);
    return v;
  }
  const count = c.u32(`${tag}: value count`);
  // every value takes at least 4 bytes: a count beyond that is damage, not a reason to allocate
  if (count > c.remaining / 4) c.fail(`${tag}: ${count} values cannot fit in the ${c.remaining} bytes left`);
  if (!multi && count !== 1) c.fail(`${tag}: a single-valued property with ${count} values`);
  const values: MapiValue[] = [];
  for (let i = 0; i < count; i++) {
    if (fixed !== undefined) {
      values.push(fixedValue(base, c.bytes(fixed, `${tag}: value ${i + 1}`)));
      c.pad(fixed);
      continue;
    }
    const size = c.u32(`${tag}: size of value ${i + 1}`);
    const data = c.bytes(size, `${tag}: value ${i + 1}`);
    if (base === PT.OBJECT && size < 16) c.fail(`${tag}: an object value of ${size} bytes, shorter than its interface id`);
    values.push(variableValue(base, data, encoding));
    c.pad(size);
  }
  return multi ? values : (values[0] as MapiValue);
}

function readProp(c: Cursor, encoding: string): MapiProp {
  const start = c.at;
  const type = c.u16('property type');
  const id = c.u16('property id');
  const tag = ((id << 16) | type) >>> 0;
  const label = `property ${hex(tag, 8)} at offset ${start}`;
  const named = id >= 0x8000 ? readName(c, label) : undefined;
  const value = readValues(c, type, encoding, label);
  return named ? { tag, value, named } : { tag, value };
}

/** The properties of one block (attMsgProps, attAttachment); `what` names it in errors. */
export function readPropBlock(data: Buffer, encoding: string, what: string): MapiProp[] {
  const c = new Cursor(data, what);
  const props = readProps(c, encoding);
  if (c.remaining > 0 && !data.subarray(c.at).every((b) => b === 0)) c.fail(`${c.remaining} stray bytes after the last property, at offset ${c.at}`);
  return props;
}

function readProps(c: Cursor, encoding: string): MapiProp[] {
  const count = c.u32('property count');
  if (count > c.remaining / 4) c.fail(`${count} properties cannot fit in ${c.remaining} bytes`);
  const props: MapiProp[] = [];
  for (let i = 0; i < count; i++) props.push(readProp(c, encoding));
  return props;
}

/** The rows of attRecipTable: a row count, then one property block per row. */
export function readRecipientRows(data: Buffer, encoding: string, what: string): MapiProp[][] {
  const c = new Cursor(data, what);
  const rows = c.u32('row count');
  if (rows > c.remaining / 4) c.fail(`${rows} recipient rows cannot fit in ${c.remaining} bytes`);
  const out: MapiProp[][] = [];
  for (let i = 0; i < rows; i++) out.push(readProps(c, encoding));
  if (c.remaining > 0 && !data.subarray(c.at).every((b) => b === 0)) c.fail(`${c.remaining} stray bytes after the last recipient row`);
  return out;
}
