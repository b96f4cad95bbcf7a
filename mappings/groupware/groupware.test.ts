import ICAL from 'ical.js';
import type { CalendarEvent, Contact } from '../../src/model/groupware.js';
import { ConversionError } from './errors.js';
import { eventToICalendar, taskToICalendar } from './icalendar.js';
import { windowsToIana } from './time-zones.js';
import { contactToVCard, groupToVCard } from './vcard.js';

const BERLIN = 'Europe/Berlin';
/** 10:00 Berlin time on the given day, as UTC (CET +1 before 31 March 2024, CEST +2 from then). */
const berlin10 = (day: string): Date => {
  const d = new Date(`${day}T10:00:00Z`);
  const summer = d >= new Date('2024-03-31T01:00:00Z') && d < new Date('2024-10-27T01:00:00Z');
  return new Date(d.getTime() - (summer ? 2 : 1) * 3600_000);
};

/** Weekly on Mondays 10:00–11:00 Berlin, 6 times from 18 March 2024 (DST starts 31 March). */
const meeting: CalendarEvent = {
  uid: '040000008200E00074C5B7101A82E008000000009421DCCD5046CD0100000000000000001000000047BD3C58C4D6A84E8AD2E81F5B8A7B6E',
  summary: 'Weekly sync',
  description: 'Agenda:\n1. status',
  location: 'Room 1',
  start: { utc: berlin10('2024-03-18'), tzid: BERLIN },
  end: { utc: new Date(berlin10('2024-03-18').getTime() + 3600_000), tzid: BERLIN },
  organizer: { email: 'alice@example.org', name: 'Alice' },
  attendees: [
    { email: 'bob@example.org', name: 'Bob', role: 'required', status: 'accepted' },
    { email: 'carol@example.org', role: 'optional', status: 'tentative' },
  ],
  reminderMinutes: 15,
  categories: ['Team', 'Blue, dark'],
  sensitivity: 'private',
  busyStatus: 'busy',
  recurrence: { freq: 'WEEKLY', byDay: ['MO'], count: 6 },
  // 1 April (after the DST change) moved to Tuesday 2 April 14:00; 8 April cancelled.
  exceptions: [{
    recurrenceId: { utc: berlin10('2024-04-01') },
    changes: { start: { utc: new Date('2024-04-02T12:00:00Z'), tzid: BERLIN }, end: { utc: new Date('2024-04-02T13:00:00Z'), tzid: BERLIN }, summary: 'Weekly sync (moved)' },
  }],
  deletedOccurrences: [{ utc: berlin10('2024-04-08'), tzid: BERLIN }],
  created: new Date('2024-03-01T08:00:00Z'),
  lastModified: new Date('2024-03-20T08:00:00Z'),
};

function parse(text: string): ICAL.Component {
  return new ICAL.Component(ICAL.parse(text));
}

