/**
 * The contract of the groupware normalisation stage (mappings/groupware/normalize.ts): what goes
 * in (the bytes of one source item: an .ics or .vcf file, or an object a converter built) and
 * what comes out (one object per UID, each ready for a CalDAV/CardDAV PUT, or a failure naming
 * the object and the reason). Pure: no IO, the same input gives the same output on every run.
 */

export type GroupwareKind = 'event' | 'task' | 'contact';

export interface NormalizeOptions {
  /**
   * Stable name of the source item the bytes came from (e.g. "alice/Calendar/export.ics" or an
   * EWS item id): seeds the UIDs made for objects without one, and names the item in messages.
   */
  source: string;
  /** vCard version written to the target; default '3.0'. */
  vcardVersion?: '3.0' | '4.0';
  /** Attachments of calendar items and tasks up to this size are kept inline (ATTACH;VALUE=BINARY); larger ones are dropped with a warning. Default 1 MiB. */
  maxAttachmentBytes?: number;
  /** An object larger than this after normalisation fails with a reason (sabre/NextCloud limits). Default 20 MiB. */
  maxObjectBytes?: number;
}

export interface NormalizedObject {
  kind: GroupwareKind;
  uid: string;
  /** True when the input had no UID and one was made from `source` (and the object's position in it). */
  derivedUid: boolean;
  /** The iCalendar (one VCALENDAR: one UID, its overrides, the VTIMEZONEs it uses) or vCard text, CRLF line ends. */
  text: string;
  /** Repairs made, for the log ("METHOD:PUBLISH removed", "TZID \"UTC+01\" → Etc/GMT-1"). */
  repairs: string[];
  /** What could not be carried, each naming what and why ("attachment plan.pdf (12 MiB) not carried: over 1 MiB"). */
  warnings: string[];
}

export interface ObjectFailure {
  /** The object, as a person finds it: "UID abc@x (SUMMARY "Standup")", "VEVENT #3 without UID", "vCard #2 "John Doe"". */
  what: string;
  reason: string;
}

export interface NormalizeResult {
  objects: NormalizedObject[];
  /** Objects of the input that could not be repaired; the other objects are still in `objects`. */
  failures: ObjectFailure[];
}
