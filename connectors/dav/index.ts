/**
 * CalDAV/CardDAV target: calendars, task lists and address books of the UMS (NextCloud, SOGo;
 * tested against Radicale). Target containers are the collection refs of
 * mappings/groupware-collections ("calendar:Team", "tasks:Tasks", "addressbook:Contacts").
 *
 * Writing one item: the object first passes the groupware normalisation stage
 * (mappings/groupware/normalize.ts: what sabre/NextCloud and Cyrus accept — no METHOD, a VTIMEZONE
 * for every TZID, RECURRENCE-ID typed like DTSTART, vCards in the configured version, a UID made
 * when missing). Then its UID gives the resource name (objects.ts), the collection's listing
 * (loaded once per session) says whether it exists: new → PUT with `If-None-Match: *`, existing
 * → PUT with `If-Match: <etag>`. A 412 means someone else wrote meanwhile: the etag is looked up
 * again and the item written once more with If-Match. The target id recorded by the engine is
 * "<name> <etag>", i.e. one version of one object. The etag comes from the PUT answer; SabreDAV
 * (NextCloud) leaves it out when it altered the data on the way in, and then one PROPFIND asks for
 * it. A server that lists objects without etags gets unconditional PUTs for existing objects.
 *
 * Exactly once without a lookup table: a replay (crash between PUT and checkpoint, or a retry
 * after a lost response) writes the same resource name again, so it can only update the object,
 * never add a second one. Every collection therefore declares idempotent writes (no `recovery` in
 * its capabilities): the engine never searches for, settles or sweeps what a write left, it
 * writes again. Objects carry no IMAP flags (no `setFlags`). `removeItems` deletes with
 * `If-Match` on the recorded version: an object replaced since (by a newer version of the item,
 * or edited on the server) is left alone.
 */
import type { Logger } from 'pino';
import { collectionRef, parseCollectionRef } from '../../mappings/groupware-collections.js';
import { itemSeed, normalizeGroupware, type NormalizedObject, type NormalizeOptions } from '../../mappings/groupware/normalize.js';
import type {
  AccessCheck, Account, ItemContent, ItemKind, ItemMeta, PutResult, TargetCapabilities, TargetConnector, TargetContainerState, TargetMailbox,
} from '../../src/model/types.js';
import { FatalError, ItemError, reasonOf } from '../../src/util/errors.js';
import { DavAccount, type Collection, type Homes } from './collections.js';
import { DavHttp, type DavEndpoint, type DavResponse } from './http.js';
import { davObjectOf, describeObject, type DavObject } from './objects.js';
import { dataReportBody, NS, okProp, parseMultistatus, preconditions, text } from './xml.js';

export type { DavEndpoint } from './http.js';

const KINDS: readonly ItemKind[] = ['event', 'task', 'contact'];

/** How objects are normalised before they are written (see mappings/groupware/normalize.ts). */
export type DavWriteOptions = Omit<NormalizeOptions, 'source'>;

export class DavTarget implements TargetConnector {
  readonly name = 'dav';
  readonly http: DavHttp;

  constructor(readonly endpoint: DavEndpoint, private readonly log: Logger, private readonly normalize: DavWriteOptions = {}) {
    this.http = new DavHttp(endpoint);
  }

  async openMailbox(account: Account): Promise<TargetMailbox> {
    if (account.password === undefined || account.password === '') {
      throw new FatalError(`the groupware target needs a password for ${account.login} (the mailbox's targetPassword)`, 'AUTH');
    }
    const dav = new DavAccount(this.http, account.login, account.password, this.log.child({ dav: new URL(this.endpoint.url).host, user: account.login }));
    const homes = await dav.discover(new URL(this.endpoint.url));
    return new DavMailbox(dav, homes, this.normalize);
  }

  async close(): Promise<void> {
    this.http.close();
  }
}

