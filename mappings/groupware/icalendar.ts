/**
 * Neutral calendar events and tasks (src/model/groupware.ts) → iCalendar (RFC 5545) text, built
 * with ical.js. One VCALENDAR per item: a VEVENT (plus one VEVENT per moved/changed occurrence,
 * sharing the UID, with RECURRENCE-ID) or a VTODO, and a VTIMEZONE for every zone used.
 *
 * The output depends only on the input (DTSTAMP comes from the item's own dates), so an
 * unchanged item converts to identical bytes on every run.
 */
import ICAL from 'ical.js';
import type { Attendee, CalendarEvent, DateTimeValue, ItemAttachment, Person, Recurrence, Task } from '../../src/model/groupware.js';
import { ConversionError } from './errors.js';
import { Zones, type PropValue } from './zone-values.js';
import { coerceError } from '../../src/util/errors.js';

export const PRODID = '-//ums-migrate//groupware//EN';

function calendar(): ICAL.Component {
  const cal = new ICAL.Component('vcalendar');
  cal.addPropertyWithValue('prodid', PRODID);
  cal.addPropertyWithValue('version', '2.0');
  cal.addPropertyWithValue('calscale', 'GREGORIAN');
  return cal;
}

function setTime(comp: ICAL.Component, name: string, v: PropValue): ICAL.Property {
  const p = new ICAL.Property(name, comp);
  p.setValue(v.time);
  if (v.tzid) p.setParameter('tzid', v.tzid);
  comp.addProperty(p);
  return p;
}

function utc(d: Date): ICAL.Time {
  return ICAL.Time.fromJSDate(d, true);
}

/**
 * Line breaks as iCalendar text knows them: ical.js escapes LF as \n but writes a CR as it is, and
 * a bare CR (Outlook bodies end lines with CRLF, old ones with CR) breaks the line in two for
 * every reader. Control characters other than TAB/LF are not allowed in TEXT (RFC 5545 §3.3.11).
 */
export function icalText(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '');
}

function text(comp: ICAL.Component, name: string, value: string | undefined): void {
  if (value !== undefined && value !== '') comp.addPropertyWithValue(name, icalText(value));
}

function person(comp: ICAL.Component, name: 'organizer' | 'attendee', p: Person | Attendee): void {
  if (!p.email) return;
  const prop = new ICAL.Property(name, comp);
  prop.setValue(`mailto:${p.email}`);
  if (p.name) prop.setParameter('cn', icalText(p.name).replace(/\n/g, ' '));
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
  p.setValues(cats.map(icalText));
  comp.addProperty(p);
}

/**
 * Inline attachments: ATTACH;VALUE=BINARY;ENCODING=BASE64;FMTTYPE=…;FILENAME=…;X-FILENAME=… (RFC
 * 5545 §3.8.1.1). The file name goes in both FILENAME (RFC 8607, read by Apple Calendar and
 * Thunderbird) and X-FILENAME (what Outlook/Exchange exports and NextCloud write). Every
 * attachment given is written: the size policy is the normaliser's.
 */
