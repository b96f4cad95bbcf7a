/**
 * The groupware normalisation stage: every calendar, task and contact object passes through here
 * before any CalDAV/CardDAV write, whatever the source (EWS, PST, .msg, kopano-backup,
 * kopano-tree). iCalendar input goes to normalize-ical.ts, vCard input to normalize-vcard.ts;
 * see those files for what is repaired and why. Pure.
 */
import { normalizeICalendar } from './normalize-ical.js';
import type { NormalizeOptions, NormalizeResult } from './normalize-types.js';
import { normalizeVCards } from './normalize-vcard.js';

export type { GroupwareKind, NormalizedObject, NormalizeOptions, NormalizeResult, ObjectFailure } from './normalize-types.js';

/** What the bytes hold, from the first BEGIN line: 'vcard', 'vcalendar' or undefined. */
export function groupwareFormat(input: Buffer | string): 'vcard' | 'vcalendar' | undefined {
  // A byte order mark (U+FEFF, or its UTF-8 bytes EF BB BF read as Latin-1) is no content: Outlook's exports start with one.
  const head = (typeof input === 'string' ? input.slice(0, 4096) : input.subarray(0, 4096).toString('latin1')).replace(/^(?:\uFEFF|\u00EF\u00BB\u00BF)/, '');
  const m = /^[ \t]*BEGIN[ \t]*:[ \t]*(VCARD|VCALENDAR)[ \t]*\r?$/im.exec(head);
  return m ? (m[1]!.toLowerCase() as 'vcard' | 'vcalendar') : undefined;
}

/**
 * The `source` seed of one item on its way into collection `ref`: the DAV target's PUT and the
 * reconciliation must use the same, or a UID made for an object without one would differ.
 */
export function itemSeed(ref: string, itemId: string): string {
  return `${ref}/${itemId}`;
}

/** One source item's bytes → one object per UID (or failures naming each object that cannot be repaired). */
export function normalizeGroupware(input: Buffer | string, opts: NormalizeOptions): NormalizeResult {
  const format = groupwareFormat(input);
  if (format === undefined) return { objects: [], failures: [{ what: opts.source, reason: 'neither iCalendar (BEGIN:VCALENDAR) nor vCard (BEGIN:VCARD)' }] };
  const result = format === 'vcard' ? normalizeVCards(input, opts) : normalizeICalendar(input, opts);
  // An item is never dropped without a word: nothing recognisable inside is a failure too.
  if (result.objects.length === 0 && result.failures.length === 0) {
    return { objects: [], failures: [{ what: opts.source, reason: format === 'vcard' ? 'no vCard found in the file' : 'the calendar holds no VEVENT or VTODO' }] };
  }
  return result;
}
