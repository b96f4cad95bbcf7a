/**
 * Neutral contacts and distribution lists (src/model/groupware.ts) → vCard text: 3.0 (RFC 2426)
 * with vcard-creator, the default every CardDAV server accepts, or 4.0 (RFC 6350) with ical.js
 * when the target asks for it. Distribution lists become group vCards: KIND:group + MEMBER in
 * 4.0, X-ADDRESSBOOKSERVER-KIND/-MEMBER (the Apple/NextCloud/SOGo convention) in 3.0.
 *
 * The output depends only on the input: REV is written only when the source has a modification
 * time, so an unchanged contact converts to identical bytes on every run.
 */
import ICAL from 'ical.js';
import VCard from 'vcard-creator';
import type { AddressType, EmailType, PhoneType } from 'vcard-creator';
import type { Contact, ContactGroup, PostalAddress } from '../../src/model/groupware.js';
import { ConversionError } from './errors.js';

export type VCardVersion = '3.0' | '4.0';

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

function validDate(s: string): boolean {
  const m = DATE_RE.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCDate() === Number(m[3]) && d.getUTCMonth() === Number(m[2]) - 1;
}

/** FN: the display name, else the name parts, else the company or first email. */
export function formattedName(c: Contact): string {
  const parts = [c.prefix, c.givenName, c.middleName, c.familyName, c.suffix].filter((s): s is string => !!s && s.trim() !== '');
  return c.displayName?.trim() || parts.join(' ') || c.company?.trim() || c.emails?.[0]?.address || c.uid;
}

function validate(c: Contact): void {
  if (!c.uid) throw new ConversionError('', 'contact without a UID');
  if (c.birthday !== undefined && !validDate(c.birthday)) throw new ConversionError(c.uid, `birthday: invalid date ${JSON.stringify(c.birthday)}`);
  if (c.lastModified && Number.isNaN(c.lastModified.getTime())) throw new ConversionError(c.uid, 'last modified: invalid date-time');
  if (c.photo && !/^image\/[a-z0-9.+-]+$/i.test(c.photo.mimeType)) throw new ConversionError(c.uid, `photo: unsupported media type ${JSON.stringify(c.photo.mimeType)}`);
}

const phoneTypes = (p: NonNullable<Contact['phones']>[number]): PhoneType[] => {
  const t: PhoneType[] = p.kind === 'cell' ? ['cell'] : p.kind === 'fax' ? ['fax'] : p.kind === 'pager' ? ['pager']
    : p.kind === 'work' ? ['work', 'voice'] : p.kind === 'home' ? ['home', 'voice'] : ['voice'];
  return p.preferred ? [...t, 'pref'] : t;
};

function addressParts(a: PostalAddress): string[] {
  return ['', '', a.street ?? '', a.city ?? '', a.region ?? '', a.postalCode ?? '', a.country ?? ''];
}

/** Drops the REV line vcard-creator adds with the current time when none was set. */
function withoutGeneratedRev(text: string, keep: boolean): string {
  return keep ? text : text.replace(/^REV:[^\r\n]*\r\n/m, '');
}

function contactV3(c: Contact): string {
  const v = new VCard();
  v.addFullName(formattedName(c)); // before addName, which would derive FN from the parts
  v.addName({ familyName: c.familyName ?? '', givenName: c.givenName ?? '', additionalNames: c.middleName ?? '', honorificPrefix: c.prefix ?? '', honorificSuffix: c.suffix ?? '' });
  if (c.nickname) v.addNickname(c.nickname);
  for (const e of c.emails ?? []) {
    const type: EmailType[] = ['internet'];
    if (e.kind === 'work' || e.kind === 'home') type.push(e.kind);
    if (e.preferred) type.push('pref');
    v.addEmail({ address: e.address, type });
  }
  for (const p of c.phones ?? []) v.addPhoneNumber({ number: p.number, type: phoneTypes(p) });
  for (const a of c.addresses ?? []) {
    const [, , street, locality, region, postalCode, country] = addressParts(a);
    const type: AddressType[] = a.kind === 'work' || a.kind === 'home' ? [a.kind] : [];
    v.addAddress({ street, locality, region, postalCode, country, type });
  }
  if (c.company || c.department) v.addCompany({ name: c.company ?? '', department: c.department ?? '' });
  if (c.title) v.addJobtitle(c.title);
  if (c.birthday) v.addBirthday(c.birthday as `${number}-${number}-${number}`);
  if (c.notes) v.addNote(c.notes);
  for (const u of c.urls ?? []) v.addUrl({ url: u });
  if (c.categories?.length) v.addCategories(c.categories);
  if (c.photo) v.addPhoto({ image: c.photo.data.toString('base64'), mime: c.photo.mimeType.slice('image/'.length) });
  v.addUid(c.uid);
  if (c.lastModified) v.addRevision(c.lastModified);
  return withoutGeneratedRev(v.toString(), c.lastModified !== undefined);
}

/** Properties whose value is a URI (no text escaping of "," or ";"). */
const URI_VALUED = new Set(['photo', 'url', 'member']);

function prop(card: ICAL.Component, name: string, value: string | string[] | ICAL.VCardTime, params: Record<string, string | string[]> = {}): void {
  const p = new ICAL.Property(name, card);
  if (Array.isArray(value) && name === 'categories') p.setValues(value);
  else p.setValue(value as string);
  for (const [k, v] of Object.entries(params)) p.setParameter(k, v);
  card.addProperty(p);
}

