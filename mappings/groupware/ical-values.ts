/**
 * Value repairs of one calendar object (normalize-ical.ts), made on the jCal arrays of ical.js:
 *
 * - RECURRENCE-ID, EXDATE and RDATE take the value type of the master's DTSTART. On an all-day
 *   (DATE) series a DATE-TIME RECURRENCE-ID becomes the DATE of that occurrence (as written in
 *   its own zone; a UTC value becomes the neighbouring date that is an occurrence of the series):
 *   Exchange writes `RECURRENCE-ID;TZID=W. Europe Standard Time:20260226T000000` on all-day
 *   series, and a client then shows the moved occurrence beside the original instead of
 *   replacing it. On a DATE-TIME series a DATE value gets the master's time and zone.
 * - An all-day series' RRULE UNTIL written as a DATE-TIME (Exchange) becomes the DATE it means (see
 *   untilAsDate).
 * - VEVENT end: an all-day event without DTEND/DURATION gets DTEND = the next day (RFC 5545
 *   §3.6.1: it lasts that day); a timed one gets DURATION:PT0S (what RFC 5545 means, written
 *   out because Cyrus refuses "DTEND must occur after DTSTART" without it). A DTEND before
 *   DTSTART is not swapped (that would move the start, which is the one time people rely on):
 *   the event keeps its start and becomes zero-length (all-day: one day), with a warning
 *   naming both values. A DATE-TIME DTEND on a DATE event becomes the DATE written.
 * - A missing DTSTAMP (required by sabre/vobject's CalDAV rules) is taken from LAST-MODIFIED or
 *   CREATED, else 1970-01-01T00:00:00Z: no clock, so the output is the same on every run.
 * - Inline attachments (ATTACH;VALUE=BINARY) above the size limit are removed with a warning
 *   naming the file and its size; attachments by URI are kept.
 */
import ICAL from 'ical.js';

type JCalProperty = [string, Record<string, unknown>, string, ...unknown[]];

const jprop = (comp: ICAL.Component, name: string): JCalProperty | undefined =>
  comp.getFirstProperty(name)?.toJSON() as JCalProperty | undefined;

function addDays(date: string, days: number): string {
  const d = new Date(Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10)) + days));
  return d.toISOString().slice(0, 10);
}

const describe = (p: JCalProperty): string =>
  `${p.slice(3).map(String).join(',')}${typeof p[1].tzid === 'string' ? ` (${p[1].tzid})` : ''}`;

/** Dates (YYYY-MM-DD) of the all-day master's occurrences, expanded lazily up to a date. */
class Occurrences {
  private readonly seen = new Set<string>();
  private iterator: ICAL.RecurExpansion | undefined;
  private last = '';
  constructor(master: ICAL.Component) {
    const clone = new ICAL.Component(structuredClone(master.toJSON()) as unknown[]);
    clone.removeAllProperties('exdate');
    try {
      this.iterator = new ICAL.Event(clone).iterator();
    } catch {
      this.iterator = undefined;
    }
  }

  has(date: string): boolean {
    for (let n = 0; this.iterator && this.last <= date && n < 100_000; n++) {
      const next = this.iterator.next();
      if (!next) {
        this.iterator = undefined;
        break;
      }
      this.last = next.toString().slice(0, 10);
      this.seen.add(this.last);
    }
    return this.seen.has(date);
  }
}

