/**
 * The date/time values of one calendar object (icalendar.ts): validation, the zone each value is
 * written in, and the VTIMEZONEs they need.
 *
 * Zones, in order: `customZone` (rules only) → the IANA zone zoneFromRules finds for the years
 * the object uses, written under its IANA id with a tzdata VTIMEZONE (clients know the zone by
 * name, and over those years it gives exactly the same wall-clock times); when none matches, an
 * exact VTIMEZONE from the rules under `customZone.name`. `tzid` → an IANA id as it is, or any
 * name resolveZoneName knows (Windows ids and display names, offset names). An unknown zone is a
 * ConversionError naming the item and the zone — never a silent fall-back to UTC.
 */
import ICAL from 'ical.js';
import type { CustomZone, DateTimeValue } from '../../src/model/groupware.js';
import { ConversionError } from './errors.js';
import { isIanaZone, wallClock } from './zone-intl.js';
import { resolveZoneName } from './zone-names.js';
import { buildCustomVTimezone, customOffsetAt, validateZone, zoneFromRules } from './zone-rules.js';
import { buildVTimezone } from './vtimezone.js';
import { coerceError } from '../../src/util/errors.js';

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY = 86_400_000;

/** Where a value is written: UTC, an IANA zone, or a rules-only zone (custom). */
type Zone = { kind: 'utc' } | { kind: 'iana'; tzid: string } | { kind: 'custom'; zone: CustomZone };

export interface PropValue { time: ICAL.Time; tzid?: string }

export class Zones {
  private readonly years = new Map<string, { min: number; max: number }>();
  private readonly custom = new Map<string, CustomZone>();
  private readonly resolved = new Map<string, string | null>();

  constructor(private readonly uid: string) {}

  private fail(reason: string): never {
    throw new ConversionError(this.uid, reason);
  }

  private note(key: string, y: number): void {
    const cur = this.years.get(key);
    this.years.set(key, { min: Math.min(cur?.min ?? y, y), max: Math.max(cur?.max ?? y, y) });
  }

  /** The zone of a value (undefined tzid / 'UTC' → UTC); throws for an unknown zone. */
  private zoneOf(v: DateTimeValue, what: string): Zone {
    if (v.customZone) {
      const z = v.customZone;
      try { validateZone(z); } catch (err) { this.fail(`${what}: ${coerceError(err).message}`); }
      const seen = this.custom.get(z.name);
      if (seen && JSON.stringify(seen.periods) !== JSON.stringify(z.periods)) this.fail(`${what}: two different time zones named ${JSON.stringify(z.name)}`);
      return { kind: 'custom', zone: z };
    }
    if (v.tzid === undefined || v.tzid === 'UTC') return { kind: 'utc' };
    const tzid = isIanaZone(v.tzid) && v.tzid.includes('/') ? v.tzid : resolveZoneName(v.tzid);
    if (!tzid) this.fail(`${what}: unknown time zone ${JSON.stringify(v.tzid)}`);
    return tzid === 'UTC' ? { kind: 'utc' } : { kind: 'iana', tzid };
  }

  /** Validates `v` and records its zone and year. Throws ConversionError naming `what`. */
  check(v: DateTimeValue, what: string): void {
    if (v.date !== undefined) {
      const m = DATE_RE.exec(v.date);
      const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
      if (!m || !d || d.getUTCDate() !== Number(m[3])) this.fail(`${what}: invalid date ${JSON.stringify(v.date)}`);
      return;
    }
    if (!(v.utc instanceof Date) || Number.isNaN(v.utc.getTime())) this.fail(`${what}: invalid date-time`);
    const z = this.zoneOf(v, what);
    const y = v.utc.getUTCFullYear();
    if (z.kind === 'custom') {
      this.custom.set(z.zone.name, z.zone);
      this.note(`custom:${z.zone.name}`, y);
    } else if (z.kind === 'iana') {
      this.note(z.tzid, y);
    }
  }

