/**
 * MAPI appointments, contacts, distribution lists and tasks (as stored in PST and .msg files) →
 * the neutral groupware model (src/model/groupware.ts); mappings/groupware turns that into
 * iCalendar / vCard. Pure: the caller gives the item's properties through `MapiGroupwareItem`
 * (tagged ones by property id, named ones by property set and LID, [MS-OXPROPS]).
 *
 * - Times: PT_SYSTIME values are UTC instants. The zone (mappings/mapi/appointment-zone.ts)
 *   comes from the TZDEFINITION / TZREG / display-name properties in the order Outlook trusts
 *   them: an IANA id, else a custom zone built from the rules; a zone property that gives
 *   neither fails the item, never a silent UTC. A genuinely zone-less appointment (no zone
 *   property at all) keeps exact UTC instants; its all-day values take the nearest midnight
 *   (right for a local midnight in any zone within ±12 h), its series the fixed offset the
 *   pattern implies. All-day values are dates (the start's date in its zone).
 * - Attachments: the caller reads the item's by-value attachments (`attachments`), excluding
 *   recurrence exceptions (mappings/mapi/item-attachments.ts); they are carried as they are.
 * - Recurrence, cancelled and moved occurrences: mappings/mapi/appointment-recurrence.ts.
 * - UID: mappings/mapi/global-object-id.ts (as Exchange and the Kopano source derive it); items
 *   without a global object id (contacts, tasks, lists, local appointments) get `fallbackUid`.
 */
import type { Attendee, CalendarEvent, Contact, ContactGroup, DateTimeValue, ItemAttachment, Person, Task } from '../../src/model/groupware.js';
import { coerceError, ItemError } from '../../src/util/errors.js';
import { fallbackSeriesZone, parseAppointmentRecur, seriesRecurrence, type SeriesRecurrence } from './appointment-recurrence.js';
import { appointmentZone } from './appointment-zone.js';
import { zoneDate, zonedValue, type MapiZone } from './custom-zone.js';
import { parseOneOffEntryId } from './entry-ids.js';
import { uidFromGlobalObjectId } from './global-object-id.js';

/** Named property sets ([MS-OXPROPS] 1.3.2). */
export type PropSet = 'common' | 'address' | 'appointment' | 'meeting' | 'task';
/** A tagged property by its 16-bit id (0x0037), or a named one by set and LID. */
export type PropRef = number | readonly [PropSet, number];

export interface MapiPropertyReader {
  string(p: PropRef): string | undefined;
  /** PT_LONG, PT_SHORT or PT_DOUBLE. */
  number(p: PropRef): number | undefined;
  bool(p: PropRef): boolean | undefined;
  date(p: PropRef): Date | undefined;
  binary(p: PropRef): Buffer | undefined;
  /** PT_MV_BINARY. */
  binaries(p: PropRef): Buffer[] | undefined;
}

export interface MapiRecipient extends Person {
  /** PR_RECIPIENT_TYPE: 1 to (required), 2 cc (optional), 3 bcc (resource). */
  type?: number;
  /** PR_RECIPIENT_FLAGS (recipOrganizer = 0x2). */
  flags?: number;
  /** PR_RECIPIENT_TRACKSTATUS. */
  trackStatus?: number;
}

export interface MapiGroupwareItem {
  /** Names the item in errors (e.g. "file.pst, Calendar, node 2097188"). */
  label: string;
  props: MapiPropertyReader;
  /** UID for items without a global object id: stable for the item (e.g. from file and node id). */
  fallbackUid: string;
  /** PidNameKeywords. */
  categories?: string[];
  /** The sender / sent-representing address, resolved to SMTP where the item has it. */
  organizer?: Person;
  recipients: MapiRecipient[];
  /** The attachment flagged PR_ATTACHMENT_CONTACTPHOTO. */
  contactPhoto?: { mimeType?: string; data: Buffer };
  /** The user's attachments of an appointment or task (see mappings/mapi/item-attachments.ts). */
  attachments?: ItemAttachment[];
}

