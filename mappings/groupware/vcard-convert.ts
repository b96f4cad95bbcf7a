/**
 * Property-level conversions between vCard versions, on the decoded properties of
 * vcard-property.ts. Values stay text in their written escaping (RFC 2426/6350: `\\ \n \, \;`), so
 * what a conversion does not touch passes through byte for byte; only what a version spells
 * differently is rewritten:
 *  - 2.1 → 3.0: literal text → escaped text (2.1 escapes only `\;`), bare parameters named,
 *    ENCODING=BASE64 → b, VALUE=URL → uri, GEO "lat,lon" → "lat;lon";
 *  - 3.0 → 4.0: TYPE=PREF → PREF=1, TYPE values lower case, inline binary → data: URI, dates in
 *    basic format, GEO → geo: URI, Apple group cards (X-ADDRESSBOOKSERVER-*) → KIND/MEMBER,
 *    properties 4.0 does not have → X-<name> (listed as a repair);
 *  - 4.0 → 3.0: the reverse, 4.0-only properties → X-<name>.
 * Pure.
 */
import { addParam, param, withoutParam, type VParam, type VProp } from './vcard-property.js';

/** RFC 2426/6350 text escaping of a literal string. */
export function escapeText(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\r\n|\r|\n/g, '\\n').replace(/,/g, '\\,').replace(/;/g, '\\;');
}

/** Splits escaped text on an unescaped separator. */
export function splitEscaped(s: string, sep: ';' | ','): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) { cur += c + s[i + 1]; i++; } else if (c === sep) { out.push(cur); cur = ''; } else cur += c;
  }
  out.push(cur);
  return out;
}

/** Escaped text → literal text. */
export function unescapeText(s: string): string {
  return s.replace(/\\([\\;,nN])/g, (_m, c: string) => (c === 'n' || c === 'N' ? '\n' : c));
}

/** Properties whose value has `;`-separated components. */
const STRUCTURED = new Set(['N', 'ADR', 'ORG', 'GENDER', 'CLIENTPIDMAP']);
/** Properties whose value is a `,`-separated list. */
const LISTS = new Set(['CATEGORIES', 'NICKNAME']);
/** Properties whose value is not text (URI, date, offset, number): never escaped. */
const NOT_TEXT = new Set(['URL', 'FBURL', 'CALURI', 'CAPURI', 'CALADRURI', 'BDAY', 'ANNIVERSARY', 'REV', 'TZ', 'GEO', 'SOURCE', 'MEMBER', 'IMPP']);
const MEDIA = new Set(['PHOTO', 'LOGO', 'SOUND', 'KEY']);

/** A vCard 2.1 value (literal text, `\;` the only escape) → 3.0 escaped text. */
function value21(p: VProp): string {
  const v = p.value;
  if (p.binary) return v;
  const uri = param(p, 'VALUE')?.[0]?.toLowerCase() === 'uri';
  if (NOT_TEXT.has(p.name) || uri) return p.name === 'GEO' ? v.replace(/^\s*([-+\d.]+)\s*,\s*([-+\d.]+)\s*$/, '$1;$2') : v.replace(/\r?\n/g, '');
  if (STRUCTURED.has(p.name)) return v.split(/(?<!\\);/).map((c) => escapeText(c.replace(/\\;/g, ';'))).join(';');
  if (LISTS.has(p.name)) return v.split(',').map((c) => escapeText(c.replace(/\\;/g, ';'))).join(',');
  return escapeText(v.replace(/\\;/g, ';'));
}

/** A vCard 2.1 property → 3.0. */
export function from21(p: VProp): VProp {
  const params: VParam[] = [];
  let value = p.value;
  for (const x of p.params) {
    if (x.name === 'ENCODING') { if (p.binary) params.push({ name: 'ENCODING', values: ['b'] }); continue; }
    if (x.name === 'VALUE') {
      const v = x.values[0]?.toUpperCase();
      if (v === 'INLINE') continue;
      if (v === 'CONTENT-ID' || v === 'CID') { if (!/^cid:/i.test(value)) value = `cid:${value.replace(/^<|>$/g, '')}`; }
      params.push({ name: 'VALUE', values: [v === 'URL' || v === 'URI' || v === 'CONTENT-ID' || v === 'CID' ? 'uri' : x.values[0]!.toLowerCase()] });
      continue;
    }
    if (x.name === 'TYPE') { addParam(params, 'TYPE', x.values.map((t) => t.toUpperCase())); continue; }
    params.push(x);
  }
  const q: VProp = { ...p, params, value };
  return { ...q, value: value21(q) };
}

