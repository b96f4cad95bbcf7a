/**
 * MAPI property lists, whichever format they were read from (kopano-backup pickles, TNEF
 * attPropLists, .msg/.pst property streams): property types, property sets, and lookups by tag
 * or by named property (GUID + id/name, never the server-local 0x8xxx tag). Pure.
 */
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

export class PropList {
  constructor(readonly props: MapiProp[]) {}

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

/** A MAPI message as the converters read it: its properties, recipient rows and attachments. */
export interface MapiItem {
  sourcekey: string;
  props: PropList;
  recipients: PropList[];
  attachments: MapiAttachment[];
}

export interface MapiAttachment {
  props: PropList;
  data?: Buffer;
  /** Embedded message (attach method 5). */
  item?: MapiItem;
}
