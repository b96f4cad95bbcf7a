/**
 * One user's DAV account: discovery (RFC 6764 → current-user-principal → calendar-home-set
 * (RFC 4791 §6.2.1) / addressbook-home-set (RFC 6352 §7.1.1)), the collections in the home sets,
 * and creating calendars, task lists (MKCALENDAR limited to VEVENT or VTODO) and address books
 * (extended MKCOL, RFC 5689).
 *
 * Server differences this code allows for:
 * - Radicale: principal /<user>/, both home sets equal to it; the server root answers the
 *   principal directly; on an existing URL MKCALENDAR → 409, MKCOL → 405.
 * - NextCloud (SabreDAV): /.well-known/caldav → 301 /remote.php/dav/; principal
 *   /remote.php/dav/principals/users/<user>/, homes /remote.php/dav/calendars/<user>/ and
 *   /remote.php/dav/addressbooks/users/<user>/; every user already has "Personal" and "Contacts";
 *   MKCALENDAR on an existing URL → 405. A calendar restricted to VTODO shows as a task list in
 *   the Tasks app.
 * - SOGo (documented behaviour, not in the lab): context /SOGo/dav/, principal /SOGo/dav/<user>/,
 *   calendars under …/Calendar/ (default …/Calendar/personal/), address books under …/Contacts/
 *   (default …/Contacts/personal/). Its calendars hold events and tasks alike, so a "task list"
 *   may come back as a calendar without a component restriction: it is then matched by display
 *   name like any calendar (`fits` accepts a calendar that states no components).
 * Every URL taken from the server's words (redirects, hrefs) must stay on the configured origin
 * (origin.ts): a redirect or principal elsewhere fails the mailbox, a home set elsewhere its kind
 * of collection, a listed collection elsewhere that collection, an object href elsewhere is left
 * out of the listing with a warning. None of them is ever requested.
 * A collection is matched by display name and type before one is created, so existing ones
 * (also those made by hand) are reused; a created collection's URL is derived from its kind and
 * name, so two tasks creating the same collection at once end up with the same one.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { CollectionKind } from '../../mappings/groupware-collections.js';
import { coerceError, FatalError, ItemError } from '../../src/util/errors.js';
import type { DavHttp, DavResponse } from './http.js';
import { CrossOriginError, resolveOnOrigin, shown } from './origin.js';
import { elements, hrefIn, mkAddressbookBody, mkcalendarBody, NS, okProp, parseMultistatus, propfindBody, text, type DavResponseEntry } from './xml.js';

export interface Collection {
  url: URL;
  kind: CollectionKind;
  displayName: string;
  /** Component types a calendar accepts (empty: not stated, i.e. all). */
  components: string[];
  /** Set when the server lists it at another origin: why it cannot be used (it is never requested). */
  refused?: string;
}

export interface Homes {
  principal: URL;
  calendarHome?: URL;
  addressbookHome?: URL;
  /** Why a home set announced by the server cannot be used (at another origin), by kind. */
  refused?: { calendar?: string; addressbook?: string };
}

export class DavAccount {
  constructor(readonly http: DavHttp, readonly login: string, private readonly password: string, readonly log: Logger) {}

  request(method: string, url: URL, headers: Record<string, string> = {}, body?: string | Buffer): Promise<DavResponse> {
    return this.http.request({ method, url, headers, body }, { login: this.login, password: this.password });
  }

  /** `href` from the server, resolved against `base`; a CrossOriginError unless it is on the configured origin. */
  resolve(href: string, base: URL, what: string): URL {
    return resolveOnOrigin(href, base, this.http.origin, what);
  }

  /**
   * The resource name of an object href of a listing of `col`; undefined (with a warning naming
   * it) when the href is at another origin: such an entry is not an object of this collection.
   */
  objectName(href: string, col: URL): string | undefined {
    try {
      return resourceOf(this.resolve(href, col, `the listing of ${col.pathname} names an object`));
    } catch (err) {
      if (!(err instanceof CrossOriginError)) throw err;
      this.log.warn({ collection: col.pathname, href: err.url, origin: err.origin }, err.message);
      return undefined;
    }
  }

  /** PROPFIND following same-origin redirects (well-known URIs redirect); returns the final URL too. */
  async propfind(url: URL, depth: '0' | '1', props: string[]): Promise<{ url: URL; status: number; entries: DavResponseEntry[] }> {
    let at = url;
    for (let hops = 0; hops < 5; hops++) {
      const res = await this.request('PROPFIND', at, { Depth: depth, 'Content-Type': 'application/xml; charset=utf-8' }, propfindBody(props));
      if (res.status >= 300 && res.status < 400 && typeof res.headers.location === 'string') {
        at = this.resolve(res.headers.location, at, `PROPFIND ${at.href} answered HTTP ${res.status}, a redirect`);
        continue;
      }
      if (res.status === 401) throw new FatalError(`the groupware server refused the login of ${this.login} (HTTP 401)`, 'AUTH');
      if (res.status !== 207) return { url: at, status: res.status, entries: [] };
      try {
        return { url: at, status: 207, entries: parseMultistatus(res.body) };
      } catch (err) {
        throw new FatalError(`PROPFIND ${at.pathname}: ${coerceError(err).message}`, 'PROTOCOL');
      }
    }
    throw new FatalError(`PROPFIND ${url.pathname}: too many redirects`, 'PROTOCOL');
  }

