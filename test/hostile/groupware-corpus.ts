/**
 * Hostile iCalendar and vCard objects, one per source item: broken structure, UIDs that try to
 * leave their collection (`../`, `%2e`, a URL), terminal escapes and NUL in values, recurrence
 * rules that never end, objects far over every limit, several objects or kinds in one item. Each
 * must be written as one clean object or fail alone with a reason.
 */
import { TERMINAL_ATTACKS } from './payloads.js';

export interface HostileObject {
  name: string;
  kind: 'event' | 'task' | 'contact';
  text: string | Buffer;
  /**
   * A recurrence bomb: valid iCalendar that costs a server (and any expansion) without end.
   * Radicale spends a minute indexing one on PUT, so the suite checks these on the reconciliation
   * path (expansion must be cut) rather than writing them to the lab server.
   */
  bomb?: boolean;
  /** Valid (or repairable) input a migration must copy: a failure would lose an item for nothing. */
  copy?: boolean;
}

const CRLF = '\r\n';
const cal = (...lines: string[]): string => ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//hostile//EN', ...lines, 'END:VCALENDAR', ''].join(CRLF);
const ev = (uid: string | undefined, ...extra: string[]): string[] => [
  'BEGIN:VEVENT', ...(uid === undefined ? [] : [`UID:${uid}`]), 'DTSTAMP:20240101T000000Z', 'DTSTART:20240301T090000Z', 'DTEND:20240301T100000Z', ...extra, 'END:VEVENT',
];
const todo = (uid: string, ...extra: string[]): string[] => ['BEGIN:VTODO', `UID:${uid}`, 'DTSTAMP:20240101T000000Z', ...extra, 'END:VTODO'];
const card = (uid: string | undefined, ...extra: string[]): string => [
  'BEGIN:VCARD', 'VERSION:3.0', ...(uid === undefined ? [] : [`UID:${uid}`]), 'FN:Hostile Contact', 'N:Contact;Hostile;;;', ...extra, 'END:VCARD', '',
].join(CRLF);
const t = TERMINAL_ATTACKS;

