/**
 * Kopano appointments, contacts and tasks (MAPI properties, named ones by property set + id) →
 * the neutral groupware model (src/model/groupware.ts); mappings/groupware turns that into
 * iCalendar / vCard. Pure.
 *
 * Times are taken as UTC instants (the backup stores PT_SYSTIME in UTC); all-day events use
 * the date of the start (rounded to the nearest midnight, which is right for any zone within
 * ±12 h). Recurring appointments: the PidLidAppointmentRecur blob becomes RRULE, EXDATEs and
 * moved occurrences (mappings/mapi/appointment-recurrence.ts) in the series' zone.
 */
import type { Attendee, CalendarEvent, Contact, ContactGroup, DateTimeValue, Task } from '../../src/model/groupware.js';
import { fallbackSeriesZone, parseAppointmentRecur, seriesRecurrence, zoneOfTzDefinition, type SeriesRecurrence } from '../../mappings/mapi/appointment-recurrence.js';
import { uidFromGlobalObjectId } from '../../mappings/mapi/global-object-id.js';
import type { KopanoItem } from './backup-reader.js';
import { PSETID, type PropList } from './mapi-props.js';
import { parseOneOffEntryId } from '../../mappings/mapi/entry-ids.js';
import { TAG, categories, recipientAddress } from './to-mail.js';

/** PSETID_Meeting {6ED8DA90-450B-101B-98DA-00AA003F1305} as stored. */
export const PSETID_MEETING = '90DAD86E0B451B1098DA00AA003F1305';

const LID = {
  busyStatus: 0x8205, location: 0x8208, start: 0x820d, end: 0x820e, allDay: 0x8215, recurring: 0x8223,
  recurrenceBlob: 0x8216, tzDefRecur: 0x8260, tzDefStart: 0x825e, dlOneOffMembers: 0x8054, dlName: 0x8053,
  reminderSet: 0x8503, reminderDelta: 0x8501, globalObjectId: 0x0003,
  taskStatus: 0x8101, percent: 0x8102, taskStart: 0x8104, taskDue: 0x8105, taskCompleted: 0x810f, taskComplete: 0x811c,
  email: [0x8083, 0x8093, 0x80a3], emailDisplay: [0x8080, 0x8090, 0x80a0], fileUnder: 0x8005,
  workStreet: 0x8045, workCity: 0x8046, workState: 0x8047, workPostal: 0x8048, workCountry: 0x8049,
} as const;

const CONTACT = {
  GIVEN: 0x3a06001f, SURNAME: 0x3a11001f, MIDDLE: 0x3a44001f, PREFIX: 0x3a45001f, GENERATION: 0x3a05001f, NICKNAME: 0x3a4f001f,
  COMPANY: 0x3a16001f, DEPARTMENT: 0x3a18001f, TITLE: 0x3a17001f, BIRTHDAY: 0x3a420040,
  BUSINESS_PHONE: 0x3a08001f, HOME_PHONE: 0x3a09001f, MOBILE: 0x3a1c001f, BUSINESS_FAX: 0x3a24001f, PAGER: 0x3a21001f,
  BUSINESS_HOMEPAGE: 0x3a51001f, PERSONAL_HOMEPAGE: 0x3a50001f,
  HOME_STREET: 0x3a5d001f, HOME_CITY: 0x3a59001f, HOME_STATE: 0x3a5c001f, HOME_POSTAL: 0x3a5b001f, HOME_COUNTRY: 0x3a5a001f,
} as const;

