/**
 * iCalendar normalisation (issue 11): the bytes of one .ics file, or one object a converter
 * built → one calendar object resource per UID, each as sabre/NextCloud and Cyrus accept it
 * (RFC 4791 §4.1): one VCALENDAR holding the master and all its RECURRENCE-ID overrides, the
 * VTIMEZONEs its properties reference and no others, no METHOD.
 *
 * - Split: Exchange, Outlook and Google exports hold many events with different UIDs in one
 *   VCALENDAR; each UID becomes its own object, in the order of the input. An override without
 *   its master is an object of its own (sabre accepts that). A VEVENT and a VTODO with the same
 *   UID fail together, naming both. VJOURNAL, VFREEBUSY and other components fail by name: the
 *   UMS has no CalDAV collection for them. Nothing is dropped without a failure or a warning.
 * - Each component is parsed on its own (ical-lines.ts), so one broken event fails alone.
 * - Calendar properties: VERSION, PRODID (ours when the file has none) and CALSCALE are kept;
 *   METHOD (forbidden in a calendar object resource) and the collection-level X-WR-* lines are
 *   removed, noted in `repairs`.
 * - A component without UID gets one made from `opts.source` and its position in the file
 *   (uidFromItemId): the same file gives the same UIDs on every run.
 * - Time zones: ical-zones.ts; RECURRENCE-ID/EXDATE/RDATE types, DTEND, DTSTAMP, attachments:
 *   ical-values.ts.
 * Output: CRLF, folded by ical.js, the same bytes on every run; normalising an object this
 * function wrote returns the same text and no repairs.
 */
import ICAL from 'ical.js';
import { splitCalendarLines, type ComponentBlock } from './ical-lines.js';
import { alignRecurrenceValues, ensureDtstamp, formatSize, limitAttachments, repairEventEnd } from './ical-values.js';
import { resolveObjectZones } from './ical-zones.js';
import { PRODID } from './icalendar.js';
import type { NormalizedObject, NormalizeOptions, NormalizeResult, ObjectFailure } from './normalize-types.js';
import { uidFromItemId } from './uid.js';

const DEFAULT_MAX_ATTACHMENT = 1024 * 1024;
const DEFAULT_MAX_OBJECT = 20 * 1024 * 1024;

const NOT_MIGRATED: Record<string, string> = {
  VJOURNAL: 'journal entries have no CalDAV collection in the UMS',
  VFREEBUSY: 'free/busy data is computed by the server, not stored',
};

interface Parsed { comp: ICAL.Component; block: ComponentBlock }

/** CONTROL of RFC 5545 §3.1 (C0 but tab, and DEL): allowed in no iCalendar value or name. */
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\x00-\x08\x0a-\x1f\x7f]/g;

/** The block's lines without control characters (a raw NUL or ESC in a SUMMARY would be stored as it is), noted in its repairs. */
function withoutControls(block: ComponentBlock): string[] {
  let removed = 0;
  const lines = block.lines.map((l) => l.replace(CONTROLS, () => { removed++; return ''; }));
  if (removed > 0) block.repairs.push(`${removed} control character(s) removed`);
  return lines;
}

interface Group { uid: string; derived: boolean; members: Parsed[] }

const errorText = (e: unknown): string => {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.length > 200 ? `${msg.slice(0, 200)}…` : msg;
};

const text = (comp: ICAL.Component, name: string): string | undefined => {
  const v = comp.getFirstPropertyValue(name);
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
};

function describeBlock(block: ComponentBlock): string {
  const uid = block.lines.find((l) => /^UID[;:]/i.test(l))?.replace(/^UID[^:]*:/i, '');
  const summary = block.lines.find((l) => /^SUMMARY[;:]/i.test(l))?.replace(/^SUMMARY[^:]*:/i, '');
  const base = uid ? `UID ${uid}` : `${block.name} #${block.index + 1}${block.name === 'VTIMEZONE' ? '' : ' without UID'}`;
  return summary ? `${base} (SUMMARY ${JSON.stringify(summary)})` : base;
}

function describeGroup(group: Group): string {
  const summary = group.members.map((m) => text(m.comp, 'summary')).find((s) => s !== undefined);
  const base = group.derived ? `${group.members[0]?.block.name ?? 'component'} #${(group.members[0]?.block.index ?? 0) + 1} without UID` : `UID ${group.uid}`;
  return summary ? `${base} (SUMMARY ${JSON.stringify(summary)})` : base;
}

