/**
 * Issue 11's real-world shapes through the DAV target into both lab servers (Radicale and the
 * strict Cyrus): a multi-UID .ics export (split into one item per UID by the normalisation stage,
 * as the sources do), METHOD:PUBLISH, TZIDs without VTIMEZONE (Windows display name, "UTC+01"),
 * a DATE-TIME RECURRENCE-ID on an all-day series, an event without DTEND, a UID-less vCard and an
 * Outlook vCard 2.1 with bare parameters, QUOTED-PRINTABLE and a folded base64 photo. Each must
 * arrive, and every PUT must pass the CalDAV/CardDAV profile validator.
 *
 * And what the servers themselves do with such objects when nobody normalises them (raw PUTs):
 * Cyrus refuses them with 403 and a reason, Radicale stores most of them, which is why the
 * lenient server alone proves little.
 */
import ICAL from 'ical.js';
import pino from 'pino';
import { normalizeGroupware } from '../../mappings/groupware/normalize.js';
import { DAV_SERVERS, type DavLabServer } from '../../test/lab/dav-servers.js';
import { observePuts, profileErrors, putViolations, type ObservedPut } from '../../test/support/caldav-profile.js';
import type { ItemContent, TargetMailbox } from '../../src/model/types.js';
import { DavTarget } from './index.js';

const log = pino({ level: 'silent' });
const crlf = (lines: string[]) => lines.join('\r\n') + '\r\n';
const item = (id: string, text: string | Buffer): ItemContent => ({ meta: { id, size: Buffer.byteLength(text), flags: [] }, content: Buffer.from(text) });
const cal = (head: string[], ...body: string[][]) => crlf(['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//ums-migrate shapes//EN', ...head, ...body.flat(), 'END:VCALENDAR']);
const vevent = (...props: string[]) => ['BEGIN:VEVENT', 'DTSTAMP:20261201T120000Z', ...props, 'END:VEVENT'];

const W_EUROPE = ['BEGIN:VTIMEZONE', 'TZID:W. Europe Standard Time',
  'BEGIN:STANDARD', 'DTSTART:16010101T030000', 'TZOFFSETFROM:+0200', 'TZOFFSETTO:+0100', 'RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10', 'END:STANDARD',
  'BEGIN:DAYLIGHT', 'DTSTART:16010101T020000', 'TZOFFSETFROM:+0100', 'TZOFFSETTO:+0200', 'RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3', 'END:DAYLIGHT',
  'END:VTIMEZONE'];
const W = 'TZID=W. Europe Standard Time';

/** An Outlook-style export: METHOD:PUBLISH, 3 UIDs, a weekly series with a moved and a cancelled occurrence. */
const EXPORT = cal(['METHOD:PUBLISH'], W_EUROPE,
  vevent('UID:jour-fixe', 'SUMMARY:Jour fixe', `DTSTART;${W}:20270302T090000`, `DTEND;${W}:20270302T093000`, 'RRULE:FREQ=WEEKLY;COUNT=6', `EXDATE;${W}:20270316T090000`),
  vevent('UID:jour-fixe', 'SUMMARY:Jour fixe (moved)', `RECURRENCE-ID;${W}:20270330T090000`, `DTSTART;${W}:20270331T140000`, `DTEND;${W}:20270331T143000`),
  vevent('UID:plain-1', 'SUMMARY:Termin 1', `DTSTART;${W}:20270303T090000`, `DTEND;${W}:20270303T100000`),
  vevent('UID:plain-2', 'SUMMARY:Termin 2', `DTSTART;${W}:20270304T090000`, `DTEND;${W}:20270304T100000`));

const DISPLAY_NAME = cal([], vevent('UID:display-name', 'SUMMARY:Berlin by name',
  'DTSTART;TZID="(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna":20270705T100000',
  'DTEND;TZID="(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna":20270705T110000'));
const OFFSET = cal([], vevent('UID:offset', 'SUMMARY:Offset zone', 'DTSTART;TZID=UTC+01:20270110T080000', 'DTEND;TZID=UTC+01:20270110T083000'));
const ALL_DAY = cal([],
  vevent('UID:rota', 'SUMMARY:Rufbereitschaft', 'DTSTART;VALUE=DATE:20270405', 'DTEND;VALUE=DATE:20270406', 'RRULE:FREQ=WEEKLY;COUNT=4'),
  vevent('UID:rota', 'SUMMARY:Rufbereitschaft (getauscht)', 'RECURRENCE-ID:20270412T000000Z', 'DTSTART;VALUE=DATE:20270413', 'DTEND;VALUE=DATE:20270414'));
const NO_DTEND = cal([], vevent('UID:no-end', 'SUMMARY:Reminder', 'DTSTART:20270301T090000Z'));

