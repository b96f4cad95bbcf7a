/**
 * Time zones for the groupware converters: Windows zone names (what EWS and MAPI report, e.g.
 * "W. Europe Standard Time") → IANA ids, and wall-clock / UTC-offset arithmetic on IANA zones
 * through Intl (Node's bundled tzdata). The Windows table is CLDR's windowsZones as shipped with
 * ews-javascript-api (territory 001 = the zone's primary IANA id).
 */
import { TimeZoneMappingData } from 'ews-javascript-api/js/tzmapping.js';

/** Zones Windows names differently than CLDR's first entry lists, or that CLDR leaves without one. */
const EXTRA: Record<string, string> = {
  'Mid-Atlantic Standard Time': 'Etc/GMT+2',
  'Magallanes Standard Time': 'America/Punta_Arenas',
  'Kamchatka Standard Time': 'Asia/Kamchatka',
  'Saratov Standard Time': 'Europe/Saratov',
  'Central European Standard Time': 'Europe/Warsaw',
};

const lower = new Map<string, string>();
/** Display names ("(UTC+01:00) Amsterdam, Berlin, …"), as MAPI's PidLidTimeZoneDescription and EWS's TimeZone carry them. */
const display = new Map<string, string>();
const displayKey = (s: string) => s.trim().toLowerCase().replace(/^\(gmt/, '(utc').replace(/&amp;/g, '&').replace(/\s+/g, ' ');
for (const [key, value] of Object.entries(TimeZoneMappingData)) {
  if (Array.isArray(value) && value[0] && value[0].length > 0) {
    lower.set(key.toLowerCase(), value[0][0] as string);
    display.set(displayKey(value[1]), value[0][0] as string);
  }
}
for (const [k, v] of Object.entries(EXTRA)) if (!lower.has(k.toLowerCase())) lower.set(k.toLowerCase(), v);

/** True when Intl knows the IANA zone. */
export function isIanaZone(id: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: id });
    return true;
  } catch {
    return false;
  }
}

/**
 * The IANA id for a Windows zone id ("W. Europe Standard Time" → "Europe/Berlin") or display
 * name ("(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna"); an IANA id is returned
 * as it is. Undefined when the name is unknown.
 */
export function windowsToIana(name: string): string | undefined {
  const trimmed = name.trim();
  const hit = lower.get(trimmed.toLowerCase()) ?? display.get(displayKey(trimmed));
  if (hit) return hit;
  if (trimmed.includes('/') && isIanaZone(trimmed)) return trimmed;
  if (trimmed === 'UTC' || trimmed === 'Etc/UTC') return 'UTC';
  return undefined;
}

/**
 * The IANA id for any zone name a source writes: Windows ids and display names (see
 * windowsToIana) and IANA ids. The one entry point for names; undefined when unknown.
 */
export function resolveZoneName(name: string): string | undefined {
  return windowsToIana(name);
}

export interface WallClock { year: number; month: number; day: number; hour: number; minute: number; second: number }

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tzid: string): Intl.DateTimeFormat {
  let f = formatters.get(tzid);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tzid, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(tzid, f);
  }
  return f;
}

/** The local date and time of instant `utcMs` in `tzid`. */
export function wallClock(utcMs: number, tzid: string): WallClock {
  const parts: Record<string, number> = {};
  for (const p of formatter(tzid).formatToParts(new Date(utcMs))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { year: parts.year ?? 0, month: parts.month ?? 0, day: parts.day ?? 0, hour: (parts.hour ?? 0) % 24, minute: parts.minute ?? 0, second: parts.second ?? 0 };
}

/** UTC offset of `tzid` at instant `utcMs`, in minutes east of UTC. */
export function offsetMinutes(utcMs: number, tzid: string): number {
  const w = wallClock(utcMs, tzid);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return Math.round((asUtc - Math.floor(utcMs / 1000) * 1000) / 60000);
}
