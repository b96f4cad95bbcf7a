/**
 * The first stage of the vCard normaliser: the bytes of a .vcf file → its cards, each as a list of
 * logical (unfolded) property lines. Works on "binary" strings (one char per byte, latin1) so that
 * no byte is decoded before its property's CHARSET and ENCODING are known.
 *
 * Tolerates what real exports contain: a BOM, LF-only or CR CR LF line ends, vCard 2.1
 * QUOTED-PRINTABLE soft line breaks (a line ending in "="), 2.1 base64 values continued on lines
 * without leading white space and ended by an empty line, empty lines anywhere, several cards per
 * file, and 2.1 AGENT properties holding an embedded vCard on the following lines. Pure.
 */

export interface RawCard {
  /** 1-based position of the card in the file. */
  index: number;
  /** Logical lines (binary strings), without BEGIN:VCARD / END:VCARD. */
  lines: string[];
  /** Embedded vCards (2.1 AGENT), by the index in `lines` of the AGENT line they belong to: their own physical lines. */
  embedded: Map<number, string[]>;
  /** False when the file ended (or another card began) before END:VCARD. */
  ended: boolean;
  /** Repairs made while reading (joined lines without a property name). */
  repairs: string[];
}

export interface ReadResult {
  cards: RawCard[];
  /** 1-based numbers of non-empty lines found outside any BEGIN:VCARD … END:VCARD. */
  strayLines: number[];
}

/** Input → binary string (one char per byte), without a BOM; UTF-16 input (by BOM) is converted to UTF-8 first. */
export function toBinary(input: Buffer | string): string {
  let buf = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  if (buf[0] === 0xff && buf[1] === 0xfe) buf = Buffer.from(buf.subarray(2).toString('utf16le'), 'utf8');
  else if (buf[0] === 0xfe && buf[1] === 0xff) {
    const swapped = Buffer.from(buf.subarray(2));
    swapped.swap16();
    buf = Buffer.from(swapped.toString('utf16le'), 'utf8');
  }
  const s = buf.toString('latin1');
  return s.startsWith('\xEF\xBB\xBF') ? s.slice(3) : s;
}

/** The part of a logical line before its first ':' outside double quotes (group, name and parameters). */
export function headerOf(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') quoted = !quoted;
    else if (c === ':' && !quoted) return line.slice(0, i);
  }
  return line;
}

const QP_RE = /;\s*(ENCODING\s*=\s*)?QUOTED-PRINTABLE\s*(;|$)/i;
const B64_RE = /;\s*(ENCODING\s*=\s*(BASE64|B)|BASE64)\s*(;|$)/i;
const BASE64_LINE = /^[A-Za-z0-9+/=]+$/;
const NAME_RE = /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)?\s*[;:]/;

type Mode = 'none' | 'qp' | 'b64';

function modeOf(line: string): Mode {
  const header = headerOf(line);
  if (header === line) return 'none';
  if (QP_RE.test(header)) return 'qp';
  if (B64_RE.test(header)) return 'b64';
  return 'none';
}

const isBegin = (l: string): boolean => /^\s*BEGIN\s*:\s*VCARD\s*$/i.test(l);
const isEnd = (l: string): boolean => /^\s*END\s*:\s*VCARD\s*$/i.test(l);

/** Splits a .vcf file (binary string from toBinary) into its cards' logical lines. */
export function readCards(bin: string): ReadResult {
  const physical = bin.split(/\r*\n|\r/);
  const cards: RawCard[] = [];
  const strayLines: number[] = [];
  let card: RawCard | undefined;
  let mode: Mode = 'none';
  let nested: { lines: string[]; depth: number; at: number } | undefined;

  const close = (ended: boolean): void => {
    if (card) { card.ended = ended; cards.push(card); }
    card = undefined;
    mode = 'none';
  };

  for (let i = 0; i < physical.length; i++) {
    const line = physical[i]!;
    if (nested && card) {
      if (isBegin(line)) nested.depth++;
      if (isEnd(line) && --nested.depth === 0) {
        card.embedded.set(nested.at, nested.lines);
        nested = undefined;
      } else nested.lines.push(line);
      continue;
    }
    const lines = card?.lines;
    const last = lines && lines.length > 0 ? lines.length - 1 : -1;
    if (lines && last >= 0) {
      if (mode === 'qp' && lines[last]!.endsWith('=')) {
        lines[last] = lines[last]!.slice(0, -1) + line;
        continue;
      }
      if (mode === 'b64') {
        if (line.trim() === '') { mode = 'none'; continue; }
        if (/^[ \t]/.test(line) || BASE64_LINE.test(line)) { lines[last] += line.trim(); continue; }
        mode = 'none';
      }
      if (/^[ \t]/.test(line) && line.trim() !== '') {
        lines[last] += line.slice(1);
        continue;
      }
    }
    if (line.trim() === '') continue;
    if (isBegin(line)) {
      const agent = lines && last >= 0 && /^([A-Za-z0-9-]+\.)?AGENT\s*(;[^:]*)?:\s*$/i.test(lines[last]!) && !card!.embedded.has(last);
      if (agent) { nested = { lines: [], depth: 1, at: last }; continue; }
      close(false);
      card = { index: cards.length + 1, lines: [], embedded: new Map(), ended: false, repairs: [] };
      continue;
    }
    if (!card || !lines) { strayLines.push(i + 1); continue; }
    if (isEnd(line)) { close(true); continue; }
    if (!NAME_RE.test(line) && last >= 0) {
      card.repairs.push(`line ${i + 1} has no property name: joined to the line before it`);
      lines[last] += line;
      continue;
    }
    lines.push(line);
    mode = modeOf(line);
  }
  if (nested && card) card.embedded.set(nested.at, nested.lines);
  close(false);
  return { cards, strayLines };
}
