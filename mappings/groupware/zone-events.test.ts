import ICAL from 'ical.js';
import type { CalendarEvent, CustomZone, Task } from '../../src/model/groupware.js';
import { ConversionError } from './errors.js';
import { eventToICalendar, taskToICalendar } from './icalendar.js';
import { wallClock } from './time-zones.js';

const parse = (text: string): ICAL.Component => new ICAL.Component(ICAL.parse(text));
const DAYS = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'];

/** The first `n` instances of the series in a calendar object, expanded by ical.js with the object's own VTIMEZONEs. */
function starts(cal: ICAL.Component, n: number): Date[] {
  for (const tz of cal.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(tz);
  const vevents = cal.getAllSubcomponents('vevent');
  const master = new ICAL.Event(vevents.find((v) => !v.hasProperty('recurrence-id')));
  for (const v of vevents) if (v.hasProperty('recurrence-id')) master.relateException(v);
  const it = master.iterator();
  const out: Date[] = [];
  for (let next = it.next(); next && out.length < n; next = it.next()) out.push(master.getOccurrenceDetails(next).startDate.toJSDate());
  return out;
}

const sunday = (month: number, week: number, time: string) => ({ month, week, dayOfWeek: 0, time });
const EU_RULES: CustomZone = { name: 'Customized Time Zone', periods: [{ standardOffset: 60, daylight: { offset: 120, start: sunday(3, 5, '02:00'), end: sunday(10, 5, '03:00') } }] };
const ODD: CustomZone = { name: 'Odd Zone', periods: [{ standardOffset: 90, daylight: { offset: 150, start: sunday(4, 2, '01:00'), end: sunday(9, 3, '02:30') } }] };

/** Weekly on Mondays 09:00 in a zone where that is Sunday in UTC (Auckland, +13 in March). */
const aucklandMonday9 = new Date('2024-03-17T20:00:00Z');

describe('mappings/groupware: zones in events and tasks', () => {
  it('puts an all-day event in a display-name zone on its own date', () => {
    // Exchange: the all-day event of 18 March 2024 starts at local midnight = 17 March 23:00 UTC.
    const ev: CalendarEvent = {
      uid: 'allday-1', summary: 'Holiday', allDay: true,
      start: { utc: new Date('2024-03-17T23:00:00Z'), tzid: '(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna' },
      end: { utc: new Date('2024-03-18T23:00:00Z'), tzid: '(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna' },
    };
    const v = parse(eventToICalendar(ev)).getFirstSubcomponent('vevent') as ICAL.Component;
    expect(v.getFirstPropertyValue('dtstart')?.toString()).toBe('2024-03-18');
    expect(v.getFirstPropertyValue('dtend')?.toString()).toBe('2024-03-19');
  });

  it.each([
    ['a Windows display name', '(UTC+12:00) Auckland, Wellington'],
    ['an old display name', '(GMT+12:00) Auckland, Wellington'],
    ['a Windows id', 'New Zealand Standard Time'],
  ])('starts a weekly series on a day of its own RRULE, zone given as %s', (_what, tzid) => {
    const ev: CalendarEvent = {
      uid: 'weekly-1', summary: 'Standup',
      start: { utc: aucklandMonday9, tzid }, end: { utc: new Date(aucklandMonday9.getTime() + 1800_000), tzid },
      recurrence: { freq: 'WEEKLY', byDay: ['MO', 'WE'], count: 6 },
    };
    const cal = parse(eventToICalendar(ev));
    const dtstart = (cal.getFirstSubcomponent('vevent') as ICAL.Component).getFirstProperty('dtstart') as ICAL.Property;
    expect(dtstart.getParameter('tzid')).toBe('Pacific/Auckland');
    const got = starts(cal, 6);
    expect(got).toHaveLength(6);
    expect(got[0]?.toISOString()).toBe(aucklandMonday9.toISOString());
    for (const d of got) {
      const w = wallClock(d.getTime(), 'Pacific/Auckland');
      expect([DAYS[new Date(Date.UTC(w.year, w.month - 1, w.day)).getUTCDay()], w.hour]).toEqual([expect.stringMatching(/^(MO|WE)$/), 9]);
    }
  });

  it('writes a custom zone that matches an IANA zone under that zone, with the source wall-clock times', () => {
    const start = new Date('2024-03-25T09:00:00Z'); // Monday 10:00 CET; CEST from 31 March
    const ev: CalendarEvent = { uid: 'custom-1', start: { utc: start, customZone: EU_RULES }, end: { utc: new Date(start.getTime() + 3600_000), customZone: EU_RULES }, recurrence: { freq: 'WEEKLY', byDay: ['MO'], count: 3 } };
    const text = eventToICalendar(ev);
    expect(text).toContain('DTSTART;TZID=Europe/Berlin:20240325T100000');
    expect(text).not.toContain('Customized Time Zone');
    expect(starts(parse(text), 3).map((d) => d.toISOString())).toEqual(['2024-03-25T09:00:00.000Z', '2024-04-01T08:00:00.000Z', '2024-04-08T08:00:00.000Z']);
  });

  it('writes a custom zone no IANA zone matches as its own VTIMEZONE; instances keep the local time across its DST change', () => {
    const start = new Date('2024-04-08T08:30:00Z'); // Monday 10:00 at +01:30; from 14 April +02:30
    const ev: CalendarEvent = { uid: 'custom-2', start: { utc: start, customZone: ODD }, end: { utc: new Date(start.getTime() + 3600_000), customZone: ODD }, recurrence: { freq: 'WEEKLY', count: 2 } };
    const cal = parse(eventToICalendar(ev));
    expect((cal.getFirstSubcomponent('vtimezone') as ICAL.Component).getFirstPropertyValue('tzid')).toBe('Odd Zone');
    expect((cal.getFirstSubcomponent('vevent') as ICAL.Component).getFirstProperty('dtstart')?.getParameter('tzid')).toBe('Odd Zone');
    expect(starts(cal, 2).map((d) => d.toISOString())).toEqual(['2024-04-08T08:30:00.000Z', '2024-04-15T07:30:00.000Z']);
  });

  it('writes RECURRENCE-ID and EXDATE as DATE on an all-day series, whatever form the source gave', () => {
    const ev: CalendarEvent = {
      uid: 'allday-series', allDay: true, start: { utc: new Date('2024-05-06T00:00:00Z'), date: '2024-05-06' }, end: { utc: new Date('2024-05-07T00:00:00Z'), date: '2024-05-07' },
      recurrence: { freq: 'WEEKLY', count: 4 },
      deletedOccurrences: [{ utc: new Date('2024-05-12T22:00:00Z'), tzid: 'Europe/Berlin' }],
      exceptions: [{ recurrenceId: { utc: new Date('2024-05-19T22:00:00Z'), tzid: 'W. Europe Standard Time' }, changes: { summary: 'moved', start: { utc: new Date('2024-05-21T00:00:00Z'), date: '2024-05-21' }, end: { utc: new Date('2024-05-22T00:00:00Z'), date: '2024-05-22' } } }],
    };
    const text = eventToICalendar(ev);
    expect(text).toContain('EXDATE;VALUE=DATE:20240513');
    expect(text).toContain('RECURRENCE-ID;VALUE=DATE:20240520');
    expect(starts(parse(text), 4).map((d) => d.toISOString().slice(0, 10))).toEqual(['2024-05-06', '2024-05-21', '2024-05-27']);
  });

  it("writes RECURRENCE-ID and EXDATE in the master's zone on a timed series", () => {
    const start = new Date('2024-05-06T08:00:00Z'); // 10:00 Berlin
    const ev: CalendarEvent = {
      uid: 'timed-series', start: { utc: start, tzid: 'Europe/Berlin' }, end: { utc: new Date(start.getTime() + 3600_000), tzid: 'Europe/Berlin' },
      recurrence: { freq: 'DAILY', count: 4 },
      deletedOccurrences: [{ utc: new Date('2024-05-07T08:00:00Z') }, { utc: new Date('2024-05-09T00:00:00Z'), date: '2024-05-09' }],
      exceptions: [{ recurrenceId: { utc: new Date('2024-05-08T08:00:00Z'), tzid: 'America/New_York' }, changes: { start: { utc: new Date('2024-05-08T12:00:00Z'), tzid: 'Europe/Berlin' } } }],
    };
    const text = eventToICalendar(ev);
    expect(text).toContain('EXDATE;TZID=Europe/Berlin:20240507T100000');
    expect(text).toContain('EXDATE;TZID=Europe/Berlin:20240509T100000');
    expect(text).toContain('RECURRENCE-ID;TZID=Europe/Berlin:20240508T100000');
    expect(starts(parse(text), 4).map((d) => d.toISOString())).toEqual(['2024-05-06T08:00:00.000Z', '2024-05-08T12:00:00.000Z']);
  });

  it('gives a timed event without an end a zero DURATION (the RFC meaning; no DTEND = DTSTART), an all-day one its day', () => {
    const timed = eventToICalendar({ uid: 'no-end', start: { utc: new Date('2024-05-06T08:00:00Z'), tzid: 'Europe/Berlin' } });
    expect(timed).toContain('DURATION:PT0S');
    expect(timed).not.toContain('DTEND');
    const allDay = eventToICalendar({ uid: 'no-end-day', allDay: true, start: { utc: new Date('2024-05-06T00:00:00Z'), date: '2024-05-06' } });
    expect(allDay).toContain('DTEND;VALUE=DATE:20240507');
  });

  it('refuses an unknown zone with a reason naming the item and the zone', () => {
    const ev: CalendarEvent = { uid: 'bad-zone', start: { utc: new Date('2024-05-06T08:00:00Z'), tzid: 'Atlantis Standard Time' } };
    expect(() => eventToICalendar(ev)).toThrow(ConversionError);
    expect(() => eventToICalendar(ev)).toThrow(/bad-zone.*"Atlantis Standard Time"/);
  });

  it('carries attachments of events and tasks as inline base64 ATTACH that decodes to the same bytes', () => {
    const bytes = Buffer.from(Array.from({ length: 3000 }, (_v, i) => (i * 37) % 256));
    const att = [{ name: 'Plan "final", v2.pdf', mimeType: 'application/pdf', data: bytes }, { name: 'notes.txt', mimeType: 'text/plain', data: Buffer.from('héllo\n') }];
    const ev: CalendarEvent = { uid: 'with-files', start: { utc: new Date('2024-05-06T08:00:00Z') }, end: { utc: new Date('2024-05-06T09:00:00Z') }, attachments: att };
    const task: Task = { uid: 'task-files', summary: 'Read', attachments: att };
    for (const [text, comp] of [[eventToICalendar(ev), 'vevent'], [taskToICalendar(task), 'vtodo']] as const) {
      const props = (parse(text).getFirstSubcomponent(comp) as ICAL.Component).getAllProperties('attach');
      expect(props.map((p) => [p.getParameter('filename'), p.getParameter('x-filename'), p.getParameter('fmttype'), p.getParameter('encoding'), p.type])).toEqual([
        ["Plan 'final', v2.pdf", "Plan 'final', v2.pdf", 'application/pdf', 'BASE64', 'binary'],
        ['notes.txt', 'notes.txt', 'text/plain', 'BASE64', 'binary'],
      ]);
      expect(props.map((p) => Buffer.from(String(p.getFirstValue()), 'base64'))).toEqual(att.map((a) => a.data));
    }
  });
});
