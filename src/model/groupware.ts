/**
 * Neutral groupware model shared by every source that carries calendars, contacts and tasks
 * (EWS, PST, Kopano) and by the converters in `mappings/groupware/` that turn it into
 * iCalendar (VEVENT/VTODO) and vCard. Sources map their own data model into these shapes; the
 * converters are the only place that knows iCalendar/vCard syntax.
 *
 * Times: a `DateTimeValue` carries the wall-clock time plus the source's time zone, so a
 * recurring meeting keeps its local time across DST changes. All-day values use `date` only.
 */

export interface DateTimeValue {
  /** The instant (UTC). For all-day values: midnight UTC of `date`. */
  utc: Date;
  /** IANA zone (e.g. 'Europe/Berlin') when known; Windows zone names are mapped by the source. */
  tzid?: string;
  /**
   * A zone the source gave only as rules (EWS `Periods`/`TransitionsGroups`, MAPI TZDEFINITION,
   * Exchange's "Customized Time Zone") that matched no IANA zone: the converter writes an exact
   * VTIMEZONE for it under `customZone.name` (and ignores `tzid`). Never a silent fall-back to UTC.
   */
  customZone?: CustomZone;
  /** YYYY-MM-DD for all-day values (no time, no zone). */
  date?: string;
}

/** When a zone changes offset: the `week`-th (1–4, 5 = last) `dayOfWeek` (0 = Sunday) of `month` (1–12), at local `time` of the offset in force before. */
export interface ZoneTransitionRule {
  month: number;
  week: number;
  dayOfWeek: number;
  /** 'HH:MM' or 'HH:MM:SS', local wall-clock time before the change. */
  time: string;
}

/** The rules of one period of a zone (from `fromYear` on, until the next period's `fromYear`). */
export interface ZonePeriod {
  /** First year these rules apply; undefined = since always. */
  fromYear?: number;
  /** UTC offset in minutes in standard time, east positive (CET: +60; Windows Bias -60). */
  standardOffset: number;
  /** Daylight saving time; absent when this period has none. `offset` is the whole UTC offset in minutes east while it is in force (CEST: +120; Windows Bias + DaylightBias negated), not the difference. */
  daylight?: { offset: number; start: ZoneTransitionRule; end: ZoneTransitionRule };
}

/** A time zone known only by its rules (see DateTimeValue.customZone). */
export interface CustomZone {
  /** The TZID to write, e.g. "Customized Time Zone" or the source's display name. */
  name: string;
  /** Sorted by fromYear; the first may have no fromYear. */
  periods: ZonePeriod[];
}

/** A file attached to a calendar item or task, carried as an inline ATTACH (up to a configured size). */
export interface ItemAttachment {
  name: string;
  mimeType: string;
  data: Buffer;
}

export interface Person {
  email?: string;
  name?: string;
}

export interface Attendee extends Person {
  role?: 'required' | 'optional' | 'resource' | 'chair';
  status?: 'needs-action' | 'accepted' | 'declined' | 'tentative' | 'delegated';
}

/** RFC 5545 RRULE parts (a subset every source can express). */
export interface Recurrence {
  freq: 'DAILY' | 'WEEKLY' | 'MONTHLY' | 'YEARLY';
  interval?: number;
  /** e.g. ['MO','WE'] or ['2TU', '-1FR'] */
  byDay?: string[];
  byMonthDay?: number[];
  byMonth?: number[];
  bySetPos?: number[];
  count?: number;
  until?: DateTimeValue;
  weekStart?: string;
}

export interface EventOccurrenceException {
  /** The original start of the occurrence this replaces (RECURRENCE-ID). */
  recurrenceId: DateTimeValue;
  /** The changed occurrence; fields not given inherit from the master. */
  changes: Partial<Omit<CalendarEvent, 'uid' | 'recurrence' | 'exceptions' | 'deletedOccurrences'>>;
}

export interface CalendarEvent {
  /** Stable across runs (EWS UID / GlobalObjectId, PST/MAPI GlobalObjectId…). */
  uid: string;
  summary?: string;
  description?: string;
  /** HTML description when the source has one (X-ALT-DESC). */
  descriptionHtml?: string;
  location?: string;
  start: DateTimeValue;
  end?: DateTimeValue;
  allDay?: boolean;
  organizer?: Person;
  attendees?: Attendee[];
  /** Minutes before start; undefined = no reminder. */
  reminderMinutes?: number;
  categories?: string[];
  sensitivity?: 'public' | 'private' | 'confidential';
  busyStatus?: 'free' | 'tentative' | 'busy' | 'oof';
  recurrence?: Recurrence;
  /** Moved/changed occurrences. */
  exceptions?: EventOccurrenceException[];
  /** Cancelled occurrences (EXDATE), by original start. */
  deletedOccurrences?: DateTimeValue[];
  /** Files attached to the item (the converter writes them as inline ATTACH; see mappings/groupware). */
  attachments?: ItemAttachment[];
  created?: Date;
  lastModified?: Date;
}

export interface Task {
  uid: string;
  summary?: string;
  description?: string;
  start?: DateTimeValue;
  due?: DateTimeValue;
  completed?: Date;
  status?: 'needs-action' | 'in-process' | 'completed' | 'cancelled';
  percentComplete?: number;
  priority?: 'low' | 'normal' | 'high';
  categories?: string[];
  reminderMinutes?: number;
  sensitivity?: 'public' | 'private' | 'confidential';
  /** Files attached to the task (inline ATTACH). */
  attachments?: ItemAttachment[];
  created?: Date;
  lastModified?: Date;
}

export interface PostalAddress {
  kind?: 'work' | 'home' | 'other';
  street?: string;
  city?: string;
  region?: string;
  postalCode?: string;
  country?: string;
}

export interface Contact {
  uid: string;
  /** Display name (vCard FN); required by vCard, the converter falls back to names/email. */
  displayName?: string;
  givenName?: string;
  familyName?: string;
  middleName?: string;
  prefix?: string;
  suffix?: string;
  nickname?: string;
  emails?: { address: string; kind?: 'work' | 'home' | 'other'; preferred?: boolean }[];
  phones?: { number: string; kind?: 'work' | 'home' | 'cell' | 'fax' | 'pager' | 'other'; preferred?: boolean }[];
  addresses?: PostalAddress[];
  company?: string;
  department?: string;
  title?: string;
  /** YYYY-MM-DD */
  birthday?: string;
  notes?: string;
  urls?: string[];
  categories?: string[];
  photo?: { mimeType: string; data: Buffer };
  lastModified?: Date;
}

/** A distribution list (Exchange DL in a contacts folder): becomes a group vCard (KIND:group / X-ADDRESSBOOKSERVER-KIND). */
export interface ContactGroup {
  uid: string;
  displayName: string;
  members: { email?: string; name?: string; contactUid?: string }[];
  notes?: string;
}
