/**
 * Zones known only by their rules (src/model/groupware.ts CustomZone: EWS Periods /
 * TransitionsGroups, MAPI TZDEFINITION, Exchange's "Customized Time Zone"): the offsets and
 * transitions those rules give, the IANA zone that behaves the same over the years in use
 * (zoneFromRules), and an exact VTIMEZONE when none does (buildCustomVTimezone).
 *
 * Rule semantics (Windows SYSTEMTIME style): a transition happens on the `week`-th (5 = last)
 * `dayOfWeek` of `month` at local `time` of the offset in force before it; `standardOffset` and
 * `daylight.offset` are whole UTC offsets in minutes east (CET +60, CEST +120).
 */
import ICAL from 'ical.js';
import type { CustomZone, ZonePeriod, ZoneTransitionRule } from '../../src/model/groupware.js';
import { ianaTransitions, offsetMinutes, type Transition } from './zone-intl.js';
import { candidateZones } from './zone-names.js';
import { coerceError } from '../../src/util/errors.js';

const DAYS = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'];

/** The period of `zone` in force in `year` (the last one whose fromYear ≤ year, else the first). */
export function periodFor(zone: CustomZone, year: number): ZonePeriod {
  let found: ZonePeriod | undefined;
  for (const p of zone.periods) if (p.fromYear === undefined || p.fromYear <= year) found = p;
  const first = zone.periods[0];
  if (!found && !first) throw new Error(`time zone ${JSON.stringify(zone.name)} has no periods`);
  return (found ?? first) as ZonePeriod;
}

function seconds(rule: ZoneTransitionRule): number {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/.exec(rule.time.trim());
  if (!m) throw new Error(`invalid transition time ${JSON.stringify(rule.time)}`);
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0);
}

/** Day of month of the rule in `year` (week 5 or more = the last such weekday). */
export function ruleDay(rule: ZoneTransitionRule, year: number): number {
  const firstDow = new Date(Date.UTC(year, rule.month - 1, 1)).getUTCDay();
  const len = new Date(Date.UTC(year, rule.month, 0)).getUTCDate();
  let day = 1 + ((rule.dayOfWeek - firstDow + 7) % 7) + 7 * (Math.max(1, rule.week) - 1);
  while (day > len) day -= 7;
  return day;
}

/** Local onset (as UTC-less ms) of `rule` in `year`. */
function onsetLocalMs(rule: ZoneTransitionRule, year: number): number {
  return Date.UTC(year, rule.month - 1, ruleDay(rule, year)) + seconds(rule) * 1000;
}

/** The transitions the rules of `zone` give in (local) year `year`, sorted. */
export function customTransitions(zone: CustomZone, year: number): Transition[] {
  const p = periodFor(zone, year);
  if (!p.daylight) return [];
  const { offset, start, end } = p.daylight;
  if (offset === p.standardOffset) return [];
  const out: Transition[] = [
    { at: onsetLocalMs(start, year) - p.standardOffset * 60_000, from: p.standardOffset, to: offset },
    { at: onsetLocalMs(end, year) - offset * 60_000, from: offset, to: p.standardOffset },
  ];
  return out.sort((a, b) => a.at - b.at);
}

/** UTC offset (minutes east) the rules of `zone` give at instant `utcMs`. */
export function customOffsetAt(zone: CustomZone, utcMs: number): number {
  const year = new Date(utcMs).getUTCFullYear();
  const trs = [...customTransitions(zone, year - 1), ...customTransitions(zone, year), ...customTransitions(zone, year + 1)];
  let off: number | undefined;
  for (const t of trs) if (t.at <= utcMs) off = t.to;
  if (off !== undefined) return off;
  return trs[0]?.from ?? periodFor(zone, year).standardOffset;
}

/** Checks the rules make sense; throws an Error naming the zone and the problem. */
export function validateZone(zone: CustomZone): void {
  const bad = (why: string): never => { throw new Error(`time zone ${JSON.stringify(zone.name)}: ${why}`); };
  if (zone.periods.length === 0) bad('no periods');
  for (const p of zone.periods) {
    if (!Number.isFinite(p.standardOffset) || Math.abs(p.standardOffset) > 18 * 60) bad(`invalid standard offset ${p.standardOffset}`);
    if (!p.daylight) continue;
    if (!Number.isFinite(p.daylight.offset) || Math.abs(p.daylight.offset) > 18 * 60) bad(`invalid daylight offset ${p.daylight.offset}`);
    for (const r of [p.daylight.start, p.daylight.end]) {
      if (!(r.month >= 1 && r.month <= 12) || !(r.week >= 1 && r.week <= 5) || !(r.dayOfWeek >= 0 && r.dayOfWeek <= 6)) bad(`invalid transition rule ${JSON.stringify(r)}`);
      try { seconds(r); } catch (err) { bad(coerceError(err).message); }
    }
  }
}

function sameTransitions(a: Transition[], b: Transition[]): boolean {
  // Windows writes "23:59:59.999" for midnight: a minute's tolerance.
  return a.length === b.length && a.every((t, i) => {
    const u = b[i] as Transition;
    return Math.abs(t.at - u.at) <= 60_000 && t.from === u.from && t.to === u.to;
  });
}

const matchCache = new Map<string, string | undefined>();

