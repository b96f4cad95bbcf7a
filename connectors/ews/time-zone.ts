/**
 * The time zone of an EWS calendar item, as real Exchange sends it. Pure.
 *
 * Where a zone can be (types.xsd):
 * - `StartTimeZone` / `EndTimeZone` (Exchange 2010+, asked for as calendar:StartTimeZone):
 *   attributes `Id` (Windows id) and `Name` (display name), and, for a zone Exchange does not
 *   know by id (invitations from outside: "Customized Time Zone"), a definition: `Periods`
 *   (Bias = −offset), `TransitionsGroups` (RecurringDayTransition: Month, DayOfWeek,
 *   Occurrence −1 = last, TimeOffset = local time) and `Transitions` (Transition = the group in
 *   force first, AbsoluteDateTransition = a group from that date on).
 * - `StartTimeZoneId` (Exchange 2013+).
 * - `MeetingTimeZone` (Exchange 2007): `TimeZoneName`, `BaseOffset` (a bias), `Standard` and
 *   `Daylight`, each with `Offset` (added to the bias), `RelativeYearlyRecurrence` and `Time`.
 * - `TimeZone` (every version, the only one in GetItem AllProperties on Exchange 2019): the
 *   display name only, new "(UTC+01:00) Amsterdam, …" or old "(GMT-08:00) … ; Tijuana".
 *
 * Resolution: a name that resolves (mappings/groupware resolveZoneName) → IANA; else a
 * definition → CustomZone (the converter matches it to an IANA zone or writes it as VTIMEZONE);
 * else a name that resolves to nothing → 'unknown' (the caller fails the item, naming the zone);
 * nothing given at all → 'none' (the caller uses UTC and notes it in the item's log line).
 */
import { customOffsetAt, resolveZoneName, wallClock } from '../../mappings/groupware/time-zones.js';
import type { CustomZone, ZonePeriod, ZoneTransitionRule } from '../../src/model/groupware.js';
import { attr, kid, kids, textOf, type XmlElement } from './xml.js';

export type ItemZone =
  | { kind: 'iana'; tzid: string }
  | { kind: 'custom'; zone: CustomZone }
  | { kind: 'unknown'; name: string; why: string }
  | { kind: 'none' };

/** An xs:duration as EWS writes biases and offsets ("-PT1H", "PT8H", "-P0DT1H0M0.0S") → minutes. */
export function durationMinutes(s: string | undefined): number | undefined {
  const m = /^\s*(-)?P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?\s*$/.exec(s ?? '');
  if (!m || !/\d/.test(s ?? '')) return undefined;
  const min = Number(m[2] ?? 0) * 1440 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0) + Math.round(Number(m[5] ?? 0) / 60);
  return m[1] ? -min : min;
}

const DOW: Record<string, number> = { Sunday: 0, Monday: 1, Tuesday: 2, Wednesday: 3, Thursday: 4, Friday: 5, Saturday: 6 };
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const INDEX: Record<string, number> = { First: 1, Second: 2, Third: 3, Fourth: 4, Last: 5 };

/** "PT2H" / "02:00:00" → "HH:MM:SS". */
function clock(s: string | undefined): string | undefined {
  if (s === undefined) return undefined;
  const hms = /^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?/.exec(s);
  if (hms) return `${hms[1]?.padStart(2, '0')}:${hms[2]}:${hms[3] ?? '00'}`;
  const min = durationMinutes(s);
  if (min === undefined || min < 0) return undefined;
  return `${String(Math.floor(min / 60)).padStart(2, '0')}:${String(min % 60).padStart(2, '0')}:00`;
}

class DefinitionError extends Error {}

/** A RecurringDayTransition → a rule (throws DefinitionError when a part is missing). */
function dayRule(t: XmlElement): ZoneTransitionRule {
  const month = Number(textOf(t, 'Month'));
  const dayOfWeek = DOW[(textOf(t, 'DayOfWeek') ?? '').trim()];
  const occ = Number(textOf(t, 'Occurrence'));
  const time = clock(textOf(t, 'TimeOffset'));
  if (!(month >= 1 && month <= 12) || dayOfWeek === undefined || !Number.isInteger(occ) || occ === 0 || !time) {
    throw new DefinitionError(`unreadable RecurringDayTransition (Month ${textOf(t, 'Month')}, DayOfWeek ${textOf(t, 'DayOfWeek')}, Occurrence ${textOf(t, 'Occurrence')})`);
  }
  return { month, week: occ < 0 || occ > 4 ? 5 : occ, dayOfWeek, time };
}

