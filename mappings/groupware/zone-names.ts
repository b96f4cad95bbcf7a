/**
 * Zone names as real sources write them → IANA ids: Windows ids ("W. Europe Standard Time"),
 * Windows display names of today and of older Windows/Exchange/Outlook ("(GMT-08:00) Pacific
 * Time (US & Canada); Tijuana"), offset-style names ("UTC+01", "GMT+0100", "Etc/GMT-1"), IANA
 * ids and aliases (also behind a vendor prefix like "/mozilla.org/20050126_1/Europe/Berlin"),
 * and the names of UTC. The Windows table is CLDR's windowsZones as shipped with
 * ews-javascript-api (territory 001 = the zone's primary IANA id).
 */
import { TimeZoneMappingData } from 'ews-javascript-api/js/tzmapping.js';
import { isIanaZone } from './zone-intl.js';
import { HISTORIC_DISPLAY_NAMES } from './zone-names-historic.js';

/** Zones Windows names differently than CLDR's first entry lists, or that CLDR leaves without one. */
const EXTRA: Record<string, string> = {
  'Mid-Atlantic Standard Time': 'Etc/GMT+2',
  'Magallanes Standard Time': 'America/Punta_Arenas',
  'Kamchatka Standard Time': 'Asia/Kamchatka',
  'Saratov Standard Time': 'Europe/Saratov',
  'Central European Standard Time': 'Europe/Warsaw',
};

/** Names that carry no zone at all (Exchange's name for a zone sent only as rules, placeholders). */
const MEANINGLESS = /^(customi[sz]ed time ?zone|custom time ?zone|tzone:\/\/microsoft\/custom|unknown|local|local time|floating|none|null|undefined)$/i;
const UTC_NAMES = new Set(['utc', 'z', 'gmt', 'ut', 'zulu', 'etc/utc', 'etc/gmt', 'etc/gmt0', 'etc/gmt+0', 'etc/gmt-0', 'etc/uct', 'etc/zulu', 'etc/universal', 'etc/greenwich', 'uct', 'universal', 'coordinated universal time', 'co-ordinated universal time']);

/** Display-name key: case, whitespace, "&amp;", ";" vs ",", GMT vs UTC, "+00:00" vs none, "(RTZ n)" do not matter. */
function displayKey(s: string): string {
  let k = s.toLowerCase().replace(/&amp;/g, '&').replace(/co-ordinated/g, 'coordinated').replace(/\s+/g, ' ').trim().replace(/\s*\(rtz \d+\)$/, '');
  let prefix = '';
  k = k.replace(/^\(\s*(?:gmt|utc)\s*(?:([+-])\s*(\d{1,2})(?::?(\d{2}))?)?\s*\)\s*/, (_m, sign?: string, h?: string, m?: string) => {
    prefix = !sign || (Number(h) === 0 && Number(m ?? 0) === 0) ? '(utc)' : `(utc${sign}${(h as string).padStart(2, '0')}:${m ?? '00'})`;
    return '';
  });
  const rest = k.replace(/;/g, ',').replace(/\s*([,:])\s*/g, '$1 ').trim();
  return prefix ? `${prefix} ${rest}`.trim() : rest;
}

interface Display { offset: string; cities: Set<string>; iana: string }

const byId = new Map<string, string>();
const byDisplay = new Map<string, string>();
const displays: Display[] = [];
const primaries: string[] = [];

function addDisplay(name: string, iana: string): void {
  const key = displayKey(name);
  if (!byDisplay.has(key)) byDisplay.set(key, iana);
  const m = /^(\(utc[^)]*\)) ?(.*)$/.exec(key);
  if (m) displays.push({ offset: m[1] as string, cities: cityTokens(m[2] as string), iana });
}

function cityTokens(rest: string): Set<string> {
  return new Set(rest.split(/,|: | and /).map((t) => t.replace(/[.\s]+$/g, '').trim()).filter((t) => t.length > 1));
}

for (const [key, value] of Object.entries(TimeZoneMappingData)) {
  if (!Array.isArray(value) || !value[0] || value[0].length === 0) continue;
  const iana = value[0][0] as string;
  primaries.push(iana);
  byId.set(key.toLowerCase(), iana);
  addDisplay(value[1], iana);
}
// Standard and daylight names ("Pacific Daylight Time") after the ids, so an id always wins.
for (const value of Object.values(TimeZoneMappingData)) {
  if (!Array.isArray(value) || !value[0] || value[0].length === 0) continue;
  for (const n of [value[2], value[3]]) if (!byId.has(n.toLowerCase())) byId.set(n.toLowerCase(), value[0][0] as string);
}
for (const [k, v] of Object.entries(EXTRA)) if (!byId.has(k.toLowerCase())) byId.set(k.toLowerCase(), v);
for (const [k, v] of Object.entries(HISTORIC_DISPLAY_NAMES)) addDisplay(k, v);

/** Common zones first: the one a rule set resolves to when several zones share its rules. */
const PREFERRED = ['Europe/Berlin', 'Europe/London', 'America/New_York', 'America/Chicago', 'America/Denver', 'America/Phoenix', 'America/Los_Angeles', 'Asia/Kolkata', 'Asia/Tokyo', 'Australia/Sydney'];

