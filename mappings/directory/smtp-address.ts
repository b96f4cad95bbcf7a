/**
 * SMTP address syntax as the directory sync and the Postfix maps accept it (RFC 5321 mailbox,
 * RFC 6531 for non-ASCII), and the canonical comparison form of an address.
 *
 * Accepted: `local@domain` with
 * - a dot-atom local part (RFC 5322 atext, or any non-ASCII character), at most 64 octets;
 *   quoted local parts ("a b"@x) are refused — no directory or map in the UMS handles them well;
 * - a domain of at least two labels; labels may be IDN (U-labels or xn-- A-labels); after
 *   IDNA conversion each label is letters/digits/hyphens, 1–63 characters, not starting or ending
 *   with a hyphen, the whole name at most 253 characters and the top-level label not all digits.
 *   Address literals ([192.0.2.1]) are refused.
 *
 * Comparison (`addressKey`): addresses are compared case-insensitively and an IDN domain in
 * U-label and A-label form is the same domain. Local parts are compared case-insensitively too:
 * RFC 5321 lets them be case-sensitive, but Exchange, AD and Postfix lookup tables do not.
 *
 * Pure: no I/O (IDNA conversion is `node:url`'s `domainToASCII`).
 */
import { domainToASCII, domainToUnicode } from 'node:url';

/** RFC 5322 atext (ASCII) or any non-ASCII code point (RFC 6531 UTF8-non-ascii). */
const ATOM_CHAR = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\u{10FFFF}]$/u;
const LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Splits at the last "@"; undefined without one. */
export function splitAddress(address: string): { local: string; domain: string } | undefined {
  const at = address.lastIndexOf('@');
  if (at < 0) return undefined;
  return { local: address.slice(0, at), domain: address.slice(at + 1) };
}

/** The domain in lower-case A-label (xn--) form, or undefined when it is not a valid mail domain. */
export function asciiDomain(domain: string): string | undefined {
  return checkDomain(domain).ascii;
}

/** The domain in lower-case U-label form (what a human reads), or undefined when invalid. */
export function unicodeDomain(domain: string): string | undefined {
  const ascii = asciiDomain(domain);
  return ascii === undefined ? undefined : domainToUnicode(ascii);
}

/** True when the domain has a label in A-label form, i.e. its U-label form differs. */
export function isIdnDomain(domain: string): boolean {
  const ascii = asciiDomain(domain);
  return ascii !== undefined && ascii.split('.').some((l) => l.startsWith('xn--'));
}

function checkDomain(domain: string): { ascii?: string; problem?: string } {
  if (domain === '') return { problem: 'the domain is empty' };
  if (domain.startsWith('[')) return { problem: 'address literals are not accepted' };
  if (/[\s\p{Cc}]/u.test(domain)) return { problem: 'the domain contains whitespace or control characters' };
  const ascii = domainToASCII(domain);
  if (ascii === '') return { problem: 'the domain is not a valid (IDNA) domain name' };
  const labels = ascii.split('.');
  if (labels.length < 2) return { problem: 'the domain has no dot' };
  const bad = labels.find((l) => !LDH_LABEL.test(l));
  if (bad !== undefined) return { problem: bad === '' ? 'the domain has an empty label' : `invalid domain label "${bad}"` };
  if (ascii.length > 253) return { problem: 'the domain is longer than 253 characters' };
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) return { problem: 'the top-level label is numeric' };
  return { ascii };
}

function checkLocal(local: string): string | undefined {
  if (local === '') return 'the local part is empty';
  if (local.startsWith('"')) return 'quoted local parts are not accepted';
  if (/[\s\p{Cc}]/u.test(local)) return 'the local part contains whitespace or control characters';
  if (Buffer.byteLength(local, 'utf8') > 64) return 'the local part is longer than 64 octets';
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) return 'misplaced dot in the local part';
  for (const ch of local) if (ch !== '.' && !ATOM_CHAR.test(ch)) return `character "${ch}" is not allowed in the local part`;
  return undefined;
}

/** Why `address` is not an acceptable SMTP address, or undefined when it is. */
export function smtpAddressProblem(address: string): string | undefined {
  const parts = splitAddress(address);
  if (!parts) return 'no "@"';
  return checkLocal(parts.local) ?? checkDomain(parts.domain).problem;
}

export function isValidSmtpAddress(address: string): boolean {
  return smtpAddressProblem(address) === undefined;
}

/**
 * The comparison form: lower-case local part, lower-case A-label domain. Addresses that are not
 * valid are only lower-cased, so they still compare with themselves.
 */
export function addressKey(address: string): string {
  const parts = splitAddress(address);
  if (!parts) return address.toLowerCase();
  const domain = asciiDomain(parts.domain) ?? parts.domain.toLowerCase();
  return `${parts.local.toLowerCase()}@${domain}`;
}
