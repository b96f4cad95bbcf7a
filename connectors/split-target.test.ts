/**
 * One job moves mail to the (in-memory) IMAP-like target and calendars, contacts and tasks to a
 * real Radicale (test/lab/radicale.sh), through the engine and SplitTarget. Re-runs write
 * nothing; a changed event is exactly one PUT with If-Match; a mirrored deletion of the
 * superseded version leaves the new one alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { runJob, type JobOptions } from '../src/engine/job.js';
import { SqliteStateStore } from '../src/state/sqlite.js';
import { createDavUser, startRadicale } from '../test/lab/radicale.js';
import { eventIcs, todoIcs, vcard } from '../test/support/groupware-data.js';
import { MemorySource, MemoryTarget } from '../test/support/memory-connectors.js';
import { DavTarget } from './dav/index.js';
import { SplitTarget } from './split-target.js';

const log = pino({ level: 'silent' });
const options = (over: Partial<JobOptions> = {}): JobOptions => ({
  filters: { maxMessageSize: 1024 * 1024 },
  folders: { include: ['**'], exclude: [], rename: [], specialUse: { sent: 'Sent', trash: 'Trash', junk: 'Spam', drafts: 'Drafts', archive: 'Archive' }, invalidCharReplacement: '_' },
  batchSize: 3, writersPerTask: 2, tasks: 4, mailboxes: 1, byteBudget: 1024 * 1024,
  retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
  ...over,
});

let dir: string;
let store: SqliteStateStore;
beforeAll(async () => {
  await startRadicale();
}, 120_000);
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ums-dav-engine-'));
  store = new SqliteStateStore(join(dir, 'state.sqlite'));
  await store.migrate();
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('mail to IMAP, groupware to DAV in one job; re-run writes nothing; a changed event is one PUT with If-Match', async () => {
  const lab = await startRadicale();
  const user = await createDavUser('engine');
  const src = new MemorySource();
  for (let i = 0; i < 3; i++) src.add(['INBOX'], `Message-ID: <m${i}@example.org>\r\nSubject: ${i}\r\n\r\nbody ${i}\r\n`, { messageId: `<m${i}@example.org>` });
  for (let i = 0; i < 4; i++) src.add(['Kalender'], eventIcs(`ev-${i}@example.org`, `Meeting ${i}`), { kind: 'event', messageId: `ev-${i}@example.org` });
  src.add(['Kalender'], 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY:broken\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n', { kind: 'event' });
  for (let i = 0; i < 3; i++) src.add(['Kontakte'], vcard(`c-${i}`, `Person Number${i}`), { kind: 'contact', messageId: `c-${i}` });
  for (let i = 0; i < 2; i++) src.add(['Aufgaben'], todoIcs(`t-${i}`, `Task ${i}`), { kind: 'task', messageId: `t-${i}` });

  const mail = new MemoryTarget();
  const dav = new DavTarget({ url: lab.url, allowInsecure: true, tlsVerify: true, maxConnections: 4 }, log);
  const targets = new SplitTarget(mail, dav);
  const job = [{ source: { login: 'alice' }, target: user }];
  const puts = () => ({ all: dav.http.sent.get('PUT') ?? 0, ifMatch: dav.http.sent.get('PUT If-Match') ?? 0 });
  try {
    const r1 = await runJob({ store, sources: src, targets, log }, job, options());
    expect(r1.failedMailboxes).toBe(0);
    expect(r1.copied).toBe(12);
    expect(r1.failed).toBe(1);
    // Refused by the normalisation stage before any PUT, naming the object and the reason.
    expect((await store.problems()).map((p) => `${p.containerId} ${p.reason}`)).toEqual(['Kalender VEVENT #1 without UID (SUMMARY "broken"): VEVENT without DTSTART']);
    expect([...mail.folders.keys()]).toEqual(['INBOX']);
    expect(mail.folders.get('INBOX')?.messages).toHaveLength(3);
    const davMb = await dav.openMailbox(user);
    expect((await davMb.list()).sort()).toEqual(['addressbook:Kontakte', 'calendar:Kalender', 'tasks:Aufgaben']);
    const uids = async (ref: string) => (await davMb.inventory(ref, { subjects: true })).map((i) => `${i.messageId}=${i.subject}`).sort();
    expect(await uids('calendar:Kalender')).toEqual([0, 1, 2, 3].map((i) => `ev-${i}@example.org=Meeting ${i}`));
    expect(await uids('addressbook:Kontakte')).toEqual([0, 1, 2].map((i) => `c-${i}=Person Number${i}`));
    expect(await uids('tasks:Aufgaben')).toEqual(['t-0=Task 0', 't-1=Task 1']);
    expect(puts()).toEqual({ all: 9, ifMatch: 0 });

    // Nothing new: no PUT (the broken event is tried again and fails again before any request).
    const r2 = await runJob({ store, sources: src, targets, log }, job, options());
    expect(r2.copied).toBe(0);
    expect(r2.failed).toBe(1);
    expect(puts()).toEqual({ all: 9, ifMatch: 0 });

    // The source changes one event (like IMAP: the old item goes, a new one with the same UID comes).
    const cal = src.folders.get('Kalender')!;
    cal.messages = cal.messages.filter((m) => !m.content.toString().includes('UID:ev-2@example.org'));
    src.add(['Kalender'], eventIcs('ev-2@example.org', 'Meeting 2 (moved)', '2026-03-30T10:00:00'), { kind: 'event', messageId: 'ev-2@example.org' });
    const r3 = await runJob({ store, sources: src, targets, log }, job, options({ sync: { flags: true, deletions: 'mirror' } }));
    expect(r3.copied).toBe(1);
    expect(puts()).toEqual({ all: 10, ifMatch: 1 });
    // The superseded version's mirrored deletion (If-Match on its old etag) left the new one alone.
    expect(r3.deleted).toBe(1);
    expect(await uids('calendar:Kalender')).toEqual(['ev-0@example.org=Meeting 0', 'ev-1@example.org=Meeting 1', 'ev-2@example.org=Meeting 2 (moved)', 'ev-3@example.org=Meeting 3']);

    // A contact deleted in the source is deleted in the address book (mirror).
    const book = src.folders.get('Kontakte')!;
    book.messages = book.messages.filter((m) => !m.content.toString().includes('UID:c-1'));
    const r4 = await runJob({ store, sources: src, targets, log }, job, options({ sync: { flags: true, deletions: 'mirror' } }));
    expect(r4.deleted).toBe(1);
    expect(await uids('addressbook:Kontakte')).toEqual(['c-0=Person Number0', 'c-2=Person Number2']);
    expect(puts()).toEqual({ all: 10, ifMatch: 1 });
    await davMb.close();
  } finally {
    await targets.close();
  }
});

test('without a groupware target the collections are reported as not migrated, nothing lands in IMAP', async () => {
  const src = new MemorySource();
  src.add(['INBOX'], 'Subject: x\r\n\r\nx\r\n');
  src.add(['Kalender'], eventIcs('e1', 'x'), { kind: 'event' });
  // An IMAP-only target (the in-memory one otherwise takes every kind).
  const mail = Object.assign(new MemoryTarget(), { accepts: ['mail'] as const });
  const r = await runJob({ store, sources: src, targets: mail, log }, [{ source: { login: 'bob' }, target: { login: 'bob' } }], options());
  expect(r.copied).toBe(1);
  expect([...mail.folders.keys()]).toEqual(['INBOX']);
  expect(r.mailboxes[0]?.containers.map((c) => c.source)).toEqual(['INBOX']);
});