  /** The IANA zone a custom zone is written as, or undefined (exact VTIMEZONE from its rules). */
  private ianaFor(zone: CustomZone): string | undefined {
    if (!this.resolved.has(zone.name)) {
      const y = this.years.get(`custom:${zone.name}`);
      const from = y?.min ?? new Date().getUTCFullYear();
      const hit = zoneFromRules(zone, [from, Math.max(y?.max ?? from, from + 1)]);
      this.resolved.set(zone.name, hit ?? null);
      if (hit) this.note(hit, from);
      if (hit && y) this.note(hit, y.max);
    }
    return this.resolved.get(zone.name) ?? undefined;
  }

  /** Local wall clock of `utc` in the zone (for UTC: the UTC clock), as ms since epoch of that clock. */
  private localMs(utc: Date, z: Zone): number {
    if (z.kind === 'utc') return utc.getTime();
    const iana = z.kind === 'iana' ? z.tzid : this.ianaFor(z.zone);
    if (iana) {
      const w = wallClock(utc.getTime(), iana);
      return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
    }
    return utc.getTime() + customOffsetAt((z as { zone: CustomZone }).zone, utc.getTime()) * 60_000;
  }

  /** The calendar date of `v`: its `date`, else the date of its instant in its own zone. */
  dateOf(v: DateTimeValue): string {
    if (v.date !== undefined) return v.date;
    return new Date(this.localMs(v.utc, this.zoneOf(v, 'date'))).toISOString().slice(0, 10);
  }

  /** A DTSTART-like property value: DATE for all-day (`asDate`), local time with TZID when zoned, else UTC. */
  value(v: DateTimeValue, asDate = false): PropValue {
    if (v.date !== undefined || asDate) {
      const m = DATE_RE.exec(this.dateOf(v)) as RegExpExecArray;
      return { time: ICAL.Time.fromData({ year: Number(m[1]), month: Number(m[2]), day: Number(m[3]), isDate: true }) };
    }
    const z = this.zoneOf(v, 'value');
    if (z.kind === 'utc') return { time: ICAL.Time.fromJSDate(v.utc, true) };
    const d = new Date(this.localMs(v.utc, z));
    const time = ICAL.Time.fromData({
      year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(),
    });
    return { time, tzid: z.kind === 'iana' ? z.tzid : (this.ianaFor(z.zone) ?? z.zone.name) };
  }

  /**
   * `v` (a RECURRENCE-ID or EXDATE) in the value type and zone of the series start `master`
   * (RFC 5545 §3.8.4.4, §3.8.5.1): the same instant in the master's zone; a date-only value on a
   * timed series gets the master's local time of day on that date.
   */
  inZoneOf(v: DateTimeValue, master: DateTimeValue, allDay: boolean): DateTimeValue {
    if (allDay) return { utc: v.utc, date: this.dateOf(v) };
    const zone = { tzid: master.tzid, customZone: master.customZone };
    if (v.date === undefined) return { utc: v.utc, ...zone };
    const mz = this.zoneOf(master, 'start');
    const masterLocal = this.localMs(master.utc, mz);
    const timeOfDay = ((masterLocal % DAY) + DAY) % DAY;
    const wantLocal = Date.parse(`${v.date}T00:00:00Z`) + timeOfDay;
    // Local → UTC: subtract the offset in force (found from a first guess, then corrected once).
    let utc = wantLocal - (this.localMs(new Date(wantLocal), mz) - wantLocal);
    utc -= this.localMs(new Date(utc), mz) - wantLocal;
    return { utc: new Date(utc), ...zone };
  }

  /** The VTIMEZONEs of the zones used, sorted by TZID. */
  addTo(cal: ICAL.Component): void {
    for (const z of this.custom.values()) this.ianaFor(z);
    const out: [string, ICAL.Component][] = [];
    for (const [key, y] of this.years) {
      const to = Math.max(y.max, y.min + 1);
      if (!key.startsWith('custom:')) {
        out.push([key, buildVTimezone(key, y.min, to)]);
        continue;
      }
      const zone = this.custom.get(key.slice('custom:'.length)) as CustomZone;
      if (!this.ianaFor(zone)) out.push([zone.name, buildCustomVTimezone(zone, y.min, to)]);
    }
    for (const [, c] of out.sort(([a], [b]) => a.localeCompare(b))) cal.addSubcomponent(c);
  }
}
