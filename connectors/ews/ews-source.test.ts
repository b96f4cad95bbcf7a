/**
 * The EWS source against the EWS simulator (msw, in-process) through the engine into the
 * in-memory target: mail in several folders, the DST meeting, contacts, tasks; a delta after
 * changes; throttling and dropped connections; impersonation; OAuth2.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ICAL from 'ical.js';
import { setupServer } from 'msw/node';
import pino from 'pino';
import { contentHash } from '../../mappings/content-hash.js';
import { runJob, type JobOptions } from '../../src/engine/job.js';
import { SqliteStateStore } from '../../src/state/sqlite.js';
import { MemoryTarget } from '../../test/support/memory-connectors.js';
import type { EwsAuth, EwsEndpoint } from './client.js';
import { categoriesXml, flagXml, addMessage, addTask } from './sim/items.js';
import { seedMailbox, mime, type SeededMailbox } from './sim/seed.js';
import { EwsSim } from './sim/server.js';
import { EwsSource } from './source.js';

const log = pino({ level: 'silent' });
const ALICE = 'alice@example.org';
const options = (over: Partial<JobOptions> = {}): JobOptions => ({
  filters: { maxMessageSize: 10 * 1024 * 1024 },
  folders: { include: ['**'], exclude: [], rename: [], specialUse: { sent: 'Sent', trash: 'Trash', junk: 'Spam', drafts: 'Drafts', archive: 'Archive' }, invalidCharReplacement: '_' },
  batchSize: 4, writersPerTask: 2, tasks: 3, mailboxes: 2, byteBudget: 8 * 1024 * 1024,
  retry: { attempts: 6, baseDelayMs: 1, maxDelayMs: 10 },
  ...over,
});
const job = (smtp = ALICE) => [{ source: { login: smtp }, target: { login: smtp } }];

let sim: EwsSim;
const server = setupServer();
let dir: string;
let store: SqliteStateStore;

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());
beforeEach(async () => {
  sim = new EwsSim();
  sim.addUser('svc-migrate', 'S3cret!', { canImpersonate: true });
  server.resetHandlers(...sim.handlers());
  dir = mkdtempSync(join(tmpdir(), 'ews-src-'));
  store = new SqliteStateStore(join(dir, 'state.sqlite'));
  await store.migrate();
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function endpoint(over: Partial<EwsEndpoint> = {}, auth: EwsAuth = { mode: 'basic', username: 'svc-migrate', password: 'S3cret!' }): EwsEndpoint {
  return {
    url: sim.url, auth, impersonation: true, tlsVerify: true, version: 'Exchange2013_SP1', maxConcurrent: 4,
    retry: { attempts: 8, baseDelayMs: 1, maxDelayMs: 10 }, maxBackoffMs: 50, timeoutMs: 10_000, ...over,
  };
}

const byFolder = (t: MemoryTarget) => new Map([...t.folders.entries()].map(([k, f]) => [k, f.messages.map((m) => m.content.toString('utf8'))]));

/** Every occurrence start (UTC) of the .ics series in `texts` whose UID is `uid`. */
function occurrences(texts: string[], uid: string): { start: string; summary: string }[] {
  const text = texts.find((t) => t.replace(/\r\n[ \t]/g, '').includes(`UID:${uid}`));
  if (!text) throw new Error(`no calendar object with UID ${uid}`);
  const cal = new ICAL.Component(ICAL.parse(text));
  for (const tz of cal.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(tz);
  const vevents = cal.getAllSubcomponents('vevent');
  const master = new ICAL.Event(vevents.find((v) => !v.hasProperty('recurrence-id')));
  for (const v of vevents) if (v.hasProperty('recurrence-id')) master.relateException(v);
  const it = master.iterator();
  const out: { start: string; summary: string }[] = [];
  for (let next = it.next(); next && out.length < 20; next = it.next()) {
    const d = master.getOccurrenceDetails(next);
    out.push({ start: d.startDate.toJSDate().toISOString(), summary: d.item.summary });
  }
  ICAL.TimezoneService.reset();
  return out;
}

async function run(src: EwsSource, tgt: MemoryTarget, over: Partial<JobOptions> = {}, smtp = ALICE) {
  return runJob({ store, sources: src, targets: tgt, log }, job(smtp), options(over));
}

describe('EWS source → engine → memory target', () => {
  test('mail, calendar, contacts and tasks arrive; malformed items are per-item errors; a second run copies nothing', async () => {
    const seeded = seedMailbox(sim, ALICE, { malformed: true });
    const src = new EwsSource(endpoint(), log, 3);
    const tgt = new MemoryTarget();
    const r1 = await run(src, tgt);
    expect(r1.mailboxes[0]?.error).toBeUndefined();
    expect(r1.failedMailboxes).toBe(0);
    expect(r1.failed).toBe(4);
    expect(r1.copied).toBe(8 + 3 + 3 + 2);
    const folders = byFolder(tgt);
    // Localized well-known folders land on the configured names; empty ones are created too.
    expect([...folders.keys()].sort()).toEqual([
      'INBOX', 'INBOX.Archive', 'INBOX.Aufgaben', 'INBOX.Drafts', 'INBOX.Kalender', 'INBOX.Kontakte', 'INBOX.Projekte', 'INBOX.Projekte.Q3', 'INBOX.Sent', 'INBOX.Spam', 'INBOX.Trash',
    ]);
    // Mail: byte-identical, in the folders by DistinguishedFolderId, with flags and dates.
    expect(folders.get('INBOX.Sent')?.sort()).toEqual([mime(1), mime(5)]);
    expect(folders.get('INBOX.Projekte.Q3')?.sort()).toEqual([mime(3), mime(7)]);
    const inbox = tgt.folders.get('INBOX')?.messages ?? [];
    const m0 = inbox.find((m) => m.content.toString() === mime(0));
    expect(m0?.flags.sort()).toEqual(['&ANw-berf&AOQ-llig', 'Rot', '\\Flagged', '\\Seen'].sort());
    expect(m0?.internalDate.toISOString()).toBe('2024-01-01T10:00:00.000Z');
    expect(inbox.find((m) => m.content.toString() === mime(2))?.flags).toEqual(['\\Seen']);
    // Calendar: the weekly meeting keeps 10:00 Berlin across the DST change, one moved, one cancelled.
    const ics = folders.get('INBOX.Kalender') ?? [];
    expect(ics).toHaveLength(3);
    expect(occurrences(ics, seeded.meeting.fields.get('UID')?.replace(/<[^>]+>/g, '') ?? '')).toEqual([
      { start: '2024-03-18T09:00:00.000Z', summary: 'Wochenbesprechung' },
      { start: '2024-03-25T09:00:00.000Z', summary: 'Wochenbesprechung' },
      { start: '2024-04-02T12:00:00.000Z', summary: 'Wochenbesprechung (verschoben)' },
      { start: '2024-04-15T08:00:00.000Z', summary: 'Wochenbesprechung' },
      { start: '2024-04-22T08:00:00.000Z', summary: 'Wochenbesprechung' },
    ]);
    const allDay = new ICAL.Component(ICAL.parse(ics.find((t) => t.includes('allday-1')) as string)).getFirstSubcomponent('vevent');
    expect(allDay?.getFirstPropertyValue('dtstart')?.toString()).toBe('2024-06-07');
    expect(allDay?.getFirstPropertyValue('dtend')?.toString()).toBe('2024-06-08');
    // Contacts and the distribution list, as vCard 3.0 that parses back.
    const cards = (folders.get('INBOX.Kontakte') ?? []).map((t) => new ICAL.Component(ICAL.parse(t)));
    const joerg = cards.find((c) => c.getFirstPropertyValue('fn') === 'Jörg Müller');
    expect(joerg?.getFirstPropertyValue('version')).toBe('3.0');
    expect(joerg?.getAllProperties('email').map((p) => p.getFirstValue())).toEqual(['joerg@example.de', 'j.mueller@home.example']);
    expect(joerg?.getFirstPropertyValue('org')).toEqual(['ACME GmbH', 'F&E']);
    expect(String(joerg?.getFirstPropertyValue('bday'))).toMatch(/^1980-02-29/);
    expect(String(joerg?.getFirstPropertyValue('photo'))).toBe(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 74, 70, 73, 70]).toString('base64'));
    const team = cards.find((c) => c.getFirstPropertyValue('fn') === 'Team');
    expect(team?.getAllProperties('x-addressbookserver-member').map((p) => p.getFirstValue())).toEqual(['mailto:ann@example.com', 'mailto:bob@example.org']);
    // Tasks as VTODO.
    const todos = (folders.get('INBOX.Aufgaben') ?? []).map((t) => new ICAL.Component(ICAL.parse(t)).getFirstSubcomponent('vtodo') as ICAL.Component);
    const report = todos.find((t) => t.getFirstPropertyValue('summary') === 'Bericht schreiben');
    expect(report?.getFirstPropertyValue('status')).toBe('IN-PROCESS');
    expect(report?.getFirstPropertyValue('due')?.toString()).toBe('2024-05-10');
    expect(report?.getFirstPropertyValue('priority')).toBe(1);
    // The malformed items are recorded with their reasons.
    const problems = (await store.problems()).map((p) => p.reason).sort();
    expect(problems).toEqual([
      expect.stringMatching(/^cannot convert: .*birthday|invalid Birthday/),
      expect.stringMatching(/invalid Start "not-a-date"/),
      expect.stringMatching(/ErrorMimeContentConversionFailed/),
      expect.stringMatching(/no MimeContent/),
    ].sort((a, b) => String(a).localeCompare(String(b))));
    // Nothing changed: nothing copied, one SyncFolderItems per folder.
    const before = sim.requests.length;
    const r2 = await run(src, tgt);
    expect(r2.copied).toBe(0);
    expect(sim.requests.slice(before).filter((q) => q.operation === 'SyncFolderItems')).toHaveLength(folders.size);
    await src.close();
  });
});
