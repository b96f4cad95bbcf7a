/**
 * vCards as the groupware reconciliation compares them (3.0 and 4.0 alike): FN, N and ADR by
 * their trimmed components, EMAIL (lower-case), TEL (digits and a leading "+"; "tel:" URIs and
 * separators ignored), ORG, TITLE, ROLE, NICKNAME, NOTE (whitespace-normalised), BDAY (the date),
 * URL, CATEGORIES, MEMBER (as sets where a card may repeat them), PHOTO and LOGO as a hash of the
 * decoded image (base64 with ENCODING=b or a data: URI give the same hash). Ignored: VERSION,
 * PRODID, REV, parameters (TYPE, PREF…), property order, folding. Pure.
 */
import { createHash } from 'node:crypto';
import ICAL from 'ical.js';
import type { Fields } from './groupware-ical.js';

export interface Card { uid: string; fields: Fields }

export const PRIVATE_CARD_FIELDS = new Set(['FN', 'N', 'ADR', 'EMAIL', 'TEL', 'ORG', 'TITLE', 'ROLE', 'NICKNAME', 'NOTE', 'BDAY', 'URL', 'CATEGORIES', 'MEMBER']);

function flat(v: unknown): string {
  if (Array.isArray(v)) return v.map(flat).join(';');
  // "\;" and "\," as a server escapes them (vCard 3.0 text; Radicale re-writes a raw ";" in FN so) are the characters themselves.
  return String(v).replace(/\\([;,])/g, '$1').replace(/\r\n?/g, '\n').replace(/[ \t]+/g, ' ').trim();
}

function structured(v: unknown): string {
  const parts = (Array.isArray(v) ? v : String(v).split(';')).map(flat);
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts.join(';');
}

function tel(v: unknown): string {
  const s = String(v).trim().replace(/^tel:/i, '');
  return `${s.startsWith('+') ? '+' : ''}${s.replace(/[^0-9*#]/g, '')}`;
}

function imageHash(prop: ICAL.Property): string {
  const raw = String(prop.getFirstValue()).trim();
  const data = /^data:[^,]*;base64,(.*)$/is.exec(raw);
  const bytes = data ? Buffer.from(data[1] ?? '', 'base64')
    : /^(https?|cid|file):/i.test(raw) ? Buffer.from(raw) : Buffer.from(raw.replace(/\s+/g, ''), 'base64');
  return `sha256:${createHash('sha256').update(bytes).digest('hex').slice(0, 16)} (${bytes.length} B)`;
}

function date(v: unknown): string {
  const t = v as { year?: number; month?: number; day?: number };
  if (typeof t === 'object' && t !== null && t.year) return `${String(t.year).padStart(4, '0')}-${String(t.month ?? 0).padStart(2, '0')}-${String(t.day ?? 0).padStart(2, '0')}`;
  const digits = String(v).replace(/[^0-9]/g, '');
  return digits.length >= 8 ? `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6, 8)}` : String(v).trim();
}

const set = (values: string[]) => [...new Set(values.filter((v) => v !== ''))].sort().join(', ');

/** Parses vCard text (one or more cards). Throws on text that is not vCard or a card without UID. */
export function readCards(text: string): Card[] {
  const parsed: unknown = ICAL.parse(text);
  const roots = (Array.isArray(parsed) && Array.isArray(parsed[0]) ? parsed : [parsed]) as unknown[];
  return roots.map((j) => {
    const c = new ICAL.Component(j as unknown[]);
    if (c.name !== 'vcard') throw new Error(`expected a VCARD, found ${c.name.toUpperCase()}`);
    const uid = String(c.getFirstPropertyValue('uid') ?? '').trim().replace(/^urn:uuid:/i, '');
    if (uid === '') throw new Error('a vCard without UID');
    return { uid, fields: cardFields(c) };
  });
}

export function cardFields(c: ICAL.Component): Fields {
  const f: Fields = new Map();
  const all = (name: string) => c.getAllProperties(name);
  const put = (k: string, v: string) => { if (v !== '') f.set(k, v); };
  put('FN', all('fn').map((p) => flat(p.getFirstValue())).join(', '));
  put('N', all('n').map((p) => structured(p.getFirstValue())).join(', '));
  put('ADR', set(all('adr').map((p) => structured(p.getFirstValue()))));
  put('ORG', set(all('org').map((p) => structured(p.getFirstValue()))));
  put('EMAIL', set(all('email').map((p) => flat(p.getFirstValue()).replace(/^mailto:/i, '').toLowerCase())));
  put('TEL', set(all('tel').map((p) => tel(p.getFirstValue()))));
  for (const name of ['title', 'role', 'note', 'url']) put(name.toUpperCase(), set(all(name).map((p) => flat(p.getFirstValue()))));
  put('NICKNAME', set(all('nickname').flatMap((p) => p.getValues().map(flat))));
  put('CATEGORIES', set(all('categories').flatMap((p) => p.getValues().map(flat))));
  put('BDAY', all('bday').map((p) => date(p.getFirstValue())).join(', '));
  put('MEMBER', set([...all('member'), ...all('x-addressbookserver-member')].map((p) => flat(p.getFirstValue()).replace(/^urn:uuid:/i, ''))));
  for (const name of ['photo', 'logo']) put(name.toUpperCase(), set(all(name).map(imageHash)));
  return f;
}
