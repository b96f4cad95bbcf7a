/**
 * MAPI property lists as kopano-backup pickles them: `[[proptag, value, nameid | None], …]`
 * (items, recipients, attachments) or `{proptag: value}` (folder, store, user).
 *
 * Values are converted by the tag's property type: PT_SYSTIME (a pickled `MAPI.Time.FileTime`)
 * → Date, PT_UNICODE → string, PT_STRING8 → string (UTF-8, else latin1), PT_BINARY → Buffer,
 * PT_LONG/PT_SHORT → number, PT_I8 → bigint, PT_BOOLEAN → boolean, multi-valued → arrays.
 *
 * Named properties (tags 0x8000–0xFFFE) carry a `MAPI.Struct.MAPINAMEID` (16-byte GUID, kind
 * MNID_ID 0 / MNID_STRING 1, id). The 0x8xxx tag is only meaningful on the server that wrote
 * it, so lookups go by GUID + id/name (`named()`), never by the tag.
 */
import { PyDateTime, PyObject, type PyValue, asNumber } from './pickle.js';
import { coerceError } from '../../src/util/errors.js';

export type MapiValue = string | number | bigint | boolean | Date | Buffer | null | MapiValue[];

export interface NamedId {
  /** The GUID's 16 bytes as stored (little-endian Data1..3), upper-case hex. */
  guid: string;
  kind: 'id' | 'string';
  id: number | string;
}

export interface MapiProp {
  tag: number;
  value: MapiValue;
  named?: NamedId;
}

export const PT_SHORT = 0x0002;
export const PT_LONG = 0x0003;
export const PT_DOUBLE = 0x0005;
export const PT_ERROR = 0x000a;
export const PT_BOOLEAN = 0x000b;
export const PT_I8 = 0x0014;
export const PT_STRING8 = 0x001e;
export const PT_UNICODE = 0x001f;
export const PT_SYSTIME = 0x0040;
export const PT_CLSID = 0x0048;
export const PT_BINARY = 0x0102;
export const MV_FLAG = 0x1000;

/** Property sets by their stored GUID bytes (hex). */
export const PSETID = {
  Appointment: '0220060000000000C000000000000046',
  Task: '0320060000000000C000000000000046',
  Address: '0420060000000000C000000000000046',
  Common: '0820060000000000C000000000000046',
  PublicStrings: '2903020000000000C000000000000046',
} as const;

const FILETIME_UNIX_EPOCH = 116444736000000000n;

/** A FILETIME (100 ns since 1601) as a Date; invalid dates become an Invalid Date. */
export function fileTimeToDate(ft: bigint): Date {
  return new Date(Number((ft - FILETIME_UNIX_EPOCH) / 10000n));
}

export const propType = (tag: number): number => tag & 0xffff;
export const propId = (tag: number): number => (tag >>> 16) & 0xffff;

function text(v: PyValue): string | undefined {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) {
    const s = v.toString('utf8');
    return s.includes('\ufffd') ? v.toString('latin1') : s;
  }
  return undefined;
}

