/**
 * dav (the UMS's CalDAV/CardDAV) through the target conformance suite, on both DAV servers of the
 * lab: Radicale (lenient) and Cyrus httpd (strict). Over TLS with the lab CA. The refused item: on
 * Cyrus one the server refuses (a zero-length event), on Radicale one the target refuses before
 * any PUT (an event without DTSTART: no start can be made up).
 */
import { readFileSync } from 'node:fs';
import { DavTarget } from '../../connectors/dav/index.js';
import { DAV_SERVERS } from '../lab/dav-servers.js';
import { eventIcs } from '../support/groupware-data.js';
import { describeTargetConnector } from './target-suite.js';
import { silentLog } from './file-fixtures.js';

const uid = (n: number) => `conf-${n}@example.org`;

for (const server of DAV_SERVERS) {
  describeTargetConnector(`dav on ${server.name}`, async () => {
    const lab = await server.start();
    const user = await lab.createUser('confdav');
    return {
      connector: () => new DavTarget({ url: lab.tlsUrl, allowInsecure: false, tlsVerify: true, ca: readFileSync(lab.caFile, 'utf8'), maxConnections: 4 }, silentLog),
      account: user,
      kind: 'event',
      ref: (name) => `calendar:${name}`,
      item: (n) => ({ content: Buffer.from(eventIcs(uid(n), `Meeting ${n}`, `2026-03-${String(1 + (n % 28)).padStart(2, '0')}T09:00:00`)), messageId: uid(n) }),
      async rejected() {
        const ics = (...lines: string[]) => Buffer.from(['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//conformance//EN', 'BEGIN:VEVENT', `UID:${uid(999)}`, ...lines, 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n'));
        // The strict server refuses what passes the normalisation: a zero-length event (403 valid-calendar-data, "DTEND must occur after DTSTART").
        if (lab.strict) return { content: ics('SUMMARY:instant', 'DTSTAMP:20260101T000000Z', 'DTSTART:20270301T090000Z'), messageId: uid(999), reason: 'valid-calendar-data' };
        // Radicale stores nearly anything: the target refuses an event no start can be made up for before any PUT.
        return { content: ics('SUMMARY:no start'), messageId: uid(999), reason: 'without DTSTART' };
      },
      writes: 'idempotent',
      async cleanup() {},
    };
  });
}
