/**
 * One logical vCard line (a binary string from vcard-lines.ts) → a property: group, name,
 * parameters and value, with QUOTED-PRINTABLE and CHARSET resolved (the value comes out as a
 * JavaScript string) and base64 values gathered without white space. vCard 2.1 bare parameters
 * (`TEL;HOME;VOICE`, `PHOTO;JPEG;BASE64`) are named here: ENCODING, VALUE or TYPE. Pure.
 */
import iconv from 'iconv-lite';

export interface VParam { name: string; values: string[] }

export interface VProp {
  /** Apple-style group ("item1"), kept as written. */
  group?: string;
  /** Upper case for registered names; X- names keep the case they were written in. */
  name: string;
  params: VParam[];
  /** The value: base64 without white space when `binary`, else text (escaped as its version writes it). */
  value: string;
  binary?: boolean;
}

const ENCODINGS = new Set(['QUOTED-PRINTABLE', 'BASE64', 'B', '8BIT', '7BIT']);
const VALUES = new Set(['URL', 'URI', 'CONTENT-ID', 'CID', 'INLINE']);

/** Splits on `sep` outside double quotes. */
function splitOutsideQuotes(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const c of s) {
    if (c === '"') quoted = !quoted;
    if (c === sep && !quoted) { out.push(cur); cur = ''; } else cur += c;
  }
  out.push(cur);
  return out;
}

const unquote = (s: string): string => (s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s);

export function param(p: VProp, name: string): string[] | undefined {
  return p.params.find((x) => x.name === name)?.values;
}

export function withoutParam(p: VProp, ...names: string[]): VParam[] {
  return p.params.filter((x) => !names.includes(x.name));
}

/** Adds values to a parameter (merging repeated ones: `TYPE=HOME;TYPE=FAX` → TYPE=HOME,FAX). */
export function addParam(params: VParam[], name: string, values: string[]): void {
  const existing = params.find((x) => x.name === name);
  if (existing) { for (const v of values) if (!existing.values.includes(v)) existing.values.push(v); } else params.push({ name, values: [...values] });
}

/** Parses the header and raw value of a logical line; throws a short Error naming what is wrong. */
export function parseLine(line: string): { group?: string; name: string; params: VParam[]; raw: string } {
  const head = /^(?:([A-Za-z0-9-]+)\.)?([A-Za-z0-9-]+)\s*(?=[;:])/.exec(line);
  if (!head) throw new Error(`a line without a property name (${line.length} characters)`);
  const upper = head[2]!.toUpperCase();
  const name = upper.startsWith('X-') ? head[2]! : upper;
  let i = head[0].length;
  let quoted = false;
  let end = -1;
  for (let j = i; j < line.length; j++) {
    if (line[j] === '"') quoted = !quoted;
    else if (line[j] === ':' && !quoted) { end = j; break; }
  }
  if (end < 0) throw new Error(`${name}: no ":" before the value`);
  const params: VParam[] = [];
  const paramText = line.slice(i, end);
  for (const piece of splitOutsideQuotes(paramText, ';').slice(1)) {
    const t = piece.trim();
    if (t === '') continue;
    const eq = t.indexOf('=');
    if (eq < 0) {
      const bare = t.toUpperCase();
      addParam(params, ENCODINGS.has(bare) ? 'ENCODING' : VALUES.has(bare) ? 'VALUE' : 'TYPE', [bare]);
      continue;
    }
    const pname = t.slice(0, eq).trim().toUpperCase();
    let values = splitOutsideQuotes(t.slice(eq + 1).trim(), ',').map((v) => unquote(v.trim()));
    if (pname === 'TYPE') values = values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
    addParam(params, pname, values);
  }
  i = end + 1;
  return { ...(head[1] ? { group: head[1] } : {}), name, params, raw: line.slice(i) };
}

/** Decodes QUOTED-PRINTABLE (soft line breaks were joined by the reader): "=XX" → byte, anything else kept. */
export function decodeQuotedPrintable(raw: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x3d && /^[0-9A-Fa-f]{2}$/.test(raw.slice(i + 1, i + 3))) {
      bytes.push(parseInt(raw.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(c & 0xff);
  }
  return Buffer.from(bytes);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** True when the bytes (binary string) are valid UTF-8. */
export function isUtf8(bin: string): boolean {
  try { utf8.decode(Buffer.from(bin, 'latin1')); return true; } catch { return false; }
}

export interface DecodeContext {
  /** Charset of values without a CHARSET parameter: UTF-8, or windows-1252 for cards that are not valid UTF-8. */
  defaultCharset: 'utf-8' | 'windows-1252';
  warnings: string[];
}

function decodeBytes(bytes: Buffer, charset: string | undefined, name: string, ctx: DecodeContext): string {
  const wanted: string = charset ?? ctx.defaultCharset;
  let cs = wanted;
  const known: boolean = iconv.encodingExists(wanted);
  if (!known) {
    ctx.warnings.push(`${name}: unknown CHARSET ${JSON.stringify(wanted.slice(0, 40))}, read as ${ctx.defaultCharset}`);
    cs = ctx.defaultCharset;
  }
  return iconv.decode(bytes, cs).replace(/^\uFEFF/, '');
}

/** A logical line → a property with its value decoded (QP and CHARSET resolved, base64 without white space). */
export function decodeProperty(line: string, ctx: DecodeContext): VProp {
  const { group, name, params: rawParams, raw } = parseLine(line);
  const params = rawParams.map((p) => ({ name: p.name, values: p.values.map((v) => (/[\x80-\xff]/.test(v) ? decodeBytes(Buffer.from(v, 'latin1'), undefined, name, ctx) : v)) }));
  const encoding = param({ name, params, value: '' }, 'ENCODING')?.[0]?.toUpperCase();
  const charset = param({ name, params, value: '' }, 'CHARSET')?.[0];
  const rest = params.filter((p) => p.name !== 'CHARSET' && !(p.name === 'ENCODING' && p.values[0]?.toUpperCase() !== 'B' && p.values[0]?.toUpperCase() !== 'BASE64'));
  const base = { ...(group ? { group } : {}), name };
  if (encoding === 'B' || encoding === 'BASE64') {
    return { ...base, params: rest, value: raw.replace(/\s+/g, ''), binary: true };
  }
  const bytes = encoding === 'QUOTED-PRINTABLE' ? decodeQuotedPrintable(raw) : Buffer.from(raw, 'latin1');
  const text = decodeBytes(bytes, charset, name, ctx);
  return { ...base, params: rest, value: encoding === 'QUOTED-PRINTABLE' ? text.replace(/\r\n?/g, '\n') : text };
}
