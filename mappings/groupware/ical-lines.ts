/**
 * The line pass of the iCalendar normaliser (normalize-ical.ts): the text of a calendar file →
 * its calendar-level property lines and one block of lines per top-level component, so that
 * each component is parsed on its own (one broken event fails alone, the others still arrive).
 *
 * Before ical.js sees a line, the defects real exporters write and ical.js rejects are repaired
 * here, each noted for the component it belongs to:
 * - Exchange's misplaced quote `DTSTART;TZID="W. Europe Standard Time:20200609T090000"`
 *   → `DTSTART;TZID="W. Europe Standard Time":20200609T090000`;
 * - CDO's spaces in recurrence rules `BYDAY=MO, TU, WE` → `BYDAY=MO,TU,WE`.
 * Also tolerated: a byte order mark, LF- or CR-only line ends, blank lines, a missing
 * END:VCALENDAR at the end of the file, several VCALENDARs concatenated in one file.
 */

export interface ComponentBlock {
  /** Upper-case component name: VEVENT, VTODO, VTIMEZONE, VJOURNAL, … */
  name: string;
  /** Position among the file's top-level components (VTIMEZONEs not counted), from 0; -1 for VTIMEZONE. */
  index: number;
  /** The unfolded lines from BEGIN to END inclusive. */
  lines: string[];
  /** Line repairs made inside this block. */
  repairs: string[];
  /** Set when the block is not closed by its END line. */
  unterminated?: boolean;
}

export interface CalendarLines {
  /** Calendar-level property lines (VERSION, PRODID, METHOD, X-WR-CALNAME, …) of every VCALENDAR in the file. */
  properties: string[];
  blocks: ComponentBlock[];
  /** File-level repairs (missing END:VCALENDAR). */
  repairs: string[];
}

const MISPLACED_QUOTE = /;TZID="([^"]*?):((?:\d{8}(?:T\d{6}Z?)?)(?:,\d{8}(?:T\d{6}Z?)?)*)"$/i;
const RULE_LINE = /^(RRULE|EXRULE)((?:;[^:]*)?):(.*)$/i;

/** Splits at any line end and joins folded continuation lines (RFC 5545 §3.1). */
export function unfold(text: string): string[] {
  const raw = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const out: string[] = [];
  for (const line of raw) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && out.length > 0) out[out.length - 1] += line.slice(1);
    else if (line.trim() !== '') out.push(line);
  }
  return out;
}

function repairLine(line: string, repairs: string[]): string {
  const quote = MISPLACED_QUOTE.exec(line);
  if (quote) {
    const fixed = `${line.slice(0, quote.index)};TZID="${quote[1]}":${quote[2]}`;
    repairs.push(`misplaced quote in ${line.split(/[;:]/)[0]} TZID "${quote[1]}" repaired`);
    return fixed;
  }
  const rule = RULE_LINE.exec(line);
  if (rule && /\s/.test(rule[3] as string)) {
    repairs.push(`spaces removed from ${(rule[1] as string).toUpperCase()} "${rule[3]}"`);
    return `${rule[1]}${rule[2]}:${(rule[3] as string).replace(/\s+/g, '')}`;
  }
  return line;
}

const TOP_LEVEL = new Set(['VEVENT', 'VTODO', 'VJOURNAL', 'VFREEBUSY', 'VTIMEZONE']);
const beginOf = (line: string): string | undefined => /^BEGIN\s*:\s*([A-Za-z0-9-]+)\s*$/.exec(line)?.[1]?.toUpperCase();
const endOf = (line: string): string | undefined => /^END\s*:\s*([A-Za-z0-9-]+)\s*$/.exec(line)?.[1]?.toUpperCase();

/** The calendar's lines, split into calendar properties and top-level component blocks. Throws when there is no BEGIN:VCALENDAR. */
export function splitCalendarLines(text: string): CalendarLines {
  const lines = unfold(text);
  const result: CalendarLines = { properties: [], blocks: [], repairs: [] };
  let inCalendar = false;
  let seenCalendar = false;
  let block: ComponentBlock | undefined;
  let depth = 0;
  let index = 0;
  for (const line of lines) {
    if (!inCalendar) {
      if (beginOf(line) === 'VCALENDAR') {
        inCalendar = true;
        seenCalendar = true;
      }
      continue;
    }
    if (block && (TOP_LEVEL.has(beginOf(line) ?? '') || endOf(line) === 'VCALENDAR')) {
      // A top-level BEGIN (or the calendar's END) inside a component: that component lacks its END.
      block.unterminated = true;
      block = undefined;
    }
    if (block) {
      const fixed = repairLine(line, block.repairs);
      block.lines.push(fixed);
      if (beginOf(fixed)) depth++;
      else if (endOf(fixed)) {
        depth--;
        if (depth === 0) block = undefined;
      }
      continue;
    }
    const begin = beginOf(line);
    if (begin) {
      block = { name: begin, index: begin === 'VTIMEZONE' ? -1 : index++, lines: [line], repairs: [] };
      depth = 1;
      result.blocks.push(block);
    } else if (endOf(line) === 'VCALENDAR') {
      inCalendar = false;
    } else {
      result.properties.push(line);
    }
  }
  if (!seenCalendar) throw new Error('no BEGIN:VCALENDAR line');
  if (block) block.unterminated = true;
  else if (inCalendar) result.repairs.push('END:VCALENDAR missing at the end of the file: added');
  return result;
}