/** Calendar-level lines → what is kept, and the repairs noting what is not. */
function calendarProperties(lines: string[]): { prodid: string; calscale?: string; version?: string; repairs: string[] } {
  let prodid: string | undefined;
  let calscale: string | undefined;
  let version: string | undefined;
  const dropped: string[] = [];
  const repairs: string[] = [];
  for (const line of lines) {
    const m = /^([A-Za-z0-9-]+)(?:;[^:]*)?:(.*)$/.exec(line);
    if (!m) {
      repairs.push(`calendar line ${JSON.stringify(line.slice(0, 60))} is not a property: removed`);
      continue;
    }
    const name = (m[1] as string).toUpperCase();
    let value = (m[2] as string).trim();
    try {
      const parsed = new ICAL.Component(ICAL.parse(`BEGIN:VCALENDAR\r\n${line}\r\nEND:VCALENDAR`) as unknown[]).getFirstPropertyValue(name.toLowerCase());
      if (typeof parsed === 'string') value = parsed.trim(); // unescaped (\, → ,), as ical.js escapes again on output
    } catch {
      // the raw text is kept
    }
    if (name === 'PRODID') prodid ??= value;
    else if (name === 'VERSION') version ??= value;
    else if (name === 'CALSCALE') calscale ??= value.toUpperCase();
    else if (name === 'METHOD') {
      const method = value.toUpperCase();
      repairs.push(`METHOD:${method} removed${method === 'PUBLISH' ? '' : ` (a scheduling message: stored as a plain calendar object, no invitation is sent)`}`);
    } else if (!dropped.includes(name)) dropped.push(name);
  }
  if (dropped.length > 0) repairs.push(`calendar properties ${dropped.join(', ')} not carried (they describe the exported collection, not the object)`);
  return { prodid: prodid ?? PRODID, calscale, version, repairs: [...new Set(repairs)] };
}

const rank = (c: ICAL.Component): [number, string] => {
  const seq = Number(c.getFirstPropertyValue('sequence') ?? 0);
  const stamp = (c.getFirstProperty('last-modified') ?? c.getFirstProperty('dtstamp'))?.toJSON()[3];
  return [Number.isFinite(seq) ? seq : 0, typeof stamp === 'string' ? stamp : ''];
};

/** Of several components for the same occurrence (master or one RECURRENCE-ID): the newest; the others are named in warnings. */
function newest(list: Parsed[], label: string, warnings: string[], repairs: string[]): Parsed {
  let best = list[0] as Parsed;
  for (const p of list.slice(1)) {
    const [a, b] = [rank(p.comp), rank(best.comp)];
    if (a[0] > b[0] || (a[0] === b[0] && a[1] > b[1])) best = p;
  }
  for (const p of list) {
    if (p === best) continue;
    if (p.comp.toString() === best.comp.toString()) repairs.push(`duplicate ${label} (${p.block.name} #${p.block.index + 1}) removed: identical`);
    else warnings.push(`${label} appears ${list.length} times: ${p.block.name} #${p.block.index + 1} (SEQUENCE ${rank(p.comp)[0]}) not carried, the newest (SEQUENCE ${rank(best.comp)[0]}, ${rank(best.comp)[1] || 'no timestamp'}) is`);
  }
  return best;
}

function buildObject(group: Group, ctx: { fileRepairs: string[]; header: ReturnType<typeof calendarProperties>; zones: Map<string, ICAL.Component>; opts: NormalizeOptions }): NormalizedObject | ObjectFailure {
  const what = describeGroup(group);
  const names = [...new Set(group.members.map((m) => m.block.name))];
  if (names.length > 1) {
    const parts = group.members.map((m) => `${m.block.name} #${m.block.index + 1}${text(m.comp, 'summary') ? ` ${JSON.stringify(text(m.comp, 'summary'))}` : ''}`);
    return { what, reason: `${parts.join(' and ')} share this UID: a calendar object holds one kind of component, and which one is meant cannot be told` };
  }
  const repairs = [...ctx.fileRepairs];
  const warnings: string[] = [];
  const masters = group.members.filter((m) => !m.comp.hasProperty('recurrence-id'));
  const byRid = new Map<string, Parsed[]>();
  for (const m of group.members) {
    if (!m.comp.hasProperty('recurrence-id')) continue;
    const key = JSON.stringify(m.comp.getFirstProperty('recurrence-id')?.toJSON().slice(3));
    byRid.set(key, [...(byRid.get(key) ?? []), m]);
  }
  const kept = new Set<Parsed>();
  if (masters.length > 0) kept.add(newest(masters, 'the series master', warnings, repairs));
  for (const list of byRid.values()) kept.add(newest(list, `RECURRENCE-ID ${JSON.stringify(list[0]?.comp.getFirstProperty('recurrence-id')?.toJSON()[3])}`, warnings, repairs));
  const members = group.members.filter((m) => kept.has(m));
  for (const m of members) repairs.push(...m.block.repairs);
  const comps = members.map((m) => m.comp);
  if (group.derived) {
    for (const c of comps) c.addPropertyWithValue('uid', group.uid);
    repairs.push(`no UID: ${group.uid} made from the source and the component's position`);
  }
  for (const c of comps) {
    if (c.name === 'vevent') {
      const error = repairEventEnd(c, repairs, warnings);
      if (error) return { what, reason: error };
    }
    ensureDtstamp(c, repairs);
    limitAttachments(c, ctx.opts.maxAttachmentBytes ?? DEFAULT_MAX_ATTACHMENT, warnings);
  }
  const master = comps.find((c) => !c.hasProperty('recurrence-id'));
  if (master) alignRecurrenceValues(master, comps.filter((c) => c !== master), repairs);
  const zones = resolveObjectZones(comps, ctx.zones);
  if (zones.error) return { what, reason: zones.error };
  repairs.push(...zones.repairs);

  const cal = new ICAL.Component('vcalendar');
  cal.addPropertyWithValue('version', '2.0');
  cal.addPropertyWithValue('prodid', ctx.header.prodid);
  if (ctx.header.calscale) cal.addPropertyWithValue('calscale', ctx.header.calscale);
  for (const vtz of zones.vtimezones) cal.addSubcomponent(vtz);
  for (const c of comps) cal.addSubcomponent(c);
  const out = `${serialise(cal)}\r\n`;
  const max = ctx.opts.maxObjectBytes ?? DEFAULT_MAX_OBJECT;
  const size = Buffer.byteLength(out, 'utf8');
  if (size > max) return { what, reason: `the calendar object is ${formatSize(size)}, over the ${formatSize(max)} the server accepts` };
  const kind = names[0] === 'VTODO' ? 'task' : 'event';
  return { kind, uid: group.uid, derivedUid: group.derived, text: out, repairs: [...new Set(repairs)], warnings };
}

