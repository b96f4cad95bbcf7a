/**
 * The zone of a MAPI appointment: an IANA id, or a `CustomZone` (rules only, from a TZDEFINITION
 * or TZREG that names no known zone), and the offset arithmetic the recurrence mapping needs on
 * either. Pure.
 *
 * A custom zone's period for an instant is the last one whose `fromYear` is not after the
 * instant's year; within it, daylight saving time runs from the `week`-th weekday of the start
 * month at the local standard time given, to the end rule at the local daylight time given
 * (southern-hemisphere zones, where the end comes first in the year, included).
 */
import type { CustomZone, DateTimeValue, ZonePeriod, ZoneTransitionRule } from '../../src/model/groupware.js';
import { offsetMinutes, wallClock } from '../groupware/time-zones.js';

/** An IANA zone id, or a zone known only by its rules. */
export type MapiZone = string | CustomZone;

function periodFor(zone: CustomZone, year: number): ZonePeriod {
  let found = zone.periods[0];
  for (const p of zone.periods) if ((p.fromYear ?? -Infinity) <= year) found = p;
  if (!found) throw new Error(`the time zone ${JSON.stringify(zone.name)} has no rules`);
  return found;
}

/** Day of month of the `week`-th (5 = last) `dayOfWeek` of `month`. */
function nthWeekday(year: number, month: number, week: number, dayOfWeek: number): number {
  const first = new Date(Date.UTC(year, month - 1, 1)).getUTCDay();
  const length = new Date(Date.UTC(year, month, 0)).getUTCDate();
  let day = 1 + ((dayOfWeek - first + 7) % 7) + (week - 1) * 7;
  while (day > length) day -= 7;
  return day;
}

/** The instant of a transition in `year`, its time being local in `offsetBefore`. */
function transitionUtc(year: number, r: ZoneTransitionRule, offsetBefore: number): number {
  const [h = 0, m = 0, s = 0] = r.time.split(':').map(Number);
  return Date.UTC(year, r.month - 1, nthWeekday(year, r.month, r.week, r.dayOfWeek), h, m, s) - offsetBefore * 60_000;
}

/** UTC offset (minutes east) of a custom zone at `utcMs`. */
export function customOffsetMinutes(utcMs: number, zone: CustomZone): number {
  const year = new Date(utcMs).getUTCFullYear();
  const p = periodFor(zone, year);
  if (!p.daylight) return p.standardOffset;
  const localYear = new Date(utcMs + p.standardOffset * 60_000).getUTCFullYear();
  const start = transitionUtc(localYear, p.daylight.start, p.standardOffset);
  const end = transitionUtc(localYear, p.daylight.end, p.daylight.offset);
  const dst = start < end ? utcMs >= start && utcMs < end : utcMs >= start || utcMs < end;
  return dst ? p.daylight.offset : p.standardOffset;
}

/** UTC offset (minutes east) of `zone` at `utcMs`. */
export function zoneOffsetMinutes(utcMs: number, zone: MapiZone): number {
  return typeof zone === 'string' ? offsetMinutes(utcMs, zone) : customOffsetMinutes(utcMs, zone);
}

/** Local wall-clock time (as milliseconds of a UTC clock) in `zone` → the instant. */
export function wallToUtc(wallMs: number, zone: MapiZone): Date {
  let utc = wallMs - zoneOffsetMinutes(wallMs, zone) * 60_000;
  utc = wallMs - zoneOffsetMinutes(utc, zone) * 60_000;
  return new Date(utc);
}

/** The local date (YYYY-MM-DD) of `utcMs` in `zone`. */
export function zoneDate(utcMs: number, zone: MapiZone): string {
  if (typeof zone === 'string') {
    const w = wallClock(utcMs, zone);
    return `${w.year}-${String(w.month).padStart(2, '0')}-${String(w.day).padStart(2, '0')}`;
  }
  return new Date(utcMs + customOffsetMinutes(utcMs, zone) * 60_000).toISOString().slice(0, 10);
}

/** A timed value in `zone`. */
export function zonedValue(utc: Date, zone: MapiZone): DateTimeValue {
  return typeof zone === 'string' ? { utc, tzid: zone } : { utc, customZone: zone };
}

/** "UTC+05:30": the name of a fixed-offset zone. */
export function fixedZoneName(offsetMin: number): string {
  const a = Math.abs(offsetMin);
  return `UTC${offsetMin < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/** A zone of one fixed offset: an Etc/GMT id for whole hours, else a custom zone without DST. */
export function fixedZone(offsetMin: number): MapiZone {
  if (offsetMin === 0) return 'UTC';
  if (offsetMin % 60 === 0 && Math.abs(offsetMin) <= 14 * 60) return `Etc/GMT${offsetMin > 0 ? '-' : '+'}${Math.abs(offsetMin / 60)}`;
  return { name: fixedZoneName(offsetMin), periods: [{ standardOffset: offsetMin }] };
}
