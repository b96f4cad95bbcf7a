/**
 * Issue 13 item 2: DAV credentials go only to the configured origin. Two real HTTP servers on
 * loopback: the configured one ("home", a small fake DAV server) redirects or answers hrefs that
 * point at the other one ("foreign"), which records every request. The foreign server must never
 * see a request; each refusal is an error naming the URL and the configured origin, for the
 * mailbox (redirect, principal), the collection (home set, listed collection) or, for object
 * hrefs, leaves the object out of the listing, while everything on the configured origin goes on.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { runJob } from '../../src/engine/job.js';
import { testJobOptions, useTempStateStore } from '../../test/support/engine-setup.js';
import { eventIcs, vcard } from '../../test/support/groupware-data.js';
import { loopbackCert } from '../../test/support/loopback-cert.js';
import { MemorySource } from '../../test/support/memory-connectors.js';
import { DavHttp } from './http.js';
import { DavTarget } from './index.js';
import { resolveOnOrigin } from './origin.js';

const log = pino({ level: 'silent' });
const USER = { login: 'ann', password: 'Pa55-word' };

interface Seen { method: string; path: string; auth?: string }
interface Answer { status: number; headers?: Record<string, string>; body?: string }
type Route = (req: { method: string; path: string; body: string; depth?: string }) => Answer | undefined;

interface Fake { url: string; origin: string; seen: Seen[]; route: Route; server: http.Server; tlsErrors: number }

const fakes: Fake[] = [];
const state = useTempStateStore('dav-origin');

async function fake(route: Route = () => undefined, tls?: { key: string; cert: string }): Promise<Fake> {
  const f = { url: '', origin: '', seen: [] as Seen[], route, server: undefined as unknown as http.Server, tlsErrors: 0 };
  const handle = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const method = req.method ?? '';
      const path = req.url ?? '/';
      f.seen.push({ method, path, auth: req.headers.authorization });
      const a = f.route({ method, path, body: Buffer.concat(chunks).toString('utf8'), depth: req.headers.depth as string | undefined }) ?? { status: 404 };
      res.writeHead(a.status, { 'Content-Type': 'application/xml; charset=utf-8', ...a.headers }).end(a.body ?? '');
    });
  };
  f.server = tls ? https.createServer(tls, handle) : http.createServer(handle);
  f.server.on('tlsClientError', () => { f.tlsErrors++; });
  await new Promise<void>((resolve) => f.server.listen(0, '127.0.0.1', resolve));
  f.origin = `${tls ? 'https' : 'http'}://127.0.0.1:${(f.server.address() as AddressInfo).port}`;
  f.url = `${f.origin}/`;
  fakes.push(f);
  return f;
}

afterEach(async () => {
  for (const f of fakes.splice(0)) {
    f.server.closeAllConnections();
    await new Promise((resolve) => f.server.close(resolve));
  }
});

const response = (href: string, props: string) => `<d:response><d:href>${href}</d:href><d:propstat><d:prop>${props}</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`;
const multistatus = (...responses: string[]): Answer => ({
  status: 207,
  body: `<?xml version="1.0" encoding="utf-8"?><d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:card="urn:ietf:params:xml:ns:carddav">${responses.join('')}</d:multistatus>`,
});
const principal = (href: string) => multistatus(response('/', `<d:current-user-principal><d:href>${href}</d:href></d:current-user-principal>`));
const book = (href: string, name: string) => response(href, `<d:resourcetype><d:collection/><card:addressbook/></d:resourcetype><d:displayname>${name}</d:displayname>`);
const target = (url: string) => new DavTarget({ url, allowInsecure: true, tlsVerify: true, maxConnections: 2 }, log);

/** Nothing reached the foreign server: no request at all, so certainly none with credentials. */
function untouched(f: Fake): void {
  expect(f.seen).toEqual([]);
}

test('origins: scheme, host and port; an https → http downgrade on the same host and port is another origin', () => {
  const base = new URL('https://dav.example.org/dav/');
  expect(resolveOnOrigin('/p/ann/', base, base.origin, 'x').href).toBe('https://dav.example.org/p/ann/');
  expect(resolveOnOrigin('https://DAV.example.org:443/p/', base, base.origin, 'x').href).toBe('https://dav.example.org/p/');
  expect(() => resolveOnOrigin('http://dav.example.org/p/', base, base.origin, 'the principal')).toThrow(
    /the principal: http:\/\/dav\.example\.org\/p\/ is outside the configured groupware server https:\/\/dav\.example\.org; it was not contacted/);
  expect(() => resolveOnOrigin('https://dav.example.org:8443/p/', base, base.origin, 'x')).toThrow(/:8443\/p\/ is outside/);
  expect(() => resolveOnOrigin('//evil.example.net/p/', base, base.origin, 'x')).toThrow(/https:\/\/evil\.example\.net\/p\/ is outside/);
  // A user:password@ a server puts into an href is not repeated in the message.
  expect(() => resolveOnOrigin('https://u:secret@evil.example.net/', base, base.origin, 'x')).toThrow(/^x: https:\/\/evil\.example\.net\/ is outside/);
});

