/**
 * Python pickle decoder for what `kopano-backup` writes (Python 2 and 3, protocols 0–2; the
 * common protocol 3/4 opcodes are read too). It never runs code: GLOBAL names resolve to a
 * small set of known constructors (bytes via `_codecs.encode`, datetime, set, OrderedDict,
 * copy_reg._reconstructor); any other class becomes a `PyObject` carrying its class name,
 * constructor arguments and BUILD state (e.g. `MAPI.Time.FileTime` with `{filetime: n}`).
 *
 * Value mapping: None → null; bool → boolean; int → number, long (LONG, LONG1, LONG4) and
 * text ints beyond 2^53 → bigint; float → number; unicode → string; bytes / Python 2 str →
 * Buffer; list and tuple → array; dict → Map (bytes keys become latin1 strings, so Python 2
 * `'props'` and Python 3 `b'props'` read the same); datetime/date → PyDateTime.
 */
import { inflateSync } from 'node:zlib';
import { coerceError } from '../../src/util/errors.js';

export type PyKey = string | number | bigint | boolean | null;
export type PyValue = null | boolean | number | bigint | string | Buffer | PyValue[] | PyDict | PyObject | PyDateTime | PyClass;
export type PyDict = Map<PyKey, PyValue>;

/** A class or function named by GLOBAL; only known ones are ever "called" (see `call`). */
export class PyClass {
  constructor(readonly name: string) {}
}

export class PyObject {
  state: PyValue = null;
  constructor(readonly className: string, readonly args: PyValue[] = []) {}
  /** A field of the BUILD state dict. */
  get(name: string): PyValue | undefined {
    return this.state instanceof Map ? this.state.get(name) : undefined;
  }
}

/** A `datetime.datetime` / `datetime.date` (naive unless `tz` is set; kopano-backup writes local naive times). */
export class PyDateTime {
  constructor(
    readonly year: number, readonly month: number, readonly day: number,
    readonly hour = 0, readonly minute = 0, readonly second = 0, readonly microsecond = 0,
    readonly dateOnly = false, readonly tz: PyValue = null,
  ) {}
  /** ISO text without a zone, e.g. 2021-06-30T23:00:05 (date only: 2021-06-30). */
  naiveIso(): string {
    const p = (n: number, w = 2): string => String(n).padStart(w, '0');
    const d = `${p(this.year, 4)}-${p(this.month)}-${p(this.day)}`;
    if (this.dateOnly) return d;
    return `${d}T${p(this.hour)}:${p(this.minute)}:${p(this.second)}${this.microsecond ? `.${p(this.microsecond, 6)}` : ''}`;
  }
  /** The instant, reading the wall-clock time as UTC. */
  asUtc(): Date {
    return new Date(Date.UTC(this.year, this.month - 1, this.day, this.hour, this.minute, this.second, Math.floor(this.microsecond / 1000)));
  }
}

export class PickleError extends Error {
  override readonly name = 'PickleError';
}

const MARK = Symbol('mark');
type StackValue = PyValue | typeof MARK;

function keyOf(v: PyValue): PyKey {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return v;
  if (Buffer.isBuffer(v)) return v.toString('latin1');
  if (v instanceof PyDateTime) return v.naiveIso();
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}

function signedLong(bytes: Buffer): bigint {
  if (bytes.length === 0) return 0n;
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes.readUInt8(i));
  if ((bytes.readUInt8(bytes.length - 1) & 0x80) !== 0) n -= 1n << BigInt(bytes.length * 8);
  return n;
}

/** Python string literal (protocol 0 STRING) → bytes. */
function pyStringLiteral(text: string): Buffer {
  const q = text[0];
  if ((q !== "'" && q !== '"') || text[text.length - 1] !== q) throw new PickleError(`STRING opcode without quotes: ${text.slice(0, 40)}`);
  const body = text.slice(1, -1);
  const out: number[] = [];
  const simple: Record<string, number> = { n: 10, r: 13, t: 9, '\\': 92, "'": 39, '"': 34, a: 7, b: 8, f: 12, v: 11, '0': 0 };
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') { out.push(body.charCodeAt(i) & 0xff); continue; }
    const e = body[++i] ?? '';
    if (e === 'x') { out.push(parseInt(body.slice(i + 1, i + 3), 16)); i += 2; } else if (/[0-7]/.test(e)) {
      const m = /^[0-7]{1,3}/.exec(body.slice(i))![0];
      out.push(parseInt(m, 8) & 0xff);
      i += m.length - 1;
    } else if (e in simple) out.push(simple[e]!);
    else out.push(92, body.charCodeAt(i) & 0xff);
  }
  return Buffer.from(out);
}

