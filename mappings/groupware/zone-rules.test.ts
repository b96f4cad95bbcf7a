import ICAL from 'ical.js';
import type { CustomZone } from '../../src/model/groupware.js';
import { offsetMinutes, zoneFromRules } from './time-zones.js';
import { buildCustomVTimezone } from './vtimezone.js';
import { customOffsetAt } from './zone-rules.js';

const sunday = (month: number, week: number, time: string) => ({ month, week, dayOfWeek: 0, time });
/** CET/CEST as Exchange sends it for "Customized Time Zone". */
const EU: CustomZone = { name: 'Customized Time Zone', periods: [{ standardOffset: 60, daylight: { offset: 120, start: sunday(3, 5, '02:00'), end: sunday(10, 5, '03:00') } }] };
const US_PACIFIC: CustomZone = { name: 'Pacific', periods: [{ standardOffset: -480, daylight: { offset: -420, start: sunday(3, 2, '02:00'), end: sunday(11, 1, '02:00') } }] };
/** The US rules before 2007 (first Sunday of April to last Sunday of October), then today's. */
const US_EASTERN_HISTORY: CustomZone = {
  name: 'Eastern (with history)',
  periods: [
    { standardOffset: -300, daylight: { offset: -240, start: sunday(4, 1, '02:00'), end: sunday(10, 5, '02:00') } },
    { fromYear: 2007, standardOffset: -300, daylight: { offset: -240, start: sunday(3, 2, '02:00'), end: sunday(11, 1, '02:00') } },
  ],
};
/** No IANA zone has these rules: +01:30 with DST +02:30 from the 2nd Sunday of April to the 3rd Sunday of September. */
const ODD: CustomZone = { name: 'Odd Zone', periods: [{ standardOffset: 90, daylight: { offset: 150, start: sunday(4, 2, '01:00'), end: sunday(9, 3, '02:30') } }] };
/** Southern hemisphere: daylight time spans the new year (Sydney-like, but shifted a week). */
const SOUTH: CustomZone = { name: 'South', periods: [{ standardOffset: 600, daylight: { offset: 660, start: sunday(10, 2, '02:00'), end: sunday(4, 2, '03:00') } }] };

/** Every 30 minutes around each transition of the years, plus every day at noon. */
function instants(from: number, to: number): number[] {
  const out: number[] = [];
  for (let t = Date.UTC(from, 0, 1, 12); t < Date.UTC(to + 1, 0, 1); t += 86_400_000) out.push(t);
  return out;
}

/** UTC offset in minutes east that ical.js computes for instant `ms` in a parsed VTIMEZONE. */
function icalOffset(vtz: ICAL.Component, ms: number): number {
  const tz = new ICAL.Timezone(vtz);
  const t = ICAL.Time.fromJSDate(new Date(ms), true);
  return tz.utcOffset(t.convertToZone(tz)) / 60;
}

