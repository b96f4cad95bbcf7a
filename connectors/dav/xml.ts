/**
 * WebDAV XML: request bodies (PROPFIND, MKCALENDAR, extended MKCOL, REPORT) and the parsing of
 * 207 Multi-Status answers (RFC 4918 §13) with @xmldom/xmldom, namespace-aware: servers pick
 * their own prefixes (Radicale none, SabreDAV/NextCloud `d:`, SOGo `D:`/`a:`).
 */
import { DOMParser } from '@xmldom/xmldom';

export const NS = {
  dav: 'DAV:',
  caldav: 'urn:ietf:params:xml:ns:caldav',
  carddav: 'urn:ietf:params:xml:ns:carddav',
  cs: 'http://calendarserver.org/ns/',
} as const;

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

const HEAD = '<?xml version="1.0" encoding="utf-8"?>';

/** PROPFIND for the given properties, written as `prefix:name` with prefixes d, c (caldav), card, cs. */
export function propfindBody(props: string[]): string {
  return `${HEAD}<d:propfind xmlns:d="DAV:" xmlns:c="${NS.caldav}" xmlns:card="${NS.carddav}" xmlns:cs="${NS.cs}"><d:prop>${props.map((p) => `<${p}/>`).join('')}</d:prop></d:propfind>`;
}

/** MKCALENDAR (RFC 4791 §5.3.1) restricted to one component type (VEVENT or VTODO). */
export function mkcalendarBody(displayName: string, component: 'VEVENT' | 'VTODO'): string {
  return `${HEAD}<c:mkcalendar xmlns:d="DAV:" xmlns:c="${NS.caldav}"><d:set><d:prop><d:displayname>${escapeXml(displayName)}</d:displayname>`
    + `<c:supported-calendar-component-set><c:comp name="${component}"/></c:supported-calendar-component-set></d:prop></d:set></c:mkcalendar>`;
}

/** Extended MKCOL (RFC 5689) of an address book (RFC 6352 §6.3.1). */
export function mkAddressbookBody(displayName: string): string {
  return `${HEAD}<d:mkcol xmlns:d="DAV:" xmlns:card="${NS.carddav}"><d:set><d:prop><d:resourcetype><d:collection/><card:addressbook/></d:resourcetype>`
    + `<d:displayname>${escapeXml(displayName)}</d:displayname></d:prop></d:set></d:mkcol>`;
}

/** calendar-query / addressbook-query REPORT returning etags and the object data (for inventory). */
export function dataReportBody(kind: 'calendar' | 'addressbook'): string {
  return kind === 'calendar'
    ? `${HEAD}<c:calendar-query xmlns:d="DAV:" xmlns:c="${NS.caldav}"><d:prop><d:getetag/><c:calendar-data/></d:prop><c:filter><c:comp-filter name="VCALENDAR"/></c:filter></c:calendar-query>`
    : `${HEAD}<card:addressbook-query xmlns:d="DAV:" xmlns:card="${NS.carddav}"><d:prop><d:getetag/><card:address-data/></d:prop></card:addressbook-query>`;
}

export interface PropStat {
  status: number;
  prop: Element;
}

export interface DavResponseEntry {
  href: string;
  /** Status of the whole response (for a 404 of a missing resource), else undefined. */
  status?: number;
  propstats: PropStat[];
}

function statusCode(line: string | null | undefined): number | undefined {
  const m = /HTTP\/\d(?:\.\d)?\s+(\d{3})/.exec(line ?? '');
  return m ? Number(m[1]) : undefined;
}

function children(el: Element, ns: string, local: string): Element[] {
  const out: Element[] = [];
  for (let n = el.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1 && (n as Element).namespaceURI === ns && (n as Element).localName === local) out.push(n as Element);
  }
  return out;
}

export function child(el: Element | undefined, ns: string, local: string): Element | undefined {
  return el ? children(el, ns, local)[0] : undefined;
}

/** All element children, whatever their names. */
export function elements(el: Element | undefined): Element[] {
  const out: Element[] = [];
  for (let n = el?.firstChild; n; n = n.nextSibling) if (n.nodeType === 1) out.push(n as Element);
  return out;
}

export function text(el: Element | undefined): string | undefined {
  return el?.textContent?.trim() ?? undefined;
}

/** Parses a Multi-Status body; throws a plain Error (with a short excerpt) when it is not one. */
export function parseMultistatus(body: string): DavResponseEntry[] {
  const errors: string[] = [];
  const doc = new DOMParser({ errorHandler: (level: string, msg: unknown) => { if (level !== 'warning') errors.push(String(msg)); } }).parseFromString(body, 'application/xml');
  const root = doc.documentElement;
  if (!root || root.namespaceURI !== NS.dav || root.localName !== 'multistatus') {
    throw new Error(`expected a DAV multistatus, got ${errors[0] ?? JSON.stringify(body.slice(0, 120))}`);
  }
  return children(root, NS.dav, 'response').map((r) => ({
    href: text(child(r, NS.dav, 'href')) ?? '',
    status: statusCode(text(child(r, NS.dav, 'status'))),
    propstats: children(r, NS.dav, 'propstat').flatMap((ps) => {
      const prop = child(ps, NS.dav, 'prop');
      return prop ? [{ status: statusCode(text(child(ps, NS.dav, 'status'))) ?? 200, prop }] : [];
    }),
  }));
}

/** The property `ns:local` from the 2xx propstat of a response, if there. */
export function okProp(r: DavResponseEntry, ns: string, local: string): Element | undefined {
  for (const ps of r.propstats) {
    if (ps.status >= 200 && ps.status < 300) {
      const p = child(ps.prop, ns, local);
      if (p) return p;
    }
  }
  return undefined;
}

/** The first DAV:href inside a property (current-user-principal, calendar-home-set…). */
export function hrefIn(prop: Element | undefined): string | undefined {
  return text(child(prop, NS.dav, 'href'));
}

/** The precondition element names of a DAV:error body (e.g. "no-uid-conflict"), for error messages. */
export function preconditions(body: string): string[] {
  if (!/<[^>]*error/i.test(body)) return [];
  try {
    const doc = new DOMParser({ errorHandler: () => undefined }).parseFromString(body, 'application/xml');
    const root = doc.documentElement;
    if (!root || root.localName !== 'error') return [];
    // The element names, and the server's own words where it gives them (Cyrus: <responsedescription>Mismatched UIDs</…>; sabre: <s:message>).
    return elements(root as unknown as Element).map((e) => {
      const name = e.localName ?? '';
      const words = (e.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 200);
      return words && (name === 'responsedescription' || name === 'message') ? words : name;
    }).filter((n) => n !== '');
  } catch {
    return [];
  }
}
