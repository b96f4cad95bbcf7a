/**
 * Neutral calendar events and tasks (src/model/groupware.ts) → iCalendar (RFC 5545) text, built
 * with ical.js. One VCALENDAR per item: a VEVENT (plus one VEVENT per moved/changed occurrence,
 * sharing the UID, with RECURRENCE-ID) or a VTODO, and a VTIMEZONE for every zone used.
 *
 * The output depends only on the input (DTSTAMP comes from the item's own dates), so an
 * unchanged item converts to identical bytes on every run.
 */
import ICAL from 'ical.js';
import type { Attendee, CalendarEvent, DateTimeValue, Person, Recurrence, Task } from '../../src/model/groupware.js';
import { ConversionError } from './errors.js';
import { isIanaZone } from './time-zones.js';
import { buildVTimezone, localTime } from './vtimezone.js';

export const PRODID = '-//ums-migrate//groupware//EN';
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Collects the zones used by one calendar object (for the VTIMEZONEs) and validates values. */
class Zones {
  readonly years = new Map<string, { min: number; max: number }>();
  constructor(private readonly uid: string) {}

  check(v: DateTimeValue, what: string): void {
    if (v.date !== undefined) {
      const m = DATE_RE.exec(v.date);
      const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
      if (!m || !d || d.getUTCDate() !== Number(m[3])) throw new ConversionError(this.uid, `${what}: invalid date ${JSON.stringify(v.date)}`);
      return;
    }
    if (!(v.utc instanceof Date) || Number.isNaN(v.utc.getTime())) throw new ConversionError(this.uid, `${what}: invalid date-time`);
    if (v.tzid !== undefined && v.tzid !== 'UTC') {
      if (!isIanaZone(v.tzid)) throw new ConversionError(this.uid, `${what}: unknown time zone ${JSON.stringify(v.tzid)}`);
      const y = v.utc.getUTCFullYear();
      const cur = this.years.get(v.tzid);
      this.years.set(v.tzid, { min: Math.min(cur?.min ?? y, y), max: Math.max(cur?.max ?? y, y) });
    }
  }

  /** DTSTART-like property: DATE for all-day, local time with TZID when zoned, else UTC. */
  value(v: DateTimeValue, forceDate = false): { time: ICAL.Time; tzid?: string } {
    if (v.date !== undefined || forceDate) {
      const d = v.date ?? v.utc.toISOString().slice(0, 10);
      const m = DATE_RE.exec(d) as RegExpExecArray;
      return { time: ICAL.Time.fromData({ year: Number(m[1]), month: Number(m[2]), day: Number(m[3]), isDate: true }) };
    }
    if (v.tzid !== undefined && v.tzid !== 'UTC') return { time: localTime(v.utc, v.tzid), tzid: v.tzid };
    return { time: ICAL.Time.fromJSDate(v.utc, true) };
  }