export const TAG = {
  SUBJECT: 0x0037, SENSITIVITY: 0x0036, IMPORTANCE: 0x0017, BODY: 0x1000, DISPLAY_NAME: 0x3001,
  CREATION_TIME: 0x3007, LAST_MODIFICATION_TIME: 0x3008,
  GIVEN: 0x3a06, SURNAME: 0x3a11, MIDDLE: 0x3a44, PREFIX: 0x3a45, GENERATION: 0x3a05, NICKNAME: 0x3a4f,
  COMPANY: 0x3a16, DEPARTMENT: 0x3a18, TITLE: 0x3a17, BIRTHDAY: 0x3a42,
  BUSINESS_PHONE: 0x3a08, BUSINESS_PHONE2: 0x3a1b, HOME_PHONE: 0x3a09, HOME_PHONE2: 0x3a2f, MOBILE: 0x3a1c, PRIMARY_PHONE: 0x3a1a,
  OTHER_PHONE: 0x3a1f, BUSINESS_FAX: 0x3a24, HOME_FAX: 0x3a25, PAGER: 0x3a21,
  BUSINESS_HOMEPAGE: 0x3a51, PERSONAL_HOMEPAGE: 0x3a50,
  HOME_STREET: 0x3a5d, HOME_CITY: 0x3a59, HOME_STATE: 0x3a5c, HOME_POSTAL: 0x3a5b, HOME_COUNTRY: 0x3a5a,
  OTHER_STREET: 0x3a63, OTHER_CITY: 0x3a5f, OTHER_STATE: 0x3a62, OTHER_POSTAL: 0x3a61, OTHER_COUNTRY: 0x3a60,
} as const;

export const LID = {
  busyStatus: ['appointment', 0x8205], location: ['appointment', 0x8208], start: ['appointment', 0x820d], end: ['appointment', 0x820e],
  subType: ['appointment', 0x8215], recur: ['appointment', 0x8216], recurring: ['appointment', 0x8223],
  tzDefStart: ['appointment', 0x825e], tzDefRecur: ['appointment', 0x8260], tzStruct: ['appointment', 0x8233], tzDescription: ['appointment', 0x8234],
  reminderDelta: ['common', 0x8501], reminderSet: ['common', 0x8503], commonStart: ['common', 0x8516], commonEnd: ['common', 0x8517],
  globalObjectId: ['meeting', 0x0003], cleanGlobalObjectId: ['meeting', 0x0023],
  taskStatus: ['task', 0x8101], percent: ['task', 0x8102], taskStart: ['task', 0x8104], taskDue: ['task', 0x8105],
  taskCompleted: ['task', 0x810f], taskComplete: ['task', 0x811c],
  fileUnder: ['address', 0x8005], dlName: ['address', 0x8053], dlOneOffMembers: ['address', 0x8054],
  workStreet: ['address', 0x8045], workCity: ['address', 0x8046], workState: ['address', 0x8047], workPostal: ['address', 0x8048], workCountry: ['address', 0x8049],
} as const satisfies Record<string, readonly [PropSet, number]>;

/** Email1..3: address type, address, display name. */
const EMAIL_SLOTS = [[0x8082, 0x8083], [0x8092, 0x8093], [0x80a2, 0x80a3]] as const;

function bad(item: MapiGroupwareItem, reason: string): ItemError {
  return new ItemError(`${item.label}: ${reason}`, 'MAPI_BAD_ITEM');
}

function uid(item: MapiGroupwareItem): string {
  const p = item.props;
  return uidFromGlobalObjectId(p.binary(LID.cleanGlobalObjectId)) ?? uidFromGlobalObjectId(p.binary(LID.globalObjectId)) ?? item.fallbackUid;
}

function sensitivity(p: MapiPropertyReader): CalendarEvent['sensitivity'] {
  const s = p.number(TAG.SENSITIVITY);
  return s === 2 ? 'private' : s === 3 ? 'confidential' : s === undefined ? undefined : 'public';
}

