/**
 * The vCard half of the normalisation stage: the bytes of one .vcf file (one or several cards, in
 * vCard 2.1, 3.0 or 4.0 as real exports write them) → one clean vCard per contact in the
 * configured version (3.0 by default), or a failure naming the card and the reason; the other
 * cards of the file still come out.
 *
 * Why not ical.js: a parse → serialise round trip through it changes values (3.0 GEO "-2.600000"
 * → "-2.6", dates reformatted, a 4.0 TEL;VALUE=uri loses VALUE, a 4.0 GEO gets its "," escaped)
 * and it cannot read 2.1 at all. Here values stay text as written and only what a version spells
 * differently is converted (vcard-convert.ts), so nothing is dropped or altered on the way:
 *  - reading: vcard-lines.ts (BOM, line ends, folding, QP soft breaks, 2.1 base64, AGENT);
 *  - decoding: vcard-property.ts (bare parameters, QUOTED-PRINTABLE, CHARSET; bytes that are not
 *    UTF-8 read as windows-1252);
 *  - here: version conversion, FN made when missing (from N, ORG, EMAIL, TEL), N padded to five
 *    components (and an empty one added for 3.0, which requires it), a UID derived from the
 *    source and the card's position when missing (uid.ts), REV never invented, CRLF, folding at
 *    75 octets without splitting a UTF-8 sequence. Normalising the output again gives the same
 *    text. Pure.
 */
import iconv from 'iconv-lite';
import type { NormalizedObject, NormalizeOptions, NormalizeResult, ObjectFailure } from './normalize-types.js';
import { uidFromItemId } from './uid.js';
import { escapeText, from21, from40, splitEscaped, tidy30, tidyText, to40, unescapeText } from './vcard-convert.js';
import { readCards, toBinary, type RawCard } from './vcard-lines.js';
import { decodeProperty, isUtf8, type DecodeContext, type VParam, type VProp } from './vcard-property.js';
import { coerceError } from '../../src/util/errors.js';

const DEFAULT_MAX_OBJECT_BYTES = 20 * 1024 * 1024;

type Version = '2.1' | '3.0' | '4.0';

/** Properties allowed at most once per card (UID is handled on its own). */
const SINGLE = new Set(['N', 'BDAY', 'ANNIVERSARY', 'GENDER', 'KIND', 'PRODID', 'REV']);

/** "182336" → "182,336" (for messages). */
const count = (n: number): string => n.toLocaleString('en-US');

/** A short, printable label for a card in messages: its FN, else N, else EMAIL (never more than 60 characters). */
function labelOf(props: VProp[]): string | undefined {
  for (const name of ['FN', 'N', 'EMAIL']) {
    const p = props.find((x) => x.name === name && !x.binary);
    if (!p) continue;
    const text = (name === 'N' ? splitEscaped(p.value, ';').filter((c) => c.trim()).reverse().join(' ') : p.value);
    const clean = unescapeText(text).replace(/\s+/g, ' ').trim();
    if (clean) return clean.length > 60 ? `${clean.slice(0, 57)}...` : clean;
  }
  return undefined;
}

function describe(card: RawCard, props: VProp[]): string {
  const label = labelOf(props);
  return label ? `vCard #${card.index} ${JSON.stringify(label)}` : `vCard #${card.index}`;
}

