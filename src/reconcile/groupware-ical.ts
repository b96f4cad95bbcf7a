/**
 * iCalendar objects as the groupware reconciliation compares them: per UID, the master and its
 * overrides (keyed by their resolved RECURRENCE-ID), each reduced to a canonical set of fields.
 * What is compared: SUMMARY, LOCATION, DESCRIPTION (whitespace-normalised), DTSTART, DTEND (DTEND
 * or DTSTART + DURATION, or the RFC 5545 default), DUE, COMPLETED (as resolved times, see
 * groupware-time.ts), RRULE (parts sorted, UNTIL resolved), EXDATE and RDATE (sets), STATUS,
 * CLASS, TRANSP, PRIORITY, PERCENT-COMPLETE, CATEGORIES (set), ORGANIZER and ATTENDEE addresses
 * (lower-case, without "mailto:"), the number of attachments. Ignored: DTSTAMP, PRODID,
 * LAST-MODIFIED, CREATED, SEQUENCE, METHOD, X- properties, property order, line folding,
 * parameter case and order, VTIMEZONE texts. Pure.
 */
import ICAL from 'ical.js';
import { resolveAll, resolveProperty, type ResolvedTime } from './groupware-time.js';

/** Field name → canonical value (absent field: not in the map). */
export type Fields = Map<string, string>;

export interface CalendarSeries {
  uid: string;
  type: 'VEVENT' | 'VTODO' | 'VJOURNAL';
  /** The master (no RECURRENCE-ID), when the object has one. */
  master?: ICAL.Component;
  /** Overrides by resolved RECURRENCE-ID label. */
  overrides: Map<string, ICAL.Component>;
  /** Problems found while reading (a second master, two overrides for one RECURRENCE-ID). */
  notes: string[];
}

/** Field names whose values are personal data: shown only with --show-subjects, hashed otherwise. */
export const PRIVATE_FIELDS = new Set(['SUMMARY', 'LOCATION', 'DESCRIPTION', 'CATEGORIES', 'ORGANIZER', 'ATTENDEE']);

const COMPONENTS = ['vevent', 'vtodo', 'vjournal'] as const;

/** Parses iCalendar text (one or more VCALENDARs) into series by UID. Throws on text that is not iCalendar. */
export function readCalendarObjects(text: string): CalendarSeries[] {
  const parsed: unknown = ICAL.parse(text);
  const roots = (Array.isArray(parsed) && Array.isArray(parsed[0]) ? parsed : [parsed]) as unknown[];
  const byUid = new Map<string, CalendarSeries>();
  for (const jcal of roots) {
    const cal = new ICAL.Component(jcal as unknown[]);
    if (cal.name !== 'vcalendar') throw new Error(`expected a VCALENDAR, found ${cal.name.toUpperCase()}`);
    for (const name of COMPONENTS) {
      for (const comp of cal.getAllSubcomponents(name)) {
        const uid = String(comp.getFirstPropertyValue('uid') ?? '').trim();
        if (uid === '') throw new Error(`a ${name.toUpperCase()} without UID`);
        let s = byUid.get(uid);
        if (!s) { s = { uid, type: name.toUpperCase() as CalendarSeries['type'], overrides: new Map(), notes: [] }; byUid.set(uid, s); }
        addComponent(s, comp);
      }
    }
  }
  return [...byUid.values()];
}

/** Adds one component to its series (used also to merge the objects of one UID spread over several items). */
export function addComponent(s: CalendarSeries, comp: ICAL.Component): void {
  const rid = resolveProperty(comp.getFirstProperty('recurrence-id'));
  if (!rid) {
    if (s.master) s.notes.push('more than one master component (without RECURRENCE-ID); the first is compared');
    else s.master = comp;
    return;
  }
  if (s.overrides.has(rid.label)) s.notes.push(`two overrides for RECURRENCE-ID ${rid.label}; the first is compared`);
  else s.overrides.set(rid.label, comp);
}

function text(comp: ICAL.Component, name: string): string | undefined {
  const props = comp.getAllProperties(name);
  if (props.length === 0) return undefined;
  return props.map((p) => p.getValues().map((v) => String(v)).join(',')).join(',').replace(/\r\n?/g, '\n').replace(/[ \t]+/g, ' ').trim();
}

function address(v: unknown): string {
  return String(v).trim().replace(/^mailto:/i, '').toLowerCase();
}

function setOf(values: string[]): string | undefined {
  return values.length === 0 ? undefined : [...new Set(values)].sort().join(', ');
}