/** PR_SUBJECT without its prefix marker (0x01 + the prefix length, [MS-PST] 2.5.3.1.1.1). */
function subject(p: MapiPropertyReader): string | undefined {
  const s = p.string(TAG.SUBJECT);
  return s?.charCodeAt(0) === 1 ? s.slice(2) || undefined : s;
}

/** PR_BODY when it says anything (Outlook leaves a lone line break in empty items). */
function body(p: MapiPropertyReader): string | undefined {
  const s = p.string(TAG.BODY);
  return s && s.trim() !== '' ? s.replace(/\s+$/, '') : undefined;
}

/**
 * The date of `d` in `zone` as an all-day value; without a zone, the nearest midnight (right for
 * a local midnight in any zone within ±12 h).
 */
export function allDayValue(d: Date, zone?: MapiZone): DateTimeValue {
  const date = zone ? zoneDate(d.getTime(), zone) : new Date(d.getTime() + 12 * 3600_000).toISOString().slice(0, 10);
  return { utc: new Date(`${date}T00:00:00Z`), date };
}

const TRACK_STATUS: Record<number, Attendee['status']> = { 2: 'tentative', 3: 'accepted', 4: 'declined' };
const RECIP_ORGANIZER = 0x2;

function attendees(item: MapiGroupwareItem, organizer: Person | undefined): Attendee[] | undefined {
  const out: Attendee[] = [];
  for (const r of item.recipients) {
    if (!r.email && !r.name) continue;
    if ((r.flags ?? 0) & RECIP_ORGANIZER) continue;
    if (organizer?.email && r.email && organizer.email.toLowerCase() === r.email.toLowerCase()) continue;
    out.push({
      email: r.email, name: r.name,
      role: r.type === 2 ? 'optional' : r.type === 3 ? 'resource' : 'required',
      status: TRACK_STATUS[r.trackStatus ?? 0] ?? 'needs-action',
    });
  }
  return out.length ? out : undefined;
}

function series(item: MapiGroupwareItem, start: Date, allDay: boolean, zone: MapiZone | undefined): SeriesRecurrence {
  const blob = item.props.binary(LID.recur);
  if (!blob) throw bad(item, 'recurring, but without a recurrence pattern (PidLidAppointmentRecur)');
  try {
    const recur = parseAppointmentRecur(blob);
    return seriesRecurrence(recur, zone ?? fallbackSeriesZone(recur, start), allDay);
  } catch (err) {
    throw bad(item, coerceError(err).message);
  }
}

export function toCalendarEvent(item: MapiGroupwareItem): CalendarEvent {
  const p = item.props;
  const start = p.date(LID.start) ?? p.date(LID.commonStart);
  const end = p.date(LID.end) ?? p.date(LID.commonEnd);
  if (!start) throw bad(item, 'appointment without a valid start time (PidLidAppointmentStartWhole)');
  if (end && end.getTime() < start.getTime()) throw bad(item, `appointment ends (${end.toISOString()}) before it starts (${start.toISOString()})`);
  const allDay = p.bool(LID.subType) === true;
  const recurring = p.bool(LID.recurring) === true;
  let zone: MapiZone | undefined;
  try {
    zone = appointmentZone({
      defStart: p.binary(LID.tzDefStart), defRecur: p.binary(LID.tzDefRecur), struct: p.binary(LID.tzStruct), description: p.string(LID.tzDescription),
    }, recurring, start);
  } catch (err) {
    throw bad(item, coerceError(err).message);
  }
  const s = recurring ? series(item, start, allDay, zone) : undefined;
  const busy = p.number(LID.busyStatus);
  const organizer = item.organizer?.email || item.organizer?.name ? item.organizer : undefined;
  const value = (d: Date): DateTimeValue => (allDay ? allDayValue(d, zone) : zone ? zonedValue(d, zone) : { utc: d });
  return {
    uid: uid(item),
    summary: subject(p),
    description: body(p),
    location: p.string(LID.location),
    start: s?.firstStart ?? value(start),
    end: s?.firstEnd ?? (end ? value(end) : undefined),
    allDay: allDay || undefined,
    recurrence: s?.recurrence,
    exceptions: s?.exceptions.length ? s.exceptions : undefined,
    deletedOccurrences: s?.deletedOccurrences.length ? s.deletedOccurrences : undefined,
    organizer,
    attendees: attendees(item, organizer),
    reminderMinutes: p.bool(LID.reminderSet) === true ? p.number(LID.reminderDelta) ?? 15 : undefined,
    categories: item.categories?.length ? item.categories : undefined,
    sensitivity: sensitivity(p),
    attachments: item.attachments?.length ? item.attachments : undefined,
    busyStatus: busy === 0 ? 'free' : busy === 1 ? 'tentative' : busy === 2 ? 'busy' : busy === 3 ? 'oof' : undefined,
    created: p.date(TAG.CREATION_TIME),
    lastModified: p.date(TAG.LAST_MODIFICATION_TIME),
  };
}

