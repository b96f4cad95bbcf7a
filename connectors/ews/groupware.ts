/**
 * EWS items (the XML of a GetItem response) → the neutral groupware model. Pure: no requests;
 * the caller fetches a recurring master's modified occurrences and a contact's photo first.
 *
 * Recurrence patterns and ranges follow the EWS schema (types.xsd: DailyRecurrence,
 * WeeklyRecurrence, Absolute/RelativeMonthlyRecurrence, Absolute/RelativeYearlyRecurrence;
 * NoEnd/EndDate/NumberedRecurrence). Time zones: see time-zone.ts (a name → IANA, a definition →
 * CustomZone, a named zone nobody knows → this item's error, no zone at all → UTC with a note).
 * EX (X.500) organizers/attendees are resolved through ItemContext.resolveEx; one that does not
 * resolve keeps its name without an address (the converter then leaves it out) and the item's
 * log line names it: an X.500 DN is never written as mailto.
 */
import { uidFromItemId } from '../../mappings/groupware/uid.js';
import type { Attendee, CalendarEvent, Contact, ContactGroup, DateTimeValue, EventOccurrenceException, Recurrence, Task } from '../../src/model/groupware.js';
import { ItemError } from '../../src/util/errors.js';
import { itemLabel } from './client.js';
import { itemZone, zonedWallClock, zoneOffset, type ItemZone } from './time-zone.js';
import { attr, kid, kids, textOf, type XmlElement } from './xml.js';

/** Raised for an item whose fields cannot be understood (bad dates, unknown pattern). */
export function badItem(itemId: string, reason: string): ItemError {
  return new ItemError(`${itemLabel(itemId)}: ${reason}`, 'EWS_BAD_ITEM');
}

function instant(itemId: string, el: XmlElement, name: string): Date | undefined {
  const s = textOf(el, name);
  if (s === undefined || s.trim() === '') return undefined;
  const d = new Date(s.trim());
  if (Number.isNaN(d.getTime())) throw badItem(itemId, `invalid ${name} ${JSON.stringify(s.slice(0, 40))}`);
  return d;
}

export { uidFromItemId };

function body(el: XmlElement): { text?: string; html?: string } {
  const b = kid(el, 'Body');
  const content = b?.textContent ?? '';
  if (!b || content === '') return {};
  if (attr(b, 'BodyType') === 'HTML') {
    const text = content.replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, '').replace(/<br\s*\/?>|<\/p>/gi, '\n').replace(/<[^>]+>/g, '')
      .replace(/&nbsp;/g, ' ').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').replace(/\n{3,}/g, '\n\n').trim();
    return { text, html: content };
  }
  return { text: content };
}

function strings(el: XmlElement, name: string): string[] | undefined {
  const list = kids(kid(el, name), 'String').map((s) => s.textContent ?? '').filter((s) => s !== '');
  return list.length ? list : undefined;
}

const RESPONSE: Record<string, Attendee['status']> = { Accept: 'accepted', Decline: 'declined', Tentative: 'tentative' };
const SENSITIVITY: Record<string, CalendarEvent['sensitivity']> = { Personal: 'private', Private: 'private', Confidential: 'confidential' };
const BUSY: Record<string, CalendarEvent['busyStatus']> = { Free: 'free', Tentative: 'tentative', Busy: 'busy', OOF: 'oof', WorkingElsewhere: 'busy' };
const DAY: Record<string, string> = { Sunday: 'SU', Monday: 'MO', Tuesday: 'TU', Wednesday: 'WE', Thursday: 'TH', Friday: 'FR', Saturday: 'SA' };
const INDEX: Record<string, number> = { First: 1, Second: 2, Third: 3, Fourth: 4, Last: -1 };
const MONTH: Record<string, number> = {
  January: 1, February: 2, March: 3, April: 4, May: 5, June: 6, July: 7, August: 8, September: 9, October: 10, November: 11, December: 12,
};

function days(itemId: string, s: string | undefined): string[] {
  const out: string[] = [];
  for (const d of (s ?? '').trim().split(/\s+/).filter(Boolean)) {
    if (d === 'Day') out.push('SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA');
    else if (d === 'Weekday') out.push('MO', 'TU', 'WE', 'TH', 'FR');
    else if (d === 'WeekendDay') out.push('SU', 'SA');
    else if (DAY[d]) out.push(DAY[d] as string);
    else throw badItem(itemId, `unknown day of week ${JSON.stringify(d)}`);
  }
  if (out.length === 0) throw badItem(itemId, 'recurrence without days of week');
  return out;
}