const PHOTO = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37 + 11) % 256));
const folded = PHOTO.toString('base64').match(/.{1,72}/g)!.map((l) => `  ${l}`);
const VCARD_21 = Buffer.from(crlf(['BEGIN:VCARD', 'VERSION:2.1', 'N;CHARSET=Windows-1252:M\u00fcller;J\u00fcrgen',
  'FN;CHARSET=Windows-1252;ENCODING=QUOTED-PRINTABLE:J=FCrgen M=FCller', 'TEL;WORK;VOICE:+49 30 1234567', 'EMAIL;PREF;INTERNET:jm@example.de',
  'PHOTO;TYPE=JPEG;ENCODING=BASE64:', ...folded, '', 'END:VCARD']), 'latin1');
const VCARD_NO_UID = crlf(['BEGIN:VCARD', 'VERSION:3.0', 'FN:Ann Lee', 'N:Lee;Ann;;;', 'EMAIL;TYPE=INTERNET:ann@example.org', 'END:VCARD']);

/** The server's copy of every object in a collection, by UID. */
async function stored(mb: TargetMailbox, ref: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const o of mb.objects?.(ref) ?? []) {
    const text = o.content.toString('utf8');
    const uid = /^UID:(.*)$/m.exec(text.replace(/\r\n[ \t]/g, ''))?.[1]?.trim();
    if (uid) out.set(uid, text);
  }
  return out;
}

