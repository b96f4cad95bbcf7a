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
import { PropList as BasePropList, fileTimeToDate, MV_FLAG, propType, PT_BINARY, PT_BOOLEAN, PT_CLSID, PT_DOUBLE, PT_ERROR, PT_I8, PT_LONG, PT_SHORT, PT_STRING8, PT_SYSTIME, PT_UNICODE, type MapiProp, type MapiValue, type NamedId } from '../../mappings/mapi/prop-list.js';
import { coerceError } from '../../src/util/errors.js';

export { MV_FLAG, PSETID, PT_BINARY, PT_BOOLEAN, PT_CLSID, PT_DOUBLE, PT_ERROR, PT_I8, PT_LONG, PT_SHORT, PT_STRING8, PT_SYSTIME, PT_UNICODE, fileTimeToDate, propId, propType } from '../../mappings/mapi/prop-list.js';
export type { MapiProp, MapiValue, NamedId } from '../../mappings/mapi/prop-list.js';

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

/** A property list read from a pickle (`fromList`, `fromDict`); lookups as in mappings/mapi/prop-list.ts. */
export class PropList extends BasePropList {
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
}
