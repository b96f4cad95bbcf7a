/**
 * Folders a pass does not migrate are counted and kept with the reason: a folder the source
 * refuses (a PST journal), calendars without a groupware target, folders the config leaves out.
 * Their items are in no item counter, so this record is what `status` and the report show.
 */
import pino from 'pino';
import { useTempStateStore } from '../../test/support/engine-setup.js';
import { MemorySource, MemoryTarget } from '../../test/support/memory-connectors.js';
import { notMigratedTable } from '../commands/status.js';
import type { Container } from '../model/types.js';
import { TransientError } from '../util/errors.js';
import { runJob, type JobOptions } from './job.js';
import { readNotMigrated, readPass } from './last-pass.js';
import { copiedOf, countNotMigrated, folderProblems, itemsLeftBehind, itemsOf, notMigratedItems, notMigratedOf, type NotMigratedFolder } from './not-migrated.js';

const log = pino({ level: 'silent' });
const options = (exclude: string[] = []): JobOptions => ({
  filters: { maxMessageSize: 1024 * 1024 },
  folders: { include: ['**'], exclude, rename: [], specialUse: { sent: 'Sent', trash: 'Trash', junk: 'Spam', drafts: 'Drafts', archive: 'Archive' }, invalidCharReplacement: '_' },
  batchSize: 3, writersPerTask: 3, tasks: 2, mailboxes: 1, byteBudget: 1024 * 1024,
  retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
});
const job = [{ source: { login: 'alice' }, target: { login: 'alice@ums' } }];
const JOURNAL = 'IPF.Journal folder (Outlook journal entries have no counterpart on the UMS): not migrated';

const byContainer = (a: { container: string }, b: { container: string }) => a.container.localeCompare(b.container);

const tmp = useTempStateStore('ums-not-migrated');

/** A mail-only target (an IMAP server without a groupware target beside it). */
function mailOnly(): MemoryTarget {
  return Object.assign(new MemoryTarget(), { accepts: ['mail'] });
}

