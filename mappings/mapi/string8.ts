/**
 * Code pages of 8-bit (PT_STRING8) strings in PST and .msg files.
 *
 * ANSI PSTs (Outlook 97–2002) store most strings as bytes in the Windows "ANSI" code page of the
 * Outlook that wrote them (CP932 for a Japanese Outlook, CP1252 for a Western one…). Unicode PSTs
 * can hold such strings too. The file does not say which code page its folders use, so:
 *
 *   1. an object's own PR_MESSAGE_CODEPAGE (0x3FFD) — [MS-OXCMSG]: the code page of its
 *      non-Unicode string properties;
 *   2. else the ANSI code page of its PR_MESSAGE_LOCALE_ID (0x3FF1, a Windows LCID);
 *   3. else the store default: given by the caller, or guessed by `openPst` from the messages
 *      (see `voteCodepage`), else 1252.
 *
 * PR_INTERNET_CPID (0x3FDE) is *not* used for strings: it is the charset for the MIME rendering
 * of the body (the Japanese samples say 50220 = ISO-2022-JP while their strings are CP932).
 */
import iconv from 'iconv-lite';

export const PR_MESSAGE_CODEPAGE = 0x3ffd;
export const PR_MESSAGE_LOCALE_ID = 0x3ff1;
export const PR_INTERNET_CPID = 0x3fde;

export const PT_STRING8 = 0x001e;
export const PT_UNICODE = 0x001f;

/** The Western default, for a store that gives no hint. */
export const FALLBACK_CODEPAGE = 1252;

/** The part of pst-extractor's PSTTableItem this module reads. */
export interface PropertyLike {
  entryValueType: number;
  entryValueReference: number;
  data: Buffer;
}
export type PropertyMap = Map<number, PropertyLike>;

/** Code pages whose iconv-lite name is not simply `cp<N>`. */
const NAMED: Record<number, string> = {
  1200: 'utf16le', 1201: 'utf16be', 12000: 'utf32le', 12001: 'utf32be', 65001: 'utf8',
  20127: 'ascii', 20866: 'koi8-r', 21866: 'koi8-u', 51932: 'eucjp', 51949: 'cp949', 52936: 'gbk', 54936: 'gb18030',
  936: 'gbk', 10000: 'macintosh', 10007: 'x-mac-cyrillic',
  28591: 'iso-8859-1', 28592: 'iso-8859-2', 28593: 'iso-8859-3', 28594: 'iso-8859-4', 28595: 'iso-8859-5',
  28596: 'iso-8859-6', 28597: 'iso-8859-7', 28598: 'iso-8859-8', 28599: 'iso-8859-9', 28603: 'iso-8859-13',
  28605: 'iso-8859-15', 38598: 'iso-8859-8',
};

/**
 * The iconv-lite encoding for a Windows code page number, or undefined when iconv-lite has none
 * (e.g. the stateful ISO-2022-JP, 50220–50222, never used for stored 8-bit strings).
 */
export function codepageToEncoding(codepage: number): string | undefined {
  if (known.has(codepage)) return known.get(codepage);
  const name = NAMED[codepage] ?? `cp${codepage}`;
  const encoding = iconv.encodingExists(name) ? name : undefined;
  if (known.size < 1024) known.set(codepage, encoding);
  return encoding;
}
/** Answers of codepageToEncoding (asked for every 8-bit string read). */
const known = new Map<number, string | undefined>();

/**
 * The ANSI code page Windows uses for a locale (LCID), from its primary language (and, where the
 * script differs, its sub-language). Undefined for "Unicode-only" locales and unknown ones.
 */
