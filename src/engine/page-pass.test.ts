/**
 * The apply step of a page, as the crash safety needs it: the writes are recorded pending BEFORE
 * anything is written, and the final rows and the new cursor go in ONE commit per page; the
 * retry of failed items goes through the same steps. And the checkpoints written in verify mode
 * are the strings earlier versions wrote ('verify;' until the last page).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { MemorySource, MemoryTarget } from '../../test/support/memory-connectors.js';
import type { ItemContent } from '../model/types.js';
import { SqliteStateStore } from '../state/sqlite.js';
import type { StateStore } from '../state/store.js';
import { runJob, type JobOptions } from './job.js';

const log = pino({ level: 'silent' });
const options = (over: Partial<JobOptions> = {}): JobOptions => ({
  filters: { maxMessageSize: 1024 * 1024 },
  folders: { include: ['**'], exclude: [], rename: [], specialUse: { sent: 'Sent', trash: 'Trash', junk: 'Spam', drafts: 'Drafts', archive: 'Archive' }, invalidCharReplacement: '_' },
  batchSize: 2, writersPerTask: 2, tasks: 1, mailboxes: 1, byteBudget: 1024 * 1024,
  retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
  ...over,
});
const job = [{ source: { login: 'alice' }, target: { login: 'alice' } }];
const msg = (i: number) => `Message-ID: <m${i}@example.org>\r\nSubject: ${i}\r\n\r\nbody ${i}\r\n`;

let dir: string;
let store: SqliteStateStore;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ums-page-pass-'));
  store = new SqliteStateStore(join(dir, 'state.sqlite'));
  await store.migrate();
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The store's item writes and the target's puts, in the order they happened. */
function recording(src: MemorySource, tgt: MemoryTarget): { steps: string[]; scopes: string[]; store: StateStore; tgt: MemoryTarget } {
  const steps: string[] = [];
  const scopes: string[] = [];
  const s: StateStore = Object.create(store);
  s.recordPending = async (mb, c, rows) => { steps.push(`pending ${rows.map((r) => r.itemId).join(',')}`); return store.recordPending(mb, c, rows); };
  s.commitBatch = async (mb, c, results, cp) => {
    steps.push(`commit ${results.map((r) => `${r.itemId}:${r.status}`).join(',')} @${cp.cursor}`);
    scopes.push(cp.scope);
    return store.commitBatch(mb, c, results, cp);
  };
  const put = tgt.put.bind(tgt);
  tgt.put = async (ref: string, item: ItemContent) => {
    steps.push(`put ${[...src.folders.values()][0]?.messages.find((m) => m.content.equals(item.content))?.uid}`);
    return put(ref, item);
  };
  return { steps, scopes, store: s, tgt };
}

test('each page: pending rows first, then the writes, then one commit with the results and the cursor', async () => {
  const src = new MemorySource();
  for (let i = 1; i <= 5; i++) src.add(['INBOX'], i === 3 ? `${msg(i)}${'x'.repeat(500)}` : msg(i));
  const tgt = new MemoryTarget();
  const r = recording(src, tgt);
  await runJob({ store: r.store, sources: src, targets: r.tgt, log }, job, options({ filters: { maxMessageSize: 400 } }));
  // Within a page the writes run in parallel: compare each page's puts as a set.
  expect(r.steps.map((s) => s.replace(/^put \d$/, 'put'))).toEqual([
    'pending 1,2', 'put', 'put', 'commit 1:done,2:done @2',
    'pending 4', 'put', 'commit 3:skipped,4:done @4',
    'pending 5', 'put', 'commit 5:done @5',
  ]);
  expect(r.steps.filter((s) => s.startsWith('put')).sort()).toEqual(['put 1', 'put 2', 'put 4', 'put 5']);
});

test('the retry of failed items goes through the same steps, and keeps the checkpoint where it was', async () => {
  const src = new MemorySource();
  for (let i = 1; i <= 3; i++) src.add(['INBOX'], msg(i));
  const tgt = new MemoryTarget();
  tgt.fault = (_n, item) => (item.content.toString().includes('body 2') ? { when: 'before', kind: 'reject' } : undefined);
  await runJob({ store, sources: src, targets: tgt, log }, job, options());
  tgt.fault = undefined;
  const r = recording(src, tgt);
  await runJob({ store: r.store, sources: src, targets: r.tgt, log }, job, options({ onlyFailed: true }));
  expect(r.steps).toEqual(['pending 2', 'put 2', 'commit 2:done @3']);
});

test('a re-verification stores "verify;" with the scope until its last page, as earlier versions did', async () => {
  const src = new MemorySource();
  for (let i = 1; i <= 5; i++) src.add(['INBOX'], msg(i));
  const tgt = new MemoryTarget();
  await runJob({ store, sources: src, targets: tgt, log }, job, options());
  const inbox = src.folders.get('INBOX');
  if (!inbox) throw new Error('no inbox');
  inbox.uidValidity = 2000;
  const r = recording(src, tgt);
  await runJob({ store: r.store, sources: src, targets: r.tgt, log }, job, options());
  const scope = 'before=;since=;max=1048576;deletions=ignore';
  expect(r.scopes).toEqual([`verify;${scope}`, `verify;${scope}`, scope]);
  expect(r.steps.filter((s) => s.startsWith('put'))).toEqual([]); // all five found in the target
});
