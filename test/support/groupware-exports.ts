/**
 * Calendar and contact exports shaped like the files real clients write (generated, not copied):
 * an Exchange/Outlook "Save calendar" export, a Google export, an Outlook 2003-style vCard 2.1
 * file, an Apple vCard 3.0 file and a Thunderbird address book export. Each holds the defects
 * issue 11 lists: many UIDs in one VCALENDAR, METHOD:PUBLISH, TZIDs without VTIMEZONE (Windows
 * display name, "UTC+01"), a DATE-TIME RECURRENCE-ID on an all-day series, EXDATEs, a VEVENT
 * without UID, a VJOURNAL, an unknown zone; vCards without UID, bare 2.1 parameters,
 * QUOTED-PRINTABLE with CHARSET, a folded base64 photo.
 *
 * `expected` says what must arrive: the UIDs per file, the objects that must fail (and the
 * words their reason must contain), and instance facts to check on the server.
 */

/** A 1×1 JPEG-like payload (bytes matter, not the picture): 300 bytes so the base64 folds. */
export const PHOTO = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37 + 11) % 256));

const crlf = (lines: string[]) => lines.join('\r\n') + '\r\n';

/** The Windows-style VTIMEZONE Exchange writes (TZID = Windows name, yearly rules). */
const W_EUROPE = [
  'BEGIN:VTIMEZONE', 'TZID:W. Europe Standard Time',
  'BEGIN:STANDARD', 'DTSTART:16010101T030000', 'TZOFFSETFROM:+0200', 'TZOFFSETTO:+0100', 'RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10', 'END:STANDARD',
  'BEGIN:DAYLIGHT', 'DTSTART:16010101T020000', 'TZOFFSETFROM:+0100', 'TZOFFSETTO:+0200', 'RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3', 'END:DAYLIGHT',
  'END:VTIMEZONE',
];

export interface ExportFile {
  /** Path below the user's directory, e.g. "Calendar/export.ics". */
  path: string;
  content: string | Buffer;
}

export interface Expected {
  /** UIDs that must be on the server, per collection kind. */
  events: string[];
  tasks: string[];
  contacts: string[];
  /** Objects that must fail alone, with words their reason must contain. */
  failures: { file: string; contains: string }[];
}

/** Plain events of the Exchange export (different UIDs, one VCALENDAR). */
function plainEvents(n: number): string[] {
  const out: string[] = [];
  for (let i = 1; i <= n; i++) {
    const day = String(1 + (i % 27)).padStart(2, '0');
    out.push('BEGIN:VEVENT', `UID:040000008200E00074C5B7101A82E00800000000plain${String(i).padStart(4, '0')}`, `SUMMARY:Termin ${i}`,
      `DTSTART;TZID=W. Europe Standard Time:202703${day}T090000`, `DTEND;TZID=W. Europe Standard Time:202703${day}T100000`,
      'DTSTAMP:20261201T120000Z', 'CLASS:PUBLIC', 'END:VEVENT');
  }
  return out;
}

/** The Outlook/Exchange calendar export. */
export function exchangeCalendarExport(plain = 100): string {
  return crlf([
    'BEGIN:VCALENDAR', 'METHOD:PUBLISH', 'PRODID:Microsoft Exchange Server 2010', 'VERSION:2.0', 'X-WR-CALNAME:Kalender',
    ...W_EUROPE,
    // A weekly series on Tuesdays 09:00 Berlin across the DST change, one occurrence moved, one cancelled.
    'BEGIN:VEVENT', 'UID:weekly-jour-fixe', 'SUMMARY:Jour fixe', 'DTSTART;TZID=W. Europe Standard Time:20270302T090000',
    'DTEND;TZID=W. Europe Standard Time:20270302T093000', 'RRULE:FREQ=WEEKLY;COUNT=8;BYDAY=TU',
    'EXDATE;TZID=W. Europe Standard Time:20270316T090000', 'DTSTAMP:20261201T120000Z', 'END:VEVENT',
    'BEGIN:VEVENT', 'UID:weekly-jour-fixe', 'RECURRENCE-ID;TZID=W. Europe Standard Time:20270330T090000', 'SUMMARY:Jour fixe (moved)',
    'DTSTART;TZID=W. Europe Standard Time:20270331T140000', 'DTEND;TZID=W. Europe Standard Time:20270331T143000', 'DTSTAMP:20261201T120000Z', 'END:VEVENT',
    // An all-day weekly series whose moved occurrence has a DATE-TIME RECURRENCE-ID (the Exchange defect).
    'BEGIN:VEVENT', 'UID:allday-rota', 'SUMMARY:Rufbereitschaft', 'DTSTART;VALUE=DATE:20270405', 'DTEND;VALUE=DATE:20270406',
    'RRULE:FREQ=WEEKLY;COUNT=4', 'EXDATE;VALUE=DATE:20270419', 'DTSTAMP:20261201T120000Z', 'END:VEVENT',
    'BEGIN:VEVENT', 'UID:allday-rota', 'RECURRENCE-ID:20270412T000000Z', 'SUMMARY:Rufbereitschaft (getauscht)',
    'DTSTART;VALUE=DATE:20270413', 'DTEND;VALUE=DATE:20270414', 'DTSTAMP:20261201T120000Z', 'END:VEVENT',
    // A zone given only by its Windows display name, no VTIMEZONE.
    'BEGIN:VEVENT', 'UID:display-name-zone', 'SUMMARY:Berlin by display name',
    'DTSTART;TZID="(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna":20270705T100000',
    'DTEND;TZID="(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna":20270705T110000', 'DTSTAMP:20261201T120000Z', 'END:VEVENT',
    // An offset-style zone, no VTIMEZONE.
    'BEGIN:VEVENT', 'UID:offset-zone', 'SUMMARY:Offset zone', 'DTSTART;TZID=UTC+01:20270110T080000', 'DTEND;TZID=UTC+01:20270110T083000',
    'DTSTAMP:20261201T120000Z', 'END:VEVENT',
    // No UID at all.
    'BEGIN:VEVENT', 'SUMMARY:No UID', 'DTSTART:20270201T120000Z', 'DTEND:20270201T130000Z', 'DTSTAMP:20261201T120000Z', 'END:VEVENT',
    // A zone nobody knows, no VTIMEZONE: must fail alone, naming the zone.
    'BEGIN:VEVENT', 'UID:unknown-zone', 'SUMMARY:Unknown zone', 'DTSTART;TZID=Mars/Olympus_Mons:20270301T090000',
    'DTEND;TZID=Mars/Olympus_Mons:20270301T100000', 'DTSTAMP:20261201T120000Z', 'END:VEVENT',
    ...plainEvents(plain),
    'END:VCALENDAR',
  ]);
}

