/**
 * Builds the EWS property elements the simulator stores, from friendly input, in the shapes of
 * the documented GetItem responses (see ../shared/fixtures/ews: msdocs getitem-*-response,
 * garethp-php-ews getitem-calendaritem-recurring-master-response).
 */
import { TimeZoneMappingData } from 'ews-javascript-api/js/tzmapping.js';
import { esc } from '../xml.js';
import type { EwsSimStore, SimAttachment, SimItem } from './store.js';

const el = (name: string, inner: string, attrs = ''): string => `<t:${name}${attrs}>${inner}</t:${name}>`;
const txt = (name: string, value: string | number | boolean): string => el(name, esc(String(value)));

type Fields = Map<string, string>;

function put(f: Fields, name: string, value: string | number | boolean | undefined): void {
  if (value !== undefined) f.set(name, txt(name, value));
}

function strings(name: string, list: string[] | undefined): string | undefined {
  return list?.length ? el(name, list.map((s) => txt('String', s)).join('')) : undefined;
}

/** A person as Exchange writes it: someone with a mailbox in the store by X.500 DN (RoutingType EX), anyone else by SMTP (OneOff). */
function mailbox(p: { name?: string; email: string }, store?: EwsSimStore): string {
  const local = store?.mailbox(p.email);
  const [address, routing, type] = local ? [store?.legacyDn(local.smtp) as string, 'EX', 'Mailbox'] : [p.email, 'SMTP', 'OneOff'];
  return el('Mailbox', `${p.name ? txt('Name', p.name) : ''}${txt('EmailAddress', address)}${txt('RoutingType', routing)}${txt('MailboxType', type)}`);
}

const ZONE_TABLE = TimeZoneMappingData as unknown as Record<string, [string[], string] | undefined>;

/** The display name Exchange puts in TimeZone for a Windows zone id ("(UTC+01:00) Amsterdam, …"). */
export function displayNameOf(windowsId: string): string {
  return ZONE_TABLE[windowsId]?.[1] ?? windowsId;
}

export interface MessageInput {
  mime: Buffer | string | undefined;
  subject?: string;
  received?: string;
  isRead?: boolean;
  flagged?: boolean;
  categories?: string[];
  /** Answer GetItem for it with this error (e.g. ErrorMimeContentConversionFailed). */
  failWith?: string;
}

export function addMessage(store: EwsSimStore, smtp: string, folderId: string, m: MessageInput): SimItem {
  const f: Fields = new Map();
  const mime = m.mime === undefined ? undefined : Buffer.from(m.mime);
  put(f, 'ItemClass', 'IPM.Note');
  put(f, 'Subject', m.subject);
  put(f, 'DateTimeReceived', m.received ?? '2024-01-01T10:00:00Z');
  put(f, 'Size', mime?.length ?? 0);
  const cats = strings('Categories', m.categories);
  if (cats) f.set('Categories', cats);
  put(f, 'Importance', 'Normal');
  f.set('Flag', flagXml(m.flagged ?? false));
  put(f, 'IsRead', m.isRead ?? false);
  return store.addItem(smtp, folderId, 'Message', f, { mime, failWith: m.failWith });
}

export function flagXml(flagged: boolean): string {
  return el('Flag', txt('FlagStatus', flagged ? 'Flagged' : 'NotFlagged'));
}

export function categoriesXml(list: string[]): string {
  return el('Categories', list.map((s) => txt('String', s)).join(''));
}

export interface AttendeeInput { email: string; name?: string; response?: 'Unknown' | 'Accept' | 'Decline' | 'Tentative' | 'NoResponseReceived' }

export interface CalendarInput {
  uid: string;
  subject?: string;
  body?: string;
  location?: string;
  /** UTC instants (ISO). */
  start: string;
  end: string;
  /** Windows zone id, e.g. "W. Europe Standard Time" (StartTimeZone/EndTimeZone Id, when asked for). */
  timeZone?: string;
  /**
   * The display name in `TimeZone` (all AllProperties gives on Exchange 2019). Default: the
   * zone's current display name; an old one ("(GMT-08:00) … ; Tijuana") or "Customized Time Zone" to test those.
   */
  timeZoneName?: string;
  /** A TimeZoneDefinition's inner XML (Periods, TransitionsGroups, Transitions) for StartTimeZone/EndTimeZone, e.g. a customized zone. */
  timeZoneDefinition?: string;
  allDay?: boolean;
  organizer?: { email: string; name?: string };
  required?: AttendeeInput[];
  optional?: AttendeeInput[];
  reminderMinutes?: number;
  categories?: string[];
  sensitivity?: 'Normal' | 'Personal' | 'Private' | 'Confidential';
  freeBusy?: 'Free' | 'Tentative' | 'Busy' | 'OOF';
  created?: string;
  lastModified?: string;
  /** EWS recurrence XML body (pattern + range), e.g. from weekly(). */
  recurrence?: string;
  /** Moved occurrences: the original start and the new fields. */
  modified?: { originalStart: string; start: string; end: string; subject?: string }[];
  /** Cancelled occurrences by original start. */
  deleted?: string[];
}