interface CollectionState {
  col: Collection;
  /** name → etag, loaded on the first write. */
  index?: Promise<Map<string, string | null>>;
  /** name → source item id written in this session (two items with one UID would overwrite each other). */
  writers: Map<string, string>;
}

export class DavMailbox implements TargetMailbox {
  readonly accepts: readonly ItemKind[] = KINDS;
  private readonly cols = new Map<string, Promise<CollectionState>>();
  /** Every collection alike (see the top of this file): idempotent writes, removal by version, no flags. */
  private readonly caps: TargetCapabilities = { removeItems: (ref, ids) => this.removeItems(ref, ids) };

  constructor(private readonly dav: DavAccount, private readonly homes: Homes, private readonly normalize: DavWriteOptions = {}) {}

  async verify(): Promise<AccessCheck> {
    const checks: AccessCheck['checks'] = [{ name: 'login and principal', ok: true, detail: this.homes.principal.pathname }];
    checks.push({ name: 'calendar-home-set (CalDAV)', ok: this.homes.calendarHome !== undefined, detail: this.homes.calendarHome?.pathname ?? this.homes.refused?.calendar ?? 'not announced' });
    checks.push({ name: 'addressbook-home-set (CardDAV)', ok: this.homes.addressbookHome !== undefined, detail: this.homes.addressbookHome?.pathname ?? this.homes.refused?.addressbook ?? 'not announced' });
    try {
      const all = await this.dav.collections(this.homes);
      const refused = all.filter((c) => c.refused !== undefined);
      checks.push({ name: 'list collections', ok: true, detail: `${all.length} calendars and address books` });
      if (refused.length > 0) checks.push({ name: 'collections on the configured server', ok: false, detail: refused.map((c) => c.refused).join('; ') });
    } catch (err) {
      checks.push({ name: 'list collections', ok: false, detail: reasonOf(err) });
    }
    return { ok: checks.every((c) => c.ok), checks };
  }

  async list(): Promise<string[]> {
    return (await this.dav.collections(this.homes)).map((c) => collectionRef(c.kind, c.displayName));
  }

  private state(ref: string): Promise<CollectionState> {
    let s = this.cols.get(ref);
    if (!s) {
      const parsed = parseCollectionRef(ref);
      if (!parsed) throw new FatalError(`${JSON.stringify(ref)} is not a calendar, task list or address book (expected calendar:…, tasks:… or addressbook:…)`, 'NOT_GROUPWARE');
      s = this.dav.ensureCollection(this.homes, parsed.kind, parsed.displayName).then((col) => ({ col, writers: new Map() }));
      this.cols.set(ref, s);
      s.catch(() => this.cols.delete(ref));
    }
    return s;
  }

  private index(st: CollectionState): Promise<Map<string, string | null>> {
    st.index ??= this.dav.objectIndex(st.col);
    st.index.catch(() => { st.index = undefined; });
    return st.index;
  }

  async ensure(ref: string): Promise<TargetContainerState> {
    const st = await this.state(ref);
    // No watermark: writes go to names derived from UIDs, nothing needs to be searched "after" a point.
    return { ref, epoch: st.col.url.pathname };
  }

  capabilities(): TargetCapabilities {
    return this.caps;
  }

