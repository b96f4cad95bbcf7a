/**
 * Hostile answers of a CalDAV server on the configured origin (fake-dav.ts; cross-origin hrefs and
 * redirects are connectors/dav/origin.test.ts): an XML entity bomb and a DOCTYPE pointing at a
 * local file, a body that is not XML, a redirect loop, a principal that is a `javascript:` URL,
 * 5,000 collections, terminal escapes in a refusal, a refusal that echoes the Authorization
 * header back, an ETag with an escape character. Each write ends copied or in an error naming the request
 * and the reason — never a hang, never the password (or its Basic form) in the stored reason, never a
 * request to another origin.
 */
import pino from 'pino';
import { DavTarget } from '../../connectors/dav/index.js';
import type { ItemContent } from '../../src/model/types.js';
import { reasonOf } from '../../src/util/errors.js';
import { registerSecret, scrubSecrets } from '../../src/util/scrub.js';
import { startFakeDav, multistatus, type FakeDav, type Override } from './fake-dav.js';
import { expectNoSecret, TERMINAL_ATTACKS } from './payloads.js';

const log = pino({ level: 'silent' });
const PASSWORD = 'Dav-Hostile-pw-Q7r';
const BASIC = Buffer.from(`alice:${PASSWORD}`).toString('base64');
const event = (uid: string): ItemContent => ({
  meta: { id: uid, size: 0, flags: [] },
  content: Buffer.from(`BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//h//EN\r\nBEGIN:VEVENT\r\nUID:${uid}\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240301T090000Z\r\nDURATION:PT1H\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`),
});
const xml = (res: Parameters<Override>[1], status: number, body: string, headers: Record<string, string> = {}) => { res.writeHead(status, { 'Content-Type': 'application/xml', ...headers }); res.end(body); return true; };
const bomb = `<?xml version="1.0"?><!DOCTYPE d:multistatus [<!ENTITY a "aaaaaaaaaa">${Array.from({ length: 9 }, (_, i) => `<!ENTITY ${String.fromCharCode(98 + i)} "${`&${String.fromCharCode(97 + i)};`.repeat(10)}">`).join('')}]><d:multistatus xmlns:d="DAV:"><d:response><d:href>&j;</d:href></d:response></d:multistatus>`;

/** `either`: a lie the target may survive or refuse; only a clean end is required. */
interface Case { name: string; override: Override; outcome: 'copied' | 'error' | 'either'; mentions?: RegExp }
const discovery = (url: string): boolean => { const p = new URL(url, 'http://x').pathname; return p === '/' || p.startsWith('/.well-known/'); };
const CASES: Case[] = [
  { name: 'an honest server (control)', override: () => false, outcome: 'copied' },
  { name: 'discovery answered with an XML entity bomb', override: (q, r) => q.method === 'PROPFIND' && discovery(q.url) && xml(r, 207, bomb), outcome: 'error', mentions: /current-user-principal/ },
  { name: 'discovery answered with a DOCTYPE naming /etc/passwd', override: (q, r) => q.method === 'PROPFIND' && discovery(q.url) && xml(r, 207, '<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]><d:multistatus xmlns:d="DAV:"><d:response><d:href>&x;</d:href></d:response></d:multistatus>'), outcome: 'error', mentions: /current-user-principal/ },
  { name: 'the first discovery answer is a bomb, the well-known URL answers properly', override: (q, r) => q.method === 'PROPFIND' && new URL(q.url, 'http://x').pathname === '/' && xml(r, 207, bomb), outcome: 'copied' },
  { name: 'the home listing is not XML', override: (q, r) => q.method === 'PROPFIND' && q.url.startsWith('/cal/') && q.depth === '1' && xml(r, 207, '<<<not xml at all'), outcome: 'error', mentions: /\/cal\// },
  { name: 'discovery redirects to itself forever', override: (q, r) => q.method === 'PROPFIND' && (r.writeHead(301, { Location: q.url }), r.end(), true), outcome: 'error', mentions: /redirect/ },
  { name: 'the principal is a javascript: URL', override: (q, r) => q.method === 'PROPFIND' && new URL(q.url, 'http://x').pathname === '/' && xml(r, 207, multistatus.ms(multistatus.ok('/', '<d:current-user-principal><d:href>javascript:alert(1)</d:href></d:current-user-principal>'))), outcome: 'error' },
  { name: '5,000 collections that are no calendar in the home', override: (q, r) => q.method === 'PROPFIND' && q.url === '/cal/' && !q.body.includes('getetag') && xml(r, 207, multistatus.ms(Array.from({ length: 5000 }, (_, i) => multistatus.ok(`/cal/c${i}/`, '<d:resourcetype><d:collection/></d:resourcetype>')).join(''))), outcome: 'error' },
  { name: 'a refused PUT echoing the Authorization header', override: (q, r) => q.method === 'PUT' && (r.writeHead(400, { 'Content-Type': 'text/plain' }), r.end(`bad request; you sent Authorization: ${q.authorization}`), true), outcome: 'error', mentions: /PUT/ },
  { name: 'a refused PUT whose reason carries terminal escapes', override: (q, r) => q.method === 'PUT' && (r.writeHead(403, { 'Content-Type': 'text/plain' }), r.end(`denied ${TERMINAL_ATTACKS.titleChange}${TERMINAL_ATTACKS.clearScreen}`), true), outcome: 'error', mentions: /PUT/ },
  // Raw on the socket: node's server refuses to write such a header itself.
  { name: 'an ETag with an escape character', override: (q, r) => q.method === 'PUT' && (r.socket?.end('HTTP/1.1 201 Created\r\nETag: "e1\x1b]0;x\x07"\r\nContent-Length: 0\r\n\r\n'), true), outcome: 'either' },
];

let fake: FakeDav;
let foreign: FakeDav;
beforeAll(async () => {
  registerSecret(PASSWORD);
  [fake, foreign] = await Promise.all([startFakeDav(), startFakeDav()]);
});
afterAll(async () => { await fake.close(); await foreign.close(); });

test.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
  fake.override = c.override;
  const target = new DavTarget({ url: fake.url, allowInsecure: true, tlsVerify: true, maxConnections: 2, timeoutMs: 10_000 }, log);
  let error = '';
  try {
    const mb = await target.openMailbox({ login: 'alice', password: PASSWORD });
    try {
      await mb.put('calendar:Hostile', event(`h-${CASES.indexOf(c)}@x`));
    } finally {
      await mb.close();
    }
  } catch (err) {
    error = reasonOf(err);
  } finally {
    await target.close();
  }
  const outcome = error === '' ? 'copied' : 'error';
  expect({ outcome: c.outcome === 'either' ? 'either' : outcome, error: c.outcome === 'copied' ? error : '' }).toEqual({ outcome: c.outcome, error: '' });
  if (outcome === 'error') expect(error).toMatch(c.mentions ?? /\S{10}/);
  // What is stored and printed of a reason: the password (registered as resolving it does) and its Basic form scrubbed.
  expectNoSecret(scrubSecrets(error), [PASSWORD, BASIC], 'the error as stored');
  expect(foreign.seen).toEqual([]);
}, 30_000);
