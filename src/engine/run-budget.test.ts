/**
 * The run's byte budget (JobOptions.byteBudget) bounds the message content held in memory by the
 * whole run — every mailbox and folder at once — not by each mailbox: three mailboxes migrated
 * together hold no more than one may.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import pino from 'pino';
import { testJobOptions, useTempStateStore } from '../../test/support/engine-setup.js';
import { MemorySource, MemoryTarget } from '../../test/support/memory-connectors.js';
import type { Container, ItemContent, ItemMeta, PutResult } from '../model/types.js';
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

/**
 * A target that settles its puts only once a whole batch has come (as a staged folder does at its
 * COPY), after saying each one's content is stored (`sent`).
 */
class BatchingTarget extends MemoryTarget {
  private waiting: (() => void)[] = [];
  constructor(private readonly batch: number) {
    super();
  }

  override capabilities() {
    return { ...super.capabilities(), writesInFlight: this.batch };
  }

  override async put(ref: string, item: ItemContent, opts: { sent?: () => void } = {}): Promise<PutResult> {
    opts.sent?.();
    await new Promise<void>((resolve) => {
      this.waiting.push(resolve);
      if (this.waiting.length === this.batch) for (const go of this.waiting.splice(0)) go();
    });
    return super.put(ref, item);
  }
}

test('content a target has stored no longer counts against the budget: a batch larger than the budget completes', async () => {
  const src = new MemorySource();
  for (let i = 0; i < 6; i++) src.add(['INBOX'], `Subject: ${i}\r\n\r\n${'x'.repeat(10 * KiB)}\r\n`);
  const tgt = new BatchingTarget(6);
  const options = testJobOptions({ mailboxes: 1, tasks: 1, writersPerTask: 1, batchSize: 6, byteBudget: 25 * KiB });
  // Counted until settled, the third 10 KiB item would wait for the first two, which wait for all six.
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('the run waits for budget the batch holds')), 5000); });
  try {
    const report = await Promise.race([runJob({ store: state.store, sources: src, targets: tgt, log: pino({ level: 'silent' }) }, [{ source: { login: 'd' }, target: { login: 'd' } }], options), stuck]);
    expect(report.failedContainers).toBe(0);
    expect(tgt.folders.get('INBOX')?.messages.length).toBe(6);
  } finally {
    clearTimeout(timer);
  }
});

/** A source that hands out a fresh copy of each message's content and keeps only a weak reference to it. */
class CopyingSource extends MemorySource {
  readonly given = new Map<string, WeakRef<Buffer>>();
  override async *read(c: Container, items: ItemMeta[]): AsyncIterable<ItemContent | { meta: ItemMeta; error: Error }> {
    for await (const r of super.read(c, items)) {
      if ('error' in r) {
        yield r;
        continue;
      }
      const content = Buffer.from(r.content);
      this.given.set(r.meta.id, new WeakRef(content));
      yield { meta: r.meta, content };
    }
  }
}

/** A target that stores a copy and, at its `stopAt`-th put, reports which contents handed out so far are still in memory. */
class CheckingTarget extends MemoryTarget {
  alive: string[] | undefined;
  private n = 0;
  constructor(private readonly src: CopyingSource, private readonly stopAt: number, private readonly gc: () => void) {
    super();
  }

  override async put(ref: string, item: ItemContent): Promise<PutResult> {
    if (++this.n === this.stopAt) {
      for (let i = 0; i < 3; i++) {
        await new Promise((resolve) => setImmediate(resolve));
        this.gc();
      }
      this.alive = [...this.src.given].filter(([, w]) => w.deref() !== undefined).map(([id]) => id);
    }
    return super.put(ref, { ...item, content: Buffer.from(item.content) });
  }
}

test('an item\'s content is freed once its write ends, not when its page does (the budget counts only what is held)', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const src = new CopyingSource();
  for (let i = 0; i < 20; i++) src.add(['INBOX'], `Subject: ${i}\r\n\r\n${'x'.repeat(10 * KiB)}\r\n`);
  const tgt = new CheckingTarget(src, 10, gc);
  // One writer and a budget for the whole page: the other ten are read and queued while the tenth is written.
  const options = testJobOptions({ mailboxes: 1, tasks: 1, writersPerTask: 1, batchSize: 20, byteBudget: 1024 * KiB });
  const report = await runJob({ store: state.store, sources: src, targets: tgt, log: pino({ level: 'silent' }) }, [{ source: { login: 'e' }, target: { login: 'e' } }], options);
  expect(report.failedContainers).toBe(0);
  expect(tgt.folders.get('INBOX')?.messages.length).toBe(20);
  const alive = new Set(tgt.alive);
  // Items 1–9 are written: nothing may hold their content any more (p-queue keeps the tasks that ran).
  expect([1, 2, 3, 4, 5, 6, 7, 8, 9].filter((uid) => alive.has(String(uid)))).toEqual([]);
  // The item being written and those queued behind it are still held.
  expect(alive.has('10')).toBe(true);
  expect(alive.has('20')).toBe(true);
});
