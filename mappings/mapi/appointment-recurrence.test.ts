import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import MsgReaderMod from '@kenjiuno/msgreader';
import type { AppointmentRecur } from '@kenjiuno/msgreader/lib/AppointmentRecurParser.js';
import { fixturesDir } from '../../connectors/pst/readpst-oracle.js';
import { weeklyRecurBlob as weeklyBlob } from '../../connectors/kopano/test-support.js';
import { localMinutesToUtc, parseAppointmentRecur, seriesRecurrence } from './appointment-recurrence.js';

const minutesOf = (isoDay: string): number => Date.parse(`${isoDay}T00:00:00Z`) / 60000 + 11644473600 / 60;

describe('MAPI recurring appointments → neutral recurrence', () => {
  it('turns local wall-clock minutes into instants across a DST change', () => {
    expect(localMinutesToUtc(minutesOf('2024-03-04') + 600, 'Europe/Berlin').toISOString()).toBe('2024-03-04T09:00:00.000Z');
    expect(localMinutesToUtc(minutesOf('2024-04-01') + 600, 'Europe/Berlin').toISOString()).toBe('2024-04-01T08:00:00.000Z');
  });

  it('reads a weekly blob: RRULE parts, count, first occurrence in the zone, cancelled occurrence', () => {
    const blob = weeklyBlob({ start: '2024-03-04', days: 0x02 | 0x08, count: 10, deleted: ['2024-03-06'], startOffset: 600, endOffset: 660 });
    const s = seriesRecurrence(parseAppointmentRecur(blob), 'Europe/Berlin', false);
    expect(s.recurrence).toEqual({ freq: 'WEEKLY', interval: 1, byDay: ['MO', 'WE'], weekStart: 'MO', count: 10 });
    expect(s.firstStart).toEqual({ utc: new Date('2024-03-04T09:00:00Z'), tzid: 'Europe/Berlin' });
    expect(s.firstEnd.utc.toISOString()).toBe('2024-03-04T10:00:00.000Z');
    expect(s.deletedOccurrences.map((d) => d.utc.toISOString())).toEqual(['2024-03-06T09:00:00.000Z']);
    expect(s.exceptions).toEqual([]);
  });

  it('maps monthly nth-weekday and yearly patterns, and all-day series as dates', () => {
    const base = (over: Partial<AppointmentRecur['recurrencePattern']>): AppointmentRecur => ({
      recurrencePattern: {
        recurFrequency: 0x200c, patternType: 3, calendarType: 0, firstDateTime: 0, period: 1, slidingFlag: 0, endType: 0x2023, occurrenceCount: 0, firstDOW: 0,
        deletedInstanceDates: [], modifiedInstanceDates: [], startDate: minutesOf('2024-01-30'), endDate: 0x5ae980df,
        patternTypeMonthNth: { dayOfWeekBits: 0x04, n: 5 }, ...over,
      },
      startTimeOffset: 0, endTimeOffset: 1440, exceptionInfo: [],
    });
    expect(seriesRecurrence(base({}), 'UTC', true).recurrence).toEqual({ freq: 'MONTHLY', interval: 1, byDay: ['TU'], bySetPos: [-1] });
    const yearly = seriesRecurrence(base({ recurFrequency: 0x200d, patternType: 2, period: 12, patternTypeMonth: { day: 30 } }), 'UTC', true);
    expect(yearly.recurrence).toEqual({ freq: 'YEARLY', interval: 1, byMonth: [1], byMonthDay: [30] });
    expect(yearly.firstStart).toEqual({ utc: new Date('2024-01-30T00:00:00Z'), date: '2024-01-30' });
    expect(() => seriesRecurrence(base({ patternType: 10 }), 'UTC', true)).toThrow(/Hijri/);
  });

  describe('on the Outlook .msg samples (shared fixtures)', () => {
    const file = join(fixturesDir(), 'pst', 'msg', 'Lanch_time_every_friday_in_2023_chgs2.msg');
    if (!existsSync(file)) {
      // the shared fixtures are part of every checkout and CI: a missing one is a failure that says where to look
      it('has its fixture', () => { throw new Error(`fixture ${file} not found (set UMS_FIXTURES_DIR to the shared fixtures)`); });
      return;
    }
    it('a weekly Friday series in Tokyo with one cancelled and one moved occurrence', () => {
      type Reader = typeof MsgReaderMod.default;
      const mod = MsgReaderMod as unknown as Reader & { default?: Reader };
      const MsgReader: Reader = typeof mod.default === 'function' ? mod.default : mod;
      const d = new MsgReader(new DataView(new Uint8Array(readFileSync(file)).buffer)).getFileData() as { apptRecur: AppointmentRecur; apptStartWhole: string };
      const s = seriesRecurrence(d.apptRecur, 'Asia/Tokyo', false);
      expect(s.recurrence).toMatchObject({ freq: 'WEEKLY', interval: 1, byDay: ['FR'] });
      // The range end the user picked (31 Dec; the last Friday is the 29th): the same occurrences.
      expect(s.recurrence.until?.utc.toISOString().slice(0, 10)).toBe('2023-12-31');
      expect(s.firstStart.utc.toISOString()).toBe(new Date(d.apptStartWhole).toISOString());
      expect(s.deletedOccurrences).toHaveLength(1);
      expect(s.exceptions).toHaveLength(1);
      expect(s.exceptions[0]!.recurrenceId).toEqual({ utc: new Date('2023-01-13T03:00:00Z'), tzid: 'Asia/Tokyo' });
      expect(s.deletedOccurrences[0]!.utc.toISOString()).toBe('2023-01-06T03:00:00.000Z');
    });
  });
});
