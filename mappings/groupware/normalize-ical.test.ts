import { normalizeICalendar } from './normalize-ical.js';
import { calendarFile, component, event, fixedZone, parse, uidsOf, zonesOf } from './ical-test-support.js';

const opts = { source: 'alice/Calendar/export.ics' };

describe('normalizeICalendar: one calendar object per UID', () => {
  const file = calendarFile([
    fixedZone('Zone A', '+0100'),
    fixedZone('Zone B', '-0500'),
    fixedZone('Zone Unused', '+0300'),
    event({ uid: 'series@x', summary: 'Weekly', lines: ['DTSTART;TZID=Zone A:20240701T100000', 'DTEND;TZID=Zone A:20240701T110000', 'RRULE:FREQ=WEEKLY;COUNT=5', 'EXDATE;TZID=Zone A:20240708T100000,20240715T100000'] }),
    event({ uid: 'single@x', summary: 'Once', lines: ['DTSTART;TZID=Zone B:20240702T090000', 'DTEND;TZID=Zone B:20240702T100000'] }),
    event({ uid: 'series@x', summary: 'Weekly (moved)', lines: ['RECURRENCE-ID;TZID=Zone A:20240722T100000', 'DTSTART;TZID=Zone B:20240722T080000', 'DTEND;TZID=Zone B:20240722T090000'] }),
    event({ uid: 'task@x', summary: 'Todo', kind: 'VTODO', lines: ['DUE:20240705T170000Z'] }),
  ], { method: 'PUBLISH', header: ['X-WR-CALNAME:Work'] });
  const result = normalizeICalendar(file, opts);

  it('makes one object per UID, in the order of the input, with the overrides beside their master', () => {
    expect(result.failures).toEqual([]);
    expect(result.objects.map((o) => [o.uid, o.kind])).toEqual([['series@x', 'event'], ['single@x', 'event'], ['task@x', 'task']]);
    for (const o of result.objects) expect(uidsOf(o.text)).toEqual([o.uid]);
    const series = parse(result.objects[0]!.text).getAllSubcomponents('vevent');
    expect(series.map((e) => String(e.getFirstPropertyValue('summary')))).toEqual(['Weekly', 'Weekly (moved)']);
  });

  it('gives each object exactly the VTIMEZONEs its properties reference, overrides included', () => {
    expect(result.objects.map((o) => zonesOf(o.text))).toEqual([
      { defined: ['Zone A', 'Zone B'], referenced: ['Zone A', 'Zone B'] },
      { defined: ['Zone B'], referenced: ['Zone B'] },
      { defined: [], referenced: [] },
    ]);
  });

  it('removes METHOD and the collection properties, keeps VERSION and PRODID, and says so', () => {
    for (const o of result.objects) {
      expect(o.text).not.toMatch(/^METHOD/m);
      expect(o.text).not.toMatch(/^X-WR-CALNAME/m);
      expect(o.text).toMatch(/^VERSION:2\.0\r$/m);
      expect(o.text).toMatch(/^PRODID:-\/\/Test\/\/Generator\/\/EN\r$/m);
      expect(o.repairs).toContain('METHOD:PUBLISH removed');
      expect(o.repairs.some((r) => r.includes('X-WR-CALNAME'))).toBe(true);
    }
  });

  it('notes a scheduling METHOD as such', () => {
    const r = normalizeICalendar(calendarFile([event({ uid: 'inv@x', lines: ['DTSTART:20240701T100000Z', 'DTEND:20240701T110000Z'] })], { method: 'REQUEST' }), opts);
    expect(r.objects[0]!.repairs.some((x) => x.startsWith('METHOD:REQUEST removed (a scheduling message'))).toBe(true);
  });

  it('writes CRLF lines folded at 75 octets, the same bytes on every run', () => {
    const long = normalizeICalendar(calendarFile([event({ uid: 'l@x', summary: 'x'.repeat(200), lines: ['DTSTART:20240701T100000Z', 'DTEND:20240701T110000Z'] })]), opts).objects[0]!.text;
    expect(long.split('\r\n').every((l) => Buffer.byteLength(l) <= 75)).toBe(true);
    expect(long).not.toMatch(/[^\r]\n/);
    expect(normalizeICalendar(file, opts)).toEqual(result);
  });

  it('is idempotent: a normalised object comes back unchanged, without repairs', () => {
    for (const o of result.objects) {
      const again = normalizeICalendar(o.text, opts);
      expect(again.failures).toEqual([]);
      expect(again.objects.map((x) => [x.text, x.repairs, x.warnings])).toEqual([[o.text, [], []]]);
    }
  });

  it('keeps an override without its master as an object of its own', () => {
    const r = normalizeICalendar(calendarFile([event({ uid: 'orphan@x', lines: ['RECURRENCE-ID:20240701T100000Z', 'DTSTART:20240701T120000Z', 'DTEND:20240701T130000Z'] })]), opts);
    expect(r.objects.map((o) => o.uid)).toEqual(['orphan@x']);
    expect(r.objects[0]!.text).toMatch(/^RECURRENCE-ID:20240701T100000Z\r$/m);
  });

  it('keeps the newest of two masters with one UID and names the other in a warning', () => {
    const r = normalizeICalendar(calendarFile([
      event({ uid: 'dup@x', summary: 'old', lines: ['SEQUENCE:1', 'DTSTART:20240701T100000Z', 'DTEND:20240701T110000Z'] }),
      event({ uid: 'dup@x', summary: 'new', lines: ['SEQUENCE:2', 'DTSTART:20240701T100000Z', 'DTEND:20240701T110000Z'] }),
    ]), opts);
    expect(parse(r.objects[0]!.text).getAllSubcomponents('vevent').map((e) => e.getFirstPropertyValue('summary'))).toEqual(['new']);
    expect(r.objects[0]!.warnings).toEqual([expect.stringContaining('VEVENT #1 (SEQUENCE 1) not carried')]);
  });
});

