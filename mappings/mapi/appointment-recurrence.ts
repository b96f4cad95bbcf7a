/**
 * MAPI recurring appointments → the neutral model's recurrence, cancelled and moved occurrences.
 *
 * Input: the PidLidAppointmentRecur blob ([MS-OXOCAL] 2.2.1.44, parsed with msgreader's
 * AppointmentRecur parser) and the zone of the series (mappings/mapi/appointment-zone.ts: an
 * IANA id or a custom zone built from the item's rules). The blob keeps times as local
 * wall-clock minutes since 1601 in the series' zone; they are turned into instants through that
 * zone, so the occurrences keep their local time across DST changes. Pure apart from the blob
 * parsing.
 *
 * Supported: daily (every n days / every weekday), weekly, monthly (day n, nth weekday, last
 * day), yearly (same forms), end by date, by count or never; deleted occurrences (EXDATE) and
 * modified ones (subject, location, start/end, busy status). Hijri and other non-Gregorian
 * calendars are refused with an error.
 */
import { parse as parseRecur, type AppointmentRecur, type ExceptionInfo } from '@kenjiuno/msgreader/lib/AppointmentRecurParser.js';
import DataStreamMod from '@kenjiuno/msgreader/lib/DataStream.js';
import type { DateTimeValue, EventOccurrenceException, Recurrence } from '../../src/model/groupware.js';
import { fixedZone, wallToUtc, zonedValue, type MapiZone } from './custom-zone.js';
import { coerceError } from '../../src/util/errors.js';

// msgreader is CommonJS with `exports.default`: the class sits on `.default` whichever way it is loaded.
type DataStreamClass = typeof DataStreamMod.default;
const loaded = DataStreamMod as unknown as DataStreamClass & { default?: DataStreamClass };
const DataStream: DataStreamClass = typeof loaded.default === 'function' ? loaded.default : loaded;

const MINUTES_1601_TO_1970 = 11644473600 / 60;
const DAYS = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'];
const FREQ_DAILY = 0x200a;
const FREQ_WEEKLY = 0x200b;
const FREQ_MONTHLY = 0x200c;
const FREQ_YEARLY = 0x200d;
const END_BY_DATE = 0x2021;
const END_AFTER_N = 0x2022;
const ARO_SUBJECT = 0x01;
const ARO_LOCATION = 0x10;
const ARO_BUSYSTATUS = 0x20;
const ARO_SUBTYPE = 0x80;

export class RecurrenceError extends Error {
  override readonly name = 'RecurrenceError';
}

export interface SeriesRecurrence {
  recurrence: Recurrence;
  deletedOccurrences: DateTimeValue[];
  exceptions: EventOccurrenceException[];
  /** The series' first occurrence (local start time of the pattern, in the series' zone). */
  firstStart: DateTimeValue;
  firstEnd: DateTimeValue;
}

/** Parses PidLidAppointmentRecur; throws RecurrenceError on a damaged blob. */
export function parseAppointmentRecur(blob: Buffer, ansiEncoding = 'latin1'): AppointmentRecur {
  try {
    return parseRecur(new DataStream(new Uint8Array(blob), 0, DataStream.LITTLE_ENDIAN), ansiEncoding);
  } catch (err) {
    throw new RecurrenceError(`unreadable recurrence blob (${blob.length} bytes): ${coerceError(err).message}`);
  }
}

/**
 * The zone of a series without any zone property (appointment-zone.ts gives none): the fixed
 * offset between the pattern's local start and the series' UTC start (Etc/GMT±n for whole
 * hours, else a custom zone such as "UTC+05:30"). Right for the first occurrence; later ones
 * keep that offset. An offset beyond ±14 h is a damaged item.
 */
export function fallbackSeriesZone(r: AppointmentRecur, startUtc: Date): MapiZone {
  const localStartMin = r.recurrencePattern.startDate + r.startTimeOffset;
  const offsetMin = Math.round(localStartMin - (startUtc.getTime() / 60000 + MINUTES_1601_TO_1970));
  if (Math.abs(offsetMin) > 14 * 60) {
    throw new RecurrenceError(`the pattern's local start and the start time (${startUtc.toISOString()}) are ${offsetMin} minutes apart, no zone has that offset`);
  }
  return fixedZone(offsetMin);
}

/** Local wall-clock minutes since 1601 in `zone` → the instant. */
export function localMinutesToUtc(minutes: number, zone: MapiZone): Date {
  return wallToUtc((minutes - MINUTES_1601_TO_1970) * 60000, zone);
}

function dayValue(minutes: number): string {
  return new Date((minutes - MINUTES_1601_TO_1970) * 60000).toISOString().slice(0, 10);
}