function rawUnicodeEscape(bytes: Buffer): string {
  return bytes.toString('latin1').replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_m, u: string | undefined, U: string | undefined) =>
    String.fromCodePoint(parseInt(u ?? U ?? '0', 16)));
}

function datetimeFromBytes(cls: string, args: PyValue[]): PyDateTime {
  const b = args[0];
  const tz = args[1] ?? null;
  if (Buffer.isBuffer(b) || typeof b === 'string') {
    const x = Buffer.isBuffer(b) ? b : Buffer.from(b, 'latin1');
    if (cls === 'date' && x.length === 4) return new PyDateTime(x.readUInt16BE(0), x.readUInt8(2), x.readUInt8(3), 0, 0, 0, 0, true);
    if (cls === 'datetime' && x.length === 10) {
      return new PyDateTime(x.readUInt16BE(0), x.readUInt8(2) & 0x7f, x.readUInt8(3), x.readUInt8(4), x.readUInt8(5), x.readUInt8(6),
        (x.readUInt8(7) << 16) | (x.readUInt8(8) << 8) | x.readUInt8(9), false, tz);
    }
    throw new PickleError(`datetime.${cls}: state of ${x.length} bytes`);
  }
  const n = args.map((a) => (typeof a === 'bigint' ? Number(a) : a));
  if (n.slice(0, 3).every((a) => typeof a === 'number')) {
    const [y, mo, d, h, mi, s, us] = n as number[];
    return new PyDateTime(y!, mo!, d!, h ?? 0, mi ?? 0, s ?? 0, us ?? 0, cls === 'date');
  }
  throw new PickleError(`datetime.${cls}: unexpected arguments`);
}

/** Applies a known callable (REDUCE) without running any Python. */
function call(fn: string, args: PyValue[]): PyValue {
  const name = fn.replace(/^(__builtin__|builtins)\./, 'builtins.').replace(/^copyreg\./, 'copy_reg.');
  switch (name) {
    case '_codecs.encode': {
      const [text, enc] = args;
      if (typeof text !== 'string') throw new PickleError('_codecs.encode without a str');
      const e = typeof enc === 'string' ? enc.toLowerCase().replace(/[-_]/g, '') : 'utf8';
      return Buffer.from(text, e === 'latin1' || e === 'iso88591' ? 'latin1' : 'utf8');
    }
    case 'builtins.bytes':
    case 'builtins.bytearray': {
      const [v, enc] = args;
      if (v === undefined) return Buffer.alloc(0);
      if (typeof v === 'string') return Buffer.from(v, typeof enc === 'string' && /latin|8859/i.test(enc) ? 'latin1' : 'utf8');
      if (Buffer.isBuffer(v)) return Buffer.from(v);
      if (Array.isArray(v)) return Buffer.from(v.map((x) => Number(x)));
      throw new PickleError(`${name} of an unexpected value`);
    }
    case 'builtins.set':
    case 'builtins.frozenset':
      return Array.isArray(args[0]) ? [...args[0]] : [];
    case 'datetime.datetime':
      return datetimeFromBytes('datetime', args);
    case 'datetime.date':
      return datetimeFromBytes('date', args);
    case 'collections.OrderedDict': {
      const m: PyDict = new Map();
      const pairs = args[0];
      if (Array.isArray(pairs)) for (const p of pairs) if (Array.isArray(p)) m.set(keyOf(p[0] ?? null), p[1] ?? null);
      return m;
    }
    case 'copy_reg._reconstructor': {
      const cls = args[0];
      if (!(cls instanceof PyClass)) throw new PickleError('copy_reg._reconstructor without a class');
      return new PyObject(cls.name, args.slice(2));
    }
    default:
      return new PyObject(fn, args);
  }
}

