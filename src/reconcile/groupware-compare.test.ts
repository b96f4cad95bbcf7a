import { compareCollection, compareInstances, type SideObject } from './groupware-compare.js';
import { expandSeries, windowAround } from './groupware-expand.js';
import { readCalendarObjects } from './groupware-ical.js';

const crlf = (lines: string[]) => `${lines.join('\r\n')}\r\n`;
const window = windowAround(new Date('2026-06-01T00:00:00Z'), 2, 5);
const opts = { window };
const obj = (origin: string, text: string): SideObject => ({ origin, text });

/** Berlin's rules under a name no table knows: only the VTIMEZONE says what it means. */
const CUSTOM_ZONE = [
  'BEGIN:VTIMEZONE', 'TZID:Customized Time Zone',
  'BEGIN:STANDARD', 'DTSTART:16010101T030000', 'TZOFFSETFROM:+0200', 'TZOFFSETTO:+0100', 'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU', 'END:STANDARD',
  'BEGIN:DAYLIGHT', 'DTSTART:16010101T020000', 'TZOFFSETFROM:+0100', 'TZOFFSETTO:+0200', 'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU', 'END:DAYLIGHT',
  'END:VTIMEZONE',
];

/** A weekly Monday 10:00 meeting (20 weeks), 19 Jan cancelled, 26 Jan moved to Tuesday 14:00. */
function weekly(opts: { tzid: string; zone?: string[]; exdate?: boolean; override?: boolean; start?: string } = { tzid: 'Customized Time Zone', zone: CUSTOM_ZONE }): string {
  const tz = opts.tzid;
  return crlf([
    'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Exchange//EN', 'METHOD:PUBLISH', ...(opts.zone ?? []),
    'BEGIN:VEVENT', 'UID:weekly-1@example.org', 'DTSTAMP:20260101T000000Z', 'SUMMARY:Team sync',
    `DTSTART;TZID=${tz}:${opts.start ?? '20260105T100000'}`, `DTEND;TZID=${tz}:${opts.start ? opts.start.replace('T10', 'T11') : '20260105T110000'}`,
    'RRULE:FREQ=WEEKLY;COUNT=20;BYDAY=MO', ...(opts.exdate === false ? [] : [`EXDATE;TZID=${tz}:20260119T100000`]),
    'ORGANIZER;CN=Boss:mailto:Boss@Example.org', 'ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.org', 'STATUS:CONFIRMED', 'END:VEVENT',
    ...(opts.override === false ? [] : [
      'BEGIN:VEVENT', 'UID:weekly-1@example.org', 'DTSTAMP:20260101T000000Z', `RECURRENCE-ID;TZID=${tz}:20260126T100000`,
      'SUMMARY:Team sync (moved)', `DTSTART;TZID=${tz}:20260127T140000`, `DTEND;TZID=${tz}:20260127T150000`, 'END:VEVENT']),
    'END:VCALENDAR',
  ]);
}

/** The same meeting as another server writes it: IANA zone without VTIMEZONE, other order, folded, DURATION, lower-case parameters. */
const weeklyRewritten = crlf([
  'BEGIN:VCALENDAR', 'PRODID:-//Sabre//Sabre VObject 4.5//EN', 'VERSION:2.0',
  'BEGIN:VEVENT', 'UID:weekly-1@example.org', 'RECURRENCE-ID;tzid=Europe/Berlin:20260126T100000', 'DTSTART;TZID="Europe/Berlin":20260127T140000',
  'DURATION:PT1H', 'SUMMARY:Team sync', '  (moved)', 'DTSTAMP:20260301T120000Z', 'END:VEVENT',
  'BEGIN:VEVENT', 'DTSTAMP:20260301T120000Z', 'LAST-MODIFIED:20260301T120000Z', 'SEQUENCE:3', 'STATUS:CONFIRMED',
  'ATTENDEE;CN=Alice;PARTSTAT=ACCEPTED:MAILTO:alice@example.org', 'ORGANIZER:mailto:boss@example.org',
  'EXDATE:20260119T090000Z', 'RRULE:BYDAY=MO;COUNT=20;FREQ=WEEKLY', 'DTEND;TZID=Europe/Berlin:20260105T110000',
  'DTSTART;TZID=Europe/Berlin:20260105T100000', 'SUMMARY:Team sync', 'UID:weekly-1@example.org', 'END:VEVENT',
  'END:VCALENDAR',
]);

/** A yearly all-day event (a birthday), from 2020. */
function allDay(start: string): string {
  const next = String(Number(start) + 1);
  return crlf([
    'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', 'BEGIN:VEVENT', 'UID:bday-1@example.org', 'DTSTAMP:20200101T000000Z',
    'SUMMARY:Birthday', `DTSTART;VALUE=DATE:${start}`, `DTEND;VALUE=DATE:${next}`, 'RRULE:FREQ=YEARLY', 'END:VEVENT', 'END:VCALENDAR',
  ]);
}

