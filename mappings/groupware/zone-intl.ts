/**
 * Wall-clock / UTC-offset arithmetic on IANA zones through Intl (Node's bundled tzdata), and the
 * offset changes of a zone in a year found the same way (Intl has no transition API).
 */

/** True when Intl knows the IANA zone (answers kept: a DateTimeFormat costs ~50 µs, asked per date of every event). */
export function isIanaZone(id: string): boolean {
  let known = zones.get(id);
  if (known === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: id });
      known = true;
    } catch {
      known = false;
    }
    if (zones.size < 4096) zones.set(id, known);
  }
  return known;
}
const zones = new Map<string, boolean>();

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

/** An offset change: at instant `at` (UTC ms) the offset goes `from` → `to` (minutes east). */
export interface Transition { at: number; from: number; to: number }

const DAY = 86_400_000;
const cache = new Map<string, Transition[]>();

/** The offset changes of IANA zone `tzid` during UTC year `year`, to the minute. */
export function ianaTransitions(tzid: string, year: number): Transition[] {
  const key = `${tzid}\u0000${year}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const out: Transition[] = [];
  const end = Date.UTC(year + 1, 0, 1);
  let t = Date.UTC(year, 0, 1);
  let prev = offsetMinutes(t, tzid);
  for (let next = t + DAY / 4; next <= end; next += DAY / 4) {
    const off = offsetMinutes(next, tzid);
    if (off !== prev) {
      let lo = t;
      let hi = next;
      while (hi - lo > 60_000) {
        const mid = Math.floor((lo + hi) / 2 / 60_000) * 60_000;
        if (offsetMinutes(mid, tzid) === prev) lo = mid;
        else hi = mid;
      }
      out.push({ at: hi, from: prev, to: off });
      prev = off;
    }
    t = next;
  }
  cache.set(key, out);
  return out;
}
