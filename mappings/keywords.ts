/**
 * Outlook/Exchange categories → IMAP keywords (RFC 3501 flag-keyword = atom), for every source
 * that carries them (EWS, PST, .msg, Kopano). Pure.
 *
 * The way Thunderbird names its tags: spaces, controls and atom-specials become "_", non-ASCII is
 * written in modified UTF-7 (as folder names are), so "Rot (wichtig)" → "Rot__wichtig_" and
 * "Überfällig" → "&ANw-berf&AOQ-llig" stay readable and reversible. Leading backslashes are
 * dropped (a keyword cannot pose as a system flag).
 */
import { encodeMailboxName } from './imap-utf7.js';

/** The keyword for a category, or undefined when nothing usable is left. */
export function categoryKeyword(category: string): string | undefined {
  const trimmed = category.trim().replace(/^\\+/, '');
  if (trimmed === '') return undefined;
  const atom = trimmed.replace(/[\s(){%*"\\\]\p{Cc}]/gu, '_');
  try {
    return encodeMailboxName(atom);
  } catch {
    // unpaired surrogates: keep what is plain ASCII
    return atom.replace(/[^\x21-\x7e]/g, '_');
  }
}