describe('reconcile/groupware: calendars to the occurrence', () => {
  test('a weekly series expands to its occurrences in UTC, with the cancelled one left out and the moved one at its new time', () => {
    const [series] = readCalendarObjects(weekly());
    const e = expandSeries(series!, window);
    expect(e.instances).toHaveLength(19);
    expect(e.instances.slice(0, 3).map((i) => [i.start, i.end])).toEqual([
      ['2026-01-05T09:00:00Z', '2026-01-05T10:00:00Z'], ['2026-01-12T09:00:00Z', '2026-01-12T10:00:00Z'], ['2026-01-27T13:00:00Z', '2026-01-27T14:00:00Z'],
    ]);
    // After the change to summer time the meeting stays at 10:00 local.
    expect(e.instances.find((i) => i.start.startsWith('2026-04-06'))?.start).toBe('2026-04-06T08:00:00Z');
  });

  test('the same content written differently (zone by VTIMEZONE vs IANA name, folding, order, parameter case, DURATION) has no differences', () => {
    const r = compareCollection('calendar:Calendar', 'calendar', [obj('Calendar/1', weekly())], [obj('weekly.ics', weeklyRewritten)], opts);
    expect(r.diffs).toEqual([]);
    expect(r.matched).toBe(1);
    expect(r.instancesCompared).toBe(38);
  });

  test('a Windows zone name resolves like its IANA zone', () => {
    const windows = weekly({ tzid: 'W. Europe Standard Time' });
    const iana = weekly({ tzid: 'Europe/Berlin' });
    expect(compareCollection('calendar:C', 'calendar', [obj('a', windows)], [obj('b', iana)], opts).diffs).toEqual([]);
  });

  test('an all-day series shifted by one day is named: DTSTART, DTEND and every occurrence in the window', () => {
    const r = compareCollection('calendar:C', 'calendar', [obj('C/7', allDay('20200305'))], [obj('bday.ics', allDay('20200304'))], opts);
    expect(r.diffs).toHaveLength(1);
    const d = r.diffs[0]!;
    expect(d).toMatchObject({ kind: 'changed', uid: 'bday-1@example.org', sources: ['C/7'], targets: ['bday.ics'] });
    expect(d.fields?.map((f) => [f.field, f.source, f.target])).toEqual([['DTEND', '2020-03-06', '2020-03-05'], ['DTSTART', '2020-03-05', '2020-03-04']]);
    // Window 2024-06-01 … 2031-06-01: 2025 … 2031 on each side.
    expect(d.instances?.filter((i) => i.kind === 'missing').map((i) => i.start)).toEqual(['2025-03-05', '2026-03-05', '2027-03-05', '2028-03-05', '2029-03-05', '2030-03-05', '2031-03-05']);
    expect(d.instances?.filter((i) => i.kind === 'extra').map((i) => i.start)).toContain('2027-03-04');
    expect(d.instances?.every((i) => i.allDay)).toBe(true);
  });

  test('a lost override is named: the RECURRENCE-ID set and the occurrence back at its old time', () => {
    const r = compareCollection('calendar:C', 'calendar', [obj('s', weekly())], [obj('t', weekly({ tzid: 'Customized Time Zone', zone: CUSTOM_ZONE, override: false }))], opts);
    const d = r.diffs[0]!;
    expect(d.fields?.map((f) => [f.field, f.source, f.target])).toEqual([['RECURRENCE-ID', '2026-01-26T09:00:00Z', undefined]]);
    expect(d.instances).toEqual([
      { kind: 'extra', start: '2026-01-26T09:00:00Z', allDay: false, summary: 'Team sync' },
      { kind: 'missing', start: '2026-01-27T13:00:00Z', allDay: false, summary: 'Team sync (moved)' },
    ]);
  });

  test('a dropped EXDATE is named: the EXDATE field and the cancelled occurrence now extra in the UMS', () => {
    const r = compareCollection('calendar:C', 'calendar', [obj('s', weekly())], [obj('t', weekly({ tzid: 'Customized Time Zone', zone: CUSTOM_ZONE, exdate: false }))], opts);
    const d = r.diffs[0]!;
    expect(d.fields?.map((f) => f.field)).toEqual(['EXDATE']);
    expect(d.instances).toEqual([{ kind: 'extra', start: '2026-01-19T09:00:00Z', allDay: false, summary: 'Team sync' }]);
  });

  test('a changed end time of one occurrence is a changed occurrence, not missing and extra', () => {
    const i = (start: string, end: string) => ({ start, end, allDay: false, summaryHash: 'h', summary: 's', ms: Date.parse(start) });
    expect(compareInstances([i('2026-01-05T09:00:00Z', '2026-01-05T10:00:00Z')], [i('2026-01-05T09:00:00Z', '2026-01-05T11:00:00Z')])).toEqual([
      { kind: 'changed', start: '2026-01-05T09:00:00Z', allDay: false, detail: 'end 2026-01-05T10:00:00Z → 2026-01-05T11:00:00Z', summary: 's' },
    ]);
  });

  test('UIDs only in the source are missing, only in the UMS extra; an unreadable object is named with its reason', () => {
    const other = weekly().replace(/weekly-1@/g, 'other@');
    const r = compareCollection('calendar:C', 'calendar', [obj('C/1', weekly())], [obj('x.ics', other), obj('bad.ics', 'BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:no uid\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n')], opts);
    expect(r.diffs.map((d) => [d.kind, d.uid, d.sources ?? d.targets])).toEqual([
      ['unreadable', undefined, ['bad.ics']], ['missing', 'weekly-1@example.org', ['C/1']], ['extra', 'other@example.org', ['x.ics']],
    ]);
    expect(r.diffs[0]?.reason).toBe('a VEVENT without UID');
  });

  test('a series longer than the cap is cut with a note naming where comparison stopped', () => {
    const daily = crlf(['BEGIN:VCALENDAR', 'VERSION:2.0', 'BEGIN:VEVENT', 'UID:d@x', 'DTSTART:20240101T080000Z', 'DURATION:PT15M', 'RRULE:FREQ=DAILY', 'SUMMARY:Daily', 'END:VEVENT', 'END:VCALENDAR']);
    const [series] = readCalendarObjects(daily);
    expect(expandSeries(series!, window).instances).toHaveLength(7 * 365 + 1); // 2024-06-01 … 2031-05-31, one leap day (2028-02-29)
    const capped = expandSeries(series!, window, 1000);
    expect(capped.capped).toBe('expansion stopped after 1000 occurrences: occurrences from 2026-09-27T08:00:00Z on were not compared');
    expect(capped.instances[0]?.start).toBe('2024-06-01T08:00:00Z');
  });

  test('tasks are compared by their fields: a changed DUE and STATUS are named', () => {
    const todo = (due: string, status: string) => crlf(['BEGIN:VCALENDAR', 'VERSION:2.0', 'BEGIN:VTODO', 'UID:t1', `DUE;VALUE=DATE:${due}`, `STATUS:${status}`, 'SUMMARY:Report', 'END:VTODO', 'END:VCALENDAR']);
    const r = compareCollection('tasks:Tasks', 'tasks', [obj('s', todo('20260310', 'NEEDS-ACTION'))], [obj('t', todo('20260309', 'COMPLETED'))], opts);
    expect(r.diffs[0]?.fields?.map((f) => [f.field, f.source, f.target])).toEqual([['DUE', '2026-03-10', '2026-03-09'], ['STATUS', 'NEEDS-ACTION', 'COMPLETED']]);
    expect(r.diffs[0]?.instances).toBeUndefined();
  });
});