/** Makes the RECURRENCE-IDs of `overrides` and the EXDATE/RDATEs of `master` the type of the master's DTSTART. */
export function alignRecurrenceValues(master: ICAL.Component, overrides: ICAL.Component[], repairs: string[]): void {
  const start = jprop(master, 'dtstart');
  if (!start || (start[2] !== 'date' && start[2] !== 'date-time')) return;
  const allDay = start[2] === 'date';
  const startValue = String(start[3]);
  const startTzid = typeof start[1].tzid === 'string' ? start[1].tzid : undefined;
  let occurrences: Occurrences | undefined;
  const dateOf = (v: string): string => {
    const written = v.slice(0, 10);
    if (!v.endsWith('Z')) return written;
    occurrences ??= new Occurrences(master);
    return [written, addDays(written, 1), addDays(written, -1)].find((d) => occurrences?.has(d)) ?? written;
  };
  const align = (p: JCalProperty) => {
    if (allDay && p[2] === 'date-time') {
      const before = describe(p);
      for (let i = 3; i < p.length; i++) p[i] = dateOf(String(p[i]));
      p[2] = 'date';
      delete p[1].tzid;
      repairs.push(`${p[0].toUpperCase()} ${before} → DATE ${describe(p)} (the series is all-day)`);
    } else if (!allDay && p[2] === 'date') {
      const before = describe(p);
      const time = startValue.slice(10);
      for (let i = 3; i < p.length; i++) p[i] = `${String(p[i])}${time}`;
      p[2] = 'date-time';
      if (startTzid) p[1].tzid = startTzid;
      else delete p[1].tzid;
      repairs.push(`${p[0].toUpperCase()} DATE ${before} → ${describe(p)} (the series starts at a time of day)`);
    }
  };
  for (const o of overrides) {
    const rid = jprop(o, 'recurrence-id');
    if (rid) align(rid);
  }
  for (const name of ['exdate', 'rdate']) {
    for (const p of master.getAllProperties(name)) align(p.toJSON() as JCalProperty);
  }
  if (allDay) untilAsDate(master, (d) => (occurrences ??= new Occurrences(master)).has(d), repairs);
}

/**
 * An all-day series' RRULE UNTIL as a DATE (RFC 5545 §3.3.10: UNTIL has DTSTART's type). Exchange
 * writes the local midnight of the last day in UTC (`UNTIL=20210502T220000Z` for 3 May in Berlin,
 * `T050000Z` in New York): a time from 12:00Z on means the next day (zones east of UTC), before
 * 10:00Z the same day (UTC and zones west); in between (UTC+10…+12 or −10…−12) the date that is an
 * occurrence of the series wins, else the next day.
 */
function untilAsDate(master: ICAL.Component, isOccurrence: (date: string) => boolean, repairs: string[]): void {
  for (const prop of master.getAllProperties('rrule')) {
    const recur = prop.getFirstValue() as ICAL.Recur | null;
    const until = recur?.until;
    if (!recur || !until || until.isDate) continue;
    const utc = until.zone === ICAL.Timezone.utcTimezone || until.zone === undefined ? until : until.convertToZone(ICAL.Timezone.utcTimezone);
    const sameDay = utc.toString().slice(0, 10);
    const nextDay = addDays(sameDay, 1);
    const date = utc.hour >= 12 ? nextDay : utc.hour < 10 ? sameDay : isOccurrence(nextDay) || !isOccurrence(sameDay) ? nextDay : sameDay;
    recur.until = ICAL.Time.fromDateString(date);
    prop.setValue(recur);
    repairs.push(`RRULE UNTIL ${until.toString()} → DATE ${date} (the series is all-day)`);
  }
}

