/**
 * Times of the groupware reconciliation: an iCalendar DATE or DATE-TIME resolved to what a
 * calendar shows, so that the same moment written two ways compares equal. Pure.
 *
 * - DATE → the date ("2027-03-05", all-day).
 * - DATE-TIME in UTC → the instant.
 * - DATE-TIME with a TZID the zone table knows (IANA ids, Windows ids and display names, via
 *   resolveZoneName) → the instant in that IANA zone. The name wins over the object's VTIMEZONE,
 *   as it does in sabre/vobject (NextCloud).
 * - any other TZID with a VTIMEZONE in the object (e.g. "Customized Time Zone") → the instant by
 *   that VTIMEZONE's rules (ical.js).
 * - otherwise floating: the wall time, labelled with the unknown zone if there was one. Floating
 *   times compare equal only to the same wall time with the same label.
 */
import ICAL from 'ical.js';
import { offsetMinutes, resolveZoneName } from '../../mappings/groupware/time-zones.js';

export interface ResolvedTime {
  /** Comparable and readable: "2027-03-05", "2027-03-05T09:00:00Z", "2027-03-05T09:00:00 (floating)". */
  label: string;
  /** For ordering and durations: the instant, or the date/wall time read as UTC. */
  ms: number;
  allDay: boolean;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

function dateLabel(t: { year: number; month: number; day: number }): string {
  return `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}`;
}

function wallMs(t: ICAL.Time): number {
  return Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);
}

/** The instant of a wall time in an IANA zone (the later reading in a DST overlap, shifted forward in a gap). */
export function zonedToUtc(wall: number, iana: string): number {
  const first = wall - offsetMinutes(wall, iana) * 60_000;
  const second = wall - offsetMinutes(first, iana) * 60_000;
  return second;
}

export function utcLabel(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** `tzid`: the TZID parameter of the property the time came from (ical.js loses it for zones it does not know). */
export function resolveTime(t: ICAL.Time, tzid?: string): ResolvedTime {
  if (t.isDate) return { label: dateLabel(t), ms: Date.UTC(t.year, t.month - 1, t.day), allDay: true };
  const zone = t.zone as ICAL.Timezone | undefined;
  if (zone === ICAL.Timezone.utcTimezone || zone?.tzid === 'UTC') {
    const ms = wallMs(t);
    return { label: utcLabel(ms), ms, allDay: false };
  }
  const name = tzid ?? (zone && zone.tzid !== 'floating' ? zone.tzid : undefined);
  if (name !== undefined) {
    const iana = resolveZoneName(name);
    if (iana) {
      const ms = zonedToUtc(wallMs(t), iana);
      return { label: utcLabel(ms), ms, allDay: false };
    }
    if (zone?.component) {
      const ms = t.toUnixTime() * 1000;
      return { label: utcLabel(ms), ms, allDay: false };
    }
  }
  const ms = wallMs(t);
  const label = `${dateLabel(t)}T${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)} (${name !== undefined ? `in unknown zone ${JSON.stringify(name)}` : 'floating'})`;
  return { label, ms, allDay: false };
}

/** The resolved value of a DATE/DATE-TIME property (its first value), or undefined when absent. */
export function resolveProperty(prop: ICAL.Property | null | undefined): ResolvedTime | undefined {
  if (!prop) return undefined;
  const v = prop.getFirstValue();
  if (!(v instanceof ICAL.Time)) return undefined;
  const tzid = prop.getParameter('tzid');
  return resolveTime(v, typeof tzid === 'string' ? tzid : undefined);
}

/** Every value of every property `name` (EXDATE, RDATE may repeat and carry lists). */
export function resolveAll(comp: ICAL.Component, name: string): ResolvedTime[] {
  const out: ResolvedTime[] = [];
  for (const prop of comp.getAllProperties(name)) {
    const tzid = prop.getParameter('tzid');
    for (const v of prop.getValues()) if (v instanceof ICAL.Time) out.push(resolveTime(v, typeof tzid === 'string' ? tzid : undefined));
  }
  return out;
}
