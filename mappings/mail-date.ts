/**
 * Dates as mail headers carry them, and the date a header block gives a message as its
 * INTERNALDATE (shared by the file sources: kopano-tree .eml files, .msg files' transport headers):
 *
 * 1. the Date header (the sender's date; what the source server showed as its date in most
 *    exports, and what reconcile matches on);
 * 2. else the date of the topmost Received header that has one. Each server that handles a
 *    message adds its Received header *above* the others, so the topmost one is the last hop,
 *    written by the server that delivered the message into the mailbox: its date is the moment the
 *    message arrived, which is what INTERNALDATE means (RFC 3501: the delivery date). The lower
 *    ones are earlier hops (the submission can be hours or days earlier when a queue held it).
 *    A topmost header without a readable date gives way to the next one down, the nearest hop
 *    to delivery that can be read.
 *
 * Dates must look like RFC 5322 dates (day month year hh:mm, or ISO 8601 date and time); a date
 * without a zone is read as UTC ("-0000", RFC 5322 §3.3), never as the local time of this machine.
 * Pure.
 */
import { fieldsNamed, fieldValue, parseHeaderBlock } from './header-block.js';

const RFC5322_DATE = /\d{1,2}\s+[A-Za-z]{3,}\s+\d{2,4}\s+\d{1,2}:\d{2}/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/;
const HAS_ZONE = /(?:[+-]\d{2}:?\d{2}|\b(?:UT|UTC|GMT|Z|[ECMP][SD]T)|\d{2}Z)\s*$/i;

/** A date as mail headers write it, or undefined when it does not look like one. */
export function parseMailDate(value: string): Date | undefined {
  let s = value;
  for (let prev = ''; prev !== s;) {
    prev = s;
    s = s.replace(/\([^()]*\)/g, ' ');
  }
  s = s.replace(/\s+/g, ' ').trim();
  if (!RFC5322_DATE.test(s) && !ISO_DATE.test(s)) return undefined;
  if (!HAS_ZONE.test(s)) s = ISO_DATE.test(s) ? `${s.replace(' ', 'T')}Z` : `${s} +0000`;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** The date part of a Received header value: what follows its last ";". */
function receivedDate(value: string): Date | undefined {
  const semi = value.lastIndexOf(';');
  return semi < 0 ? undefined : parseMailDate(value.slice(semi + 1));
}

/** The message's date from its header block (text up to the first empty line): Date, else the topmost dated Received; undefined when neither is readable. */
export function headerDate(headers: string): { date: Date; from: 'Date' | 'Received' } | undefined {
  const fields = parseHeaderBlock(headers);
  const date = fieldValue(fields, 'date');
  const fromDate = date === undefined ? undefined : parseMailDate(date);
  if (fromDate) return { date: fromDate, from: 'Date' };
  for (const f of fieldsNamed(fields, 'received')) {
    const d = receivedDate(f.raw.slice(f.raw.indexOf(':') + 1).replace(/\r\n(?=[ \t])/g, ''));
    if (d) return { date: d, from: 'Received' };
  }
  return undefined;
}
