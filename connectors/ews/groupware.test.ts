/**
 * EWS item XML → neutral model → iCalendar/vCard, on the documented samples in
 * ../shared/fixtures/ews (msdocs, garethp-php-ews captures) and on hand-written patterns.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ICAL from 'ical.js';
import { eventToICalendar, taskToICalendar } from '../../mappings/groupware/icalendar.js';
import { contactToVCard } from '../../mappings/groupware/vcard.js';
import { fixturesDir } from '../pst/readpst-oracle.js';
import { contactFromEws, eventFromEws, recurrenceOf, taskFromEws } from './groupware.js';
import { attr, find, kid, parseXml } from './xml.js';

const dir = join(fixturesDir(), 'ews');
const T = 'xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"';

function item(file: string, element: string): { id: string; el: Element } {
  const el = find(parseXml(readFileSync(join(dir, file), 'utf8')), element);
  if (!el) throw new Error(`${file}: no ${element}`);
  return { id: attr(kid(el, 'ItemId'), 'Id') ?? '', el };
}

function expand(ics: string): string[] {
  const cal = new ICAL.Component(ICAL.parse(ics));
  const ev = new ICAL.Event(cal.getFirstSubcomponent('vevent') ?? undefined);
  const it = ev.iterator();
  const out: string[] = [];
  for (let n = it.next(); n && out.length < 30; n = it.next()) out.push(n.toJSDate().toISOString());
  return out;
}

const fixtures = existsSync(dir);
if (!fixtures) {
  test('EWS fixtures', () => {
    throw new Error(`EWS fixtures not found at ${dir}: put the shared test data (shared/fixtures) beside the repo or point UMS_FIXTURES_DIR at it`);
  });
}
// Without the fixtures the test above fails naming them; the samples below are then not declared at all.
if (fixtures) describe('EWS samples → iCalendar / vCard', () => {
  test('the recurring master sample (weekly, numbered) expands to its four Wednesdays', () => {
    const { id, el } = item('garethp-php-ews/getitem-calendaritem-recurring-master-response.xml', 'CalendarItem');
    const ev = eventFromEws(id, el);
    expect(ev.uid).toBe('040000008200E00074C5B7101A82E008000000001AF45EF9C7EDDB01000000000000000010000000F73231FC2ADB164D941E037E14477E38');
    expect(ev.recurrence).toEqual({ freq: 'WEEKLY', byDay: ['WE'], count: 4 });
    expect(ev.reminderMinutes).toBe(15);
    expect(expand(eventToICalendar(ev))).toEqual(['2025-07-02T10:00:00.000Z', '2025-07-09T10:00:00.000Z', '2025-07-16T10:00:00.000Z', '2025-07-23T10:00:00.000Z']);
  });

  test('every calendar item sample converts and parses back', () => {
    for (const f of ['msdocs/getitem-calendaritem-response-2.xml', 'garethp-php-ews/getitem-calendaritem-response.xml']) {
      const { id, el } = item(f, 'CalendarItem');
      const vevent = new ICAL.Component(ICAL.parse(eventToICalendar(eventFromEws(id, el)))).getFirstSubcomponent('vevent');
      expect(vevent?.getFirstPropertyValue('dtstart')).toBeTruthy();
    }
    // This sample was fetched IdOnly: without a Start it is a per-item error, not a crash.
    const idOnly = item('msdocs/getitem-calendaritem-response.xml', 'CalendarItem');
    expect(() => eventFromEws(idOnly.id, idOnly.el)).toThrow(/calendar item without Start/);
  });

  test('the msdocs contact becomes a vCard with its name, company, emails, phone and address', () => {
    const { id, el } = item('msdocs/getitem-contact-response.xml', 'Contact');
    const c = new ICAL.Component(ICAL.parse(contactToVCard(contactFromEws(id, el))));
    expect(c.getFirstPropertyValue('fn')).toBe('Tanja Plate');
    expect(c.getFirstPropertyValue('n')).toEqual(['Plate', 'Tanja', '', '', '']);
    expect([c.getFirstPropertyValue('org')].flat()).toEqual(['Northwind Traders']);
    expect(c.getFirstPropertyValue('title')).toBe('Project Manager');
    expect(c.getAllProperties('email').map((p) => p.getFirstValue())).toEqual(['tplate@example.com', 'tplate@example.com']);
    expect(c.getFirstPropertyValue('tel')).toBe('5625550199');
    expect(c.getFirstPropertyValue('adr')).toEqual(['', '', '12345 67th Ave', 'Whittier', 'CA', '', '']);
  });

  test('the international contact samples convert (vCard 3.0 and 4.0)', () => {
    const files = readdirSync(join(dir, 'garethp-php-ews')).filter((f) => f.startsWith('getitem-contact-international'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const { id, el } = item(`garethp-php-ews/${f}`, 'Contact');
      for (const v of ['3.0', '4.0'] as const) {
        const c = new ICAL.Component(ICAL.parse(contactToVCard(contactFromEws(id, el), v)));
        expect(String(c.getFirstPropertyValue('fn')).length).toBeGreaterThan(0);
      }
    }
  });

  test('the msdocs task becomes a VTODO', () => {
    const { id, el } = item('msdocs/getitem-task-response.xml', 'Task');
    const todo = new ICAL.Component(ICAL.parse(taskToICalendar(taskFromEws(id, el)))).getFirstSubcomponent('vtodo');
    expect(todo?.getFirstPropertyValue('summary')).toBe('Buy new shoes');
    expect(todo?.getFirstPropertyValue('status')).toBe('NEEDS-ACTION');
    expect(todo?.getFirstPropertyValue('percent-complete')).toBe(0);
  });
});

describe('EWS task dates', () => {
  const task = (due: string) => taskFromEws('AAMkTask1', find(parseXml(`<t:Items ${T}><t:Task><t:ItemId Id="AAMkTask1"/><t:Subject>Due</t:Subject><t:DueDate>${due}</t:DueDate></t:Task></t:Items>`), 'Task') as NonNullable<ReturnType<typeof find>>);
  test.each([
    ['2024-03-15T00:00:00+01:00', '2024-03-15'], // local midnight as written
    ['2024-03-14T23:00:00Z', '2024-03-15'], // Berlin's midnight in UTC
    ['2024-03-14T22:00:00Z', '2024-03-15'], // Berlin in summer time
    ['2024-03-15T05:00:00Z', '2024-03-15'], // New York's midnight in UTC
    ['2024-03-15T00:00:00Z', '2024-03-15'],
  ])('due %s is the date %s, never a day early', (due, date) => {
    expect(task(due).due?.date).toBe(date);
    expect(taskToICalendar(task(due))).toContain(`DUE;VALUE=DATE:${date.replace(/-/g, '')}`);
  });
});

describe('EWS recurrence patterns → RRULE', () => {
  const rec = (xml: string) => find(parseXml(`<t:Recurrence ${T}>${xml}</t:Recurrence>`), 'Recurrence') ?? parseXml(`<t:Recurrence ${T}>${xml}</t:Recurrence>`);
  const start = new Date('2024-01-09T09:00:00Z');

  test.each([
    ['<t:DailyRecurrence><t:Interval>2</t:Interval></t:DailyRecurrence><t:NoEndRecurrence><t:StartDate>2024-01-09</t:StartDate></t:NoEndRecurrence>', { freq: 'DAILY', interval: 2 }],
    ['<t:RelativeMonthlyRecurrence><t:Interval>1</t:Interval><t:DaysOfWeek>Tuesday</t:DaysOfWeek><t:DayOfWeekIndex>Second</t:DayOfWeekIndex></t:RelativeMonthlyRecurrence><t:NumberedRecurrence><t:StartDate>2024-01-09</t:StartDate><t:NumberOfOccurrences>3</t:NumberOfOccurrences></t:NumberedRecurrence>',
      { freq: 'MONTHLY', byDay: ['2TU'], count: 3 }],
    ['<t:RelativeMonthlyRecurrence><t:Interval>1</t:Interval><t:DaysOfWeek>Weekday</t:DaysOfWeek><t:DayOfWeekIndex>Last</t:DayOfWeekIndex></t:RelativeMonthlyRecurrence><t:NumberedRecurrence><t:StartDate>2024-01-31</t:StartDate><t:NumberOfOccurrences>2</t:NumberOfOccurrences></t:NumberedRecurrence>',
      { freq: 'MONTHLY', byDay: ['MO', 'TU', 'WE', 'TH', 'FR'], bySetPos: [-1], count: 2 }],
    ['<t:AbsoluteYearlyRecurrence><t:DayOfMonth>9</t:DayOfMonth><t:Month>January</t:Month></t:AbsoluteYearlyRecurrence><t:NoEndRecurrence><t:StartDate>2024-01-09</t:StartDate></t:NoEndRecurrence>',
      { freq: 'YEARLY', byMonth: [1], byMonthDay: [9] }],
  ])('%s', (xml, expected) => {
    expect(recurrenceOf('x', rec(xml), 'Europe/Berlin', false, start)).toEqual(expected);
  });

  test('an EndDate includes the occurrence on that local day', () => {
    const r = recurrenceOf('x', rec('<t:WeeklyRecurrence><t:Interval>1</t:Interval><t:DaysOfWeek>Tuesday</t:DaysOfWeek></t:WeeklyRecurrence><t:EndDateRecurrence><t:StartDate>2024-01-09</t:StartDate><t:EndDate>2024-01-23+01:00</t:EndDate></t:EndDateRecurrence>'), 'Europe/Berlin', false, start);
    const ics = eventToICalendar({ uid: 'u', start: { utc: start, tzid: 'Europe/Berlin' }, recurrence: r });
    const cal = new ICAL.Component(ICAL.parse(ics));
    ICAL.TimezoneService.register(cal.getFirstSubcomponent('vtimezone') as ICAL.Component);
    expect(expand(ics)).toEqual(['2024-01-09T09:00:00.000Z', '2024-01-16T09:00:00.000Z', '2024-01-23T09:00:00.000Z']);
    ICAL.TimezoneService.reset();
  });

  test('unknown patterns and bad dates are item errors naming the field', () => {
    expect(() => recurrenceOf('x', rec('<t:HourlyRecurrence/><t:NoEndRecurrence/>'), undefined, false, start)).toThrow(/unsupported recurrence pattern HourlyRecurrence/);
    const bad = parseXml(`<t:CalendarItem ${T}><t:ItemId Id="AAMk1"/><t:Start>yesterday</t:Start></t:CalendarItem>`);
    expect(() => eventFromEws('AAMk1', bad)).toThrow(/invalid Start "yesterday"/);
  });
});
