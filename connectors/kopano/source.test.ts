import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { simpleParser } from 'mailparser';
import { MemoryTarget } from '../../test/support/memory-connectors.js';
import { SqliteStateStore } from '../../src/state/sqlite.js';
import { runJob, type JobOptions } from '../../src/engine/job.js';
import type { EngineEvent } from '../../src/engine/events.js';
import { KopanoBackupMailbox, KopanoBackupSource } from './index.js';
import { DB_LOAD, PYTHON, fixtureMissing, kopanoFixture, writeKopanoBackup, type GenFolder, prerequisiteMissing } from './test-support.js';

const log = pino({ level: 'silent' });
const options = (): JobOptions => ({
  filters: { maxMessageSize: 10 * 1024 * 1024 },
  folders: { include: ['**'], exclude: [], rename: [], specialUse: { sent: 'Sent', trash: 'Trash', junk: 'Spam', drafts: 'Drafts', archive: 'Archive' }, invalidCharReplacement: '_' },
  batchSize: 2, writersPerTask: 2, tasks: 2, mailboxes: 1, byteBudget: 4 * 1024 * 1024,
  retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
});
const job = (login: string) => [{ source: { login }, target: { login } }];

let dir: string;
let store: SqliteStateStore;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ums-kopano-'));
  store = new SqliteStateStore(join(dir, 'state.sqlite'));
  await store.migrate();
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const all = (t: MemoryTarget) => [...t.folders.values()].flatMap((f) => f.messages);

describe('kopano-backup source through the engine (fixture)', () => {
  const fixture = kopanoFixture();
  if (!fixture) {
    prerequisiteMissing(fixtureMissing());
    return;
  }
  interface ExpFolder { path: string; index: Record<string, Record<string, unknown>>; items: Record<string, unknown> }
  const expected = JSON.parse(readFileSync(join(fixture, 'expected.json'), 'utf8')) as { folders: ExpFolder[] };
  const live = expected.folders.filter((f) => !('folder' in f.index));
  const liveItems = live.flatMap((f) => Object.keys(f.items).filter((k) => !f.index[k]?.backup_deleted));

  it('lists the live folders as containers of the right kinds', async () => {
    const mb = await new KopanoBackupSource(fixture, log).openMailbox({ login: 'testuser' }) as KopanoBackupMailbox;
    const cs = await mb.containers();
    expect(cs.map((c) => [c.path.join('/'), c.kind]).sort()).toEqual([
      ['Calendar', 'event'], ['Contacts', 'contact'], ['Inbox', 'mail'], ['Inbox/Invoices 2020/2021', 'mail'], ['Sent Items', 'mail'], ['Tasks', 'task'],
    ]);
    expect(live.map((f) => f.path.replace('\\/', '/')).sort()).toEqual(cs.map((c) => c.path.join('/')).sort());
    expect(mb.skippedContainers()).toEqual([]);
    expect((await mb.verify()).ok).toBe(true);
  });

  it('copies every live item of expected.json once; a second run copies nothing', async () => {
    const tgt = new MemoryTarget();
    const r1 = await runJob({ store, sources: new KopanoBackupSource(fixture, log), targets: tgt, log }, job('testuser'), options());
    expect(r1.failed).toBe(0);
    expect(r1.copied).toBe(liveItems.length);
    expect(liveItems).toHaveLength(6);
    const subjects = await Promise.all(all(tgt).map(async (m) => {
      const text = m.content.toString('utf8');
      if (text.startsWith('BEGIN:VCALENDAR')) return /SUMMARY:(.*)\r\n/.exec(text)?.[1];
      if (text.startsWith('BEGIN:VCARD')) return /FN:(.*)\r\n/.exec(text)?.[1];
      return (await simpleParser(m.content)).subject;
    }));
    const expSubjects = live.flatMap((f) => Object.entries(f.index).filter(([, e]) => !e.backup_deleted).map(([, e]) => e.subject as string));
    expect(subjects.sort()).toEqual(expSubjects.sort());
    const r2 = await runJob({ store, sources: new KopanoBackupSource(fixture, log), targets: tgt, log }, job('testuser'), options());
    expect(r2.copied).toBe(0);
    expect(r2.failed).toBe(0);
    expect(all(tgt)).toHaveLength(liveItems.length);
  });

  it('reports flags from the MAPI properties, the same as the listed items carry', async () => {
    const mb = await new KopanoBackupSource(fixture, log).openMailbox({ login: 'testuser' });
    const inbox = (await mb.containers()).find((c) => c.path.join('/') === 'Inbox')!;
    const fc = await mb.flagChanges(inbox, null);
    const page = await mb.changes(inbox, null, 10);
    expect(fc.complete).toBe(true);
    // Byte totals are estimated from the stored items: the Inbox holds a 12 KiB attachment.
    const st = await mb.stats(inbox, { withBytes: true });
    expect(st.count).toBe(2);
    expect(st.bytes).toBeGreaterThan(12288);
    expect(fc.items).toEqual(page.items.map((i) => ({ id: i.id, flags: i.flags })));
    expect(fc.items.map((i) => i.flags)).toEqual([['\\Seen', '\\Answered'], ['\\Flagged']]);
    const cal = (await mb.containers()).find((c) => c.kind === 'event')!;
    expect((await mb.flagChanges(cal, null)).items.map((i) => i.flags)).toEqual([[]]);
  });

  it('refuses a login that would leave the backup directory', async () => {
    await expect(new KopanoBackupSource(fixture, log).openMailbox({ login: '../kopano' })).rejects.toThrow('kopano-backup: source login "../kopano" cannot name a file or directory (it contains a path separator)');
    await expect(new KopanoBackupSource(fixture, log).openMailbox({ login: 'nobody' })).rejects.toThrow(/no directory for nobody/);
  });
});