/** EWS Recurrence element → RRULE parts. */
export function recurrenceOf(itemId: string, rec: XmlElement, zone: ItemZone | string | undefined, allDay: boolean, startUtc: Date): Recurrence {
  const z: ItemZone = typeof zone === 'string' ? { kind: 'iana', tzid: zone } : zone ?? { kind: 'none' };
  const [pattern, range] = kids(rec);
  if (!pattern || !range) throw badItem(itemId, 'recurrence without pattern or range');
  const interval = Number(textOf(pattern, 'Interval') ?? 1) || 1;
  const r: Recurrence = { freq: 'DAILY', ...(interval > 1 ? { interval } : {}) };
  const relative = (p: XmlElement) => {
    const ds = days(itemId, textOf(p, 'DaysOfWeek'));
    const idx = INDEX[textOf(p, 'DayOfWeekIndex') ?? ''];
    if (idx === undefined) throw badItem(itemId, 'relative recurrence without a valid DayOfWeekIndex');
    if (ds.length === 1) r.byDay = [`${idx}${ds[0]}`];
    else { r.byDay = ds; r.bySetPos = [idx]; }
  };
  switch (pattern.localName) {
    case 'DailyRecurrence': r.freq = 'DAILY'; break;
    case 'WeeklyRecurrence': {
      r.freq = 'WEEKLY';
      r.byDay = days(itemId, textOf(pattern, 'DaysOfWeek'));
      const first = DAY[textOf(pattern, 'FirstDayOfWeek') ?? ''];
      if (first && first !== 'MO') r.weekStart = first;
      break;
    }
    case 'AbsoluteMonthlyRecurrence': r.freq = 'MONTHLY'; r.byMonthDay = [Number(textOf(pattern, 'DayOfMonth'))]; break;
    case 'RelativeMonthlyRecurrence': r.freq = 'MONTHLY'; relative(pattern); break;
    case 'AbsoluteYearlyRecurrence':
      r.freq = 'YEARLY'; r.byMonth = [MONTH[textOf(pattern, 'Month') ?? ''] ?? NaN]; r.byMonthDay = [Number(textOf(pattern, 'DayOfMonth'))]; break;
    case 'RelativeYearlyRecurrence': r.freq = 'YEARLY'; r.byMonth = [MONTH[textOf(pattern, 'Month') ?? ''] ?? NaN]; relative(pattern); break;
    default: throw badItem(itemId, `unsupported recurrence pattern ${pattern.localName}`);
  }
  if ([...(r.byMonthDay ?? []), ...(r.byMonth ?? [])].some((n) => !Number.isInteger(n))) throw badItem(itemId, `invalid ${pattern.localName}`);
  if (range.localName === 'NumberedRecurrence') {
    const count = Number(textOf(range, 'NumberOfOccurrences'));
    if (!Number.isInteger(count) || count < 1) throw badItem(itemId, 'invalid NumberOfOccurrences');
    r.count = count;
  } else if (range.localName === 'EndDateRecurrence') {
    const end = /^(\d{4}-\d{2}-\d{2})/.exec(textOf(range, 'EndDate') ?? '')?.[1];
    if (!end) throw badItem(itemId, 'invalid recurrence EndDate');
    if (allDay) r.until = { utc: new Date(`${end}T00:00:00Z`), date: end };
    else {
      // Through the end of that local day: the occurrence on EndDate is included.
      const endOfDay = new Date(`${end}T23:59:59Z`);
      r.until = { utc: new Date(endOfDay.getTime() - zoneOffset(startUtc.getTime(), z) * 60_000) };
    }
  } else if (range.localName !== 'NoEndRecurrence') throw badItem(itemId, `unsupported recurrence range ${range.localName}`);
  return r;
}

/** What converting one item learned beside its fields: notes for its log line, EX addresses resolved. */
export interface ItemContext {
  /** Notes for the item's log line (a zone taken as UTC, an address left out…). */
  notes: string[];
  /** legacyExchangeDN (any case) → SMTP; undefined when unknown. */
  resolveEx?: (dn: string) => string | undefined;
}

const newContext = (): ItemContext => ({ notes: [] });

