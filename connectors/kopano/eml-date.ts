/**
 * The INTERNALDATE of an .eml file from the best evidence it carries, never the time of the copy
 * (an APPEND without a date would stamp every message with the migration day): the Date header,
 * else the topmost Received header with a date (see mappings/mail-date.ts for why those, in that
 * order), else the file's modification time (an export writes the file when it reads the item).
 */
import { headerDate } from '../../mappings/mail-date.js';

export type DateEvidence = 'Date' | 'Received' | 'mtime';

/** The header block of a message (up to the first empty line). */
export function headerBlock(eml: Buffer): Buffer {
  const crlf = eml.indexOf('\r\n\r\n');
  const lf = eml.indexOf('\n\n');
  const end = [crlf, lf].filter((i) => i >= 0).sort((a, b) => a - b)[0];
  return end === undefined ? eml : eml.subarray(0, end + 1);
}

/** The INTERNALDATE for a message with these headers, stored in a file modified at `mtime`, and which evidence gave it. */
export function emlInternalDate(headers: Buffer, mtime: Date): { date: Date; from: DateEvidence } {
  return headerDate(headers.toString('latin1')) ?? { date: mtime, from: 'mtime' };
}