/** A Google Calendar export with a journal entry, which the UMS has no collection for. */
export function googleCalendarExport(): string {
  return crlf([
    'BEGIN:VCALENDAR', 'PRODID:-//Google Inc//Google Calendar 70.9054//EN', 'VERSION:2.0', 'CALSCALE:GREGORIAN', 'METHOD:PUBLISH',
    'X-WR-CALNAME:Team', 'X-WR-TIMEZONE:America/New_York',
    'BEGIN:VTIMEZONE', 'TZID:America/New_York', 'X-LIC-LOCATION:America/New_York',
    'BEGIN:DAYLIGHT', 'TZOFFSETFROM:-0500', 'TZOFFSETTO:-0400', 'TZNAME:EDT', 'DTSTART:19700308T020000', 'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU', 'END:DAYLIGHT',
    'BEGIN:STANDARD', 'TZOFFSETFROM:-0400', 'TZOFFSETTO:-0500', 'TZNAME:EST', 'DTSTART:19701101T020000', 'RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU', 'END:STANDARD',
    'END:VTIMEZONE',
    'BEGIN:VEVENT', 'DTSTART;TZID=America/New_York:20270104T100000', 'DTEND;TZID=America/New_York:20270104T110000',
    'RRULE:FREQ=DAILY;COUNT=5', 'DTSTAMP:20261201T120000Z', 'UID:7kukuqrfedlm2f9t0vr42q2jsn@google.com', 'SUMMARY:Standup', 'END:VEVENT',
    'BEGIN:VEVENT', 'DTSTART;TZID=America/New_York:20270106T150000', 'DTEND;TZID=America/New_York:20270106T151500',
    'DTSTAMP:20261201T120000Z', 'UID:7kukuqrfedlm2f9t0vr42q2jsn@google.com', 'RECURRENCE-ID;TZID=America/New_York:20270106T100000',
    'SUMMARY:Standup (afternoon)', 'END:VEVENT',
    'BEGIN:VEVENT', 'DTSTART;VALUE=DATE:20270214', 'DTEND;VALUE=DATE:20270215', 'DTSTAMP:20261201T120000Z',
    'UID:3v1q5s0o1m2ig8c3d0b6f1n7pa@google.com', 'SUMMARY:Offsite', 'END:VEVENT',
    'BEGIN:VJOURNAL', 'UID:journal-1@google.com', 'DTSTAMP:20261201T120000Z', 'SUMMARY:Notes', 'END:VJOURNAL',
    'END:VCALENDAR',
  ]);
}

/** Tasks exported from Outlook: several VTODOs in one file. */
export function tasksExport(): string {
  return crlf([
    'BEGIN:VCALENDAR', 'METHOD:PUBLISH', 'PRODID:Microsoft Exchange Server 2010', 'VERSION:2.0',
    'BEGIN:VTODO', 'UID:task-report', 'SUMMARY:Quartalsbericht', 'DUE;VALUE=DATE:20270331', 'STATUS:NEEDS-ACTION', 'DTSTAMP:20261201T120000Z', 'END:VTODO',
    'BEGIN:VTODO', 'UID:task-done', 'SUMMARY:Reisekosten', 'STATUS:COMPLETED', 'COMPLETED:20261115T100000Z', 'DTSTAMP:20261201T120000Z', 'END:VTODO',
    'BEGIN:VTODO', 'SUMMARY:Task without UID', 'DTSTAMP:20261201T120000Z', 'END:VTODO',
    'END:VCALENDAR',
  ]);
}

