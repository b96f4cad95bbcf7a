/**
 * The searches a folder task makes in the target outside an item's own write are retried like
 * the writes: a connection lost while the sweep looks for late second copies, or while crash
 * recovery looks for what a killed run wrote, costs a retry, not the folder (the network-faults
 * e2e met this: every message copied, the folder "failed", the run exit 3).
 */
import pino from 'pino';
import { testJobOptions, useTempStateStore } from '../../test/support/engine-setup.js';
import { MemorySource, MemoryTarget } from '../../test/support/memory-connectors.js';
import type { StateStore } from '../state/store.js';
import { TransientError } from '../util/errors.js';
import { runJob, type JobReport } from './job.js';

const log = pino({ level: 'silent' });
const job = [{ source: { login: 'alice' }, target: { login: 'alice' } }];
const tmp = useTempStateStore('ums-recovery-retry');

const msg = (i: number) => `Message-ID: <m${i}@example.org>\r\nSubject: message ${i}\r\n\r\nbody ${i}\r\n`;
const bodies = (t: MemoryTarget) => [...t.folders.values()].flatMap((f) => f.messages).map((m) => m.content.toString()).sort();
const folderErrors = (r: JobReport) => r.mailboxes.flatMap((m) => m.containers).filter((c) => c.error !== undefined).map((c) => c.error);

/** Makes the target's next `findWritten` calls, from the moment `when()` holds, fail as a dropped connection. */
function dropLookups(t: MemoryTarget, when: () => boolean, times = 1): { dropped: () => number } {
  const find = t.findWritten.bind(t);
  let dropped = 0;
  t.findWritten = async (...args) => {
    if (dropped < times && when()) {
      dropped++;
      throw new TransientError('connection reset while searching (injected)');
    }
    return find(...args);
  };
  return { dropped: () => dropped };
}

/**
 * A run killed after writing a page and before committing it: four messages in INBOX, all left
 * pending (those `unreadable` excepted: the source refuses them, so they were never written).
 */
async function afterKilledRun(unreadable?: string): Promise<{ src: MemorySource; tgt: MemoryTarget }> {
  const src = new MemorySource();
  const tgt = new MemoryTarget();
  for (let i = 0; i < 4; i++) src.add(['INBOX'], msg(i), { messageId: `<m${i}@example.org>` });
  if (unreadable) src.beforeRead = (id) => { if (id === unreadable) throw new TransientError('Connection not available'); };
  const killed: StateStore = Object.create(tmp.store);
  killed.commitBatch = async () => { throw new Error('killed'); };
  await runJob({ store: killed, sources: src, targets: tgt, log }, job, testJobOptions({ retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } }));
  return { src, tgt };
}

/** The pending rows of the INBOX. */
async function pendingInInbox(): Promise<number> {
  const mailbox = await tmp.store.mailboxId({ source: 'alice', target: 'alice' });
  const [inbox] = await tmp.store.containers(mailbox);
  return (await tmp.store.pending(mailbox, inbox?.containerId ?? '')).length;
}

test('the sweep for late second copies loses its connection twice: it is run again, the copies removed, the folder done', async () => {
  const src = new MemorySource();
  const tgt = new MemoryTarget();
  for (let i = 0; i < 6; i++) src.add(['INBOX'], msg(i), { messageId: `<m${i}@example.org>` });
  // Writes 2 and 5 drop and land later: both are written again, so the sweep has two copies to remove.
  tgt.fault = (n) => (n === 2 || n === 5 ? { when: 'late', kind: 'transient' } : undefined);
  const drops = dropLookups(tgt, () => tgt.puts >= 8, 2); // 6 writes + 2 written again: only the sweep searches now
  const r = await runJob({ store: tmp.store, sources: src, targets: tgt, log }, job, testJobOptions({ batchSize: 3, writersPerTask: 3 }));
  expect(drops.dropped()).toBe(2);
  expect(folderErrors(r)).toEqual([]);
  expect(r.failed).toBe(0);
  expect(r.copied).toBe(6);
  expect(r.mailboxes[0]?.containers[0]?.duplicatesRemoved).toBe(2);
  expect(bodies(tgt)).toEqual(Array.from({ length: 6 }, (_, i) => msg(i)).sort());
});

