/**
 * Series expansion for the groupware reconciliation: every occurrence of an event series inside a
 * window, as a calendar shows it — ical.js's recurrence engine (RRULE, RDATE, EXDATE) with the
 * overrides attached by RECURRENCE-ID (ICAL.Event.relateException), each occurrence resolved to
 * UTC start/end or its all-day dates (groupware-time.ts) and a hash of its summary. Pure.
 *
 * Bounded: at most `maxIterations` recurrence steps per series (counted from DTSTART, also
 * before the window); a series that needs more is cut there and the cut is named in `capped`.
 * An override whose RECURRENCE-ID is no occurrence of the rule is still listed (sabre/vobject
 * shows it too) and named in `notes`.
 */
import { createHash } from 'node:crypto';
import ICAL from 'ical.js';
import { startAndEnd, type CalendarSeries } from './groupware-ical.js';
import { resolveAll, resolveTime, utcLabel, type ResolvedTime } from './groupware-time.js';

export interface Instance {
  /** Resolved start: "2027-03-05" (all-day) or "2027-03-05T09:00:00Z". */
  start: string;
  end: string;
  allDay: boolean;
  /** sha256 of the summary, 12 hex digits. */
  summaryHash: string;
  summary: string;
  ms: number;
}

export interface Expansion {
  instances: Instance[];
  /** Set when the series was cut at maxIterations: says from when on nothing was compared. */
  capped?: string;
  notes: string[];
}

export interface ExpansionWindow { from: number; to: number }

export const DEFAULT_MAX_ITERATIONS = 50_000;
const DAY = 86_400_000;

export function summaryHash(summary: string): string {
  return createHash('sha256').update(summary.normalize('NFC').trim()).digest('hex').slice(0, 12);
}

/** A window of `yearsBack` years before and `yearsAhead` years after `now`. */
export function windowAround(now: Date, yearsBack: number, yearsAhead: number): ExpansionWindow {
  const from = new Date(now);
  from.setUTCFullYear(from.getUTCFullYear() - yearsBack);
  const to = new Date(now);
  to.setUTCFullYear(to.getUTCFullYear() + yearsAhead);
  return { from: from.getTime(), to: to.getTime() };
}

function instanceOf(start: ResolvedTime, end: ResolvedTime | undefined, summary: string): Instance {
  return { start: start.label, end: end?.label ?? start.label, allDay: start.allDay, summaryHash: summaryHash(summary), summary, ms: start.ms };
}

function summaryOf(comp: ICAL.Component): string {
  return String(comp.getFirstPropertyValue('summary') ?? '');
}

/** The end of an occurrence of the master: its start plus the master's duration (in days for all-day series). */
function occurrenceEnd(start: ResolvedTime, durationMs: number): ResolvedTime {
  const ms = start.ms + durationMs;
  if (start.allDay) return { label: new Date(ms).toISOString().slice(0, 10), ms, allDay: true };
  if (start.label.endsWith('Z')) return { label: utcLabel(ms), ms, allDay: false };
  return { label: `${new Date(ms).toISOString().slice(0, 19)}${start.label.slice(19)}`, ms, allDay: false };
}

const inWindow = (ms: number, w: ExpansionWindow) => ms >= w.from && ms < w.to;

/** Every occurrence of `series` that starts inside `window`, in order. */
export function expandSeries(series: CalendarSeries, window: ExpansionWindow, maxIterations = DEFAULT_MAX_ITERATIONS): Expansion {
  const notes: string[] = [];
  const instances: Instance[] = [];
  const master = series.master;
  if (!master) {
    // Only overrides (an invitation to single occurrences): each is one instance.
    for (const o of series.overrides.values()) {
      const { start, end } = startAndEnd(o);
      if (start && inWindow(start.ms, window)) instances.push(instanceOf(start, end, summaryOf(o)));
    }
    return { instances: instances.sort((a, b) => a.ms - b.ms), notes };
  }
  const m = startAndEnd(master);
  if (!m.start) return { instances, notes: ['the master has no DTSTART: no occurrences'] };
  const durationMs = (m.end?.ms ?? m.start.ms) - m.start.ms;
  const tzidParam = master.getFirstProperty('dtstart')?.getParameter('tzid');
  const tzid = typeof tzidParam === 'string' ? tzidParam : undefined;
  const exdates = new Set(resolveAll(master, 'exdate').map((t) => t.label));
  const event = new ICAL.Event(master, { strictExceptions: false });
  for (const o of series.overrides.values()) event.relateException(o);
  const attached = new Set<ICAL.Component>();
  const it = event.iterator();
  let steps = 0;
  let capped: string | undefined;
  for (let next = it.next(); next; next = it.next()) {
    if (++steps > maxIterations) {
      capped = `expansion stopped after ${maxIterations} occurrences: occurrences from ${resolveTime(next, tzid).label} on were not compared`;
      break;
    }
    // Cheap bound first (wall time ± a day covers every UTC offset), then the exact one.
    const wall = Date.UTC(next.year, next.month - 1, next.day, next.hour, next.minute, next.second);
    if (wall > window.to + DAY) break;
    const details = event.getOccurrenceDetails(next);
    const comp = details.item.component;
    const exception = comp !== master;
    if (exception) attached.add(comp);
    else if (wall < window.from - DAY - durationMs) continue;
    const occ = resolveTime(next, tzid);
    if (!exception && exdates.has(occ.label)) continue;
    const own = exception ? startAndEnd(comp) : undefined;
    const start = own?.start ?? occ;
    const end = own?.start ? own.end ?? occurrenceEnd(own.start, durationMs) : occurrenceEnd(occ, durationMs);
    if (inWindow(start.ms, window)) instances.push(instanceOf(start, end, summaryOf(comp)));
  }
  for (const [rid, o] of series.overrides) {
    if (attached.has(o) || capped) continue;
    const { start, end } = startAndEnd(o);
    if (!start || !inWindow(start.ms, window)) continue;
    // Beyond the iteration (moved from after the window into it) or no occurrence of the rule.
    notes.push(`the override for RECURRENCE-ID ${rid} is no occurrence of the series in the window`);
    instances.push(instanceOf(start, end, summaryOf(o)));
  }
  return { instances: instances.sort((a, b) => a.ms - b.ms || a.start.localeCompare(b.start)), capped, notes };
}