  async put(ref: string, item: ItemContent): Promise<PutResult> {
    const st = await this.state(ref);
    const { object, content, warnings } = normalizedForPut(ref, item, this.normalize);
    const obj = davObjectOf(object);
    checkFits(obj, st.col);
    const other = st.writers.get(obj.name);
    if (other !== undefined && other !== item.meta.id) {
      throw new ItemError(`UID ${obj.uid} is also the UID of item ${other} in this folder; both would be the same object ${obj.name}`, 'UID_CONFLICT');
    }
    st.writers.set(obj.name, item.meta.id);
    const index = await this.index(st);
    const url = new URL(encodeURIComponent(obj.name), st.col.url);
    let etag = index.get(obj.name);
    for (let attempt = 1; attempt <= 3; attempt++) {
      const cond: Record<string, string> = etag === undefined ? { 'If-None-Match': '*' } : etag === null ? {} : { 'If-Match': etag };
      const res = await this.dav.request('PUT', url, { 'Content-Type': obj.contentType, ...cond }, content);
      if (res.status === 201 || res.status === 204 || res.status === 200) {
        const now = typeof res.headers.etag === 'string' ? res.headers.etag : (await this.dav.etagOf(url)) ?? null;
        index.set(obj.name, now);
        if (object.repairs.length > 0) this.dav.log.debug({ collection: st.col.url.pathname, object: obj.name, repairs: object.repairs }, 'object normalised before writing');
        return { id: targetId(obj.name, now), ...(warnings.length > 0 ? { warnings } : {}) };
      }
      if (res.status !== 412) throw putError(obj, url, res);
      // Precondition failed: it exists after all (If-None-Match) or changed meanwhile (If-Match).
      etag = await this.dav.etagOf(url);
    }
    throw new ItemError(`${obj.name} (UID ${obj.uid}) keeps changing on the server while being written (HTTP 412 three times)`, 'CONFLICT');
  }

  async inventory(ref: string, opts?: { subjects?: boolean }): Promise<ItemMeta[]> {
    const st = await this.state(ref);
    const kind = st.col.kind === 'addressbook' ? 'addressbook' : 'calendar';
    const res = await this.dav.request('REPORT', st.col.url, { Depth: '1', 'Content-Type': 'application/xml; charset=utf-8' }, dataReportBody(kind));
    if (res.status !== 207) throw new FatalError(`listing ${st.col.url.pathname} failed: HTTP ${res.status}`, 'LIST');
    const items: ItemMeta[] = [];
    for (const e of parseMultistatus(res.body)) {
      const data = text(okProp(e, kind === 'addressbook' ? NS.carddav : NS.caldav, kind === 'addressbook' ? 'address-data' : 'calendar-data')) ?? '';
      const name = this.dav.objectName(e.href, st.col.url);
      if (name === undefined) continue;
      const meta: ItemMeta = { id: targetId(name, text(okProp(e, NS.dav, 'getetag')) ?? null), size: Buffer.byteLength(data), flags: [] };
      try {
        const obj = describeObject(data);
        meta.messageId = obj.uid;
        if (opts?.subjects) meta.subject = obj.summary;
      } catch {
        // Not ours to judge: listed without a UID.
      }
      items.push(meta);
    }
    return items;
  }

  /** Every object of the collection with its calendar-data/address-data (the groupware reconciliation reads them). */
  async *objects(ref: string): AsyncIterable<{ id: string; content: Buffer }> {
    const st = await this.state(ref);
    const kind = st.col.kind === 'addressbook' ? 'addressbook' : 'calendar';
    const res = await this.dav.request('REPORT', st.col.url, { Depth: '1', 'Content-Type': 'application/xml; charset=utf-8' }, dataReportBody(kind));
    if (res.status !== 207) throw new FatalError(`reading ${st.col.url.pathname} failed: HTTP ${res.status}`, 'LIST');
    for (const e of parseMultistatus(res.body)) {
      const data = text(okProp(e, kind === 'addressbook' ? NS.carddav : NS.caldav, kind === 'addressbook' ? 'address-data' : 'calendar-data'));
      const name = data === undefined ? undefined : this.dav.objectName(e.href, st.col.url);
      if (data === undefined || name === undefined) continue;
      yield { id: targetId(name, text(okProp(e, NS.dav, 'getetag')) ?? null), content: Buffer.from(data) };
    }
  }

  async removeItems(ref: string, ids: string[]): Promise<void> {
    const st = await this.state(ref);
    const index = await this.index(st);
    const problems: string[] = [];
    for (const id of ids) {
      const { name, etag } = parseTargetId(id);
      const url = new URL(encodeURIComponent(name), st.col.url);
      const res = await this.dav.request('DELETE', url, etag ? { 'If-Match': etag } : {});
      if (res.status === 200 || res.status === 204 || res.status === 404) index.delete(name);
      else if (res.status === 412) this.dav.log.info({ collection: st.col.url.pathname, object: name }, 'not deleted: the object changed since this version was written');
      else problems.push(`${name}: HTTP ${res.status}`);
    }
    if (problems.length > 0) throw new ItemError(`deleting from ${st.col.displayName} failed: ${problems.join('; ')}`, 'DELETE');
  }

