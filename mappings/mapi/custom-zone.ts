/**
 * The zone of a MAPI appointment: an IANA id, or a `CustomZone` (rules only, from a TZDEFINITION
 * or TZREG that names no known zone), and the offset arithmetic the recurrence mapping needs on
 * either. Pure.
 *
 * A custom zone's offsets come from its rules as mappings/groupware/zone-rules.ts reads them
 * (the same arithmetic that writes its VTIMEZONE).
 */
import type { CustomZone, DateTimeValue } from '../../src/model/groupware.js';
import { customOffsetAt, etcZone, fixedZoneName, offsetMinutes, wallClock } from '../groupware/time-zones.js';

/** An IANA zone id, or a zone known only by its rules. */
export type MapiZone = string | CustomZone;

/** UTC offset (minutes east) of a custom zone at `utcMs` (the rules' arithmetic lives in mappings/groupware/zone-rules). */
export function customOffsetMinutes(utcMs: number, zone: CustomZone): number {
  return customOffsetAt(zone, utcMs);
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

/** A zone of one fixed offset: an Etc/GMT id for whole hours, else a custom zone without DST. */
export function fixedZone(offsetMin: number): MapiZone {
  return etcZone(offsetMin) ?? { name: fixedZoneName(offsetMin), periods: [{ standardOffset: offsetMin }] };
}