describe('reconcile/groupware: address books', () => {
  const photo = Buffer.from('not really a jpeg but bytes').toString('base64');
  const v3 = crlf(['BEGIN:VCARD', 'VERSION:3.0', 'UID:c1', 'FN:John Doe', 'N:Doe;John;;;', 'EMAIL;TYPE=INTERNET,HOME:John@Example.org',
    'TEL;TYPE=HOME,VOICE:+49 30 1234-5', 'ADR;TYPE=HOME:;;Main St 1;Berlin;;10115;Germany', 'ORG:Acme;Dev', `PHOTO;ENCODING=b;TYPE=JPEG:${photo}`, 'BDAY:1980-01-02', 'END:VCARD']);
  const v4 = crlf(['BEGIN:VCARD', 'VERSION:4.0', 'PRODID:-//Sabre//EN', 'UID:urn:uuid:c1', 'N:Doe;John;;;', 'FN:John Doe', 'EMAIL;TYPE=home:john@example.org',
    'TEL;VALUE=uri;TYPE=home:tel:+49-30-12345', 'ADR;TYPE=home:;;Main St 1;Berlin;;10115;Germany', 'ORG:Acme;Dev', `PHOTO:data:image/jpeg;base64,${photo}`, 'BDAY:19800102', 'REV:20260101T000000Z', 'END:VCARD']);

  test('the same card as vCard 3.0 and 4.0 (photo inline vs data: URI, tel: URI, UID as urn:uuid) has no differences', () => {
    const r = compareCollection('addressbook:Contacts', 'addressbook', [obj('Contacts/1', v3)], [obj('c1.vcf', v4)], opts);
    expect(r.diffs).toEqual([]);
    expect(r.matched).toBe(1);
  });

  test('a changed e-mail address and a lost photo are named', () => {
    const damaged = v4.replace('john@example.org', 'john@example.com').replace(/PHOTO:[^\r]*\r\n/, '');
    const r = compareCollection('addressbook:Contacts', 'addressbook', [obj('Contacts/1', v3)], [obj('c1.vcf', damaged)], opts);
    expect(r.diffs[0]?.fields?.map((f) => [f.field, f.target])).toEqual([['EMAIL', 'john@example.com'], ['PHOTO', undefined]]);
    expect(r.diffs[0]?.fields?.find((f) => f.field === 'PHOTO')?.source).toMatch(/^sha256:[0-9a-f]{16} \(27 B\)$/);
  });
});