/** INBOX (2), a journal the source refuses (3), a calendar (1) and Junk (4). */
function source(): MemorySource {
  const src = new MemorySource();
  for (let i = 0; i < 2; i++) src.add(['INBOX'], `Message-ID: <i${i}@x>\r\n\r\nbody\r\n`, { messageId: `<i${i}@x>` });
  for (let i = 0; i < 3; i++) src.add(['Journal'], `Message-ID: <j${i}@x>\r\n\r\nentry\r\n`);
  (src.folders.get('Journal') as { skip?: string }).skip = JOURNAL;
  src.add(['Calendar'], 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n', { kind: 'event' });
  for (let i = 0; i < 4; i++) src.add(['Junk'], `Message-ID: <s${i}@x>\r\n\r\nspam\r\n`);
  return src;
}

test('a pass records every folder it does not migrate, counted, with who decided and why', async () => {
  const src = source();
  const report = await runJob({ store: tmp.store, sources: src, targets: mailOnly(), log }, job, options(['Junk']));
  expect(report.copied).toBe(2);
  const pass = await readPass(tmp.store, 'alice', 'alice@ums');
  expect([...(pass?.notMigrated ?? [])].sort(byContainer)).toEqual([
    { container: 'Journal', name: 'Journal', kind: 'mail', items: 3, by: 'source', reason: JOURNAL },
    { container: 'Calendar', name: 'Calendar', kind: 'event', items: 1, by: 'target', reason: 'calendars need a groupware target (groupwareTarget in the config)' },
    { container: 'Junk', name: 'Junk', kind: 'mail', items: 4, by: 'config', reason: 'excluded by pattern "Junk"' },
  ].sort(byContainer));
  expect(notMigratedItems(pass?.notMigrated ?? [])).toEqual({ items: 8, uncounted: 0 });

  // status: the folders, their items and reasons, said to be outside the totals
  const read = await readNotMigrated(tmp.store, [{ source: 'alice', target: 'alice@ums' }]);
  expect(read.map((m) => m.at)).toEqual([pass?.finishedAt]);
  const text = notMigratedTable(read);
  expect(text).toContain('Folders not migrated (3, 8 items; not in the totals above):');
  expect(text).toMatch(/alice\s+Journal\s+mail\s+3 items\s+the source cannot migrate it\s+IPF\.Journal folder/);
  expect(text).toMatch(/alice\s+Calendar\s+events\s+1 item\s+no target for its kind\s+calendars need a groupware target/);
  expect(text).toMatch(/alice\s+Junk\s+mail\s+4 items\s+left out by the config\s+excluded by pattern "Junk"/);
});

test('a pass that fails before planning keeps the folders the last one found', async () => {
  const src = source();
  await runJob({ store: tmp.store, sources: src, targets: mailOnly(), log }, job, options());
  const failing = new MemorySource();
  failing.containers = async () => { throw new Error('login refused'); };
  const r = await runJob({ store: tmp.store, sources: failing, targets: mailOnly(), log }, job, options());
  expect(r.failedMailboxes).toBe(1);
  const pass = await readPass(tmp.store, 'alice', 'alice@ums');
  expect(pass?.ok).toBe(false);
  expect([...(pass?.notMigrated ?? [])].sort(byContainer).map((f) => [f.container, f.items])).toEqual([['Calendar', 1], ['Journal', 3]]);
});

test('a folder the source cannot count is kept with items unknown and the error; the others are counted', async () => {
  const containers: Container[] = [
    { id: 'a', path: ['Broken'], delimiter: '/', kind: 'mail', skip: 'unreadable folder: damaged index' },
    { id: 'b', path: ['Notes'], delimiter: '/', kind: 'mail', skip: 'IPF.StickyNote folder: not migrated', label: 'archive.pst: Notes' },
  ];
  const listed = notMigratedOf([
    { sourceId: 'a', sourcePath: ['Broken'], included: false, reason: 'unreadable folder: damaged index', targetPath: [], target: '', notes: [] },
    { sourceId: 'b', sourcePath: ['Notes'], included: false, reason: 'IPF.StickyNote folder: not migrated', targetPath: [], target: '', notes: [] },
  ], containers);
  expect(listed.map((f) => [f.name, f.by])).toEqual([['Broken', 'source'], ['archive.pst: Notes', 'source']]);
  let dropped = 0;
  const counted = await countNotMigrated({
    stats: async (c) => {
      if (c.id === 'a') throw new Error('index file truncated');
      // a dropped connection is retried, as for the inventory
      if (dropped++ === 0) throw new TransientError('connection reset');
      return { count: 7, epoch: '1', token: 't' };
    },
  }, containers, listed, { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 }, log);
  expect(dropped).toBe(2);
  expect(counted.map((f: NotMigratedFolder) => [f.container, f.items, f.countError])).toEqual([['a', null, 'index file truncated'], ['b', 7, undefined]]);
  expect(itemsOf(counted[0] as NotMigratedFolder)).toBe('not counted (index file truncated)');
  expect(notMigratedItems(counted)).toEqual({ items: 7, uncounted: 1 });
  expect(notMigratedTable([{ source: 'bob', target: 'bob', folders: counted }])).toContain('Folders not migrated (2, 7 items and 1 folder not counted; not in the totals above):');
});

test('the config patterns decide first: a refused or groupware folder the config excludes is left out on purpose, not a problem', async () => {
  const src = source();
  await runJob({ store: tmp.store, sources: src, targets: mailOnly(), log }, job, options(['Journal', 'Calendar']));
  const pass = await readPass(tmp.store, 'alice', 'alice@ums');
  expect([...(pass?.notMigrated ?? [])].sort(byContainer).map((f) => [f.container, f.by, f.reason])).toEqual([
    ['Calendar', 'config', 'excluded by pattern "Calendar"'],
    ['Journal', 'config', 'excluded by pattern "Journal"'],
  ]);
  expect(folderProblems('alice', pass?.notMigrated)).toEqual([]);
});

test('a folder migrated before and refused now (groupwareTarget removed) leaves behind only what was never copied', () => {
  const calendar = { container: 'cal', name: 'Calendar', kind: 'event' as const, items: 40, by: 'target' as const, reason: 'calendars need a groupware target' };
  expect(folderProblems('alice', [calendar], copiedOf([{ containerId: 'cal', doneItems: 40 }]))).toEqual([]);
  expect(folderProblems('alice', [{ ...calendar, items: 43 }], copiedOf([{ containerId: 'cal', doneItems: 40 }]), '2026-12-03T20:00:00.000Z').map((p) => [p.reason, p.updatedAt]))
    .toEqual([['folder not migrated (3 items): calendars need a groupware target', '2026-12-03T20:00:00.000Z']]); // when the pass saw it
  expect(itemsLeftBehind({ items: null }, 40)).toBeNull();
});
