/**
 * MAPI message state → IMAP flags and keywords. Pure.
 *
 * read → \Seen, flagged (follow-up flag set) → \Flagged, answered (last verb reply/reply-all)
 * → \Answered, forwarded → $Forwarded (RFC 5788), each Outlook category → a keyword.
 */
import type { MailMessage } from '../../src/model/mail-message.js';
import { encodeMailboxName } from '../imap-utf7.js';

/**
 * An Outlook category as an IMAP keyword (RFC 3501 flag-keyword = atom), the way Thunderbird
 * names its tags: spaces and atom-specials become "_", non-ASCII is written in modified UTF-7,
 * so "Rot (wichtig)" → "Rot__wichtig_" and "Büro" → "B&APw-ro". Undefined for an empty name.
 */
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

/** The IMAP flags of a message, system flags first, keywords de-duplicated. */
export function mailFlags(msg: Pick<MailMessage, 'read' | 'flagged' | 'answered' | 'forwarded' | 'categories'>): string[] {
  const flags: string[] = [];
  if (msg.read) flags.push('\\Seen');
  if (msg.flagged) flags.push('\\Flagged');
  if (msg.answered) flags.push('\\Answered');
  if (msg.forwarded) flags.push('$Forwarded');
  for (const c of msg.categories ?? []) {
    const k = categoryKeyword(c);
    if (k !== undefined && !flags.includes(k)) flags.push(k);
  }
  return flags;
}

/** INTERNALDATE: the delivery time, else the submit time; undefined when neither is a valid date. */
export function internalDate(msg: Pick<MailMessage, 'deliveryTime' | 'date'>): Date | undefined {
  for (const d of [msg.deliveryTime, msg.date]) if (d && !Number.isNaN(d.getTime())) return d;
  return undefined;
}