/** The item's zone (see time-zone.ts); a named zone nobody knows is this item's error, never UTC. */
function zoneOf(itemId: string, el: XmlElement, ctx: ItemContext, inherited?: ItemZone): ItemZone {
  const z = itemZone(el);
  if (z.kind === 'unknown') throw badItem(itemId, `unknown time zone ${JSON.stringify(z.name)}: ${z.why}`);
  if (z.kind === 'none') {
    if (inherited) return inherited;
    ctx.notes.push('no time zone given: times taken as UTC');
  }
  return z;
}

const two = (n: number) => String(n).padStart(2, '0');

function dtv(utc: Date, z: ItemZone, allDay: boolean): DateTimeValue {
  if (allDay) {
    if (z.kind === 'none') {
      // No zone at all: the local midnight Exchange stored is the nearest UTC midnight (offsets are within ±12h).
      const d = new Date(Math.round(utc.getTime() / 86_400_000) * 86_400_000);
      return { utc, date: d.toISOString().slice(0, 10) };
    }
    const w = zonedWallClock(utc.getTime(), z);
    return { utc, date: `${w.year}-${two(w.month)}-${two(w.day)}` };
  }
  if (z.kind === 'iana') return { utc, tzid: z.tzid };
  if (z.kind === 'custom') return { utc, customZone: z.zone };
  return { utc };
}

/** A person of an item: SMTP as given, an EX (X.500) address resolved, never an X.500 DN as an address. */
function personOf(el: XmlElement | undefined, ctx: ItemContext, role: string): { email?: string; name?: string } {
  const m = kid(el, 'Mailbox');
  const address = textOf(m, 'EmailAddress')?.trim();
  const name = textOf(m, 'Name')?.trim();
  const routing = textOf(m, 'RoutingType')?.trim().toUpperCase();
  let email: string | undefined = address;
  if (address && (routing === 'EX' || address.startsWith('/'))) {
    email = ctx.resolveEx?.(address);
    if (!email) ctx.notes.push(`${role} ${JSON.stringify(name ?? address)}: Exchange address ${JSON.stringify(address)} not resolvable to SMTP, kept by name only`);
  } else if (address && !address.includes('@')) {
    email = undefined;
    ctx.notes.push(`${role} ${JSON.stringify(name ?? address)}: ${routing ?? 'unknown'} address ${JSON.stringify(address)} is not an e-mail address, kept by name only`);
  }
  return { ...(email ? { email } : {}), ...(name ? { name } : {}) };
}

/** The fields of one calendar item (master, single or exception). */
function eventFields(itemId: string, el: XmlElement, ctx: ItemContext, masterZone?: ItemZone): Omit<CalendarEvent, 'uid'> & { zone: ItemZone } {
  const zone = zoneOf(itemId, el, ctx, masterZone);
  const allDay = textOf(el, 'IsAllDayEvent') === 'true';
  const start = instant(itemId, el, 'Start');
  if (!start) throw badItem(itemId, 'calendar item without Start');
  const end = instant(itemId, el, 'End');
  const b = body(el);
  const reminder = textOf(el, 'ReminderIsSet') === 'true' ? Number(textOf(el, 'ReminderMinutesBeforeStart') ?? 15) : undefined;
  const attendees: Attendee[] = [];
  for (const [list, role] of [['RequiredAttendees', 'required'], ['OptionalAttendees', 'optional'], ['Resources', 'resource']] as const) {
    for (const a of kids(kid(el, list), 'Attendee')) {
      const p = personOf(a, ctx, 'attendee');
      if (p.email || p.name) attendees.push({ ...p, role, status: RESPONSE[textOf(a, 'ResponseType') ?? ''] ?? 'needs-action' });
    }
  }
  const organizer = personOf(kid(el, 'Organizer'), ctx, 'organizer');
  return {
    zone,
    summary: textOf(el, 'Subject'),
    description: b.text,
    descriptionHtml: b.html,
    location: textOf(el, 'Location') || undefined,
    start: dtv(start, zone, allDay),
    end: end ? dtv(end, zone, allDay) : undefined,
    allDay,
    organizer: organizer.email || organizer.name ? organizer : undefined,
    attendees: attendees.length ? attendees : undefined,
    reminderMinutes: reminder !== undefined && Number.isFinite(reminder) ? reminder : undefined,
    categories: strings(el, 'Categories'),
    sensitivity: SENSITIVITY[textOf(el, 'Sensitivity') ?? ''],
    busyStatus: BUSY[textOf(el, 'LegacyFreeBusyStatus') ?? ''],
    created: instant(itemId, el, 'DateTimeCreated'),
    lastModified: instant(itemId, el, 'LastModifiedTime'),
  };
}