describe('kopano-backup source on generated backups', () => {
  if (!DB_LOAD || !existsSync(PYTHON)) {
    prerequisiteMissing('needs db5.3_load (db5.3-util) and /usr/bin/python3');
    return;
  }
  const sk = (n: number) => `0102030405060708090A0B0C0D0E0F10${n.toString(16).padStart(2, '0').toUpperCase()}00000000`;
  const mail = (n: number, extra: Partial<GenFolder['mails'][number]> = {}) => ({ sourcekey: sk(n), subject: `mail ${n}`, body: `body ${n}\r\n`, from: 'a@example.org', ...extra });

  it('records an unreadable item as failed naming file and item, skips deleted items and folders, copies the rest', async () => {
    const root = join(dir, 'backup');
    writeKopanoBackup(join(root, 'gen'), 'gen', [
      { sourcekey: 'F1', path: 'Inbox', containerClass: 'IPF.Note', mails: [mail(1), mail(2, { corrupt: true }), mail(3, { deleted: true }), mail(4)] },
      { sourcekey: 'F2', path: 'Inbox/Sub\\/folder', containerClass: 'IPF.Note', nestedUnder: 'F1', mails: [mail(5)] },
      { sourcekey: 'F3', path: 'Gone', containerClass: 'IPF.Note', deleted: true, mails: [mail(6)] },
      { sourcekey: 'F4', path: 'Notes', containerClass: 'IPF.StickyNote', mails: [] },
    ]);
    // A folder whose `folder` file is damaged is reported, the others go on.
    mkdirSync(join(root, 'gen', 'folders', 'F5'));
    writeFileSync(join(root, 'gen', 'folders', 'F5', 'path'), 'Broken');
    writeFileSync(join(root, 'gen', 'folders', 'F5', 'folder'), Buffer.from([0x80, 0x02, 0x7d, 0x28]));
    const src = new KopanoBackupSource(root, log);
    const mb = await src.openMailbox({ login: 'gen' }) as KopanoBackupMailbox;
    const cs = await mb.containers();
    expect(cs.filter((c) => !c.skip).map((c) => c.path.join('/'))).toEqual(['Inbox', 'Inbox/Sub/folder']);
    const skipped = [
      { path: 'Broken', reason: 'unreadable folder: folders/F5/folder: pickle offset 4: truncated (needs 1 more bytes)' },
      { path: 'Notes', reason: 'folder type IPF.StickyNote is not migrated (0 items)' },
    ];
    expect(mb.skippedContainers()).toEqual(skipped);
    expect(cs.filter((c) => c.skip).map((c) => ({ path: c.path.join('/'), reason: c.skip }))).toEqual(skipped);
    expect(mb.aliases()).toEqual(['gen.alias@example.com']);

    const tgt = new MemoryTarget();
    const events: EngineEvent[] = [];
    const r = await runJob({ store, sources: src, targets: tgt, log, onEvent: (e) => events.push(e) }, job('gen'), options());
    expect(r.copied).toBe(3);
    expect(r.failed).toBe(1);
    const subjects = await Promise.all(all(tgt).map(async (m) => (await simpleParser(m.content)).subject));
    expect(subjects.sort()).toEqual(['mail 1', 'mail 4', 'mail 5']);
    const failures = events.filter((e) => e.type === 'item' && e.status === 'failed');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ container: 'F1', reason: expect.stringMatching(/folders\/F1\/items\[[0-9A-F]+0200000000\]: zlib.*\(folder Inbox\)/) });
  });

  it('a truncated items file: what is left is copied, each lost item fails naming the file and page', async () => {
    const root = join(dir, 'backup');
    const mails = Array.from({ length: 30 }, (_, i) => mail(i + 1, { body: `${'x'.repeat(1500)} ${i}\r\n` }));
    writeKopanoBackup(join(root, 'gen'), 'gen', [{ sourcekey: 'F1', path: 'Inbox', containerClass: 'IPF.Note', mails }]);
    const items = join(root, 'gen', 'folders', 'F1', 'items');
    const bytes = readFileSync(items);
    writeFileSync(items, bytes.subarray(0, Math.floor(bytes.length / 2 / 4096) * 4096));
    const tgt = new MemoryTarget();
    const events: EngineEvent[] = [];
    const r = await runJob({ store, sources: new KopanoBackupSource(root, log), targets: tgt, log, onEvent: (e) => events.push(e) }, job('gen'), options());
    expect(r.copied + r.failed).toBe(30);
    expect(r.copied).toBeGreaterThan(0);
    expect(r.failed).toBeGreaterThan(0);
    const reasons = events.flatMap((e) => (e.type === 'item' && e.status === 'failed' ? [e.reason ?? ''] : []));
    expect(reasons).toHaveLength(r.failed);
    for (const reason of reasons) expect(reason).toMatch(/^folders\/F1\/items\[[0-9A-F]+\]: .*\/items page \d+: truncated: .*\(folder Inbox\)$/);
  });

  it('an incremental backup with a new item (sorting before the old ones) is copied by the next run, nothing twice', async () => {
    const root = join(dir, 'backup');
    writeKopanoBackup(join(root, 'gen'), 'gen', [
      { sourcekey: 'F1', path: 'Inbox', containerClass: 'IPF.Note', mails: [mail(0x50, { updated: '2024-05-01T12:00:00' }), mail(0x60, { updated: '2024-05-01T12:00:00' })] },
    ]);
    const tgt = new MemoryTarget();
    const r1 = await runJob({ store, sources: new KopanoBackupSource(root, log), targets: tgt, log }, job('gen'), options());
    expect(r1.copied).toBe(2);
    rmSync(join(root, 'gen'), { recursive: true });
    writeKopanoBackup(join(root, 'gen'), 'gen', [
      { sourcekey: 'F1', path: 'Inbox', containerClass: 'IPF.Note', mails: [
        mail(0x10, { updated: '2024-05-02T12:00:00' }), mail(0x50, { updated: '2024-05-01T12:00:00' }), mail(0x60, { updated: '2024-05-01T12:00:00' })] },
    ]);
    const r2 = await runJob({ store, sources: new KopanoBackupSource(root, log), targets: tgt, log }, job('gen'), options());
    expect(r2.copied).toBe(1);
    expect(all(tgt)).toHaveLength(3);
  });
});