export class GroupwareMappingError extends Error {
  override readonly name = 'GroupwareMappingError';
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const date = (v: unknown): Date | undefined => (v instanceof Date && !Number.isNaN(v.getTime()) ? v : undefined);

function sensitivity(p: PropList): CalendarEvent['sensitivity'] {
  const s = p.number(TAG.SENSITIVITY);
  return s === 2 ? 'private' : s === 3 ? 'confidential' : s === undefined ? undefined : 'public';
}

function uid(item: KopanoItem): string {
  const goid = item.props.named(PSETID_MEETING, LID.globalObjectId);
  return uidFromGlobalObjectId(Buffer.isBuffer(goid) ? goid : undefined) ?? `kopano-${item.sourcekey}`;
}

function allDayValue(d: Date): DateTimeValue {
  const day = new Date(d.getTime() + 12 * 3600_000).toISOString().slice(0, 10);
  return { utc: new Date(`${day}T00:00:00Z`), date: day };
}

const TRACK_STATUS: Record<number, Attendee['status']> = { 2: 'tentative', 3: 'accepted', 4: 'declined' };

export function toCalendarEvent(item: KopanoItem): CalendarEvent {
  const p = item.props;
  const what = `appointment ${item.sourcekey}`;
  const start = date(p.named(PSETID.Appointment, LID.start)) ?? p.date(0x00600040);
  const end = date(p.named(PSETID.Appointment, LID.end)) ?? p.date(0x00610040);
  if (!start) throw new GroupwareMappingError(`${what}: no valid start time`);
  const allDay = p.named(PSETID.Appointment, LID.allDay) === true;
  const series = p.named(PSETID.Appointment, LID.recurring) === true ? recurrenceOf(item, start, allDay) : undefined;
  const tzid = zoneOfTzDefinition(bufferOf(p.named(PSETID.Appointment, LID.tzDefStart)));
  const busy = num(p.named(PSETID.Appointment, LID.busyStatus));
  const organizer = recipientAddressOf(p);
  const attendees: Attendee[] = [];
  for (const r of item.recipients) {
    const a = recipientAddress(r);
    if (!a) continue;
    const type = r.number(TAG.RECIPIENT_TYPE);
    attendees.push({
      email: a.address, name: a.name,
      role: type === 2 ? 'optional' : type === 3 ? 'resource' : 'required',
      status: TRACK_STATUS[r.number(0x5fff0003) ?? 0] ?? 'needs-action',
    });
  }
  return {
    uid: uid(item),
    summary: p.string(TAG.SUBJECT),
    description: p.string(TAG.BODY),
    location: str(p.named(PSETID.Appointment, LID.location)),
    start: series?.firstStart ?? (allDay ? allDayValue(start) : { utc: start, tzid }),
    end: series?.firstEnd ?? (end ? (allDay ? allDayValue(end) : { utc: end, tzid }) : undefined),
    allDay: allDay || undefined,
    recurrence: series?.recurrence,
    exceptions: series?.exceptions.length ? series.exceptions : undefined,
    deletedOccurrences: series?.deletedOccurrences.length ? series.deletedOccurrences : undefined,
    organizer,
    attendees: attendees.length ? attendees : undefined,
    reminderMinutes: p.named(PSETID.Common, LID.reminderSet) === true ? num(p.named(PSETID.Common, LID.reminderDelta)) ?? 15 : undefined,
    categories: categories(p),
    sensitivity: sensitivity(p),
    busyStatus: busy === 0 ? 'free' : busy === 1 ? 'tentative' : busy === 2 ? 'busy' : busy === 3 ? 'oof' : undefined,
    created: p.date(TAG.CREATION_TIME),
    lastModified: p.date(TAG.LAST_MODIFICATION_TIME),
  };
}

/**
 * The series of a recurring appointment. Zone: PidLidAppointmentTimeZoneDefinitionRecur's Windows
 * name; without it, the fixed offset between the pattern's local start and the UTC start
 * (Etc/GMT±n when whole hours, else UTC).
 */
function recurrenceOf(item: KopanoItem, start: Date, allDay: boolean): SeriesRecurrence {
  const p = item.props;
  const what = `appointment ${item.sourcekey}`;
  const blob = p.named(PSETID.Appointment, LID.recurrenceBlob);
  if (!Buffer.isBuffer(blob)) throw new GroupwareMappingError(`${what}: recurring, but without a recurrence pattern (PidLidAppointmentRecur)`);
  try {
    const recur = parseAppointmentRecur(blob);
    const tzid = zoneOfTzDefinition(bufferOf(p.named(PSETID.Appointment, LID.tzDefRecur))) ?? fallbackSeriesZone(recur, start);
    return seriesRecurrence(recur, tzid, allDay);
  } catch (err) {
    throw new GroupwareMappingError(`${what}: ${(err as Error).message}`);
  }
}

const bufferOf = (v: unknown): Buffer | undefined => (Buffer.isBuffer(v) ? v : undefined);

function recipientAddressOf(p: PropList): CalendarEvent['organizer'] {
  const email = p.string(0x5d02001f) ?? (p.string(TAG.SENT_REPRESENTING_ADDRTYPE)?.toUpperCase() === 'SMTP' ? p.string(TAG.SENT_REPRESENTING_EMAIL) : undefined);
  const name = p.string(TAG.SENT_REPRESENTING_NAME);
  return email || name ? { email, name } : undefined;
}

const TASK_STATUS: Record<number, Task['status']> = { 0: 'needs-action', 1: 'in-process', 2: 'completed', 3: 'needs-action', 4: 'cancelled' };

export function toTask(item: KopanoItem): Task {
  const p = item.props;
  const status = num(p.named(PSETID.Task, LID.taskStatus));
  const percent = num(p.named(PSETID.Task, LID.percent));
  const complete = p.named(PSETID.Task, LID.taskComplete) === true;
  const startD = date(p.named(PSETID.Task, LID.taskStart));
  const dueD = date(p.named(PSETID.Task, LID.taskDue));
  const importance = p.number(TAG.IMPORTANCE);
  return {
    uid: uid(item),
    summary: p.string(TAG.SUBJECT),
    description: p.string(TAG.BODY),
    start: startD ? allDayValue(startD) : undefined,
    due: dueD ? allDayValue(dueD) : undefined,
    completed: date(p.named(PSETID.Task, LID.taskCompleted)),
    status: complete ? 'completed' : status === undefined ? undefined : TASK_STATUS[status],
    percentComplete: percent === undefined ? undefined : Math.round(Math.min(1, Math.max(0, percent)) * 100),
    priority: importance === 0 ? 'low' : importance === 2 ? 'high' : importance === 1 ? 'normal' : undefined,
    categories: categories(p),
    reminderMinutes: undefined,
    sensitivity: sensitivity(p),
    created: p.date(TAG.CREATION_TIME),
    lastModified: p.date(TAG.LAST_MODIFICATION_TIME),
  };
}

export function toContact(item: KopanoItem): Contact {
  const p = item.props;
  const emails: NonNullable<Contact['emails']> = [];
  LID.email.forEach((id, i) => {
    const address = str(p.named(PSETID.Address, id));
    if (address && address.includes('@')) emails.push({ address, preferred: i === 0 || undefined });
  });
  const phones: NonNullable<Contact['phones']> = [];
  const phone = (tag: number, kind: NonNullable<Contact['phones']>[number]['kind']): void => {
    const n = p.string(tag);
    if (n) phones.push({ number: n, kind });
  };
  phone(CONTACT.BUSINESS_PHONE, 'work');
  phone(CONTACT.HOME_PHONE, 'home');
  phone(CONTACT.MOBILE, 'cell');
  phone(CONTACT.BUSINESS_FAX, 'fax');
  phone(CONTACT.PAGER, 'pager');
  const addresses: NonNullable<Contact['addresses']> = [];
  const home = { kind: 'home' as const, street: p.string(CONTACT.HOME_STREET), city: p.string(CONTACT.HOME_CITY), region: p.string(CONTACT.HOME_STATE), postalCode: p.string(CONTACT.HOME_POSTAL), country: p.string(CONTACT.HOME_COUNTRY) };
  const work = {
    kind: 'work' as const, street: str(p.named(PSETID.Address, LID.workStreet)), city: str(p.named(PSETID.Address, LID.workCity)),
    region: str(p.named(PSETID.Address, LID.workState)), postalCode: str(p.named(PSETID.Address, LID.workPostal)), country: str(p.named(PSETID.Address, LID.workCountry)),
  };
  for (const a of [work, home]) if (a.street || a.city || a.region || a.postalCode || a.country) addresses.push(a);
  const birthday = p.date(CONTACT.BIRTHDAY);
  const photoAtt = item.attachments.find((a) => a.props.bool(PR_ATTACHMENT_CONTACTPHOTO) === true && a.data && a.data.length > 0);
  const urls = [p.string(CONTACT.BUSINESS_HOMEPAGE), p.string(CONTACT.PERSONAL_HOMEPAGE)].filter((u): u is string => !!u);
  return {
    uid: uid(item),
    displayName: p.string(TAG.DISPLAY_NAME) ?? str(p.named(PSETID.Address, LID.fileUnder)) ?? p.string(TAG.SUBJECT),
    givenName: p.string(CONTACT.GIVEN),
    familyName: p.string(CONTACT.SURNAME),
    middleName: p.string(CONTACT.MIDDLE),
    prefix: p.string(CONTACT.PREFIX),
    suffix: p.string(CONTACT.GENERATION),
    nickname: p.string(CONTACT.NICKNAME),
    emails: emails.length ? emails : undefined,
    phones: phones.length ? phones : undefined,
    addresses: addresses.length ? addresses : undefined,
    company: p.string(CONTACT.COMPANY),
    department: p.string(CONTACT.DEPARTMENT),
    title: p.string(CONTACT.TITLE),
    birthday: birthday ? allDayValue(birthday).date : undefined,
    notes: p.string(TAG.BODY),
    urls: urls.length ? urls : undefined,
    categories: categories(p),
    photo: photoAtt?.data ? { mimeType: photoAtt.props.string(TAG.ATTACH_MIME_TAG) ?? 'image/jpeg', data: photoAtt.data } : undefined,
    lastModified: p.date(TAG.LAST_MODIFICATION_TIME),
  };
}

/** PR_ATTACHMENT_CONTACTPHOTO: the attachment is the contact's picture. */
const PR_ATTACHMENT_CONTACTPHOTO = 0x7fff000b;

/** A distribution list (IPM.DistList) from its one-off members (PidLidDistributionListOneOffMembers). */
export function toContactGroup(item: KopanoItem): ContactGroup {
  const p = item.props;
  const raw = p.named(PSETID.Address, LID.dlOneOffMembers);
  const members: ContactGroup['members'] = [];
  for (const e of Array.isArray(raw) ? raw : []) {
    if (!Buffer.isBuffer(e)) continue;
    const m = parseOneOffEntryId(e);
    if (!m) continue;
    const email = m.addrType?.toUpperCase() === 'SMTP' || m.address?.includes('@') ? m.address : undefined;
    members.push({ email, name: m.name });
  }
  return {
    uid: uid(item),
    displayName: str(p.named(PSETID.Address, LID.dlName)) ?? p.string(TAG.DISPLAY_NAME) ?? p.string(TAG.SUBJECT) ?? '',
    members,
    notes: p.string(TAG.BODY),
  };
}