  /** RFC 6764: the configured URL itself, then the well-known URIs of its server. */
  async discover(base: URL): Promise<Homes> {
    const candidates = [base, new URL('/.well-known/caldav', base), new URL('/.well-known/carddav', base)];
    let principal: URL | undefined;
    const tried: string[] = [];
    for (const c of candidates) {
      const r = await this.propfind(c, '0', ['d:current-user-principal']);
      const href = r.entries.map((e) => hrefIn(okProp(e, NS.dav, 'current-user-principal'))).find((h) => h !== undefined);
      if (href) {
        principal = this.resolve(href, r.url, `the current-user-principal of ${this.login}`);
        break;
      }
      tried.push(`${c.pathname} (${r.status})`);
    }
    if (!principal) throw new FatalError(`no DAV:current-user-principal for ${this.login} at ${tried.join(', ')}: is the URL a CalDAV/CardDAV server?`, 'DISCOVERY');
    const r = await this.propfind(principal, '0', ['c:calendar-home-set', 'card:addressbook-home-set']);
    const entry = r.entries[0];
    const cal = entry ? hrefIn(okProp(entry, NS.caldav, 'calendar-home-set')) : undefined;
    const card = entry ? hrefIn(okProp(entry, NS.carddav, 'addressbook-home-set')) : undefined;
    const homes: Homes = { principal };
    const home = (href: string | undefined, kind: 'calendar' | 'addressbook', prop: string): URL | undefined => {
      if (href === undefined) return undefined;
      try {
        return this.resolve(href, r.url, `the ${prop} of ${this.login}`);
      } catch (err) {
        if (!(err instanceof CrossOriginError)) throw err;
        this.log.warn({ href: err.url, origin: err.origin }, err.message);
        homes.refused = { ...homes.refused, [kind]: err.message };
        return undefined;
      }
    };
    homes.calendarHome = home(cal, 'calendar', 'calendar-home-set');
    homes.addressbookHome = home(card, 'addressbook', 'addressbook-home-set');
    return homes;
  }

  /** Every calendar and address book in the home sets. */
  async collections(homes: Homes): Promise<Collection[]> {
    const urls = [...new Set([homes.calendarHome, homes.addressbookHome].filter((u): u is URL => u !== undefined).map((u) => u.href))];
    const out: Collection[] = [];
    for (const u of urls) {
      const r = await this.propfind(new URL(u), '1', ['d:resourcetype', 'd:displayname', 'c:supported-calendar-component-set']);
      for (const e of r.entries) {
        const types = elements(okProp(e, NS.dav, 'resourcetype'));
        const isCal = types.some((t) => t.namespaceURI === NS.caldav && t.localName === 'calendar');
        const isBook = types.some((t) => t.namespaceURI === NS.carddav && t.localName === 'addressbook');
        if (!isCal && !isBook) continue;
        let url: URL;
        try {
          url = new URL(e.href, r.url);
        } catch {
          throw new FatalError(`the listing of ${r.url.pathname} names a collection at ${JSON.stringify(e.href.slice(0, 200))}, which is not a URL`, 'PROTOCOL');
        }
        const displayName = text(okProp(e, NS.dav, 'displayname')) || decodeURIComponent(url.pathname.replace(/\/$/, '').split('/').pop() ?? '');
        const components = elements(okProp(e, NS.caldav, 'supported-calendar-component-set'))
          .filter((c) => c.localName === 'comp').map((c) => (c.getAttribute('name') ?? '').toUpperCase());
        const kind: CollectionKind = isBook ? 'addressbook' : components.length > 0 && !components.includes('VEVENT') && components.includes('VTODO') ? 'tasks' : 'calendar';
        const col: Collection = { url, kind, displayName, components };
        if (url.origin !== this.http.origin) {
          const err = new CrossOriginError(shown(url), this.http.origin, `the ${kind} ${JSON.stringify(displayName)} listed in ${r.url.pathname}`);
          col.refused = err.message;
        }
        out.push(col);
      }
    }
    return out;
  }

