/**
 * VTIMEZONE components generated from the system's tz data (RFC 5545 §3.6.5), because ical.js
 * reads but does not create them. For each zone the transitions of the first year used are
 * found through Intl; when they follow a "n-th weekday of the month" rule in the following years
 * too (Europe, North America…) one STANDARD and one DAYLIGHT with a yearly RRULE are written,
 * otherwise every transition of the years in use is written explicitly.
 */
import ICAL from 'ical.js';
import { ianaTransitions as transitions, offsetMinutes, wallClock, type Transition } from './zone-intl.js';

export { buildCustomVTimezone } from './zone-rules.js';

const DAYS = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'];

/** BYDAY of a local date: "2SU", or "-1SU" for the last such weekday of the month. */
function weekdayRule(y: number, m: number, d: number): string {
  const wd = DAYS[new Date(Date.UTC(y, m - 1, d)).getUTCDay()] as string;
  const len = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return d + 7 > len ? `-1${wd}` : `${Math.ceil(d / 7)}${wd}`;
}

function onsetLocal(tr: Transition): { y: number; m: number; d: number; hh: number; mm: number } {
  const w = new Date(tr.at + tr.from * 60_000);
  return { y: w.getUTCFullYear(), m: w.getUTCMonth() + 1, d: w.getUTCDate(), hh: w.getUTCHours(), mm: w.getUTCMinutes() };
}

function observance(tr: Transition, dst: boolean, rrule?: string): ICAL.Component {
  const c = new ICAL.Component(dst ? 'daylight' : 'standard');
  const o = onsetLocal(tr);
  c.addPropertyWithValue('dtstart', ICAL.Time.fromData({ year: o.y, month: o.m, day: o.d, hour: o.hh, minute: o.mm, second: 0 }));
  c.addPropertyWithValue('tzoffsetfrom', ICAL.UtcOffset.fromSeconds(tr.from * 60));
  c.addPropertyWithValue('tzoffsetto', ICAL.UtcOffset.fromSeconds(tr.to * 60));
  if (rrule) c.addPropertyWithValue('rrule', ICAL.Recur.fromString(rrule));
  return c;
}

function ruleOf(tr: Transition): { month: number; byDay: string; hh: number; mm: number } {
  const o = onsetLocal(tr);
  return { month: o.m, byDay: weekdayRule(o.y, o.m, o.d), hh: o.hh, mm: o.mm };
}

const sameRule = (a: Transition, b: Transition): boolean => {
  const x = ruleOf(a);
  const y = ruleOf(b);
  return x.month === y.month && x.byDay === y.byDay && x.hh === y.hh && x.mm === y.mm && a.from === b.from && a.to === b.to;
};

/** A VTIMEZONE for `tzid` valid for instants from `fromYear` through `toYear`. */
export function buildVTimezone(tzid: string, fromYear: number, toYear: number): ICAL.Component {
  const vtz = new ICAL.Component('vtimezone');
  vtz.addPropertyWithValue('tzid', tzid);
  const first = fromYear - 1;
  const base = transitions(tzid, first);
  if (base.length === 0) {
    // Possibly a fixed offset now, but with transitions later (a zone that starts DST): explicit list.
    const later: Transition[] = [];
    for (let y = fromYear; y <= toYear; y++) later.push(...transitions(tzid, y));
    const off = offsetMinutes(Date.UTC(first, 0, 1), tzid);
    vtz.addSubcomponent(observance({ at: Date.UTC(1970, 0, 1) - off * 60_000, from: off, to: off }, false));
    for (const tr of later) vtz.addSubcomponent(observance(tr, tr.to > tr.from));
    return vtz;
  }
  const regular = base.length === 2 && [first + 1, first + 2, first + 3].every((y) => {
    const ts = transitions(tzid, y);
    return ts.length === 2 && sameRule(ts[0] as Transition, base[0] as Transition) && sameRule(ts[1] as Transition, base[1] as Transition);
  });
  if (regular) {
    for (const tr of base) {
      const r = ruleOf(tr);
      vtz.addSubcomponent(observance(tr, tr.to > tr.from, `FREQ=YEARLY;BYMONTH=${r.month};BYDAY=${r.byDay}`));
    }
    return vtz;
  }
  for (let y = first; y <= Math.min(toYear + 1, first + 60); y++) {
    for (const tr of transitions(tzid, y)) vtz.addSubcomponent(observance(tr, tr.to > tr.from));
  }
  return vtz;
}

/** The local wall time of `utc` in `tzid` as an ical.js floating time (to carry a TZID parameter). */
export function localTime(utc: Date, tzid: string): ICAL.Time {
  const w = wallClock(utc.getTime(), tzid);
  return ICAL.Time.fromData({ year: w.year, month: w.month, day: w.day, hour: w.hour, minute: w.minute, second: w.second });
}
