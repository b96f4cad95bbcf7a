/**
 * EWS (the msw simulator, in-process) → engine → mail into the in-memory IMAP-like target,
 * calendars, contacts and tasks into both lab DAV servers (Radicale, and the strict Cyrus httpd:
 * test/lab/dav-servers.ts), every PUT checked with the CalDAV/CardDAV profile validator. Both accept
 * every object the converters make (VTIMEZONE, RRULE/EXDATE/RECURRENCE-ID, all-day, vCard 3.0
 * with a photo, a group); the DST meeting reads back with its local times; a delta after changes
 * in Exchange is one If-Match PUT for the changed meeting, one new task, one DELETE for the deleted
 * contact; the superseded meeting version is left alone; a re-run sends no PUT.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ICAL from 'ical.js';
import { setupServer } from 'msw/node';
import pino from 'pino';
import { runJob, type JobOptions } from '../src/engine/job.js';
import { SqliteStateStore } from '../src/state/sqlite.js';
import { DAV_SERVERS } from '../test/lab/dav-servers.js';
import { observePuts, putViolations } from '../test/support/caldav-profile.js';
import { MemoryTarget } from '../test/support/memory-connectors.js';
import { DavTarget } from './dav/index.js';
import { resourceName } from './dav/objects.js';
import { addTask } from './ews/sim/items.js';
import { seedMailbox } from './ews/sim/seed.js';
import { EwsSim } from './ews/sim/server.js';
import { EwsSource } from './ews/source.js';
import { SplitTarget } from './split-target.js';

const log = pino({ level: 'silent' });
const ALICE = 'alice@example.org';
const options = (over: Partial<JobOptions> = {}): JobOptions => ({
  filters: { maxMessageSize: 10 * 1024 * 1024 },
  folders: { include: ['**'], exclude: [], rename: [], specialUse: { sent: 'Sent', trash: 'Trash', junk: 'Spam', drafts: 'Drafts', archive: 'Archive' }, invalidCharReplacement: '_' },
  batchSize: 4, writersPerTask: 2, tasks: 3, mailboxes: 1, byteBudget: 8 * 1024 * 1024,
  retry: { attempts: 6, baseDelayMs: 1, maxDelayMs: 10 },
  sync: { flags: true, deletions: 'mirror' },
  ...over,
});

// msw intercepts node's http: requests to the DAV servers pass through untouched.
const server = setupServer();
let dir: string;
let store: SqliteStateStore;
beforeAll(async () => {
  server.listen({ onUnhandledRequest: 'bypass' });
}, 120_000);
afterAll(() => server.close());
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ews-dav-'));
  store = new SqliteStateStore(join(dir, 'state.sqlite'));
  await store.migrate();
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Occurrence starts (UTC) and summaries of the series in one .ics object. */
function occurrences(text: string): { start: string; summary: string }[] {
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

test.each(DAV_SERVERS)('EWS mailbox → IMAP (mail) + $name (calendar, contacts, tasks); delta after changes; re-run writes nothing', async (entry) => {
  const lab = await entry.start();
  const sim = new EwsSim();
  sim.addUser('svc-migrate', 'S3cret!', { canImpersonate: true });
  server.resetHandlers(...sim.handlers());
  const seeded = seedMailbox(sim, ALICE);
  const src = new EwsSource({
    url: sim.url, auth: { mode: 'basic', username: 'svc-migrate', password: 'S3cret!' }, impersonation: true, tlsVerify: true, version: 'Exchange2013_SP1',
    maxConcurrent: 4, retry: { attempts: 8, baseDelayMs: 1, maxDelayMs: 10 }, maxBackoffMs: 50, timeoutMs: 10_000,
  }, log, 3);
  const user = await lab.createUser('ews');
  const mail = new MemoryTarget();
  const dav = new DavTarget({ url: lab.url, allowInsecure: true, tlsVerify: true, maxConnections: 4 }, log);
  const sent = observePuts(dav.http);
  const targets = new SplitTarget(mail, dav);
  const job = [{ source: { login: ALICE }, target: user }];
  const puts = () => [dav.http.sent.get('PUT If-None-Match') ?? 0, dav.http.sent.get('PUT If-Match') ?? 0, dav.http.sent.get('DELETE') ?? 0];
  try {
    const r1 = await runJob({ store, sources: src, targets, log }, job, options());
    expect(r1.mailboxes[0]?.error).toBeUndefined();
    expect(await store.problems()).toEqual([]);
    expect(r1.copied).toBe(8 + 3 + 3 + 2);
    // Mail only in IMAP; the groupware folders are collections named after them.
    expect([...mail.folders.keys()].some((k) => /Kalender|Kontakte|Aufgaben/.test(k))).toBe(false);
    const mb = await dav.openMailbox(user);
    expect((await mb.list()).sort()).toEqual([...lab.defaults, 'addressbook:Kontakte', 'calendar:Kalender', 'tasks:Aufgaben'].sort());
    const subjects = async (ref: string) => (await mb.inventory(ref, { subjects: true })).map((i) => i.subject).sort();
    expect(await subjects('addressbook:Kontakte')).toEqual(['Ann Lee', 'Jörg Müller', 'Team']);
    expect(await subjects('tasks:Aufgaben')).toEqual(['Bericht schreiben', 'Erledigt']);
    expect(await subjects('calendar:Kalender')).toHaveLength(3);
    expect(puts()).toEqual([8, 0, 0]);

    // The meeting as the server serves it: 10:00 Berlin across the DST change, one moved, one cancelled.
    const uid = seeded.meeting.fields.get('UID')?.replace(/<[^>]+>/g, '') ?? '';
    const calPath = (await mb.ensure('calendar:Kalender')).epoch;
    const get = async () => (await dav.http.request({ method: 'GET', url: new URL(calPath + resourceName(uid, 'VEVENT'), lab.url) }, user)).body;
    expect(occurrences(await get())).toEqual([
      { start: '2024-03-18T09:00:00.000Z', summary: 'Wochenbesprechung' },
      { start: '2024-03-25T09:00:00.000Z', summary: 'Wochenbesprechung' },
      { start: '2024-04-02T12:00:00.000Z', summary: 'Wochenbesprechung (verschoben)' },
      { start: '2024-04-15T08:00:00.000Z', summary: 'Wochenbesprechung' },
      { start: '2024-04-22T08:00:00.000Z', summary: 'Wochenbesprechung' },
    ]);

    // Changes in Exchange: the meeting moves room, a contact is deleted, a task is added.
    sim.store.updateItem(ALICE, seeded.meeting.id, { Location: '<t:Location>Raum 2</t:Location>' });
    sim.store.deleteItem(ALICE, seeded.contacts[1]?.id as string);
    addTask(sim.store, ALICE, seeded.folders.tasks, { subject: 'Neu', status: 'NotStarted' });
    const r2 = await runJob({ store, sources: src, targets, log }, job, options());
    expect(r2.failed).toBe(0);
    expect(r2.copied).toBe(2);
    expect(r2.deleted).toBe(2); // the deleted contact, and the meeting's superseded version (its DELETE If-Match finds a newer one)
    expect(puts()).toEqual([9, 1, 2]);
    expect(await get()).toContain('LOCATION:Raum 2');
    expect(occurrences(await get())).toHaveLength(5);
    expect(await subjects('addressbook:Kontakte')).toHaveLength(2);
    expect(await subjects('tasks:Aufgaben')).toEqual(['Bericht schreiben', 'Erledigt', 'Neu']);

    const r3 = await runJob({ store, sources: src, targets, log }, job, options());
    expect([r3.copied, r3.deleted, r3.failed]).toEqual([0, 0, 0]);
    expect(puts()).toEqual([9, 1, 2]);
    expect(putViolations(sent)).toEqual([]);
    await mb.close();
  } finally {
    await src.close();
    await targets.close();
  }
});
