/**
 * Calendar items with their zone as real Exchange sends it (display name only, old GMT names,
 * "Customized Time Zone" definitions, Exchange 2007 MeetingTimeZone, none), EX organizers and
 * occurrences: EWS XML → model → iCalendar, checked on the dates and weekdays that come out.
 */
import ICAL from 'ical.js';
import { eventToICalendar } from '../../mappings/groupware/icalendar.js';
import { eventFromEws, type ItemContext } from './groupware.js';
import { durationMinutes, itemZone } from './time-zone.js';
import { parseXml } from './xml.js';

const T = 'xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"';
const calendarItem = (inner: string): Element => parseXml(`<t:CalendarItem ${T}><t:ItemId Id="AAMkAD-test-item" ChangeKey="DwAAAB"/>${inner}</t:CalendarItem>`);

/** The definition Exchange sends for an invitation from outside: EU rules under "Customized Time Zone". */
const CUSTOM_EU = '<t:StartTimeZone Id="Customized Time Zone" Name="Customized Time Zone"><t:Periods>'
  + '<t:Period Bias="-PT1H" Name="Standard" Id="trule:Microsoft/Registry/Customized Time Zone/1-Standard"/>'
  + '<t:Period Bias="-PT2H" Name="Daylight" Id="trule:Microsoft/Registry/Customized Time Zone/1-Daylight"/></t:Periods>'
  + '<t:TransitionsGroups><t:TransitionsGroup Id="0">'
  + '<t:RecurringDayTransition><t:To Kind="Period">trule:Microsoft/Registry/Customized Time Zone/1-Daylight</t:To><t:TimeOffset>PT2H</t:TimeOffset><t:Month>3</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek><t:Occurrence>-1</t:Occurrence></t:RecurringDayTransition>'
  + '<t:RecurringDayTransition><t:To Kind="Period">trule:Microsoft/Registry/Customized Time Zone/1-Standard</t:To><t:TimeOffset>PT3H</t:TimeOffset><t:Month>10</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek><t:Occurrence>-1</t:Occurrence></t:RecurringDayTransition>'
  + '</t:TransitionsGroup></t:TransitionsGroups><t:Transitions><t:Transition><t:To Kind="Group">0</t:To></t:Transition></t:Transitions></t:StartTimeZone>';

function vevents(ics: string): ICAL.Component[] {
  return new ICAL.Component(ICAL.parse(ics)).getAllSubcomponents('vevent');
}