  async close(): Promise<void> {
    this.cols.clear();
  }
}

/** "<name> <etag>"; names never contain spaces (objects.ts), etags may. */
export function targetId(name: string, etag: string | null): string {
  return etag === null ? name : `${name} ${etag}`;
}

export function parseTargetId(id: string): { name: string; etag?: string } {
  const i = id.indexOf(' ');
  return i < 0 ? { name: id } : { name: id.slice(0, i), etag: id.slice(i + 1) };
}

/**
 * The object to write for one item: every object passes the normalisation stage first (METHOD
 * removed, zones given VTIMEZONEs, vCards in the configured version, a UID made when missing…).
 * An item must hold one object: a source whose files hold many (an .ics export) splits them into
 * items itself, so that each object is one item with its own state. Pure.
 */
export function normalizedForPut(ref: string, item: ItemContent, opts: DavWriteOptions): { object: NormalizedObject; content: Buffer; warnings: string[] } {
  const result = normalizeGroupware(item.content, { ...opts, source: itemSeed(ref, item.meta.id) });
  if (result.failures.length > 0) {
    const what = result.failures.map((f) => `${f.what}: ${f.reason}`).join('; ');
    throw new ItemError(result.objects.length > 0 ? `part of the item cannot be written (${what})` : what, 'INVALID_OBJECT');
  }
  const [object, ...more] = result.objects;
  if (!object) throw new ItemError('the item holds no calendar object or vCard', 'INVALID_OBJECT');
  if (more.length > 0) {
    throw new ItemError(`the item holds ${result.objects.length} objects (UIDs ${result.objects.slice(0, 3).map((o) => o.uid).join(', ')}${result.objects.length > 3 ? ', …' : ''}); the source must give one object per item`, 'INVALID_OBJECT');
  }
  return { object, content: Buffer.from(object.text, 'utf8'), warnings: object.warnings };
}

function checkFits(obj: DavObject, col: Collection): void {
  const wanted = obj.type === 'VCARD' ? 'addressbook' : obj.type === 'VTODO' ? 'tasks' : 'calendar';
  const ok = obj.type === 'VCARD'
    ? col.kind === 'addressbook'
    : col.kind !== 'addressbook' && (col.components.length === 0 || col.components.includes(obj.type));
  if (!ok) throw new ItemError(`a ${obj.type} (UID ${obj.uid}) cannot go into the ${col.kind} ${JSON.stringify(col.displayName)} (it belongs in a ${wanted})`, 'WRONG_COLLECTION');
}

const STATUS_MEANING: Record<number, string> = {
  400: 'the server rejected the data', 403: 'forbidden (or a CalDAV/CardDAV precondition failed)', 409: 'conflict',
  413: 'too large for the server', 415: 'media type not accepted', 507: 'insufficient storage (quota exceeded)',
};

function putError(obj: DavObject, url: URL, res: DavResponse): Error {
  const pre = preconditions(res.body);
  const meaning = STATUS_MEANING[res.status] ?? 'unexpected answer';
  const detail = pre.length > 0 ? ` [${pre.join(', ')}]` : res.body && !res.body.trimStart().startsWith('<') ? `: ${res.body.trim().slice(0, 200)}` : '';
  const msg = `PUT ${obj.name} (UID ${obj.uid}) into ${url.pathname.replace(/[^/]*$/, '')}: HTTP ${res.status}, ${meaning}${detail}`;
  if (res.status === 401) return new FatalError(msg, 'AUTH');
  return new ItemError(msg, `HTTP_${res.status}`);
}