/**
 * The IANA zone whose offsets and transitions equal the rules of `zone` in every year of
 * `years` (inclusive), or undefined. Candidates are the CLDR primary zones of the Windows zones
 * (common zones first, then in table order) and the fixed-offset Etc/GMT±N zones, so the answer
 * is deterministic: e.g. CET/CEST EU rules → Europe/Berlin.
 */
export function zoneFromRules(zone: CustomZone, years: [number, number]): string | undefined {
  validateZone(zone);
  const [y0, y1] = years[0] <= years[1] ? years : [years[1], years[0]];
  const key = JSON.stringify([zone.periods, y0, y1]);
  if (matchCache.has(key)) return matchCache.get(key);
  const want = new Map<number, Transition[]>();
  for (let y = y0; y <= y1; y++) want.set(y, customTransitions(zone, y));
  // Cheap filter first: the offsets mid-January and mid-July of every year.
  const samples: number[] = [];
  for (let y = y0; y <= y1; y++) samples.push(Date.UTC(y, 0, 15), Date.UTC(y, 6, 15));
  const expected = samples.map((t) => customOffsetAt(zone, t));
  let found: string | undefined;
  for (const tzid of candidateZones()) {
    if (!samples.every((t, i) => offsetMinutes(t, tzid) === expected[i])) continue;
    let ok = true;
    for (let y = y0; y <= y1 && ok; y++) ok = sameTransitions(ianaTransitions(tzid, y), want.get(y) as Transition[]);
    if (ok) { found = tzid; break; }
  }
  matchCache.set(key, found);
  return found;
}

function localTimeOf(localMs: number): ICAL.Time {
  const d = new Date(localMs);
  return ICAL.Time.fromData({
    year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(),
  });
}

function observance(kind: 'standard' | 'daylight', localMs: number, from: number, to: number, rrule?: string): ICAL.Component {
  const c = new ICAL.Component(kind);
  c.addPropertyWithValue('dtstart', localTimeOf(localMs));
  c.addPropertyWithValue('tzoffsetfrom', ICAL.UtcOffset.fromSeconds(from * 60));
  c.addPropertyWithValue('tzoffsetto', ICAL.UtcOffset.fromSeconds(to * 60));
  if (rrule) c.addPropertyWithValue('rrule', ICAL.Recur.fromString(rrule));
  return c;
}

function byDay(rule: ZoneTransitionRule): string {
  return `${rule.week >= 5 ? -1 : rule.week}${DAYS[rule.dayOfWeek] as string}`;
}

function utcStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** Offset in force at the start of (local) `year` under period `p`. */
function yearStartOffset(p: ZonePeriod): number {
  if (!p.daylight || p.daylight.offset === p.standardOffset) return p.standardOffset;
  const { start, end } = p.daylight;
  // Southern hemisphere: daylight time spans the new year.
  return start.month > end.month ? p.daylight.offset : p.standardOffset;
}

/**
 * An exact VTIMEZONE (TZID = zone.name) for the rules of `zone`, valid for instants from
 * `fromYear` through `toYear`: per period one STANDARD and one DAYLIGHT with yearly RRULEs
 * (bounded by UNTIL when a later period takes over), or one STANDARD for a period without DST.
 * Throws an Error naming the zone when its rules are invalid.
 */
export function buildCustomVTimezone(zone: CustomZone, fromYear: number, toYear: number): ICAL.Component {
  validateZone(zone);
  const vtz = new ICAL.Component('vtimezone');
  vtz.addPropertyWithValue('tzid', zone.name);
  const first = fromYear - 1;
  const periods = zone.periods
    .map((p, i) => ({ p, from: Math.max(p.fromYear ?? first, first), to: (zone.periods[i + 1]?.fromYear ?? Infinity) - 1 }))
    .filter((x) => x.to >= x.from && x.from <= Math.max(toYear, first));
  if (periods.length === 0) periods.push({ p: periodFor(zone, first), from: first, to: Infinity });
  let prevEnd: number | undefined;
  for (const { p, from, to } of periods) {
    const startOff = yearStartOffset(p);
    const trs = customTransitions({ name: zone.name, periods: [p] }, from);
    if (prevEnd === undefined || prevEnd !== startOff || trs.length === 0) {
      // The offset in force from the period's first day (and the only observance of a no-DST period).
      vtz.addSubcomponent(observance(startOff === p.standardOffset ? 'standard' : 'daylight', Date.UTC(from, 0, 1), prevEnd ?? startOff, startOff));
    }
    for (const tr of trs) {
      const dst = tr.to !== p.standardOffset;
      const rule = dst ? p.daylight?.start : p.daylight?.end;
      if (!rule) continue;
      let rr = `FREQ=YEARLY;BYMONTH=${rule.month};BYDAY=${byDay(rule)}`;
      if (Number.isFinite(to)) {
        const last = customTransitions({ name: zone.name, periods: [p] }, to).find((t) => t.to === tr.to);
        if (last) rr += `;UNTIL=${utcStamp(last.at)}`;
      }
      vtz.addSubcomponent(observance(dst ? 'daylight' : 'standard', tr.at + tr.from * 60_000, tr.from, tr.to, rr));
    }
    const endTrs = Number.isFinite(to) ? customTransitions({ name: zone.name, periods: [p] }, to) : trs;
    prevEnd = endTrs.length > 0 ? (endTrs[endTrs.length - 1] as Transition).to : p.standardOffset;
  }
  return vtz;
}
