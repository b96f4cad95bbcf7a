import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { MemoryTarget } from '../../test/support/memory-connectors.js';
import { SqliteStateStore } from '../../src/state/sqlite.js';
import { runJob, type JobOptions } from '../../src/engine/job.js';
import type { EngineEvent } from '../../src/engine/events.js';
import { eventToICalendar, taskToICalendar } from '../../mappings/groupware/icalendar.js';
import { contactToVCard } from '../../mappings/groupware/vcard.js';
import { KopanoTreeSource } from './tree-source.js';

const log = pino({ level: 'silent' });
const options = (): JobOptions => ({
  filters: { maxMessageSize: 10 * 1024 * 1024 },
  folders: { include: ['**'], exclude: [], rename: [], specialUse: { sent: 'Sent', trash: 'Trash', junk: 'Spam', drafts: 'Drafts', archive: 'Archive' }, invalidCharReplacement: '_' },
  batchSize: 2, writersPerTask: 2, tasks: 2, mailboxes: 1, byteBudget: 4 * 1024 * 1024,
  retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
});
const job = [{ source: { login: 'tree' }, target: { login: 'tree' } }];

const eml = (n: number) => Buffer.from(`From: a@example.org\r\nTo: b@example.org\r\nSubject: tree ${n}\r\nDate: Tue, 14 Jan 2020 09:14:55 +0100\r\nMessage-ID: <t${n}@example.org>\r\n\r\nbody ${n}\r\n`);

let dir: string;
let store: SqliteStateStore;
let root: string;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ums-kopano-tree-'));
  store = new SqliteStateStore(join(dir, 'state.sqlite'));
  await store.migrate();
  root = join(dir, 'export');
  const u = join(root, 'tree');
  const put = (rel: string, data: Buffer | string, mtime = new Date('2024-01-01T00:00:00Z')) => {
    const f = join(u, rel);
    mkdirSync(join(f, '..'), { recursive: true });
    writeFileSync(f, data);
    utimesSync(f, mtime, mtime);
  };
  put('Inbox/AA01.eml', eml(1));
  put('Inbox/AA02.eml', eml(2));
  put('Inbox/README.txt', 'not an item');
  put('Inbox/Projects/AA03.eml', eml(3));
  put('Calendar/BB01.ics', eventToICalendar({ uid: 'ev-1', summary: 'Meeting', start: { utc: new Date('2024-02-01T10:00:00Z') }, end: { utc: new Date('2024-02-01T11:00:00Z') } }));
  put('Calendar/BB02.ics', 'BEGIN:VCALENDAR\r\nthis is not iCalendar\r\n');
  put('Tasks/CC01.ics', taskToICalendar({ uid: 'task-1', summary: 'Do it' }));
  put('Contacts/DD01.vcf', contactToVCard({ uid: 'c-1', displayName: 'Jane Doe', emails: [{ address: 'jane@example.org' }] }));
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const all = (t: MemoryTarget) => [...t.folders.values()].flatMap((f) => f.messages);