export function lcidToCodepage(lcid: number): number | undefined {
  if (!Number.isInteger(lcid) || lcid <= 0) return undefined;
  const primary = lcid & 0x3ff;
  switch (primary) {
    case 0x11: return 932; // Japanese
    case 0x12: return 949; // Korean
    case 0x04: return lcid === 0x0804 || lcid === 0x1004 ? 936 : 950; // Chinese: PRC/Singapore simplified, else traditional
    case 0x1e: return 874; // Thai
    case 0x2a: return 1258; // Vietnamese
    case 0x08: return 1253; // Greek
    case 0x1f: return 1254; // Turkish
    case 0x0d: return 1255; // Hebrew
    case 0x01: case 0x29: case 0x20: case 0x8c: return 1256; // Arabic, Farsi, Urdu, Dari
    case 0x25: case 0x26: case 0x27: return 1257; // Estonian, Latvian, Lithuanian
    case 0x05: case 0x0e: case 0x15: case 0x18: case 0x1b: case 0x24: case 0x1c: return 1250; // Czech, Hungarian, Polish, Romanian, Slovak, Slovenian, Albanian
    case 0x1a: return [0x0c1a, 0x181a, 0x201a, 0x301a, 0x281a].includes(lcid) ? 1251 : 1250; // Serbian/Bosnian Cyrillic vs Croatian & Latin
    case 0x2c: return lcid === 0x082c ? 1251 : 1254; // Azeri Cyrillic vs Latin
    case 0x43: return lcid === 0x0843 ? 1251 : 1254; // Uzbek Cyrillic vs Latin
    case 0x19: case 0x22: case 0x23: case 0x02: case 0x2f: case 0x3f: case 0x40: case 0x44: case 0x50: case 0x28: case 0x6d:
      return 1251; // Russian, Ukrainian, Belarusian, Bulgarian, Macedonian, Kazakh, Kyrgyz, Tatar, Mongolian, Tajik, Bashkir
    // Indic and other scripts without an ANSI code page
    case 0x39: case 0x45: case 0x46: case 0x47: case 0x48: case 0x49: case 0x4a: case 0x4b: case 0x4c: case 0x4d: case 0x4e:
    case 0x4f: case 0x57: case 0x37: case 0x2b: case 0x5a: case 0x65:
      return undefined;
    default: return 1252;
  }
}

function intProperty(props: PropertyMap | null | undefined, id: number): number | undefined {
  const item = props?.get(id);
  if (!item) return undefined;
  // PT_LONG (0x0003) values live in entryValueReference; anything else is not a code page
  return item.entryValueType === 0x0003 ? item.entryValueReference >>> 0 : undefined;
}

/** The code page an object itself declares for its 8-bit strings (rules 1–2 above), if any. */
export function objectCodepage(props: PropertyMap | null | undefined): number | undefined {
  const cp = intProperty(props, PR_MESSAGE_CODEPAGE);
  if (cp !== undefined && codepageToEncoding(cp)) return cp;
  const lcid = intProperty(props, PR_MESSAGE_LOCALE_ID);
  return lcid === undefined ? undefined : lcidToCodepage(lcid);
}

/** Decodes PT_STRING8 bytes; trailing NULs (some writers store the terminator) are dropped. */
export function decodeString8(bytes: Buffer, codepage: number): string {
  const encoding = codepageToEncoding(codepage) ?? codepageToEncoding(FALLBACK_CODEPAGE)!;
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return iconv.decode(bytes.subarray(0, end), encoding);
}

/** Encodes a string back to the bytes of a code page (tests compare these with other readers' raw bytes). */
export function encodeString8(text: string, codepage: number): Buffer {
  return iconv.encode(text, codepageToEncoding(codepage) ?? codepageToEncoding(FALLBACK_CODEPAGE)!);
}

/**
 * The resolver pst-extractor calls (PSTFile#string8Codepage, added by patches/pst-extractor+1.12.0.patch)
 * for each object's 8-bit strings: the object's own code page, else the store default.
 */
export function string8Resolver(storeDefault: () => number): (props: PropertyMap | null) => string | undefined {
  return (props) => codepageToEncoding(objectCodepage(props) ?? storeDefault()) ?? codepageToEncoding(FALLBACK_CODEPAGE);
}

/**
 * The most frequent code page among samples (undefined samples ignored); ties go to the first seen.
 * `openPst` feeds it the code pages of a few messages to pick the default for folders.
 */
export function voteCodepage(samples: Iterable<number | undefined>): number | undefined {
  const counts = new Map<number, number>();
  for (const cp of samples) if (cp !== undefined) counts.set(cp, (counts.get(cp) ?? 0) + 1);
  let best: number | undefined;
  let bestCount = 0;
  for (const [cp, n] of counts) if (n > bestCount) { best = cp; bestCount = n; }
  return best;
}