function base64Folded21(data: Buffer): string[] {
  const b64 = data.toString('base64');
  const out: string[] = [];
  for (let i = 0; i < b64.length; i += 72) out.push(`  ${b64.slice(i, i + 72)}`);
  return out;
}

/** Outlook 2003-style vCard 2.1 file: bare parameters, QUOTED-PRINTABLE with CHARSET, folded base64 photo, no UIDs. */
export function outlookVCards21(): Buffer {
  const qp = 'Stra=DFe 1=0D=0A=\r\nHinterhaus';
  const text = [
    'BEGIN:VCARD', 'VERSION:2.1', 'N;CHARSET=Windows-1252:M=FCller;J=FCrgen', 'FN;CHARSET=Windows-1252;ENCODING=QUOTED-PRINTABLE:J=FCrgen M=FCller',
    'ORG:Beispiel GmbH;Vertrieb', 'TEL;WORK;VOICE:+49 30 1234567', 'TEL;CELL;PREF:+49 170 1234567', 'EMAIL;PREF;INTERNET:juergen.mueller@example.de',
    `ADR;WORK;CHARSET=Windows-1252;ENCODING=QUOTED-PRINTABLE:;;${qp};Berlin;;10115;Deutschland`,
    'PHOTO;TYPE=JPEG;ENCODING=BASE64:', ...base64Folded21(PHOTO), '', 'END:VCARD',
    'BEGIN:VCARD', 'VERSION:2.1', 'N:Doe;John', 'FN:John Doe', 'TEL;HOME;VOICE:(111) 555-1212', 'EMAIL;INTERNET:john.doe@example.com', 'END:VCARD',
  ].join('\r\n') + '\r\n';
  // Outlook writes 8-bit text in the declared Windows code page.
  return Buffer.from(text.replace(/M=FCller;J=FCrgen/, 'M\u00fcller;J\u00fcrgen'), 'latin1');
}

/** Apple Contacts vCard 3.0: bare BASE64 parameter on PHOTO, item groups, a UID. */
export function appleVCards30(): string {
  return crlf([
    'BEGIN:VCARD', 'VERSION:3.0', 'PRODID:-//Apple Inc.//Mac OS X 10.15//EN', 'N:Appleseed;Johnny;;;', 'FN:Johnny Appleseed',
    'item1.EMAIL;type=INTERNET;type=pref:johnny@example.com', 'item1.X-ABLabel:_$!<Other>!$_', 'TEL;type=CELL;type=VOICE;type=pref:+1 555 0100',
    `PHOTO;BASE64:${PHOTO.toString('base64')}`, 'UID:8F2E3D60-1D3E-4F6B-9A6B-3C2D1E0F9A8B', 'END:VCARD',
  ]).replace(/^(PHOTO;BASE64:.{60})(.*)$/m, (_m, a: string, b: string) => `${a}${b.replace(/(.{74})/g, '$1\r\n ')}`);
}

/** Thunderbird address book export: several 3.0 cards, none with a UID. */
export function thunderbirdVCards(n = 5): string {
  const lines: string[] = [];
  for (let i = 1; i <= n; i++) lines.push('BEGIN:VCARD', 'VERSION:3.0', `FN:Kontakt ${i}`, `N:${i};Kontakt;;;`, `EMAIL;TYPE=INTERNET:kontakt${i}@example.org`, 'END:VCARD');
  return crlf(lines);
}

/** The whole tree below one user's directory, and what must arrive. */
export function exportTree(plain = 100): { files: ExportFile[]; expected: Omit<Expected, 'events' | 'tasks' | 'contacts'> & { counts: { events: number; tasks: number; contacts: number } } } {
  return {
    files: [
      { path: 'Calendar/exchange-export.ics', content: exchangeCalendarExport(plain) },
      { path: 'Team/google-export.ics', content: googleCalendarExport() },
      { path: 'Tasks/outlook-tasks.ics', content: tasksExport() },
      { path: 'Contacts/outlook.vcf', content: outlookVCards21() },
      { path: 'Contacts/apple.vcf', content: appleVCards30() },
      { path: 'Contacts/thunderbird.vcf', content: thunderbirdVCards() },
    ],
    expected: {
      // Exchange: weekly, all-day, display-name, offset, no-UID + plain; Google: standup, offsite.
      counts: { events: 5 + plain + 2, tasks: 3, contacts: 2 + 1 + 5 },
      failures: [
        { file: 'Calendar/exchange-export', contains: 'Mars/Olympus_Mons' },
        { file: 'Team/google-export', contains: 'VJOURNAL' },
      ],
    },
  };
}