/** Decodes one pickle. Throws PickleError with the byte offset on anything it cannot read. */
export function unpickle(data: Buffer): PyValue {
  const stack: StackValue[] = [];
  const marks: number[] = [];
  const memo = new Map<number, StackValue>();
  let pos = 0;

  const fail = (msg: string): never => { throw new PickleError(`pickle offset ${pos}: ${msg}`); };
  const need = (n: number): void => { if (pos + n > data.length) fail(`truncated (needs ${n} more bytes)`); };
  const u8 = (): number => { need(1); return data.readUInt8(pos++); };
  const u16 = (): number => { need(2); const v = data.readUInt16LE(pos); pos += 2; return v; };
  const i32 = (): number => { need(4); const v = data.readInt32LE(pos); pos += 4; return v; };
  const u32 = (): number => { need(4); const v = data.readUInt32LE(pos); pos += 4; return v; };
  const u64 = (): number => { need(8); const v = Number(data.readBigUInt64LE(pos)); pos += 8; return v; };
  const bytes = (n: number): Buffer => { need(n); const v = data.subarray(pos, pos + n); pos += n; return Buffer.from(v); };
  const line = (): string => {
    const nl = data.indexOf(0x0a, pos);
    if (nl < 0) fail('line without newline');
    const s = data.toString('latin1', pos, nl);
    pos = nl + 1;
    return s;
  };
  const pop = (): StackValue => { if (stack.length === 0) fail('stack underflow'); return stack.pop()!; };
  const popValue = (): PyValue => { const v = pop(); if (v === MARK) return fail('unexpected MARK on the stack'); return v; };
  const top = (): StackValue => { if (stack.length === 0) fail('stack underflow'); return stack[stack.length - 1]!; };
  const popMark = (): PyValue[] => {
    const m = marks.pop();
    if (m === undefined) fail('no MARK');
    const items = stack.splice(m!);
    return items.map((v) => (v === MARK ? fail('MARK inside a container') : v));
  };
  const setItems = (d: StackValue, items: PyValue[]): void => {
    if (!(d instanceof Map)) fail('SETITEM(S) on a non-dict');
    for (let i = 0; i + 1 < items.length; i += 2) (d as PyDict).set(keyOf(items[i]!), items[i + 1]!);
  };
  const appendTo = (l: StackValue, items: PyValue[]): void => {
    if (!Array.isArray(l)) fail('APPEND(S) on a non-list');
    (l as PyValue[]).push(...items);
  };
  const reduce = (fn: PyValue, args: PyValue[]): PyValue => (fn instanceof PyClass ? call(fn.name, args) : fail('REDUCE on a non-class'));
  const newObj = (cls: PyValue, args: PyValue): PyValue =>
    (cls instanceof PyClass ? new PyObject(cls.name, Array.isArray(args) ? args : []) : fail('NEWOBJ on a non-class'));
  const int = (text: string): PyValue => {
    if (text === '00') return false;
    if (text === '01') return true;
    const t = text.replace(/L$/, '');
    if (!/^[-+]?\d+$/.test(t)) fail(`bad integer ${text}`);
    const b = BigInt(t);
    return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
  };

  for (;;) {
    const op = String.fromCharCode(u8());
    switch (op) {
      case '\x80': if (u8() > 5) fail('unsupported protocol'); break;
      case '\x95': bytes(8); break; // FRAME
      case '(': marks.push(stack.length); break;
      case '.': {
        if (stack.length !== 1) fail(`STOP with ${stack.length} values on the stack`);
        return popValue();
      }
      case '0': pop(); break;
      case '1': popMark(); break;
      case '2': stack.push(top()); break;
      case 'N': stack.push(null); break;
      case '\x88': stack.push(true); break;
      case '\x89': stack.push(false); break;
      case 'I': stack.push(int(line())); break;
      case 'J': stack.push(i32()); break;
      case 'K': stack.push(u8()); break;
      case 'M': stack.push(u16()); break;
      case 'L': stack.push(BigInt(line().replace(/L$/, ''))); break;
      case '\x8a': stack.push(signedLong(bytes(u8()))); break;
      case '\x8b': { const n = i32(); if (n < 0) fail('negative LONG4 length'); stack.push(signedLong(bytes(n))); break; }
      case 'F': stack.push(parseFloat(line())); break;
      case 'G': { need(8); stack.push(data.readDoubleBE(pos)); pos += 8; break; }
      case 'S': stack.push(pyStringLiteral(line())); break;
      case 'T': { const n = i32(); if (n < 0) fail('negative BINSTRING length'); stack.push(bytes(n)); break; }
      case 'U': stack.push(bytes(u8())); break;
      case 'B': stack.push(bytes(u32())); break;
      case 'C': stack.push(bytes(u8())); break;
      case '\x8e': stack.push(bytes(u64())); break;
      case 'V': stack.push(rawUnicodeEscape(Buffer.from(line(), 'latin1'))); break;
      case 'X': stack.push(bytes(u32()).toString('utf8')); break;
      case '\x8c': stack.push(bytes(u8()).toString('utf8')); break;
      case '\x8d': stack.push(bytes(u64()).toString('utf8')); break;
      case ']': stack.push([]); break;
      case 'l': stack.push(popMark()); break;
      case ')': stack.push([]); break;
      case 't': stack.push(popMark()); break;
      case '\x85': stack.push([popValue()]); break;
      case '\x86': { const b = popValue(); const a = popValue(); stack.push([a, b]); break; }
      case '\x87': { const c = popValue(); const b = popValue(); const a = popValue(); stack.push([a, b, c]); break; }
      case '}': stack.push(new Map()); break;
      case 'd': { const items = popMark(); const d: PyDict = new Map(); setItems(d, items); stack.push(d); break; }
      case '\x8f': stack.push([]); break; // EMPTY_SET
      case '\x90': { const items = popMark(); appendTo(top(), items); break; } // ADDITEMS
      case '\x91': stack.push(popMark()); break; // FROZENSET
      case 'a': { const v = popValue(); appendTo(top(), [v]); break; }
      case 'e': { const items = popMark(); appendTo(top(), items); break; }
      case 's': { const v = popValue(); const k = popValue(); setItems(top(), [k, v]); break; }
      case 'u': { const items = popMark(); setItems(top(), items); break; }
      case 'p': memo.set(int(line()) as number, top()); break;
      case 'q': memo.set(u8(), top()); break;
      case 'r': memo.set(u32(), top()); break;
      case '\x94': memo.set(memo.size, top()); break; // MEMOIZE
      case 'g': case 'h': case 'j': {
        const idx = op === 'g' ? (int(line()) as number) : op === 'h' ? u8() : u32();
        if (!memo.has(idx)) fail(`memo ${idx} not set`);
        stack.push(memo.get(idx)!);
        break;
      }
      case 'c': { const mod = line(); const name = line(); stack.push(new PyClass(`${mod}.${name}`)); break; }
      case '\x93': { const name = popValue(); const mod = popValue(); stack.push(new PyClass(`${String(mod)}.${String(name)}`)); break; }
      case 'R': { const args = popValue(); const fn = popValue(); stack.push(reduce(fn, Array.isArray(args) ? args : [args])); break; }
      case '\x81': { const args = popValue(); stack.push(newObj(popValue(), args)); break; }
      case '\x92': { popValue(); const args = popValue(); stack.push(newObj(popValue(), args)); break; }
      case 'i': { const mod = line(); const name = line(); stack.push(new PyObject(`${mod}.${name}`, popMark())); break; }
      case 'o': {
        const m = marks.pop();
        if (m === undefined) fail('no MARK');
        const [cls, ...args] = stack.splice(m!);
        stack.push(cls instanceof PyClass ? new PyObject(cls.name, args as PyValue[]) : fail('OBJ without a class'));
        break;
      }
      case 'b': {
        const state = popValue();
        const obj = top();
        if (obj instanceof PyObject) obj.state = state;
        else if (!(obj instanceof PyDateTime)) fail('BUILD on a non-object');
        break;
      }
      case 'P': case 'Q': fail('persistent ids are not supported'); break;
      case '\x82': case '\x83': case '\x84': fail('extension registry codes are not supported'); break;
      default: fail(`unknown opcode 0x${op.charCodeAt(0).toString(16)}`);
    }
  }
}

/** True when the bytes start with a zlib header (deflate, valid check bits); a pickle never does. */
export function isZlib(value: Buffer): boolean {
  return value.length >= 2 && value.readUInt8(0) === 0x78 && value.readUInt16BE(0) % 31 === 0;
}

/** A stored value: zlib-compressed (items) or plain (index, folder); `what` names it in errors. */
export function decodeStored(value: Buffer, what: string): PyValue {
  let raw = value;
  if (isZlib(value)) {
    try {
      raw = inflateSync(value);
    } catch (err) {
      throw new PickleError(`${what}: zlib: ${coerceError(err).message}`);
    }
  }
  try {
    return unpickle(raw);
  } catch (err) {
    throw new PickleError(`${what}: ${coerceError(err).message}`);
  }
}

/** Reads a field of a pickled dict by name, whether the key was str or bytes. */
export function field(d: PyValue | undefined, name: string): PyValue | undefined {
  return d instanceof Map ? d.get(name) : undefined;
}

/** A Python int (number or bigint) as a number; undefined for anything else. */
export function asNumber(v: PyValue | undefined): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  return undefined;
}
