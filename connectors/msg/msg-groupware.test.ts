/**
 * .msg appointments and contacts → iCalendar / vCard on the shared fixture files (recurrence with
 * a cancelled and a moved occurrence, zones, an ANSI CP932 contact), parsed back with ical.js.
 * Needs the shared fixtures (UMS_FIXTURES_DIR); without them the tests fail saying so, unless
 * UMS_SKIP_ORACLE=1.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ICAL from 'ical.js';
import { wallSeries } from '../../mappings/mapi/test-support.js';
import { fixturesDir, oracleSkipped } from '../pst/readpst-oracle.js';
import { msgGroupwareContent } from './msg-groupware.js';

const dir = join(fixturesDir(), 'pst', 'msg');
const maybe = oracleSkipped() ? describe.skip : describe;
const read = (name: string) => readFileSync(join(dir, name));

function calendar(name: string): ICAL.Component {
  const out = msgGroupwareContent(read(name), name, `fallback-${name}`);
  expect(out?.kind).toBe('event');
  return new ICAL.Component(ICAL.parse(out!.content.toString('utf8')));
}
const time = (v: ICAL.Component, prop: string) => (v.getFirstPropertyValue(prop) as ICAL.Time);

maybe('.msg groupware items → iCalendar / vCard', () => {
  if (!existsSync(dir)) {
    test('prerequisites', () => { throw new Error(`.msg fixtures not found at ${dir}: point UMS_FIXTURES_DIR at the shared test data, or set UMS_SKIP_ORACLE=1`); });
    return;
  }

  test('a weekly series in Tokyo with a cancelled and a moved occurrence', () => {
    const cal = calendar('Lanch_time_every_friday_in_2023_chgs2.msg');
    const [master, moved, ...rest] = cal.getAllSubcomponents('vevent');
    expect(rest).toEqual([]);
    expect(master!.getFirstProperty('dtstart')!.getParameter('tzid')).toBe('Asia/Tokyo');
    expect(time(master!, 'dtstart').toJSDate().toISOString()).toBe('2023-01-06T03:00:00.000Z');
    const rrule = master!.getFirstPropertyValue('rrule') as ICAL.Recur;
    expect([rrule.freq, rrule.parts.BYDAY]).toEqual(['WEEKLY', ['FR']]);
    expect(rrule.until?.toJSDate().toISOString()).toBe('2023-12-31T03:00:00.000Z');
    expect(master!.getAllProperties('exdate').map((p) => (p.getFirstValue() as ICAL.Time).toJSDate().toISOString())).toEqual(['2023-01-06T03:00:00.000Z']);
    expect(time(moved!, 'recurrence-id').toJSDate().toISOString()).toBe('2023-01-13T03:00:00.000Z');
    expect(time(moved!, 'dtstart').toJSDate().toISOString()).toBe('2023-01-12T03:00:00.000Z');
    expect(moved!.getFirstPropertyValue('location')).toBe('Awesome coffee shop');
    expect(moved!.getFirstPropertyValue('summary')).toBe('Lanch time, every friday, in 2023 [rescheduled!]');
    // the series before the changes has the same UID (from its global object id)
    const org = calendar('Lanch_time_every_friday_in_2023_org.msg').getFirstSubcomponent('vevent')!;
    expect(org.getFirstPropertyValue('uid')).toBe(master!.getFirstPropertyValue('uid'));
    expect(String(master!.getFirstPropertyValue('uid'))).toMatch(/^040000008200E00074C5B7101A82E008/);
  });

  test('single and all-day appointments keep their zone and dates', () => {
    const est = calendar('Appointment_sample_EST.msg').getFirstSubcomponent('vevent')!;
    expect(est.getFirstProperty('dtstart')!.getParameter('tzid')).toBe('America/New_York');
    expect(time(est, 'dtstart').toString()).toBe('2022-12-04T08:00:00');
    const daily = calendar('A_daily_1.msg').getFirstSubcomponent('vevent')!;
    expect(daily.getFirstProperty('dtstart')!.type).toBe('date');
    expect(time(daily, 'dtstart').toString()).toBe('2022-12-12');
    const yearly = calendar('A_yearly_1.msg').getFirstSubcomponent('vevent')!;
    expect((yearly.getFirstPropertyValue('rrule') as ICAL.Recur).toString()).toBe('FREQ=YEARLY;COUNT=1;BYMONTHDAY=12;BYMONTH=12');
  });

  test.each([
    // file, DTSTART as a calendar shows it (local date, time, weekday, zone), BYDAY
    ['Appointment_sample_EST.msg', '2022-12-04T08:00 SU America/New_York', undefined],
    ['A_weekly_1.msg', '2022-12-12T16:00 MO Asia/Tokyo', ['MO']],
    ['A_daily_1.msg', '2022-12-12 MO', ['MO', 'TU', 'WE', 'TH', 'FR']],
    ['Lanch_time_every_friday_in_2023_org.msg', '2023-01-06T12:00 FR Asia/Tokyo', ['FR']],
    ['Lanch_time_every_friday_in_2023_chgs2.msg', '2023-01-06T12:00 FR Asia/Tokyo', ['FR']],
  ])('%s: on its own day at its own local time, every occurrence inside the pattern', (name, start, byDay) => {
    const out = msgGroupwareContent(read(name), name, 'x')!;
    expect(out.warnings).toBeUndefined();
    const [series, ...more] = wallSeries(out.content.toString('utf8'));
    expect(more).toEqual([]);
    expect(series).toMatchObject({ start, byDay, offPattern: [] });
    // recurrence exceptions are stored as hidden attached messages: never user attachments
    expect(out.content.toString('utf8')).not.toMatch(/^ATTACH/m);
  });

  test('the Unicode and the ANSI (CP932) contact give the same card', () => {
    const cards = ['contactUnicode.msg', 'contactAnsi.msg'].map((name) => {
      const out = msgGroupwareContent(read(name), name, 'same-uid');
      expect(out?.kind).toBe('contact');
      return new ICAL.Component(ICAL.parse(out!.content.toString('utf8')));
    });
    for (const c of cards) {
      expect(c.getFirstPropertyValue('fn')).toBe('Mr. イグザンプル ドット コム 殿');
      expect(c.getFirstPropertyValue('n')).toEqual(['イグザンプル', 'コム', 'ドット', 'Mr.', '殿']);
      expect(c.getFirstPropertyValue('email')).toBe('test@example.com');
      expect(c.getFirstPropertyValue('bday')?.toString()).toBe('2000-01-01');
      expect(c.getFirstPropertyValue('adr')).toEqual(['', '', 'Somewhere', 'Osaka', 'Osaka', '544-0001', '日本']);
    }
    const strip = (c: ICAL.Component) => c.toString().replace(/\r\nREV:[^\r]*/, '');
    expect(strip(cards[1]!)).toBe(strip(cards[0]!));
  });

  test('mail items are left to the MIME builder; a file that is not a .msg is an error', () => {
    expect(msgGroupwareContent(read('voteItems.msg'), 'voteItems.msg', 'x')).toBeUndefined();
    expect(() => msgGroupwareContent(Buffer.from('not a compound file'), 'bad.msg', 'x')).toThrow(/not an Outlook \.msg file/);
  });
});
