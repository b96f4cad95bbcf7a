/**
 * IMCEA encapsulation of Exchange legacyExchangeDN ("EX") addresses in SMTP addresses, as
 * specified in [MS-OXCMAIL] 2.1.3.1.8 "IMCEA Encapsulation" and 2.2.3.1.2 "Recognizing and
 * De-Encapsulating IMCEA-Encapsulated Addresses":
 *
 *   "IMCEA" address-type "-" encoded-address "@" domain      (here address-type is "EX")
 *
 * Encoding of the address part:
 * - letters, digits, "-" and "=" stay as they are;
 * - "/" becomes "_";
 * - every other octet becomes "+" and two upper-case hex digits: space "+20", "(" "+28",
 *   ")" "+29", "." "+2E", "_" "+5F", "+" "+2B", "@" "+40", "," "+2C" …; characters outside
 *   ASCII are taken as their UTF-8 octets (the specification speaks of octets).
 * Decoding is the reverse in one left-to-right pass ("+5F" yields "_", not "/"); the "IMCEA"
 * prefix and hex digits are matched case-insensitively. A "+" that is not followed by two hex
 * digits is kept as it is — hand-edited NDR addresses carry such leftovers.
 *
 * These addresses appear as recipients when Outlook replies to a message whose sender was
 * resolved from the Exchange GAL (or from a stale auto-complete entry) and the legacyExchangeDN
 * no longer exists. Giving the new mailbox an X500 proxy address equal to the old DN (see
 * legacyDnToX500) makes Exchange resolve it again; in coexistence, the UMS routes the
 * encapsulated form like the user's other addresses.
 *
 * Pure: no I/O.
 */

const PREFIX = 'IMCEAEX-';
const PLAIN = /^[A-Za-z0-9=-]$/;
const HEX = /^[0-9A-Fa-f]{2}$/;

/** Encodes the address part of an IMCEA address (everything between "IMCEAEX-" and "@"). */
export function encodeImceaPart(text: string): string {
  let out = '';
  for (const ch of text) {
    if (ch === '/') out += '_';
    else if (PLAIN.test(ch)) out += ch;
    else for (const byte of Buffer.from(ch, 'utf8')) out += '+' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** Decodes the address part of an IMCEA address: "_" → "/", "+XX" → octet XX (UTF-8). */
export function decodeImceaPart(encoded: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < encoded.length; i++) {
    const ch = encoded[i]!;
    const hex = encoded.slice(i + 1, i + 3);
    if (ch === '+' && HEX.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (ch === '_') {
      bytes.push(0x2f);
    } else {
      bytes.push(...Buffer.from(ch, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** `IMCEAEX-<encoded legacyExchangeDN>@<domain>`. */
export function encodeImceaex(legacyExchangeDN: string, domain: string): string {
  return `${PREFIX}${encodeImceaPart(legacyExchangeDN)}@${domain}`;
}

/** True when `address` is an IMCEAEX-encapsulated address (prefix in any case, with an "@"). */
export function isImceaex(address: string): boolean {
  return address.slice(0, PREFIX.length).toUpperCase() === PREFIX && address.lastIndexOf('@') > PREFIX.length;
}

/**
 * The legacyExchangeDN inside an IMCEAEX address, or undefined when `address` is not one.
 * The encapsulation domain is dropped: it only says which server can de-encapsulate.
 */
export function decodeImceaex(address: string): string | undefined {
  if (!isImceaex(address)) return undefined;
  return decodeImceaPart(address.slice(PREFIX.length, address.lastIndexOf('@')));
}
