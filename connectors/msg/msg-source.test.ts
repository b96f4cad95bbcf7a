/**
 * The .msg source driven by the engine into the in-memory target: every .msg fixture (and a file
 * that is not one) in a mailbox tree; each readable file copied once, the bad one failing alone
 * with its name, and a re-run copying nothing. Needs the shared fixtures (UMS_FIXTURES_DIR).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { runJob, type JobOptions } from '../../src/engine/job.js';
import { SqliteStateStore } from '../../src/state/sqlite.js';
import { MemoryTarget } from '../../test/support/memory-connectors.js';
import { fixturesDir } from '../pst/readpst-oracle.js';
import { MsgSource } from './index.js';

const log = pino({ level: 'silent' });
const fixtures = join(fixturesDir(), 'pst', 'msg');
const options: JobOptions = {
  filters: { maxMessageSize: 50 * 1024 * 1024 },
  folders: { include: ['**'], exclude: [], rename: [], specialUse: { sent: 'Sent', trash: 'Trash', junk: 'Spam', drafts: 'Drafts', archive: 'Archive' }, invalidCharReplacement: '_' },
  batchSize: 3, writersPerTask: 2, tasks: 2, mailboxes: 1, byteBudget: 8 * 1024 * 1024,
  retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
};

describe('.msg source through the engine', () => {
  if (!existsSync(fixtures)) {
    test('prerequisites', () => { throw new Error(`.msg fixtures not found at ${fixtures} (set UMS_FIXTURES_DIR)`); });
    return;
  }
  let dir: string;
  let store: SqliteStateStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ums-msg-'));
    const names = readdirSync(fixtures).filter((n) => n.endsWith('.msg')).sort();
    mkdirSync(join(dir, 'alice', 'Projekte', 'Termine'), { recursive: true });
    names.forEach((n, i) => copyFileSync(join(fixtures, n), join(dir, 'alice', ...(i % 2 ? ['Projekte', 'Termine'] : []), n)));
    writeFileSync(join(dir, 'alice', 'broken.msg'), 'this is not an OLE compound file');
    store = new SqliteStateStore(join(dir, 'state.sqlite'));
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('every readable file once, the broken one failing alone by name; a re-run copies nothing', async () => {
    const total = readdirSync(fixtures).filter((n) => n.endsWith('.msg')).length;
    const tgt = new MemoryTarget();
    const source = new MsgSource({ directory: dir, folders: '{login}' }, log);
    const job = [{ source: { login: 'alice' }, target: { login: 'alice' } }];
    const r1 = await runJob({ store, sources: source, targets: tgt, log }, job, options);
    expect(r1.copied).toBe(total);
    expect(r1.failed).toBe(1);
    expect([...tgt.folders.keys()].sort()).toEqual(['INBOX', 'INBOX.Projekte.Termine']);
    const failed = await store.failedItems((await store.mailboxId({ source: 'alice', target: 'alice' })), '.', 'msg-1');
    expect(failed).toEqual(['broken.msg']);
    const r2 = await runJob({ store, sources: source, targets: tgt, log }, job, options);
    expect(r2.copied).toBe(0);
    expect([...tgt.folders.values()].flatMap((f) => f.messages)).toHaveLength(total);
  });
  test('a folder of only appointments or only contacts is a calendar or address book: skipped with the hint by default, iCalendar/vCard with groupware: true; a mixed folder stays mail', async () => {
    const root = join(dir, 'bob');
    mkdirSync(join(root, 'Kalender'), { recursive: true });
    mkdirSync(join(root, 'Kontakte'), { recursive: true });
    for (const n of ['A_weekly_1.msg', 'Appointment_sample_EST.msg', 'Lanch_time_every_friday_in_2023_chgs2.msg']) copyFileSync(join(fixtures, n), join(root, 'Kalender', n));
    for (const n of ['contactUnicode.msg', 'contactAnsi.msg']) copyFileSync(join(fixtures, n), join(root, 'Kontakte', n));
    copyFileSync(join(fixtures, 'voteItems.msg'), join(root, 'voteItems.msg'));
    copyFileSync(join(fixtures, 'A_daily_1.msg'), join(root, 'A_daily_1.msg'));
    const job = [{ source: { login: 'bob' }, target: { login: 'bob' } }];
    const off = await new MsgSource({ directory: dir, folders: '{login}' }, log).openMailbox({ login: 'bob' });
    expect((await off.containers()).map((c) => [c.path.join('/'), c.kind, c.skip ?? ''])).toEqual([
      ['INBOX', 'mail', ''],
      ['Kalender', 'event', expect.stringMatching(/^a folder of Outlook appointments: not migrated; set "groupware: true" in the msg source config/)],
      ['Kontakte', 'contact', expect.stringMatching(/^a folder of Outlook contacts: not migrated/)],
    ]);
    const tgt = new MemoryTarget();
    const r = await runJob({ store, sources: new MsgSource({ directory: dir, folders: '{login}', groupware: true }, log), targets: tgt, log }, job, options);
    expect([r.copied, r.failed]).toEqual([2 + 3 + 2, 0]);
    const text = (ref: string) => (tgt.folders.get(ref)?.messages ?? []).map((m) => m.content.toString('utf8'));
    expect(text('calendar:Kalender')).toHaveLength(3);
    expect(text('calendar:Kalender').every((t) => t.startsWith('BEGIN:VCALENDAR') && /^UID:/m.test(t))).toBe(true);
    expect(text('addressbook:Kontakte').every((t) => t.startsWith('BEGIN:VCARD'))).toBe(true);
    expect(text('INBOX')).toHaveLength(2); // the appointment among mail stays a message, as before
    expect(text('INBOX').some((t) => t.startsWith('BEGIN:'))).toBe(false);
  });
});
