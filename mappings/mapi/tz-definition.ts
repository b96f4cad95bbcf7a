/**
 * MAPI time zone blobs → zone rules of the neutral model (src/model/groupware.ts `CustomZone`).
 * Pure; every field little-endian.
 *
 * - TZDEFINITION ([MS-OXOCAL] 2.2.1.41, PidLidAppointmentTimeZoneDefinitionRecur /
 *   …StartDisplay): version 2.x header (cbHeader, flags, a GUID when TZDEFINITION_FLAG_VALID_GUID,
 *   the Windows registry key name in UTF-16 when TZDEFINITION_FLAG_VALID_KEYNAME, cRules), then
 *   cRules TZRULEs (66 bytes, or 4 + their cbRule): version,
 *   cbRule, flags (0x2 effective, 0x1 matches PidLidTimeZoneStruct), wYear (the first year the
 *   rule applies), 14 bytes of zeros, lBias, lStandardBias, lDaylightBias, stStandardDate,
 *   stDaylightDate.
 * - TZREG (PidLidTimeZoneStruct, [MS-OXOCAL] 2.2.1.39, 48 bytes): lBias, lStandardBias,
 *   lDaylightBias, wStandardYear, stStandardDate, wDaylightYear, stDaylightDate.
 *
 * Biases are minutes west of UTC (UTC = local + bias): the model's offsets are minutes east, so
 * standard = -(bias + standardBias), daylight = -(bias + daylightBias). A SYSTEMTIME with
 * wMonth 0 means "no daylight saving time"; wDay is the week of the month (5 = last) and the
 * time is local, in the offset in force before the change (Windows' TIME_ZONE_INFORMATION).
 */
import type { CustomZone, ZonePeriod, ZoneTransitionRule } from '../../src/model/groupware.js';

export class TzBlobError extends Error {
  override readonly name = 'TzBlobError';
}

export interface SystemTime { year: number; month: number; dayOfWeek: number; day: number; hour: number; minute: number; second: number }

/** One rule of a zone: what a TZRULE (or a TZREG, as a rule without year) says. */
export interface TzRule {
  /** TZRULE flags (0x2 effective, 0x1 matches PidLidTimeZoneStruct); 0 for a TZREG. */
  flags: number;
  /** wYear: first year the rule applies (0 or 1601 = since always). */
  year: number;
  bias: number;
  standardBias: number;
  daylightBias: number;
  standardDate: SystemTime;
  daylightDate: SystemTime;
}

export interface TzDefinition {
  /** The Windows registry key name ("W. Europe Standard Time"), when the blob has one. */
  keyName?: string;
  rules: TzRule[];
}

export const TZRULE_FLAG_RECUR_CURRENT_TZREG = 0x1;
export const TZRULE_FLAG_EFFECTIVE_TZREG = 0x2;
const TZDEFINITION_FLAG_VALID_GUID = 0x1;
const TZDEFINITION_FLAG_VALID_KEYNAME = 0x2;
/** Bytes of a TZRULE up to and including stDaylightDate (its cbRule may announce more). */
const TZRULE_SIZE = 66;
const TZREG_SIZE = 48;

function systemTime(b: Buffer, at: number): SystemTime {
  const w = (i: number): number => b.readUInt16LE(at + 2 * i);
  return { year: w(0), month: w(1), dayOfWeek: w(2), day: w(3), hour: w(4), minute: w(5), second: w(6) };
}

function need(b: Buffer, end: number, what: string): void {
  if (b.length < end) throw new TzBlobError(`${what} is cut short (${b.length} bytes, needs ${end})`);
}

/** Parses a TZDEFINITION blob; throws TzBlobError naming what is wrong. */
export function parseTzDefinition(b: Buffer): TzDefinition {
  need(b, 6, 'the TZDEFINITION header');
  if (b[0] !== 2) throw new TzBlobError(`TZDEFINITION version ${b[0]}.${b[1]} is not 2.x`);
  const cbHeader = b.readUInt16LE(2);
  const flags = b.readUInt16LE(4);
  let at = flags & TZDEFINITION_FLAG_VALID_GUID ? 22 : 6;
  let keyName: string | undefined;
  if (flags & TZDEFINITION_FLAG_VALID_KEYNAME) {
    need(b, at + 2, 'the TZDEFINITION key name');
    const cch = b.readUInt16LE(at);
    need(b, at + 2 + 2 * cch, 'the TZDEFINITION key name');
    keyName = b.toString('utf16le', at + 2, at + 2 + 2 * cch).replace(/\0+$/, '').trim() || undefined;
  }
  // cRules follows the header (cbHeader counts the bytes after itself, cRules included)
  at = 4 + cbHeader - 2;
  need(b, at + 2, 'the TZDEFINITION rule count');
  const count = b.readUInt16LE(at);
  at += 2;
  const rules: TzRule[] = [];
  for (let i = 0; i < count; i++) {
    need(b, at + TZRULE_SIZE, `TZRULE ${i + 1} of ${count}`);
    if (b[at] !== 2) throw new TzBlobError(`TZRULE ${i + 1} has version ${b[at]}.${b[at + 1]}, not 2.x`);
    const size = Math.max(TZRULE_SIZE, 4 + b.readUInt16LE(at + 2));
    rules.push({
      flags: b.readUInt16LE(at + 4), year: b.readUInt16LE(at + 6),
      bias: b.readInt32LE(at + 22), standardBias: b.readInt32LE(at + 26), daylightBias: b.readInt32LE(at + 30),
      standardDate: systemTime(b, at + 34), daylightDate: systemTime(b, at + 50),
    });
    at += size;
  }
  return { keyName, rules };
}