/** A 3.0 or 4.0 property's value as written, with raw line breaks (from a non-conformant QUOTED-PRINTABLE) escaped. */
export function tidyText(p: VProp): VProp {
  const q = p.binary || !/[\r\n]/.test(p.value) ? p : { ...p, value: p.value.replace(/\r\n|\r|\n/g, '\\n') };
  return escapeBareSeparators(q);
}

/** Text properties whose value is one text (3.0 and 4.0 want a "," in it escaped). */
const SINGLE_TEXT = new Set(['FN', 'NOTE', 'TITLE', 'ROLE', 'LABEL']);

/** `s` with every unescaped character of `chars` escaped ("a,b" → "a\\,b"; "a\\,b" stays). */
function escapeBare(s: string, chars: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) { out += c + s[i + 1]; i++; } else out += chars.includes(c) ? `\\${c}` : c;
  }
  return out;
}

/**
 * A raw "," in a text value (FN, NOTE…, a component of ORG), as some exports write it: escaped,
 * as RFC 2426/6350 require. Radicale (vobject) read "FN:Müller; Hans, Dr." as a list
 * and stored "Müller\\; Hans", and refused "ORG:Müller, Meier & Co;Sales" with HTTP 400.
 */
function escapeBareSeparators(p: VProp): VProp {
  if (p.binary) return p;
  // ORG's components are single texts; a "," in N or ADR separates values of one component (RFC 6350 §6.2.2, §6.3.1).
  const value = p.name === 'ORG'
    ? splitEscaped(p.value, ';').map((part) => escapeBare(part, ',')).join(';')
    : SINGLE_TEXT.has(p.name) ? escapeBare(p.value, ',') : p.value;
  return value === p.value ? p : { ...p, value };
}

const MIME_BY_TYPE: Record<string, string> = { JPEG: 'image/jpeg', JPG: 'image/jpeg', PNG: 'image/png', GIF: 'image/gif', BMP: 'image/bmp', TIFF: 'image/tiff', WEBP: 'image/webp', X509: 'application/pkix-cert', PGP: 'application/pgp-keys', BASIC: 'audio/basic', WAVE: 'audio/wav', WAV: 'audio/wav', MP3: 'audio/mpeg' };

/** The media type of inline binary data: from its TYPE parameter, else from its first bytes. */
function mediaType(p: VProp): { mime: string; fromType: boolean } {
  const t = param(p, 'TYPE')?.[0];
  if (t && /^[a-z]+\/[a-z0-9.+-]+$/i.test(t)) return { mime: t.toLowerCase(), fromType: true };
  if (t && MIME_BY_TYPE[t.toUpperCase()]) return { mime: MIME_BY_TYPE[t.toUpperCase()]!, fromType: true };
  const head = Buffer.from(p.value.slice(0, 16), 'base64');
  if (head[0] === 0xff && head[1] === 0xd8) return { mime: 'image/jpeg', fromType: false };
  if (head.subarray(0, 4).toString('latin1') === '\x89PNG') return { mime: 'image/png', fromType: false };
  if (head.subarray(0, 3).toString('latin1') === 'GIF') return { mime: 'image/gif', fromType: false };
  return { mime: 'application/octet-stream', fromType: false };
}

/** 3.0 date/date-time "1980-03-22", "1953-10-15T23:10:00Z", "1987-09-27T08:30:00-06:00" → 4.0 basic format. */
function basicDate(v: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?)?$/.exec(v.trim());
  if (!m) return v;
  const date = `${m[1]}${m[2]}${m[3]}`;
  if (m[4] === undefined) return date;
  return `${date}T${m[4]}${m[5]}${m[6] ?? '00'}${(m[7] ?? '').replace(':', '')}`;
}

/** Properties of 3.0 that 4.0 does not define: carried as X-<name>. */
const NOT_IN_40 = new Set(['LABEL', 'AGENT', 'MAILER', 'NAME', 'PROFILE', 'CLASS', 'SORT-STRING']);
/** Properties of 4.0 that 3.0 does not define: carried as X-<name>. */
const NOT_IN_30 = new Set(['GENDER', 'ANNIVERSARY', 'LANG', 'KIND', 'RELATED', 'XML', 'CLIENTPIDMAP', 'BIRTHPLACE', 'DEATHPLACE', 'DEATHDATE', 'EXPERTISE', 'HOBBY', 'INTEREST', 'ORG-DIRECTORY', 'CONTACT-URI', 'CREATED', 'GRAMGENDER', 'LANGUAGE', 'PRONOUNS', 'SOCIALPROFILE']);