/** A TimeZoneDefinitionType (Periods / TransitionsGroups / Transitions) → periods. */
export function definitionPeriods(def: XmlElement): ZonePeriod[] | undefined {
  const periods = new Map<string, number>();
  for (const p of kids(kid(def, 'Periods'), 'Period')) {
    const bias = durationMinutes(attr(p, 'Bias'));
    if (bias === undefined) throw new DefinitionError(`Period ${attr(p, 'Id') ?? ''} with unreadable Bias ${JSON.stringify(attr(p, 'Bias'))}`);
    periods.set(attr(p, 'Id') ?? '', -bias);
  }
  if (periods.size === 0) return undefined;
  const offsetOf = (to: XmlElement | undefined): number => {
    const off = periods.get((to?.textContent ?? '').trim());
    if (off === undefined) throw new DefinitionError(`transition to unknown period ${JSON.stringify(to?.textContent ?? '')}`);
    return off;
  };
  const groups = new Map<string, Omit<ZonePeriod, 'fromYear'>>();
  for (const g of kids(kid(def, 'TransitionsGroups'), 'TransitionsGroup')) {
    const recurring = kids(g, 'RecurringDayTransition');
    if (recurring.length >= 2) {
      const [a, b] = recurring.map((t) => ({ rule: dayRule(t), offset: offsetOf(kid(t, 'To')) })) as [{ rule: ZoneTransitionRule; offset: number }, { rule: ZoneTransitionRule; offset: number }];
      const [dst, std] = a.offset > b.offset ? [a, b] : [b, a];
      groups.set(attr(g, 'Id') ?? '', { standardOffset: std.offset, daylight: { offset: dst.offset, start: dst.rule, end: std.rule } });
    } else {
      const only = recurring[0] ?? kids(g)[0];
      groups.set(attr(g, 'Id') ?? '', { standardOffset: offsetOf(kid(only, 'To')) });
    }
  }
  const out: ZonePeriod[] = [];
  for (const t of kids(kid(def, 'Transitions'))) {
    const to = kid(t, 'To');
    const target = (to?.textContent ?? '').trim();
    const group = attr(to, 'Kind') === 'Period' ? { standardOffset: offsetOf(to) } : groups.get(target);
    if (!group) throw new DefinitionError(`transition to unknown group ${JSON.stringify(target)}`);
    const year = t.localName === 'AbsoluteDateTransition' ? Number((textOf(t, 'DateTime') ?? '').slice(0, 4)) : undefined;
    if (year !== undefined && !Number.isInteger(year)) throw new DefinitionError(`AbsoluteDateTransition with unreadable DateTime ${JSON.stringify(textOf(t, 'DateTime'))}`);
    const period: ZonePeriod = { ...(year !== undefined ? { fromYear: year } : {}), ...group };
    if (year !== undefined && out.length && out[out.length - 1]?.fromYear === year) out[out.length - 1] = period;
    else out.push(period);
  }
  if (out.length === 0) {
    // No Transitions: a single group, or a single period.
    const only = [...groups.values()][0] ?? (periods.size === 1 ? { standardOffset: [...periods.values()][0] as number } : undefined);
    if (!only) throw new DefinitionError('definition without Transitions');
    out.push(only);
  }
  return out.sort((a, b) => (a.fromYear ?? -Infinity) - (b.fromYear ?? -Infinity));
}

function yearlyRule(el: XmlElement | undefined): ZoneTransitionRule {
  const r = kid(el, 'RelativeYearlyRecurrence');
  const month = MONTHS.indexOf((textOf(r, 'Month') ?? '').trim()) + 1;
  const dayOfWeek = DOW[(textOf(r, 'DaysOfWeek') ?? '').trim()];
  const week = INDEX[(textOf(r, 'DayOfWeekIndex') ?? '').trim()];
  const time = clock(textOf(el, 'Time'));
  if (month < 1 || dayOfWeek === undefined || week === undefined || !time) throw new DefinitionError(`unreadable ${el?.localName ?? 'Standard/Daylight'} rule`);
  return { month, week, dayOfWeek, time };
}

/** A MeetingTimeZone / TimeZoneType (BaseOffset, Standard, Daylight) → one period. */
export function meetingZonePeriods(mtz: XmlElement): ZonePeriod[] | undefined {
  const base = durationMinutes(textOf(mtz, 'BaseOffset'));
  if (base === undefined) return undefined;
  const std = kid(mtz, 'Standard');
  const dl = kid(mtz, 'Daylight');
  const stdOffset = -(base + (durationMinutes(textOf(std, 'Offset')) ?? 0));
  if (!std || !dl) return [{ standardOffset: stdOffset }];
  const dlOffset = -(base + (durationMinutes(textOf(dl, 'Offset')) ?? 0));
  if (dlOffset === stdOffset) return [{ standardOffset: stdOffset }];
  return [{ standardOffset: stdOffset, daylight: { offset: dlOffset, start: yearlyRule(dl), end: yearlyRule(std) } }];
}

/** The zone of an item's start ('Start') or end ('End'). */
export function itemZone(item: XmlElement, which: 'Start' | 'End' = 'Start'): ItemZone {
  const def = kid(item, `${which}TimeZone`) ?? (which === 'End' ? kid(item, 'StartTimeZone') : undefined);
  const mtz = kid(item, 'MeetingTimeZone');
  const names = [attr(def, 'Id'), attr(def, 'Name'), textOf(item, `${which}TimeZoneId`), attr(mtz, 'TimeZoneName'), textOf(item, 'TimeZone')]
    .map((s) => s?.trim()).filter((s): s is string => !!s);
  for (const n of names) {
    const tzid = resolveZoneName(n);
    if (tzid) return { kind: 'iana', tzid };
  }
  const label = names[0] ?? 'Customized Time Zone';
  try {
    const periods = (def && definitionPeriods(def)) ?? (mtz && meetingZonePeriods(mtz));
    if (periods) return { kind: 'custom', zone: { name: label, periods } };
  } catch (err) {
    if (!(err instanceof DefinitionError)) throw err;
    return { kind: 'unknown', name: label, why: `its definition cannot be read: ${err.message}` };
  }
  return names.length ? { kind: 'unknown', name: label, why: 'the name is not a known zone and no definition came with it' } : { kind: 'none' };
}

/** Local wall clock of an instant in a resolved zone (UTC when none). */
export function zonedWallClock(utcMs: number, z: ItemZone): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  if (z.kind === 'iana') return wallClock(utcMs, z.tzid);
  const off = z.kind === 'custom' ? customOffsetAt(z.zone, utcMs) : 0;
  const d = new Date(utcMs + off * 60_000);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds() };
}

/** Offset (minutes east) of the zone at an instant. */
export function zoneOffset(utcMs: number, z: ItemZone): number {
  const w = zonedWallClock(utcMs, z);
  return Math.round((Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(utcMs / 1000) * 1000) / 60_000);
}