/**
 * ical.js escapes "," in vCard URI values, which RFC 6350 does not (a data: URI would reach other
 * readers as "base64\\,…"): undo that on the URI-valued lines and fold them again.
 */
function serialize4(card: ICAL.Component): string {
  const lines = card.toString().replace(/\r\n[ \t]/g, '').split('\r\n');
  return lines.map((line) => {
    const name = /^([A-Za-z-]+)[;:]/.exec(line)?.[1]?.toLowerCase();
    return name && URI_VALUED.has(name) ? fold(line.replace(/\\,/g, ',')) : ICAL.helpers.foldline(line);
  }).join('\r\n') + '\r\n';
}

/** RFC 6350 §3.2 folding at 75 octets (never inside a UTF-8 sequence; URI lines are ASCII). */
function fold(line: string): string {
  const out = [line.slice(0, 75)];
  for (let i = 75; i < line.length; i += 74) out.push(line.slice(i, i + 74));
  return out.join('\r\n ');
}

function vcard4(uid: string, fn: string): ICAL.Component {
  const card = new ICAL.Component('vcard');
  prop(card, 'version', '4.0');
  prop(card, 'prodid', '-//ums-migrate//groupware//EN');
  prop(card, 'uid', uid);
  prop(card, 'fn', fn);
  return card;
}

function contactV4(c: Contact): string {
  const card = vcard4(c.uid, formattedName(c));
  prop(card, 'n', [c.familyName ?? '', c.givenName ?? '', c.middleName ?? '', c.prefix ?? '', c.suffix ?? '']);
  if (c.nickname) prop(card, 'nickname', c.nickname);
  for (const e of c.emails ?? []) {
    prop(card, 'email', e.address, { ...(e.kind && e.kind !== 'other' ? { type: e.kind } : {}), ...(e.preferred ? { pref: '1' } : {}) });
  }
  for (const p of c.phones ?? []) {
    const types = phoneTypes(p).filter((t) => t !== 'pref');
    prop(card, 'tel', p.number, { type: types.length === 1 ? types[0] as string : types, ...(p.preferred ? { pref: '1' } : {}) });
  }
  for (const a of c.addresses ?? []) prop(card, 'adr', addressParts(a), a.kind === 'work' || a.kind === 'home' ? { type: a.kind } : {});
  if (c.company || c.department) prop(card, 'org', c.department ? [c.company ?? '', c.department] : [c.company ?? '']);
  if (c.title) prop(card, 'title', c.title);
  if (c.birthday) prop(card, 'bday', ICAL.VCardTime.fromDateAndOrTimeString(c.birthday, 'date'));
  if (c.notes) prop(card, 'note', c.notes);
  for (const u of c.urls ?? []) prop(card, 'url', u);
  if (c.categories?.length) prop(card, 'categories', c.categories);
  if (c.photo) prop(card, 'photo', `data:${c.photo.mimeType};base64,${c.photo.data.toString('base64')}`);
  if (c.lastModified) card.addProperty(new ICAL.Property(['rev', {}, 'timestamp', c.lastModified.toISOString().replace(/\.\d{3}Z$/, 'Z')]));
  return serialize4(card);
}

/** One contact as a vCard. Throws ConversionError for invalid input. */
export function contactToVCard(c: Contact, version: VCardVersion = '3.0'): string {
  validate(c);
  return version === '4.0' ? contactV4(c) : contactV3(c);
}

function memberUri(m: ContactGroup['members'][number]): string | undefined {
  if (m.contactUid) return `urn:uuid:${m.contactUid}`;
  if (m.email) return `mailto:${m.email}`;
  return undefined;
}

/** A distribution list as a group vCard. Members without an address or contact are left out (and listed in `skipped`). */
export function groupToVCard(g: ContactGroup, version: VCardVersion = '3.0'): { text: string; skipped: string[] } {
  if (!g.uid) throw new ConversionError('', 'distribution list without a UID');
  const members = g.members.map((m) => ({ m, uri: memberUri(m) }));
  const skipped = members.filter((x) => !x.uri).map((x) => x.m.name ?? '(unnamed member)');
  const uris = members.flatMap((x) => (x.uri ? [x.uri] : []));
  if (version === '4.0') {
    const card = vcard4(g.uid, g.displayName || g.uid);
    prop(card, 'kind', 'group');
    for (const u of uris) prop(card, 'member', u);
    if (g.notes) prop(card, 'note', g.notes);
    return { text: serialize4(card), skipped };
  }
  const v = new VCard();
  v.addFullName(g.displayName || g.uid);
  v.addName({ familyName: g.displayName || g.uid });
  v.addCustomProperty({ name: 'X-ADDRESSBOOKSERVER-KIND', value: 'group' });
  for (const u of uris) v.addCustomProperty({ name: 'X-ADDRESSBOOKSERVER-MEMBER', value: u.replace(/[\\;,]/g, (ch) => `\\${ch}`) });
  if (g.notes) v.addNote(g.notes);
  v.addUid(g.uid);
  return { text: withoutGeneratedRev(v.toString(), false), skipped };
}