function occurrences(ics: string, max = 10): ICAL.Time[] {
  const cal = new ICAL.Component(ICAL.parse(ics));
  for (const tz of cal.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(new ICAL.Timezone(tz));
  const it = new ICAL.Event(cal.getFirstSubcomponent('vevent') ?? undefined).iterator();
  const out: ICAL.Time[] = [];
  for (let n = it.next(); n && out.length < max; n = it.next()) out.push(n);
  return out;
}

describe('EWS time zones as Exchange sends them', () => {
  test('an all-day event whose zone is only the display name "(UTC+01:00) Amsterdam, …" keeps its date', () => {
    const el = calendarItem('<t:Subject>Holiday</t:Subject><t:Start>2024-05-09T22:00:00Z</t:Start><t:End>2024-05-10T22:00:00Z</t:End>'
      + '<t:IsAllDayEvent>true</t:IsAllDayEvent><t:CalendarItemType>Single</t:CalendarItemType>'
      + '<t:TimeZone>(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna</t:TimeZone>');
    const ev = eventFromEws('AAMkAD-test-item', el);
    expect(ev.start.date).toBe('2024-05-10');
    expect(ev.end?.date).toBe('2024-05-11');
    const dtstart = vevents(eventToICalendar(ev))[0]?.getFirstPropertyValue('dtstart') as ICAL.Time;
    expect(dtstart.toString()).toBe('2024-05-10');
  });

  test('a weekly series in the old "(GMT-08:00) Pacific Time (US & Canada); Tijuana" keeps its weekday', () => {
    // Monday 2024-01-08 18:00 in Los Angeles is Tuesday 02:00 UTC: in UTC the series would start outside its own RRULE.
    const el = calendarItem('<t:Subject>Standup</t:Subject><t:Start>2024-01-09T02:00:00Z</t:Start><t:End>2024-01-09T02:30:00Z</t:End>'
      + '<t:IsAllDayEvent>false</t:IsAllDayEvent><t:CalendarItemType>RecurringMaster</t:CalendarItemType>'
      + '<t:TimeZone>(GMT-08:00) Pacific Time (US &amp; Canada); Tijuana</t:TimeZone>'
      + '<t:Recurrence><t:WeeklyRecurrence><t:Interval>1</t:Interval><t:DaysOfWeek>Monday</t:DaysOfWeek></t:WeeklyRecurrence>'
      + '<t:NumberedRecurrence><t:StartDate>2024-01-08-08:00</t:StartDate><t:NumberOfOccurrences>12</t:NumberOfOccurrences></t:NumberedRecurrence></t:Recurrence>');
    const ev = eventFromEws('AAMkAD-test-item', el);
    expect(ev.start.tzid).toBe('America/Los_Angeles');
    const ics = eventToICalendar(ev);
    const all = occurrences(ics, 20);
    expect(all).toHaveLength(12);
    // Every instance (across the March DST change) is a Monday at 18:00 local.
    for (const t of all) expect([t.dayOfWeek(), t.hour, t.minute]).toEqual([ICAL.Time.MONDAY, 18, 0]);
    expect(all[0]?.toJSDate().toISOString()).toBe('2024-01-09T02:00:00.000Z');
  });

  test('a "Customized Time Zone" given as a definition keeps the same wall-clock times', () => {
    const el = calendarItem('<t:Subject>From outside</t:Subject><t:Start>2024-07-01T07:00:00Z</t:Start><t:End>2024-07-01T08:00:00Z</t:End>'
      + '<t:IsAllDayEvent>false</t:IsAllDayEvent><t:CalendarItemType>Single</t:CalendarItemType><t:TimeZone>Customized Time Zone</t:TimeZone>' + CUSTOM_EU);
    const ev = eventFromEws('AAMkAD-test-item', el);
    expect(ev.start.customZone?.periods).toEqual([{ standardOffset: 60, daylight: {
      offset: 120, start: { month: 3, week: 5, dayOfWeek: 0, time: '02:00:00' }, end: { month: 10, week: 5, dayOfWeek: 0, time: '03:00:00' },
    } }]);
    const ics = eventToICalendar(ev);
    const start = vevents(ics)[0]?.getFirstProperty('dtstart');
    expect((start?.getFirstValue() as ICAL.Time).toString()).toBe('2024-07-01T09:00:00');
    expect(start?.getParameter('tzid')).toBeTruthy();
    expect(occurrences(ics)[0]?.toJSDate().toISOString()).toBe('2024-07-01T07:00:00.000Z');
  });

  test('an Exchange 2007 MeetingTimeZone (BaseOffset, Standard/Daylight rules) becomes the same rules', () => {
    const el = calendarItem('<t:Start>2024-01-15T17:00:00Z</t:Start><t:MeetingTimeZone TimeZoneName="Somewhere odd"><t:BaseOffset>PT5H</t:BaseOffset>'
      + '<t:Standard TimeZoneName="Standard"><t:Offset>PT0M</t:Offset><t:RelativeYearlyRecurrence><t:DaysOfWeek>Sunday</t:DaysOfWeek><t:DayOfWeekIndex>First</t:DayOfWeekIndex><t:Month>November</t:Month></t:RelativeYearlyRecurrence><t:Time>02:00:00</t:Time></t:Standard>'
      + '<t:Daylight TimeZoneName="Daylight"><t:Offset>-PT1H</t:Offset><t:RelativeYearlyRecurrence><t:DaysOfWeek>Sunday</t:DaysOfWeek><t:DayOfWeekIndex>Second</t:DayOfWeekIndex><t:Month>March</t:Month></t:RelativeYearlyRecurrence><t:Time>02:00:00</t:Time></t:Daylight></t:MeetingTimeZone>');
    expect(itemZone(el)).toEqual({ kind: 'custom', zone: { name: 'Somewhere odd', periods: [{ standardOffset: -300, daylight: {
      offset: -240, start: { month: 3, week: 2, dayOfWeek: 0, time: '02:00:00' }, end: { month: 11, week: 1, dayOfWeek: 0, time: '02:00:00' },
    } }] } });
  });

  test('a StartTimeZone whose Id is known wins over its definition', () => {
    const el = calendarItem('<t:Start>2024-01-15T08:00:00Z</t:Start><t:StartTimeZone Id="W. Europe Standard Time" Name="(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna"><t:Periods><t:Period Bias="-PT1H" Name="Standard" Id="Std"/></t:Periods></t:StartTimeZone>');
    expect(itemZone(el)).toEqual({ kind: 'iana', tzid: 'Europe/Berlin' });
  });

  test('a named zone nobody knows fails the item naming the zone; no zone at all is UTC with a note', () => {
    const unknown = calendarItem('<t:Start>2024-01-15T08:00:00Z</t:Start><t:CalendarItemType>Single</t:CalendarItemType><t:TimeZone>(UTC+04:30) Atlantis Standard</t:TimeZone>');
    expect(() => eventFromEws('AAMkAD-test-item', unknown)).toThrow(/unknown time zone "\(UTC\+04:30\) Atlantis Standard"/);
    const none = calendarItem('<t:Start>2024-01-15T08:00:00Z</t:Start><t:CalendarItemType>Single</t:CalendarItemType>');
    const ctx: ItemContext = { notes: [] };
    const ev = eventFromEws('AAMkAD-test-item', none, new Map(), ctx);
    expect(ev.start).toEqual({ utc: new Date('2024-01-15T08:00:00Z') });
    expect(ctx.notes).toEqual(['no time zone given: times taken as UTC']);
  });

  test('a definition that cannot be read is the item\'s error, naming the zone and the part', () => {
    const el = calendarItem('<t:Start>2024-01-15T08:00:00Z</t:Start><t:CalendarItemType>Single</t:CalendarItemType><t:StartTimeZone Id="Customized Time Zone"><t:Periods><t:Period Bias="one hour" Id="Std"/></t:Periods></t:StartTimeZone>');
    expect(() => eventFromEws('AAMkAD-test-item', el)).toThrow(/unknown time zone "Customized Time Zone": its definition cannot be read: Period Std with unreadable Bias "one hour"/);
  });

  test('xs:duration biases as Exchange writes them', () => {
    expect([durationMinutes('-PT1H'), durationMinutes('PT8H'), durationMinutes('-P0DT1H0M0.0S'), durationMinutes('PT5H30M'), durationMinutes('P'), durationMinutes('x')])
      .toEqual([-60, 480, -60, 330, undefined, undefined]);
  });
});

describe('EWS people and occurrences', () => {
  const DN = '/O=ORG/OU=EXCHANGE ADMINISTRATIVE GROUP (FYDIBOHF23SPDLT)/CN=RECIPIENTS/CN=boss';
  const meeting = (extra = '') => calendarItem('<t:Start>2024-01-15T08:00:00Z</t:Start><t:TimeZone>UTC</t:TimeZone><t:CalendarItemType>Single</t:CalendarItemType>'
    + `<t:Organizer><t:Mailbox><t:Name>The Boss</t:Name><t:EmailAddress>${DN}</t:EmailAddress><t:RoutingType>EX</t:RoutingType><t:MailboxType>Mailbox</t:MailboxType></t:Mailbox></t:Organizer>`
    + '<t:RequiredAttendees><t:Attendee><t:Mailbox><t:Name>Gone Person</t:Name><t:EmailAddress>/O=ORG/OU=EXCHANGE ADMINISTRATIVE GROUP (FYDIBOHF23SPDLT)/CN=RECIPIENTS/CN=gone</t:EmailAddress><t:RoutingType>EX</t:RoutingType></t:Mailbox><t:ResponseType>Accept</t:ResponseType></t:Attendee>'
    + `<t:Attendee><t:Mailbox><t:Name>Ann</t:Name><t:EmailAddress>ann@corp.example</t:EmailAddress><t:RoutingType>SMTP</t:RoutingType></t:Mailbox></t:Attendee></t:RequiredAttendees>${extra}`);

  test('an EX organizer becomes its SMTP address; an unresolvable attendee keeps its name, is noted, and no X.500 DN is written', () => {
    const ctx: ItemContext = { notes: [], resolveEx: (dn) => (dn.toLowerCase() === DN.toLowerCase() ? 'boss@corp.example' : undefined) };
    const ev = eventFromEws('AAMkAD-test-item', meeting(), new Map(), ctx);
    expect(ev.organizer).toEqual({ email: 'boss@corp.example', name: 'The Boss' });
    expect(ev.attendees).toEqual([{ name: 'Gone Person', role: 'required', status: 'accepted' }, { email: 'ann@corp.example', name: 'Ann', role: 'required', status: 'needs-action' }]);
    expect(ctx.notes).toEqual([expect.stringMatching(/^attendee "Gone Person": Exchange address "\/O=ORG.*CN=gone" not resolvable to SMTP, kept by name only$/)]);
    const ics = eventToICalendar(ev);
    expect(ics).toContain('mailto:boss@corp.example');
    expect(ics).not.toMatch(/mailto:\//i);
  });

  test('an Occurrence or Exception listed on its own is refused with the reason (it travels with its master)', () => {
    for (const type of ['Occurrence', 'Exception']) {
      const el = calendarItem(`<t:UID>series-1</t:UID><t:Start>2024-01-15T08:00:00Z</t:Start><t:TimeZone>UTC</t:TimeZone><t:CalendarItemType>${type}</t:CalendarItemType>`);
      expect(() => eventFromEws('AAMkAD-test-item', el)).toThrow(/occurrence of a series \(UID series-1\): migrated with its series' master, not alone/);
    }
  });
});
