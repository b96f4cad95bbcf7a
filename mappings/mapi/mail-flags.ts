/**
 * MAPI message state → IMAP flags and keywords. Pure.
 *
 * read → \Seen, flagged (follow-up flag set) → \Flagged, answered (last verb reply/reply-all)
 * → \Answered, forwarded → $Forwarded (RFC 5788), each Outlook category → a keyword
 * (mappings/keywords.ts, shared with the EWS source).
 */
import type { MailMessage } from '../../src/model/mail-message.js';
import { categoryKeyword } from '../keywords.js';

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
