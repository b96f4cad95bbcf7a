/**
 * What the DAV target needs to know of one object before writing it: its type (VEVENT, VTODO or
 * vCard), its UID and the resource name derived from the UID. Parsed with ical.js (which reads
 * iCalendar and vCard alike). Pure.
 *
 * Why the name is a function of the UID: CalDAV and CardDAV allow one object per UID in a
 * collection (RFC 4791 §4.1 / RFC 6352 §5.1, precondition no-uid-conflict). Writing an item again,
 * whether in a nightly delta or in the replay after a crash, therefore addresses the very same
 * resource: it can update that resource, never add a second one.
 */
import { createHash } from 'node:crypto';
import ICAL from 'ical.js';
import { coerceError, ItemError } from '../../src/util/errors.js';

export type DavObjectType = 'VEVENT' | 'VTODO' | 'VCARD';

export interface DavObject {
  type: DavObjectType;
  uid: string;
  /** Resource name inside its collection, e.g. "040000008200E0….ics"; URL-safe as it is. */
  name: string;
  contentType: string;
  /** SUMMARY (first component) or FN, decoded; only shown on request (reconcile --show-subjects). */
  summary?: string;
}

/** Characters kept as they are in a resource name; anything else makes the name a hash. */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._@=+-]{0,199}$/;

/**
 * The resource name of an object: the UID itself when it is short and made of URL-safe
 * characters (readable on the server, and what most clients do), else "h-" + the SHA-256 of the
 * UID (UIDs with "/", spaces, non-ASCII or 200+ characters). Deterministic either way.
 */
export function resourceName(uid: string, type: DavObjectType): string {
  const ext = type === 'VCARD' ? '.vcf' : '.ics';
  const base = SAFE_NAME.test(uid) && !uid.toLowerCase().endsWith(ext) ? uid : `h-${createHash('sha256').update(uid, 'utf8').digest('hex').slice(0, 40)}`;
  return base + ext;
}

const TYPE_OF_KIND = { event: 'VEVENT', task: 'VTODO', contact: 'VCARD' } as const;

/** What the normalisation stage already knows of an object it produced (no second parse). */
export function davObjectOf(o: { kind: 'event' | 'task' | 'contact'; uid: string }): DavObject {
  const type = TYPE_OF_KIND[o.kind];
  return { type, uid: o.uid, name: resourceName(o.uid, type), contentType: type === 'VCARD' ? 'text/vcard; charset=utf-8' : 'text/calendar; charset=utf-8' };
}

type JCal = [string, [string, Record<string, unknown>, string, ...unknown[]][], JCal[]];

function propValue(comp: JCal, name: string): string | undefined {
  const p = comp[1].find((x) => x[0] === name);
  const v = p?.[3];
  return typeof v === 'string' ? v : undefined;
}

/** Reads the type and UID of an .ics / .vcf item; a clear ItemError when it cannot be written as one DAV object. */
export function describeObject(content: Buffer | string): DavObject {
  const textContent = typeof content === 'string' ? content : content.toString('utf8');
  let parsed: unknown;
  try {
    parsed = ICAL.parse(textContent);
  } catch (err) {
    throw new ItemError(`not valid iCalendar/vCard: ${coerceError(err).message}`, 'INVALID_OBJECT');
  }
  const roots = (Array.isArray(parsed) && typeof parsed[0] === 'string' ? [parsed] : parsed) as JCal[];
  if (!Array.isArray(roots) || roots.length !== 1) {
    throw new ItemError(`expected exactly one VCALENDAR or VCARD, found ${Array.isArray(roots) ? roots.length : 0}`, 'INVALID_OBJECT');
  }
  const root = roots[0] as JCal;
  if (root[0] === 'vcard') {
    const uid = propValue(root, 'uid');
    if (!uid) throw new ItemError('the vCard has no UID', 'NO_UID');
    return { type: 'VCARD', uid, name: resourceName(uid, 'VCARD'), contentType: 'text/vcard; charset=utf-8', summary: propValue(root, 'fn') };
  }
  if (root[0] !== 'vcalendar') throw new ItemError(`expected VCALENDAR or VCARD, found ${root[0].toUpperCase()}`, 'INVALID_OBJECT');
  const comps = root[2].filter((c) => c[0] !== 'vtimezone');
  const types = new Set(comps.map((c) => c[0].toUpperCase()));
  if (comps.length === 0) throw new ItemError('the VCALENDAR holds no VEVENT or VTODO', 'INVALID_OBJECT');
  if (types.size > 1) throw new ItemError(`one calendar object must hold one component type, found ${[...types].join(' and ')}`, 'INVALID_OBJECT');
  const type = [...types][0] as string;
  if (type !== 'VEVENT' && type !== 'VTODO') throw new ItemError(`unsupported component ${type} (expected VEVENT or VTODO)`, 'INVALID_OBJECT');
  const uids = new Set(comps.map((c) => propValue(c, 'uid')));
  if (uids.has(undefined)) throw new ItemError(`a ${type} has no UID`, 'NO_UID');
  // A master and its overridden occurrences (RECURRENCE-ID) share one UID (RFC 4791 §4.1).
  if (uids.size > 1) throw new ItemError(`one calendar object must hold one UID, found ${uids.size} (${[...uids].slice(0, 3).join(', ')})`, 'INVALID_OBJECT');
  const uid = [...uids][0] as string;
  return { type, uid, name: resourceName(uid, type), contentType: 'text/calendar; charset=utf-8', summary: propValue(comps[0] as JCal, 'summary') };
}
