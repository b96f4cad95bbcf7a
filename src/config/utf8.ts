/**
 * Strict UTF-8 decoding of the files a person writes (migration.yaml, the user-map CSV): a byte
 * that is not UTF-8 (a Latin-1 "é" from Excel, say) is an error at its line and column, never a
 * silent U+FFFD in a login or a folder name. A leading byte order mark is fine (dropped).
 */

export type Utf8Result =
  | { ok: true; text: string }
  | {
    ok: false;
    /** 1-based line and column (in characters, as an editor counts them) of the first bad byte. */
    line: number;
    column: number;
    /** The bad byte and its offset in the file. */
    byte: number;
    offset: number;
  };

const strict = new TextDecoder('utf-8', { fatal: true });
const lenient = new TextDecoder('utf-8');

/** Decodes `bytes` as UTF-8 or says where the first byte that is not UTF-8 is. */
export function decodeUtf8(bytes: Uint8Array): Utf8Result {
  try {
    return { ok: true, text: strict.decode(bytes) };
  } catch {
    const offset = firstInvalidByte(bytes);
    let lineStart = offset;
    while (lineStart > 0 && bytes[lineStart - 1] !== 0x0a) lineStart--;
    let line = 1;
    for (let i = 0; i < lineStart; i++) if (bytes[i] === 0x0a) line++;
    // Everything before `offset` is valid UTF-8; the decoder drops a BOM at the start of line 1.
    const column = [...lenient.decode(bytes.subarray(lineStart, offset))].length + 1;
    return { ok: false, line, column, byte: bytes[offset] ?? 0, offset };
  }
}

/** What is wrong and what to do (the caller puts the file, line and column in front). */
export function utf8Problem(r: Extract<Utf8Result, { ok: false }>): string {
  const hex = `0x${r.byte.toString(16).toUpperCase().padStart(2, '0')}`;
  return `not UTF-8 (byte ${hex} starts no valid UTF-8 sequence); save the file as UTF-8 ` +
    '(from Windows-1252/Latin-1: iconv -f WINDOWS-1252 -t UTF-8; in Excel: "CSV UTF-8")';
}

/**
 * Offset of the first byte that does not start (or is the start of) a well-formed UTF-8
 * sequence (Unicode table 3-7: no overlong forms, surrogates or code points above U+10FFFF);
 * for a broken multi-byte sequence, the offset of its first byte. `bytes.length` when all valid.
 */
export function firstInvalidByte(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b === 0xe0) { need = 2; lo = 0xa0; }
    else if ((b >= 0xe1 && b <= 0xec) || b === 0xee || b === 0xef) need = 2;
    else if (b === 0xed) { need = 2; hi = 0x9f; }
    else if (b === 0xf0) { need = 3; lo = 0x90; }
    else if (b >= 0xf1 && b <= 0xf3) need = 3;
    else if (b === 0xf4) { need = 3; hi = 0x8f; }
    else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      const [min, max] = k === 1 ? [lo, hi] : [0x80, 0xbf];
      if (c === undefined || c < min || c > max) return i;
    }
    i += need + 1;
  }
  return n;
}

/**
 * The text of a file a person wrote (an address book, a cutover batch, directory overrides),
 * decoded strictly: a byte that is not UTF-8 throws `<name>:<line>:<column>: not UTF-8 …`.
 */
export function utf8TextOf(bytes: Uint8Array, name: string): string {
  const decoded = decodeUtf8(bytes);
  if (!decoded.ok) throw new Error(`${name}:${decoded.line}:${decoded.column}: ${utf8Problem(decoded)}`);
  return decoded.text;
}