/**
 * A CalendarItem → CalendarEvent. `occurrences` holds the fetched exception items by ItemId
 * (from the master's ModifiedOccurrences); `ctx` collects the item's notes and resolves EX addresses.
 */
export function eventFromEws(itemId: string, el: XmlElement, occurrences: Map<string, XmlElement> = new Map(), ctx: ItemContext = newContext()): CalendarEvent {
  const { zone, ...fields } = eventFields(itemId, el, ctx);
  const uid = textOf(el, 'UID')?.trim() || uidFromItemId(itemId);
  const ev: CalendarEvent = { uid, ...fields };
  const rec = kid(el, 'Recurrence');
  const type = textOf(el, 'CalendarItemType')?.trim();
  if (type === 'Occurrence' || type === 'Exception') {
    throw new ItemError(`${itemLabel(itemId)}: a single ${type === 'Exception' ? 'changed ' : ''}occurrence of a series (UID ${uid}): migrated with its series' master, not alone`, 'EWS_OCCURRENCE');
  }
  if (rec && type === 'RecurringMaster') {
    const allDay = ev.allDay === true;
    ev.recurrence = recurrenceOf(itemId, rec, zone, allDay, ev.start.utc);
    const exceptions: EventOccurrenceException[] = [];
    for (const occ of kids(kid(el, 'ModifiedOccurrences'), 'Occurrence')) {
      const original = instant(itemId, occ, 'OriginalStart');
      if (!original) throw badItem(itemId, 'modified occurrence without OriginalStart');
      const exEl = occurrences.get(attr(kid(occ, 'ItemId'), 'Id') ?? '');
      const changes = exEl ? eventFields(itemId, exEl, ctx, zone) : (() => {
        const s = instant(itemId, occ, 'Start');
        const e = instant(itemId, occ, 'End');
        return { start: s ? dtv(s, zone, allDay) : undefined, end: e ? dtv(e, zone, allDay) : undefined };
      })();
      const { zone: _z, ...rest } = changes as ReturnType<typeof eventFields>;
      exceptions.push({ recurrenceId: dtv(original, zone, allDay), changes: stripUndefined(rest) });
    }
    if (exceptions.length) ev.exceptions = exceptions;
    const deleted = kids(kid(el, 'DeletedOccurrences'), 'DeletedOccurrence').map((d) => {
      const s = instant(itemId, d, 'Start');
      if (!s) throw badItem(itemId, 'deleted occurrence without Start');
      return dtv(s, zone, allDay);
    });
    if (deleted.length) ev.deletedOccurrences = deleted;
  }
  return stripUndefined(ev);
}

function stripUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

const PHONE: Record<string, NonNullable<Contact['phones']>[number]['kind']> = {
  BusinessPhone: 'work', BusinessPhone2: 'work', CompanyMainPhone: 'work', HomePhone: 'home', HomePhone2: 'home', MobilePhone: 'cell', CarPhone: 'cell',
  BusinessFax: 'fax', HomeFax: 'fax', OtherFax: 'fax', Pager: 'pager',
};
const ADDRESS: Record<string, 'work' | 'home' | 'other'> = { Business: 'work', Home: 'home', Other: 'other' };

/** A Contact → Contact (photo bytes passed in when the item has one). */
export function contactFromEws(itemId: string, el: XmlElement, photo?: { mimeType: string; data: Buffer }): Contact {
  const birthday = textOf(el, 'Birthday');
  let bday: string | undefined;
  if (birthday !== undefined && birthday.trim() !== '') {
    const m = /^(\d{4}-\d{2}-\d{2})/.exec(birthday.trim());
    if (!m || Number.isNaN(new Date(`${m[1]}T00:00:00Z`).getTime())) throw badItem(itemId, `invalid Birthday ${JSON.stringify(birthday.slice(0, 40))}`);
    bday = m[1];
  }
  const emails = kids(kid(el, 'EmailAddresses'), 'Entry').map((e) => (e.textContent ?? '').trim()).filter((s) => s !== '')
    .map((address, i) => ({ address: address.replace(/^smtp:/i, ''), ...(i === 0 ? { preferred: true } : {}) }));
  const phones = kids(kid(el, 'PhoneNumbers'), 'Entry').filter((e) => (e.textContent ?? '').trim() !== '')
    .map((e) => ({ number: (e.textContent ?? '').trim(), kind: PHONE[attr(e, 'Key') ?? ''] ?? 'other' }));
  const addresses = kids(kid(el, 'PhysicalAddresses'), 'Entry').map((e) => stripUndefined({
    kind: ADDRESS[attr(e, 'Key') ?? ''] ?? 'other', street: textOf(e, 'Street'), city: textOf(e, 'City'), region: textOf(e, 'State'),
    postalCode: textOf(e, 'PostalCode'), country: textOf(e, 'CountryOrRegion'),
  }));
  return stripUndefined({
    uid: uidFromItemId(itemId),
    displayName: textOf(el, 'DisplayName') || undefined,
    givenName: textOf(el, 'GivenName') || undefined,
    middleName: textOf(el, 'MiddleName') || undefined,
    familyName: textOf(el, 'Surname') || undefined,
    nickname: textOf(el, 'Nickname') || undefined,
    emails: emails.length ? emails : undefined,
    phones: phones.length ? phones : undefined,
    addresses: addresses.length ? addresses : undefined,
    company: textOf(el, 'CompanyName') || undefined,
    department: textOf(el, 'Department') || undefined,
    title: textOf(el, 'JobTitle') || undefined,
    birthday: bday,
    notes: body(el).text,
    categories: strings(el, 'Categories'),
    photo,
    lastModified: instant(itemId, el, 'LastModifiedTime'),
  });
}

