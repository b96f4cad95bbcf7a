import type { CustomZone } from '../../src/model/groupware.js';
import { offsetMinutes } from '../groupware/time-zones.js';
import { appointmentZone } from './appointment-zone.js';
import { customOffsetMinutes, fixedZone, wallToUtc, zoneDate } from './custom-zone.js';
import { BERLIN, INDIA, tzDefinition, tzReg, type RuleSpec } from './test-support.js';
import { parseTzDefinition, parseTzReg, rulesToCustomZone, TzBlobError } from './tz-definition.js';

describe('MAPI TZDEFINITION / TZREG → custom zone', () => {
  it('turns a Berlin-like rule into one period with the daylight saving rules', () => {
    const def = parseTzDefinition(tzDefinition('My Own Zone', [BERLIN]));
    expect(def.keyName).toBe('My Own Zone');
    expect(rulesToCustomZone('My Own Zone', def.rules)).toEqual({
      name: 'My Own Zone',
      periods: [{
        fromYear: 2007, standardOffset: 60,
        daylight: { offset: 120, start: { month: 3, week: 5, dayOfWeek: 0, time: '02:00' }, end: { month: 10, week: 5, dayOfWeek: 0, time: '03:00' } },
      }],
    });
  });

  it('turns a +05:30 rule without daylight saving time into a fixed period', () => {
    const def = parseTzDefinition(tzDefinition(undefined, [INDIA]));
    expect(def.keyName).toBeUndefined();
    expect(rulesToCustomZone('x', def.rules).periods).toEqual([{ fromYear: undefined, standardOffset: 330 }]);
  });

  it('keeps one period per rule year when the rules changed (US 2006 → 2007)', () => {
    const old: RuleSpec = { year: 2006, bias: 300, dst: -60, stdDate: [0, 10, 0, 5, 2, 0], dstDate: [0, 4, 0, 1, 2, 0] };
    const now: RuleSpec = { year: 2007, bias: 300, dst: -60, stdDate: [0, 11, 0, 1, 2, 0], dstDate: [0, 3, 0, 2, 2, 0], flags: 2 };
    const zone = rulesToCustomZone('Eastern', parseTzDefinition(tzDefinition('Eastern', [old, now])).rules);
    expect(zone.periods.map((p) => [p.fromYear, p.standardOffset, p.daylight?.offset, p.daylight?.start.month, p.daylight?.end.month]))
      .toEqual([[2006, -300, -240, 4, 10], [2007, -300, -240, 3, 11]]);
    // 2006: DST from the first Sunday of April (2 April); 2007: from the second Sunday of March (11 March)
    expect(customOffsetMinutes(Date.UTC(2006, 2, 20, 12), zone)).toBe(-300);
    expect(customOffsetMinutes(Date.UTC(2007, 2, 20, 12), zone)).toBe(-240);
    expect(customOffsetMinutes(Date.UTC(2007, 10, 4, 5, 59), zone)).toBe(-240);
    expect(customOffsetMinutes(Date.UTC(2007, 10, 4, 6, 0), zone)).toBe(-300);
  });

  it('reads a TZREG (PidLidTimeZoneStruct) as a rule without year', () => {
    const r = parseTzReg(tzReg(BERLIN));
    expect(rulesToCustomZone('x', [r]).periods[0]).toMatchObject({ fromYear: undefined, standardOffset: 60, daylight: { offset: 120 } });
  });

  it('refuses damaged blobs with the reason', () => {
    expect(() => parseTzDefinition(Buffer.from([1, 0, 0, 0, 0, 0]))).toThrow(/version 1\.0 is not 2\.x/);
    expect(() => parseTzDefinition(tzDefinition('X', [BERLIN]).subarray(0, 40))).toThrow(TzBlobError);
    expect(() => parseTzReg(Buffer.alloc(20))).toThrow(/cut short \(20 bytes, needs 48\)/);
  });
});