/** Parses a TZREG blob (PidLidTimeZoneStruct) as a rule without year; throws TzBlobError. */
export function parseTzReg(b: Buffer): TzRule {
  need(b, TZREG_SIZE, 'the TZREG (PidLidTimeZoneStruct)');
  return {
    flags: 0, year: 0, bias: b.readInt32LE(0), standardBias: b.readInt32LE(4), daylightBias: b.readInt32LE(8),
    standardDate: systemTime(b, 14), daylightDate: systemTime(b, 32),
  };
}

/** The rule in force now: the one flagged effective, else the latest. */
export function effectiveRule(def: TzDefinition): TzRule | undefined {
  return def.rules.find((r) => r.flags & TZRULE_FLAG_EFFECTIVE_TZREG) ?? def.rules[def.rules.length - 1];
}

const sameTime = (a: SystemTime, b: SystemTime): boolean =>
  a.year === b.year && a.month === b.month && a.dayOfWeek === b.dayOfWeek && a.day === b.day && a.hour === b.hour && a.minute === b.minute;

/** True when two rules give the same offsets and transitions ([MS-OXOCAL] 2.2.1.41's consistency test). */
export function sameRule(a: TzRule, b: TzRule): boolean {
  return a.bias === b.bias && a.standardBias === b.standardBias && a.daylightBias === b.daylightBias
    && sameTime(a.standardDate, b.standardDate) && sameTime(a.daylightDate, b.daylightDate);
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** A SYSTEMTIME transition as a "week-th weekday of month" rule; an absolute date (wYear set) as the rule that hits it that year. */
function transition(t: SystemTime, what: string): ZoneTransitionRule {
  if (t.month < 1 || t.month > 12) throw new TzBlobError(`${what} has month ${t.month}`);
  const time = `${String(t.hour).padStart(2, '0')}:${String(t.minute).padStart(2, '0')}${t.second ? `:${String(t.second).padStart(2, '0')}` : ''}`;
  if (t.year !== 0) {
    const dow = new Date(Date.UTC(t.year, t.month - 1, t.day)).getUTCDay();
    const week = t.day + 7 > daysInMonth(t.year, t.month) ? 5 : Math.ceil(t.day / 7);
    return { month: t.month, week, dayOfWeek: dow, time };
  }
  if (t.day < 1 || t.day > 5 || t.dayOfWeek > 6) throw new TzBlobError(`${what} has week ${t.day}, weekday ${t.dayOfWeek}`);
  return { month: t.month, week: t.day, dayOfWeek: t.dayOfWeek, time };
}

/** One rule as a period of the model. */
export function rulePeriod(r: TzRule): ZonePeriod {
  const standardOffset = -(r.bias + r.standardBias);
  const fromYear = r.year > 1601 ? r.year : undefined;
  if (r.standardDate.month === 0 || r.daylightDate.month === 0 || r.standardBias === r.daylightBias) return { fromYear, standardOffset };
  return {
    fromYear, standardOffset,
    daylight: {
      offset: -(r.bias + r.daylightBias),
      start: transition(r.daylightDate, 'the daylight saving time start'),
      end: transition(r.standardDate, 'the daylight saving time end'),
    },
  };
}

/** Rules → a custom zone named `name`, one period per rule year (sorted, the last rule of a year wins). */
export function rulesToCustomZone(name: string, rules: readonly TzRule[]): CustomZone {
  if (rules.length === 0) throw new TzBlobError('no rules');
  const byYear = new Map<number, ZonePeriod>();
  for (const r of rules) {
    const p = rulePeriod(r);
    byYear.set(p.fromYear ?? 0, p);
  }
  const periods = [...byYear.entries()].sort(([a], [b]) => a - b).map(([, p]) => p);
  return { name, periods };
}