/** UTC start of the (first) VEVENT of an object as the server serves it. */
function startUtc(text: string): string {
  const comp = new ICAL.Component(ICAL.parse(text));
  for (const tz of comp.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(tz);
  const start = new ICAL.Event(comp.getFirstSubcomponent('vevent') ?? undefined).startDate.toJSDate().toISOString();
  ICAL.TimezoneService.reset();
  return start;
}

/** The dates of an all-day series with its overrides applied, as a calendar shows them. */
function allDayDates(text: string): string[] {
  const vevents = new ICAL.Component(ICAL.parse(text)).getAllSubcomponents('vevent');
  const master = new ICAL.Event(vevents.find((v) => !v.hasProperty('recurrence-id')));
  for (const v of vevents) if (v.hasProperty('recurrence-id')) master.relateException(v);
  const out: string[] = [];
  const it = master.iterator();
  for (let next = it.next(); next && out.length < 10; next = it.next()) out.push(master.getOccurrenceDetails(next).startDate.toString());
  return out;
}

describe.each(DAV_SERVERS)('issue 11 shapes into $name', (entry) => {
  let lab: DavLabServer;
  let puts: ObservedPut[] = [];
  let target: DavTarget;
  let mb: TargetMailbox;
  beforeAll(async () => {
    lab = await entry.start();
  }, 180_000);
  beforeEach(async () => {
    target = new DavTarget({ url: lab.url, allowInsecure: true, tlsVerify: true, maxConnections: 4 }, log);
    puts = observePuts(target.http);
    mb = await target.openMailbox(await lab.createUser('shapes'));
  });
  afterEach(async () => {
    await target.close();
    expect(putViolations(puts)).toEqual([]);
  });

  test('a multi-UID export with METHOD:PUBLISH arrives as one object per UID, overrides and EXDATE kept', async () => {
    // One item holding many objects is refused whole, naming the UIDs (the sources split files).
    await expect(mb.put('calendar:Kalender', item('export.ics', EXPORT))).rejects.toThrow(/3 objects .*jour-fixe/);
    const split = normalizeGroupware(EXPORT, { source: 'alice/Calendar/export.ics' });
    expect(split.failures).toEqual([]);
    for (const o of split.objects) await mb.put('calendar:Kalender', item(`export.ics#${o.uid}`, o.text));
    const objs = await stored(mb, 'calendar:Kalender');
    expect([...objs.keys()].sort()).toEqual(['jour-fixe', 'plain-1', 'plain-2']);
    const series = objs.get('jour-fixe') ?? '';
    expect(series).not.toMatch(/^METHOD/m);
    expect(series).toMatch(/^RECURRENCE-ID[;:].*20270330T\d{6}/m);
    expect(series).toMatch(/^EXDATE[;:].*20270316T\d{6}/m);
    expect(startUtc(objs.get('plain-1') ?? '')).toBe('2027-03-03T08:00:00.000Z');
  });

  test('zones without VTIMEZONE (display name, UTC+01) arrive with one, on the same hour', async () => {
    await mb.put('calendar:Kalender', item('dn', DISPLAY_NAME));
    await mb.put('calendar:Kalender', item('off', OFFSET));
    const objs = await stored(mb, 'calendar:Kalender');
    expect(startUtc(objs.get('display-name') ?? '')).toBe('2027-07-05T08:00:00.000Z'); // CEST
    expect(startUtc(objs.get('offset') ?? '')).toBe('2027-01-10T07:00:00.000Z');
  });

  test('a DATE-TIME RECURRENCE-ID on an all-day series arrives as a DATE: the moved day replaces the old one', async () => {
    await mb.put('calendar:Kalender', item('rota', ALL_DAY));
    const rota = (await stored(mb, 'calendar:Kalender')).get('rota') ?? '';
    expect(rota).toMatch(/^RECURRENCE-ID;VALUE=DATE:20270412\r?$/m);
    expect(allDayDates(rota)).toEqual(['2027-04-05', '2027-04-13', '2027-04-19', '2027-04-26']);
  });

  test('an event with DTSTART only (an instant, RFC 5545) arrives on Radicale; Cyrus refuses any zero-length event', async () => {
    // The stage writes DURATION:PT0S; sabre/NextCloud and Radicale take it. Cyrus 3.6 answers 403
    // valid-calendar-data "DTEND must occur after DTSTART" for DURATION:PT0S and DTEND = DTSTART alike.
    const put = mb.put('calendar:Kalender', item('no-end', NO_DTEND));
    if (lab.strict) {
      await expect(put).rejects.toThrow(/HTTP 4\d\d.*valid-calendar-data/);
      expect(puts.map((p) => /DTEND must occur after DTSTART/.test(p.response))).toEqual([true]);
    } else {
      await put;
      expect((await stored(mb, 'calendar:Kalender')).has('no-end')).toBe(true);
    }
  });

  test('a UID-less vCard and an Outlook vCard 2.1 with a photo arrive as vCard 3.0, photo and umlauts intact', async () => {
    await mb.put('addressbook:Kontakte', item('ann.vcf', VCARD_NO_UID));
    await mb.put('addressbook:Kontakte', item('juergen.vcf', VCARD_21));
    const cards = [...(await stored(mb, 'addressbook:Kontakte')).values()].map((t) => t.replace(/\r\n[ \t]/g, ''));
    expect(cards).toHaveLength(2);
    const juergen = cards.find((c) => c.includes('FN:J\u00fcrgen M\u00fcller')) ?? '';
    expect(juergen).toMatch(/^VERSION:3\.0\r?$/m);
    expect(juergen.replace(/\s+/g, '')).toContain(PHOTO.toString('base64'));
    expect(cards.some((c) => c.includes('FN:Ann Lee'))).toBe(true);
  });
});

/** Raw objects as exports hold them, and the reason a strict server gives for each. */
const RAW: { name: string; kind: 'calendar' | 'addressbook'; text: string; cyrus: RegExp; profileOk?: boolean }[] = [
  { name: 'multi-UID', kind: 'calendar', text: cal([], vevent('UID:m-1', 'DTSTART:20270301T090000Z', 'DTEND:20270301T100000Z'), vevent('UID:m-2', 'DTSTART:20270302T090000Z', 'DTEND:20270302T100000Z')), cyrus: /Mismatched UIDs/ },
  { name: 'METHOD without ORGANIZER', kind: 'calendar', text: cal(['METHOD:PUBLISH'], vevent('UID:p-1', 'DTSTART:20270301T090000Z', 'DTEND:20270301T100000Z')), cyrus: /ORGANIZER/ },
  { name: 'DTSTART without DTEND', kind: 'calendar', text: NO_DTEND, cyrus: /DTEND must occur after DTSTART/, profileOk: true },
  { name: 'UID-less vCard', kind: 'addressbook', text: VCARD_NO_UID, cyrus: /UID/ },
  { name: 'vCard 2.1', kind: 'addressbook', text: VCARD_21.toString('latin1').replace('VERSION:2.1', 'VERSION:2.1\r\nUID:v21'), cyrus: /vCard version/ },
];

describe.each(DAV_SERVERS)('$name on raw (unnormalised) objects', (entry) => {
  test('the raw shapes break the CalDAV/CardDAV profile (but an instant); Cyrus refuses each with a 4xx and its reason', async () => {
    const lab = await entry.start();
    const user = await lab.createUser('raw');
    const target = new DavTarget({ url: lab.url, allowInsecure: true, tlsVerify: true, maxConnections: 2 }, log);
    try {
      const mb = await target.openMailbox(user);
      const homes = { calendar: (await mb.ensure('calendar:Raw')).epoch, addressbook: (await mb.ensure('addressbook:Raw')).epoch };
      for (const [i, r] of RAW.entries()) {
        expect({ name: r.name, profileOk: profileErrors(r.text).length === 0 }).toEqual({ name: r.name, profileOk: r.profileOk ?? false });
        const url = new URL(`${homes[r.kind]}raw-${i}.${r.kind === 'calendar' ? 'ics' : 'vcf'}`, lab.url);
        const res = await target.http.request({ method: 'PUT', url, headers: { 'Content-Type': r.kind === 'calendar' ? 'text/calendar' : 'text/vcard' }, body: r.text }, user);
        if (lab.strict) {
          expect({ name: r.name, status: Math.floor(res.status / 100), reason: r.cyrus.test(res.body) }).toEqual({ name: r.name, status: 4, reason: true });
        } else {
          // Radicale: parse errors are 400, the rest is stored as sent.
          expect([201, 204, 400]).toContain(res.status);
        }
      }
    } finally {
      await target.close();
    }
  }, 60_000);
});
