/**
 * Outlook/Exchange categories → IMAP keywords (RFC 3501 flag-keyword = atom), for every source
 * that carries them (EWS, PST, .msg, Kopano). Pure.
 *
 * The way Thunderbird names its tags: spaces, controls and atom-specials become "_", non-ASCII is
 * written in modified UTF-7 (as folder names are), so "Rot (wichtig)" → "Rot__wichtig_" and
 * "Überfällig" → "&ANw-berf&AOQ-llig" stay readable and reversible. Leading backslashes are
 * dropped (a keyword cannot pose as a system flag). The encoder is iconv-lite's `utf-7-imap` (the
 * one imapflow encodes folder names with).
 */
import iconv from 'iconv-lite';

/** The keyword for a category, or undefined when nothing usable is left. */
export function categoryKeyword(category: string): string | undefined {
  const trimmed = category.trim().replace(/^\\+/, '');
  if (trimmed === '') return undefined;
  const atom = trimmed.replace(/[\s(){%*"\\\]\p{Cc}]/gu, '_');
  // An unpaired surrogate is no character (the encoder would write it as one): keep what is plain ASCII.
  if (/\p{Cs}/u.test(atom)) return atom.replace(/[^\x21-\x7e]/g, '_');
  return iconv.encode(atom, 'utf-7-imap').toString('latin1');
}
