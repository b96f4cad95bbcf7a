import { normalizeICalendar } from './normalize-ical.js';
import { calendarFile, event, exchangeWEurope, instantOf, occurrenceDates, parse, zonesOf } from './ical-test-support.js';

const opts = { source: 'test.ics' };
const one = (lines: string[], more: string[][] = [], o: Parameters<typeof normalizeICalendar>[1] = opts) => {
  const r = normalizeICalendar(calendarFile([...more, event({ uid: 'e@x', summary: 'Event', lines })]), o);
  if (r.failures.length > 0) throw new Error(JSON.stringify(r.failures));
  return r.objects[0]!;
};

describe('time zones without a VTIMEZONE in the file', () => {
  it('renames a Windows zone id to IANA and generates its VTIMEZONE, keeping the instant', () => {
    const o = one(['DTSTART;TZID=W. Europe Standard Time:20240701T100000', 'DTEND;TZID=W. Europe Standard Time:20240701T110000']);
    expect(zonesOf(o.text)).toEqual({ defined: ['Europe/Berlin'], referenced: ['Europe/Berlin'] });
    expect(instantOf(o.text, 'dtstart')).toBe('2024-07-01T08:00:00.000Z');
    expect(o.repairs).toContain('TZID "W. Europe Standard Time" → Europe/Berlin');
  });

  it('resolves a quoted display name', () => {
    const o = one(['DTSTART;TZID="(UTC-05:00) Eastern Time (US & Canada)":20240115T093000', 'DTEND;TZID="(UTC-05:00) Eastern Time (US & Canada)":20240115T100000']);
    expect(zonesOf(o.text).defined).toEqual(['America/New_York']);
    expect(instantOf(o.text, 'dtstart')).toBe('2024-01-15T14:30:00.000Z');
  });

  it('turns a whole-hour offset name into an Etc/GMT zone', () => {
    const o = one(['DTSTART;TZID=UTC+01:20240701T100000', 'DTEND;TZID=UTC+01:20240701T110000']);
    expect(zonesOf(o.text).defined).toEqual(['Etc/GMT-1']);
    expect(instantOf(o.text, 'dtstart')).toBe('2024-07-01T09:00:00.000Z');
  });

  it('gives a non-whole-hour offset name a fixed VTIMEZONE', () => {
    const o = one(['DTSTART;TZID="GMT+05:30":20240701T100000', 'DTEND;TZID="GMT+05:30":20240701T110000']);
    expect(zonesOf(o.text).defined).toEqual(['UTC+05:30']);
    expect(o.text).toMatch(/^TZOFFSETTO:\+0530\r$/m);
    expect(instantOf(o.text, 'dtstart')).toBe('2024-07-01T04:30:00.000Z');
  });

  it('writes TZID=UTC without VTIMEZONE as UTC times', () => {
    const o = one(['DTSTART;TZID=UTC:20240701T100000', 'DTEND;TZID=UTC:20240701T110000']);
    expect(o.text).toMatch(/^DTSTART:20240701T100000Z\r$/m);
    expect(zonesOf(o.text)).toEqual({ defined: [], referenced: [] });
  });

  it('fails an object whose zone is unknown, naming the TZID, and carries the others', () => {
    const r = normalizeICalendar(calendarFile([
      event({ uid: 'mars@x', lines: ['DTSTART;TZID=Olympus Mons Time:20240701T100000', 'DTEND;TZID=Olympus Mons Time:20240701T110000'] }),
      event({ uid: 'earth@x', lines: ['DTSTART:20240701T100000Z', 'DTEND:20240701T110000Z'] }),
    ]), opts);
    expect(r.objects.map((o) => o.uid)).toEqual(['earth@x']);
    expect(r.failures).toEqual([{ what: 'UID mars@x', reason: 'time zone "Olympus Mons Time" is unknown and the file has no VTIMEZONE for it' }]);
  });
});

describe('time zones the file defines', () => {
  it("keeps Exchange's Windows-named VTIMEZONE and TZID as written (its rules are exact)", () => {
    const o = one(['DTSTART;TZID=W. Europe Standard Time:20240701T100000', 'DTEND;TZID=W. Europe Standard Time:20240701T110000'], [exchangeWEurope()]);
    expect(zonesOf(o.text)).toEqual({ defined: ['W. Europe Standard Time'], referenced: ['W. Europe Standard Time'] });
    expect(instantOf(o.text, 'dtstart')).toBe('2024-07-01T08:00:00.000Z');
    expect(o.repairs).toEqual([]);
  });

  it("repairs Exchange's misplaced quote DTSTART;TZID=\"zone:time\"", () => {
    const o = one(['DTSTART;TZID="W. Europe Standard Time:20200609T090000"', 'DTEND;TZID=W. Europe Standard Time:20200609T100000'], [exchangeWEurope()]);
    expect(o.text).toMatch(/^DTSTART;TZID=W\. Europe Standard Time:20200609T090000\r$/m);
    expect(instantOf(o.text, 'dtstart')).toBe('2020-06-09T07:00:00.000Z');
    expect(o.repairs).toContain('misplaced quote in DTSTART TZID "W. Europe Standard Time" repaired');
  });
});

