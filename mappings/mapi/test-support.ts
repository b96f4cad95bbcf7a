/**
 * Test helpers: MAPI time zone blobs built as [MS-OXOCAL] 2.2.1.39/2.2.1.41 lay them out, and
 * the wall-clock view of a converted calendar (what a calendar shows), computed by ical.js from
 * the object's own VTIMEZONEs, so a test can compare days and times with an oracle and find a
 * DTSTART outside its own RRULE.
 */
import ICAL from 'ical.js';

const DAYS = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'];

export interface WallSeries {
  summary: string;
  /** DTSTART as shown: "2023-01-06T12:00 FR Asia/Tokyo", or "2022-12-12 MO" for a date. */
  start: string;
  /** The RRULE's BYDAY, when it has one. */
  byDay?: string[];
  /** Every expanded occurrence (up to the limit) whose local weekday or time differs from the pattern's. */
  offPattern: string[];
}

const show = (t: ICAL.Time): string => `${t.toString().slice(0, t.isDate ? 10 : 16)} ${DAYS[t.dayOfWeek() - 1]}`;

/** The master VEVENTs of an iCalendar text, as wall-clock series (occurrences expanded up to `limit`). */
export function wallSeries(ics: string, limit = 60): WallSeries[] {
  const cal = new ICAL.Component(ICAL.parse(ics));
  for (const vtz of cal.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(new ICAL.Timezone(vtz));
  try {
    return cal.getAllSubcomponents('vevent').filter((v) => !v.hasProperty('recurrence-id')).map((v) => {
      const ev = new ICAL.Event(v);
      const start = ev.startDate;
      const tzid = v.getFirstProperty('dtstart')?.getParameter('tzid');
      const rrule = v.getFirstPropertyValue('rrule') as ICAL.Recur | null;
      const byDay = rrule?.parts.BYDAY?.map((d) => String(d).replace(/^[-+]?\d+/, ''));
      const offPattern: string[] = [];
      if (rrule) {
        const it = ev.iterator();
        const hhmm = start.toString().slice(11, 16);
        for (let i = 0, next = it.next(); next && i < limit; i++, next = it.next()) {
          const local = next.convertToZone(start.zone);
          const day = DAYS[local.dayOfWeek() - 1]!;
          if ((byDay && rrule.freq === 'WEEKLY' && !byDay.includes(day)) || (!start.isDate && local.toString().slice(11, 16) !== hhmm)) offPattern.push(show(local));
        }
      }
      return { summary: String(v.getFirstPropertyValue('summary') ?? ''), start: `${show(start)}${tzid ? ` ${tzid}` : ''}`, byDay, offPattern };
    });
  } finally {
    for (const vtz of cal.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.remove(String(vtz.getFirstPropertyValue('tzid')));
  }
}

/** SYSTEMTIME fields: [year, month, dayOfWeek, day(week), hour, minute]. */
export type St = [number, number, number, number, number, number];
export interface RuleSpec { year: number; bias: number; std?: number; dst?: number; stdDate?: St; dstDate?: St; flags?: number }

function systemTime(t: St = [0, 0, 0, 0, 0, 0]): Buffer {
  const b = Buffer.alloc(16);
  t.forEach((v, i) => b.writeUInt16LE(v, 2 * i));
  return b;
}

/** A TZRULE as [MS-OXOCAL] 2.2.1.41.1 lays it out. */
function tzRule(r: RuleSpec): Buffer {
  const b = Buffer.alloc(34);
  b.writeUInt8(2, 0); b.writeUInt8(1, 1); b.writeUInt16LE(0x3e, 2); b.writeUInt16LE(r.flags ?? 0, 4); b.writeUInt16LE(r.year, 6);
  b.writeInt32LE(r.bias, 22); b.writeInt32LE(r.std ?? 0, 26); b.writeInt32LE(r.dst ?? 0, 30);
  return Buffer.concat([b, systemTime(r.stdDate), systemTime(r.dstDate)]);
}

export function tzDefinition(keyName: string | undefined, rules: RuleSpec[]): Buffer {
  const name = keyName === undefined ? Buffer.alloc(0) : Buffer.concat([Buffer.from([keyName.length & 0xff, keyName.length >> 8]), Buffer.from(keyName, 'utf16le')]);
  const head = Buffer.alloc(6);
  head.writeUInt8(2, 0); head.writeUInt8(1, 1); head.writeUInt16LE(2 + name.length + 2, 2); head.writeUInt16LE(keyName === undefined ? 0 : 2, 4);
  const count = Buffer.alloc(2);
  count.writeUInt16LE(rules.length);
  return Buffer.concat([head, name, count, ...rules.map(tzRule)]);
}

export function tzReg(r: RuleSpec): Buffer {
  const b = Buffer.alloc(12);
  b.writeInt32LE(r.bias, 0); b.writeInt32LE(r.std ?? 0, 4); b.writeInt32LE(r.dst ?? 0, 8);
  return Buffer.concat([b, Buffer.alloc(2), systemTime(r.stdDate), Buffer.alloc(2), systemTime(r.dstDate)]);
}

// Central Europe: standard UTC+1 (Bias -60), summer +2 from the last Sunday of March 02:00 to the last Sunday of October 03:00
export const BERLIN: RuleSpec = { year: 2007, bias: -60, dst: -60, stdDate: [0, 10, 0, 5, 3, 0], dstDate: [0, 3, 0, 5, 2, 0], flags: 2 };
export const INDIA: RuleSpec = { year: 1601, bias: -330 };