  /** The collection named `displayName` able to hold `kind`, created when missing. */
  async ensureCollection(homes: Homes, kind: CollectionKind, displayName: string): Promise<Collection> {
    const found = pick(await this.collections(homes), kind, displayName);
    if (found?.refused !== undefined) throw new FatalError(found.refused, 'CROSS_ORIGIN');
    if (found) return found;
    const home = kind === 'addressbook' ? homes.addressbookHome : homes.calendarHome;
    const refused = homes.refused?.[kind === 'addressbook' ? 'addressbook' : 'calendar'];
    if (!home && refused !== undefined) throw new FatalError(refused, 'CROSS_ORIGIN');
    if (!home) throw new FatalError(`the server announces no ${kind === 'addressbook' ? 'addressbook-home-set (CardDAV)' : 'calendar-home-set (CalDAV)'} for ${this.login}`, 'DISCOVERY');
    const url = new URL(`${collectionSlug(kind, displayName)}/`, home);
    const res = kind === 'addressbook'
      ? await this.request('MKCOL', url, { 'Content-Type': 'application/xml; charset=utf-8' }, mkAddressbookBody(displayName))
      : await this.request('MKCALENDAR', url, { 'Content-Type': 'application/xml; charset=utf-8' }, mkcalendarBody(displayName, kind === 'tasks' ? 'VTODO' : 'VEVENT'));
    if (res.status === 201 || res.status === 200) {
      this.log.info({ collection: url.pathname, kind, displayName }, 'created a groupware collection');
    } else if (res.status !== 405 && res.status !== 409) {
      // 405 (SabreDAV) / 409 (Radicale): the URL exists already, e.g. created by a concurrent task.
      throw new FatalError(`creating ${kind} ${JSON.stringify(displayName)} at ${url.pathname} failed: HTTP ${res.status} ${res.body.slice(0, 200)}`, 'MKCOL');
    }
    const again = (await this.collections(homes)).find((c) => c.refused === undefined && c.url.pathname === url.pathname);
    if (!again) throw new FatalError(`${kind} ${JSON.stringify(displayName)} at ${url.pathname} is not listed after creating it`, 'MKCOL');
    if (!fits(again, kind)) throw new FatalError(`${url.pathname} exists but is not a ${kind} collection`, 'MKCOL');
    return again;
  }

  /** name → etag of every object in a collection (etag null when the server gives none). */
  async objectIndex(col: Collection): Promise<Map<string, string | null>> {
    const r = await this.propfind(col.url, '1', ['d:getetag', 'd:resourcetype']);
    if (r.status !== 207) throw new FatalError(`listing ${col.url.pathname} failed: HTTP ${r.status}`, 'LIST');
    const out = new Map<string, string | null>();
    for (const e of r.entries) {
      const url = new URL(e.href, r.url);
      if (url.pathname.replace(/\/$/, '') === col.url.pathname.replace(/\/$/, '') || url.pathname.endsWith('/')) continue;
      const name = this.objectName(e.href, r.url);
      if (name !== undefined) out.set(name, text(okProp(e, NS.dav, 'getetag')) ?? null);
    }
    return out;
  }

  /** The current etag of one object; undefined when it does not exist. */
  async etagOf(url: URL): Promise<string | null | undefined> {
    const r = await this.propfind(url, '0', ['d:getetag']);
    if (r.status === 404) return undefined;
    if (r.status !== 207) throw new ItemError(`looking up ${url.pathname} failed: HTTP ${r.status}`, `HTTP_${r.status}`);
    const e = r.entries[0];
    if (!e || (e.status !== undefined && e.status === 404)) return undefined;
    return text(okProp(e, NS.dav, 'getetag')) ?? null;
  }
}

/** The decoded last path segment of an object URL. */
export function resourceOf(url: URL): string {
  return decodeURIComponent(url.pathname.split('/').pop() ?? '');
}

function fits(c: Collection, kind: CollectionKind): boolean {
  if (kind === 'addressbook') return c.kind === 'addressbook';
  if (c.kind === 'addressbook') return false;
  const comp = kind === 'tasks' ? 'VTODO' : 'VEVENT';
  return c.components.length === 0 || c.components.includes(comp);
}

function pick(all: Collection[], kind: CollectionKind, displayName: string): Collection | undefined {
  const named = all.filter((c) => c.displayName === displayName && fits(c, kind));
  // Prefer a usable one, then the exact kind (a VTODO-only list for tasks) over a calendar that merely accepts it.
  const usable = named.filter((c) => c.refused === undefined);
  return usable.find((c) => c.kind === kind) ?? usable[0] ?? named[0];
}

/** A URL segment for a new collection: readable ASCII plus a hash of kind and name (stable, unique). */
export function collectionSlug(kind: CollectionKind, displayName: string): string {
  const ascii = displayName.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
  const hash = createHash('sha256').update(`${kind}\u0000${displayName}`, 'utf8').digest('hex').slice(0, 10);
  return `${kind}-${ascii === '' ? 'x' : ascii}-${hash}`;
}