const TASK_STATUS: Record<number, Task['status']> = { 0: 'needs-action', 1: 'in-process', 2: 'completed', 3: 'needs-action', 4: 'needs-action' };

export function toTask(item: MapiGroupwareItem): Task {
  const p = item.props;
  const status = p.number(LID.taskStatus);
  const percent = p.number(LID.percent);
  const startD = p.date(LID.taskStart);
  const dueD = p.date(LID.taskDue);
  const importance = p.number(TAG.IMPORTANCE);
  const completed = p.date(LID.taskCompleted);
  const done = p.bool(LID.taskComplete) === true || status === 2;
  return {
    uid: uid(item),
    summary: subject(p),
    description: body(p),
    // Outlook keeps task dates as midnight UTC of the local date (PidLidTaskStartDate, PidLidTaskDueDate)
    start: startD ? allDayValue(startD) : undefined,
    due: dueD ? allDayValue(dueD) : undefined,
    completed: done ? completed : undefined,
    status: done ? 'completed' : status === undefined ? undefined : TASK_STATUS[status],
    percentComplete: done ? 100 : percent === undefined ? undefined : Math.round(Math.min(1, Math.max(0, percent)) * 100),
    priority: importance === 0 ? 'low' : importance === 2 ? 'high' : importance === 1 ? 'normal' : undefined,
    categories: item.categories?.length ? item.categories : undefined,
    reminderMinutes: undefined,
    sensitivity: sensitivity(p),
    attachments: item.attachments?.length ? item.attachments : undefined,
    created: p.date(TAG.CREATION_TIME),
    lastModified: p.date(TAG.LAST_MODIFICATION_TIME),
  };
}

type Phone = NonNullable<Contact['phones']>[number];
const PHONES: [number, Phone['kind'], boolean?][] = [
  [TAG.PRIMARY_PHONE, 'other', true], [TAG.BUSINESS_PHONE, 'work'], [TAG.BUSINESS_PHONE2, 'work'], [TAG.HOME_PHONE, 'home'], [TAG.HOME_PHONE2, 'home'],
  [TAG.MOBILE, 'cell'], [TAG.BUSINESS_FAX, 'fax'], [TAG.HOME_FAX, 'fax'], [TAG.PAGER, 'pager'], [TAG.OTHER_PHONE, 'other'],
];

function address(kind: 'work' | 'home' | 'other', parts: (string | undefined)[]): Contact['addresses'] {
  const [street, city, region, postalCode, country] = parts;
  return street || city || region || postalCode || country ? [{ kind, street, city, region, postalCode, country }] : [];
}

