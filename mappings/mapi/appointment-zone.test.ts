import { weeklyRecurBlob } from '../../connectors/kopano/test-support.js';
import { eventToICalendar } from '../groupware/index.js';
import { LID, TAG, toCalendarEvent, type MapiPropertyReader, type PropRef } from './groupware-item.js';
import { BERLIN, INDIA, tzDefinition, tzReg, wallSeries } from './test-support.js';

type Value = string | boolean | Date | Buffer;

function props(entries: [PropRef, Value][]): MapiPropertyReader {
  const key = (p: PropRef): string => (typeof p === 'number' ? `t${p}` : `${p[0]}:${p[1]}`);
  const m = new Map(entries.map(([k, v]) => [key(k), v]));
  const get = <T>(p: PropRef, ok: (v: Value) => boolean): T | undefined => { const v = m.get(key(p)); return v !== undefined && ok(v) ? (v as T) : undefined; };
  return {
    string: (p) => get(p, (v) => typeof v === 'string'), number: () => undefined, bool: (p) => get(p, (v) => typeof v === 'boolean'),
    date: (p) => get(p, (v) => v instanceof Date), binary: (p) => get(p, (v) => Buffer.isBuffer(v)), binaries: () => undefined,
  };
}

const appointment = (entries: [PropRef, Value][]) => ({ label: 'cal.pst node 5', fallbackUid: 'u5', recipients: [], props: props([[TAG.SUBJECT, 'Jour fixe'], ...entries]) });

// Mondays 10:00–11:00 local from 2024-03-04, 6 times: across the European DST change of 31 March
const weekly = (start: Date, tz: [PropRef, Value][]) => appointment([
  [LID.start, start], [LID.end, new Date(start.getTime() + 3600_000)], [LID.recurring, true],
  [LID.recur, weeklyRecurBlob({ start: '2024-03-04', days: 0x02, count: 6, deleted: [], startOffset: 600, endOffset: 660 })], ...tz,
]);

describe('MAPI appointment zones through the mapping', () => {
  it('a series in a zone known only by its rules keeps 10:00 local on Mondays across DST (custom zone)', () => {
    const ev = toCalendarEvent(weekly(new Date('2024-03-04T09:00:00Z'), [[LID.tzDefRecur, tzDefinition('Customized Time Zone', [BERLIN])]]));
    expect(ev.start.customZone?.name).toBe('Customized Time Zone');
    expect(ev.start.customZone?.periods[0]).toMatchObject({ fromYear: 2007, standardOffset: 60, daylight: { offset: 120 } });
    expect(ev.start.utc.toISOString()).toBe('2024-03-04T09:00:00.000Z');
    const [series] = wallSeries(eventToICalendar(ev));
    expect(series!.start).toMatch(/^2024-03-04T10:00 MO /);
    expect(series!.offPattern).toEqual([]);
  });

  it('a +05:30 series without any zone property keeps its local time (no UTC fall-back)', () => {
    // local 10:00 at +05:30 = 04:30 UTC
    const ev = toCalendarEvent(weekly(new Date('2024-03-04T04:30:00Z'), []));
    expect(ev.start.customZone).toEqual({ name: 'UTC+05:30', periods: [{ standardOffset: 330 }] });
    const [series] = wallSeries(eventToICalendar(ev));
    expect(series!.start).toMatch(/^2024-03-04T10:00 MO /);
    expect(series!.offPattern).toEqual([]);
  });

  it('an all-day appointment takes its date in the zone of PidLidTimeZoneStruct / PidLidTimeZoneDescription', () => {
    // midnight in India is 18:30 UTC the day before
    const ev = toCalendarEvent(appointment([
      [LID.start, new Date('2024-05-09T18:30:00Z')], [LID.end, new Date('2024-05-10T18:30:00Z')], [LID.subType, true],
      [LID.tzDefStart, tzDefinition(undefined, [INDIA])], [LID.tzDescription, '(UTC+05:30) Chennai, Kolkata, Mumbai, New Delhi'],
    ]));
    expect([ev.start.date, ev.end?.date]).toEqual(['2024-05-10', '2024-05-11']);
    const viaStruct = toCalendarEvent(appointment([
      [LID.start, new Date('2024-05-09T22:00:00Z')], [LID.subType, true], [LID.tzStruct, tzReg(BERLIN)],
      [LID.tzDescription, '(GMT+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna'],
    ]));
    expect(viaStruct.start.date).toBe('2024-05-10');
  });

  it('a zone that is neither named nor given by rules fails the item, naming what was found', () => {
    expect(() => toCalendarEvent(appointment([[LID.start, new Date('2024-05-09T08:00:00Z')], [LID.tzDescription, 'Mars Standard Time']])))
      .toThrow('cal.pst node 5: the time zone cannot be determined: PidLidTimeZoneDescription "Mars Standard Time" names no known zone');
  });

  it('a zone-less single appointment keeps its exact UTC instant', () => {
    const ev = toCalendarEvent(appointment([[LID.start, new Date('2024-05-09T08:00:00Z')]]));
    expect(ev.start).toEqual({ utc: new Date('2024-05-09T08:00:00Z') });
  });
});
