/**
 * The INTERNALDATE of a MAPI message (a .msg file, a PST item) from the best evidence it carries,
 * never the time of the copy (an APPEND without a date stamps the message with the migration day):
 *
 * 1. PR_MESSAGE_DELIVERY_TIME: when it reached the mailbox, what INTERNALDATE means;
 * 2. PR_CLIENT_SUBMIT_TIME: when it was sent (a sent item or draft has no delivery time);
 * 3. the Date header, else the topmost dated Received header of PR_TRANSPORT_MESSAGE_HEADERS
 *    (mappings/mail-date.ts);
 * 4. PR_CREATION_TIME, then PR_LAST_MODIFICATION_TIME: when the item was made or last saved;
 * 5. the modification time of the file holding it, when the caller has one.
 *
 * A time before 1970 (a zero FILETIME reads as 1601) or from 4501 on (Outlook's "no date", 4501-01-01)
 * is no evidence. Pure.
 */
import { headerDate } from '../mail-date.js';

export type MapiDateEvidence = 'delivery time' | 'submit time' | 'Date header' | 'Received header' | 'creation time' | 'modification time' | 'file mtime';

export interface MapiTimes {
  delivered?: Date;
  submitted?: Date;
  /** PR_TRANSPORT_MESSAGE_HEADERS as stored. */
  transportHeaders?: string;
  created?: Date;
  modified?: Date;
}

const NO_DATE = Date.UTC(4501, 0, 1);
const usable = (d: Date | undefined): d is Date => d !== undefined && !Number.isNaN(d.getTime()) && d.getTime() > 0 && d.getTime() < NO_DATE;

/** The INTERNALDATE and which evidence gave it; undefined only when nothing (not even `fileMtime`) is a usable date. */
export function mapiInternalDate(t: MapiTimes, fileMtime?: Date): { date: Date; from: MapiDateEvidence } | undefined {
  if (usable(t.delivered)) return { date: t.delivered, from: 'delivery time' };
  if (usable(t.submitted)) return { date: t.submitted, from: 'submit time' };
  const fromHeaders = t.transportHeaders ? headerDate(t.transportHeaders) : undefined;
  if (fromHeaders && usable(fromHeaders.date)) return { date: fromHeaders.date, from: fromHeaders.from === 'Date' ? 'Date header' : 'Received header' };
  if (usable(t.created)) return { date: t.created, from: 'creation time' };
  if (usable(t.modified)) return { date: t.modified, from: 'modification time' };
  if (usable(fileMtime)) return { date: fileMtime, from: 'file mtime' };
  return undefined;
}