describe('recurrence values follow the master', () => {
  const allDaySeries = ['DTSTART;VALUE=DATE:20260219', 'DTEND;VALUE=DATE:20260220', 'RRULE:FREQ=WEEKLY;COUNT=6;BYDAY=TU,TH'];
  const moved = (rid: string) => event({ uid: 'e@x', summary: 'moved', lines: [rid, 'DTSTART;VALUE=DATE:20260227', 'DTEND;VALUE=DATE:20260228'] });

  it('attaches a DATE-TIME RECURRENCE-ID to an all-day series as the DATE of that occurrence', () => {
    const file = calendarFile([exchangeWEurope(), event({ uid: 'e@x', summary: 'Event', lines: allDaySeries }), moved('RECURRENCE-ID;TZID=W. Europe Standard Time:20260226T000000')]);
    expect(occurrenceDates(file)).toContain('2026-02-26'); // unrepaired: the moved occurrence does not replace the original
    const o = normalizeICalendar(file, opts).objects[0]!;
    expect(o.text).toMatch(/^RECURRENCE-ID;VALUE=DATE:20260226\r$/m);
    expect(occurrenceDates(o.text)).toEqual(['2026-02-19', '2026-02-24', '2026-02-27', '2026-03-03', '2026-03-05', '2026-03-10']);
    expect(zonesOf(o.text)).toEqual({ defined: [], referenced: [] });
  });

  it('takes the neighbouring occurrence date for a UTC RECURRENCE-ID on an all-day series', () => {
    const o = normalizeICalendar(calendarFile([event({ uid: 'e@x', lines: allDaySeries }), moved('RECURRENCE-ID:20260225T230000Z')]), opts).objects[0]!;
    expect(o.text).toMatch(/^RECURRENCE-ID;VALUE=DATE:20260226\r$/m);
  });

  it('makes DATE-TIME EXDATEs of an all-day series DATEs, so the occurrences are excluded', () => {
    const o = one([...allDaySeries, 'EXDATE;TZID=W. Europe Standard Time:20260224T000000,20260303T000000'], [exchangeWEurope()]);
    expect(occurrenceDates(o.text)).toEqual(['2026-02-19', '2026-02-26', '2026-03-05', '2026-03-10']);
  });

  it("gives a DATE RECURRENCE-ID on a timed series the master's time and zone", () => {
    const r = normalizeICalendar(calendarFile([
      event({ uid: 'e@x', lines: ['DTSTART;TZID=Europe/Berlin:20240701T100000', 'DTEND;TZID=Europe/Berlin:20240701T110000', 'RRULE:FREQ=DAILY;COUNT=3', 'EXDATE;VALUE=DATE:20240703'] }),
      event({ uid: 'e@x', summary: 'later', lines: ['RECURRENCE-ID;VALUE=DATE:20240702', 'DTSTART;TZID=Europe/Berlin:20240702T150000', 'DTEND;TZID=Europe/Berlin:20240702T160000'] }),
    ]), opts);
    const text = r.objects[0]!.text;
    expect(text).toMatch(/^RECURRENCE-ID;TZID=Europe\/Berlin:20240702T100000\r$/m);
    expect(text).toMatch(/^EXDATE;TZID=Europe\/Berlin:20240703T100000\r$/m);
    expect(occurrenceDates(text)).toEqual(['2024-07-01', '2024-07-02']);
  });

  it("writes an all-day series' DATE-TIME UNTIL as the DATE Exchange means, keeping the last occurrence (Berlin, New York)", () => {
    // Exchange: the local midnight of the last day in UTC. Fridays; the last one is 30 April 2021.
    const berlin = one(['DTSTART;VALUE=DATE:20210319', 'DTEND;VALUE=DATE:20210320', 'RRULE:FREQ=WEEKLY;UNTIL=20210429T220000Z;INTERVAL=1;BYDAY=FR;WKST=MO']);
    expect(berlin.text).toMatch(/^RRULE:.*UNTIL=20210430(;|\r$)/m);
    expect(occurrenceDates(berlin.text).slice(-1)).toEqual(['2021-04-30']);
    expect(berlin.repairs).toContain('RRULE UNTIL 2021-04-29T22:00:00Z → DATE 2021-04-30 (the series is all-day)');
    const newYork = one(['DTSTART;VALUE=DATE:20210319', 'DTEND;VALUE=DATE:20210320', 'RRULE:FREQ=WEEKLY;UNTIL=20210430T040000Z;BYDAY=FR']);
    expect(newYork.text).toMatch(/^RRULE:.*UNTIL=20210430(;|\r$)/m);
    expect(occurrenceDates(newYork.text)).toHaveLength(7);
    // A timed series keeps its DATE-TIME UNTIL.
    expect(one(['DTSTART:20210319T090000Z', 'RRULE:FREQ=WEEKLY;UNTIL=20210430T090000Z;BYDAY=FR']).text).toMatch(/UNTIL=20210430T090000Z/);
  });

  it('repairs CDO recurrence rules with spaces after the commas', () => {
    const o = one(['DTSTART:20150703T080000Z', 'DTEND:20150703T083000Z', 'RRULE:FREQ=DAILY;UNTIL=20150710T080000Z;INTERVAL=1;BYDAY=MO, TU, WE, TH, FR']);
    expect(o.text).toMatch(/BYDAY=MO,TU,WE,TH,FR/);
    expect(occurrenceDates(o.text)).toEqual(['2015-07-03', '2015-07-06', '2015-07-07', '2015-07-08', '2015-07-09', '2015-07-10']);
  });
});

