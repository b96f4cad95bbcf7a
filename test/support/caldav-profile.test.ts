import { profileErrors, validateCalDavObject, validateCardDavObject, validateDavObject } from './caldav-profile.js';
import { eventIcs, todoIcs, vcard } from './groupware-data.js';

const crlf = (lines: string[]) => lines.join('\r\n') + '\r\n';
const cal = (body: string[], head: string[] = ['VERSION:2.0', 'PRODID:-//t//EN']) => crlf(['BEGIN:VCALENDAR', ...head, ...body, 'END:VCALENDAR']);
const BERLIN = ['BEGIN:VTIMEZONE', 'TZID:Europe/Berlin', 'BEGIN:STANDARD', 'DTSTART:19701025T030000', 'TZOFFSETFROM:+0200', 'TZOFFSETTO:+0100',
  'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU', 'END:STANDARD', 'END:VTIMEZONE'];
const ev = (uid: string, ...props: string[]) => ['BEGIN:VEVENT', `UID:${uid}`, 'DTSTAMP:20260101T000000Z', ...props, 'END:VEVENT'];
const rules = (text: string) => validateDavObject(text).filter((v) => v.level === 'error').map((v) => v.rule);

describe('CalDAV profile (sabre/vobject PROFILE_CALDAV + zone and value-type rules)', () => {
  test('objects of the project test data generator pass', () => {
    expect(profileErrors(eventIcs('e-1', 'Planning'))).toEqual([]);
    expect(profileErrors(todoIcs('t-1', 'Report'))).toEqual([]);
    expect(profileErrors(vcard('c-1', 'Ada Lovelace'))).toEqual([]);
  });

  test('a zoned weekly series with a moved and a cancelled occurrence passes', () => {
    const text = cal([...BERLIN,
      ...ev('s-1', 'DTSTART;TZID=Europe/Berlin:20270302T090000', 'DTEND;TZID=Europe/Berlin:20270302T100000', 'RRULE:FREQ=WEEKLY;COUNT=5', 'EXDATE;TZID=Europe/Berlin:20270316T090000'),
      ...ev('s-1', 'RECURRENCE-ID;TZID=Europe/Berlin:20270309T090000', 'DTSTART;TZID=Europe/Berlin:20270310T120000', 'DTEND;TZID=Europe/Berlin:20270310T130000')]);
    expect(validateCalDavObject(text)).toEqual([]);
  });

  test('an all-day series with a DATE override and a folded line passes', () => {
    const text = cal([...ev('a-1', 'DTSTART;VALUE=DATE:20270301', 'DTEND;VALUE=DATE:20270302', 'RRULE:FREQ=WEEKLY;COUNT=3', 'SUMMARY:Lon', ' g summary'),
      ...ev('a-1', 'RECURRENCE-ID;VALUE=DATE:20270308', 'DTSTART;VALUE=DATE:20270309', 'DTEND;VALUE=DATE:20270310')]);
    expect(profileErrors(text)).toEqual([]);
  });

  test('a multi-UID export with METHOD:PUBLISH is refused for both reasons', () => {
    const text = cal([...ev('x-1', 'DTSTART:20270301T090000Z'), ...ev('x-2', 'DTSTART:20270302T090000Z')], ['METHOD:PUBLISH', 'VERSION:2.0', 'PRODID:-//t//EN']);
    expect(rules(text).sort()).toEqual(['METHOD', 'UID']);
    expect(profileErrors(text).join('\n')).toMatch(/same UID, found 2: x-1, x-2/);
  });

  test('a TZID without its VTIMEZONE is named', () => {
    const text = cal(ev('z-1', 'DTSTART;TZID=UTC+01:20270301T090000', 'DTEND;TZID=UTC+01:20270301T100000'));
    expect(profileErrors(text)).toEqual(['TZID: TZID "UTC+01" is used but the object has no VTIMEZONE for it']);
  });

  test('a DATE-TIME RECURRENCE-ID or EXDATE on an all-day series is refused', () => {
    const text = cal([...ev('d-1', 'DTSTART;VALUE=DATE:20270301', 'RRULE:FREQ=DAILY;COUNT=5', 'EXDATE:20270303T000000Z'),
      ...ev('d-1', 'RECURRENCE-ID:20270302T000000Z', 'DTSTART;VALUE=DATE:20270305')]);
    expect(rules(text).sort()).toEqual(['EXDATE', 'RECURRENCE-ID']);
  });

  test('missing DTSTART, DTEND before DTSTART, DTEND with DURATION, mixed value types', () => {
    expect(rules(cal(ev('n-1', 'SUMMARY:x')))).toEqual(['DTSTART']);
    expect(rules(cal(ev('n-2', 'DTSTART:20270301T100000Z', 'DTEND:20270301T090000Z')))).toEqual(['DTEND']);
    expect(rules(cal(ev('n-3', 'DTSTART:20270301T100000Z', 'DTEND:20270301T110000Z', 'DURATION:PT1H')))).toEqual(['DTEND']);
    expect(rules(cal(ev('n-4', 'DTSTART;VALUE=DATE:20270301', 'DTEND:20270302T000000Z')))).toEqual(['DTEND']);
    // Equal start and end is allowed (RFC 5545: an instant).
    expect(rules(cal(ev('n-5', 'DTSTART:20270301T100000Z', 'DTEND:20270301T100000Z')))).toEqual([]);
  });

  test('VERSION, PRODID, two masters, two component types, a second VCALENDAR', () => {
    expect(rules(cal(ev('v-1', 'DTSTART:20270301T100000Z'), ['VERSION:1.0']))).toEqual(['VERSION', 'PRODID']);
    expect(rules(cal([...ev('v-2', 'DTSTART:20270301T100000Z'), ...ev('v-2', 'DTSTART:20270302T100000Z')]))).toEqual(['UID']);
    expect(rules(cal([...ev('v-3', 'DTSTART:20270301T100000Z'), 'BEGIN:VTODO', 'UID:v-3', 'DTSTAMP:20260101T000000Z', 'END:VTODO']))).toEqual(['COMPONENT', 'UID']);
    expect(rules(`${eventIcs('v-4', 'a')}\r\n${eventIcs('v-5', 'b')}`)).toEqual(['VCALENDAR']);
  });

  test('a missing DTSTAMP is only a warning (sabre repairs it)', () => {
    const v = validateCalDavObject(cal(['BEGIN:VEVENT', 'UID:w-1', 'DTSTART:20270301T100000Z', 'END:VEVENT']));
    expect(v.map((x) => [x.level, x.rule])).toEqual([['warning', 'DTSTAMP']]);
  });
});