/** Expands a parsed calendar's series (ical.js's own recurrence engine) into UTC ISO starts. */
function occurrences(cal: ICAL.Component): { start: string; summary: string }[] {
  for (const tz of cal.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(tz);
  const vevents = cal.getAllSubcomponents('vevent');
  const master = new ICAL.Event(vevents.find((v) => !v.hasProperty('recurrence-id')));
  for (const v of vevents) if (v.hasProperty('recurrence-id')) master.relateException(v);
  const it = master.iterator();
  const out: { start: string; summary: string }[] = [];
  for (let next = it.next(); next && out.length < 50; next = it.next()) {
    const d = master.getOccurrenceDetails(next);
    out.push({ start: d.startDate.toJSDate().toISOString(), summary: d.item.summary });
  }
  return out;
}

describe('mappings/groupware: events → iCalendar', () => {
  afterEach(() => ICAL.TimezoneService.reset());

  test('a weekly meeting across the DST change keeps 10:00 local, with one moved and one cancelled occurrence', () => {
    const text = eventToICalendar(meeting);
    const cal = parse(text);
    expect(cal.getAllSubcomponents('vtimezone').map((t) => t.getFirstPropertyValue('tzid'))).toEqual([BERLIN]);
    expect(occurrences(cal)).toEqual([
      { start: '2024-03-18T09:00:00.000Z', summary: 'Weekly sync' },
      { start: '2024-03-25T09:00:00.000Z', summary: 'Weekly sync' },
      { start: '2024-04-02T12:00:00.000Z', summary: 'Weekly sync (moved)' },
      { start: '2024-04-15T08:00:00.000Z', summary: 'Weekly sync' },
      { start: '2024-04-22T08:00:00.000Z', summary: 'Weekly sync' },
    ]);
    const [master, moved] = cal.getAllSubcomponents('vevent');
    expect(master?.getFirstProperty('dtstart')?.getParameter('tzid')).toBe(BERLIN);
    expect(master?.getFirstPropertyValue('dtstart')?.toString()).toBe('2024-03-18T10:00:00');
    expect(master?.getFirstPropertyValue('exdate')?.toString()).toBe('2024-04-08T10:00:00');
    expect(moved?.getFirstPropertyValue('recurrence-id')?.toString()).toBe('2024-04-01T10:00:00');
    expect(moved?.getFirstPropertyValue('uid')).toBe(meeting.uid);
    expect(moved?.getFirstPropertyValue('location')).toBe('Room 1');
  });

  test('attendees, organizer, reminder, categories, class and texts survive a round trip', () => {
    const ev = parse(eventToICalendar(meeting)).getFirstSubcomponent('vevent') as ICAL.Component;
    expect(ev.getFirstPropertyValue('organizer')).toBe('mailto:alice@example.org');
    expect(ev.getFirstProperty('organizer')?.getParameter('cn')).toBe('Alice');
    const att = ev.getAllProperties('attendee');
    expect(att.map((a) => [a.getFirstValue(), a.getParameter('role'), a.getParameter('partstat')])).toEqual([
      ['mailto:bob@example.org', 'REQ-PARTICIPANT', 'ACCEPTED'],
      ['mailto:carol@example.org', 'OPT-PARTICIPANT', 'TENTATIVE'],
    ]);
    expect(ev.getFirstProperty('categories')?.getValues()).toEqual(['Team', 'Blue, dark']);
    expect(ev.getFirstPropertyValue('class')).toBe('PRIVATE');
    expect(ev.getFirstPropertyValue('description')).toBe('Agenda:\n1. status');
    const alarm = ev.getFirstSubcomponent('valarm');
    expect(alarm?.getFirstPropertyValue('trigger')?.toString()).toBe('-PT15M');
    expect(ev.getFirstPropertyValue('dtstamp')?.toString()).toBe('2024-03-20T08:00:00Z');
  });

  test('the same event converts to the same bytes every time (stable UID, no clock in the output)', () => {
    expect(eventToICalendar(meeting)).toBe(eventToICalendar({ ...meeting }));
  });

  test('all-day events use DATE values and a DATE UNTIL', () => {
    const text = eventToICalendar({
      uid: 'allday-1', summary: 'Holiday', allDay: true,
      start: { utc: new Date('2024-12-24T00:00:00Z'), date: '2024-12-24' }, end: { utc: new Date('2024-12-25T00:00:00Z'), date: '2024-12-25' },
      recurrence: { freq: 'YEARLY', until: { utc: new Date('2026-12-24T00:00:00Z'), date: '2026-12-24' } },
    });
    const cal = parse(text);
    const ev = cal.getFirstSubcomponent('vevent') as ICAL.Component;
    expect(ev.getFirstProperty('dtstart')?.type).toBe('date');
    expect(ev.getFirstPropertyValue('dtend')?.toString()).toBe('2024-12-25');
    expect(cal.getAllSubcomponents('vtimezone')).toHaveLength(0);
    expect(occurrences(cal).map((o) => o.start.slice(0, 10))).toEqual(['2024-12-24', '2025-12-24', '2026-12-24']);
  });

  test('a zone without DST gets one STANDARD observance; a southern-hemisphere zone gets the right offsets', () => {
    const tokyo = parse(eventToICalendar({ uid: 't', start: { utc: new Date('2024-06-01T01:00:00Z'), tzid: 'Asia/Tokyo' } }));
    expect(tokyo.getFirstSubcomponent('vtimezone')?.getAllSubcomponents().map((c) => c.name)).toEqual(['standard']);
    const sydney = parse(eventToICalendar({ uid: 's', start: { utc: new Date('2024-01-10T23:00:00Z'), tzid: 'Australia/Sydney' }, recurrence: { freq: 'MONTHLY', count: 7 } }));
    // 10:00 local every 11th: +11 in summer (Jan–Mar), +10 from April to September.
    expect(occurrences(sydney).map((o) => o.start.slice(5, 16))).toEqual([
      '01-10T23:00', '02-10T23:00', '03-10T23:00', '04-11T00:00', '05-11T00:00', '06-11T00:00', '07-11T00:00',
    ]);
  });

  test('invalid input is refused with the item and the reason', () => {
    expect(() => eventToICalendar({ ...meeting, start: { utc: new Date('nope') } })).toThrow(ConversionError);
    expect(() => eventToICalendar({ ...meeting, start: { utc: new Date('nope') } })).toThrow(/start: invalid date-time/);
    expect(() => eventToICalendar({ ...meeting, end: { utc: new Date('2020-01-01T00:00:00Z') } })).toThrow(/end is before start/);
    expect(() => eventToICalendar({ ...meeting, start: { ...meeting.start, tzid: 'Mars/Olympus' } })).toThrow(/unknown time zone "Mars\/Olympus"/);
    expect(() => eventToICalendar({ ...meeting, uid: '' })).toThrow(/without a UID/);
  });
});

describe('mappings/groupware: text with Outlook line breaks', () => {
  test('CRLF and bare CR in a description, control characters in a summary: one valid property each, line breaks kept as \\n', () => {
    const text = eventToICalendar({
      uid: 'crlf-1', summary: 'Lunch\u0007 time', description: 'Changes:\r\n- Jan 6 cancel\r- Jan 13 moved\nEnd', categories: ['A\rB'],
      start: { utc: new Date('2023-01-06T11:00:00Z') }, end: { utc: new Date('2023-01-06T12:00:00Z') },
    });
    expect(text.replace(/\r\n/g, '')).not.toMatch(/\r/);
    const ev = new ICAL.Component(ICAL.parse(text)).getFirstSubcomponent('vevent');
    expect(ev?.getFirstPropertyValue('description')).toBe('Changes:\n- Jan 6 cancel\n- Jan 13 moved\nEnd');
    expect(ev?.getFirstPropertyValue('summary')).toBe('Lunch time');
  });
});

describe('mappings/groupware: tasks → VTODO', () => {
  test('status, percent, due, completed, priority and reminder', () => {
    const text = taskToICalendar({
      uid: 'task-1', summary: 'Report', description: 'Q3', status: 'completed', percentComplete: 100, priority: 'high',
      start: { utc: new Date('2024-05-01T00:00:00Z'), date: '2024-05-01' }, due: { utc: new Date('2024-05-10T15:00:00Z'), tzid: BERLIN },
      completed: new Date('2024-05-09T12:00:00Z'), reminderMinutes: 60, categories: ['Work'],
    });
    const todo = parse(text).getFirstSubcomponent('vtodo') as ICAL.Component;
    expect(todo.getFirstPropertyValue('status')).toBe('COMPLETED');
    expect(todo.getFirstPropertyValue('percent-complete')).toBe(100);
    expect(todo.getFirstPropertyValue('priority')).toBe(1);
    expect(todo.getFirstPropertyValue('due')?.toString()).toBe('2024-05-10T17:00:00');
    expect(todo.getFirstProperty('due')?.getParameter('tzid')).toBe(BERLIN);
    expect(todo.getFirstPropertyValue('completed')?.toString()).toBe('2024-05-09T12:00:00Z');
    expect(todo.getFirstSubcomponent('valarm')?.getFirstProperty('trigger')?.getParameter('related')).toBe('END');
  });

  test('an invalid due date is refused', () => {
    expect(() => taskToICalendar({ uid: 'x', due: { utc: new Date(0), date: '2024-02-30' } })).toThrow(/due: invalid date "2024-02-30"/);
  });
});

const contact: Contact = {
  uid: 'contact-1', displayName: 'Dr. Jörg Müller', givenName: 'Jörg', familyName: 'Müller', prefix: 'Dr.', nickname: 'Jö',
  emails: [{ address: 'joerg@example.de', kind: 'work', preferred: true }, { address: 'j@home.example', kind: 'home' }],
  phones: [{ number: '+49 30 1234', kind: 'work' }, { number: '+49 170 999', kind: 'cell' }, { number: '+49 30 1235', kind: 'fax' }],
  addresses: [{ kind: 'work', street: 'Hauptstraße 1; Hof', city: 'Köln', postalCode: '50667', country: 'Germany' }],
  company: 'ACME, Inc.', department: 'R&D', title: 'Chief Tinkerer', birthday: '1980-02-29', notes: 'Line 1\nLine 2',
  urls: ['https://example.de/a,b'], categories: ['VIP'], photo: { mimeType: 'image/jpeg', data: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]) },
  lastModified: new Date('2024-01-02T03:04:05Z'),
};