/**
 * ical.js folds to 75 characters plus the leading space (76 octets on continuation lines);
 * RFC 5545 §3.1 says 75 octets. Folding at 74 keeps every line within 75 (restored at once:
 * the setting is global to ical.js).
 */
function serialise(cal: ICAL.Component): string {
  const previous = ICAL.foldLength;
  ICAL.foldLength = 74;
  try {
    return cal.toString();
  } finally {
    ICAL.foldLength = previous;
  }
}

/** One .ics file (or one converter-built object) → one normalised object per UID, or failures naming each object that cannot be repaired. */
export function normalizeICalendar(input: Buffer | string, opts: NormalizeOptions): NormalizeResult {
  const result: NormalizeResult = { objects: [], failures: [] };
  let lines;
  try {
    lines = splitCalendarLines(typeof input === 'string' ? input : input.toString('utf8'));
  } catch (e) {
    return { objects: [], failures: [{ what: opts.source, reason: `not an iCalendar file: ${errorText(e)}` }] };
  }
  const header = calendarProperties(lines.properties);
  if (header.version !== undefined && header.version !== '2.0') {
    return { objects: [], failures: [{ what: opts.source, reason: `iCalendar VERSION ${header.version} (only 2.0, RFC 5545, is supported; vCalendar 1.0 needs converting first)` }] };
  }
  const fileRepairs = [...lines.repairs, ...header.repairs];
  const zones = new Map<string, ICAL.Component>();
  const groups = new Map<string, Group>();
  for (const block of lines.blocks) {
    if (block.unterminated) {
      result.failures.push({ what: describeBlock(block), reason: `BEGIN:${block.name} without its END:${block.name}` });
      continue;
    }
    if (block.name !== 'VTIMEZONE' && block.name !== 'VEVENT' && block.name !== 'VTODO') {
      result.failures.push({ what: describeBlock(block), reason: `not migrated: ${block.name} (${NOT_MIGRATED[block.name] ?? 'the UMS calendars hold events and tasks only'})` });
      continue;
    }
    let comp: ICAL.Component;
    try {
      comp = new ICAL.Component(ICAL.parse(withoutControls(block).join('\r\n')) as unknown[]);
    } catch (e) {
      if (block.name !== 'VTIMEZONE') result.failures.push({ what: describeBlock(block), reason: `cannot be parsed: ${errorText(e)}` });
      continue; // a broken VTIMEZONE: the objects using it resolve the name, or fail naming it
    }
    if (block.name === 'VTIMEZONE') {
      const tzid = text(comp, 'tzid');
      if (tzid && !zones.has(tzid)) zones.set(tzid, comp);
      continue;
    }
    const own = text(comp, 'uid');
    const uid = own ?? uidFromItemId(`${opts.source}#${block.index}`);
    const group = groups.get(uid) ?? { uid, derived: own === undefined, members: [] };
    groups.set(uid, group);
    group.members.push({ comp, block });
  }
  for (const group of groups.values()) {
    try {
      const made = buildObject(group, { fileRepairs, header, zones, opts });
      if ('reason' in made) result.failures.push(made);
      else result.objects.push(made);
    } catch (e) {
      result.failures.push({ what: describeGroup(group), reason: `cannot be normalised: ${errorText(e)}` });
    }
  }
  return result;
}
