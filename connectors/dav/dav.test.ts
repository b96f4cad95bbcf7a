/**
 * The CalDAV/CardDAV target against the lab's two real servers (test/lab/dav-servers.ts): Radicale
 * (lenient) and Cyrus IMAP 3.6's httpd (strict: refuses what sabre/NextCloud refuses and more).
 * Both are started here if needed; every test has users of its own. Every object the target PUTs
 * is checked with the CalDAV/CardDAV profile validator (test/support/caldav-profile.ts), which also
 * catches what neither server does (a TZID without VTIMEZONE, a DATE-TIME RECURRENCE-ID on an
 * all-day series). The real-world shapes of issue 11 are in dav-shapes.test.ts.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { DAV_SERVERS, type DavLabServer } from '../../test/lab/dav-servers.js';
import { observePuts, putViolations, type ObservedPut } from '../../test/support/caldav-profile.js';
import { eventIcs, todoIcs, vcard } from '../../test/support/groupware-data.js';
import type { ItemContent, TargetMailbox } from '../../src/model/types.js';
import { DavTarget } from './index.js';
import { resourceName } from './objects.js';

const log = pino({ level: 'silent' });

const item = (id: string, text: string): ItemContent => ({ meta: { id, size: Buffer.byteLength(text), flags: [] }, content: Buffer.from(text) });

describe.each(DAV_SERVERS)('DAV target on $name', (entry) => {
  let lab: DavLabServer;
  /** Every PUT of the test (one list per target), checked against the CalDAV/CardDAV profile after it. */
  let observed: ObservedPut[][] = [];
  beforeAll(async () => {
    lab = await entry.start();
  }, 180_000);
  beforeEach(() => {
    observed = [];
  });
  afterEach(() => {
    expect(putViolations(observed.flat())).toEqual([]);
  });

  function watched(target: DavTarget): DavTarget {
    observed.push(observePuts(target.http));
    return target;
  }

  async function open(tls = false): Promise<{ target: DavTarget; mb: TargetMailbox; user: { login: string; password: string } }> {
    const user = await lab.createUser('davt');
    const target = watched(tls
      ? new DavTarget({ url: lab.tlsUrl, allowInsecure: false, tlsVerify: true, ca: readFileSync(lab.caFile, 'utf8'), maxConnections: 4 }, log)
      : new DavTarget({ url: lab.url, allowInsecure: true, tlsVerify: true, maxConnections: 4 }, log));
    return { target, mb: await target.openMailbox(user), user };
  }

  test('creates calendars, task lists and address books by display name, once', async () => {
    const { target, mb, user } = await open();
    try {
      const a = await mb.ensure('calendar:Kalender / Team');
      const b = await mb.ensure('tasks:Aufgaben');
      const c = await mb.ensure('addressbook:Kontakte');
      expect(new Set([a.epoch, b.epoch, c.epoch]).size).toBe(3);
      expect((await mb.list()).sort()).toEqual([...lab.defaults, 'addressbook:Kontakte', 'calendar:Kalender / Team', 'tasks:Aufgaben'].sort());
      // A second session finds them again instead of creating more.
      const mb2 = await target.openMailbox(user);
      expect((await mb2.ensure('calendar:Kalender / Team')).epoch).toBe(a.epoch);
      expect(await mb2.list()).toHaveLength(lab.defaults.length + 3);
      expect((await mb.verify()).ok).toBe(true);
    } finally {
      await target.close();
    }
  });

  test('PUT new with If-None-Match, update with If-Match, replay lands on the same object', async () => {
    const { target, mb, user } = await open();
    try {
      await mb.ensure('calendar:Work');
      const first = await mb.put('calendar:Work', item('1', eventIcs('ev-1@example.org', 'Planning')));
      expect(first.id).toMatch(/^ev-1@example\.org\.ics "/);
      await mb.put('calendar:Work', item('2', eventIcs('odd uid/with spaces ü', 'Odd')));
      // A new session (after a crash) writes item 1 again: its listing knows the object, so it is an If-Match update.
      const again = await target.openMailbox(user);
      await again.ensure('calendar:Work');
      const before = target.http.sent.get('PUT') ?? 0;
      const upd = await again.put('calendar:Work', item('1b', eventIcs('ev-1@example.org', 'Planning (moved)')));
      expect(target.http.sent.get('PUT')).toBe(before + 1);
      expect(upd.id).not.toBe(first.id);
      const inv = await again.inventory('calendar:Work', { subjects: true });
      expect(inv.map((i) => i.messageId).sort()).toEqual(['ev-1@example.org', 'odd uid/with spaces ü']);
      expect(inv.find((i) => i.messageId === 'ev-1@example.org')?.subject).toBe('Planning (moved)');
      expect(inv.map((i) => i.id.split(' ')[0])).toContain(resourceName('odd uid/with spaces ü', 'VEVENT'));
      // Deleting the superseded version does nothing; deleting the current one removes it.
      const caps = again.capabilities('calendar:Work');
      expect({ recovery: caps.recovery, setFlags: caps.setFlags, removes: typeof caps.removeItems }).toEqual({ recovery: undefined, setFlags: undefined, removes: 'function' });
      await caps.removeItems?.('calendar:Work', [first.id as string]);
      expect(await again.inventory('calendar:Work')).toHaveLength(2);
      await caps.removeItems?.('calendar:Work', [upd.id as string]);
      expect((await again.inventory('calendar:Work')).map((i) => i.messageId)).toEqual(['odd uid/with spaces ü']);
    } finally {
      await target.close();
    }
  });

  test('a stale session (object written by someone else meanwhile) still writes with If-Match, once', async () => {
    const { target, mb, user } = await open();
    try {
      await mb.put('addressbook:Contacts', item('1', vcard('c-1', 'Ada Lovelace')));
      const other = await target.openMailbox(user);
      await other.put('addressbook:Contacts', item('1', vcard('c-1', 'Ada King')));
      // `mb` still holds the first etag: 412, fresh etag, If-Match again.
      await mb.put('addressbook:Contacts', item('1', vcard('c-1', 'Ada, Countess of Lovelace')));
      const inv = await mb.inventory('addressbook:Contacts', { subjects: true });
      expect(inv.map((i) => i.subject)).toEqual(['Ada, Countess of Lovelace']);
    } finally {
      await target.close();
    }
  });

  test('bad items are per-item errors naming the reason', async () => {
    const { target, mb } = await open();
    try {
      await expect(mb.put('tasks:Todo', item('1', eventIcs('e', 'x')))).rejects.toThrow(/VEVENT \(UID e\) cannot go into the tasks "Todo"/);
      // An event without DTSTART cannot be repaired (a UID could be made, a start cannot): refused before any PUT.
      await expect(mb.put('calendar:Cal', item('2', 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n'))).rejects.toThrow(/without DTSTART/);
      await expect(mb.put('calendar:Cal', item('3', 'hello'))).rejects.toThrow(/neither iCalendar|not valid iCalendar|expected/);
      await expect(mb.put('calendar:Cal', item('4', 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:bad-1\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n'))).rejects.toThrow(/bad-1|DTSTART/);
      expect(target.http.sent.get('PUT') ?? 0).toBe(0);
      await mb.put('calendar:Cal', item('5', eventIcs('same', 'a')));
      await expect(mb.put('calendar:Cal', item('6', eventIcs('same', 'b')))).rejects.toThrow(/also the UID of item 5/);
      await expect(mb.ensure('INBOX.Sent')).rejects.toThrow(/not a calendar, task list or address book/);
    } finally {
      await target.close();
    }
  });

  test('TLS with the lab CA; wrong password and untrusted certificates are refused clearly', async () => {
    const { target, mb, user } = await open(true);
    try {
      await mb.put('tasks:Todo', item('1', todoIcs('t-1', 'Write report')));
      expect((await mb.inventory('tasks:Todo')).map((i) => i.messageId)).toEqual(['t-1']);
      await expect(target.openMailbox({ login: user.login, password: 'wrong' })).rejects.toThrow(/refused the login .* \(HTTP 401\)/);
    } finally {
      await target.close();
    }
    const noCa = new DavTarget({ url: lab.tlsUrl, allowInsecure: false, tlsVerify: true, maxConnections: 1 }, log);
    await expect(noCa.openMailbox({ login: 'x', password: 'y' })).rejects.toThrow(/certificate/i);
    await noCa.close();
    expect(() => new DavTarget({ url: lab.url, allowInsecure: false, tlsVerify: true, maxConnections: 1 }, log)).toThrow(/^groupware target \S+: http:\/\/ sends passwords in plaintext/);
  });

  test('a write whose answer was lost: the retry writes the same object again, never a second one', async () => {
    const user = await lab.createUser('davlost');
    // A proxy that forwards everything but drops the connection instead of answering the first PUT.
    let dropped = false;
    const upstream = new URL(lab.url);
    const proxy = http.createServer((req, res) => {
      const fwd = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
        if (req.method === 'PUT' && !dropped) {
          dropped = true;
          up.resume();
          req.socket.destroy();
          return;
        }
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      req.pipe(fwd);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const target = watched(new DavTarget({ url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/`, allowInsecure: true, tlsVerify: true, maxConnections: 2 }, log));
    try {
      const mb = await target.openMailbox(user);
      const ics = eventIcs('lost-1', 'Lost answer');
      await expect(mb.put('calendar:Cal', item('1', ics))).rejects.toThrow(/socket hang up|ECONNRESET/);
      // The first PUT landed; the retry (the engine's, with no lookup: writes here are idempotent)
      // finds the object there (412 on If-None-Match) and replaces it with If-Match.
      const again = await mb.put('calendar:Cal', item('1', ics));
      expect(again.id).toMatch(/^lost-1\.ics "/);
      expect(target.http.sent.get('PUT')).toBeGreaterThan(1);
      expect((await mb.inventory('calendar:Cal')).map((i) => i.messageId)).toEqual(['lost-1']);
    } finally {
      await target.close();
      proxy.close();
    }
  });
});
