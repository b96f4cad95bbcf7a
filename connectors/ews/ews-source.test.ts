/**
 * The EWS source against the EWS simulator (msw, in-process) through the engine into the
 * in-memory target: mail in several folders, the DST meeting, contacts, tasks; a delta after
 * changes; throttling and dropped connections; impersonation; OAuth2.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ICAL from 'ical.js';
import { setupServer } from 'msw/node';
import pino from 'pino';
import { contentHash } from '../../mappings/content-hash.js';
import type { SecretRef } from '../../src/config-blocks/secrets.js';
import { runJob, type JobOptions } from '../../src/engine/job.js';
import { SqliteStateStore } from '../../src/state/sqlite.js';
import { MemoryTarget } from '../../test/support/memory-connectors.js';
import { createSource } from '../registry.js';
import type { EwsAuth, EwsEndpoint } from './client.js';
import { categoriesXml, flagXml, addMessage, addTask } from './sim/items.js';
import { seedMailbox, mime } from './sim/seed.js';
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
      'INBOX', 'INBOX.Archive', 'INBOX.Drafts', 'INBOX.Projekte', 'INBOX.Projekte.Q3', 'INBOX.Sent', 'INBOX.Spam', 'INBOX.Trash',
      'addressbook:Kontakte', 'calendar:Kalender', 'tasks:Aufgaben',
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
    const ics = folders.get('calendar:Kalender') ?? [];
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
    const cards = (folders.get('addressbook:Kontakte') ?? []).map((t) => new ICAL.Component(ICAL.parse(t)));
    const joerg = cards.find((c) => c.getFirstPropertyValue('fn') === 'Jörg Müller');
    expect(joerg?.getFirstPropertyValue('version')).toBe('3.0');
    expect(joerg?.getAllProperties('email').map((p) => p.getFirstValue())).toEqual(['joerg@example.de', 'j.mueller@home.example']);
    expect(joerg?.getFirstPropertyValue('org')).toEqual(['ACME GmbH', 'F&E']);
    expect(String(joerg?.getFirstPropertyValue('bday'))).toMatch(/^1980-02-29/);
    expect(String(joerg?.getFirstPropertyValue('photo'))).toBe(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 74, 70, 73, 70]).toString('base64'));
    const team = cards.find((c) => c.getFirstPropertyValue('fn') === 'Team');
    expect(team?.getAllProperties('x-addressbookserver-member').map((p) => p.getFirstValue())).toEqual(['mailto:ann@example.com', 'mailto:bob@example.org']);
    // Tasks as VTODO.
    const todos = (folders.get('tasks:Aufgaben') ?? []).map((t) => new ICAL.Component(ICAL.parse(t)).getFirstSubcomponent('vtodo') as ICAL.Component);
    const report = todos.find((t) => t.getFirstPropertyValue('summary') === 'Bericht schreiben');
    expect(report?.getFirstPropertyValue('status')).toBe('IN-PROCESS');
    expect(report?.getFirstPropertyValue('due')?.toString()).toBe('2024-05-10');
    expect(report?.getFirstPropertyValue('priority')).toBe(1);
    // The malformed items are recorded with their reasons.
    // Each names the item by its whole ItemId (ids of one mailbox share a long prefix: a shortened one names nothing).
    const problems = (await store.problems()).map((p) => p.reason);
    expect(problems).toHaveLength(4);
    for (const re of [/invalid Birthday/, /invalid Start "not-a-date"/, /ErrorMimeContentConversionFailed/, /no MimeContent/]) {
      expect(problems.filter((p) => re.test(p))).toHaveLength(1);
    }
    const ids = new Set([...sim.store.mailbox(ALICE)!.items.keys()]);
    for (const p of problems) expect(ids.has(/EWS item ([A-Za-z0-9+/=_-]+)/.exec(p)?.[1] ?? '')).toBe(true);
    // Nothing changed: nothing copied, one SyncFolderItems per folder.
    const before = sim.requests.length;
    const r2 = await run(src, tgt);
    expect(r2.copied).toBe(0);
    expect(sim.requests.slice(before).filter((q) => q.operation === 'SyncFolderItems' && !q.busy)).toHaveLength(folders.size);
    await src.close();
  });

  test('after changes in Exchange, the delta moves only those: new mail, read flag, a changed event, a new task, deletions mirrored', async () => {
    const seeded = seedMailbox(sim, ALICE);
    const src = new EwsSource(endpoint(), log, 3);
    const tgt = new MemoryTarget();
    const mirror = { sync: { flags: true, deletions: 'mirror' as const } };
    await run(src, tgt, mirror);
    const snapshot = byFolder(tgt);
    const s = sim.store;
    addMessage(s, ALICE, seeded.folders.inbox, { mime: mime(50), received: '2024-02-01T09:00:00Z' });
    const unread = seeded.messages.find((m) => m.fields.get('IsRead')?.includes('false') && m.folderId === seeded.folders.q3) as typeof seeded.messages[0];
    s.updateItem(ALICE, unread.id, { IsRead: '<t:IsRead>true</t:IsRead>' }, { readOnly: true });
    s.updateItem(ALICE, seeded.messages[0]?.id as string, { Flag: flagXml(false), Categories: categoriesXml(['Grün']) });
    s.updateItem(ALICE, seeded.meeting.id, { Location: '<t:Location>Raum 2</t:Location>' });
    s.deleteItem(ALICE, seeded.contacts[1]?.id as string);
    const sentMessage = seeded.messages.find((m) => m.folderId === seeded.folders.sent) as typeof seeded.messages[0];
    s.deleteItem(ALICE, sentMessage.id);
    addTask(s, ALICE, seeded.folders.tasks, { subject: 'Neu', status: 'NotStarted' });
    const before = sim.requests.length;
    const r = await run(src, tgt, mirror);
    expect(r.failed).toBe(0);
    // New mail, the changed meeting (a new version), the new task.
    expect(r.copied).toBe(3);
    // Two mail flag changes; the meeting's old version, the deleted contact and the deleted sent message removed.
    expect(r.flagsUpdated).toBe(2);
    expect(r.deleted).toBe(3);
    // Mail folders: the deltas come with SyncFolderItems (O(changes)); only the three groupware folders are still listed whole,
    // and the calendar once more to count it (its TotalCount includes changed occurrences that go with their master).
    const delta = sim.requests.slice(before).filter((q) => !q.busy);
    expect(delta.filter((q) => q.operation === 'FindItem')).toHaveLength(4);
    const after = byFolder(tgt);
    expect(after.get('INBOX')?.length).toBe((snapshot.get('INBOX')?.length ?? 0) + 1);
    expect(after.get('INBOX.Sent')?.length).toBe((snapshot.get('INBOX.Sent')?.length ?? 0) - 1);
    expect(after.get('addressbook:Kontakte')?.length).toBe(2);
    const meetings = (after.get('calendar:Kalender') ?? []).filter((t) => t.includes('Wochenbesprechung'));
    expect(meetings).toHaveLength(1);
    expect(meetings[0]).toContain('LOCATION:Raum 2');
    const inbox = tgt.folders.get('INBOX')?.messages ?? [];
    expect(inbox.find((m) => m.content.toString() === mime(0))?.flags.sort()).toEqual(['Gr&APw-n', '\\Seen']);
    const q3 = tgt.folders.get('INBOX.Projekte.Q3')?.messages ?? [];
    expect(q3.find((m) => m.content.toString() === unread.mime?.toString())?.flags).toContain('\\Seen');
    // And again: nothing.
    const again = await run(src, tgt, mirror);
    expect([again.copied, again.flagsUpdated, again.deleted]).toEqual([0, 0, 0]);
    await src.close();
  });

  test('ErrorServerBusy (BackOffMilliseconds honoured), HTTP 503/429 and dropped connections lose and duplicate nothing', async () => {
    seedMailbox(sim, ALICE, { messages: 24 });
    const clean = new MemoryTarget();
    const ref = new EwsSource(endpoint(), log, 3);
    await runJob({ store, sources: ref, targets: clean, log }, job(), options());
    await ref.close();
    await store.close();
    store = new SqliteStateStore(join(dir, 'state2.sqlite'));
    await store.migrate();
    let busy = 0;
    sim.fault = ({ n }) => {
      if (n % 5 === 0) { busy++; return { type: 'busy', backOffMs: 30 }; }
      if (n % 7 === 0) return { type: 'http', status: n % 2 ? 503 : 429, retryAfterSeconds: n % 3 ? undefined : 0 };
      if (n % 4 === 0) return { type: 'reset' };
      return undefined;
    };
    const src = new EwsSource(endpoint(), log, 3);
    const waits: { waitMs: number; busy: boolean; reason: string }[] = [];
    src.onRetry = (i) => waits.push(i);
    const tgt = new MemoryTarget();
    const r = await run(src, tgt);
    expect(r.failedMailboxes).toBe(0);
    expect(r.failed).toBe(0);
    expect(busy).toBeGreaterThan(3);
    // Each ErrorServerBusy made its request wait (at least) its BackOffMilliseconds.
    // The simulator also answers some requests with ErrorServerBusy inside the response message (its unkind default).
    const injected = sim.requests.filter((q) => q.busy).length;
    const busyWaits = waits.filter((w) => w.busy);
    expect(busyWaits.length).toBe(busy + injected);
    expect(busyWaits.filter((w) => w.waitMs >= 30).length).toBeGreaterThanOrEqual(busy);
    expect(waits.some((w) => /HTTP 503|HTTP 429/.test(w.reason))).toBe(true);
    expect(waits.some((w) => /failed: /.test(w.reason))).toBe(true);
    const hashes = (t: MemoryTarget) => [...t.folders.entries()].flatMap(([k, f]) => f.messages.map((m) => `${k} ${contentHash(m.content)}`)).sort();
    expect(hashes(tgt)).toEqual(hashes(clean));
    await src.close();
  });

  test('a service account without the impersonation right fails the mailbox with ErrorImpersonateUserDenied', async () => {
    seedMailbox(sim, ALICE, { messages: 1 });
    sim.addUser('helpdesk', 'pw', { canImpersonate: false });
    const src = new EwsSource(endpoint({}, { mode: 'basic', username: 'helpdesk', password: 'pw' }), log, 2);
    const r = await run(src, new MemoryTarget(), { retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 } });
    expect(r.failedMailboxes).toBe(1);
    expect(r.mailboxes[0]?.error).toMatch(/ErrorImpersonateUserDenied/);
    const wrong = new EwsSource(endpoint({}, { mode: 'basic', username: 'svc-migrate', password: 'nope' }), log, 2);
    const r2 = await run(wrong, new MemoryTarget(), { retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 } });
    expect(r2.mailboxes[0]?.error).toMatch(/HTTP 401/);
  });

  test('OAuth2 client credentials (Exchange Online) with impersonation, and request caps per mailbox and overall', async () => {
    seedMailbox(sim, ALICE, { messages: 12 });
    seedMailbox(sim, 'bob@example.org', { messages: 12, locale: 'en' });
    sim.addApp('app-id', 'app-secret');
    sim.latencyMs = 3;
    const auth: EwsAuth = { mode: 'oauth2', tokenUrl: sim.tokenUrl, clientId: 'app-id', clientSecret: 'app-secret', scope: 'https://outlook.office365.com/.default' };
    const src = new EwsSource(endpoint({ maxConcurrent: 3 }, auth), log, 2);
    const r = await runJob({ store, sources: src, targets: new MemoryTarget(), log }, [...job(ALICE), ...job('bob@example.org')], options({ tasks: 8, writersPerTask: 4 }));
    expect(r.failedMailboxes).toBe(0);
    expect(r.copied).toBe(2 * (12 + 3 + 3 + 2));
    expect(sim.maxInFlight).toBeLessThanOrEqual(3);
    expect(sim.maxInFlight).toBeGreaterThan(1);
    expect(Math.max(...sim.maxInFlightPerMailbox.values())).toBeLessThanOrEqual(2);
    expect(new Set(sim.requests.map((q) => q.principal))).toEqual(new Set(['app-id']));
    const bad = new EwsSource(endpoint({}, { ...auth, clientSecret: 'wrong' }), log, 2);
    const r2 = await run(bad, new MemoryTarget(), { retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 } });
    expect(r2.mailboxes[0]?.error).toMatch(/invalid_client/);
    await src.close();
  });

  test('over a real HTTPS endpoint, built from the config by the registry: the caFile is trusted, an unknown CA is refused', async () => {
    seedMailbox(sim, ALICE, { messages: 3 });
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    writeFileSync(join(dir, 'pw'), 'S3cret!\n');
    server.close(); // real sockets from here
    const http = await sim.listen({ tls: { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') } });
    try {
      const cfg = {
        type: 'ews' as const, url: http.url, auth: { mode: 'master' as const, method: 'basic' as const, masterUser: 'svc-migrate', masterPassword: 'file:pw' as SecretRef },
        impersonation: true, exchangeVersion: 'Exchange2013_SP1', allowInsecure: false, tlsVerify: true, caFile: cert, maxConnections: 2,
        maxBackoffMs: 100, timeoutSeconds: 10, vcardVersion: '4.0' as const,
      };
      const ctx = { baseDir: dir, env: {}, log, perMailbox: { source: 2, target: 2 }, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 } };
      const src = await createSource(cfg, ctx);
      const tgt = new MemoryTarget();
      const r = await runJob({ store, sources: src, targets: tgt, log }, job(), options({ retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 } }));
      expect(r.failedMailboxes).toBe(0);
      expect(r.copied).toBe(3 + 3 + 3 + 2);
      expect(tgt.folders.get('addressbook:Kontakte')?.messages.every((m) => m.content.toString().includes('VERSION:4.0'))).toBe(true);
      await src.close();
      const untrusted = await createSource({ ...cfg, caFile: undefined }, ctx);
      const r2 = await runJob({ store, sources: untrusted, targets: new MemoryTarget(), log }, job(), options({ retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } }));
      expect(r2.mailboxes[0]?.error).toMatch(/self.signed certificate/);
      await untrusted.close();
    } finally {
      await http.close();
      server.listen({ onUnhandledRequest: 'error' });
    }
  });

  test('NTLMv2 with a DOMAIN\\user service account: in-process, and over HTTP one handshake per connection', async () => {
    seedMailbox(sim, ALICE, { messages: 6 });
    sim.addUser('svc-ntlm', 'N7lm!pw', { canImpersonate: true });
    const ntlm: EwsAuth = { mode: 'ntlm', username: 'CONTOSO\\svc-ntlm', password: 'N7lm!pw' };
    const src = new EwsSource(endpoint({ maxConcurrent: 2 }, ntlm), log, 2);
    const r = await run(src, new MemoryTarget());
    expect(r.mailboxes[0]?.error).toBeUndefined();
    expect(r.copied).toBe(6 + 3 + 3 + 2);
    expect(sim.ntlmLogins).toBeGreaterThan(0);
    await src.close();
    const wrong = new EwsSource(endpoint({}, { ...ntlm, password: 'nope' }), log, 2);
    const r2 = await run(wrong, new MemoryTarget(), { retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } });
    expect(r2.mailboxes[0]?.error).toMatch(/HTTP 401/);
    await wrong.close();

    server.close(); // real sockets from here
    const http = await sim.listen();
    try {
      await store.close();
      store = new SqliteStateStore(join(dir, 'ntlm.sqlite'));
      await store.migrate();
      const logins = sim.ntlmLogins;
      const before = sim.requests.filter((q) => q.status === 200).length;
      const overHttp = new EwsSource(endpoint({ url: http.url, maxConcurrent: 2 }, ntlm), log, 2);
      const r3 = await run(overHttp, new MemoryTarget());
      expect(r3.copied).toBe(6 + 3 + 3 + 2);
      const answered = sim.requests.filter((q) => q.status === 200).length - before;
      expect(answered).toBeGreaterThan(20);
      expect(sim.ntlmLogins - logins).toBeLessThanOrEqual(2);
      await overHttp.close();
    } finally {
      await http.close();
      server.listen({ onUnhandledRequest: 'error' });
    }
  });

  test('an expired SyncState (ErrorInvalidSyncStateData) restarts the listing: nothing is copied twice, new items still arrive', async () => {
    const seeded = seedMailbox(sim, ALICE, { messages: 5 });
    const src = new EwsSource(endpoint(), log, 3);
    const tgt = new MemoryTarget();
    await run(src, tgt);
    const count = () => [...tgt.folders.values()].reduce((n, f) => n + f.messages.length, 0);
    const before = count();
    // The server forgets every SyncState it issued (e.g. a mailbox move).
    const mbx = sim.store.mailbox(ALICE);
    if (mbx) mbx.generation = 'moved';
    addMessage(sim.store, ALICE, seeded.folders.inbox, { mime: mime(77) });
    const r = await run(src, tgt);
    expect(r.failed).toBe(0);
    expect(r.copied).toBe(1);
    expect(count()).toBe(before + 1);
    await src.close();
  });
});