test('a cross-origin redirect is refused naming both origins; same-origin redirects are followed; the foreign server sees nothing', async () => {
  const foreign = await fake(() => principal('/p/'));
  const home = await fake(({ method, path }) => {
    if (method !== 'PROPFIND') return undefined;
    if (path === '/') return { status: 301, headers: { Location: '/dav/' } };
    if (path === '/dav/') return { status: 307, headers: { Location: `${foreign.origin}/dav/` } };
    return undefined;
  });
  const t = target(home.url);
  try {
    await expect(t.openMailbox(USER)).rejects.toThrow(
      `PROPFIND ${home.origin}/dav/ answered HTTP 307, a redirect: ${foreign.origin}/dav/ is outside the configured groupware server ${home.origin}; it was not contacted`);
    expect(home.seen.map((s) => `${s.method} ${s.path}`)).toEqual(['PROPFIND /', 'PROPFIND /dav/']);
    expect(home.seen.every((s) => s.auth?.startsWith('Basic '))).toBe(true);
    untouched(foreign);
    // The same server redirecting to itself is followed to the principal.
    home.route = ({ method, path }) => (method !== 'PROPFIND' ? undefined : path === '/' ? { status: 301, headers: { Location: `${home.origin}/dav/` } }
      : path === '/dav/' ? principal('/p/ann/') : path === '/p/ann/' ? multistatus(response('/p/ann/', '')) : undefined);
    const mb = await t.openMailbox(USER);
    expect((await mb.verify()).checks[0]).toEqual({ name: 'login and principal', ok: true, detail: '/p/ann/' });
    // A redirect loop on the same server ends after a few hops.
    home.route = () => ({ status: 302, headers: { Location: '/loop/' } });
    await expect(t.openMailbox(USER)).rejects.toThrow(/too many redirects/);
    untouched(foreign);
  } finally {
    await t.close();
  }
});

test('an https server redirecting to http on the same host and port: refused before anything is sent in clear', async () => {
  const cert = loopbackCert();
  const home = await fake(() => undefined, cert);
  home.route = () => ({ status: 301, headers: { Location: `${home.origin.replace('https:', 'http:')}/dav/` } });
  const t = new DavTarget({ url: home.url, allowInsecure: false, tlsVerify: true, ca: cert.cert, maxConnections: 1 }, log);
  try {
    await expect(t.openMailbox(USER)).rejects.toThrow(`a redirect: ${home.origin.replace('https:', 'http:')}/dav/ is outside the configured groupware server ${home.origin}`);
    expect(home.seen).toHaveLength(1);
    expect(home.tlsErrors).toBe(0); // no plaintext request reached the TLS port
  } finally {
    await t.close();
  }
});

test('a current-user-principal on another origin fails the mailbox, naming it; nothing is sent there', async () => {
  const foreign = await fake(() => multistatus(response('/p/', '')));
  const home = await fake(({ method, path }) => (method === 'PROPFIND' && path === '/' ? principal(`${foreign.origin}/principals/ann/`) : undefined));
  const t = target(home.url);
  try {
    await expect(t.openMailbox(USER)).rejects.toThrow(`the current-user-principal of ann: ${foreign.origin}/principals/ann/ is outside the configured groupware server ${home.origin}`);
    untouched(foreign);
  } finally {
    await t.close();
  }
});