describe('CardDAV profile', () => {
  test('a vCard 4.0 with UID and FN passes', () => {
    expect(validateCardDavObject(crlf(['BEGIN:VCARD', 'VERSION:4.0', 'UID:urn:uuid:1', 'FN:Ann Lee', 'TEL;TYPE=home,voice:+49 30 1', 'END:VCARD']))).toEqual([]);
  });

  test('an Outlook vCard 2.1 (no UID, bare parameters, QUOTED-PRINTABLE, base64 photo) fails on each', () => {
    const text = crlf(['BEGIN:VCARD', 'VERSION:2.1', 'N:Müller;Jörg', 'FN;CHARSET=utf-8;ENCODING=QUOTED-PRINTABLE:J=C3=B6rg M=C3=BCller',
      'TEL;HOME;VOICE:+49 30 1', 'PHOTO;ENCODING=BASE64;TYPE=JPEG:', ' AAEC', 'END:VCARD']);
    expect(rules(text).sort()).toEqual(['ENCODING', 'PARAM', 'UID', 'VERSION']);
  });

  test('two cards in one object, FN missing', () => {
    expect(rules(`${vcard('c-1', 'A B')}\r\n${vcard('c-2', 'C D')}`)).toEqual(['VCARD']);
    expect(rules(crlf(['BEGIN:VCARD', 'VERSION:3.0', 'UID:c-3', 'N:D;C', 'END:VCARD']))).toEqual(['FN']);
  });

  test('text that is neither is refused, unbalanced components are syntax errors', () => {
    expect(rules('hello')).toEqual(['FORMAT']);
    expect(rules(crlf(['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:x', ...ev('u', 'DTSTART:20270301T100000Z')]))).toContain('SYNTAX');
  });
});