/** A DistributionList → ContactGroup. */
export function groupFromEws(itemId: string, el: XmlElement, ctx: ItemContext = newContext()): ContactGroup {
  return stripUndefined({
    uid: uidFromItemId(itemId),
    displayName: textOf(el, 'DisplayName') ?? '',
    members: kids(kid(el, 'Members'), 'Member').map((m) => personOf(m, ctx, 'member')),
    notes: body(el).text,
  });
}

const TASK_STATUS: Record<string, Task['status']> = { NotStarted: 'needs-action', InProgress: 'in-process', Completed: 'completed', WaitingOnOthers: 'needs-action', Deferred: 'needs-action' };
const PRIORITY: Record<string, Task['priority']> = { Low: 'low', Normal: 'normal', High: 'high' };

/** Task dates are days: a local midnight becomes a DATE value, anything else keeps its instant. */
/**
 * A task's StartDate/DueDate. Outlook tasks have dates, not times: Exchange sends the owner's local
 * midnight, as written (`2024-03-15T00:00:00+01:00`) or in UTC (`2024-03-14T23:00:00Z` in Berlin,
 * `2024-03-15T05:00:00Z` in New York). The date is the written one, else that of the nearest UTC
 * midnight (offsets up to ±12 h), so a due date never moves a day.
 */
function taskDate(itemId: string, el: XmlElement, name: string): DateTimeValue | undefined {
  const d = instant(itemId, el, name);
  if (!d) return undefined;
  const m = /^(\d{4}-\d{2}-\d{2})T00:00:00(?:\.0+)?(Z|[+-]\d{2}:\d{2})?$/.exec((textOf(el, name) ?? '').trim());
  if (m) return { utc: d, date: m[1] as string };
  const nearest = new Date(Math.round(d.getTime() / 86_400_000) * 86_400_000);
  return { utc: nearest, date: nearest.toISOString().slice(0, 10) };
}

/** A Task → Task. */
export function taskFromEws(itemId: string, el: XmlElement): Task {
  const due = taskDate(itemId, el, 'DueDate');
  const start = taskDate(itemId, el, 'StartDate');
  const reminderAt = textOf(el, 'ReminderIsSet') === 'true' ? instant(itemId, el, 'ReminderDueBy') : undefined;
  const anchor = due ?? start;
  const percent = Number(textOf(el, 'PercentComplete'));
  return stripUndefined({
    uid: uidFromItemId(itemId),
    summary: textOf(el, 'Subject'),
    description: body(el).text,
    start,
    due,
    completed: instant(itemId, el, 'CompleteDate'),
    status: TASK_STATUS[textOf(el, 'Status') ?? ''],
    percentComplete: Number.isFinite(percent) && textOf(el, 'PercentComplete') !== undefined ? percent : undefined,
    priority: PRIORITY[textOf(el, 'Importance') ?? ''],
    categories: strings(el, 'Categories'),
    reminderMinutes: reminderAt && anchor ? Math.max(0, Math.round((anchor.utc.getTime() - reminderAt.getTime()) / 60000)) : undefined,
    sensitivity: SENSITIVITY[textOf(el, 'Sensitivity') ?? ''],
    lastModified: instant(itemId, el, 'LastModifiedTime'),
  });
}