/** A weekly pattern with a numbered range (see the recurring-master fixture). */
export function weekly(days: string[], startDate: string, count: number, interval = 1): string {
  return el('WeeklyRecurrence', `${txt('Interval', interval)}${txt('DaysOfWeek', days.join(' '))}`)
    + el('NumberedRecurrence', `${txt('StartDate', startDate)}${txt('NumberOfOccurrences', count)}`);
}

function calendarFields(c: CalendarInput, type: 'Single' | 'RecurringMaster' | 'Exception', originalStart?: string, store?: EwsSimStore): Fields {
  const f: Fields = new Map();
  put(f, 'ItemClass', 'IPM.Appointment');
  put(f, 'Subject', c.subject);
  put(f, 'Sensitivity', c.sensitivity ?? 'Normal');
  // Empty elements, as Exchange sends them for an item without body or location.
  f.set('Body', c.body !== undefined && c.body !== '' ? el('Body', esc(c.body), ' BodyType="Text"') : '<t:Body BodyType="Text"/>');
  const cats = strings('Categories', c.categories);
  if (cats) f.set('Categories', cats);
  put(f, 'DateTimeCreated', c.created);
  put(f, 'ReminderIsSet', c.reminderMinutes !== undefined);
  if (c.reminderMinutes !== undefined) put(f, 'ReminderMinutesBeforeStart', c.reminderMinutes);
  put(f, 'LastModifiedTime', c.lastModified);
  put(f, 'UID', c.uid);
  put(f, 'Start', c.start);
  put(f, 'End', c.end);
  put(f, 'OriginalStart', originalStart);
  put(f, 'IsAllDayEvent', c.allDay ?? false);
  put(f, 'LegacyFreeBusyStatus', c.freeBusy ?? 'Busy');
  f.set('Location', c.location ? txt('Location', c.location) : '<t:Location/>');
  put(f, 'CalendarItemType', type);
  if (c.organizer) f.set('Organizer', el('Organizer', mailbox(c.organizer, store)));
  const attendees = (name: string, list: AttendeeInput[] | undefined) => {
    if (list?.length) f.set(name, el(name, list.map((a) => el('Attendee', mailbox(a, store) + (a.response ? txt('ResponseType', a.response) : ''))).join('')));
  };
  attendees('RequiredAttendees', c.required);
  attendees('OptionalAttendees', c.optional);
  if (c.recurrence && type === 'RecurringMaster') f.set('Recurrence', el('Recurrence', c.recurrence));
  const display = c.timeZoneName ?? (c.timeZone ? displayNameOf(c.timeZone) : undefined);
  if (display) put(f, 'TimeZone', display);
  if (c.timeZone || c.timeZoneDefinition) {
    const id = c.timeZone ?? display ?? 'Customized Time Zone';
    const name = c.timeZone ? displayNameOf(c.timeZone) : id;
    for (const which of ['StartTimeZone', 'EndTimeZone']) {
      f.set(which, c.timeZoneDefinition ? `<t:${which} Id="${esc(id)}" Name="${esc(name)}">${c.timeZoneDefinition}</t:${which}>` : `<t:${which} Id="${esc(id)}" Name="${esc(name)}"/>`);
    }
  }
  return f;
}

/**
 * Adds a calendar item; a recurring one with its moved occurrences and cancelled ones. The
 * exception items are listed too (CalendarItemType Exception, the master's UID and ChangeKey), as
 * a calendar listing of a real Exchange can show them: a source must not make them events of their own.
 */
export function addCalendarItem(store: EwsSimStore, smtp: string, folderId: string, c: CalendarInput): SimItem {
  if (!c.recurrence) return store.addItem(smtp, folderId, 'CalendarItem', calendarFields(c, 'Single', undefined, store));
  const master = store.addItem(smtp, folderId, 'CalendarItem', calendarFields(c, 'RecurringMaster', undefined, store));
  const occurrences = (c.modified ?? []).map((m) => {
    const ex = store.addItem(smtp, folderId, 'CalendarItem', calendarFields({ ...c, start: m.start, end: m.end, subject: m.subject ?? c.subject }, 'Exception', m.originalStart, store), { masterId: master.id });
    return el('Occurrence', `<t:ItemId Id="${ex.id}" ChangeKey="${store.changeKey(ex)}"/>${txt('Start', m.start)}${txt('End', m.end)}${txt('OriginalStart', m.originalStart)}`);
  });
  if (occurrences.length) master.fields.set('ModifiedOccurrences', el('ModifiedOccurrences', occurrences.join('')));
  if (c.deleted?.length) master.fields.set('DeletedOccurrences', el('DeletedOccurrences', c.deleted.map((d) => el('DeletedOccurrence', txt('Start', d))).join('')));
  return master;
}

