/**
 * Generated iCalendar/vCard test data (ical.js), for the groupware target's tests and benchmark.
 * Deterministic: the same arguments give the same bytes.
 */
import ICAL from 'ical.js';

/** One VEVENT (1 h, UTC). */
export function eventIcs(uid: string, summary: string, start = '2026-03-29T09:00:00'): string {
  const cal = new ICAL.Component(['vcalendar', [], []]);
  cal.updatePropertyWithValue('prodid', '-//ums-migrate tests//EN');
  cal.updatePropertyWithValue('version', '2.0');
  const ev = new ICAL.Component('vevent');
  ev.updatePropertyWithValue('uid', uid);
  ev.updatePropertyWithValue('summary', summary);
  ev.updatePropertyWithValue('dtstamp', ICAL.Time.fromDateTimeString('2026-01-01T00:00:00Z'));
  ev.updatePropertyWithValue('dtstart', ICAL.Time.fromDateTimeString(`${start}Z`));
  ev.updatePropertyWithValue('duration', ICAL.Duration.fromString('PT1H'));
  cal.addSubcomponent(ev);
  return cal.toString();
}

/** One VTODO. */
export function todoIcs(uid: string, summary: string): string {
  const cal = new ICAL.Component(['vcalendar', [], []]);
  cal.updatePropertyWithValue('prodid', '-//ums-migrate tests//EN');
  cal.updatePropertyWithValue('version', '2.0');
  const t = new ICAL.Component('vtodo');
  t.updatePropertyWithValue('uid', uid);
  t.updatePropertyWithValue('summary', summary);
  t.updatePropertyWithValue('dtstamp', ICAL.Time.fromDateTimeString('2026-01-01T00:00:00Z'));
  t.updatePropertyWithValue('status', 'NEEDS-ACTION');
  cal.addSubcomponent(t);
  return cal.toString();
}

/** One vCard 3.0 with a name and an e-mail address. */
export function vcard(uid: string, name: string): string {
  const c = new ICAL.Component('vcard');
  c.updatePropertyWithValue('version', '3.0');
  c.updatePropertyWithValue('uid', uid);
  c.updatePropertyWithValue('fn', name);
  c.updatePropertyWithValue('n', name.split(' ').reverse().join(';'));
  c.updatePropertyWithValue('email', `${name.replace(/\W+/g, '.').toLowerCase()}@example.org`);
  return c.toString();
}