/** RRULE with its parts in a fixed order, BY lists sorted, UNTIL resolved, defaults (INTERVAL=1, WKST=MO) dropped. */
export function canonicalRule(prop: ICAL.Property): string {
  const rule = prop.getFirstValue() as ICAL.Recur;
  const parts: string[] = [`FREQ=${rule.freq}`];
  if (rule.interval && rule.interval !== 1) parts.push(`INTERVAL=${rule.interval}`);
  if (rule.count) parts.push(`COUNT=${rule.count}`);
  if (rule.until) {
    const tzid = prop.parent?.getFirstProperty('dtstart')?.getParameter('tzid');
    parts.push(`UNTIL=${resolveUntil(rule.until, typeof tzid === 'string' ? tzid : undefined)}`);
  }
  const byParts = rule.parts as Record<string, (string | number)[]>;
  for (const key of Object.keys(byParts).sort()) {
    const vals = byParts[key] ?? [];
    if (vals.length > 0) parts.push(`${key.toUpperCase()}=${vals.map((v) => String(v).toUpperCase()).sort().join(',')}`);
  }
  const wkst = (rule as unknown as { wkst?: number }).wkst;
  if (wkst !== undefined && wkst !== ICAL.Time.MONDAY) parts.push(`WKST=${wkst}`);
  return parts.join(';');
}

function resolveUntil(until: ICAL.Time, dtstartTzid?: string): string {
  // A floating UNTIL takes DTSTART's zone (RFC 5545 §3.3.10).
  const zone = until.zone as ICAL.Timezone | undefined;
  const floating = !until.isDate && zone !== ICAL.Timezone.utcTimezone && zone?.tzid !== 'UTC';
  return (floating && dtstartTzid ? resolveProperty(fakeProp(until, dtstartTzid)) : resolveProperty(fakeProp(until)))?.label ?? until.toString();
}

function fakeProp(t: ICAL.Time, tzid?: string): ICAL.Property {
  const p = new ICAL.Property('x-time');
  p.setValue(t);
  if (tzid) p.setParameter('tzid', tzid);
  return p;
}

/** Start, end and their difference, with the RFC 5545 defaults for a missing DTEND. */
export function startAndEnd(comp: ICAL.Component): { start?: ResolvedTime; end?: ResolvedTime } {
  const start = resolveProperty(comp.getFirstProperty('dtstart'));
  let end = resolveProperty(comp.getFirstProperty(comp.name === 'vtodo' ? 'due' : 'dtend'));
  const duration = comp.getFirstPropertyValue('duration');
  if (!end && start && duration instanceof ICAL.Duration) {
    const ms = start.ms + duration.toSeconds() * 1000;
    end = { ...endLike(start, ms) };
  } else if (!end && start && comp.name === 'vevent') {
    end = endLike(start, start.allDay ? start.ms + 86_400_000 : start.ms);
  }
  return { start, end };
}

function endLike(start: ResolvedTime, ms: number): ResolvedTime {
  const iso = new Date(ms).toISOString();
  if (start.allDay) return { label: iso.slice(0, 10), ms, allDay: true };
  if (start.label.endsWith('Z')) return { label: `${iso.slice(0, 19)}Z`, ms, allDay: false };
  return { label: `${iso.slice(0, 19)}${start.label.slice(19)}`, ms, allDay: false };
}

/** The canonical fields of one component (master or override). */
export function componentFields(comp: ICAL.Component): Fields {
  const f: Fields = new Map();
  const put = (k: string, v: string | undefined) => { if (v !== undefined && v !== '') f.set(k, v); };
  for (const name of ['summary', 'location', 'description', 'status', 'class', 'transp', 'priority', 'percent-complete']) {
    const v = text(comp, name);
    put(name.toUpperCase(), name === 'status' || name === 'class' || name === 'transp' ? v?.toUpperCase() : v);
  }
  const { start, end } = startAndEnd(comp);
  put('DTSTART', start?.label);
  put(comp.name === 'vtodo' ? 'DUE' : 'DTEND', end?.label);
  put('COMPLETED', resolveProperty(comp.getFirstProperty('completed'))?.label);
  put('RRULE', setOf(comp.getAllProperties('rrule').map(canonicalRule)));
  put('EXDATE', setOf(resolveAll(comp, 'exdate').map((t) => t.label)));
  put('RDATE', setOf(resolveAll(comp, 'rdate').map((t) => t.label)));
  put('CATEGORIES', setOf(comp.getAllProperties('categories').flatMap((p) => p.getValues().map((v) => String(v).trim()))));
  const org = comp.getFirstPropertyValue('organizer');
  put('ORGANIZER', org === null || org === undefined ? undefined : address(org));
  put('ATTENDEE', setOf(comp.getAllProperties('attendee').map((p) => address(p.getFirstValue()))));
  const attachments = comp.getAllProperties('attach').length;
  if (attachments > 0) put('ATTACH', `${attachments} attachment(s)`);
  return f;
}