function card(text: string): ICAL.Component {
  return new ICAL.Component(ICAL.parse(text));
}

describe('mappings/groupware: contacts → vCard', () => {
  test.each(['3.0', '4.0'] as const)('vCard %s: every field parses back', (version) => {
    const c = card(contactToVCard(contact, version));
    expect(c.getFirstPropertyValue('version')).toBe(version);
    expect(c.getFirstPropertyValue('fn')).toBe('Dr. Jörg Müller');
    expect(c.getFirstPropertyValue('n')).toEqual(['Müller', 'Jörg', '', 'Dr.', '']);
    expect(c.getAllProperties('email').map((p) => p.getFirstValue())).toEqual(['joerg@example.de', 'j@home.example']);
    expect(c.getAllProperties('tel').map((p) => p.getFirstValue())).toEqual(['+49 30 1234', '+49 170 999', '+49 30 1235']);
    expect(c.getFirstPropertyValue('adr')).toEqual(['', '', 'Hauptstraße 1; Hof', 'Köln', '', '50667', 'Germany']);
    expect(c.getFirstPropertyValue('org')).toEqual(['ACME, Inc.', 'R&D']);
    expect(c.getFirstPropertyValue('title')).toBe('Chief Tinkerer');
    expect(String(c.getFirstPropertyValue('bday'))).toMatch(/^1980-02-29/);
    expect(c.getFirstPropertyValue('note')).toBe('Line 1\nLine 2');
    expect(c.getFirstPropertyValue('uid')).toBe('contact-1');
    expect(c.getFirstPropertyValue('url')).toBe('https://example.de/a,b');
    const photo = String(c.getFirstPropertyValue('photo'));
    expect(photo.endsWith(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]).toString('base64'))).toBe(true);
    if (version === '4.0') expect(photo.startsWith('data:image/jpeg;base64,')).toBe(true);
    else expect(c.getFirstProperty('photo')?.getParameter('type')).toBe('JPEG');
  });

  test('3.0 marks types and preference; output is stable and has no generated REV', () => {
    const text = contactToVCard(contact);
    expect(text).toContain('EMAIL;TYPE=INTERNET,WORK,PREF:joerg@example.de');
    expect(text).toContain('TEL;TYPE=CELL:+49 170 999');
    expect(text).toContain('REV:2024-01-02T03:04:05');
    const noRev = contactToVCard({ ...contact, lastModified: undefined });
    expect(noRev).not.toMatch(/^REV:/m);
    expect(contactToVCard(contact)).toBe(text);
  });

  test('FN falls back to the name parts, then the company, then the email', () => {
    expect(card(contactToVCard({ uid: 'a', givenName: 'Ann', familyName: 'Lee' })).getFirstPropertyValue('fn')).toBe('Ann Lee');
    expect(card(contactToVCard({ uid: 'b', company: 'Widgets' })).getFirstPropertyValue('fn')).toBe('Widgets');
    expect(card(contactToVCard({ uid: 'c', emails: [{ address: 'x@y.z' }] }, '4.0')).getFirstPropertyValue('fn')).toBe('x@y.z');
  });

  test('an invalid birthday or photo type is refused with the reason', () => {
    expect(() => contactToVCard({ uid: 'z', birthday: '1999-13-01' })).toThrow(/z: birthday: invalid date "1999-13-01"/);
    expect(() => contactToVCard({ uid: 'z', photo: { mimeType: 'text/plain', data: Buffer.from('x') } })).toThrow(/unsupported media type/);
  });

  test.each(['3.0', '4.0'] as const)('a distribution list becomes a group vCard (%s); members without address are reported', (version) => {
    const { text, skipped } = groupToVCard({ uid: 'dl-1', displayName: 'Team', members: [{ email: 'a@example.org', name: 'A' }, { contactUid: 'contact-1' }, { name: 'Nobody' }] }, version);
    const c = card(text);
    expect(skipped).toEqual(['Nobody']);
    if (version === '4.0') {
      expect(c.getFirstPropertyValue('kind')).toBe('group');
      expect(c.getAllProperties('member').map((p) => p.getFirstValue())).toEqual(['mailto:a@example.org', 'urn:uuid:contact-1']);
    } else {
      expect(c.getFirstPropertyValue('x-addressbookserver-kind')).toBe('group');
      expect(c.getAllProperties('x-addressbookserver-member').map((p) => p.getFirstValue())).toEqual(['mailto:a@example.org', 'urn:uuid:contact-1']);
    }
  });
});

describe('mappings/groupware: Windows time zones', () => {
  test.each([
    ['W. Europe Standard Time', 'Europe/Berlin'], ['Pacific Standard Time', 'America/Los_Angeles'], ['GMT Standard Time', 'Europe/London'],
    ['Russian Standard Time', 'Europe/Moscow'], ['India Standard Time', 'Asia/Calcutta'], ['UTC', 'Etc/GMT'], ['Europe/Paris', 'Europe/Paris'],
    ['(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna', 'Europe/Berlin'], ['(GMT-08:00) Pacific Time (US & Canada)', 'America/Los_Angeles'],
  ])('%s → %s', (win, iana) => expect(windowsToIana(win)).toBe(iana));

  test('unknown names are undefined', () => expect(windowsToIana('Atlantis Standard Time')).toBeUndefined());
});