describe('normalizeICalendar: what cannot be carried fails by name, the rest still arrives', () => {
  it('fails a VEVENT and a VTODO sharing a UID, naming both', () => {
    const r = normalizeICalendar(calendarFile([
      event({ uid: 'same@x', summary: 'Meeting', lines: ['DTSTART:20240701T100000Z', 'DTEND:20240701T110000Z'] }),
      event({ uid: 'other@x', lines: ['DTSTART:20240701T100000Z', 'DTEND:20240701T110000Z'] }),
      event({ uid: 'same@x', summary: 'Prepare', kind: 'VTODO', lines: [] }),
    ]), opts);
    expect(r.objects.map((o) => o.uid)).toEqual(['other@x']);
    expect(r.failures).toEqual([{ what: 'UID same@x (SUMMARY "Meeting")', reason: expect.stringMatching(/^VEVENT #1 "Meeting" and VTODO #3 "Prepare" share this UID/) }]);
  });

  it('fails VJOURNAL and VFREEBUSY components as not migrated', () => {
    const r = normalizeICalendar(calendarFile([
      component('VJOURNAL', 'UID:j@x', 'DTSTAMP:20240101T000000Z', 'SUMMARY:Notes'),
      component('VFREEBUSY', 'DTSTAMP:20240101T000000Z', 'FREEBUSY:20240701T100000Z/PT1H'),
      event({ uid: 'e@x', lines: ['DTSTART:20240701T100000Z', 'DTEND:20240701T110000Z'] }),
    ]), opts);
    expect(r.objects.map((o) => o.uid)).toEqual(['e@x']);
    expect(r.failures).toEqual([
      { what: 'UID j@x (SUMMARY "Notes")', reason: 'not migrated: VJOURNAL (journal entries have no CalDAV collection in the UMS)' },
      { what: 'VFREEBUSY #2 without UID', reason: expect.stringMatching(/^not migrated: VFREEBUSY/) },
    ]);
  });

  it('fails a component ical.js cannot parse, and one without its END, alone', () => {
    const r = normalizeICalendar(calendarFile([
      event({ uid: 'broken@x', lines: ['DTSTART:20240701T100000Z', 'THIS LINE HAS NO COLON'] }),
      event({ uid: 'fine@x', lines: ['DTSTART:20240701T100000Z', 'DTEND:20240701T110000Z'] }),
      ['BEGIN:VEVENT', 'UID:open@x', 'DTSTART:20240701T100000Z'],
      event({ uid: 'last@x', lines: ['DTSTART:20240701T100000Z', 'DTEND:20240701T110000Z'] }),
    ]), opts);
    expect(r.objects.map((o) => o.uid)).toEqual(['fine@x', 'last@x']);
    expect(r.failures).toEqual([
      { what: 'UID broken@x', reason: expect.stringMatching(/^cannot be parsed: /) },
      { what: 'UID open@x', reason: 'BEGIN:VEVENT without its END:VEVENT' },
    ]);
  });

  it('fails a VEVENT without DTSTART', () => {
    const r = normalizeICalendar(calendarFile([event({ uid: 'nostart@x', summary: 'When?', lines: [] })]), opts);
    expect(r.failures).toEqual([{ what: 'UID nostart@x (SUMMARY "When?")', reason: 'VEVENT without DTSTART' }]);
  });

  it('fails an object over the size limit', () => {
    const r = normalizeICalendar(calendarFile([event({ uid: 'big@x', summary: 'y'.repeat(5000), lines: ['DTSTART:20240701T100000Z', 'DTEND:20240701T110000Z'] })]), { ...opts, maxObjectBytes: 4096 });
    expect(r.failures).toEqual([{ what: expect.stringMatching(/^UID big@x/), reason: expect.stringMatching(/^the calendar object is [\d.]+ KiB, over the 4 KiB the server accepts$/) }]);
  });

  it('fails input that is not iCalendar, naming the source', () => {
    expect(normalizeICalendar('hello', opts).failures).toEqual([{ what: opts.source, reason: 'not an iCalendar file: no BEGIN:VCALENDAR line' }]);
  });
});

describe('normalizeICalendar: UIDs made for components without one', () => {
  const file = calendarFile([
    event({ summary: 'A', lines: ['DTSTART:20240701T100000Z', 'DTEND:20240701T110000Z'] }),
    event({ summary: 'B', lines: ['DTSTART:20240702T100000Z', 'DTEND:20240702T110000Z'] }),
  ]);

  it('derives a stable UID per component from the source and its position', () => {
    const a = normalizeICalendar(file, opts);
    const b = normalizeICalendar(file, opts);
    const other = normalizeICalendar(file, { source: 'bob/Calendar/export.ics' });
    expect(a.objects.map((o) => o.derivedUid)).toEqual([true, true]);
    expect(a.objects.map((o) => o.uid)).toEqual(b.objects.map((o) => o.uid));
    expect(new Set(a.objects.map((o) => o.uid)).size).toBe(2);
    expect(other.objects[0]!.uid).not.toBe(a.objects[0]!.uid);
    for (const o of a.objects) expect(uidsOf(o.text)).toEqual([o.uid]);
  });

  it('the derived UID stays when the object is normalised again', () => {
    const o = normalizeICalendar(file, opts).objects[0]!;
    const again = normalizeICalendar(o.text, { source: 'elsewhere' }).objects[0]!;
    expect([again.uid, again.derivedUid, again.text]).toEqual([o.uid, false, o.text]);
  });
});

describe('normalizeICalendar: tolerated file shapes', () => {
  const base = [event({ uid: 'x@x', lines: ['DTSTART:20240701T100000Z', 'DTEND:20240701T110000Z'] })];
  const reference = normalizeICalendar(calendarFile(base), opts).objects[0]!.text;

  it('accepts a byte order mark, LF-only lines and a Buffer', () => {
    const r = normalizeICalendar(Buffer.from(`\uFEFF${calendarFile(base, { eol: '\n' })}`, 'utf8'), opts);
    expect(r.objects.map((o) => o.text)).toEqual([reference]);
  });

  it('accepts a missing END:VCALENDAR at the end of the file and notes it', () => {
    const r = normalizeICalendar(calendarFile(base, { noEnd: true }), opts);
    expect(r.objects.map((o) => o.text)).toEqual([reference]);
    expect(r.objects[0]!.repairs).toContain('END:VCALENDAR missing at the end of the file: added');
  });

  it('rejects a vCalendar 1.0 file with the reason', () => {
    const r = normalizeICalendar(calendarFile(base).replace('VERSION:2.0', 'VERSION:1.0'), opts);
    expect(r.failures).toEqual([{ what: opts.source, reason: expect.stringMatching(/^iCalendar VERSION 1\.0/) }]);
  });
});