/** A 3.0 property → 4.0; `renamed` collects the names carried as X- properties. */
export function to40(p: VProp, renamed: string[]): VProp {
  const params: VParam[] = [];
  let pref = false;
  for (const x of p.params) {
    if (x.name === 'ENCODING') continue;
    if (x.name === 'TYPE') {
      const types = x.values.filter((t) => { if (t.toUpperCase() === 'PREF') { pref = true; return false; } return true; }).map((t) => t.toLowerCase());
      if (p.binary && MEDIA.has(p.name)) continue; // the format goes into the data: URI
      if (types.length) addParam(params, 'TYPE', types);
      continue;
    }
    if (x.name === 'VALUE' && ['PHOTO', 'LOGO', 'SOUND', 'KEY'].includes(p.name)) continue; // URI is the 4.0 default
    if (x.name === 'VALUE' && p.name === 'BDAY' && x.values[0]?.toLowerCase() === 'date') continue;
    params.push(x.name === 'VALUE' ? { name: 'VALUE', values: x.values.map((v) => v.toLowerCase()) } : x);
  }
  if (pref) addParam(params, 'PREF', ['1']);
  const group = p.group ? { group: p.group } : {};
  if (p.binary) {
    const mime = mediaType(p).mime;
    if (!MEDIA.has(p.name)) addParam(params, 'VALUE', ['uri']);
    return { ...group, name: p.name, params, value: `data:${mime};base64,${p.value}` };
  }
  let { name, value } = p;
  if (['BDAY', 'ANNIVERSARY', 'REV', 'DEATHDATE'].includes(name)) value = basicDate(value);
  if (name === 'GEO') value = value.replace(/^\s*([-+\d.]+)\s*;\s*([-+\d.]+)\s*$/, 'geo:$1,$2');
  if (name.toUpperCase() === 'X-ADDRESSBOOKSERVER-KIND') name = 'KIND';
  if (name.toUpperCase() === 'X-ADDRESSBOOKSERVER-MEMBER') { name = 'MEMBER'; value = unescapeText(value); }
  if (NOT_IN_40.has(name)) { renamed.push(name); name = `X-${name}`; }
  return { ...group, name, params, value };
}

/** A 4.0 property → 3.0; `renamed` collects the names carried as X- properties. */
export function from40(p: VProp, renamed: string[]): VProp {
  const params: VParam[] = withoutParam(p, 'PREF').map((x) => (x.name === 'TYPE' ? { name: 'TYPE', values: x.values.map((t) => t.toUpperCase()) } : x));
  const prefs = param(p, 'PREF');
  if (prefs?.[0] === '1') addParam(params, 'TYPE', ['PREF']);
  else if (prefs) params.push({ name: 'PREF', values: prefs });
  const group = p.group ? { group: p.group } : {};
  let { name, value } = p;
  const data = /^data:([^;,]+)?(;[^,]*)?;base64,(.*)$/is.exec(value);
  if (MEDIA.has(name) && data) {
    const sub = (data[1] ?? 'application/octet-stream').split('/')[1]!.toUpperCase();
    const rest = params.filter((x) => x.name !== 'VALUE' && x.name !== 'MEDIATYPE');
    return { ...group, name, params: [{ name: 'ENCODING', values: ['b'] }, { name: 'TYPE', values: [sub] }, ...rest.filter((x) => x.name !== 'TYPE')], value: data[3]!.replace(/\s+/g, ''), binary: true };
  }
  if (MEDIA.has(name) && !param(p, 'VALUE')) params.push({ name: 'VALUE', values: ['uri'] });
  if (name === 'TEL' && /^tel:/i.test(value)) {
    value = escapeText(value.slice(4));
    const i = params.findIndex((x) => x.name === 'VALUE');
    if (i >= 0) params.splice(i, 1);
  }
  if (name === 'GEO') value = value.replace(/^geo:([-+\d.]+),([-+\d.]+)$/i, '$1;$2');
  if (name === 'KIND' && value.toLowerCase() === 'group') name = 'X-ADDRESSBOOKSERVER-KIND';
  else if (name === 'MEMBER') { name = 'X-ADDRESSBOOKSERVER-MEMBER'; value = escapeText(value); }
  else if (NOT_IN_30.has(name)) { renamed.push(name); name = `X-${name}`; }
  return { ...group, name, params, value };
}

/** A 3.0 property written by a 3.0 writer: ENCODING=BASE64 → b, TYPE values upper case (3.0 treats them case-insensitively). */
export function tidy30(p: VProp): VProp {
  const params = p.params.map((x) => {
    if (x.name === 'ENCODING') return { name: 'ENCODING', values: ['b'] };
    if (x.name === 'TYPE') return { name: 'TYPE', values: x.values.map((t) => t.toUpperCase()) };
    return x;
  });
  return tidyText({ ...p, params });
}