  addTo(cal: ICAL.Component): void {
    for (const [tzid, y] of [...this.years.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      cal.addSubcomponent(buildVTimezone(tzid, y.min, Math.max(y.max, y.min + 1)));
    }
  }
}

function calendar(): ICAL.Component {
  const cal = new ICAL.Component('vcalendar');
  cal.addPropertyWithValue('prodid', PRODID);
  cal.addPropertyWithValue('version', '2.0');
  cal.addPropertyWithValue('calscale', 'GREGORIAN');
  return cal;
}

function setTime(comp: ICAL.Component, name: string, v: { time: ICAL.Time; tzid?: string }): ICAL.Property {
  const p = new ICAL.Property(name, comp);
  p.setValue(v.time);
  if (v.tzid) p.setParameter('tzid', v.tzid);
  comp.addProperty(p);
  return p;
}

function utc(d: Date): ICAL.Time {
  return ICAL.Time.fromJSDate(d, true);
}

function text(comp: ICAL.Component, name: string, value: string | undefined): void {
  if (value !== undefined && value !== '') comp.addPropertyWithValue(name, value);
}

function person(comp: ICAL.Component, name: 'organizer' | 'attendee', p: Person | Attendee): void {
  if (!p.email) return;
  const prop = new ICAL.Property(name, comp);
  prop.setValue(`mailto:${p.email}`);
  if (p.name) prop.setParameter('cn', p.name);
  if (name === 'attendee') {
    const a = p as Attendee;
    const role = a.role === 'optional' ? 'OPT-PARTICIPANT' : a.role === 'chair' ? 'CHAIR' : a.role === 'resource' ? 'NON-PARTICIPANT' : 'REQ-PARTICIPANT';
    prop.setParameter('role', role);
    if (a.role === 'resource') prop.setParameter('cutype', 'RESOURCE');
    prop.setParameter('partstat', (a.status ?? 'needs-action').toUpperCase());
  }
  comp.addProperty(prop);
}

function categories(comp: ICAL.Component, cats: string[] | undefined): void {
  if (!cats || cats.length === 0) return;
  const p = new ICAL.Property('categories', comp);
  p.setValues(cats);
  comp.addProperty(p);
}

function alarm(comp: ICAL.Component, minutes: number | undefined, relatedEnd = false): void {
  if (minutes === undefined) return;
  const a = new ICAL.Component('valarm');
  a.addPropertyWithValue('action', 'DISPLAY');
  a.addPropertyWithValue('description', 'Reminder');
  const trigger = new ICAL.Property('trigger', a);
  trigger.setValue(ICAL.Duration.fromSeconds(-Math.max(0, Math.round(minutes)) * 60));
  if (relatedEnd) trigger.setParameter('related', 'END');
  a.addProperty(trigger);
  comp.addSubcomponent(a);
}

function rrule(r: Recurrence, zones: Zones, uid: string, allDay: boolean): ICAL.Recur {
  const parts = [`FREQ=${r.freq}`];
  if (r.interval !== undefined && r.interval > 1) parts.push(`INTERVAL=${r.interval}`);
  if (r.count !== undefined) parts.push(`COUNT=${r.count}`);
  if (r.until) {
    zones.check(r.until, 'recurrence end');
    // UNTIL is a DATE for all-day series, else a UTC date-time (RFC 5545 §3.3.10).
    parts.push(`UNTIL=${allDay ? (r.until.date ?? r.until.utc.toISOString().slice(0, 10)).replace(/-/g, '') : utc(r.until.utc).toICALString()}`);
  }
  if (r.byDay?.length) parts.push(`BYDAY=${r.byDay.join(',')}`);
  if (r.byMonthDay?.length) parts.push(`BYMONTHDAY=${r.byMonthDay.join(',')}`);
  if (r.byMonth?.length) parts.push(`BYMONTH=${r.byMonth.join(',')}`);
  if (r.bySetPos?.length) parts.push(`BYSETPOS=${r.bySetPos.join(',')}`);
  if (r.weekStart) parts.push(`WKST=${r.weekStart}`);
  try {
    return ICAL.Recur.fromString(parts.join(';'));
  } catch (err) {
    throw new ConversionError(uid, `invalid recurrence ${parts.join(';')}: ${(err as Error).message}`);
  }
}

const CLASS = { public: 'PUBLIC', private: 'PRIVATE', confidential: 'CONFIDENTIAL' } as const;

type EventFields = Partial<Omit<CalendarEvent, 'uid' | 'recurrence' | 'exceptions' | 'deletedOccurrences'>>;

function eventBody(ev: VEventInput, zones: Zones): ICAL.Component {
  const c = new ICAL.Component('vevent');
  c.addPropertyWithValue('uid', ev.uid);
  c.addPropertyWithValue('dtstamp', utc(ev.lastModified ?? ev.created ?? ev.start.utc));
  if (ev.created) c.addPropertyWithValue('created', utc(ev.created));
  if (ev.lastModified) c.addPropertyWithValue('last-modified', utc(ev.lastModified));
  if (ev.recurrenceId) setTime(c, 'recurrence-id', zones.value(ev.recurrenceId, ev.allDay));
  setTime(c, 'dtstart', zones.value(ev.start, ev.allDay));
  if (ev.end) setTime(c, 'dtend', zones.value(ev.end, ev.allDay));
  text(c, 'summary', ev.summary);
  text(c, 'location', ev.location);
  text(c, 'description', ev.description);
  if (ev.descriptionHtml) {
    const p = new ICAL.Property('x-alt-desc', c);
    p.setValue(ev.descriptionHtml);
    p.setParameter('fmttype', 'text/html');
    c.addProperty(p);
  }
  if (ev.organizer) person(c, 'organizer', ev.organizer);
  for (const a of ev.attendees ?? []) person(c, 'attendee', a);
  categories(c, ev.categories);
  if (ev.sensitivity) c.addPropertyWithValue('class', CLASS[ev.sensitivity]);
  if (ev.busyStatus) {
    c.addPropertyWithValue('transp', ev.busyStatus === 'free' ? 'TRANSPARENT' : 'OPAQUE');
    c.addPropertyWithValue('x-microsoft-cdo-busystatus', ev.busyStatus === 'oof' ? 'OOF' : ev.busyStatus.toUpperCase());
  }
  if (ev.recurrence) c.addPropertyWithValue('rrule', rrule(ev.recurrence, zones, ev.uid, ev.allDay === true));
  for (const ex of ev.deleted ?? []) setTime(c, 'exdate', zones.value(ex, ev.allDay));
  alarm(c, ev.reminderMinutes);
  return c;
}

interface VEventInput extends EventFields {
  uid: string;
  start: DateTimeValue;
  recurrence?: Recurrence;
  recurrenceId?: DateTimeValue;
  deleted?: DateTimeValue[];
}

/** One event (with its exceptions) as an iCalendar object. Throws ConversionError for invalid input. */
export function eventToICalendar(ev: CalendarEvent): string {
  if (!ev.uid) throw new ConversionError('', 'event without a UID');
  const zones = new Zones(ev.uid);
  zones.check(ev.start, 'start');
  if (ev.end) {
    zones.check(ev.end, 'end');
    if (ev.end.utc.getTime() < ev.start.utc.getTime()) throw new ConversionError(ev.uid, 'end is before start');
  }
  for (const d of ev.deletedOccurrences ?? []) zones.check(d, 'cancelled occurrence');
  const cal = calendar();
  const vevents = [eventBody({ ...ev, deleted: ev.deletedOccurrences }, zones)];
  const duration = ev.end ? ev.end.utc.getTime() - ev.start.utc.getTime() : 0;
  const masterZone = ev.start.tzid;
  for (const ex of ev.exceptions ?? []) {
    zones.check(ex.recurrenceId, 'moved occurrence');
    // The occurrence's RECURRENCE-ID uses the master's zone and value type (RFC 5545 §3.8.4.4).
    const rid: DateTimeValue = ev.allDay ? ex.recurrenceId : { utc: ex.recurrenceId.utc, tzid: masterZone };
    const start = ex.changes.start ?? rid;
    const end = ex.changes.end ?? (ev.end ? { utc: new Date(start.utc.getTime() + duration), tzid: start.tzid, date: undefined } : undefined);
    zones.check(start, 'moved occurrence start');
    if (end) zones.check(end, 'moved occurrence end');
    const { exceptions: _x, deletedOccurrences: _d, recurrence: _r, ...inherited } = ev;
    vevents.push(eventBody({ ...inherited, ...ex.changes, uid: ev.uid, start, end, recurrenceId: rid, allDay: ev.allDay }, zones));
  }
  zones.addTo(cal);
  for (const v of vevents) cal.addSubcomponent(v);
  return cal.toString() + '\r\n';
}

const TODO_STATUS = { 'needs-action': 'NEEDS-ACTION', 'in-process': 'IN-PROCESS', completed: 'COMPLETED', cancelled: 'CANCELLED' } as const;
const PRIORITY = { high: 1, normal: 5, low: 9 } as const;

/** One task as an iCalendar VTODO object. Throws ConversionError for invalid input. */
export function taskToICalendar(t: Task): string {
  if (!t.uid) throw new ConversionError('', 'task without a UID');
  const zones = new Zones(t.uid);
  if (t.start) zones.check(t.start, 'start');
  if (t.due) zones.check(t.due, 'due');
  if (t.completed && Number.isNaN(t.completed.getTime())) throw new ConversionError(t.uid, 'completed: invalid date-time');
  const cal = calendar();
  const c = new ICAL.Component('vtodo');
  c.addPropertyWithValue('uid', t.uid);
  const stamp = t.lastModified ?? t.created ?? t.completed ?? t.due?.utc ?? t.start?.utc ?? new Date(0);
  c.addPropertyWithValue('dtstamp', utc(stamp));
  if (t.created) c.addPropertyWithValue('created', utc(t.created));
  if (t.lastModified) c.addPropertyWithValue('last-modified', utc(t.lastModified));
  text(c, 'summary', t.summary);
  text(c, 'description', t.description);
  if (t.start) setTime(c, 'dtstart', zones.value(t.start));
  if (t.due) setTime(c, 'due', zones.value(t.due));
  if (t.completed) c.addPropertyWithValue('completed', utc(t.completed));
  if (t.status) c.addPropertyWithValue('status', TODO_STATUS[t.status]);
  if (t.percentComplete !== undefined) c.addPropertyWithValue('percent-complete', Math.max(0, Math.min(100, Math.round(t.percentComplete))));
  if (t.priority) c.addPropertyWithValue('priority', PRIORITY[t.priority]);
  categories(c, t.categories);
  if (t.sensitivity) c.addPropertyWithValue('class', CLASS[t.sensitivity]);
  if (t.start || t.due) alarm(c, t.reminderMinutes, t.due !== undefined);
  zones.addTo(cal);
  cal.addSubcomponent(c);
  return cal.toString() + '\r\n';
}