function byDay(bits: number): string[] {
  return DAYS.filter((_d, i) => (bits & (1 << i)) !== 0);
}

function pattern(r: AppointmentRecur, startMonth: number): Recurrence {
  const p = r.recurrencePattern;
  if (p.calendarType !== 0 && p.calendarType !== 1 && p.calendarType !== 2) throw new RecurrenceError(`calendar type ${p.calendarType} is not supported`);
  if (p.patternType >= 10) throw new RecurrenceError('Hijri calendar recurrences are not supported');
  const weekStart = DAYS[p.firstDOW] ?? 'SU';
  const nth = (n: number): number => (n === 5 ? -1 : n);
  switch (p.recurFrequency) {
    case FREQ_DAILY:
      if (p.patternType === 1) return { freq: 'WEEKLY', interval: 1, byDay: byDay(p.patternTypeWeek?.dayOfWeekBits ?? 0x3e), weekStart };
      return { freq: 'DAILY', interval: Math.max(1, Math.round(p.period / 1440)) };
    case FREQ_WEEKLY:
      return { freq: 'WEEKLY', interval: Math.max(1, p.period), byDay: byDay(p.patternTypeWeek?.dayOfWeekBits ?? 0), weekStart };
    case FREQ_MONTHLY:
    case FREQ_YEARLY: {
      const yearly = p.recurFrequency === FREQ_YEARLY;
      const base: Recurrence = yearly
        ? { freq: 'YEARLY', interval: Math.max(1, Math.round(p.period / 12)), byMonth: [startMonth] }
        : { freq: 'MONTHLY', interval: Math.max(1, p.period) };
      if (p.patternType === 3 && p.patternTypeMonthNth) {
        return { ...base, byDay: byDay(p.patternTypeMonthNth.dayOfWeekBits), bySetPos: [nth(p.patternTypeMonthNth.n)] };
      }
      if (p.patternType === 4) return { ...base, byMonthDay: [-1] };
      const day = p.patternTypeMonth?.day ?? 1;
      return { ...base, byMonthDay: [day === 31 ? -1 : day] };
    }
    default:
      throw new RecurrenceError(`unknown recurrence frequency 0x${p.recurFrequency.toString(16)}`);
  }
}

/**
 * The series of a recurring appointment. `zone`: the series' zone (an IANA id or rules);
 * `allDay`: occurrences are dates.
 */
export function seriesRecurrence(r: AppointmentRecur, zone: MapiZone, allDay: boolean): SeriesRecurrence {
  const p = r.recurrencePattern;
  const value = (localMinutes: number): DateTimeValue => {
    if (allDay) {
      const date = dayValue(localMinutes);
      return { utc: new Date(`${date}T00:00:00Z`), date };
    }
    return zonedValue(localMinutesToUtc(localMinutes, zone), zone);
  };
  const firstStart = value(p.startDate + r.startTimeOffset);
  const firstEnd = value(p.startDate + r.endTimeOffset);
  const startMonth = Number(dayValue(p.startDate).slice(5, 7));
  const recurrence = pattern(r, startMonth);
  if (p.endType === END_AFTER_N) recurrence.count = p.occurrenceCount;
  else if (p.endType === END_BY_DATE) recurrence.until = allDay ? value(p.endDate) : zonedValue(localMinutesToUtc(p.endDate + r.startTimeOffset, zone), zone);

  // DeletedInstanceDates holds the original days of cancelled and of moved occurrences;
  // ModifiedInstanceDates the moved ones' new days. An exception's original start tells them apart.
  const modifiedDays = new Set(r.exceptionInfo.map((e) => Math.floor(e.originalStartTime / 1440) * 1440));
  const deletedOccurrences = p.deletedInstanceDates.filter((d) => !modifiedDays.has(d)).map((d) => value(d + r.startTimeOffset));
  const exceptions = r.exceptionInfo.map((e: ExceptionInfo): EventOccurrenceException => {
    const changes: EventOccurrenceException['changes'] = { start: value(e.startDateTime), end: value(e.endDateTime) };
    if (e.overrideFlags & ARO_SUBJECT && e.subject !== undefined) changes.summary = e.subject;
    if (e.overrideFlags & ARO_LOCATION && e.location !== undefined) changes.location = e.location;
    if (e.overrideFlags & ARO_BUSYSTATUS && e.busyStatus !== undefined) changes.busyStatus = (['free', 'tentative', 'busy', 'oof'] as const)[e.busyStatus];
    if (e.overrideFlags & ARO_SUBTYPE && e.subType !== undefined) changes.allDay = e.subType !== 0;
    return { recurrenceId: value(e.originalStartTime), changes };
  });
  return { recurrence, deletedOccurrences, exceptions, firstStart, firstEnd };
}