/** DTEND/DURATION repairs of one VEVENT (see the file comment). Returns an error when the event has no DTSTART. */
export function repairEventEnd(comp: ICAL.Component, repairs: string[], warnings: string[]): string | undefined {
  const start = jprop(comp, 'dtstart');
  if (!start) return 'VEVENT without DTSTART';
  const end = jprop(comp, 'dtend');
  const startValue = String(start[3]);
  if (!end) {
    if (comp.hasProperty('duration')) return undefined;
    if (start[2] === 'date') {
      comp.addPropertyWithValue('dtend', ICAL.Time.fromDateString(addDays(startValue, 1)));
      repairs.push(`all-day event without DTEND: DTEND ${addDays(startValue, 1)} added (one day)`);
    } else {
      comp.addPropertyWithValue('duration', ICAL.Duration.fromString('PT0S'));
      repairs.push('event without DTEND or DURATION: DURATION:PT0S added (it ends at its start)');
    }
    return undefined;
  }
  if (start[2] === 'date' && end[2] === 'date-time') {
    const before = describe(end);
    end[2] = 'date';
    delete end[1].tzid;
    end[3] = String(end[3]).slice(0, 10);
    repairs.push(`DTEND ${before} → DATE ${String(end[3])} (the event is all-day)`);
  }
  const endValue = String(end[3]);
  if (start[2] !== end[2] || start[1].tzid !== end[1].tzid || startValue.endsWith('Z') !== endValue.endsWith('Z')) return undefined;
  if (start[2] === 'date' && endValue <= startValue) {
    end[3] = addDays(startValue, 1);
    const note = `DTEND ${endValue} not after DTSTART ${startValue}: DTEND ${String(end[3])} (one day)`;
    if (endValue < startValue) warnings.push(note);
    else repairs.push(note);
  } else if (start[2] === 'date-time' && endValue < startValue) {
    comp.removeAllProperties('dtend');
    comp.addPropertyWithValue('duration', ICAL.Duration.fromString('PT0S'));
    warnings.push(`DTEND ${describe(end)} before DTSTART ${describe(start)}: the event keeps its start and ends there (DURATION:PT0S)`);
  }
  return undefined;
}

/** Adds a DTSTAMP where it is missing (from LAST-MODIFIED or CREATED, else the epoch). */
export function ensureDtstamp(comp: ICAL.Component, repairs: string[]): void {
  if (comp.hasProperty('dtstamp')) return;
  const from = [jprop(comp, 'last-modified'), jprop(comp, 'created')].find((p) => p && p[2] === 'date-time' && String(p[3]).endsWith('Z'));
  const value = from ? String(from[3]) : '1970-01-01T00:00:00Z';
  comp.addPropertyWithValue('dtstamp', ICAL.Time.fromDateTimeString(value));
  repairs.push(`DTSTAMP missing: ${value} ${from ? `(from ${from[0].toUpperCase()})` : '(no LAST-MODIFIED or CREATED)'}`);
}

const FILENAME_PARAMS = ['filename', 'x-filename', 'x-apple-filename', 'x-oracle-filename', 'x-ms-filename', 'x-evolution-caldav-attachment-name', 'x-label'];

export const formatSize = (n: number): string =>
  n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1).replace(/\.0$/, '')} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1).replace(/\.0$/, '')} KiB` : `${n} bytes`;

/** Removes inline attachments over `maxBytes` (decoded size) from `comp` and its subcomponents, with a warning each. */
export function limitAttachments(comp: ICAL.Component, maxBytes: number, warnings: string[]): void {
  for (const prop of comp.getAllProperties('attach')) {
    const p = prop.toJSON() as JCalProperty;
    const inline = p[2] === 'binary' || String(p[1].encoding ?? '').toUpperCase() === 'BASE64';
    if (!inline) continue;
    const b64 = String(p[3] ?? '').replace(/\s+/g, '');
    const size = Math.floor((b64.length * 3) / 4) - (b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0);
    if (size <= maxBytes) continue;
    const nameParam = FILENAME_PARAMS.map((k) => p[1][k]).find((v) => typeof v === 'string' && v !== '');
    const name = typeof nameParam === 'string' ? `"${nameParam}"` : `without a name${typeof p[1].fmttype === 'string' ? ` (${p[1].fmttype})` : ''}`;
    comp.removeProperty(prop);
    warnings.push(`attachment ${name} (${formatSize(size)}) not carried: over the ${formatSize(maxBytes)} limit for inline attachments`);
  }
  for (const sub of comp.getAllSubcomponents()) limitAttachments(sub, maxBytes, warnings);
}