export interface ContactInput {
  displayName?: string;
  givenName?: string;
  middleName?: string;
  surname?: string;
  nickname?: string;
  emails?: string[];
  phones?: { key: 'BusinessPhone' | 'HomePhone' | 'MobilePhone' | 'BusinessFax' | 'HomeFax' | 'Pager' | 'OtherTelephone'; number: string }[];
  addresses?: { key: 'Business' | 'Home' | 'Other'; street?: string; city?: string; state?: string; postalCode?: string; country?: string }[];
  company?: string;
  department?: string;
  jobTitle?: string;
  /** ISO date-time as EWS sends it, e.g. 1980-02-29T00:00:00Z (or anything, to test bad input). */
  birthday?: string;
  notes?: string;
  categories?: string[];
  photo?: { contentType: string; data: Buffer };
}

export function addContact(store: EwsSimStore, smtp: string, folderId: string, c: ContactInput): SimItem {
  const f: Fields = new Map();
  put(f, 'ItemClass', 'IPM.Contact');
  if (c.notes !== undefined) f.set('Body', el('Body', esc(c.notes), ' BodyType="Text"'));
  const cats = strings('Categories', c.categories);
  if (cats) f.set('Categories', cats);
  put(f, 'HasAttachments', c.photo !== undefined);
  put(f, 'DisplayName', c.displayName);
  put(f, 'GivenName', c.givenName);
  put(f, 'Nickname', c.nickname);
  put(f, 'CompanyName', c.company);
  if (c.emails?.length) f.set('EmailAddresses', el('EmailAddresses', c.emails.map((e, i) => el('Entry', esc(e), ` Key="EmailAddress${i + 1}"`)).join('')));
  if (c.addresses?.length) {
    f.set('PhysicalAddresses', el('PhysicalAddresses', c.addresses.map((a) => el('Entry',
      [a.street && txt('Street', a.street), a.city && txt('City', a.city), a.state && txt('State', a.state),
        a.country && txt('CountryOrRegion', a.country), a.postalCode && txt('PostalCode', a.postalCode)].filter(Boolean).join(''), ` Key="${a.key}"`)).join('')));
  }
  if (c.phones?.length) f.set('PhoneNumbers', el('PhoneNumbers', c.phones.map((p) => el('Entry', esc(p.number), ` Key="${p.key}"`)).join('')));
  put(f, 'Birthday', c.birthday);
  put(f, 'Department', c.department);
  put(f, 'JobTitle', c.jobTitle);
  put(f, 'MiddleName', c.middleName);
  put(f, 'Surname', c.surname);
  put(f, 'HasPicture', c.photo !== undefined);
  const attachments: SimAttachment[] = c.photo ? [{ id: '', name: 'ContactPicture.jpg', contentType: c.photo.contentType, content: c.photo.data, isContactPhoto: true }] : [];
  const item = store.addItem(smtp, folderId, 'Contact', f, { attachments });
  if (attachments.length) {
    const a = item.attachments[0] as SimAttachment;
    item.fields.set('Attachments', el('Attachments', el('FileAttachment',
      `<t:AttachmentId Id="${a.id}"/>${txt('Name', a.name)}${txt('ContentType', a.contentType)}${txt('Size', a.content.length)}${txt('IsContactPhoto', true)}`)));
  }
  return item;
}

export interface DistributionListInput { displayName: string; members: { name?: string; email?: string }[] }

export function addDistributionList(store: EwsSimStore, smtp: string, folderId: string, d: DistributionListInput): SimItem {
  const f: Fields = new Map();
  put(f, 'ItemClass', 'IPM.DistList');
  put(f, 'DisplayName', d.displayName);
  f.set('Members', el('Members', d.members.map((m) => el('Member', m.email ? mailbox({ name: m.name, email: m.email }, store) : el('Mailbox', m.name ? txt('Name', m.name) : ''))).join('')));
  return store.addItem(smtp, folderId, 'DistributionList', f);
}

export interface TaskInput {
  subject?: string;
  body?: string;
  start?: string;
  due?: string;
  completed?: string;
  status?: 'NotStarted' | 'InProgress' | 'Completed' | 'WaitingOnOthers' | 'Deferred';
  percentComplete?: number;
  importance?: 'Low' | 'Normal' | 'High';
  categories?: string[];
  reminderDueBy?: string;
  lastModified?: string;
}

export function addTask(store: EwsSimStore, smtp: string, folderId: string, t: TaskInput): SimItem {
  const f: Fields = new Map();
  put(f, 'ItemClass', 'IPM.Task');
  put(f, 'Subject', t.subject);
  if (t.body !== undefined) f.set('Body', el('Body', esc(t.body), ' BodyType="Text"'));
  const cats = strings('Categories', t.categories);
  if (cats) f.set('Categories', cats);
  put(f, 'Importance', t.importance ?? 'Normal');
  put(f, 'ReminderDueBy', t.reminderDueBy);
  put(f, 'ReminderIsSet', t.reminderDueBy !== undefined);
  put(f, 'LastModifiedTime', t.lastModified);
  put(f, 'CompleteDate', t.completed);
  put(f, 'DueDate', t.due);
  put(f, 'IsComplete', t.status === 'Completed');
  put(f, 'PercentComplete', t.percentComplete ?? (t.status === 'Completed' ? 100 : 0));
  put(f, 'StartDate', t.start);
  put(f, 'Status', t.status ?? 'NotStarted');
  return store.addItem(smtp, folderId, 'Task', f);
}