describe('custom zone arithmetic', () => {
  const berlin = rulesToCustomZone('B', parseTzDefinition(tzDefinition('B', [BERLIN])).rules);

  it('agrees with the IANA zone on every hour of a year', () => {
    const differ: string[] = [];
    for (let t = Date.UTC(2024, 0, 1); t < Date.UTC(2025, 0, 1); t += 3600_000) {
      if (customOffsetMinutes(t, berlin) !== offsetMinutes(t, 'Europe/Berlin')) differ.push(new Date(t).toISOString());
    }
    expect(differ).toEqual([]);
    // local 2024-03-31 01:30 (before the change) and 03:30 (after it)
    expect(wallToUtc(Date.UTC(2024, 2, 31, 1, 30), berlin).toISOString()).toBe('2024-03-31T00:30:00.000Z');
    expect(wallToUtc(Date.UTC(2024, 2, 31, 3, 30), berlin).toISOString()).toBe('2024-03-31T01:30:00.000Z');
  });

  it('handles a southern-hemisphere zone (DST across the new year)', () => {
    const south: CustomZone = rulesToCustomZone('S', [{ flags: 0, year: 0, bias: -600, standardBias: 0, daylightBias: -60,
      standardDate: { year: 0, month: 4, dayOfWeek: 0, day: 1, hour: 3, minute: 0, second: 0 },
      daylightDate: { year: 0, month: 10, dayOfWeek: 0, day: 1, hour: 2, minute: 0, second: 0 } }]);
    expect(customOffsetMinutes(Date.UTC(2024, 0, 10), south)).toBe(660);
    expect(customOffsetMinutes(Date.UTC(2024, 5, 10), south)).toBe(600);
    expect(zoneDate(Date.UTC(2024, 0, 9, 13), south)).toBe('2024-01-10');
  });

  it('names fixed offsets: Etc/GMT for whole hours, a custom zone otherwise', () => {
    expect(fixedZone(-300)).toBe('Etc/GMT+5');
    expect(fixedZone(0)).toBe('UTC');
    expect(fixedZone(330)).toEqual({ name: 'UTC+05:30', periods: [{ standardOffset: 330 }] });
  });
});

describe('appointment zone: the order Outlook trusts the properties in', () => {
  const start = new Date('2024-05-01T08:00:00Z');

  it('takes the Windows key name when it resolves', () => {
    expect(appointmentZone({ defStart: tzDefinition('W. Europe Standard Time', [BERLIN]) }, false, start)).toBe('Europe/Berlin');
  });

  it('builds the zone from the rules when the name is unknown', () => {
    const z = appointmentZone({ defRecur: tzDefinition('Customized Time Zone', [BERLIN]) }, true, start);
    expect(z).toMatchObject({ name: 'Customized Time Zone', periods: [{ standardOffset: 60 }] });
  });

  it('prefers PidLidTimeZoneStruct over a TZDEFINITION that disagrees with it, named by a matching display name', () => {
    const z = appointmentZone({
      defRecur: tzDefinition('Tokyo Standard Time', [{ year: 1601, bias: -540, flags: 2 }]),
      struct: tzReg(BERLIN), description: '(GMT+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna',
    }, true, start);
    expect(z).toBe('Europe/Berlin');
  });

  it('does not trust a display name whose zone has other offsets than the TZREG', () => {
    const z = appointmentZone({ struct: tzReg(INDIA), description: '(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna' }, true, start);
    expect(z).toEqual({ name: '(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna', periods: [{ standardOffset: 330 }] });
  });

  it('fails naming what it found when no property gives a zone', () => {
    expect(() => appointmentZone({ defStart: tzDefinition('Atlantis Standard Time', []), description: 'Atlantis' }, false, start))
      .toThrow(/names the unknown zone "Atlantis Standard Time" and no rules; PidLidTimeZoneDescription "Atlantis" names no known zone/);
    expect(() => appointmentZone({ defStart: Buffer.from([9, 9]) }, false, start)).toThrow(/StartDisplay is damaged/);
  });

  it('is undefined only for an item without any zone property', () => {
    expect(appointmentZone({}, true, start)).toBeUndefined();
  });
});
