import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { MemorySource, MemoryTarget } from '../../test/support/memory-connectors.js';
import { runJob, type JobOptions } from '../engine/job.js';
import { SqliteStateStore } from '../state/sqlite.js';
import { firstPage, recordedState, renderFirstPage } from './plan-items.js';

const log = pino({ level: 'silent' });
const options: JobOptions = {
  filters: { maxMessageSize: 200 },
  folders: { include: ['**'], exclude: [], rename: [], specialUse: { sent: 'Sent', trash: 'Trash', junk: 'Spam', drafts: 'Drafts', archive: 'Archive' }, invalidCharReplacement: '_' },
  batchSize: 3, writersPerTask: 1, tasks: 1, mailboxes: 1, byteBudget: 1024 * 1024,
  retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
};
const msg = (i: number, pad = 0) => `Message-ID: <m${i}@example.org>\r\nSubject: ${i}\r\n\r\nbody ${i}${'x'.repeat(pad)}\r\n`;

let dir: string;
let store: SqliteStateStore;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ums-plan-items-'));
  store = new SqliteStateStore(join(dir, 'state.sqlite'));
  await store.migrate();
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function inbox(src: MemorySource) {
  const c = (await src.containers()).find((x) => x.id === 'INBOX');
  if (!c) throw new Error('no INBOX');
  return { c, stats: await src.stats(c) };
}

test('a mailbox never run: the first page from the start, every item judged by the filters', async () => {
  const src = new MemorySource();
  src.add(['INBOX'], msg(1));
  src.add(['INBOX'], msg(2, 300));
  src.add(['INBOX'], msg(3));
  src.add(['INBOX'], msg(4));
  const { c, stats } = await inbox(src);
  const p = await firstPage(src, c, stats, 'INBOX', options, await recordedState(store, 'alice', 'alice'));
  expect(p).toEqual({
    mode: 'normal', cursor: null, failedRetried: 0, more: true,
    items: [
      { action: 'copy', id: '1', size: 52 },
      { action: 'skip', id: '2', size: 352, reason: 'larger than maxMessageSize (352 > 200 bytes)' },
      { action: 'copy', id: '3', size: 52 },
    ],
  });
  expect(renderFirstPage('INBOX', p)).toEqual([
    '   first page of INBOX (from the start):',
    '     copy               1 (52 B)',
    '     skip               2 (352 B): larger than maxMessageSize (352 > 200 bytes)',
    '     copy               3 (52 B)',
    '     … more pages follow',
  ]);
});

test('after a run: the page after the cursor, failed items counted; a new source epoch plans verify from the start', async () => {
  const src = new MemorySource();
  const tgt = new MemoryTarget();
  for (let i = 1; i <= 4; i++) src.add(['INBOX'], msg(i));
  tgt.fault = (_n, item) => (item.content.toString().includes('body 2') ? { when: 'before', kind: 'reject' } : undefined);
  await runJob({ store, sources: src, targets: tgt, log }, [{ source: { login: 'alice' }, target: { login: 'alice' } }], options);
  src.add(['INBOX'], msg(5));
  const state = await recordedState(store, 'alice', 'alice');
  const { c, stats } = await inbox(src);
  expect(await firstPage(src, c, stats, 'INBOX', options, state)).toEqual({
    mode: 'normal', cursor: '4', failedRetried: 1, more: false, items: [{ action: 'copy', id: '5', size: 52 }],
  });
  const f = src.folders.get('INBOX');
  if (!f) throw new Error('no INBOX');
  f.uidValidity = 2000;
  const again = await firstPage(src, c, await src.stats(c), 'INBOX', options, state);
  expect(again).toMatchObject({ mode: 'verify', cursor: null, failedRetried: 0, more: true });
  expect(again.items.map((i) => `${i.action} ${i.id}`)).toEqual(['verify 1', 'verify 2', 'verify 3']);
  expect(renderFirstPage('INBOX', again)[0]).toBe('   first page of INBOX (verify mode: each item is looked for in the target first; from the start):');
});

test('items recorded done or skipped before are shown as such', async () => {
  const src = new MemorySource();
  const tgt = new MemoryTarget();
  src.add(['INBOX'], msg(1));
  src.add(['INBOX'], msg(2, 300));
  await runJob({ store, sources: src, targets: tgt, log }, [{ source: { login: 'alice' }, target: { login: 'alice' } }], options);
  const { c, stats } = await inbox(src);
  // Another size limit is another scope: the next run lists from the start.
  const p = await firstPage(src, c, stats, 'INBOX', { ...options, filters: { maxMessageSize: 100 } }, await recordedState(store, 'alice', 'alice'));
  expect(p.items.map((i) => `${i.action} ${i.id}`)).toEqual(['done 1', 'still-skipped 2']);
  expect(renderFirstPage('INBOX', { ...p, items: [] })).toEqual(['   first page of INBOX (from the start):', '     nothing new']);
});