describe('kopano-tree source (EML/ICS/VCF export tree)', () => {
  it('finds the folders with their kinds, items by SOURCEKEY', async () => {
    const mb = await new KopanoTreeSource(root, log).openMailbox({ login: 'tree' });
    const cs = await mb.containers();
    expect(cs.map((c) => [c.path.join('/'), c.kind])).toEqual([
      ['Calendar', 'event'], ['Contacts', 'contact'], ['Inbox', 'mail'], ['Inbox/Projects', 'mail'], ['Tasks', 'task'],
    ]);
    const inbox = cs.find((c) => c.id === 'Inbox')!;
    expect((await mb.allIds(inbox)).ids.sort()).toEqual(['AA01', 'AA02', 'README.txt']);
    expect(await mb.stats(inbox, { withBytes: true })).toMatchObject({
      count: 3, bytes: eml(1).length + eml(2).length, notMigrated: [{ id: 'README.txt', reason: 'Inbox/README.txt: not an .eml, .ics or .vcf file: not an item of the export, not migrated' }],
    });
    const page = await mb.changes(inbox, null, 10);
    expect(page.items.map((i) => [i.id, i.messageId, i.internalDate?.toISOString(), i.skip])).toEqual([
      ['AA01', '<t1@example.org>', '2020-01-14T08:14:55.000Z', undefined], ['AA02', '<t2@example.org>', '2020-01-14T08:14:55.000Z', undefined],
      ['README.txt', undefined, undefined, 'Inbox/README.txt: not an .eml, .ics or .vcf file: not an item of the export, not migrated'],
    ]);
  });

  it('copies EML bytes unchanged and ICS/VCF after a parse check; a broken file is a per-item error; a re-run copies nothing', async () => {
    const tgt = new MemoryTarget();
    const events: EngineEvent[] = [];
    const r1 = await runJob({ store, sources: new KopanoTreeSource(root, log), targets: tgt, log, onEvent: (e) => events.push(e) }, job, options());
    expect(r1.copied).toBe(6);
    expect(r1.failed).toBe(1);
    expect(r1.skipped).toBe(1); // README.txt
    const failed = events.filter((e) => e.type === 'item' && e.status === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ container: 'Calendar', reason: expect.stringMatching(/^Calendar\/BB02\.ics \(folder Calendar\): /) });
    const contents = all(tgt).map((m) => m.content.toString('utf8'));
    expect(contents).toContain(eml(1).toString('utf8'));
    expect(contents.some((c) => c.includes('BEGIN:VTODO'))).toBe(true);
    expect(contents.some((c) => c.includes('jane@example.org'))).toBe(true);
    const r2 = await runJob({ store, sources: new KopanoTreeSource(root, log), targets: tgt, log }, job, options());
    expect(r2.copied).toBe(0);
    expect(all(tgt)).toHaveLength(6);
  });

  it('items larger than the listing cache are read again, whole, when the engine asks', async () => {
    const big = Buffer.concat([eml(7), Buffer.alloc(17 * 1024 * 1024, 0x61), Buffer.from('\r\n')]);
    mkdirSync(join(root, 'tree', 'Big'));
    writeFileSync(join(root, 'tree', 'Big', 'EE01.eml'), big);
    writeFileSync(join(root, 'tree', 'Big', 'EE02.eml'), eml(8));
    const mb = await new KopanoTreeSource(root, log).openMailbox({ login: 'tree' });
    const c = (await mb.containers()).find((x) => x.id === 'Big')!;
    const page = await mb.changes(c, null, 10);
    expect(page.items.map((i) => [i.id, i.size])).toEqual([['EE01', big.length], ['EE02', eml(8).length]]);
    const got = new Map<string, Buffer>();
    for await (const r of mb.read(c, page.items)) if ('content' in r) got.set(r.meta.id, r.content);
    expect(got.get('EE01')?.equals(big)).toBe(true);
    expect(got.get('EE02')?.equals(eml(8))).toBe(true);
  });

  it('an export holding many objects is split: one item per UID (overrides with their master), one failed item per object that cannot be repaired; a re-run copies nothing', async () => {
    const ics = [
      'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Test//EN', 'METHOD:PUBLISH',
      'BEGIN:VEVENT', 'UID:s-1', 'DTSTAMP:20240101T000000Z', 'DTSTART:20240301T100000Z', 'DTEND:20240301T110000Z', 'RRULE:FREQ=DAILY;COUNT=3', 'SUMMARY:Series', 'END:VEVENT',
      'BEGIN:VEVENT', 'UID:s-2', 'DTSTAMP:20240101T000000Z', 'DTSTART:20240302T100000Z', 'DTEND:20240302T110000Z', 'SUMMARY:Single', 'END:VEVENT',
      'BEGIN:VEVENT', 'UID:s-1', 'RECURRENCE-ID:20240302T100000Z', 'DTSTAMP:20240101T000000Z', 'DTSTART:20240302T150000Z', 'DTEND:20240302T160000Z', 'SUMMARY:Moved', 'END:VEVENT',
      'BEGIN:VEVENT', 'UID:s-3', 'DTSTAMP:20240101T000000Z', 'DTSTART;TZID=Nowhere/Land:20240303T100000', 'SUMMARY:Bad zone', 'END:VEVENT',
      'END:VCALENDAR', '',
    ].join('\r\n');
    writeFileSync(join(root, 'tree', 'Calendar', 'BB04.ics'), ics);
    writeFileSync(join(root, 'tree', 'Contacts', 'DD02.vcf'), 'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:One\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:Two\r\nEND:VCARD\r\n');
    const mb = await new KopanoTreeSource(root, log).openMailbox({ login: 'tree' });
    const cal = (await mb.containers()).find((c) => c.id === 'Calendar')!;
    const ids = (await mb.allIds(cal)).ids;
    expect(ids.filter((i) => i.startsWith('BB04')).sort()).toEqual(['BB04#failed-1', 'BB04#s-1', 'BB04#s-2']);
    await mb.close();

    const tgt = new MemoryTarget();
    const events: EngineEvent[] = [];
    const r1 = await runJob({ store, sources: new KopanoTreeSource(root, log), targets: tgt, log, onEvent: (e) => events.push(e) }, job, options());
    expect(r1.copied).toBe(6 + 2 + 2);
    const failed = events.filter((e) => e.type === 'item' && e.status === 'failed');
    expect(failed.map((e) => (e as { reason?: string }).reason).sort()).toEqual([
      expect.stringMatching(/^Calendar\/BB02\.ics \(folder Calendar\): /),
      expect.stringMatching(/^Calendar\/BB04\.ics \(folder Calendar\): .*Nowhere\/Land/),
    ]);
    const series = all(tgt).map((m) => m.content.toString('utf8')).filter((c) => c.includes('UID:s-1'));
    expect(series).toHaveLength(1);
    expect(series[0]).toContain('RECURRENCE-ID');
    expect(series[0]).not.toMatch(/^METHOD:/m);
    expect(all(tgt).filter((m) => /FN:(One|Two)/.test(m.content.toString('utf8')))).toHaveLength(2);
    const r2 = await runJob({ store, sources: new KopanoTreeSource(root, log), targets: tgt, log }, job, options());
    expect(r2.copied).toBe(0);
  });

  it('an EML file in a calendar folder is refused for that item', async () => {
    writeFileSync(join(root, 'tree', 'Calendar', 'BB03.eml'), eml(9));
    const mb = await new KopanoTreeSource(root, log).openMailbox({ login: 'tree' });
    const cal = (await mb.containers()).find((c) => c.id === 'Calendar')!;
    const meta = (await mb.lookup(cal, ['BB03'])).items;
    const out = [];
    for await (const r of mb.read(cal, meta)) out.push(r);
    expect(out[0]).toMatchObject({ error: expect.objectContaining({ message: expect.stringMatching(/BB03\.eml \(folder Calendar\): a message in a event folder/) }) });
  });
});
