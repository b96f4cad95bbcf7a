/**
 * Test helpers for the iCalendar normaliser's tests: generators of calendar files in the shapes
 * real exporters write, and readers of normalised objects (UIDs, TZIDs, expanded occurrences).
 * Test-only, but nothing here imports jest, so it builds with the rest of mappings/.
 */
import ICAL from 'ical.js';

/** A component's lines: BEGIN, the given property lines, END. */
export const component = (name: string, ...lines: string[]): string[] => [`BEGIN:${name}`, ...lines, `END:${name}`];

export interface EventSpec {
  uid?: string;
  summary?: string;
  /** Property lines, e.g. "DTSTART;TZID=Europe/Berlin:20240701T100000". */
  lines: string[];
  kind?: 'VEVENT' | 'VTODO';
}

export const event = (spec: EventSpec): string[] =>
  component(spec.kind ?? 'VEVENT', ...(spec.uid ? [`UID:${spec.uid}`] : []), 'DTSTAMP:20240101T000000Z', ...(spec.summary ? [`SUMMARY:${spec.summary}`] : []), ...spec.lines);

/** A VTIMEZONE with one fixed offset ("+0100"). */
export const fixedZone = (tzid: string, offset: string): string[] =>
  component('VTIMEZONE', `TZID:${tzid}`, ...component('STANDARD', 'DTSTART:16010101T000000', `TZOFFSETFROM:${offset}`, `TZOFFSETTO:${offset}`));

/** Exchange's VTIMEZONE for W. Europe Standard Time (CET/CEST rules from 1601). */
export const exchangeWEurope = (): string[] =>
  component('VTIMEZONE', 'TZID:W. Europe Standard Time',
    ...component('STANDARD', 'DTSTART:16010101T030000', 'TZOFFSETFROM:+0200', 'TZOFFSETTO:+0100', 'RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10'),
    ...component('DAYLIGHT', 'DTSTART:16010101T020000', 'TZOFFSETFROM:+0100', 'TZOFFSETTO:+0200', 'RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3'));

/** A calendar file: header lines, then the components; CRLF unless `eol` says otherwise. */
export function calendarFile(parts: string[][], opts: { method?: string; header?: string[]; eol?: string; noEnd?: boolean } = {}): string {
  const lines = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Test//Generator//EN', ...(opts.method ? [`METHOD:${opts.method}`] : []), ...(opts.header ?? []), ...parts.flat()];
  if (!opts.noEnd) lines.push('END:VCALENDAR');
  const eol = opts.eol ?? '\r\n';
  return lines.join(eol) + eol;
}

/** The parsed VCALENDAR of a normalised object. */
export const parse = (text: string): ICAL.Component => new ICAL.Component(ICAL.parse(text) as unknown[]);

/** Distinct UIDs of the object's VEVENT/VTODO components. */
export const uidsOf = (text: string): string[] => {
  const cal = parse(text);
  return [...new Set([...cal.getAllSubcomponents('vevent'), ...cal.getAllSubcomponents('vtodo')].map((c) => String(c.getFirstPropertyValue('uid'))))];
};

/** TZIDs of the object's VTIMEZONEs, and the TZIDs its properties reference. */
export function zonesOf(text: string): { defined: string[]; referenced: string[] } {
  const cal = parse(text);
  const referenced = new Set<string>();
  const walk = (c: ICAL.Component) => {
    if (c.name === 'vtimezone') return;
    for (const p of c.getAllProperties()) {
      const tzid = p.getParameter('tzid');
      if (typeof tzid === 'string') referenced.add(tzid);
    }
    for (const s of c.getAllSubcomponents()) walk(s);
  };
  walk(cal);
  return { defined: cal.getAllSubcomponents('vtimezone').map((z) => String(z.getFirstPropertyValue('tzid'))), referenced: [...referenced].sort() };
}

/** Parses `text` with its VTIMEZONEs registered, so that zoned times convert to instants. */
export function withZones<T>(text: string, use: (cal: ICAL.Component) => T): T {
  const zones = parse(text).getAllSubcomponents('vtimezone');
  const ids = zones.map((z) => String(z.getFirstPropertyValue('tzid')));
  for (const z of zones) ICAL.TimezoneService.register(new ICAL.Timezone(z));
  try {
    return use(parse(text));
  } finally {
    for (const id of ids) ICAL.TimezoneService.remove(id);
  }
}

/** The UTC instant (ISO) of a component's property in `text` (first VEVENT/VTODO or the one with `uid`). */
export const instantOf = (text: string, prop: string): string =>
  withZones(text, (cal) => {
    const comp = cal.getFirstSubcomponent('vevent') ?? cal.getFirstSubcomponent('vtodo');
    const t = comp?.getFirstPropertyValue(prop) as ICAL.Time | null;
    if (!t) throw new Error(`no ${prop}`);
    return t.toJSDate().toISOString();
  });

/**
 * The start dates (YYYY-MM-DD, in the event's own zone) of an object's occurrences, with the
 * overrides related to the master as a CalDAV client does (by RECURRENCE-ID); at most `limit`.
 */
export function occurrenceDates(text: string, limit = 200): string[] {
  return withZones(text, (cal) => {
    const events = cal.getAllSubcomponents('vevent');
    const master = events.find((e) => !e.hasProperty('recurrence-id'));
    if (!master) throw new Error('no master VEVENT');
    const ev = new ICAL.Event(master);
    for (const o of events) if (o !== master) ev.relateException(o);
    const out: string[] = [];
    const it = ev.iterator();
    for (let next = it.next(); next && out.length < limit; next = it.next()) {
      out.push(ev.getOccurrenceDetails(next).startDate.toString().slice(0, 10));
    }
    return out;
  });
}