test('crash recovery loses its connection while looking for what the killed run wrote: tried again, found, nothing written twice', async () => {
  // The killed run wrote every message but committed nothing: all four are pending.
  const { src, tgt } = await afterKilledRun();
  expect(tgt.puts).toBe(4);
  expect(await pendingInInbox()).toBe(4);

  const drops = dropLookups(tgt, () => true);
  const r = await runJob({ store: tmp.store, sources: src, targets: tgt, log }, job, testJobOptions());
  expect(drops.dropped()).toBe(1);
  expect(folderErrors(r)).toEqual([]);
  expect(r.failed).toBe(0);
  expect(r.recovered).toBe(4);
  expect(r.copied).toBe(0);
  expect(tgt.puts).toBe(4);
  expect(bodies(tgt)).toEqual(Array.from({ length: 4 }, (_, i) => msg(i)).sort());
});

test('a pending item the source can no longer send does not block crash recovery: the others are recovered, it fails with its reason', async () => {
  const { src, tgt } = await afterKilledRun('2');
  expect(tgt.puts).toBe(3); // the killed run wrote all but the unreadable one, and committed nothing

  const r = await runJob({ store: tmp.store, sources: src, targets: tgt, log }, job, testJobOptions({ retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 } }));
  expect(folderErrors(r)).toEqual([]);
  expect({ recovered: r.recovered, copied: r.copied, failed: r.failed }).toEqual({ recovered: 3, copied: 0, failed: 1 });
  expect(tgt.puts).toBe(3);
  expect(bodies(tgt)).toEqual([msg(0), msg(2), msg(3)].sort()); // item 2 is msg(1)
  expect((await tmp.store.problems()).map((p) => [p.itemId, p.reason.slice(0, 44)])).toEqual([['2', 'the source broke off every read of this item']]);
});

test('a source that is down during crash recovery drops nothing: the pending items stay pending, and the next run finds them written', async () => {
  const { src, tgt } = await afterKilledRun();
  expect(tgt.puts).toBe(4);

  src.beforeRead = () => { throw new TransientError('Connection refused'); };
  const down = await runJob({ store: tmp.store, sources: src, targets: tgt, log }, job, testJobOptions({ retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 } }));
  expect(folderErrors(down)).toHaveLength(1);
  expect(await pendingInInbox()).toBe(4);

  src.beforeRead = undefined;
  const back = await runJob({ store: tmp.store, sources: src, targets: tgt, log }, job, testJobOptions());
  expect({ recovered: back.recovered, copied: back.copied, failed: back.failed }).toEqual({ recovered: 4, copied: 0, failed: 0 });
  expect(tgt.puts).toBe(4);
  expect(bodies(tgt)).toEqual(Array.from({ length: 4 }, (_, i) => msg(i)).sort());
});

test('crash recovery of two pages (two watermarks) loses its connection at the second: the retry finds the first page\'s copies again, nothing written twice', async () => {
  const src = new MemorySource();
  const tgt = new MemoryTarget();
  for (let i = 0; i < 4; i++) src.add(['INBOX'], msg(i), { messageId: `<m${i}@example.org>` });
  // The killed run wrote both pages; the first page's commit never reached the disk, the second's failed.
  const killed: StateStore = Object.create(tmp.store);
  let commits = 0;
  killed.commitBatch = async () => { if (++commits > 1) throw new Error('killed'); };
  await runJob({ store: killed, sources: src, targets: tgt, log }, job, testJobOptions({ batchSize: 2, retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } }));
  expect(tgt.puts).toBe(4);
  expect(await pendingInInbox()).toBe(4);

  let lookups = 0;
  dropLookups(tgt, () => ++lookups === 2); // the second page's search drops, after the first page's found its copies
  const r = await runJob({ store: tmp.store, sources: src, targets: tgt, log }, job, testJobOptions({ batchSize: 2 }));
  expect(folderErrors(r)).toEqual([]);
  expect({ recovered: r.recovered, copied: r.copied, failed: r.failed }).toEqual({ recovered: 4, copied: 0, failed: 0 });
  expect(tgt.puts).toBe(4);
  expect(bodies(tgt)).toEqual(Array.from({ length: 4 }, (_, i) => msg(i)).sort());
});