/** IANA zones a rule-only zone may be matched to (zone-rules.ts): preferred, CLDR primaries, then Etc/GMT±N. */
export function candidateZones(): string[] {
  const etc: string[] = [];
  for (let h = -12; h <= 14; h++) if (h !== 0) etc.push(h > 0 ? `Etc/GMT-${h}` : `Etc/GMT+${-h}`);
  return [...new Set([...PREFERRED, ...primaries, 'UTC', ...etc])].filter(isIanaZone);
}

/** The Windows id or display name → IANA id ("W. Europe Standard Time" → "Europe/Berlin"); an IANA id is returned as it is. */
export function windowsToIana(name: string): string | undefined {
  const trimmed = name.trim();
  const hit = byId.get(trimmed.toLowerCase()) ?? byDisplay.get(displayKey(trimmed));
  if (hit) return hit;
  if (trimmed.includes('/') && isIanaZone(trimmed)) return trimmed;
  if (trimmed === 'UTC' || trimmed === 'Etc/UTC') return 'UTC';
  return undefined;
}

/**
 * Minutes east of UTC for an offset-style name: "UTC+01", "UTC+01:00", "GMT+0100", "UTC-5",
 * "+01:00", "(UTC+05:30)", "Etc/GMT-1" (POSIX sign: +60), and 0 for the names of UTC.
 * Undefined for any other name (zones with DST rules have no single offset).
 */
export function fixedOffsetOf(name: string): number | undefined {
  const n = name.trim().replace(/^\((.*)\)$/, '$1').trim();
  if (UTC_NAMES.has(n.toLowerCase())) return 0;
  const etc = /^etc\/gmt([+-])(\d{1,2})$/i.exec(n);
  if (etc) {
    const h = Number(etc[2]);
    return h <= 14 ? (etc[1] === '+' ? -h * 60 : h * 60) : undefined;
  }
  const m = /^(?:utc|gmt|ut|z)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?$/i.exec(n) ?? /^(?:utc|gmt)\s*([+-])\s*(\d{1,2})(?::(\d{2}))$/i.exec(n);
  if (!m) return undefined;
  const h = Number(m[2]);
  const min = Number(m[3] ?? 0);
  if (h > 14 || min >= 60) return undefined;
  const total = h * 60 + min;
  return total === 0 ? 0 : (m[1] === '-' ? -total : total);
}

/** The name of a fixed-offset zone: +330 → "UTC+05:30", -570 → "UTC-09:30". */
export function fixedZoneName(minutesEast: number): string {
  const a = Math.abs(minutesEast);
  return `UTC${minutesEast < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/** The Etc zone of a whole-hour offset (minutes east): +60 → "Etc/GMT-1", 0 → "UTC"; undefined otherwise. */
export function etcZone(minutesEast: number): string | undefined {
  if (minutesEast === 0) return 'UTC';
  if (minutesEast % 60 !== 0 || minutesEast < -12 * 60 || minutesEast > 14 * 60) return undefined;
  const h = minutesEast / 60;
  return h > 0 ? `Etc/GMT-${h}` : `Etc/GMT+${-h}`;
}

function canonicalIana(name: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(name) || !isIanaZone(name)) return undefined;
  const resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  return resolved === 'Etc/UTC' || resolved === 'Etc/GMT' ? 'UTC' : resolved;
}

/** A display name not in the tables: the known one with the same offset sharing the most place names. */
function fuzzyDisplay(name: string): string | undefined {
  const m = /^(\(utc[^)]*\)) ?(.*)$/.exec(displayKey(name));
  if (!m) return undefined;
  const cities = cityTokens(m[2] as string);
  let best: Display | undefined;
  let score = 0;
  for (const d of displays) {
    if (d.offset !== m[1]) continue;
    let s = 0;
    for (const c of cities) if (d.cities.has(c)) s++;
    if (s > score) { best = d; score = s; }
  }
  return best?.iana;
}

/**
 * The IANA id for any zone name a source writes (see the module comment), undefined when the
 * name is unknown or carries no zone ("Customized Time Zone": the caller then uses the rules).
 * A non-whole-hour offset name is undefined too: fixedOffsetOf gives its offset for a custom zone.
 */
export function resolveZoneName(name: string): string | undefined {
  const n = name.trim().replace(/^"(.*)"$/, '$1').trim();
  if (n === '' || MEANINGLESS.test(n)) return undefined;
  if (UTC_NAMES.has(n.toLowerCase())) return 'UTC';
  const win = byId.get(n.toLowerCase()) ?? byDisplay.get(displayKey(n));
  if (win) return win === 'Etc/GMT' || win === 'Etc/UTC' ? 'UTC' : win;
  const off = fixedOffsetOf(n);
  if (off !== undefined) return etcZone(off);
  const iana = canonicalIana(n);
  if (iana) return iana;
  if (n.includes('/')) {
    // Vendor-prefixed ids: "/mozilla.org/20050126_1/Europe/Berlin", "/softwarestudio.org/Olson_20011030_5/America/New_York".
    const parts = n.split('/').filter((p) => p !== '');
    for (let i = Math.max(0, parts.length - 3); i <= parts.length - 2; i++) {
      const hit = canonicalIana(parts.slice(i).join('/'));
      if (hit) return hit;
    }
  }
  const fuzzy = fuzzyDisplay(n);
  return fuzzy === 'Etc/GMT' || fuzzy === 'Etc/UTC' ? 'UTC' : fuzzy;
}
