/**
 * The run's byte budget (JobOptions.byteBudget) bounds the message content held in memory by the
 * whole run — every mailbox and folder at once — not by each mailbox: three mailboxes migrated
 * together hold no more than one may.
 */
import pino from 'pino';
import { testJobOptions, useTempStateStore } from '../../test/support/engine-setup.js';
import { MemorySource, MemoryTarget } from '../../test/support/memory-connectors.js';
import type { ItemContent, PutResult } from '../model/types.js';
import { runJob } from './job.js';

const state = useTempStateStore('ums-run-budget');
const KiB = 1024;

/** A target whose writes take a while and that records the most content bytes being written at once. */
class SlowTarget extends MemoryTarget {
  inFlight = 0;
  peak = 0;
  override async put(ref: string, item: ItemContent): Promise<PutResult> {
    this.inFlight += item.content.length;
    this.peak = Math.max(this.peak, this.inFlight);
    try {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return await super.put(ref, item);
    } finally {
      this.inFlight -= item.content.length;
    }
  }
}

test('three mailboxes at once hold at most the run budget of content, and every item arrives', async () => {
  const src = new MemorySource();
  for (const folder of ['INBOX', 'Sent', 'Archive']) {
    for (let i = 0; i < 12; i++) src.add([folder], `Subject: ${folder} ${i}\r\n\r\n${'x'.repeat(10 * KiB)}\r\n`);
  }
  const tgt = new SlowTarget();
  const mailboxes = ['a', 'b', 'c'].map((login) => ({ source: { login }, target: { login } }));
  const options = testJobOptions({ mailboxes: 3, tasks: 9, writersPerTask: 4, batchSize: 12, byteBudget: 25 * KiB });
  const report = await runJob({ store: state.store, sources: src, targets: tgt, log: pino({ level: 'silent' }) }, mailboxes, options);
  expect(report.failedContainers).toBe(0);
  // 3 mailboxes × 3 folders × 12 items, all in the one shared memory target
  expect([...tgt.folders.values()].reduce((n, f) => n + f.messages.length, 0)).toBe(3 * 3 * 12);
  // two 10 KiB items fit in 25 KiB, a third does not: without a shared budget each mailbox would hold two (60 KiB)
  expect(tgt.peak).toBeGreaterThanOrEqual(20 * KiB);
  expect(tgt.peak).toBeLessThanOrEqual(25 * KiB);
});