describe('mappings/groupware: zones given only by rules', () => {
  it('matches EU rules to a zone with the same offsets and transitions (Europe/Berlin)', () => {
    expect(zoneFromRules(EU, [2023, 2026])).toBe('Europe/Berlin');
  });

  it('matches US Pacific rules to America/Los_Angeles and a no-DST +05:30 to Asia/Kolkata', () => {
    expect(zoneFromRules(US_PACIFIC, [2020, 2025])).toBe('America/Los_Angeles');
    const india = zoneFromRules({ name: 'India', periods: [{ standardOffset: 330 }] }, [2020, 2025]);
    expect(india && offsetMinutes(Date.UTC(2024, 6, 1), india)).toBe(330);
    expect(india && offsetMinutes(Date.UTC(2024, 0, 1), india)).toBe(330);
  });

  it('matches a zone only over the years in use: pre-2007 US rules are no IANA zone in 2024', () => {
    const old: CustomZone = { name: 'old', periods: [US_EASTERN_HISTORY.periods[0] as CustomZone['periods'][number]] };
    expect(zoneFromRules(old, [2024, 2025])).toBeUndefined();
    expect(zoneFromRules(US_EASTERN_HISTORY, [2005, 2010])).toBe('America/New_York');
  });

  it('finds no IANA zone for rules no zone has', () => {
    expect(zoneFromRules(ODD, [2024, 2025])).toBeUndefined();
  });

  it('refuses invalid rules with a reason naming the zone', () => {
    const bad: CustomZone = { name: 'Broken', periods: [{ standardOffset: 60, daylight: { offset: 120, start: sunday(13, 1, '02:00'), end: sunday(10, 5, '03:00') } }] };
    expect(() => zoneFromRules(bad, [2024, 2024])).toThrow(/"Broken".*invalid transition rule/);
    expect(() => buildCustomVTimezone({ name: 'Empty', periods: [] }, 2024, 2024)).toThrow(/"Empty".*no periods/);
  });

  it.each([
    ['EU rules vs Europe/Berlin', EU, 'Europe/Berlin', 2023, 2026],
    ['US Pacific rules vs America/Los_Angeles', US_PACIFIC, 'America/Los_Angeles', 2023, 2026],
    ['US rules with their 2007 change vs America/New_York', US_EASTERN_HISTORY, 'America/New_York', 2005, 2009],
  ])('builds a VTIMEZONE that ical.js reads back to the same instants: %s', (_what, zone, iana, from, to) => {
    const vtz = new ICAL.Component(ICAL.parse(buildCustomVTimezone(zone, from, to).toString()));
    for (const ms of instants(from, to)) expect([new Date(ms).toISOString(), icalOffset(vtz, ms)]).toEqual([new Date(ms).toISOString(), offsetMinutes(ms, iana)]);
    // Around each transition: an hour before and after, in both directions (local → UTC too).
    const tz = new ICAL.Timezone(vtz);
    for (const [local, utcIso] of iana === 'Europe/Berlin'
      ? [['2024-03-31T01:30:00', '2024-03-31T00:30:00Z'], ['2024-03-31T03:30:00', '2024-03-31T01:30:00Z'], ['2024-10-27T03:30:00', '2024-10-27T02:30:00Z']]
      : []) {
      const t = ICAL.Time.fromDateTimeString(local as string);
      t.zone = tz;
      expect(t.toJSDate().toISOString()).toBe(new Date(utcIso as string).toISOString());
    }
  });

  it('builds an exact VTIMEZONE for rules no IANA zone has, southern hemisphere included', () => {
    for (const zone of [ODD, SOUTH]) {
      const vtz = new ICAL.Component(ICAL.parse(buildCustomVTimezone(zone, 2024, 2026).toString()));
      expect(vtz.getFirstPropertyValue('tzid')).toBe(zone.name);
      for (const ms of instants(2024, 2026)) expect([new Date(ms).toISOString(), icalOffset(vtz, ms)]).toEqual([new Date(ms).toISOString(), customOffsetAt(zone, ms)]);
    }
    // ODD: +01:30 in winter, +02:30 from 14 April 2024 01:00 local until 15 September 2024 02:30 local.
    expect(customOffsetAt(ODD, Date.UTC(2024, 3, 13, 23, 29))).toBe(90);
    expect(customOffsetAt(ODD, Date.UTC(2024, 3, 13, 23, 30))).toBe(150);
    expect(customOffsetAt(ODD, Date.UTC(2024, 8, 14, 23, 59))).toBe(150);
    expect(customOffsetAt(ODD, Date.UTC(2024, 8, 15, 0, 0))).toBe(90);
    // SOUTH: summer time in January.
    expect(customOffsetAt(SOUTH, Date.UTC(2025, 0, 10))).toBe(660);
    expect(customOffsetAt(SOUTH, Date.UTC(2025, 6, 10))).toBe(600);
  });

  it('writes one STANDARD observance for a zone without DST', () => {
    const vtz = buildCustomVTimezone({ name: 'Plus 0530', periods: [{ standardOffset: 330 }] }, 2024, 2025);
    expect(vtz.getAllSubcomponents('standard')).toHaveLength(1);
    expect(vtz.getAllSubcomponents('daylight')).toHaveLength(0);
    expect(icalOffset(new ICAL.Component(ICAL.parse(vtz.toString())), Date.UTC(2024, 6, 1))).toBe(330);
  });
});
