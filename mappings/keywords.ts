/**
 * Outlook/Exchange categories → IMAP keywords (RFC 3501 flag-keyword = atom). Pure.
 * Non-ASCII is written in modified UTF-7 (as folder names are), so "Überfällig" stays readable
 * and reversible; characters an atom cannot hold (space, parentheses, quotes…) become "_".
 */
import { encodeMailboxName } from './imap-utf7.js';

// Controls are already gone (modified UTF-7 output is printable ASCII); these are the atom-specials.
const NOT_IN_ATOM = /[(){ %*"\\\]]/g;

/** The keyword for a category, or undefined when nothing usable is left. */
export function categoryKeyword(category: string): string | undefined {
  const trimmed = category.trim();
  if (trimmed === '') return undefined;
  let encoded: string;
  try {
    encoded = encodeMailboxName(trimmed);
  } catch {
    encoded = trimmed.replace(/[^ -~]/g, '_');
  }
  const k = encoded.replace(NOT_IN_ATOM, '_');
  return k === '' ? undefined : k;
}