function attachments(comp: ICAL.Component, list: ItemAttachment[] | undefined, uid: string): void {
  for (const [i, a] of (list ?? []).entries()) {
    if (!a || !(a.data instanceof Uint8Array)) throw new ConversionError(uid, `attachment #${i + 1} ${JSON.stringify(a?.name ?? '')}: no data`);
    const p = new ICAL.Property('attach', comp);
    p.resetType('binary');
    p.setValue(Buffer.from(a.data).toString('base64'));
    p.setParameter('encoding', 'BASE64');
    p.setParameter('fmttype', /^[\w.+-]+\/[\w.+-]+$/.test(a.mimeType ?? '') ? a.mimeType.toLowerCase() : 'application/octet-stream');
    // A parameter value cannot hold a DQUOTE or control characters (RFC 5545 §3.1).
    const name = [...(a.name ?? '')].map((ch) => (ch === '"' ? "'" : ch.charCodeAt(0) < 32 || ch === '\u007f' ? ' ' : ch)).join('').trim() || `attachment-${i + 1}`;
    p.setParameter('filename', name);
    p.setParameter('x-filename', name);
    comp.addProperty(p);
  }
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
    // UNTIL is a DATE for all-day series, else a UTC date-time (RFC 5545 §3.3.10).
    parts.push(`UNTIL=${allDay ? zones.dateOf(r.until).replace(/-/g, '') : utc(r.until.utc).toICALString()}`);
  }
  if (r.byDay?.length) parts.push(`BYDAY=${r.byDay.join(',')}`);
  if (r.byMonthDay?.length) parts.push(`BYMONTHDAY=${r.byMonthDay.join(',')}`);
  if (r.byMonth?.length) parts.push(`BYMONTH=${r.byMonth.join(',')}`);
  if (r.bySetPos?.length) parts.push(`BYSETPOS=${r.bySetPos.join(',')}`);
  if (r.weekStart) parts.push(`WKST=${r.weekStart}`);
  try {
    return ICAL.Recur.fromString(parts.join(';'));
  } catch (err) {
    throw new ConversionError(uid, `invalid recurrence ${parts.join(';')}: ${coerceError(err).message}`);
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
  const allDay = ev.allDay === true;
  if (ev.recurrenceId) setTime(c, 'recurrence-id', zones.value(ev.recurrenceId, allDay));
  setTime(c, 'dtstart', zones.value(ev.start, allDay));
  endOf(c, ev, zones, allDay);
  text(c, 'summary', ev.summary);
  text(c, 'location', ev.location);
  text(c, 'description', ev.description);
  if (ev.descriptionHtml) {
    const p = new ICAL.Property('x-alt-desc', c);
    p.setValue(icalText(ev.descriptionHtml));
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
  attachments(c, ev.attachments, ev.uid);
  alarm(c, ev.reminderMinutes);
  return c;
}

/**
 * DTEND, always written: strict servers refuse what RFC 5545 allows. An all-day event without a
 * later end date lasts its one day (the RFC's meaning of a DATE DTSTART alone). A timed event
 * without an end (or ending at its start) takes no time (RFC 5545 §3.6.1): written as
 * DURATION:PT0S, which RFC 5545, sabre/NextCloud (the UMS) and Radicale accept, as the
 * normalisation stage does. Cyrus 3.6 refuses every zero-length form ("DTEND must occur after
 * DTSTART" for no DTEND, DTEND = DTSTART and PT0S alike: connectors/dav/dav-shapes.test.ts); a
 * made-up length would change the data, so that refusal stays Cyrus's.
 */
function endOf(c: ICAL.Component, ev: VEventInput, zones: Zones, allDay: boolean): void {
  if (allDay) {
    const start = zones.dateOf(ev.start);
    const end = ev.end ? zones.dateOf(ev.end) : undefined;
    const next = new Date(Date.parse(`${start}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    setTime(c, 'dtend', zones.value({ utc: ev.start.utc, date: end !== undefined && end > start ? end : next }, true));
    return;
  }
  if (ev.end && ev.end.utc.getTime() > ev.start.utc.getTime()) setTime(c, 'dtend', zones.value(ev.end));
  else c.addPropertyWithValue('duration', ICAL.Duration.fromSeconds(0));
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
  const allDay = ev.allDay === true;
  zones.check(ev.start, 'start');
  if (ev.end) {
    zones.check(ev.end, 'end');
    if (ev.end.utc.getTime() < ev.start.utc.getTime()) throw new ConversionError(ev.uid, 'end is before start');
  }
  if (ev.recurrence?.until) zones.check(ev.recurrence.until, 'recurrence end');
  // RECURRENCE-ID and EXDATE take DTSTART's value type and zone (RFC 5545 §3.8.4.4, §3.8.5.1).
  const deleted = (ev.deletedOccurrences ?? []).map((d) => {
    zones.check(d, 'cancelled occurrence');
    return zones.inZoneOf(d, ev.start, allDay);
  });
  const duration = ev.end ? ev.end.utc.getTime() - ev.start.utc.getTime() : 0;
  const { exceptions: _x, deletedOccurrences: _d, recurrence: _r, ...inherited } = ev;
  const overrides: VEventInput[] = (ev.exceptions ?? []).map((ex) => {
    zones.check(ex.recurrenceId, 'moved occurrence');
    const rid = zones.inZoneOf(ex.recurrenceId, ev.start, allDay);
    const start = ex.changes.start ?? rid;
    const end = ex.changes.end ?? (ev.end ? { ...start, utc: new Date(start.utc.getTime() + duration) } : undefined);
    zones.check(start, 'moved occurrence start');
    if (end) zones.check(end, 'moved occurrence end');
    return { ...inherited, ...ex.changes, uid: ev.uid, start, end, recurrenceId: rid, allDay: ev.allDay };
  });
  // Every value is checked before any is written: a rules-only zone is matched over all the years used.
  const cal = calendar();
  const vevents = [eventBody({ ...ev, deleted }, zones), ...overrides.map((o) => eventBody(o, zones))];
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
  attachments(c, t.attachments, t.uid);
  if (t.start || t.due) alarm(c, t.reminderMinutes, t.due !== undefined);
  zones.addTo(cal);
  cal.addSubcomponent(c);
  return cal.toString() + '\r\n';
}
