/**
 * A small CalDAV server for hostile-response tests (plain HTTP on 127.0.0.1, a random port): just
 * what the DAV target asks for — discovery (current-user-principal, home sets), the collections of
 * the calendar home, MKCALENDAR, the object index, PUT and the ETag lookup — answered correctly
 * unless the test's `override` answers a request its own way (a lie, a bomb, an echo).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DavRequestSeen { method: string; url: string; authorization?: string; depth?: string; body: string }
export type Override = (req: DavRequestSeen, res: http.ServerResponse) => boolean;

export interface FakeDav { url: string; origin: string; seen: DavRequestSeen[]; override?: Override; close(): Promise<void> }

const ms = (responses: string): string => `<?xml version="1.0" encoding="utf-8"?><d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">${responses}</d:multistatus>`;
const ok = (href: string, props: string): string => `<d:response><d:href>${href}</d:href><d:propstat><d:prop>${props}</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`;

export async function startFakeDav(): Promise<FakeDav> {
  const collections = new Map<string, string>(); // path → display name
  const objects = new Map<string, string>(); // path → etag
  const fake: FakeDav = { url: '', origin: '', seen: [], close: async () => undefined };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen: DavRequestSeen = { method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, depth: req.headers.depth as string | undefined, body: Buffer.concat(chunks).toString('utf8') };
      fake.seen.push(seen);
      if (fake.override?.(seen, res)) return;
      const path = new URL(seen.url, 'http://x').pathname;
      const send = (status: number, body = '', headers: Record<string, string> = {}) => { res.writeHead(status, { 'Content-Type': 'application/xml; charset=utf-8', ...headers }); res.end(body); };
      if (seen.method === 'PROPFIND') {
        if (path === '/' || path.startsWith('/.well-known/')) return send(207, ms(ok(path, '<d:current-user-principal><d:href>/p/</d:href></d:current-user-principal>')));
        if (path === '/p/') return send(207, ms(ok('/p/', '<c:calendar-home-set><d:href>/cal/</d:href></c:calendar-home-set>')));
        if (path === '/cal/') {
          return send(207, ms(ok('/cal/', '<d:resourcetype><d:collection/></d:resourcetype>') + [...collections].map(([p, name]) => ok(p, `<d:resourcetype><d:collection/><c:calendar/></d:resourcetype><d:displayname>${name}</d:displayname><c:supported-calendar-component-set><c:comp name="VEVENT"/></c:supported-calendar-component-set>`)).join('')));
        }
        if (collections.has(path)) return send(207, ms(ok(path, '<d:resourcetype><d:collection/><c:calendar/></d:resourcetype>') + [...objects].filter(([p]) => p.startsWith(path)).map(([p, e]) => ok(p, `<d:getetag>${e}</d:getetag>`)).join('')));
        if (objects.has(path)) return send(207, ms(ok(path, `<d:getetag>${objects.get(path)}</d:getetag>`)));
        return send(404);
      }
      if (seen.method === 'MKCALENDAR') {
        const name = /<d:displayname>([^<]*)<\/d:displayname>/.exec(seen.body)?.[1] ?? '';
        collections.set(path, name);
        return send(201);
      }
      if (seen.method === 'PUT') {
        const etag = `"e${objects.size + 1}"`;
        objects.set(path, etag);
        return send(201, '', { ETag: etag });
      }
      return send(405);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.url = `${fake.origin}/`;
  fake.close = () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
  return fake;
}

/** The multistatus helpers, for overrides. */
export const multistatus = { ms, ok };