function scalar(type: number, v: PyValue): MapiValue {
  if (v === null) return null;
  switch (type) {
    case PT_SYSTIME: {
      if (v instanceof PyObject) {
        const ft = v.get('filetime');
        if (typeof ft === 'bigint' || typeof ft === 'number') return fileTimeToDate(BigInt(ft));
      }
      if (v instanceof PyDateTime) return v.asUtc();
      if (typeof v === 'bigint' || typeof v === 'number') return fileTimeToDate(BigInt(v));
      throw new Error('PT_SYSTIME value is not a FileTime');
    }
    case PT_UNICODE:
    case PT_STRING8: {
      const s = text(v);
      if (s === undefined) throw new Error('string property holds no text');
      return s;
    }
    case PT_BINARY:
    case PT_CLSID:
      if (Buffer.isBuffer(v)) return v;
      if (typeof v === 'string') return Buffer.from(v, 'latin1');
      throw new Error('binary property holds no bytes');
    case PT_BOOLEAN:
      return typeof v === 'boolean' ? v : Boolean(asNumber(v));
    case PT_I8:
      return typeof v === 'bigint' ? v : BigInt(asNumber(v) ?? 0);
    case PT_LONG:
    case PT_SHORT:
    case PT_ERROR:
    case PT_DOUBLE: {
      const n = asNumber(v);
      if (n === undefined) throw new Error('numeric property holds no number');
      return n;
    }
    default:
      if (Buffer.isBuffer(v) || typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return v;
      return null;
  }
}

/** Converts a pickled value by the property type of `tag`; throws on a value of the wrong shape. */
export function mapiValue(tag: number, v: PyValue): MapiValue {
  const type = propType(tag);
  if ((type & MV_FLAG) !== 0) {
    if (!Array.isArray(v)) throw new Error('multi-valued property is not a list');
    return v.map((x) => scalar(type & ~MV_FLAG, x));
  }
  return scalar(type, v);
}

function nameId(v: PyValue): NamedId | undefined {
  if (!(v instanceof PyObject)) return undefined;
  const guid = v.get('guid');
  const kind = asNumber(v.get('kind'));
  const id = v.get('id');
  if (!Buffer.isBuffer(guid) || guid.length !== 16) return undefined;
  if (kind === 1 && typeof id === 'string') return { guid: guid.toString('hex').toUpperCase(), kind: 'string', id };
  if (kind === 1 && Buffer.isBuffer(id)) return { guid: guid.toString('hex').toUpperCase(), kind: 'string', id: id.toString('utf8') };
  const n = asNumber(id);
  return n === undefined ? undefined : { guid: guid.toString('hex').toUpperCase(), kind: 'id', id: n };
}

export class PropList {
  constructor(readonly props: MapiProp[]) {}

  /** `[[tag, value, nameid], …]`; a property that cannot be read throws naming its tag. */
  static fromList(v: PyValue | undefined, what: string): PropList {
    if (v === undefined || v === null) return new PropList([]);
    if (!Array.isArray(v)) throw new Error(`${what}: property list is not a list`);
    const props: MapiProp[] = [];
    for (const entry of v) {
      if (!Array.isArray(entry) || entry.length < 2) throw new Error(`${what}: property entry is not [tag, value, nameid]`);
      const tag = asNumber(entry[0]);
      if (tag === undefined) throw new Error(`${what}: property tag is not a number`);
      const t = tag >>> 0;
      let value: MapiValue;
      try {
        value = mapiValue(t, entry[1] ?? null);
      } catch (err) {
        throw new Error(`${what}: property 0x${t.toString(16).toUpperCase().padStart(8, '0')}: ${coerceError(err).message}`);
      }
      const named = nameId(entry[2] ?? null);
      props.push(named ? { tag: t, value, named } : { tag: t, value });
    }
    return new PropList(props);
  }

  /** `{tag: value}` as in the folder/store/user files. */
  static fromDict(v: PyValue | undefined, what: string): PropList {
    if (!(v instanceof Map)) throw new Error(`${what}: not a property dict`);
    return PropList.fromList([...v.entries()].map(([k, x]) => [typeof k === 'bigint' ? k : Number(k), x, null]), what);
  }

  /** By full tag (type included); for PT_UNICODE tags the PT_STRING8 twin is accepted too. */
  get(tag: number): MapiValue | undefined {
    const alt = propType(tag) === PT_UNICODE ? (tag & 0xffff0000) | PT_STRING8 : propType(tag) === (PT_UNICODE | MV_FLAG) ? (tag & 0xffff0000) | PT_STRING8 | MV_FLAG : tag;
    const p = this.props.find((x) => !x.named && (x.tag === tag || x.tag === alt));
    return p?.value;
  }

  named(guid: string, id: number | string): MapiValue | undefined {
    const p = this.props.find((x) => x.named && x.named.guid === guid && x.named.id === id);
    return p?.value;
  }

  string(tag: number): string | undefined {
    const v = this.get(tag);
    return typeof v === 'string' ? v : undefined;
  }

  number(tag: number): number | undefined {
    const v = this.get(tag);
    return typeof v === 'number' ? v : undefined;
  }

  bool(tag: number): boolean | undefined {
    const v = this.get(tag);
    return typeof v === 'boolean' ? v : undefined;
  }

  date(tag: number): Date | undefined {
    const v = this.get(tag);
    return v instanceof Date ? v : undefined;
  }

  binary(tag: number): Buffer | undefined {
    const v = this.get(tag);
    return Buffer.isBuffer(v) ? v : undefined;
  }
}
