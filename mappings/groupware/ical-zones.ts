/**
 * Time zones of one calendar object (normalize-ical.ts): every TZID a property of the object
 * uses (DTSTART, DTEND, DUE, RECURRENCE-ID, EXDATE, RDATE, in the master and its overrides) gets
 * exactly one VTIMEZONE in the object, and no other VTIMEZONE is carried.
 *
 * - The file has a VTIMEZONE for the TZID → that VTIMEZONE is kept, and the TZID is kept as the
 *   file wrote it, even a Windows or display name ("W. Europe Standard Time", "Customized Time
 *   Zone"). The file's rules are what the source displayed (Exchange writes the exact rules of
 *   custom zones no IANA zone has), sabre/vobject and Cyrus accept any TZID that has a VTIMEZONE,
 *   and sabre maps Windows names to IANA itself where it needs a PHP zone. Renaming to an IANA id
 *   would swap exact rules for rules that may differ in past years.
 * - No VTIMEZONE → the name is resolved (resolveZoneName: IANA, Windows id, display name);
 *   the TZID parameters are renamed to the IANA id and a VTIMEZONE is generated from tz data.
 *   "UTC" becomes UTC values (…Z) without TZID.
 * - An offset-style name ("UTC+01", "GMT+05:30", "(UTC-03:30)") → Etc/GMT∓h for whole hours,
 *   else a VTIMEZONE with that one fixed offset named "UTC+05:30".
 * - Anything else fails the object with a reason naming the TZID: never a silent UTC or floating.
 */
import ICAL from 'ical.js';
import { etcZone, fixedOffsetOf, fixedZoneName, resolveZoneName } from './time-zones.js';
import { buildVTimezone } from './vtimezone.js';

type JCalProperty = [string, Record<string, unknown>, string, ...unknown[]];

export interface ZoneResult {
  /** The VTIMEZONEs of the object, in the order their TZIDs are first used. */
  vtimezones: ICAL.Component[];
  repairs: string[];
  /** Set when a TZID cannot be resolved: the object fails with this reason. */
  error?: string;
}

/** A VTIMEZONE with one fixed offset (RFC 5545 §3.6.5: one STANDARD observance, no transitions). */
export function fixedOffsetVTimezone(tzid: string, minutes: number): ICAL.Component {
  const vtz = new ICAL.Component('vtimezone');
  vtz.addPropertyWithValue('tzid', tzid);
  const std = new ICAL.Component('standard');
  std.addPropertyWithValue('dtstart', ICAL.Time.fromData({ year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0 }));
  std.addPropertyWithValue('tzoffsetfrom', ICAL.UtcOffset.fromSeconds(minutes * 60));
  std.addPropertyWithValue('tzoffsetto', ICAL.UtcOffset.fromSeconds(minutes * 60));
  vtz.addSubcomponent(std);
  return vtz;
}

/** The IANA id or fixed-offset zone a TZID without VTIMEZONE stands for. */
function resolveName(name: string): { iana: string } | { fixed: string; minutes: number } | undefined {
  const iana = resolveZoneName(name);
  if (iana) return { iana };
  const minutes = fixedOffsetOf(name);
  if (minutes === undefined) return undefined;
  const etc = etcZone(minutes);
  if (etc) return { iana: etc };
  return { fixed: fixedZoneName(minutes), minutes };
}

function walk(comp: ICAL.Component, visit: (p: JCalProperty, owner: ICAL.Component) => void): void {
  for (const p of comp.getAllProperties()) visit(p.toJSON() as JCalProperty, comp);
  for (const sub of comp.getAllSubcomponents()) walk(sub, visit);
}

const yearOf = (v: unknown): number | undefined => (typeof v === 'string' && /^\d{4}-/.test(v) ? Number(v.slice(0, 4)) : undefined);

/** Resolves the zones of one object's components (edited in place) and returns the VTIMEZONEs it needs. */
export function resolveObjectZones(components: ICAL.Component[], fileZones: Map<string, ICAL.Component>): ZoneResult {
  const uses = new Map<string, { props: JCalProperty[]; years: number[] }>();
  for (const comp of components) {
    walk(comp, (p, owner) => {
      const tzid = p[1].tzid;
      if (typeof tzid !== 'string') return;
      let use = uses.get(tzid);
      if (!use) uses.set(tzid, (use = { props: [], years: [] }));
      use.props.push(p);
      for (const v of p.slice(3)) {
        const y = yearOf(v);
        if (y !== undefined) use.years.push(y);
      }
      if (p[0] === 'dtstart') {
        const until = (owner.getFirstPropertyValue('rrule') as ICAL.Recur | null)?.until;
        if (until) use.years.push(until.year);
      }
    });
  }
  const result: ZoneResult = { vtimezones: [], repairs: [] };
  const added = new Set<string>();
  const add = (tzid: string, make: () => ICAL.Component) => {
    if (added.has(tzid)) return;
    added.add(tzid);
    result.vtimezones.push(make());
  };
  for (const [tzid, use] of uses) {
    const own = fileZones.get(tzid);
    if (own) {
      add(tzid, () => new ICAL.Component(structuredClone(own.toJSON()) as unknown[]));
      continue;
    }
    const resolved = resolveName(tzid);
    if (!resolved) {
      result.error = `time zone ${JSON.stringify(tzid)} is unknown and the file has no VTIMEZONE for it`;
      return result;
    }
    const target = 'iana' in resolved ? resolved.iana : resolved.fixed;
    if (target === 'UTC') {
      for (const p of use.props) {
        delete p[1].tzid;
        for (let i = 3; i < p.length; i++) if (typeof p[i] === 'string' && (p[i] as string).includes('T') && !(p[i] as string).endsWith('Z')) p[i] = `${p[i] as string}Z`;
      }
      result.repairs.push(`TZID ${JSON.stringify(tzid)} without VTIMEZONE → UTC times`);
      continue;
    }
    for (const p of use.props) p[1].tzid = target;
    if (target !== tzid) result.repairs.push(`TZID ${JSON.stringify(tzid)} → ${target}`);
    if ('iana' in resolved) {
      const from = use.years.length > 0 ? Math.min(...use.years) : 2000;
      const to = Math.max(...use.years, from + 1);
      add(target, () => buildVTimezone(target, from, to));
    } else {
      add(target, () => fixedOffsetVTimezone(target, resolved.minutes));
    }
    result.repairs.push(`VTIMEZONE for ${target} generated (the file had none)`);
  }
  return result;
}
