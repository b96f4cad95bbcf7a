/**
 * IMAP mailbox-name encoding: the "modified UTF-7" of RFC 3501 §5.1.3.
 *
 * - Printable US-ASCII (0x20–0x7e) stands for itself, except "&", which is written "&-".
 * - Any other run of characters is written as "&" + modified base64 of its UTF-16BE code units
 *   + "-". Modified base64 uses "," instead of "/" and has no "=" padding.
 *
 * Pure functions, no I/O. The decoder is strict: anything a conforming server cannot have
 * produced throws a `MailboxNameError` that names the problem and its position.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,';
const DECODE: Int16Array = (() => {
  const t = new Int16Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) t[ALPHABET.charCodeAt(i)] = i;
  return t;
})();

export class MailboxNameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MailboxNameError';
  }
}

const isDirect = (code: number): boolean => code >= 0x20 && code <= 0x7e;

/** Modified base64 of the UTF-16BE code units of `s`, without padding. */
function base64Utf16(s: string): string {
  const bytes = new Uint8Array(s.length * 2);
  for (let i = 0; i < s.length; i++) {
    const u = s.charCodeAt(i);
    bytes[2 * i] = u >> 8;
    bytes[2 * i + 1] = u & 0xff;
  }
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]!;
  }
  return out;
}

/** Throws when `s` holds a lone UTF-16 surrogate (it cannot be a mailbox name). */
function assertWellFormed(s: string, what: string): void {
  for (let i = 0; i < s.length; i++) {
    const u = s.charCodeAt(i);
    if (u >= 0xd800 && u <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      throw new MailboxNameError(`${what}: unpaired high surrogate U+${u.toString(16).toUpperCase()} at index ${i}`);
    }
    if (u >= 0xdc00 && u <= 0xdfff) {
      throw new MailboxNameError(`${what}: unpaired low surrogate U+${u.toString(16).toUpperCase()} at index ${i}`);
    }
  }
}

/** Encodes a Unicode mailbox name as IMAP modified UTF-7 (e.g. "Entwürfe" → "Entw&APw-rfe"). */
export function encodeMailboxName(s: string): string {
  assertWellFormed(s, `cannot encode mailbox name ${JSON.stringify(s)}`);
  let out = '';
  let i = 0;
  while (i < s.length) {
    const code = s.charCodeAt(i);
    if (code === 0x26) {
      out += '&-';
      i++;
    } else if (isDirect(code)) {
      let j = i + 1;
      while (j < s.length && isDirect(s.charCodeAt(j)) && s.charCodeAt(j) !== 0x26) j++;
      out += s.slice(i, j);
      i = j;
    } else {
      // One shift sequence for the whole run of non-direct characters (RFC 3501 requires merging).
      let j = i + 1;
      while (j < s.length && !isDirect(s.charCodeAt(j))) j++;
      out += '&' + base64Utf16(s.slice(i, j)) + '-';
      i = j;
    }
  }
  return out;
}

/**
 * Decodes an IMAP modified UTF-7 mailbox name. Throws `MailboxNameError` on: a character
 * outside printable US-ASCII, an unterminated "&", a character outside the modified base64
 * alphabet, a shift sequence with an odd number of bytes or non-zero padding bits, and an
 * unpaired surrogate. A shift sequence that encodes printable ASCII is accepted (some
 * servers write them) and decoded as such.
 */
export function decodeMailboxName(s: string): string {
  const fail = (msg: string): never => {
    throw new MailboxNameError(`malformed modified UTF-7 mailbox name ${JSON.stringify(s)}: ${msg}`);
  };
  let out = '';
  let i = 0;
  while (i < s.length) {
    const code = s.charCodeAt(i);
    if (code !== 0x26) {
      if (!isDirect(code)) {
        fail(`character U+${code.toString(16).toUpperCase().padStart(4, '0')} at index ${i} is not printable US-ASCII (must be &-encoded)`);
      }
      let j = i + 1;
      while (j < s.length && s.charCodeAt(j) !== 0x26 && isDirect(s.charCodeAt(j))) j++;
      out += s.slice(i, j);
      i = j;
      continue;
    }
    const end = s.indexOf('-', i + 1);
    if (end < 0) fail(`"&" at index ${i} is not terminated by "-"`);
    if (end === i + 1) {
      out += '&';
      i = end + 1;
      continue;
    }
    // Decode the base64 run s[i+1 .. end) into UTF-16 code units.
    let bits = 0;
    let nbits = 0;
    let units = '';
    let nbytes = 0;
    let pendingByte = -1;
    for (let k = i + 1; k < end; k++) {
      const c = s.charCodeAt(k);
      const v = c < 128 ? DECODE[c]! : -1;
      if (v < 0) fail(`character ${JSON.stringify(s[k])} at index ${k} is not modified base64`);
      bits = (bits << 6) | v;
      nbits += 6;
      if (nbits >= 8) {
        nbits -= 8;
        const byte = (bits >> nbits) & 0xff;
        bits &= (1 << nbits) - 1;
        nbytes++;
        if (pendingByte < 0) pendingByte = byte;
        else {
          units += String.fromCharCode((pendingByte << 8) | byte);
          pendingByte = -1;
        }
      }
    }
    if (nbytes % 2 !== 0) fail(`shift sequence at index ${i} decodes to an odd number of bytes (${nbytes}); UTF-16 needs pairs`);
    if (nbits >= 6 || bits !== 0) fail(`shift sequence at index ${i} has trailing bits (bad base64 length or non-zero padding)`);
    assertWellFormed(units, `malformed modified UTF-7 mailbox name ${JSON.stringify(s)}: shift sequence at index ${i}`);
    out += units;
    i = end + 1;
  }
  return out;
}