/** Best-effort label from the raw lines, for cards that fail before their properties are read. */
function rawLabel(card: RawCard): VProp[] {
  const fn = card.lines.find((l) => /^([A-Za-z0-9-]+\.)?FN[;:]/i.test(l));
  if (!fn) return [];
  const value = fn.slice(fn.indexOf(':') + 1);
  return [{ name: 'FN', params: [], value: isUtf8(value) ? Buffer.from(value, 'latin1').toString('utf8') : value }];
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Checks a base64 value; returns it with its padding completed, or undefined when it is not base64 (wrong characters or an impossible length). */
function checkBase64(v: string): string | undefined {
  if (!BASE64.test(v)) return undefined;
  const bare = v.replace(/=+$/, '');
  const pad = v.length - bare.length;
  if (bare.length % 4 === 1 || (pad > 0 && v.length % 4 !== 0)) return undefined;
  return bare + '='.repeat((4 - (bare.length % 4)) % 4);
}

function versionOf(lines: string[]): Version | undefined {
  const line = lines.find((l) => /^VERSION\s*:/i.test(l));
  const v = line?.slice(line.indexOf(':') + 1).trim();
  return v === '2.1' || v === '3.0' || v === '4.0' ? v : undefined;
}

/** The embedded card of a 2.1 AGENT as literal text (its lines); escaped as a 3.0 text value later (RFC 2426 §3.5.4). */
function agentText(lines: string[]): string {
  const text = ['BEGIN:VCARD', ...lines.filter((l) => l.trim() !== ''), 'END:VCARD', ''].join('\n');
  return iconv.decode(Buffer.from(text, 'latin1'), isUtf8(text) ? 'utf-8' : 'windows-1252');
}

interface CardResult { object?: NormalizedObject; failure?: ObjectFailure }

function formatParam(p: VParam): string {
  const values = p.values.map((v) => {
    const clean = v.replace(/"/g, "'").replace(/[\r\n]+/g, ' ');
    return /[;:,]/.test(clean) ? `"${clean}"` : clean;
  });
  return `${p.name}=${values.join(',')}`;
}

function formatLine(p: VProp): string {
  return `${p.group ? `${p.group}.` : ''}${p.name}${p.params.map((x) => `;${formatParam(x)}`).join('')}:${p.value}`;
}

/** RFC 6350 §3.2 / RFC 2425 §5.8.1 folding: lines of at most 75 octets, never inside a UTF-8 sequence. */
export function foldLine(line: string): string {
  const out: string[] = [];
  let cur = '';
  let octets = 0;
  for (const ch of line) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (octets + n > 75) {
      out.push(cur);
      cur = ' ';
      octets = 1;
    }
    cur += ch;
    octets += n;
  }
  out.push(cur);
  return out.join('\r\n');
}

/** FN made from N, ORG, EMAIL or TEL (escaped text), or undefined when the card has none of them. */
function makeFn(props: VProp[]): { value: string; from: string } | undefined {
  const n = props.find((p) => p.name === 'N');
  if (n) {
    const c = splitEscaped(n.value, ';').map((x) => splitEscaped(x, ',').filter((y) => y.trim()).join(' '));
    const parts = [c[3], c[1], c[2], c[0], c[4]].filter((x): x is string => !!x && x.trim() !== '');
    if (parts.length) return { value: parts.join(' '), from: 'N' };
  }
  const org = props.find((p) => p.name === 'ORG');
  const orgName = org ? splitEscaped(org.value, ';')[0] : undefined;
  if (orgName?.trim()) return { value: orgName, from: 'ORG' };
  for (const name of ['EMAIL', 'TEL', 'NICKNAME']) {
    const p = props.find((x) => x.name === name && x.value.trim() !== '');
    if (p) return { value: name === 'TEL' ? escapeText(p.value.replace(/^tel:/i, '')) : p.value, from: name };
  }
  return undefined;
}

function normalizeCard(card: RawCard, opts: NormalizeOptions, usedUids: Set<string>): CardResult {
  if (!card.ended) return { failure: { what: describe(card, rawLabel(card)), reason: 'no END:VCARD (the file ends, or the next card begins, before it)' } };
  const out: '3.0' | '4.0' = opts.vcardVersion ?? '3.0';
  const repairs = [...card.repairs];
  const warnings: string[] = [];
  const ctx: DecodeContext = { defaultCharset: isUtf8(card.lines.join('\n')) ? 'utf-8' : 'windows-1252', warnings };
  if (ctx.defaultCharset === 'windows-1252') repairs.push('bytes that are not UTF-8 read as windows-1252');
  const hasQp = card.lines.some((l) => /QUOTED-PRINTABLE/i.test(l.slice(0, 200)));
  let version = versionOf(card.lines);
  if (!version) {
    version = hasQp ? '2.1' : '3.0';
    repairs.push(`no VERSION (or an unknown one): read as ${version}`);
  }

  // Decode each line; a line that cannot be read is a warning naming it, the rest of the card still comes out.
  const props: VProp[] = [];
  card.lines.forEach((line, i) => {
    let p: VProp;
    try {
      p = decodeProperty(line, ctx);
    } catch (e) {
      warnings.push(`line ${i + 1} of the card not carried: ${coerceError(e).message}`);
      return;
    }
    if (p.name === 'VERSION') return;
    if (p.name === 'AGENT' && card.embedded.has(i)) p = { ...p, value: version === '2.1' ? agentText(card.embedded.get(i)!) : escapeText(agentText(card.embedded.get(i)!)) };
    if (p.binary) {
      const ok = checkBase64(p.value);
      if (ok === undefined) { warnings.push(`${p.name}: base64 of ${count(p.value.length)} characters is not valid; not carried`); return; }
      if (ok !== p.value) repairs.push(`${p.name}: base64 padding added`);
      p = { ...p, value: ok };
    }
    props.push(p);
  });

  // To the output version.
  const renamed: string[] = [];
  let converted: VProp[];
  if (version === '2.1') {
    converted = props.map(from21);
    repairs.push(`vCard 2.1 converted to ${out}`);
  } else if (version === '3.0') converted = props.map(tidy30);
  else converted = props.map(tidyText);
  if (out === '4.0' && version !== '4.0') converted = converted.map((p) => to40(p, renamed));
  if (out === '3.0' && version === '4.0') { converted = converted.map((p) => tidy30(from40(p, renamed))); repairs.push('vCard 4.0 converted to 3.0'); }
  if (renamed.length) repairs.push(`not defined in vCard ${out}, carried as X- properties: ${[...new Set(renamed)].join(', ')}`);

  const what = describe(card, converted);

  // Control characters (other than tab) are not allowed in a vCard value (RFC 6350 §3.3).
  converted = converted.map((p) => {
    // eslint-disable-next-line no-control-regex
    const clean = p.value.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
    if (clean === p.value) return p;
    repairs.push(`${p.name}: ${p.value.length - clean.length} control character(s) removed`);
    return { ...p, value: clean };
  });

  // Properties a card may hold once (RFC 2426/6350 cardinality): later ones carried as X-<name>.
  const seen = new Set<string>();
  const extra: string[] = [];
  converted = converted.map((p) => {
    if (!SINGLE.has(p.name)) return p;
    if (!seen.has(p.name)) { seen.add(p.name); return p; }
    extra.push(p.name);
    return { ...p, name: `X-${p.name}` };
  });
  if (extra.length) repairs.push(`allowed once per card, later ones carried as X- properties: ${[...new Set(extra)].join(', ')}`);

  // N: five components; 3.0 requires N.
  const head: VProp[] = [];
  converted = converted.map((p) => {
    if (p.name !== 'N') return p;
    const c = splitEscaped(p.value, ';');
    if (c.length >= 5) return p;
    repairs.push(`N: ${5 - c.length} missing component(s) added`);
    return { ...p, value: [...c, ...Array<string>(5 - c.length).fill('')].join(';') };
  });
  if (!converted.some((p) => p.name === 'FN')) {
    const fn = makeFn(converted);
    if (fn) repairs.push(`FN made from ${fn.from}`);
    else warnings.push('no name, organisation, e-mail or phone to make FN from: FN left empty');
    head.push({ name: 'FN', params: [], value: fn?.value ?? '' });
  }
  if (out === '3.0' && !converted.some((p) => p.name === 'N')) {
    head.push({ name: 'N', params: [], value: ';;;;' });
    repairs.push('empty N added (required in vCard 3.0)');
  }

  // UID: kept when present and not used by an earlier card of the same file, else derived.
  const uidProps = converted.filter((p) => p.name === 'UID');
  let uid = uidProps[0] ? unescapeText(uidProps[0].value).trim() : '';
  let derivedUid = false;
  if (uidProps.length > 1) warnings.push(`${uidProps.length} UID properties: the first is the contact's UID, the others are carried as X-UID`);
  converted = converted.map((p) => (p.name === 'UID' && p !== uidProps[0] ? { ...p, name: 'X-UID' } : p));
  if (uid && usedUids.has(uid)) {
    repairs.push(`UID ${JSON.stringify(uid)} already used by an earlier card of the file: a UID derived from the source, the old one kept as X-ORIGINAL-UID`);
    converted = converted.map((p) => (p === uidProps[0] ? { ...p, name: 'X-ORIGINAL-UID' } : p));
    uid = '';
  }
  const tail: VProp[] = [];
  if (!uid) {
    uid = uidFromItemId(`${opts.source}#${card.index}`);
    derivedUid = true;
    converted = converted.filter((p) => p.name !== 'UID');
    tail.push({ name: 'UID', params: [], value: uid });
  }
  usedUids.add(uid);

  const lines = ['BEGIN:VCARD', `VERSION:${out}`, ...[...head, ...converted, ...tail].map(formatLine), 'END:VCARD'];
  const text = lines.map(foldLine).join('\r\n') + '\r\n';
  const max = opts.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES;
  const size = Buffer.byteLength(text, 'utf8');
  if (size > max) return { failure: { what, reason: `${count(size)} bytes after normalisation, over the limit of ${count(max)}` } };
  return { object: { kind: 'contact', uid, derivedUid, text, repairs, warnings: warnings.map((w) => `${what}: ${w}`) } };
}

/** The cards of one .vcf file (or one card a converter built) → one normalised vCard per contact, or a failure per card that cannot be repaired. */
export function normalizeVCards(input: Buffer | string, opts: NormalizeOptions): NormalizeResult {
  const { cards, strayLines } = readCards(toBinary(input));
  const objects: NormalizedObject[] = [];
  const failures: ObjectFailure[] = [];
  const used = new Set<string>();
  for (const card of cards) {
    const r = normalizeCard(card, opts, used);
    if (r.object) objects.push(r.object);
    if (r.failure) failures.push(r.failure);
  }
  if (cards.length === 0) failures.push({ what: opts.source, reason: 'no vCard (BEGIN:VCARD … END:VCARD) found' });
  else if (strayLines.length) {
    const shown = strayLines.slice(0, 5).join(', ') + (strayLines.length > 5 ? ` and ${strayLines.length - 5} more` : '');
    failures.push({ what: `${opts.source} line(s) ${shown}`, reason: 'text outside BEGIN:VCARD … END:VCARD not carried' });
  }
  return { objects, failures };
}