export function hostileObjects(): HostileObject[] {
  const out: HostileObject[] = [];
  const e = (name: string, text: string | Buffer, bomb?: boolean): void => { out.push({ name, kind: 'event', text, ...(bomb ? { bomb } : {}) }); };
  const k = (name: string, text: string | Buffer): void => { out.push({ name, kind: 'task', text }); };
  const c = (name: string, text: string | Buffer): void => { out.push({ name, kind: 'contact', text }); };
  const must = (name: string): void => {
    const o = out.find((x) => x.name === name);
    if (!o) throw new Error(`no case ${name}`);
    o.copy = true;
  };

  e('not iCalendar at all', Buffer.from([0x00, 0xff, 0x10, 0x80, 0x42, 0x45, 0x47]));
  e('empty file', '');
  e('VCALENDAR never ended', ['BEGIN:VCALENDAR', 'VERSION:2.0', ...ev('unended@x')].join(CRLF));
  e('VEVENT without UID', cal(...ev(undefined, 'SUMMARY:no uid')));
  e('UID with ../ path traversal', cal(...ev('../../../other-user/calendar/evil', 'SUMMARY:traversal')));
  e('UID with %2e%2e%2f and URL characters', cal(...ev('%2e%2e%2f%2e%2e%2fx?y#z', 'SUMMARY:encoded traversal')));
  e('UID that is an absolute URL', cal(...ev('http://evil.example:8080/steal', 'SUMMARY:url uid')));
  e('UID with terminal escapes', cal(...ev(`esc${t.titleChange}${t.clearScreen}@x`, 'SUMMARY:escape uid')));
  e('UID of 8 KB', cal(...ev(`${'u'.repeat(8192)}@x`, 'SUMMARY:long uid')));
  e('SUMMARY with terminal escapes and bidi', cal(...ev('summary-esc@x', `SUMMARY:${t.titleChange}${t.c1Csi}${t.rtlOverride}`)));
  e('SUMMARY with NUL, BEL and DEL', cal(...ev('summary-ctl@x', `SUMMARY:${t.nul}${t.bell}${t.del}`)));
  e('DESCRIPTION smuggling a second VEVENT', cal(...ev('smuggle@x', 'DESCRIPTION:harmless', 'END:VEVENT', 'BEGIN:VEVENT', 'UID:smuggled@x', 'DTSTART:20240302T090000Z', 'DESCRIPTION:x')));
  e('two VCALENDARs in one item', cal(...ev('first@x')) + cal(...ev('second@x')));
  e('VEVENT and VTODO in one object', cal(...ev('mixed@x'), ...todo('mixed-todo@x')));
  e('VALARMs nested 300 deep', cal(...ev('deep@x', ...Array.from({ length: 300 }, () => 'BEGIN:VALARM'), ...Array.from({ length: 300 }, () => 'END:VALARM'))));
  e('300 VALARMs', cal(...ev('alarms@x', ...Array.from({ length: 300 }, (_, i) => ['BEGIN:VALARM', 'ACTION:DISPLAY', `DESCRIPTION:a${i}`, 'TRIGGER:-PT15M', 'END:VALARM']).flat())));
  e('RRULE FREQ=SECONDLY without end', cal(...ev('secondly@x', 'RRULE:FREQ=SECONDLY')), true);
  e('RRULE with COUNT of 10^9', cal(...ev('count@x', 'RRULE:FREQ=DAILY;COUNT=1000000000')), true);
  e('RRULE FREQ=MINUTELY until 9999', cal(...ev('minutely@x', 'RRULE:FREQ=MINUTELY;UNTIL=99991231T000000Z')), true);
  e('RRULE garbage', cal(...ev('rrule-garbage@x', 'RRULE:FREQ=EVERY;BYDAY=XX,;;INTERVAL=-3')));
  e('DTSTART not a date', ['BEGIN:VCALENDAR', 'VERSION:2.0', 'BEGIN:VEVENT', 'UID:baddate@x', 'DTSTAMP:20240101T000000Z', 'DTSTART:99999999T999999', 'END:VEVENT', 'END:VCALENDAR', ''].join(CRLF));
  e('DTEND before DTSTART', ['BEGIN:VCALENDAR', 'VERSION:2.0', 'BEGIN:VEVENT', 'UID:backwards@x', 'DTSTAMP:20240101T000000Z', 'DTSTART:20240301T100000Z', 'DTEND:20240301T090000Z', 'END:VEVENT', 'END:VCALENDAR', ''].join(CRLF));
  e('year 0001 and 9999', ['BEGIN:VCALENDAR', 'VERSION:2.0', 'BEGIN:VEVENT', 'UID:years@x', 'DTSTAMP:20240101T000000Z', 'DTSTART:00010101T000000Z', 'DTEND:99991231T235959Z', 'END:VEVENT', 'END:VCALENDAR', ''].join(CRLF));
  e('TZID that is a file path, no VTIMEZONE', ['BEGIN:VCALENDAR', 'VERSION:2.0', 'BEGIN:VEVENT', 'UID:tzpath@x', 'DTSTAMP:20240101T000000Z', 'DTSTART;TZID=../../../../etc/localtime:20240301T090000', 'DTEND;TZID=../../../../etc/localtime:20240301T100000', 'END:VEVENT', 'END:VCALENDAR', ''].join(CRLF));
  e('VTIMEZONE with 200 observances', cal(
    'BEGIN:VTIMEZONE', 'TZID:Hostile/Zone',
    ...Array.from({ length: 200 }, (_, i) => ['BEGIN:STANDARD', `DTSTART:${String(1800 + (i % 200)).padStart(4, '0')}0101T000000`, 'TZOFFSETFROM:+0100', 'TZOFFSETTO:+0100', 'END:STANDARD']).flat(),
    'END:VTIMEZONE', 'BEGIN:VEVENT', 'UID:observances@x', 'DTSTAMP:20240101T000000Z', 'DTSTART;TZID=Hostile/Zone:20240301T090000', 'DURATION:PT1H', 'END:VEVENT'));
  e('one 128 KB DESCRIPTION line', cal(...ev('longline@x', `DESCRIPTION:${'d'.repeat(128 * 1024)}`)));
  e('invalid UTF-8 in SUMMARY', Buffer.concat([Buffer.from(cal(...ev('badutf8@x', 'SUMMARY:bad ')).split('SUMMARY:bad ')[0] ?? ''), Buffer.from('SUMMARY:bad '), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from(`${CRLF}END:VEVENT${CRLF}END:VCALENDAR${CRLF}`)]));
  e('1.5 MB inline attachment of junk (over the 1 MiB limit)', cal(...ev('attach@x', `ATTACH;ENCODING=BASE64;VALUE=BINARY;FMTTYPE=application/octet-stream:${'QUJD'.repeat(512 * 1024)}`)));
  e('METHOD:REQUEST without ORGANIZER', cal('METHOD:REQUEST', ...ev('method@x', 'SUMMARY:invite')));
  e('ORGANIZER with control characters and a CN injection', cal(...ev('organizer@x', `ORGANIZER;CN="Eve${t.bell}":mailto:eve${t.titleChange}@x`)));
  e('parameter with an unbalanced quote', cal(...ev('quote@x', 'ATTENDEE;CN="unbalanced:mailto:a@x')));
  e('CR-only line ends', cal(...ev('cr-only@x')).replace(/\r\n/g, '\r'));
  e('UTF-8 byte order mark (as Outlook exports)', Buffer.from(`\uFEFF${cal(...ev('bom@x'))}`, 'utf8'));
  e('folded line continuing nothing', ` folded first line${CRLF}${cal(...ev('fold@x'))}`);

  k('VTODO with a DUE that is no date', cal(...todo('due@x', 'DUE:tomorrow-ish')));
  k('VTODO with PERCENT-COMPLETE 1000 and PRIORITY -5', cal(...todo('percent@x', 'PERCENT-COMPLETE:1000', 'PRIORITY:-5', 'STATUS:EXPLODED')));
  k('VTODO related to itself', cal(...todo('self@x', 'RELATED-TO:self@x', 'RELATED-TO;RELTYPE=PARENT:self@x')));
  k('a VEVENT in the task list', cal(...ev('event-in-tasks@x')));
  k('VTODO with terminal escapes in SUMMARY', cal(...todo('todo-esc@x', `SUMMARY:${t.clearScreen}${t.isolate}`)));

  c('vCard without UID', card(undefined));
  c('vCard UID with ../ traversal', card('../../addressbooks/other/evil'));
  c('vCard 2.1 with broken quoted-printable', ['BEGIN:VCARD', 'VERSION:2.1', 'UID:qp@x', 'N;ENCODING=QUOTED-PRINTABLE:=ZZ=4=', 'FN;ENCODING=QUOTED-PRINTABLE:M=C3=BC=', 'END:VCARD', ''].join(CRLF));
  c('vCard with a 600 KB junk PHOTO', card('photo@x', `PHOTO;ENCODING=b;TYPE=JPEG:${'/9j/'.repeat(200 * 1024)}`));
  c('vCard FN with terminal escapes', card('fn-esc@x').replace('FN:Hostile Contact', `FN:${t.titleChange}${t.rtlOverride}`));
  c('vCard FN with raw ";" and "," (as some exports write them)', card('semicolon@x').replace('FN:Hostile Contact', 'FN:Müller; Hans, Dr.'));
  c('vCard ORG with a raw "," inside a component', card('org-comma@x', 'ORG:Müller, Meier & Co;Sales'));
  c('vCard with 300 EMAIL lines', card('emails@x', ...Array.from({ length: 300 }, (_, i) => `EMAIL;TYPE=INTERNET:a${i}@example.org`)));
  c('vCard N with 1000 components', card('ncomp@x').replace('N:Contact;Hostile;;;', `N:${';'.repeat(1000)}`));
  c('vCard nested in a vCard', ['BEGIN:VCARD', 'VERSION:3.0', 'UID:outer@x', 'FN:Outer', 'BEGIN:VCARD', 'VERSION:3.0', 'UID:inner@x', 'FN:Inner', 'END:VCARD', 'END:VCARD', ''].join(CRLF));
  c('vCard version 9.9', card('v99@x').replace('VERSION:3.0', 'VERSION:9.9'));
  c('vCard group names with control characters', card('groups@x', `item1${t.bell}.EMAIL:g@x`, `${t.del}.TEL:123`));
  c('vCard that is only BEGIN and END', ['BEGIN:VCARD', 'END:VCARD', ''].join(CRLF));
  c('vCard holding a VCALENDAR', card('holds-cal@x', 'BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'UID:in-card@x', 'END:VEVENT', 'END:VCALENDAR'));
  c('two vCards in one item', card('two-a@x') + card('two-b@x'));
  c('group MEMBER pointing outside', card('group@x', 'X-ADDRESSBOOKSERVER-KIND:group', 'X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:../../../etc/passwd'));
  c('vCard with a UTF-8 byte order mark', Buffer.from(`\uFEFF${card('bom-card@x')}`, 'utf8'));
  c('vCard with NUL bytes', card('nul@x', `NOTE:a${t.nul}b${t.nul}c`));
  for (const name of [
    'VEVENT without UID', 'UID with ../ path traversal', 'UID with %2e%2e%2f and URL characters', 'UID that is an absolute URL', 'UID with terminal escapes',
    'SUMMARY with terminal escapes and bidi', 'SUMMARY with NUL, BEL and DEL', 'CR-only line ends', 'UTF-8 byte order mark (as Outlook exports)',
    'VTODO with terminal escapes in SUMMARY', 'vCard without UID', 'vCard UID with ../ traversal', 'vCard FN with terminal escapes',
    'vCard FN with raw ";" and "," (as some exports write them)', 'vCard ORG with a raw "," inside a component', 'vCard with a UTF-8 byte order mark', 'vCard with NUL bytes',
  ]) must(name);
  return out;
}