describe('event ends', () => {
  it('gives an all-day event without DTEND the next day as DTEND', () => {
    const o = one(['DTSTART;VALUE=DATE:20241231']);
    expect(o.text).toMatch(/^DTEND;VALUE=DATE:20250101\r$/m);
  });

  it('gives a timed event without DTEND or DURATION DURATION:PT0S', () => {
    const o = one(['DTSTART:20240701T100000Z']);
    expect(o.text).toMatch(/^DURATION:PT0S\r$/m);
    expect(o.text).not.toMatch(/^DTEND/m);
  });

  it('keeps the start of an event whose DTEND is before DTSTART and warns naming both', () => {
    const o = one(['DTSTART:20240701T100000Z', 'DTEND:20240701T090000Z']);
    expect(o.text).toMatch(/^DTSTART:20240701T100000Z\r$/m);
    expect(o.text).toMatch(/^DURATION:PT0S\r$/m);
    expect(o.warnings).toEqual(['DTEND 2024-07-01T09:00:00Z before DTSTART 2024-07-01T10:00:00Z: the event keeps its start and ends there (DURATION:PT0S)']);
  });

  it('adds a DTSTAMP from LAST-MODIFIED when missing', () => {
    const r = normalizeICalendar(calendarFile([['BEGIN:VEVENT', 'UID:s@x', 'LAST-MODIFIED:20230405T060708Z', 'DTSTART:20240701T100000Z', 'DTEND:20240701T110000Z', 'END:VEVENT']]), opts);
    expect(r.objects[0]!.text).toMatch(/^DTSTAMP:20230405T060708Z\r$/m);
  });
});

describe('attachments', () => {
  const b64 = (n: number) => Buffer.alloc(n, 7).toString('base64');
  it('keeps small inline and URI attachments and drops a large inline one with a warning naming it', () => {
    const o = one([
      'DTSTART:20240701T100000Z', 'DTEND:20240701T110000Z',
      `ATTACH;VALUE=BINARY;ENCODING=BASE64;FMTTYPE=text/plain;X-FILENAME=small.txt:${b64(100)}`,
      `ATTACH;VALUE=BINARY;ENCODING=BASE64;FMTTYPE=application/pdf;FILENAME=plan.pdf:${b64(3000)}`,
      'ATTACH;FMTTYPE=application/pdf:https://example.org/plan.pdf',
    ], [], { ...opts, maxAttachmentBytes: 2048 });
    const attach = parse(o.text).getFirstSubcomponent('vevent')!.getAllProperties('attach');
    expect(attach.map((p) => p.getParameter('x-filename') ?? p.getFirstValue())).toEqual(['small.txt', 'https://example.org/plan.pdf']);
    expect(o.warnings).toEqual(['attachment "plan.pdf" (2.9 KiB) not carried: over the 2 KiB limit for inline attachments']);
  });
});