export function toContact(item: MapiGroupwareItem): Contact {
  const p = item.props;
  const emails: NonNullable<Contact['emails']> = [];
  for (const [typeLid, addrLid] of EMAIL_SLOTS) {
    const address = p.string(['address', addrLid])?.trim();
    const type = p.string(['address', typeLid])?.toUpperCase();
    // an Exchange (EX) address is an X.500 DN, not something a vCard can hold
    if (address && address.includes('@') && type !== 'EX') emails.push({ address, preferred: emails.length === 0 || undefined });
  }
  const phones: Phone[] = [];
  for (const [tag, kind, preferred] of PHONES) {
    const number = p.string(tag)?.trim();
    if (number && !phones.some((x) => x.number === number)) phones.push({ number, kind, ...(preferred ? { preferred } : {}) });
  }
  const addresses = [
    ...address('work', [LID.workStreet, LID.workCity, LID.workState, LID.workPostal, LID.workCountry].map((r) => p.string(r)))!,
    ...address('home', [TAG.HOME_STREET, TAG.HOME_CITY, TAG.HOME_STATE, TAG.HOME_POSTAL, TAG.HOME_COUNTRY].map((r) => p.string(r)))!,
    ...address('other', [TAG.OTHER_STREET, TAG.OTHER_CITY, TAG.OTHER_STATE, TAG.OTHER_POSTAL, TAG.OTHER_COUNTRY].map((r) => p.string(r)))!,
  ];
  const birthday = p.date(TAG.BIRTHDAY);
  const urls = [p.string(TAG.BUSINESS_HOMEPAGE), p.string(TAG.PERSONAL_HOMEPAGE)].filter((u): u is string => !!u);
  const photo = item.contactPhoto && item.contactPhoto.data.length > 0
    ? { mimeType: item.contactPhoto.mimeType ?? imageType(item.contactPhoto.data), data: item.contactPhoto.data } : undefined;
  return {
    uid: item.fallbackUid,
    displayName: p.string(TAG.DISPLAY_NAME) ?? p.string(LID.fileUnder) ?? subject(p),
    givenName: p.string(TAG.GIVEN),
    familyName: p.string(TAG.SURNAME),
    middleName: p.string(TAG.MIDDLE),
    prefix: p.string(TAG.PREFIX),
    suffix: p.string(TAG.GENERATION),
    nickname: p.string(TAG.NICKNAME),
    emails: emails.length ? emails : undefined,
    phones: phones.length ? phones : undefined,
    addresses: addresses.length ? addresses : undefined,
    company: p.string(TAG.COMPANY),
    department: p.string(TAG.DEPARTMENT),
    title: p.string(TAG.TITLE),
    // Outlook stores the birthday as a time near midnight of the local date: round to the nearest day
    birthday: birthday ? new Date(birthday.getTime() + 12 * 3600_000).toISOString().slice(0, 10) : undefined,
    notes: body(p),
    urls: urls.length ? urls : undefined,
    categories: item.categories?.length ? item.categories : undefined,
    photo,
    lastModified: p.date(TAG.LAST_MODIFICATION_TIME),
  };
}

/** Image type by magic number (Outlook names the photo "ContactPicture.jpg" but keeps no MIME type). */
function imageType(data: Buffer): string {
  if (data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (data.subarray(0, 3).toString('latin1') === 'GIF') return 'image/gif';
  if (data.subarray(0, 2).toString('latin1') === 'BM') return 'image/bmp';
  return 'image/jpeg';
}

/** A distribution list (IPM.DistList) from its one-off members (PidLidDistributionListOneOffMembers). */
export function toContactGroup(item: MapiGroupwareItem): ContactGroup {
  const p = item.props;
  const members: ContactGroup['members'] = [];
  for (const e of p.binaries(LID.dlOneOffMembers) ?? []) {
    const m = parseOneOffEntryId(e);
    if (!m) continue;
    const email = m.addrType?.toUpperCase() === 'SMTP' || m.address?.includes('@') ? m.address : undefined;
    if (email || m.name) members.push({ email, name: m.name });
  }
  const displayName = p.string(LID.dlName) ?? p.string(TAG.DISPLAY_NAME) ?? subject(p);
  if (!displayName) throw bad(item, 'distribution list without a name');
  return { uid: item.fallbackUid, displayName, members, notes: body(p) };
}