test('home sets, collections and object hrefs on another origin: per-collection errors, the rest of the run goes on', async () => {
  const foreign = await fake(() => multistatus());
  const F = foreign.origin;
  const objects = new Map<string, { etag: string; data: string }>();
  let n = 0;
  const home = await fake(({ method, path, body, depth }) => {
    if (method === 'PROPFIND' && path === '/') return principal('/p/ann/');
    if (method === 'PROPFIND' && path === '/p/ann/') {
      return multistatus(response('/p/ann/', `<c:calendar-home-set><d:href>${F}/cal/ann/</d:href></c:calendar-home-set><card:addressbook-home-set><d:href>/card/ann/</d:href></card:addressbook-home-set>`));
    }
    if (method === 'PROPFIND' && path === '/card/ann/') {
      return multistatus(response('/card/ann/', '<d:resourcetype><d:collection/></d:resourcetype>'), book('/card/ann/contacts/', 'Contacts'), book(`${F}/card/ann/team/`, 'Team'));
    }
    const ghost = response(`${F}/card/ann/contacts/ghost.vcf`, `<d:getetag>"g1"</d:getetag><card:address-data>${vcard('ghost', 'Ghost Person')}</card:address-data>`);
    if (method === 'PROPFIND' && path === '/card/ann/contacts/' && depth === '1') {
      return multistatus(response('/card/ann/contacts/', ''), ...[...objects].map(([p, o]) => response(p, `<d:getetag>${o.etag}</d:getetag>`)), ghost);
    }
    if (method === 'REPORT' && path === '/card/ann/contacts/') {
      return multistatus(...[...objects].map(([p, o]) => response(p, `<d:getetag>${o.etag}</d:getetag><card:address-data>${o.data}</card:address-data>`)), ghost);
    }
    if (method === 'PUT' && path.startsWith('/card/ann/contacts/')) {
      const etag = `"e${++n}"`;
      objects.set(path, { etag, data: body });
      return { status: 201, headers: { ETag: etag } };
    }
    return undefined;
  });
  const src = new MemorySource();
  src.add(['Kalender'], eventIcs('ev-1@example.org', 'Meeting'), { kind: 'event', messageId: 'ev-1@example.org' });
  for (const i of [1, 2]) src.add(['Contacts'], vcard(`c-${i}`, `Person Number${i}`), { kind: 'contact', messageId: `c-${i}` });
  src.add(['Team'], vcard('t-1', 'Team Member'), { kind: 'contact', messageId: 't-1' });
  const t = target(home.url);
  try {
    const r = await runJob({ store: state.store, sources: src, targets: t, log }, [{ source: { login: 'ann' }, target: USER }], testJobOptions());
    expect(r.mailboxes[0]?.error).toBeUndefined();
    expect(r.failedContainers).toBe(2);
    const byFolder = Object.fromEntries(r.mailboxes[0]!.containers.map((c) => [c.source, c]));
    expect(byFolder.Contacts).toMatchObject({ ok: true, copied: 2 });
    expect(byFolder.Kalender?.ok).toBe(false);
    expect(byFolder.Kalender?.error).toContain(`the calendar-home-set of ann: ${F}/cal/ann/ is outside the configured groupware server ${home.origin}; it was not contacted`);
    expect(byFolder.Kalender?.error).toMatch(/set groupwareTarget\.url to it/);
    expect(byFolder.Team?.ok).toBe(false);
    expect(byFolder.Team?.error).toContain(`the addressbook "Team" listed in /card/ann/: ${F}/card/ann/team/ is outside the configured groupware server ${home.origin}`);

    // The object href on the foreign origin is no object of the collection: left out of listings.
    const mb = await t.openMailbox(USER);
    expect((await mb.inventory('addressbook:Contacts')).map((i) => i.messageId).sort()).toEqual(['c-1', 'c-2']);
    const read: string[] = [];
    for await (const o of mb.objects!('addressbook:Contacts')) read.push(o.id);
    expect(read).toHaveLength(2);
    const checks = (await mb.verify()).checks;
    expect(checks.find((c) => c.name === 'calendar-home-set (CalDAV)')).toMatchObject({ ok: false, detail: expect.stringContaining(`${F}/cal/ann/`) });
    expect(checks.find((c) => c.name === 'collections on the configured server')).toMatchObject({ ok: false, detail: expect.stringContaining(`${F}/card/ann/team/`) });
    untouched(foreign);
  } finally {
    await t.close();
  }
});

test('the HTTP layer itself refuses a URL of another origin: nothing is sent', async () => {
  const foreign = await fake(() => ({ status: 200 }));
  const home = await fake(() => ({ status: 200 }));
  const h = new DavHttp({ url: `${home.origin}/dav/`, allowInsecure: true, tlsVerify: true, maxConnections: 1 });
  try {
    await expect(h.request({ method: 'PUT', url: new URL(`${foreign.origin}/x.ics`) }, USER)).rejects.toThrow(
      `PUT refused: ${foreign.origin}/x.ics is outside the configured groupware server ${home.origin}`);
    await h.request({ method: 'DELETE', url: new URL(`${home.origin}/elsewhere/x.ics`) }, USER);
    expect(h.sent.get('PUT')).toBeUndefined();
    expect(home.seen.map((s) => s.method)).toEqual(['DELETE']);
    untouched(foreign);
  } finally {
    h.close();
  }
});
